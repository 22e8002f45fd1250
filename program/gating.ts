/**
 * The gating: which registered phase deploys in this run, the warnings and the failure that say why one does
 * not, and the registration of the phases the plan deploys. The program (index.ts) decides nothing itself: which
 * phase is deployed follows from the report (verdict + gates), `lakehouse:phases`, and the registry.
 */
import * as pulumi from "@pulumi/pulumi";
import type { LakehouseConfig } from "../preflight/config/schema";
import { PHASES, type Phase, type Report } from "../preflight/model";
import type { PhaseDefinition, PlatformBaseRefs } from "../stacks/types";
import { PHASE_DEFINITIONS } from "./registry";

/** What happens to one registered phase in this run. */
export interface PhasePlan {
  phase: Phase;
  title: string;
  /**
   * - `deploy`: verdict ready, gate open, enabled, and every earlier enabled phase deploys too.
   * - `gate-closed`: its gate (or the verdict, or an earlier phase's gate) keeps it out.
   * - `disabled`: `lakehouse:phases.<phase>` is false.
   */
  action: "deploy" | "gate-closed" | "disabled";
  /** Ids of the checks that keep it out (empty when deployed or disabled). */
  blockedBy: string[];
  /** One sentence for logs and outputs. */
  reason: string;
}

/** Decides, per registered phase, whether it deploys. Pure. */
export function planPhases(
  config: LakehouseConfig,
  report: Report,
  definitions: readonly PhaseDefinition[] = PHASE_DEFINITIONS,
): PhasePlan[] {
  const byPhase = new Map(definitions.map((d) => [d.phase, d]));
  const out: PhasePlan[] = [];
  // Phases are ordered: a later phase never deploys while an earlier enabled one is held back.
  let heldBy: { phase: Phase; blockedBy: string[] } | undefined;
  for (const phase of PHASES) {
    const def = byPhase.get(phase);
    if (!def) continue;
    const gate = report.gates[phase];
    if (!config.phases[phase]) {
      out.push({
        phase,
        title: def.title,
        action: "disabled",
        blockedBy: [],
        reason: `lakehouse:phases.${phase} is false`,
      });
      continue;
    }
    let blockedBy: string[] = [];
    let reason = "";
    if (report.decision !== "ready") {
      blockedBy = report.blocking.length > 0 ? [...report.blocking] : [...gate.blockedBy];
      reason =
        report.decision === "not-needed"
          ? "the verdict is not-needed: no trigger condition is met"
          : `the verdict is blocked${blockedBy.length ? ` by ${blockedBy.join(", ")}` : ""}`;
    } else if (!gate.open) {
      blockedBy = [...gate.blockedBy];
      reason = `its gate is closed${blockedBy.length ? ` by ${blockedBy.join(", ")}` : ""}${gate.reason ? ` (${gate.reason})` : ""}`;
    } else if (heldBy) {
      blockedBy = [...heldBy.blockedBy];
      reason = `the earlier phase ${heldBy.phase} is not deployed`;
    }
    if (reason) {
      out.push({ phase, title: def.title, action: "gate-closed", blockedBy, reason });
      heldBy ??= { phase, blockedBy };
    } else {
      out.push({ phase, title: def.title, action: "deploy", blockedBy: [], reason: "gate open" });
    }
  }
  return out;
}

/** The warning for a phase kept out by a gate: names the checks, what was seen and what to do. */
export function closedGateWarning(plan: PhasePlan, report: Report): string {
  const byId = new Map(report.checks.map((c) => [c.id, c]));
  const details = plan.blockedBy.map((id) => {
    const c = byId.get(id);
    if (!c) return `  - ${id}`;
    return `  - ${id} (${c.status}): ${c.observed.replace(/\.$/, "")}${c.remediation ? `. Fix: ${c.remediation}` : ""}`;
  });
  return [`Phase ${plan.phase} (${plan.title}) is not deployed: ${plan.reason}.`, ...details].join("\n");
}

interface DeployContext {
  readonly config: LakehouseConfig;
  readonly report: Report;
  readonly base: PlatformBaseRefs;
  /** The Readiness resource: every phase comes after it. */
  readonly readiness: pulumi.Resource;
  readonly plan: readonly PhasePlan[];
  readonly definitions?: readonly PhaseDefinition[];
}

/**
 * Registers the phases the plan deploys, in order, each with `dependsOn` the previous phase's top-level
 * resources (plus the base and the Readiness resource). Phases kept out register nothing: their closed-gate
 * warning is logged by the caller.
 */
export function deployPhases(ctx: DeployContext): Partial<Record<Phase, pulumi.Resource[]>> {
  const defs = new Map((ctx.definitions ?? PHASE_DEFINITIONS).map((d) => [d.phase, d]));
  const deployed: Partial<Record<Phase, pulumi.Resource[]>> = {};
  let previous: pulumi.Resource[] = [];
  for (const p of ctx.plan) {
    if (p.action !== "deploy") continue;
    const def = defs.get(p.phase);
    if (!def) continue;
    pulumi.log.info(`Deploying phase ${p.phase} (${def.title}).`);
    const { resources } = def.deploy({
      config: ctx.config,
      report: ctx.report,
      base: ctx.base,
      dependsOn: [ctx.readiness, ...ctx.base.resources, ...previous],
    });
    deployed[p.phase] = resources;
    previous = resources;
  }
  return deployed;
}

/** The error that fails `pulumi up` when the verdict is not `ready`: names the blocking checks and their fixes. */
export function readinessFailure(report: Report): string {
  const byId = new Map(report.checks.map((c) => [c.id, c]));
  const lines = report.blocking.map((id) => {
    const c = byId.get(id);
    return c
      ? `  - ${id} (${c.status}): ${c.observed.replace(/\.$/, "")}${c.remediation ? `. Fix: ${c.remediation}` : ""}`
      : `  - ${id}`;
  });
  const why =
    report.decision === "not-needed"
      ? "no trigger condition is met, so there is nothing to deploy"
      : `blocked by ${report.blocking.length ? report.blocking.join(", ") : "a critical check"}`;
  return [
    `Readiness is "${report.decision}" at update time (${why}). The update is stopped before any change: ` +
      `continuing would delete every phase an earlier update deployed. ${report.summary}`,
    ...lines,
    `Fix the checks above and run \`pulumi up\` again (\`npm run preflight -- --stack ${report.stack ?? "<stack>"}\` ` +
      "shows the full report). To tear the platform down on purpose, run `pulumi destroy`.",
  ].join("\n");
}
