/**
 * `npm run bench:s3select [-- --size-mb 32 --runs 3 --skip-trino]`: the assessment's "2.5x with S3 Select",
 * measured. Starts the real local radosgw (Ceph 16, harness/radosgw.ts), writes one generated CSV object
 * and runs the same selective filter as a full GET filtered in the client, as S3 Select, and (unless
 * --skip-trino) through Trino on an Iceberg copy and on the CSV itself. Prints times (median of the runs),
 * bytes moved and the ratios. A benchmark, not a test: it asserts only that every leg returns the right rows.
 */
import { reportBenchFailure } from "../cli/exit";
import { startBenchEngines, type BenchEngines } from "./lib/engines";
import { choiceFlag, numberFlag, parseFlags, usage, UsageError, type FlagSpec } from "../cli/flags";
import { machineLine, versionOf } from "./lib/report";
import { renderS3SelectReport } from "./lib/render";
import { runS3SelectBench } from "./s3select";

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
  const withTrino = !values["skip-trino"];
  const log = values.json ? undefined : (m: string): void => console.log(`  ${m}`);

  console.log(`${COMMAND}  ${machineLine()}`);
  let engines: BenchEngines | undefined;
  try {
    engines = await startBenchEngines({ trino: withTrino, hive: true, log }).catch((e: Error) => {
      throw /not installed/.test(e.message)
        ? new Error(`${e.message} Or pass --skip-trino for the two S3 legs only.`, { cause: e })
        : e;
    });
    console.log(`engines: ${engines.describe}; ${versionOf("radosgw", ["--version"])}`);
    const result = await runS3SelectBench({
      s3: engines.rgw,
      sizeBytes,
      runs,
      dialect,
      trino: engines.trino ? { url: engines.trino.url } : undefined,
      log,
    });
    console.log(values.json ? JSON.stringify(result, null, 2) : `\n${renderS3SelectReport(result)}`);
  } finally {
    await engines?.stop();
  }
}

main().catch((e: unknown) => reportBenchFailure(COMMAND, e));
