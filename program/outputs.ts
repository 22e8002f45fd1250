/** The stack outputs the program exports: the verdict, each gate, what each phase did, the blocking checks. */
import { PHASES, type Phase, type Report } from "../preflight/model";
import type { PhasePlan } from "./gating";

/** Stack outputs: the verdict, each gate, what each phase did, and the blocking checks. */
export interface StackOutputs {
  decision: Report["decision"];
  summary: string;
  mode: Report["mode"];
  gates: Record<Phase, { open: boolean; blockedBy: string[]; reason: string }>;
  phases: Record<string, PhasePlan["action"]>;
  deployedPhases: string[];
  blocking: { id: string; status: string; remediation: string }[];
  warnings: string[];
}

export function stackOutputs(
  report: Report,
  plan: readonly PhasePlan[],
  deployed: readonly string[],
): StackOutputs {
  const byId = new Map(report.checks.map((c) => [c.id, c]));
  const gates = {} as StackOutputs["gates"];
  for (const p of PHASES) {
    const g = report.gates[p];
    gates[p] = { open: g.open, blockedBy: [...g.blockedBy], reason: g.reason };
  }
  return {
    decision: report.decision,
    summary: report.summary,
    mode: report.mode,
    gates,
    phases: Object.fromEntries(plan.map((p) => [p.phase, p.action])),
    deployedPhases: [...deployed],
    blocking: report.blocking.map((id) => ({
      id,
      status: byId.get(id)?.status ?? "unknown",
      remediation: byId.get(id)?.remediation ?? "",
    })),
    warnings: [...report.warnings],
  };
}
