/**
 * `npm run plan` end to end, as a child process: the JSON contract, the table, and the exit codes
 * (0 no mandatory violation, 5 a mandatory violation, 2 invalid input).
 */
import * as assert from "assert";
import { execFile } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";

const ROOT = path.resolve(__dirname, "../..");
const ANTON = fs.readFileSync(path.join(ROOT, "Pulumi.anton.yaml"), "utf8");

function plan(args: string[], cwd = ROOT): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ["-r", require.resolve("ts-node/register/transpile-only"), path.join(ROOT, "plan/main.ts"), ...args],
      {
        cwd,
        maxBuffer: 64 * 1024 * 1024,
        env: { ...process.env, TS_NODE_PROJECT: path.join(ROOT, "tsconfig.json") },
      },
      (err, stdout, stderr) => resolve({ code: err ? Number(err.code ?? 1) : 0, stdout, stderr }),
    );
  });
}

interface PlanJson {
  decision: string;
  gates: Record<string, { open: boolean; blockedBy: string[] }>;
  resources: { phase: string; type: string; name: string; namespace?: string }[];
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
