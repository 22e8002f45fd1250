/**
 * What every phase's checks share: evaluation into the shared result format (here) and the outcomes of Job-based
 * checks (common.ts). Each phase's checks are in verify/<phase>/checks/ (FOUNDATION_CHECKS, COMPUTE_CHECKS,
 * ANALYTICS_CHECKS).
 */
import type { CheckResult } from "../../preflight/model";
import type { VerifyCheckDefinition, VerifyContext } from "../types";

/** Evaluates checks into results in the shared format (category `state`; verify checks close no gate). */
export function evaluateChecks<O>(
  checks: readonly VerifyCheckDefinition<O>[],
  obs: O,
  ctx: VerifyContext,
): CheckResult[] {
  return checks.map((c) => {
    const out = c.evaluate(obs, ctx);
    return {
      id: c.id,
      title: c.title,
      category: "state",
      status: out.status,
      severity: out.severity ?? c.severity,
      critical: c.critical,
      observed: out.observed,
      expected: out.expected,
      remediation: out.status === "pass" ? "" : out.remediation,
      gates: [],
      ...(out.data ? { data: out.data } : {}),
    };
  });
}
