/**
 * Outcomes shared by the analytics checks when nothing could be measured. Not being able to measure is
 * `unknown`, never `pass`: the verification fails closed. Pure.
 */
import type { CheckOutcome } from "../../../preflight/checks/types";
import type { LakehouseConfig } from "../../../preflight/config/schema";
import type { NotObserved } from "../types";

/** The outcome for an observation that holds no measurement, or undefined when it does. */
export function notObserved(
  obs: { state: string },
  expected: string,
  endpoint: string,
  config: LakehouseConfig,
): CheckOutcome | undefined {
  const o = obs as NotObserved;
  const ns = config.platform.namespace;
  const release = config.analytics.releaseName;
  switch (obs.state) {
    case "unreachable":
      return {
        status: "unknown",
        observed: `Trino at ${endpoint} did not answer: ${(o as { message: string }).message}`,
        expected,
        remediation: `Check the coordinator (\`kubectl -n ${ns} get pods,svc -l app.kubernetes.io/instance=${release}\`) and that your identity may use services/proxy in ${ns}; or pass --trino-url to reach it another way.`,
        data: { endpoint },
      };
    case "skipped":
      return {
        status: "unknown",
        observed: `Not measured: ${(o as { reason: string }).reason}.`,
        expected,
        remediation: "Fix the check this one depends on (see the other analytics results) and verify again.",
      };
    case "error":
      return {
        status: "fail",
        observed: `Trino answered but ${(o as { stage: string }).stage} failed: ${(o as { message: string }).message}`,
        expected,
        remediation: `Read the query in Trino's UI (\`kubectl -n ${ns} port-forward svc/${release} 8080\`, http://localhost:8080) and the coordinator log; docs/runbooks/analytics.md lists the usual causes (metastore, S3 keys, bucket).`,
      };
    default:
      return undefined;
  }
}
