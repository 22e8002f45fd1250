/**
 * The post-deploy checks per phase: plain arrays (a registry by construction). The foundation's are here; the
 * analytics phase's are in ./analytics (ANALYTICS_CHECKS).
 */
import type { CheckResult } from "../../preflight/model";
import type {
  ComputeObservations,
  FoundationObservations,
  VerifyCheckDefinition,
  VerifyContext,
} from "../types";
import { airflowDag } from "./airflowDag";
import { artifactCache } from "./artifactCache";
import { backupRestore } from "./backupRestore";
import { icebergRoundtrip } from "./icebergRoundtrip";
import { metastoreAvailable } from "./metastoreAvailable";
import { metastoreLockTimeout } from "./metastoreLockTimeout";
import { sampleJob } from "./sampleJob";
import { sparkOperatorReady } from "./sparkOperatorReady";

export const FOUNDATION_CHECKS: readonly VerifyCheckDefinition<FoundationObservations>[] = [
  metastoreAvailable,
  icebergRoundtrip,
  backupRestore,
  artifactCache,
  metastoreLockTimeout,
];

export const COMPUTE_CHECKS: readonly VerifyCheckDefinition<ComputeObservations>[] = [
  sparkOperatorReady,
  airflowDag,
  sampleJob,
];

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
