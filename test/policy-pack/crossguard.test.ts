/**
 * The pack under the real CrossGuard analyzer server: `policy-pack/index.ts` runs in a child process (as the
 * Pulumi CLI starts it: cwd = the pack, the port printed on stdout), and this test plays the CLI's part over gRPC
 * (GetAnalyzerInfo, Configure, Analyze, AnalyzeStack). No Pulumi CLI exists on this machine; this is the part of
 * `pulumi preview --policy-pack policy-pack` that belongs to the pack.
 */
import { strict as assert } from "node:assert";
import { spawn, type ChildProcess } from "node:child_process";
import * as path from "node:path";
import * as grpc from "@grpc/grpc-js";
import * as analyzerGrpc from "@pulumi/pulumi/proto/analyzer_grpc_pb";
import * as pb from "@pulumi/pulumi/proto/analyzer_pb";
import { Empty } from "google-protobuf/google/protobuf/empty_pb";
import { Struct } from "google-protobuf/google/protobuf/struct_pb";
import type { PlannedResource } from "../../policy-pack/types";
import { stopPid, waitForOutput } from "../../harness/proc";
import { validPlan, withChange } from "./fixtures";

const PACK = path.resolve(__dirname, "../../policy-pack");

type Unary<Req, Res> = (req: Req, cb: (err: grpc.ServiceError | null, res: Res) => void) => unknown;
function call<Req, Res>(fn: Unary<Req, Res>, client: object, req: Req): Promise<Res> {
  return new Promise((ok, fail) => fn.call(client, req, (err, res) => (err ? fail(err) : ok(res))));
}

function options(r: PlannedResource): pb.AnalyzerResourceOptions {
  const o = new pb.AnalyzerResourceOptions();
  o.setProtect(!!r.opts?.protect);
  if (r.parent) o.setParent(r.parent);
  return o;
}

function analyzeRequest(r: PlannedResource): pb.AnalyzeRequest {
  const req = new pb.AnalyzeRequest();
  req.setType(r.type);
  req.setName(r.name);
  req.setUrn(r.urn);
  req.setProperties(Struct.fromJavaScript(JSON.parse(JSON.stringify(r.props))));
  req.setOptions(options(r));
  return req;
}

function stackRequest(rs: PlannedResource[]): pb.AnalyzeStackRequest {
  const req = new pb.AnalyzeStackRequest();
  req.setResourcesList(
    rs.map((r) => {
      const a = new pb.AnalyzerResource();
      a.setType(r.type);
      a.setName(r.name);
      a.setUrn(r.urn);
      a.setProperties(Struct.fromJavaScript(JSON.parse(JSON.stringify(r.props))));
      a.setOptions(options(r));
      if (r.parent) a.setParent(r.parent);
      a.setDependenciesList(r.dependencies ?? []);
      return a;
    }),
  );
  return req;
}

interface Diag {
  policy: string;
  level: pb.EnforcementLevel;
  message: string;
}
/** The server sends "<policy description>\n<violation message>"; keep the violation's own message. */
const diags = (res: pb.AnalyzeResponse): Diag[] =>
  res.getDiagnosticsList().map((d) => {
    const [description, ...rest] = d.getMessage().split("\n");
    assert.equal(description, d.getDescription());
    return { policy: d.getPolicyname(), level: d.getEnforcementlevel(), message: rest.join("\n") };
  });

describe("policy pack under the real CrossGuard analyzer (gRPC)", function () {
  // Starting the pack compiles it with ts-node and loads @pulumi/policy: a few seconds on this machine.
  this.timeout(90_000);
  let child: ChildProcess | undefined;
  let client: analyzerGrpc.AnalyzerClient;

  before(async () => {
    child = spawn(process.execPath, ["-r", require.resolve("ts-node/register/transpile-only"), "index.ts"], {
      cwd: PACK,
      stdio: ["ignore", "pipe", "pipe"],
    });
    const m = await waitForOutput(child, /^(\d+)\s*$/m, "the pack printing its port", 80_000);
    const port = Number(m[1]);
    client = new analyzerGrpc.AnalyzerClient(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
  });

  after(async () => {
    client?.close();
    await stopPid(child?.pid ?? 0);
  });

  it("serves the fourteen policies with their default levels and config schemas (waivers included)", async () => {
    const info = await call<Empty, pb.AnalyzerInfo>(client.getAnalyzerInfo, client, new Empty());
    assert.equal(info.getName(), "lakehouse");
    assert.equal(info.getVersion(), "0.1.0");
    const policies = info.getPoliciesList();
    assert.equal(policies.length, 14);
    assert.equal(
      policies.find((p) => p.getName() === "no-runtime-downloads")?.getEnforcementlevel(),
      pb.EnforcementLevel.MANDATORY,
    );
    const pinned = policies.find((p) => p.getName() === "pinned-images");
    assert.equal(pinned?.getEnforcementlevel(), pb.EnforcementLevel.MANDATORY);
    const schema = pinned?.getConfigschema()?.getProperties()?.toJavaScript() as Record<string, unknown>;
    assert.ok(schema.waivers && schema.mutableTags);
    assert.equal(
      policies.find((p) => p.getName() === "probes")?.getEnforcementlevel(),
      pb.EnforcementLevel.ADVISORY,
    );
  });

  it("Analyze: a valid Deployment passes; an unpinned one is a mandatory pinned-images violation", async () => {
    const ok = validPlan().find((r) => r.name === "metastore-server") as PlannedResource;
    assert.deepEqual(diags(await call(client.analyze, client, analyzeRequest(ok))), []);
    const bad = withChange("metastore-server", (p) => {
      p.spec.template.spec.containers[0].image = "apache/hive:latest";
    }).find((r) => r.name === "metastore-server") as PlannedResource;
    const ds = diags(await call(client.analyze, client, analyzeRequest(bad)));
    assert.deepEqual(ds, [
      {
        policy: "pinned-images",
        level: pb.EnforcementLevel.MANDATORY,
        message:
          "Deployment 'hive-metastore' must pin the image of container 'metastore' to a version tag or digest: " +
          "'apache/hive:latest' uses the mutable tag 'latest'.",
      },
    ]);
  });

  it("AnalyzeStack: the valid plan passes every stack policy", async () => {
    assert.deepEqual(diags(await call(client.analyzeStack, client, stackRequest(validPlan()))), []);
  });

  it("Configure: pack config waivers and levels apply through args.getConfig(), as in evaluatePolicies", async () => {
    const bad = withChange("metastore-server", (p) => {
      p.spec.template.spec.containers[0].image = "apache/hive:latest";
    });
    const req = new pb.ConfigureAnalyzerRequest();
    const config = (level: pb.EnforcementLevel, props: Record<string, unknown> = {}) => {
      const c = new pb.PolicyConfig();
      c.setEnforcementlevel(level);
      c.setProperties(Struct.fromJavaScript(props as never));
      return c;
    };
    req.getPolicyconfigMap().set(
      "pinned-images",
      config(pb.EnforcementLevel.MANDATORY, {
        waivers: [
          { resource: "metastore-server", reason: "rebuild pending", expires: "2999-12-31" },
          { resource: "metastore-backup", reason: "old", expires: "2000-01-01" },
        ],
      }),
    );
    req.getPolicyconfigMap().set("probes", config(pb.EnforcementLevel.DISABLED));
    await call(client.configure, client, req);

    const target = bad.find((r) => r.name === "metastore-server") as PlannedResource;
    assert.deepEqual(diags(await call(client.analyze, client, analyzeRequest(target))), []);
    // The expired waiver is reported once, from the stack analysis, at the policy's level (CrossGuard has one).
    const ds = diags(await call(client.analyzeStack, client, stackRequest(bad)));
    assert.deepEqual(
      ds.map((d) => [d.policy, d.level]),
      [["pinned-images", pb.EnforcementLevel.MANDATORY]],
    );
    assert.match(
      ds[0].message,
      /^Waiver #2 of policy 'pinned-images' for 'metastore-backup' \(reason: old\) expired on 2000-01-01/,
    );
  });
});
