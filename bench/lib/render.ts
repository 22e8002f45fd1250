/** The benchmarks' text reports (pure: a result in, lines out), kept apart from the CLIs so tests can import them. */
import type { AnalyticsBenchResult } from "../analytics";
import type { LegResult, S3SelectBenchResult } from "../s3select";
import type { StorageBenchResult } from "../storage";
import { formatBytes, formatMs, formatRatio, median, table } from "./stats";

export function renderS3SelectReport(r: S3SelectBenchResult): string {
  const get = r.legs.find((l) => l.leg === "get-filter");
  const row = (l: LegResult): string[] => [
    l.label,
    formatMs(l.medianMs),
    l.runsMs.map((m) => m.toFixed(0)).join(" / "),
    `${formatBytes(r.object.bytes / (l.medianMs / 1000))}/s`,
    formatBytes(l.storageBytes),
    formatBytes(l.clientBytes),
    get ? formatRatio(get.medianMs, l.medianMs) : "",
    get ? formatRatio(get.clientBytes, l.clientBytes) : "",
  ];
  const out = [
    `object: s3://${r.object.bucket}/${r.object.key}, ${formatBytes(r.object.bytes)}, ${r.object.rows} rows ` +
      `(upload ${formatMs(r.object.uploadMs)}); filter event_type = 'chargeback' -> ${r.expected.rows} rows`,
    `S3 Select expression (${r.dialect}): ${r.expression}`,
  ];
  if (r.load) {
    out.push(
      `Iceberg copy: CTAS ${formatMs(r.load.ms)} (${formatBytes(r.object.bytes / (r.load.ms / 1000))}/s of CSV), ` +
        `${r.load.files} Parquet file(s), ${formatBytes(r.load.icebergBytes)} (${formatRatio(r.object.bytes, r.load.icebergBytes)} smaller than the CSV)`,
    );
  }
  out.push(
    "",
    table([
      [
        "leg",
        "median",
        "runs (ms)",
        "CSV rate",
        "from storage",
        "to client",
        "speed vs GET",
        "fewer bytes vs GET",
      ],
      ...r.legs.map(row),
    ]),
  );
  const sel = r.legs.find((l) => l.leg === "s3-select");
  if (get && sel) {
    const speed = get.medianMs / sel.medianMs;
    out.push(
      "",
      `S3 Select vs full GET: ${speed.toFixed(2)}x the speed (the assessment expects 2.5x: ` +
        `${speed >= 2.5 ? "met" : "not met"} here), ${formatRatio(get.clientBytes, sel.clientBytes)} fewer bytes to the client.`,
    );
  }
  return out.join("\n");
}

/** The assessment's targets for the analytics phase (issue 8), which apply to TPC-H scale 10 on this machine. */
export const ANALYTICS_TARGETS = { maxMedianMs: 10_000, maxStorageRatio: 2, scale: "10" } as const;

export interface TargetCheck {
  name: string;
  met: boolean;
  detail: string;
}

/** Pure: the two targets against a result. */
export function analyticsTargets(r: AnalyticsBenchResult): TargetCheck[] {
  const slowest = [...r.queries].sort((a, b) => b.iceberg.medianMs - a.iceberg.medianMs)[0];
  const worst = [...r.queries].sort((a, b) => b.ratio - a.ratio)[0];
  return [
    {
      name: `every Iceberg query's median under ${ANALYTICS_TARGETS.maxMedianMs / 1000} s`,
      met: slowest.iceberg.medianMs < ANALYTICS_TARGETS.maxMedianMs,
      detail: `slowest ${slowest.id} ${formatMs(slowest.iceberg.medianMs)}`,
    },
    {
      name: `storage overhead under ${ANALYTICS_TARGETS.maxStorageRatio}x the tpch connector`,
      met: worst.ratio < ANALYTICS_TARGETS.maxStorageRatio,
      detail: `highest ${worst.id} ${worst.ratio.toFixed(2)}x`,
    },
  ];
}

export function renderAnalyticsReport(r: AnalyticsBenchResult): string {
  const out: string[] = [];
  const secs = r.load.ms / 1000;
  out.push(
    `load: CTAS of ${r.load.tables.length} tables from ${r.tpchSchema} into ${r.icebergSchema}: ${r.load.rows} rows, ` +
      `${formatBytes(r.load.bytes)} of Parquet in ${secs.toFixed(1)} s = ${Math.round(r.load.rows / secs)} rows/s, ` +
      `${formatBytes(r.load.bytes / secs)}/s written`,
    "",
    table([
      ["table", "rows", "CTAS", "rows/s", "files", "Parquet"],
      ...r.load.tables.map((t) => [
        t.table,
        String(t.rows),
        formatMs(t.ms),
        String(Math.round(t.rows / (t.ms / 1000))),
        String(t.files),
        formatBytes(t.bytes),
      ]),
    ]),
    "",
    `queries (${r.runs} run(s) each, median; Iceberg on radosgw vs the tpch connector in the same Trino ${r.trinoVersion}):`,
    "",
    table([
      ["query", "Iceberg", "runs (ms)", "tpch", "runs (ms)", "ratio", "read from S3", "answer"],
      ...r.queries.map((q) => [
        `${q.id} ${q.title}`,
        formatMs(q.iceberg.medianMs),
        q.iceberg.runsMs.join(" / "),
        formatMs(q.tpch.medianMs),
        q.tpch.runsMs.join(" / "),
        `${q.ratio.toFixed(2)}x`,
        formatBytes(q.iceberg.physicalInputBytes),
        q.sameAnswer ? "same" : "DIFFERS",
      ]),
    ]),
    "",
  );
  const applies = r.scale === ANALYTICS_TARGETS.scale;
  for (const t of analyticsTargets(r)) {
    out.push(
      `target: ${t.name}: ${t.met ? "met" : applies ? "MISSED" : "not met"} (${t.detail})` +
        (applies ? "" : ` [the target applies at --scale ${ANALYTICS_TARGETS.scale}]`),
    );
  }
  out.push("", 'table maintenance (from each table\'s "$files"):');
  for (const a of r.advice) out.push(`  ${a.needed ? "NEEDS OPTIMIZE" : "ok"}  ${a.table}: ${a.reason}`);
  const d = r.deletes;
  if (d) {
    const slow = d.q3.afterDelete.medianMs / d.q3.before.medianMs;
    const back = d.q3.afterOptimize.medianMs / d.q3.before.medianMs;
    out.push(
      "",
      `deletes: DELETE FROM lineitem WHERE ${d.predicate}: ${d.deletedRows} rows in ${formatMs(d.deleteMs)}`,
      `  after the DELETE: ${d.adviceAfterDelete.needed ? "NEEDS OPTIMIZE" : "ok"}: ${d.adviceAfterDelete.reason}`,
      `  Q3 median: before ${formatMs(d.q3.before.medianMs)}, after the DELETE ${formatMs(d.q3.afterDelete.medianMs)} ` +
        `(${slow.toFixed(2)}x), after optimize ${formatMs(d.q3.afterOptimize.medianMs)} (${back.toFixed(2)}x of before)`,
      `  ALTER TABLE ... EXECUTE optimize: ${formatMs(d.optimizeMs)}; then ${d.adviceAfterOptimize.needed ? "NEEDS OPTIMIZE" : "ok"}: ${d.adviceAfterOptimize.reason}`,
      `  time travel to the load snapshot after the DELETE: ${d.timeTravelMatches ? "the pre-delete answer" : "WRONG ANSWER"}`,
    );
  }
  return out.join("\n");
}

/** True when the run produced a wrong answer anywhere (the figures then mean nothing). */
export function analyticsWrong(r: AnalyticsBenchResult): string[] {
  const bad = r.queries
    .filter((q) => !q.sameAnswer)
    .map((q) => `${q.id}: the Iceberg answer differs from tpch's`);
  if (r.deletes && !r.deletes.timeTravelMatches)
    bad.push("time travel after the DELETE did not return the load snapshot's data");
  return bad;
}

export function renderStorageReport(r: StorageBenchResult): string {
  const rate = (bytesPerSecond: number): string => `${formatBytes(bytesPerSecond)}/s`;
  const runs = (ms: number[]): string => ms.map((m) => m.toFixed(0)).join(" / ");
  const mib = (b: number): string => `${(b / 2 ** 20).toFixed(0)} MiB`;
  return [
    `object: ${mib(r.object.bytes)} (${formatBytes(r.object.bytes)}), ${mib(r.object.partBytes)} parts and ranges, ` +
      `${r.object.parallelism} at a time, ${r.runs} run(s) per leg, alternating; S3 at ${r.endpoint}`,
    `AWS CLI: ${r.awsCli.version}; configured as: ${r.awsCli.settings.join("; ")}`,
    `aws s3 cp runs in one long-lived CLI process (its first command, ${formatMs(median(r.awsCli.warmupMs))}, not counted), ` +
      `the probe in the bench's process; one warm-up round of both legs is not counted`,
    "",
    table([
      ["leg", "write (median)", "write runs (ms)", "read (median)", "read runs (ms)", "time to first byte"],
      [
        "probe (risk.storage-bandwidth)",
        rate(r.probe.writeRate),
        runs(r.probe.writeMs),
        rate(r.probe.readRate),
        runs(r.probe.readMs),
        `median ${median(r.probe.ttfbMedianMs).toFixed(0)} ms, p95 ${median(r.probe.ttfbP95Ms).toFixed(0)} ms`,
      ],
      [
        "aws s3 cp",
        rate(r.awsCli.writeRate),
        runs(r.awsCli.uploadMs),
        rate(r.awsCli.readRate),
        runs(r.awsCli.downloadMs),
        "",
      ],
      ["probe / aws s3 cp", `${r.ratio.write.toFixed(2)}x`, "", `${r.ratio.read.toFixed(2)}x`, "", ""],
    ]),
    "",
    `goal: the probe reads at >= ${r.goal.readRatio}x the AWS CLI's rate: ${r.goal.met ? "met" : "MISSED"} (${r.ratio.read.toFixed(2)}x)`,
  ].join("\n");
}
