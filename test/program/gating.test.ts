/**
 * The phase registry and gating (pure), and the Readiness provider's logic (tested directly: under mocks a
 * dynamic provider does not run).
 */
import * as assert from "assert";
import { parseConfig } from "../../preflight/config/load";
import type { CheckResult, Phase, Report } from "../../preflight/model";
import { closedGateWarning, PHASE_DEFINITIONS, planPhases, readinessFailure } from "../../program";
import { changedFields, lostPhasesError, readinessProvider } from "../../program/readiness";
import type { PhaseDefinition } from "../../stacks/types";

const defs: PhaseDefinition[] = (["foundation", "compute", "analytics"] as Phase[]).map((phase) => ({
  phase,
  title: phase,
  deploy: () => ({ resources: [] }),
}));

function check(id: string, status: CheckResult["status"], gates: Phase[]): CheckResult {
  return {
    id,
    title: id,
    category: "prerequisite",
    status,
    severity: "critical",
    critical: true,
    observed: `${id} observed`,
    expected: "x",
    remediation: status === "pass" ? "" : `repair ${id}`,
    gates,
  };
}

function report(decision: Report["decision"], closed: Partial<Record<Phase, string[]>> = {}): Report {
  const gate = (phase: Phase) => ({
    phase,
    open: !closed[phase],
    blockedBy: closed[phase] ?? [],
    reason: closed[phase] ? `closed: ${closed[phase]!.join(", ")} failed` : "open",
  });
  const ids = [...new Set(Object.values(closed).flat())];
  return {
    schemaVersion: 1,
    generatedAt: "2026-11-25T00:00:00Z",
    mode: "offline",
    origin: "test",
    stack: "anton",
    decision,
    summary: `summary ${decision}`,
    triggersMet: ["trigger.s3-storage"],
    blocking: decision === "blocked" ? ids : [],
    warnings: [],
    checks: ids.map((id) => check(id, "fail", ["foundation"])),
    gates: { foundation: gate("foundation"), compute: gate("compute"), analytics: gate("analytics") },
    decisionMatrix: [],
    capacity: null,
  };
}

describe("stacks registry and gating", () => {
  const cfg = parseConfig({}, "test");

  it("registers only phases that have components, in phase order", () => {
    const phases = PHASE_DEFINITIONS.map((d) => d.phase);
    assert.deepStrictEqual(
      phases,
      phases
        .slice()
        .sort(
          (a, b) =>
            ["foundation", "compute", "analytics"].indexOf(a) -
            ["foundation", "compute", "analytics"].indexOf(b),
        ),
    );
    for (const d of PHASE_DEFINITIONS) assert.strictEqual(typeof d.deploy, "function");
  });

  it("deploys every enabled phase when ready and all gates are open", () => {
    assert.deepStrictEqual(
      planPhases(cfg, report("ready"), defs).map((p) => p.action),
      ["deploy", "deploy", "deploy"],
    );
  });

  it("holds every phase when blocked, naming the blocking checks", () => {
    const plan = planPhases(cfg, report("blocked", { foundation: ["prereq.airflow"] }), defs);
    assert.deepStrictEqual(
      plan.map((p) => [p.action, p.blockedBy]),
      [
        ["gate-closed", ["prereq.airflow"]],
        ["gate-closed", ["prereq.airflow"]],
        ["gate-closed", ["prereq.airflow"]],
      ],
    );
  });

  it("holds every phase when no trigger is met", () => {
    const plan = planPhases(cfg, report("not-needed"), defs);
    assert.ok(plan.every((p) => p.action === "gate-closed" && /no trigger/.test(p.reason)));
  });

  it("a closed middle gate holds that phase and the later ones; a disabled phase is skipped, not held", () => {
    const closed = planPhases(cfg, report("ready", { compute: ["risk.resource-contention"] }), defs);
    assert.deepStrictEqual(
      closed.map((p) => p.action),
      ["deploy", "gate-closed", "gate-closed"],
    );
    assert.match(closed[2].reason, /earlier phase compute/);
    const off = parseConfig({ phases: { compute: false } }, "test");
    assert.deepStrictEqual(
      planPhases(off, report("ready"), defs).map((p) => p.action),
      ["deploy", "disabled", "deploy"],
    );
  });

  it("a phase without a definition does not appear", () => {
    assert.deepStrictEqual(
      planPhases(cfg, report("ready"), defs.slice(0, 1)).map((p) => p.phase),
      ["foundation"],
    );
  });

  it("the closed-gate warning names the check, what was seen and the fix", () => {
    const r = report("blocked", { foundation: ["prereq.airflow"] });
    const w = closedGateWarning(planPhases(cfg, r, defs)[0], r);
    assert.match(
      w,
      /^Phase foundation \(foundation\) is not deployed: the verdict is blocked by prereq.airflow\./,
    );
    assert.match(w, /prereq\.airflow \(fail\): prereq\.airflow observed\. Fix: repair prereq\.airflow/);
  });

  it("the up failure names the decision, each blocking check with its fix, and how to tear down on purpose", () => {
    const msg = readinessFailure(report("blocked", { foundation: ["prereq.airflow", "prereq.gitops"] }));
    assert.match(msg, /Readiness is "blocked" at update time \(blocked by prereq.airflow, prereq.gitops\)/);
    assert.match(msg, /prereq\.gitops \(fail\): .*Fix: repair prereq\.gitops/);
    assert.match(msg, /pulumi destroy/);
    assert.match(readinessFailure(report("not-needed")), /no trigger condition is met/);
  });
});

describe("Readiness provider", () => {
  const base = {
    marker: "lakehouse.dev/readiness/v1",
    decision: "ready",
    gates: { foundation: { open: true, blockedBy: [] } },
    deployedPhases: ["foundation"],
    disabledPhases: [],
    blocking: [],
  };

  it("changedFields lists the top-level fields that differ, ignoring the serialised provider", () => {
    assert.deepStrictEqual(changedFields({ ...base, __provider: "a" }, { ...base, __provider: "b" }), []);
    assert.deepStrictEqual(changedFields(base, { ...base, decision: "blocked", warnings: ["x"] }), [
      "decision",
      "warnings",
    ]);
  });

  it("diff reports changes (never a replacement) and the unchanged fields as stable", async () => {
    const d = await readinessProvider.diff!("readiness", base, { ...base, decision: "blocked" });
    assert.strictEqual(d.changes, true);
    assert.deepStrictEqual(d.replaces, []);
    assert.ok(d.stables!.includes("gates") && !d.stables!.includes("decision"));
    assert.strictEqual((await readinessProvider.diff!("readiness", base, { ...base })).changes, false);
  });

  it("create and update store the inputs as outputs", async () => {
    assert.deepStrictEqual(await readinessProvider.create(base), { id: "readiness", outs: base });
    const next = { ...base, deployedPhases: ["foundation", "compute"] };
    assert.deepStrictEqual(await readinessProvider.update!("readiness", base, next), { outs: next });
  });

  it("update refuses to drop a deployed phase whose gate closed, naming the checks and the fix", async () => {
    const news = {
      ...base,
      gates: { foundation: { open: false, blockedBy: ["state.ceph-health"] } },
      deployedPhases: [],
      blocking: [
        { id: "state.ceph-health", status: "fail", observed: "HEALTH_ERR", remediation: "repair the OSDs" },
      ],
    };
    await assert.rejects(
      () => Promise.resolve(readinessProvider.update!("readiness", base, news)),
      /phase\(s\) foundation were deployed .*blocked by state\.ceph-health.*Fix: state\.ceph-health: repair the OSDs/,
    );
  });

  it("dropping a phase the operator disabled is intended, not drift", () => {
    assert.strictEqual(
      lostPhasesError(
        base as never,
        { ...base, deployedPhases: [], disabledPhases: ["foundation"] } as never,
      ),
      undefined,
    );
    assert.strictEqual(lostPhasesError({} as never, base as never), undefined);
  });
});
