/**
 * `verify.query-latency`: typical analytics queries (TPC-H Q1, Q3, Q5, Q6, Q10 and a time-travel read) on the
 * verification's Iceberg TPC-H dataset at `analytics.verifyScaleFactor` (10 = the assessment's 10 GB), each run
 * several times; pass when every median is under `thresholds.queryLatencySeconds`. Every figure is reported:
 * each query's scan (bytes Trino processed over its elapsed time: the storage path as the cluster sees it) and
 * the heaviest exchange between stages (the network between workers). Those are reported, never gated on.
 * Pure.
 */
import { storageBandwidthNeed } from "../../../preflight/checks/risk";
import type { CheckOutcome } from "../../../preflight/checks/types";
import { formatRate, formatSize } from "../../../preflight/quantity";
import type { AnalyticsObservations, TimedQuery } from "../types";
import type { VerifyCheckDefinition } from "../../types";
import { notObserved } from "./common";

const sec = (ms: number): string => `${(ms / 1000).toFixed(1)} s`;

/** One query's latency and, when Trino reported it, what it scanned and how fast (bytes over Trino's elapsed). */
function figure(q: TimedQuery): string {
  const s = q.stats;
  if (s?.processedBytes === undefined || !s.elapsedMs) return `${q.name} ${sec(q.medianMs)}`;
  return `${q.name} ${sec(q.medianMs)} (scanned ${formatSize(s.processedBytes)} at ${formatRate(s.processedBytes, s.elapsedMs)})`;
}
const figures = (qs: readonly TimedQuery[]): string => qs.map(figure).join(", ");

interface ExchangeFigure {
  query: string;
  bytes: number;
  elapsedMs: number;
  /** bytes over the query's elapsed time: an average over the whole query, so a lower bound of the link's rate. */
  bytesPerSecond: number;
  nodes: number | null;
}

/** The timed query that moved the most bytes between stages (Trino's internal network input). Pure. */
export function heaviestExchange(qs: readonly TimedQuery[]): ExchangeFigure | undefined {
  const top = [...qs]
    .filter((q) => q.stats?.internalNetworkInputBytes !== undefined && (q.stats.elapsedMs ?? 0) > 0)
    .sort((a, b) => b.stats!.internalNetworkInputBytes! - a.stats!.internalNetworkInputBytes!)[0];
  if (!top?.stats) return undefined;
  const { internalNetworkInputBytes: bytes, elapsedMs } = top.stats as Required<typeof top.stats>;
  return {
    query: top.name,
    bytes,
    elapsedMs,
    bytesPerSecond: (bytes * 1000) / elapsedMs,
    nodes: top.stats.nodes ?? null,
  };
}

function exchangeText(x: ExchangeFigure | undefined): string {
  if (!x) return "exchange between stages not reported by this Trino";
  const where =
    x.nodes === 1
      ? " on 1 node (it stayed on that node: no network measured)"
      : x.nodes
        ? ` across ${x.nodes} nodes`
        : "";
  return `heaviest exchange ${x.query}: ${formatSize(x.bytes)} between stages${where}, ${formatRate(x.bytes, x.elapsedMs)} averaged over its ${sec(x.elapsedMs)}`;
}

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
    const exchange = heaviestExchange(l.queries);
    const need = storageBandwidthNeed(ctx.config);
    const data = {
      scale: l.scale,
      schema: l.schema,
      thresholdSeconds: limit,
      queries: l.queries,
      // Per query, from Trino's statistics of the median run: bytes scanned over Trino's elapsed time.
      scan: l.queries.map((q) => ({
        query: q.name,
        processedBytes: q.stats?.processedBytes ?? null,
        physicalInputBytes: q.stats?.physicalInputBytes ?? null,
        bytesPerSecond:
          q.stats?.processedBytes !== undefined && q.stats.elapsedMs
            ? (q.stats.processedBytes * 1000) / q.stats.elapsedMs
            : null,
      })),
      exchange: exchange ?? null,
      // What risk.storage-bandwidth asked of the object store for this scale and target, for comparison.
      storageNeedBytesPerSecond: need.bytesPerSecond,
      ...(ds ? { built: ds.built, buildMs: ds.buildMs } : {}),
    };
    const network = `; ${exchangeText(exchange)}`;
    const slow = l.queries.filter((q) => q.medianMs >= limit * 1000);
    const where = `TPC-H scale ${l.scale} in iceberg.${l.schema}`;
    if (l.state === "partial") {
      return {
        status: "fail",
        observed: `On ${where}: ${figures(l.queries)}; ${l.failed.name} failed: ${l.failed.message}${network}.`,
        expected,
        remediation: `A typical query failed: read it in Trino's UI; out-of-memory errors mean sizing.trinoWorker memory is too small for scale ${l.scale}.`,
        data,
      };
    }
    if (slow.length > 0) {
      return {
        status: "fail",
        observed: `On ${where} (medians of ${l.queries[0]?.runsMs.length ?? 0} runs): ${figures(l.queries)}; over ${limit} s: ${slow.map((q) => q.name).join(", ")}${network}${built}.`,
        expected,
        remediation: `Read the figures: scan rates well under ${formatRate(need.bytesPerSecond, 1000)} (what ${need.query} needs at this scale, as risk.storage-bandwidth computes it) point at storage (Ceph/RGW; compare the preflight's storage figure), a large exchange at a low rate at the network between workers, high rates with slow queries at CPU or memory: add workers or memory (sizing.trinoWorker), compact fragmented tables (ALTER TABLE ... EXECUTE optimize) and see docs/runbooks/analytics.md.`,
        data,
      };
    }
    return {
      status: "pass",
      observed: `On ${where} (medians of ${l.queries[0]?.runsMs.length ?? 0} runs): ${figures(l.queries)}; all under ${limit} s${network}${built}.`,
      expected,
      remediation: "",
      data,
    };
  },
};
