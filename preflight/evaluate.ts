/**
 * Facts -> check results -> decision, gates and decision matrix. Pure: the same facts and config always give
 * the same report (time comes in through `now`).
 *
 * - decision: `not-needed` when no trigger is met (and, if some trigger is undetermined, the cluster could be
 *   assessed); else `blocked` when any critical check is `fail` or
 *   `unknown` (fail closed); else `ready`.
 * - gates: a phase is closed when the decision is not `ready`, or when a check that gates this phase or an
 *   earlier one fails (critical checks also when `unknown`). A check may narrow the phases it closes with
 *   `data.closes` (the resource-contention risk closes only the first phase that does not fit and later ones).
 */
import { CHECKS } from "./checks";
import type { CheckDefinition } from "./checks/types";
import type { LakehouseConfig } from "./config/schema";
import type {
  CapacitySummary,
  CheckResult,
  Decision,
  DecisionMatrixRow,
  Facts,
  Gate,
  Phase,
  Report,
} from "./model";
import { PHASES } from "./model";
import { formatBytes, parseBytes } from "./quantity";

interface EvaluateOptions {
  config: LakehouseConfig;
  stack: string | null;
  now?: Date;
}

/** Runs one check; a check that throws becomes `unknown` with the error's message, never a crash. */
export function runCheck(
  def: CheckDefinition,
  facts: Facts,
  config: LakehouseConfig,
  now: Date,
): CheckResult {
  const critical = typeof def.critical === "function" ? def.critical(config) : def.critical;
  const head = {
    id: def.id,
    title: def.title,
    category: def.category,
    severity: def.severity,
    critical,
    gates: [...def.gates],
  };
  try {
    const o = def.evaluate(facts, { config, now });
    const result: CheckResult = {
      ...head,
      severity: o.severity ?? def.severity,
      status: o.status,
      observed: o.observed,
      expected: o.expected,
      remediation: o.status === "pass" ? "" : o.remediation,
    };
    if (def.category === "trigger")
      result.met = o.met ?? (o.status === "pass" ? true : o.status === "fail" ? false : null);
    if (o.data) result.data = o.data;
    return result;
  } catch (e) {
    const msg = e instanceof Error ? e.message : String(e);
    return {
      ...head,
      status: "unknown",
      ...(def.category === "trigger" ? { met: null } : {}),
      observed: `The check could not be evaluated: ${msg.replace(/\.$/, "")}.`,
      expected: "The check evaluates without an internal error.",
      remediation:
        "Report this as a bug with the input that caused it (capture the cluster with `npm run preflight -- capture`).",
    };
  }
}

/** Whether a result counts against its gates: any `fail`, and `unknown` of critical checks. */
function closesGates(r: CheckResult): boolean {
  return r.status === "fail" || (r.critical && r.status === "unknown");
}

/** The phases a failing result closes: its gates (or `data.closes`), and every phase after the earliest. */
function phasesClosedBy(r: CheckResult): Phase[] {
  const narrowed = Array.isArray(r.data?.closes) ? (r.data.closes as Phase[]) : r.gates;
  const idx = narrowed.map((p) => PHASES.indexOf(p)).filter((i) => i >= 0);
  if (idx.length === 0) return [];
  return PHASES.slice(Math.min(...idx));
}

function matrixMet(results: CheckResult[], kind: "trigger" | "check"): "yes" | "no" | "unknown" {
  if (kind === "trigger") {
    if (results.some((r) => r.met === true)) return "yes";
    if (results.some((r) => r.met === null || r.met === undefined)) return "unknown";
    return "no";
  }
  if (results.every((r) => r.status === "pass" || r.status === "warn")) return "yes";
  if (results.some((r) => r.status === "fail")) return "no";
  return "unknown";
}

/** The assessment's decision matrix, with "met" filled from the checks. */
function decisionMatrix(checks: CheckResult[], config: LakehouseConfig): DecisionMatrixRow[] {
  const byId = new Map(checks.map((c) => [c.id, c]));
  const pick = (ids: string[]) => ids.map((id) => byId.get(id)).filter((c): c is CheckResult => !!c);
  const row = (
    condition: string,
    ids: string[],
    kind: "trigger" | "check",
    priority: DecisionMatrixRow["priority"],
    action: string,
  ): DecisionMatrixRow => ({ condition, met: matrixMet(pick(ids), kind), priority, action, checks: ids });
  const threshold = formatBytes(parseBytes(config.thresholds.storageTrigger) ?? 0);
  return [
    row(`Storage > ${threshold}`, ["trigger.storage-usage"], "trigger", "High", "Check current PVC usage"),
    row("S3 Requirements", ["trigger.s3-storage"], "trigger", "High", "Validate application needs"),
    row(
      "Analytics Needs",
      ["trigger.analytics-datasets", "trigger.interactive-analytics"],
      "trigger",
      "Medium",
      "Assess query requirements",
    ),
    row("Resources Available", ["prereq.cluster-capacity"], "check", "Critical", "Review cluster capacity"),
  ];
}

function isCapacity(v: unknown): v is CapacitySummary {
  return !!v && typeof v === "object" && typeof (v as CapacitySummary).allocatableCpu === "number";
}

/** Runs every check and derives the verdict. */
export function evaluate(facts: Facts, opts: EvaluateOptions): Report {
  const now = opts.now ?? new Date();
  const checks = CHECKS.map((def) => runCheck(def, facts, opts.config, now));

  const triggersMet = checks.filter((c) => c.category === "trigger" && c.met === true).map((c) => c.id);
  const blocking = checks
    .filter((c) => c.critical && (c.status === "fail" || c.status === "unknown"))
    .map((c) => c.id);
  const warnings = checks
    .filter(
      (c) =>
        c.category !== "trigger" &&
        (c.status === "warn" || (!c.critical && (c.status === "fail" || c.status === "unknown"))),
    )
    .map((c) => c.id);

  // "Not needed" is itself a verdict that must be established: when no trigger is met but some could not be
  // determined AND the cluster could not be assessed (a critical check fails or is unknown, e.g. the API is
  // unreachable), fail closed as blocked instead of telling the operator all is well.
  const triggersUnknown = checks.filter((c) => c.category === "trigger" && c.met == null).map((c) => c.id);
  const decision: Decision =
    triggersMet.length > 0
      ? blocking.length
        ? "blocked"
        : "ready"
      : triggersUnknown.length > 0 && blocking.length > 0
        ? "blocked"
        : "not-needed";

  const gates = {} as Record<Phase, Gate>;
  for (const phase of PHASES) {
    const closers = checks
      .filter((c) => closesGates(c) && phasesClosedBy(c).includes(phase))
      .map((c) => c.id);
    const blockedBy = [...new Set([...(decision === "blocked" ? blocking : []), ...closers])];
    const parts: string[] = [];
    if (decision === "blocked") parts.push(`the verdict is blocked by ${blocking.join(", ")}`);
    const own = closers.filter((id) => decision !== "blocked" || !blocking.includes(id));
    if (own.length) parts.push(`${own.join(", ")} ${own.length === 1 ? "does" : "do"} not pass`);
    const disabled = opts.config.phases[phase] ? "" : " (phase also disabled in lakehouse:phases)";
    let reason: string;
    if (decision === "not-needed") {
      reason = "closed: no trigger condition is met, so the platform is not needed yet";
    } else if (parts.length) {
      reason = `closed: ${parts.join("; ")}${disabled}`;
    } else if (disabled) {
      reason = "open (phase disabled in lakehouse:phases, so nothing deploys)";
    } else {
      reason = "open: every check gating this phase passes";
    }
    gates[phase] = { phase, open: decision === "ready" && blockedBy.length === 0, blockedBy, reason };
  }

  const capacityResult = checks.find((c) => c.id === "prereq.cluster-capacity");
  const capacity = isCapacity(capacityResult?.data?.capacity) ? capacityResult.data.capacity : null;

  let summary: string;
  if (decision === "not-needed") {
    summary =
      "Not needed: no trigger condition is met, so bootstrapping the data platform is not recommended yet.";
  } else if (decision === "blocked") {
    summary =
      triggersMet.length > 0
        ? `Blocked: ${triggersMet.length} trigger(s) met, but ${blocking.length} critical check(s) fail or are unknown (${blocking.join(", ")}).`
        : `Blocked: no trigger is met but ${triggersUnknown.join(", ")} could not be determined, and ${blocking.length} critical check(s) fail or are unknown (${blocking.join(", ")}); the need for the platform cannot be ruled out.`;
  } else {
    const open = PHASES.filter((p) => gates[p].open);
    summary = `Ready: ${triggersMet.length} trigger(s) met and every critical check passes; open phases: ${open.length ? open.join(", ") : "none"}${warnings.length ? `; ${warnings.length} warning(s)` : ""}.`;
  }

  return {
    schemaVersion: 1,
    generatedAt: now.toISOString(),
    mode: facts.mode,
    origin: facts.origin,
    stack: opts.stack,
    decision,
    summary,
    triggersMet,
    blocking,
    warnings,
    checks,
    gates,
    decisionMatrix: decisionMatrix(checks, opts.config),
    capacity,
    ...(facts.retained ? { retained: facts.retained } : {}),
  };
}
