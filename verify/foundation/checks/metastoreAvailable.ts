/**
 * `verify.metastore-available`: the Hive Metastore answers a real Thrift call (get_all_databases) from inside
 * the cluster and, when Prometheus is reachable, its measured availability meets the objective. Pure.
 */
import type { CheckOutcome } from "../../../preflight/checks/types";
import type { FoundationObservations, VerifyCheckDefinition } from "../../types";
import { FOUNDATION_NAMES } from "../../../stacks/foundation/names";
import { jobProblem } from "../../checks/common";

interface PingAttempt {
  uri?: string;
  ok?: boolean;
  ms?: number;
  databases?: number | null;
  error?: string | null;
}

/** Formats a ratio (0..1) as a percentage with enough digits to compare against 99.9. */
export function percent(ratio: number): string {
  return `${(Math.floor(ratio * 100_000) / 1000).toFixed(3)} %`;
}

export const metastoreAvailable: VerifyCheckDefinition<FoundationObservations> = {
  id: "verify.metastore-available",
  title: "Hive Metastore answers Thrift calls and meets its availability objective",
  severity: "critical",
  critical: true,
  phase: "foundation",
  evaluate(obs, ctx): CheckOutcome {
    const objective = ctx.config.foundation.availabilityObjective;
    const ns = ctx.config.platform.namespace;
    const expected = `get_all_databases answers on every attempt; availability over 30 days >= ${objective} %`;
    const problem = jobProblem(obs.metastorePing, expected, ns);
    if (problem) return problem;
    const ping = obs.metastorePing as Extract<typeof obs.metastorePing, { state: "completed" }>;
    const attempts = Array.isArray(ping.result?.attempts) ? (ping.result?.attempts as PingAttempt[]) : [];
    const failed = attempts.filter((a) => !a.ok);
    const data: Record<string, unknown> = { job: ping.job, attempts };
    if (attempts.length === 0) {
      return {
        status: "unknown",
        observed: `The ping Job ${ping.job} reported no attempt: ${String(ping.result?.error ?? "no detail")}.`,
        expected,
        remediation: `Check the metastore URI the Job used (docs/verification.md) and rerun.`,
        data,
      };
    }
    if (failed.length > 0) {
      const f = failed[0];
      return {
        status: "fail",
        observed: `${failed.length} of ${attempts.length} get_all_databases calls failed; first: ${f.uri ?? "?"}: ${f.error ?? "no answer"}.`,
        expected,
        remediation: `Check the metastore pods and their log (\`kubectl -n ${ns} get pods -l app.kubernetes.io/name=${FOUNDATION_NAMES.metastore}\`, \`kubectl -n ${ns} logs deploy/${FOUNDATION_NAMES.metastore}\`) and the database it needs; see docs/runbooks/foundation.md.`,
        data,
      };
    }
    const slowest = Math.max(...attempts.map((a) => a.ms ?? 0));
    const dbs = attempts[attempts.length - 1].databases;
    const answered = `${attempts.length}/${attempts.length} get_all_databases calls answered (slowest ${slowest} ms, ${dbs ?? "?"} databases)`;
    const prom = obs.prometheus;
    data.prometheus = prom;
    switch (prom.state) {
      case "ok": {
        data.availability = prom.availability;
        const measured = `availability ${percent(prom.availability)} over ${prom.window} (${prom.source})`;
        if (prom.availability * 100 < objective) {
          return {
            status: "fail",
            observed: `${answered}, but ${measured} is below the objective.`,
            expected,
            remediation: `The metastore answers now but has been down too often: read the MetastoreDown and availability burn-rate alerts' history and fix the cause (restarts, database outages, node drains without the PDB); see docs/runbooks/foundation.md.`,
            data,
          };
        }
        return { status: "pass", observed: `${answered}; ${measured}.`, expected, remediation: "", data };
      }
      case "no-data":
        return {
          status: "warn",
          observed: `${answered}; availability not measured: ${prom.message}`,
          expected,
          remediation: `Make Prometheus scrape the metastore (the ServiceMonitor of the foundation phase) so that up{job=~".*metastore.*"} exists; availability is then reported here.`,
          data,
        };
      case "error":
        return {
          status: "warn",
          observed: `${answered}; availability not measured: Prometheus (${prom.source}) could not be queried: ${prom.message}`,
          expected,
          remediation: `Pass --prometheus-url, or --prometheus-service NAMESPACE/SERVICE:PORT if Prometheus is not monitoring/prometheus-operated:9090.`,
          data,
        };
      case "skipped":
        return {
          status: "warn",
          observed: `${answered}; availability not measured (${prom.reason}).`,
          expected,
          remediation: `Run the verification with Prometheus reachable to measure availability against ${objective} %.`,
          data,
        };
    }
  },
};
