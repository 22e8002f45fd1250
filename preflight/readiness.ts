/**
 * The part of the report that the Pulumi program records as the `Readiness` resource's inputs, and that the
 * policy pack reads (policies never call the cluster: they judge the plan and this). Pure.
 *
 * It deliberately leaves out timestamps and passing checks so that `pulumi preview`'s diff shows only what
 * changed in readiness since the last `up`.
 */
import type { CapacitySummary, Decision, Phase, Report, Status } from "./model";
import { PHASES } from "./model";

/** Marks the Readiness resource's inputs so the policies can find it among all resources. */
export const READINESS_MARKER = "lakehouse.dev/readiness/v1";

export interface ReadinessState {
  marker: typeof READINESS_MARKER;
  decision: Decision;
  summary: string;
  mode: "live" | "offline";
  gates: Record<Phase, { open: boolean; blockedBy: string[] }>;
  /** Failing or unknown critical checks, with what to do. */
  blocking: { id: string; status: Status; observed: string; remediation: string }[];
  /** Ids of checks with warnings. */
  warnings: string[];
  triggersMet: string[];
  capacity: CapacitySummary | null;
}

export function readinessState(report: Report): ReadinessState {
  const byId = new Map(report.checks.map((c) => [c.id, c]));
  const gates = {} as ReadinessState["gates"];
  for (const p of PHASES)
    gates[p] = { open: report.gates[p].open, blockedBy: [...report.gates[p].blockedBy] };
  return {
    marker: READINESS_MARKER,
    decision: report.decision,
    summary: report.summary,
    mode: report.mode,
    gates,
    blocking: report.blocking.map((id) => {
      const c = byId.get(id);
      return {
        id,
        status: c?.status ?? "unknown",
        observed: c?.observed ?? "",
        remediation: c?.remediation ?? "",
      };
    }),
    warnings: [...report.warnings],
    triggersMet: [...report.triggersMet],
    capacity: report.capacity,
  };
}

/** True when a resource's inputs are a ReadinessState (used by the policies). */
export function isReadinessState(props: unknown): props is ReadinessState {
  return !!props && typeof props === "object" && (props as { marker?: unknown }).marker === READINESS_MARKER;
}
