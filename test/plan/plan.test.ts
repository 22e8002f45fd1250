/**
 * `npm run plan` end to end, as a child process: the JSON contract, the table, and the exit codes
 * (0 no mandatory violation, 5 a mandatory violation, 2 invalid input).
 */
import * as assert from "assert";
import { execFile, execFileSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";

const ROOT = path.resolve(__dirname, "../..");
const ANTON = fs.readFileSync(path.join(ROOT, "Pulumi.anton.yaml"), "utf8");

function plan(args: string[], cwd = ROOT): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ["-r", path.join(ROOT, "cli/register.cjs"), path.join(ROOT, "plan/main.ts"), ...args],
      {
        cwd,
        maxBuffer: 64 * 1024 * 1024,
        env: process.env,
      },
      (err, stdout, stderr) => resolve({ code: err ? Number(err.code ?? 1) : 0, stdout, stderr }),
    );
  });
}

/** `npm run -s plan -- ARGS` typed in `cwd` (a folder of the project), with a clean environment. */
function npmPlan(args: string[], cwd = ROOT): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      "npm",
      ["run", "-s", "plan", "--", ...args],
      {
        cwd,
        maxBuffer: 64 * 1024 * 1024,
        timeout: 280_000,
        env: { PATH: process.env.PATH, HOME: process.env.HOME, LANG: "C.UTF-8" },
      },
      (err, stdout, stderr) => resolve({ code: err ? Number(err.code ?? 1) : 0, stdout, stderr }),
    );
  });
}

interface PlanJson {
  decision: string;
  gates: Record<string, { open: boolean; blockedBy: string[] }>;
  resources: {
    phase: string;
    type: string;
    name: string;
    kubernetesName?: string;
    namespace?: string;
    urn: string;
    inputs: Record<string, unknown>;
  }[];
  violations: { policy: string; enforcement: string; message: string }[];
}

describe("npm run plan (end to end)", function () {
  this.timeout(180_000);
  let tmp: string;
  before(() => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), "lakehouse-plan-"));
  });
  after(() => fs.rmSync(tmp, { recursive: true, force: true }));

  /** A stack file in a temp project dir: the anton file with one edit. */
  function stack(name: string, edit: (text: string) => string): string {
    const text = edit(ANTON);
    assert.notStrictEqual(text, ANTON, "the edit changed the stack file");
    fs.writeFileSync(path.join(tmp, `Pulumi.${name}.yaml`), text);
    return tmp;
  }

  it("anton with the example snapshot: ready, the base by phase, no mandatory violation, exit 0", async () => {
    const r = await plan(["--output", "json"]);
    assert.strictEqual(r.code, 0, r.stderr);
    const j = JSON.parse(r.stdout) as PlanJson;
    assert.strictEqual(j.decision, "ready");
    assert.deepStrictEqual(Object.keys(j.gates), ["foundation", "compute", "analytics"]);
    assert.ok(j.gates.foundation.open);
    for (const x of j.resources) assert.ok(x.phase && x.type && x.name, JSON.stringify(x));
    assert.ok(j.resources.some((x) => x.phase === "readiness" && x.type.endsWith(":Readiness")));
    // The compute phase is planned and judged too: its Flux HelmRelease and the DAG ConfigMap with the manifest.
    assert.ok(j.gates.compute.open);
    for (const t of [":HelmRelease", ":HelmRepository", ":ConfigMap"]) {
      assert.ok(
        j.resources.some((x) => x.phase === "compute" && x.type.endsWith(t)),
        `compute ${t}`,
      );
    }
    const quota = j.resources.find((x) => x.type === "kubernetes:core/v1:ResourceQuota");
    assert.deepStrictEqual([quota?.phase, quota?.namespace], ["base", "lakehouse"]);
    assert.ok(Array.isArray(j.violations));
    for (const v of j.violations) {
      assert.ok(v.policy && v.enforcement && v.message);
      assert.notStrictEqual(
        v.enforcement,
        "mandatory",
        `unexpected mandatory violation: ${v.policy}: ${v.message}`,
      );
    }
    assert.match(r.stderr, /Assessing readiness \(offline, preview\)/);
  });

  it("prints a table with the verdict, gates, resources by phase and violations", async () => {
    const r = await plan(["--from", "examples/anton/cluster.json", "--from", "examples/anton/metrics.json"]);
    assert.strictEqual(r.code, 0, r.stderr);
    assert.match(r.stdout, /^Verdict: READY/m);
    assert.match(r.stdout, /^ {2}foundation +open/m);
    assert.match(r.stdout, /^ {2}\[base\]$/m);
    assert.match(r.stdout, /kubernetes:core\/v1:ResourceQuota +lakehouse-quota +lakehouse/);
    assert.match(r.stdout, /^Policy violations \(\d+, 0 mandatory\):/m);
  });

  it("a stack whose verdict is blocked breaks readiness-gate (mandatory): exit 5", async () => {
    const dir = stack("starved", (t) => t.replace("minFreeMemory: 60Gi", "minFreeMemory: 900Gi"));
    const r = await plan(["--stack", "starved", "--output", "json"], dir);
    assert.strictEqual(r.code, 5, r.stderr);
    const j = JSON.parse(r.stdout) as PlanJson;
    assert.strictEqual(j.decision, "blocked");
    assert.ok(j.violations.some((v) => v.policy === "readiness-gate" && v.enforcement === "mandatory"));
    assert.ok(!j.resources.some((x) => x.phase === "base"), "no base resources while blocked");
  });

  it("an unpinned image in lakehouse:images breaks pinned-images (mandatory): exit 5", async () => {
    const dir = stack("unpinned", (t) =>
      t.replace("metastore: apache/hive:4.0.0", "metastore: apache/hive:latest"),
    );
    const r = await plan(["--stack", "unpinned", "--output", "json"], dir);
    assert.strictEqual(r.code, 5, r.stderr);
    const j = JSON.parse(r.stdout) as PlanJson;
    const v = j.violations.find((x) => x.policy === "pinned-images");
    assert.ok(v, `no pinned-images violation in ${JSON.stringify(j.violations)}`);
    assert.strictEqual(v.enforcement, "mandatory");
    assert.match(v.message, /apache\/hive:latest/);
  });

  it("--policy-pack-config applies enforcement levels like CrossGuard's; an invalid one exits 2", async () => {
    const dir = stack("starved2", (t) => t.replace("minFreeMemory: 60Gi", "minFreeMemory: 900Gi"));
    fs.writeFileSync(
      path.join(dir, "pack.json"),
      JSON.stringify({ "readiness-gate": { enforcementLevel: "advisory" } }),
    );
    fs.writeFileSync(path.join(dir, "typo.json"), JSON.stringify({ "readiness-gaet": "advisory" }));
    const [relaxed, typo] = await Promise.all([
      plan(["--stack", "starved2", "--output", "json", "--policy-pack-config", "pack.json"], dir),
      plan(["--stack", "starved2", "--policy-pack-config", "typo.json"], dir),
    ]);
    assert.strictEqual(relaxed.code, 0, relaxed.stderr);
    const j = JSON.parse(relaxed.stdout) as PlanJson;
    assert.ok(j.violations.some((v) => v.policy === "readiness-gate" && v.enforcement === "advisory"));
    assert.strictEqual(typo.code, 2);
    assert.match(typo.stderr, /unknown policy 'readiness-gaet'/);
  });

  it("--output json shows each resource's inputs with secrets masked (npm run -s plan -- --from examples/anton)", async () => {
    const r = await npmPlan(["--from", "examples/anton", "--output", "json"]);
    assert.strictEqual(r.code, 0, r.stderr);
    const j = JSON.parse(r.stdout) as PlanJson;
    // The existing fields, unchanged; inputs added to each resource.
    assert.deepStrictEqual(Object.keys(j), [
      "stack",
      "from",
      "decision",
      "summary",
      "gates",
      "phases",
      "resources",
      "violations",
      "mandatoryViolations",
      "warnings",
    ]);
    for (const x of j.resources) {
      assert.deepStrictEqual(
        Object.keys(x).filter((k) => !["kubernetesName", "namespace"].includes(k)),
        ["phase", "type", "name", "urn", "inputs"],
      );
      assert.ok(!("__provider" in x.inputs), `${x.name}: no serialised provider`);
    }
    const byName = (n: string) => {
      const x = j.resources.find((y) => y.name === n);
      assert.ok(x, `resource ${n} in the plan`);
      return x.inputs;
    };
    // The rendered Hive Metastore configuration, as the ConfigMap will hold it.
    const conf = byName("hive-metastore-conf") as { kind: string; data: Record<string, string> };
    assert.strictEqual(conf.kind, "ConfigMap");
    const site = conf.data["metastore-site.xml"];
    assert.match(
      site,
      /<name>metastore\.warehouse\.dir<\/name>\s*<value>s3a:\/\/lakehouse-warehouse\/warehouse<\/value>/,
    );
    assert.match(site, /<name>fs\.s3a\.path\.style\.access<\/name>\s*<value>true<\/value>/);
    // The database Secret: its keys, never its values (the generated password is a Pulumi secret).
    const creds = byName("metastore-db-credentials") as { stringData: Record<string, string> };
    assert.deepStrictEqual(creds.stringData, {
      database: "[secret]",
      password: "[secret]",
      username: "[secret]",
    });
    // Credential env vars come from Secrets (references kept) or are masked.
    const env =
      JSON.stringify(j.resources.map((x) => x.inputs)).match(
        /\{"name":"[A-Z_]*(PASSWORD|SECRET_ACCESS_KEY)"[^}]*\}/g,
      ) ?? [];
    assert.ok(env.length >= 3, `credential env vars: ${env.join(" ")}`);
    for (const e of env) assert.match(e, /"valueFrom":\{"secretKeyRef"|"value":"\[secret\]"/, e);
    // The jq examples of docs/program.md, on this output.
    const doc = fs.readFileSync(path.join(ROOT, "docs/program.md"), "utf8");
    const jqs = [...doc.matchAll(/^npm run -s plan -- --output json \| (jq .+)$/gm)].map((m) => m[1]);
    assert.strictEqual(jqs.length, 2, "the two jq examples of docs/program.md");
    const [siteOut, credsOut] = jqs.map((cmd) =>
      execFileSync("bash", ["-c", cmd], { input: r.stdout, encoding: "utf8" }),
    );
    assert.strictEqual(siteOut, site + "\n");
    assert.deepStrictEqual(JSON.parse(credsOut), creds.stringData);
    // The generated password (32 random bytes, base64url: 43 characters, mixed case) appears nowhere. Mixed
    // case tells it from a 43-character lower-case identifier such as kube_pod_container_status_terminated_reason.
    const password =
      /(?<![A-Za-z0-9_-])(?=[A-Za-z0-9_-]{0,42}[A-Z])(?=[A-Za-z0-9_-]{0,42}[a-z])[A-Za-z0-9_-]{43}(?![A-Za-z0-9_-])/;
    assert.doesNotMatch(r.stdout, password);
    assert.doesNotMatch(r.stderr, password);
  });

  it("under npm run, relative --from and --policy-pack-config are taken from the folder npm was started in", async function () {
    this.timeout(300_000); // three plans at once on a shared 2-core machine
    const sub = path.join(ROOT, "examples", "anton");
    const [ok, table, missing] = await Promise.all([
      npmPlan(
        [
          "--from",
          "cluster.json",
          "--from",
          "metrics.json",
          "--policy-pack-config",
          "../../policy-pack/config.example.json",
          "--output",
          "json",
        ],
        sub,
      ),
      npmPlan(["--from", "."], sub),
      npmPlan(["--from", "nope.json"], sub),
    ]);
    assert.strictEqual(ok.code, 0, ok.stderr);
    const j = JSON.parse(ok.stdout) as { stack: string; from: string[]; decision: string };
    assert.deepStrictEqual(j.from, [path.join(sub, "cluster.json"), path.join(sub, "metrics.json")]);
    assert.strictEqual(j.stack, "anton", "the stack file is still the project's");
    assert.strictEqual(j.decision, "ready");
    assert.strictEqual(table.code, 0, table.stderr);
    assert.match(table.stdout, /^Stack anton \(offline preview of \.\)$/m);
    assert.strictEqual(missing.code, 2);
    assert.match(
      missing.stderr,
      new RegExp(
        `--from: file nope\\.json does not exist \\(looked for ${path.join(sub, "nope.json").replace(/[.]/g, "\\.")}\\)`,
      ),
    );
  });

  it("invalid input exits 2 with a message naming the problem", async () => {
    const format = await plan(["--output", "xml"]);
    assert.strictEqual(format.code, 2);
    assert.match(format.stderr, /--output: "xml" is not a format; expected table or json/);

    const missing = await plan(["--from", path.join(tmp, "nope.json")]);
    assert.strictEqual(missing.code, 2);
    assert.match(missing.stderr, /nope\.json does not exist/);

    const dir = stack("bad", (t) => t.replace("maxUtilizationPercent: 70", "maxUtilizationPercent: 150"));
    const bad = await plan(["--stack", "bad"], dir);
    assert.strictEqual(bad.code, 2);
    assert.match(bad.stderr, /lakehouse:thresholds\.maxUtilizationPercent/);
    assert.match(bad.stderr, /saw 150/);
    assert.strictEqual(bad.stdout, "");
  });
});
