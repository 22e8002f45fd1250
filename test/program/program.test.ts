/**
 * The real program (index.ts) under Pulumi's mock runtime with the fixture snapshots (offline preflight), one
 * child process per run so each gets a fresh Pulumi runtime. Asserts what is registered, in which order, what is
 * logged, and what fails.
 */
import * as assert from "assert";
import { execFile } from "child_process";
import * as fs from "fs";
import { createRequire } from "module";
import * as os from "os";
import * as path from "path";
import type * as pulumi from "@pulumi/pulumi";
import { parseYamlText } from "../../preflight/config/load";
import type { MockRunResult, RecordedResource } from "../../plan/mockrun";

const ROOT = path.resolve(__dirname, "../..");
const HEALTHY = ["cluster.json", "metrics.json"].map((f) => path.join(ROOT, "test/fixtures/healthy", f));

function antonConfig(): Record<string, unknown> {
  const file = path.join(ROOT, "Pulumi.anton.yaml");
  return (parseYamlText(fs.readFileSync(file, "utf8"), file) as { config: Record<string, unknown> }).config;
}

interface RunArgs {
  preview: boolean;
  config?: Record<string, unknown>;
  files?: string[];
  fakePhases?: boolean;
  closeGate?: { phase: string; check: string };
}

// Each run is a child process (a fresh Pulumi runtime) that mostly waits on ts-node: runs are memoised by their
// arguments, started together in the suite's `before`, and at most CONCURRENCY run at once.
const CONCURRENCY = 3;
const cache = new Map<string, Promise<MockRunResult>>();
let running = 0;
const waiting: (() => void)[] = [];
async function slot<T>(fn: () => Promise<T>): Promise<T> {
  if (running >= CONCURRENCY) await new Promise<void>((ok) => waiting.push(ok));
  running++;
  try {
    return await fn();
  } finally {
    running--;
    waiting.shift()?.();
  }
}

function run(a: RunArgs): Promise<MockRunResult> {
  const config = { ...(a.config ?? antonConfig()), "lakehouse:snapshotFiles": a.files ?? HEALTHY };
  const payload = JSON.stringify({
    stack: "anton",
    preview: a.preview,
    config,
    fakePhases: a.fakePhases,
    closeGate: a.closeGate,
  });
  let p = cache.get(payload);
  if (!p) {
    p = slot(() => spawnRun(payload));
    p.catch(() => undefined); // observed by the test that awaits it
    cache.set(payload, p);
  }
  return p;
}

function spawnRun(payload: string): Promise<MockRunResult> {
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      ["-r", "ts-node/register/transpile-only", path.join(__dirname, "run-program.ts"), payload],
      {
        cwd: ROOT,
        maxBuffer: 64 * 1024 * 1024,
        env: { ...process.env, TS_NODE_PROJECT: path.join(ROOT, "tsconfig.json") },
      },
      (err, stdout, stderr) => {
        if (err) return reject(new Error(`run-program failed: ${err.message}\n${stderr}`));
        resolve(JSON.parse(stdout) as MockRunResult);
      },
    );
  });
}

/** The stack outputs as the tests read them. */
interface Outputs {
  decision: string;
  gates: Record<string, { open: boolean; blockedBy: string[] }>;
  phases: Record<string, string>;
  deployedPhases: string[];
  blocking: { id: string; remediation: string }[];
}
const outputs = (r: MockRunResult) => r.outputs as unknown as Outputs;
const byType = (r: MockRunResult, type: string) => r.resources.filter((x) => x.type === type);
const one = (r: MockRunResult, type: string, name: string): RecordedResource => {
  const found = r.resources.find((x) => x.type === type && x.name === name);
  assert.ok(
    found,
    `${type} ${name} was not registered; got ${r.resources.map((x) => `${x.type} ${x.name}`).join(", ")}`,
  );
  return found;
};
const READINESS = "pulumi-nodejs:dynamic/lakehouse:Readiness";
/** Dependencies on a component expand to its children, so "after phase P" = depends on something under P's component. */
const dependsOnPhase = (r: RecordedResource, phase: string) =>
  r.dependencies.some((u) => (u.split("::")[2] ?? "").startsWith(`lakehouse:${phase}:`));
const warnings = (r: MockRunResult) => r.logs.filter((l) => l.severity === "warning").map((l) => l.message);

const CLOSE_COMPUTE: RunArgs = {
  preview: true,
  fakePhases: true,
  closeGate: { phase: "compute", check: "risk.resource-contention" },
};
const COMPUTE_OFF = (): RunArgs => ({
  preview: true,
  fakePhases: true,
  config: { ...antonConfig(), "lakehouse:phases": { foundation: true, compute: false, analytics: true } },
});
const BAD_VALUE = (): RunArgs => ({
  preview: true,
  config: { ...antonConfig(), "lakehouse:thresholds": { maxUtilizationPercent: 150 } },
});
const BAD_KEY = (): RunArgs => ({
  preview: true,
  config: { ...antonConfig(), "lakehouse:platfrom": { namespace: "x" } },
});

describe("program (index.ts) under mocks", function () {
  this.timeout(180_000);
  let tmp: string;
  let blockedFiles: string[];

  before(() => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), "lakehouse-program-"));
    // The healthy snapshot with Airflow's HelmRelease failing: prereq.airflow (critical) fails.
    const cluster = JSON.parse(fs.readFileSync(HEALTHY[0], "utf8")) as {
      items: { kind: string; metadata: { name: string }; status: { conditions: unknown[] } }[];
    };
    const hr = cluster.items.find((i) => i.kind === "HelmRelease" && i.metadata.name === "airflow");
    assert.ok(hr, "the healthy fixture has the airflow HelmRelease");
    hr.status.conditions = [
      {
        type: "Ready",
        status: "False",
        reason: "UpgradeFailed",
        message: "Helm upgrade failed: timed out waiting for the condition",
      },
    ];
    fs.writeFileSync(path.join(tmp, "cluster.json"), JSON.stringify(cluster));
    blockedFiles = [path.join(tmp, "cluster.json"), HEALTHY[1]];
    for (const c of cases()) void run(c);
  });
  after(() => fs.rmSync(tmp, { recursive: true, force: true }));

  /** Every run of this suite, started together (memoised: the tests get the same promises). */
  function cases(): RunArgs[] {
    return [
      { preview: true, fakePhases: true },
      { preview: false, fakePhases: true },
      { preview: true, fakePhases: true, files: blockedFiles },
      { preview: false, fakePhases: true, files: blockedFiles },
      CLOSE_COMPUTE,
      COMPUTE_OFF(),
      BAD_VALUE(),
      BAD_KEY(),
      { preview: true },
    ];
  }

  describe("ready verdict", () => {
    let preview: MockRunResult;
    let up: MockRunResult;
    before(async () => {
      [preview, up] = await Promise.all([
        run({ preview: true, fakePhases: true }),
        run({ preview: false, fakePhases: true }),
      ]);
    });

    it("records the Readiness resource with readinessState(report) plus the phases it deploys", () => {
      assert.strictEqual(preview.error, undefined);
      const r = one(preview, READINESS, "readiness");
      assert.strictEqual(r.inputs.marker, "lakehouse.dev/readiness/v1");
      assert.strictEqual(r.inputs.decision, "ready");
      assert.strictEqual(r.inputs.mode, "offline");
      assert.deepStrictEqual(r.inputs.deployedPhases, ["foundation", "compute", "analytics"]);
      assert.deepStrictEqual(r.inputs.disabledPhases, []);
      assert.deepStrictEqual(r.inputs.blocking, []);
      // The provider was serialised (a capture that cannot be serialised would have failed the run).
      assert.strictEqual(typeof r.inputs.__provider, "string");
      assert.ok((r.inputs.__provider as string).length > 100);
    });

    it("the serialised Readiness provider runs on its own, as the engine loads it: diff and the drift guard", async () => {
      const r = one(preview, READINESS, "readiness");
      // The engine evaluates this text in its own process; from a temp dir nothing of the project resolves.
      const file = path.join(tmp, "readiness-provider.js");
      fs.writeFileSync(file, r.inputs.__provider as string);
      const load = createRequire(__filename);
      const provider = (load(file) as { handler: () => Required<pulumi.dynamic.ResourceProvider> }).handler();
      const { __provider: _p, ...olds } = r.inputs;
      assert.strictEqual((await provider.diff("readiness", olds, { ...olds })).changes, false);
      const closed = {
        ...olds,
        deployedPhases: ["foundation"],
        gates: {
          ...(olds.gates as object),
          compute: { open: false, blockedBy: ["risk.resource-contention"] },
        },
      };
      const d = await provider.diff("readiness", olds, closed);
      assert.strictEqual(d.changes, true);
      await assert.rejects(
        () => Promise.resolve(provider.update("readiness", olds, closed)),
        /phase\(s\) compute, analytics were deployed .*blocked by risk\.resource-contention/,
      );
      assert.deepStrictEqual(await provider.update("readiness", olds, { ...olds }), { outs: olds });
    });

    it("registers the platform base after the Readiness resource", () => {
      const readiness = one(preview, READINESS, "readiness");
      const base = one(preview, "lakehouse:base:PlatformBase", "lakehouse");
      assert.ok(base.dependencies.includes(readiness.urn), "base dependsOn readiness");
      const ns = one(preview, "kubernetes:core/v1:Namespace", "lakehouse-namespace");
      assert.strictEqual(ns.parent, base.urn);
      assert.strictEqual((ns.inputs.metadata as { name: string }).name, "lakehouse");
      assert.strictEqual(byType(preview, "kubernetes:networking.k8s.io/v1:NetworkPolicy").length, 8);
      assert.strictEqual(byType(preview, "kubernetes:scheduling.k8s.io/v1:PriorityClass").length, 2);
    });

    it("registers each open gate's phase in order, each after the previous one, the base and Readiness", () => {
      const urn = (phase: string) => one(preview, `lakehouse:${phase}:Marker`, `${phase}-marker`);
      const readiness = one(preview, READINESS, "readiness").urn;
      const quota = one(preview, "kubernetes:core/v1:ResourceQuota", "lakehouse-quota").urn;
      assert.ok(urn("foundation").dependencies.includes(readiness));
      assert.ok(urn("foundation").dependencies.includes(quota));
      assert.ok(dependsOnPhase(urn("compute"), "foundation"));
      assert.ok(dependsOnPhase(urn("analytics"), "compute"));
      assert.ok(!dependsOnPhase(urn("foundation"), "compute"));
    });

    it("outputs the decision, every gate, what each phase did and no blocking checks", () => {
      const o = outputs(preview);
      assert.strictEqual(o.decision, "ready");
      assert.deepStrictEqual(Object.keys(o.gates), ["foundation", "compute", "analytics"]);
      for (const g of Object.values(o.gates) as { open: boolean }[]) assert.strictEqual(g.open, true);
      assert.deepStrictEqual(o.phases, { foundation: "deploy", compute: "deploy", analytics: "deploy" });
      assert.deepStrictEqual(o.deployedPhases, ["foundation", "compute", "analytics"]);
      assert.deepStrictEqual(o.blocking, []);
    });

    it("runs the assessment in preview and in up, and both plan the same resources", () => {
      assert.ok(preview.logs.some((l) => l.message.startsWith("Assessing readiness (offline, preview)")));
      assert.ok(up.logs.some((l) => l.message.startsWith("Assessing readiness (offline) ")));
      assert.ok(
        warnings(up).some((m) =>
          m.startsWith("lakehouse:snapshotFiles is set: this update trusts a saved snapshot"),
        ),
      );
      assert.ok(!warnings(preview).some((m) => m.startsWith("lakehouse:snapshotFiles")));
      assert.strictEqual(up.error, undefined);
      const names = (r: MockRunResult) => r.resources.map((x) => x.urn).sort();
      assert.deepStrictEqual(names(up), names(preview));
    });
  });

  describe("blocked verdict", () => {
    let preview: MockRunResult;
    let up: MockRunResult;
    before(async () => {
      [preview, up] = await Promise.all([
        run({ preview: true, fakePhases: true, files: blockedFiles }),
        run({ preview: false, fakePhases: true, files: blockedFiles }),
      ]);
    });

    it("preview registers only the Readiness resource: no base, no phase", () => {
      assert.strictEqual(preview.error, undefined);
      assert.deepStrictEqual(
        preview.resources.map((r) => r.type),
        [READINESS],
      );
      const r = one(preview, READINESS, "readiness");
      assert.strictEqual(r.inputs.decision, "blocked");
      assert.deepStrictEqual(r.inputs.deployedPhases, []);
      const blocking = r.inputs.blocking as { id: string; remediation: string }[];
      assert.ok(blocking.some((b) => b.id === "prereq.airflow" && b.remediation.length > 0));
    });

    it("warns for each registered phase, naming the blocking check, what was seen and the fix", () => {
      const w = warnings(preview);
      for (const phase of ["foundation", "compute", "analytics"]) {
        const msg = w.find((m) => m.startsWith(`Phase ${phase} `));
        assert.ok(msg, `no warning for ${phase}: ${w.join(" | ")}`);
        assert.match(msg, /prereq\.airflow \(fail\): .*Fix: /);
      }
    });

    it("outputs the blocked decision, closed gates and the blocking checks with their remediation", () => {
      const o = outputs(preview);
      assert.strictEqual(o.decision, "blocked");
      assert.strictEqual(o.gates.foundation.open, false);
      assert.ok(o.gates.foundation.blockedBy.includes("prereq.airflow"));
      assert.deepStrictEqual(o.deployedPhases, []);
      assert.ok(
        o.blocking.some(
          (b: { id: string; remediation: string }) => b.id === "prereq.airflow" && b.remediation,
        ),
      );
    });

    it("up fails before registering anything, naming the blocking checks and why it refuses", () => {
      assert.ok(up.error, "up must fail");
      assert.match(up.error.message, /Readiness is "blocked" at update time/);
      assert.match(up.error.message, /prereq\.airflow \(fail\)/);
      assert.match(up.error.message, /delete every phase an earlier update deployed/);
      assert.deepStrictEqual(up.resources, []);
    });
  });

  it("a closed gate keeps its phase and every later one out, with a warning; earlier phases deploy", async () => {
    const r = await run(CLOSE_COMPUTE);
    assert.strictEqual(r.error, undefined);
    assert.ok(r.resources.some((x) => x.type === "lakehouse:foundation:Marker"));
    assert.ok(!r.resources.some((x) => x.type === "lakehouse:compute:Marker"));
    assert.ok(!r.resources.some((x) => x.type === "lakehouse:analytics:Marker"));
    const w = warnings(r);
    assert.ok(w.some((m) => m.startsWith("Phase compute ") && m.includes("risk.resource-contention")));
    assert.ok(w.some((m) => m.startsWith("Phase analytics ") && m.includes("earlier phase compute")));
    assert.deepStrictEqual(outputs(r).phases, {
      foundation: "deploy",
      compute: "gate-closed",
      analytics: "gate-closed",
    });
  });

  it("a phase switched off in lakehouse:phases is skipped; the next one follows the previous deployed phase", async () => {
    const r = await run(COMPUTE_OFF());
    const a = one(r, "lakehouse:analytics:Marker", "analytics-marker");
    assert.ok(!r.resources.some((x) => x.type === "lakehouse:compute:Marker"));
    assert.ok(dependsOnPhase(a, "foundation"));
    assert.deepStrictEqual(one(r, READINESS, "readiness").inputs.disabledPhases, ["compute"]);
  });

  it("an invalid config value fails the program with a message naming the key, the value seen and what is expected", async () => {
    const r = await run(BAD_VALUE());
    assert.strictEqual(r.error?.name, "InputError");
    assert.match(r.error!.message, /lakehouse:thresholds\.maxUtilizationPercent/);
    assert.match(r.error!.message, /saw 150/);
    assert.match(r.error!.message, /100/);
    assert.deepStrictEqual(r.resources, []);
  });

  it("an unknown config key is rejected by name", async () => {
    const r = await run(BAD_KEY());
    assert.strictEqual(r.error?.name, "InputError");
    assert.match(r.error!.message, /"platfrom"/);
  });

  it("with the registered phases only (no test phases), the program plans the base and the real registry", async () => {
    const r = await run({ preview: true });
    assert.strictEqual(r.error, undefined);
    assert.strictEqual(outputs(r).decision, "ready");
    assert.ok(r.resources.some((x) => x.type === "lakehouse:base:PlatformBase"));
    assert.ok(!r.resources.some((x) => x.type.endsWith(":Marker")));
  });

  it("the registry attaches one Verification per verifiable phase, after that phase's components", async function () {
    this.timeout(600_000);
    const r = await run({ preview: true });
    assert.strictEqual(r.error, undefined);
    const { PHASE_DEFINITIONS } = await import("../../program");
    const registered = PHASE_DEFINITIONS.map((d) => d.phase);
    const verifications = r.resources.filter(
      (x) => x.type === "pulumi-nodejs:dynamic/lakehouse:Verification",
    );
    assert.deepStrictEqual(
      verifications.map((v) => v.name).sort(),
      registered.map((p) => `${p}-verify`).sort(),
    );
    for (const v of verifications) {
      const phase = v.name.replace(/-verify$/, "");
      assert.strictEqual(v.inputs.phase, phase);
      // In preview the phase's `ready` outputs are unknown, so the checks never run (mode is unknown or skipped).
      assert.notStrictEqual(v.inputs.mode, "verified", "preview verifies nothing");
      assert.ok(dependsOnPhase(v, phase), `${v.name} comes after the ${phase} components`);
    }
  });
});
