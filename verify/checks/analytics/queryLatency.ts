/**
 * `verify.query-latency`: typical analytics queries (TPC-H Q1, Q3, Q5, Q6, Q10 and a time-travel read) on the
 * verification's Iceberg TPC-H dataset at `analytics.verifyScaleFactor` (10 = the assessment's 10 GB), each run
 * several times; pass when every median is under `thresholds.queryLatencySeconds`. Every figure is reported.
 * Pure.
 */
import type { CheckOutcome } from "../../../preflight/checks/types";
import type { AnalyticsObservations, TimedQuery } from "../../analytics/types";
import type { VerifyCheckDefinition } from "../../types";
import { notObserved } from "./common";

const sec = (ms: number): string => `${(ms / 1000).toFixed(1)} s`;
const figures = (qs: readonly TimedQuery[]): string =>
  qs.map((q) => `${q.name} ${sec(q.medianMs)}`).join(", ");

export const queryLatency: VerifyCheckDefinition<AnalyticsObservations> = {
  id: "verify.query-latency",
  title: "Typical analytics queries on the TPC-H dataset finish under the latency threshold",
  severity: "high",
  critical: true,
  phase: "analytics",
  evaluate(obs, ctx): CheckOutcome {
    const limit = ctx.config.thresholds.queryLatencySeconds;
    const scale = ctx.config.analytics.verifyScaleFactor;
    const expected = `median of every query (TPC-H Q1, Q3, Q5, Q6, Q10, time travel) on TPC-H scale ${scale} < ${limit} s`;
    const missing = notObserved(obs.latency, expected, obs.endpoint, ctx.config);
    if (missing) {
      if (obs.dataset.state === "error") {
        return {
          ...missing,
          observed: `The TPC-H dataset (scale ${scale}) could not be built: ${obs.dataset.message}`,
          remediation: `Building needs write access to the warehouse bucket and room for it (~0.25 GB of Parquet per scale unit): check the bucket quota and the coordinator log, or lower analytics.verifyScaleFactor.`,
        };
      }
      return missing;
    }
    const l = obs.latency as Exclude<
      AnalyticsObservations["latency"],
      { state: "unreachable" | "error" | "skipped" }
    >;
    const ds = obs.dataset.state === "ok" ? obs.dataset : undefined;
    const built =
      ds && ds.built.length > 0
        ? `; dataset built this run in ${sec(ds.buildMs)}`
        : ds
          ? "; dataset reused"
          : "";
    const data = {
      scale: l.scale,
      schema: l.schema,
      thresholdSeconds: limit,
      queries: l.queries,
      ...(ds ? { built: ds.built, buildMs: ds.buildMs } : {}),
    };
    const slow = l.queries.filter((q) => q.medianMs >= limit * 1000);
    const where = `TPC-H scale ${l.scale} in iceberg.${l.schema}`;
    if (l.state === "partial") {
      return {
        status: "fail",
        observed: `On ${where}: ${figures(l.queries)}; ${l.failed.name} failed: ${l.failed.message}.`,
        expected,
        remediation: `A typical query failed: read it in Trino's UI; out-of-memory errors mean sizing.trinoWorker memory is too small for scale ${l.scale}.`,
        data,
      };
    }
    if (slow.length > 0) {
      return {
        status: "fail",
        observed: `On ${where} (medians of ${l.queries[0]?.runsMs.length ?? 0} runs): ${figures(l.queries)}; over ${limit} s: ${slow.map((q) => q.name).join(", ")}${built}.`,
        expected,
        remediation: `Add workers or memory (sizing.trinoWorker), check that the tables are not fragmented (ALTER TABLE ... EXECUTE optimize after many small writes or deletes), and look for slow S3 reads from the RGW in the query's stage statistics.`,
        data,
      };
    }
    return {
      status: "pass",
      observed: `On ${where} (medians of ${l.queries[0]?.runsMs.length ?? 0} runs): ${figures(l.queries)}; all under ${limit} s${built}.`,
      expected,
      remediation: "",
      data,
    };
  },
};
