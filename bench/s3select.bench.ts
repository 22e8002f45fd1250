/**
 * `npm run bench:s3select [-- --size-mb 32 --runs 3 --skip-trino]`: the assessment's "2.5x with S3 Select",
 * measured. Starts the real local radosgw (Ceph 16, test/harness/radosgw.ts), writes one generated CSV object
 * and runs the same selective filter as a full GET filtered in the client, as S3 Select, and (unless
 * --skip-trino) through Trino on an Iceberg copy and on the CSV itself. Prints times (median of the runs),
 * bytes moved and the ratios. A benchmark, not a test: it asserts only that every leg returns the right rows.
 */
import { startRadosgw, type Radosgw } from "../test/harness/radosgw";
import { choiceFlag, numberFlag, parseFlags, usage, UsageError, type FlagSpec } from "./lib/cli";
import { machineLine, versionOf } from "./lib/report";
import { formatBytes, formatMs, formatRatio, table } from "./lib/stats";
import { runS3SelectBench, type LegResult, type S3SelectBenchResult } from "./s3select";

const COMMAND = "bench:s3select";
const FLAGS = {
  "size-mb": { type: "string", default: "32", help: "size of the generated CSV object in MB" },
  runs: { type: "string", default: "3", help: "runs per leg; the figure is the median" },
  dialect: {
    type: "string",
    default: "ceph16",
    help: "S3 Select SQL dialect: ceph16 (Pacific) or standard (Quincy+, AWS)",
  },
  "skip-trino": { type: "boolean", default: false, help: "only the two S3 legs (no Trino, HMS, PostgreSQL)" },
  json: { type: "boolean", default: false, help: "print the result as JSON instead of tables" },
} satisfies FlagSpec;

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

async function main(): Promise<void> {
  const { help, values } = parseFlags(COMMAND, process.argv.slice(2), FLAGS);
  if (help) {
    process.stdout.write(
      usage(COMMAND, "S3 Select vs full GET vs Trino/Iceberg on the local radosgw.", FLAGS),
    );
    return;
  }
  const sizeBytes = Math.round(numberFlag(COMMAND, "size-mb", values["size-mb"], 0.001, 4096) * 1e6);
  const runs = numberFlag(COMMAND, "runs", values.runs, 1, 50);
  if (!Number.isInteger(runs))
    throw new UsageError(`${COMMAND}: --runs must be a whole number, got ${values.runs}.`);
  const dialect = choiceFlag(COMMAND, "dialect", values.dialect, ["ceph16", "standard"] as const);
  if (!values["skip-trino"]) {
    throw new UsageError(
      `${COMMAND}: the Trino legs are not wired in yet on this branch; pass --skip-trino for the two S3 legs.`,
    );
  }

  console.log(`${COMMAND}  ${machineLine()}`);
  console.log(`engines: ${versionOf("radosgw", ["--version"])}`);
  let rgw: Radosgw | undefined;
  try {
    rgw = await startRadosgw();
    const result = await runS3SelectBench({
      s3: rgw,
      sizeBytes,
      runs,
      dialect,
      log: values.json ? undefined : (m) => console.log(`  ${m}`),
    });
    console.log(values.json ? JSON.stringify(result, null, 2) : `\n${renderS3SelectReport(result)}`);
  } finally {
    await rgw?.stop();
  }
}

main().catch((e: unknown) => {
  console.error(
    e instanceof UsageError ? e.message : `${COMMAND} failed: ${(e as Error)?.message ?? String(e)}`,
  );
  process.exitCode = e instanceof UsageError ? 2 : 1;
});
