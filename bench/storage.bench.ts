/**
 * `npm run bench:storage [-- --size-mib 256 --part-mib 8 --parallelism 8 --runs 3]`: the preflight's
 * storage-bandwidth probe (the code behind `risk.storage-bandwidth`) against `aws s3 cp` on the same local
 * radosgw (Ceph 16, harness/radosgw.ts), same object size, part size and parallelism, side by side in one
 * run, with the ratio. Goal: the probe reads at least 0.9x as fast as the AWS CLI. A benchmark, not a test: it
 * fails only when a leg fails (or moves the wrong number of bytes), and prints whether the goal was met.
 */
import { reportBenchFailure } from "../cli/exit";
import { startBenchEngines, type BenchEngines } from "./lib/engines";
import { numberFlag, parseFlags, usage, UsageError, type FlagSpec } from "../cli/flags";
import { machineLine, versionOf } from "./lib/report";
import { renderStorageReport } from "./lib/render";
import { runStorageBench } from "./storage";

const COMMAND = "bench:storage";
const FLAGS = {
  "size-mib": { type: "string", default: "256", help: "size of the object each leg writes and reads, MiB" },
  "part-mib": {
    type: "string",
    default: "8",
    help: "multipart part size and ranged-read size, MiB (the preflight's default; S3's minimum is 5)",
  },
  parallelism: {
    type: "string",
    default: "8",
    help: "parts and ranges in flight (aws: max_concurrent_requests)",
  },
  runs: { type: "string", default: "3", help: "runs per leg, alternating; the figure is the median" },
  json: { type: "boolean", default: false, help: "print the result as JSON instead of a table" },
} satisfies FlagSpec;

const whole = (name: string, value: string, min: number, max: number): number => {
  const n = numberFlag(COMMAND, name, value, min, max);
  if (!Number.isInteger(n))
    throw new UsageError(`${COMMAND}: --${name} must be a whole number, got ${value}.`);
  return n;
};

async function main(): Promise<void> {
  const { help, values } = parseFlags(COMMAND, process.argv.slice(2), FLAGS);
  if (help) {
    process.stdout.write(
      usage(COMMAND, "The preflight's bandwidth probe vs `aws s3 cp` on the local radosgw.", FLAGS),
    );
    return;
  }
  const MiB = 2 ** 20;
  const sizeMiB = whole("size-mib", values["size-mib"], 1, 4096);
  const partMiB = whole("part-mib", values["part-mib"], 5, 512);
  const parallelism = whole("parallelism", values.parallelism, 1, 64);
  const runs = whole("runs", values.runs, 1, 20);
  const awsVersion = versionOf("aws", ["--version"]);
  if (awsVersion === "not found") {
    throw new Error(
      "The AWS CLI (aws) is not installed: run bash .ci/setup.d/30-python.sh (awscli from PyPI).",
    );
  }
  const log = values.json ? undefined : (m: string): void => console.log(`  ${m}`);

  console.log(`${COMMAND}  ${machineLine()}`);
  let engines: BenchEngines | undefined;
  try {
    // RGW deletes asynchronously (its garbage collector waits hours), so every object written stays in the
    // memstore OSD's RAM until the end: two per run, warm-up included. A full OSD does not fail writes, it
    // blocks them, so leave Ceph's nearfull margin (85 %) free.
    const storageGib = Math.ceil((2 * (runs + 1) * sizeMiB) / 1024 / 0.85) + 1;
    engines = await startBenchEngines({ trino: false, storageGib, log });
    console.log(
      `engines: ${engines.describe}, ${storageGib} GiB memstore; ${versionOf("radosgw", ["--version"])}`,
    );
    const result = await runStorageBench({
      s3: engines.rgw,
      objectBytes: sizeMiB * MiB,
      partBytes: partMiB * MiB,
      parallelism,
      runs,
      log,
    });
    console.log(values.json ? JSON.stringify(result, null, 2) : `\n${renderStorageReport(result)}`);
  } finally {
    await engines?.stop();
  }
}

// Ctrl-C or a kill: exit through process.exit so the harness's exit hook stops radosgw and the AWS CLI.
for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.once(signal, () => {
    console.error(`${COMMAND}: ${signal}, stopping the engines.`);
    process.exit(130);
  });
}

main().catch((e: unknown) => reportBenchFailure(COMMAND, e));
