/**
 * The storage benchmark's runner (the CLI is storage.bench.ts): the preflight's bandwidth probe
 * (preflight/probes/s3Bandwidth.ts, the code behind `risk.storage-bandwidth`) against the AWS CLI's
 * `aws s3 cp` on the same S3 endpoint, with the same object size, part size and parallelism, so the probe's
 * figure can be read against a tool operators already trust. Goal: the probe reads at least 0.9x as fast as the
 * AWS CLI (a probe that measures its own slowness would make the check warn about a store that is fine).
 *
 * The AWS CLI runs with its own config file (never the user's ~/.aws): `max_concurrent_requests` = the
 * parallelism, `multipart_chunksize` and `multipart_threshold` = the part size (the AWS CLI reads "8MB" as
 * 8 MiB), path-style addressing and checksums only when required (Ceph before Reef rejects aws-chunked uploads).
 * The CLI runs as one long-lived process (awscli's own driver, fed commands on stdin), so each `s3 cp` is timed
 * without the interpreter's start-up, as the probe is timed inside the bench's process; a first round of both
 * legs warms them up and is not counted. Downloads go to /dev/null, as the probe discards its bytes. Legs
 * alternate run by run (probe, CLI, probe, ...) so other load hits both alike; figures are medians.
 */
import { spawn, type ChildProcessWithoutNullStreams } from "node:child_process";
import { randomFillSync } from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { CreateBucketCommand, DeleteBucketCommand, HeadBucketCommand } from "@aws-sdk/client-s3";
import { probeStorageBandwidth } from "../preflight/probes/s3Bandwidth";
import { s3Client } from "../preflight/probes/s3";
import { versionOf } from "./lib/report";
import { median } from "./lib/stats";
import type { S3Endpoint } from "./s3select";

/** The goal: the probe's read rate over the AWS CLI's. */
export const READ_RATIO_GOAL = 0.9;

/** Bytes per second under which a leg is taken as stuck (loopback RGW moves 100+ MB/s), for the time budgets. */
const FLOOR_RATE = 5e6;

const MiB = 2 ** 20;

export interface StorageBenchOptions {
  s3: S3Endpoint;
  objectBytes: number;
  /** Whole MiB (the AWS CLI's chunk size is set in MB = MiB). */
  partBytes: number;
  parallelism: number;
  runs: number;
  /** @default "lakehouse-bench-storage" */
  bucket?: string;
  /** The Python that has awscli installed (as .ci/setup.d/30-python.sh does it). @default $PYTHON or "python3" */
  python?: string;
  log?: (msg: string) => void;
}

export interface StorageBenchResult {
  endpoint: string;
  object: { bytes: number; partBytes: number; parallelism: number };
  runs: number;
  probe: {
    writeMs: number[];
    readMs: number[];
    ttfbMedianMs: number[];
    ttfbP95Ms: number[];
    /** Bytes per second at the median run. */
    writeRate: number;
    readRate: number;
  };
  awsCli: {
    version: string;
    /** `aws configure set` lines equivalent to the config file the bench wrote. */
    settings: string[];
    uploadMs: number[];
    downloadMs: number[];
    /** The CLI process's first command (the S3 model's load and one small request): not counted. */
    warmupMs: number[];
    /** Bytes per second at the median run. */
    writeRate: number;
    readRate: number;
  };
  /** Probe over AWS CLI. */
  ratio: { write: number; read: number };
  goal: { readRatio: number; met: boolean };
}

/**
 * One long-lived AWS CLI process (awscli's own `clidriver`, what the `aws` command runs), fed batches of
 * commands on stdin, one JSON line per batch, answering one JSON line with each command's time, exit code and
 * stdout. Long-lived so the CLI is warm between runs, as the probe is inside the bench's process.
 */
const CLI_SERVER = `
import contextlib, io, json, sys, time
from awscli.clidriver import create_clidriver
driver = create_clidriver()
for line in sys.stdin:
    out = []
    for cmd in json.loads(line):
        buf = io.StringIO()
        t = time.perf_counter()
        with contextlib.redirect_stdout(buf):
            rc = driver.main(cmd)
        out.append({"ms": (time.perf_counter() - t) * 1000, "rc": rc, "stdout": buf.getvalue()})
        if rc != 0:
            break
    sys.stdout.write(json.dumps(out) + "\\n")
    sys.stdout.flush()
`;

interface Timed {
  ms: number;
  rc: number;
  stdout: string;
}

export class AwsCliSession {
  private readonly child: ChildProcessWithoutNullStreams;
  private stderr = "";
  private pending: { resolve: (t: Timed[]) => void; reject: (e: Error) => void } | undefined;
  private buffered = "";
  private exited: string | undefined;

  constructor(
    readonly python: string,
    env: NodeJS.ProcessEnv,
  ) {
    this.child = spawn(python, ["-c", CLI_SERVER], { env, stdio: ["pipe", "pipe", "pipe"] });
    this.child.stderr.on(
      "data",
      (c: Buffer) => (this.stderr = (this.stderr + c.toString("utf8")).slice(-4000)),
    );
    this.child.stdout.on("data", (c: Buffer) => {
      this.buffered += c.toString("utf8");
      const nl = this.buffered.indexOf("\n");
      if (nl < 0 || !this.pending) return;
      const line = this.buffered.slice(0, nl);
      this.buffered = this.buffered.slice(nl + 1);
      const p = this.pending;
      this.pending = undefined;
      try {
        p.resolve(JSON.parse(line) as Timed[]);
      } catch (e) {
        p.reject(
          new Error(`The AWS CLI process answered something that is not JSON: ${line.slice(0, 200)}`, {
            cause: e,
          }),
        );
      }
    });
    const gone = (why: string): void => {
      this.exited ??= why;
      const p = this.pending;
      this.pending = undefined;
      p?.reject(this.failure());
    };
    this.child.on("error", (e) => gone(e.message));
    this.child.on("exit", (code, signal) => {
      process.removeListener("exit", this.kill);
      gone(`exit ${code ?? signal}`);
    });
    // Not a harness daemon: make sure it does not outlive the bench (a CLI stuck on a full store would).
    process.on("exit", this.kill);
  }

  private readonly kill = (): void => {
    if (this.exited === undefined) this.child.kill("SIGKILL");
  };

  private failure(): Error {
    const tail = this.stderr.trim().split("\n").slice(-3).join(" ");
    return new Error(
      /No module named 'awscli'|ENOENT/.test(`${this.stderr} ${this.exited ?? ""}`)
        ? `The AWS CLI is not installed for ${this.python}: run bash .ci/setup.d/30-python.sh (awscli from PyPI).`
        : `The AWS CLI process ended (${this.exited ?? "?"}): ${tail}`,
    );
  }

  /**
   * Runs the commands in order; rejects naming the first that failed. Past `timeoutMs` the CLI is killed and
   * the call rejects (a store that stops taking writes, e.g. a full OSD, blocks uploads instead of failing).
   */
  run(commands: string[][], timeoutMs: number): Promise<Timed[]> {
    if (this.exited) return Promise.reject(this.failure());
    let timer: NodeJS.Timeout | undefined;
    return new Promise<Timed[]>((resolve, reject) => {
      this.pending = { resolve, reject };
      timer = setTimeout(() => {
        const p = this.pending;
        this.pending = undefined;
        this.kill();
        p?.reject(
          new Error(
            `The AWS CLI did not finish ${commands.map((c) => `aws ${c.slice(2, 4).join(" ")}`).join(", ")} within ${Math.round(timeoutMs / 1000)} s; it was stopped. Is the store full or hung?`,
          ),
        );
      }, timeoutMs);
      this.child.stdin.write(`${JSON.stringify(commands)}\n`);
    })
      .finally(() => clearTimeout(timer))
      .then((results) => {
        const i = results.findIndex((r) => r.rc !== 0);
        if (i >= 0 || results.length < commands.length) {
          const at = i >= 0 ? i : results.length;
          const tail = this.stderr.trim().split("\n").slice(-3).join(" ");
          throw new Error(
            `aws ${commands[at].slice(2, 4).join(" ")} failed (exit ${results[at]?.rc ?? "?"}): ${tail}`,
          );
        }
        return results;
      });
  }

  /** Ends the process (its expected exit is not an error); killed when it does not end within 5 s. */
  close(): Promise<void> {
    if (this.exited) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(this.kill, 5_000);
      this.child.once("exit", () => {
        clearTimeout(timer);
        resolve();
      });
      this.child.stdin.end();
    });
  }
}

/** The AWS CLI config matching the probe's part size and parallelism, as a file and as `aws configure set` lines. Pure. */
export function awsCliConfig(
  region: string,
  partBytes: number,
  parallelism: number,
): { file: string; settings: string[] } {
  const chunk = `${Math.round(partBytes / MiB)}MB`;
  const s3 = {
    max_concurrent_requests: String(parallelism),
    multipart_chunksize: chunk,
    multipart_threshold: chunk,
    addressing_style: "path",
  };
  const top = {
    region,
    request_checksum_calculation: "when_required",
    response_checksum_validation: "when_required",
  };
  const file = [
    "[default]",
    ...Object.entries(top).map(([k, v]) => `${k} = ${v}`),
    "s3 =",
    ...Object.entries(s3).map(([k, v]) => `    ${k} = ${v}`),
    "",
  ].join("\n");
  const settings = [
    ...Object.entries(top).map(([k, v]) => `aws configure set default.${k} ${v}`),
    ...Object.entries(s3).map(([k, v]) => `aws configure set default.s3.${k} ${v}`),
  ];
  return { file, settings };
}

const rate = (bytes: number, ms: number): number => (ms > 0 ? (bytes * 1000) / ms : 0);

export async function runStorageBench(opts: StorageBenchOptions): Promise<StorageBenchResult> {
  const log = opts.log ?? (() => undefined);
  const bucket = opts.bucket ?? "lakehouse-bench-storage";
  const python = opts.python ?? process.env.PYTHON ?? "python3";
  if (opts.partBytes % MiB !== 0) throw new Error("The part size must be a whole number of MiB.");
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "lakehouse-bench-storage-"));
  const client = s3Client({ ...opts.s3, discoveredFrom: "bench" }, 30_000);
  let createdBucket = false;
  let cli: AwsCliSession | undefined;
  try {
    const cfg = awsCliConfig(opts.s3.region, opts.partBytes, opts.parallelism);
    fs.writeFileSync(path.join(tmp, "config"), cfg.file);
    const env: NodeJS.ProcessEnv = {
      PATH: process.env.PATH,
      HOME: tmp,
      LANG: process.env.LANG ?? "C.UTF-8",
      AWS_CONFIG_FILE: path.join(tmp, "config"),
      AWS_SHARED_CREDENTIALS_FILE: path.join(tmp, "credentials"),
      AWS_ACCESS_KEY_ID: opts.s3.accessKeyId,
      AWS_SECRET_ACCESS_KEY: opts.s3.secretAccessKey,
      AWS_EC2_METADATA_DISABLED: "true",
    };
    const aws = (...args: string[]): string[] => ["--endpoint-url", opts.s3.endpoint, ...args];
    const version = versionOf("aws", ["--version"]);

    // The CLI's source file: the same size as the probe's object, random (incompressible) bytes.
    const file = path.join(tmp, "object.bin");
    const chunk = Buffer.alloc(Math.min(opts.objectBytes, 8 * MiB));
    const fd = fs.openSync(file, "w");
    for (let left = opts.objectBytes; left > 0; left -= chunk.length) {
      randomFillSync(chunk);
      fs.writeSync(fd, chunk, 0, Math.min(chunk.length, left));
    }
    fs.closeSync(fd);

    try {
      await client.send(new HeadBucketCommand({ Bucket: bucket }), {
        abortSignal: AbortSignal.timeout(30_000),
      });
    } catch {
      await client.send(new CreateBucketCommand({ Bucket: bucket }), {
        abortSignal: AbortSignal.timeout(30_000),
      });
      createdBucket = true;
    }
    const r: StorageBenchResult = {
      endpoint: opts.s3.endpoint,
      object: { bytes: opts.objectBytes, partBytes: opts.partBytes, parallelism: opts.parallelism },
      runs: opts.runs,
      probe: { writeMs: [], readMs: [], ttfbMedianMs: [], ttfbP95Ms: [], writeRate: 0, readRate: 0 },
      awsCli: {
        version,
        settings: cfg.settings,
        uploadMs: [],
        downloadMs: [],
        warmupMs: [],
        writeRate: 0,
        readRate: 0,
      },
      ratio: { write: 0, read: 0 },
      goal: { readRatio: READ_RATIO_GOAL, met: false },
    };
    const key = "bench-storage/aws-cli-object.bin";
    cli = new AwsCliSession(python, env);
    // Each leg moves the object twice per run; below FLOOR_RATE something is wrong, not slow: stop, say so.
    const budgetMs = 60_000 + ((2 * opts.objectBytes) / FLOOR_RATE) * 1000;
    const [warm] = await cli.run([aws("s3api", "head-bucket", "--bucket", bucket)], 120_000);
    r.awsCli.warmupMs.push(warm.ms);
    // Run 0 warms both legs up (JIT, connection pools, the CLI's thread pool) and is not counted.
    for (let run = 0; run <= opts.runs; run++) {
      const p = await probeStorageBandwidth(
        { ...opts.s3, discoveredFrom: "bench" },
        {
          bucket,
          objectBytes: opts.objectBytes,
          partBytes: opts.partBytes,
          parallelism: opts.parallelism,
          requestTimeoutMs: 30_000,
          boundMs: budgetMs,
        },
      );
      if (p.state !== "done" || p.failure || !p.read?.complete || !p.cleanup.ok) {
        throw new Error(
          `The probe failed in run ${run}: ${JSON.stringify(p.state === "done" ? (p.failure ?? p.cleanup) : p)}`,
        );
      }
      const [up, head, down] = await cli.run(
        [
          aws("s3", "cp", "--only-show-errors", file, `s3://${bucket}/${key}`),
          aws("s3api", "head-object", "--bucket", bucket, "--key", key),
          aws("s3", "cp", "--only-show-errors", `s3://${bucket}/${key}`, "/dev/null"),
          aws("s3", "rm", "--only-show-errors", `s3://${bucket}/${key}`),
        ],
        budgetMs,
      );
      const size = (JSON.parse(head.stdout) as { ContentLength?: number }).ContentLength;
      if (size !== opts.objectBytes) {
        throw new Error(
          `The AWS CLI uploaded ${String(size)} bytes in run ${run}, expected ${opts.objectBytes}.`,
        );
      }
      const line = `probe write ${p.write.ms} ms, read ${p.read.ms} ms; aws s3 cp upload ${up.ms.toFixed(0)} ms, download ${down.ms.toFixed(0)} ms`;
      if (run === 0) {
        log(`warm-up (not counted): ${line}`);
        continue;
      }
      r.probe.writeMs.push(p.write.ms);
      r.probe.readMs.push(p.read.ms);
      r.probe.ttfbMedianMs.push(p.read.ttfbMedianMs ?? 0);
      r.probe.ttfbP95Ms.push(p.read.ttfbP95Ms ?? 0);
      r.awsCli.uploadMs.push(up.ms);
      r.awsCli.downloadMs.push(down.ms);
      log(`run ${run}/${opts.runs}: ${line}`);
    }
    const b = opts.objectBytes;
    r.probe.writeRate = rate(b, median(r.probe.writeMs));
    r.probe.readRate = rate(b, median(r.probe.readMs));
    r.awsCli.writeRate = rate(b, median(r.awsCli.uploadMs));
    r.awsCli.readRate = rate(b, median(r.awsCli.downloadMs));
    r.ratio = { write: r.probe.writeRate / r.awsCli.writeRate, read: r.probe.readRate / r.awsCli.readRate };
    r.goal.met = r.ratio.read >= READ_RATIO_GOAL;
    return r;
  } finally {
    await cli?.close();
    if (createdBucket) {
      await client
        .send(new DeleteBucketCommand({ Bucket: bucket }), { abortSignal: AbortSignal.timeout(30_000) })
        .catch(() => undefined);
    }
    client.destroy();
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}
