/**
 * Running the sample PySpark job for real: the venv and jars of .ci/setup.d/50-spark.sh, spark-submit in local
 * mode configured only by renderSparkConf's output (as a --properties-file) plus the S3 keys in the environment,
 * and a pyiceberg reader on the same metastore.
 */
import { execFile } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import {
  jarFileName,
  renderSparkConf,
  SPARK_JARS,
  sparkPropertiesFile,
} from "../../stacks/compute/sparkConf";

export const JOB = path.resolve(__dirname, "../../stacks/compute/jobs/lakehouse_ingest.py");
const SETUP_HINT = "run bash .ci/setup.d/50-spark.sh";
/** PySpark 3.5 runs on Java 8/11/17, not on the image's Temurin 25. */
const JAVA_HOME = "/usr/lib/jvm/java-17-openjdk-amd64";

function cacheDir(env: NodeJS.ProcessEnv = process.env): string {
  return env.LAKEHOUSE_CACHE ?? path.join(os.homedir(), ".cache", "lakehouse");
}

export interface SparkInstall {
  venv: string;
  python: string;
  sparkSubmit: string;
  jarsDir: string;
}

/** Where 50-spark.sh put things; throws a one-line error naming the script when something is missing. */
export function sparkInstall(env: NodeJS.ProcessEnv = process.env): SparkInstall {
  const venv = env.LAKEHOUSE_SPARK_VENV ?? path.join(cacheDir(env), "spark-venv");
  const jarsDir = env.LAKEHOUSE_SPARK_JARS ?? path.join(cacheDir(env), "spark-jars");
  const python = path.join(venv, "bin", "python");
  const sparkSubmit = path.join(venv, "bin", "spark-submit");
  const missing = [python, sparkSubmit, path.join(JAVA_HOME, "bin", "java")]
    .concat(SPARK_JARS.map((j) => path.join(jarsDir, jarFileName(j))))
    .filter((p) => !fs.existsSync(p));
  if (missing.length > 0) {
    throw new Error(`PySpark not installed: ${SETUP_HINT} (missing: ${missing.join(", ")}).`);
  }
  return { venv, python, sparkSubmit, jarsDir };
}

/**
 * The product's Spark configuration (renderSparkConf) for a harness metastore and radosgw, the driver sized for
 * local mode on a shared machine (everything runs in the driver JVM: 1.5 GiB = 1152m heap + 384m overhead).
 */
export function harnessSparkConf(
  metastoreUri: string,
  bucket: string,
  rgw: { endpoint: string; region: string },
  install: SparkInstall,
): Record<string, string> {
  return renderSparkConf({
    metastoreUri,
    warehouseBucket: bucket,
    s3Endpoint: rgw.endpoint,
    s3Region: rgw.region,
    driver: { replicas: 1, cpu: "1", memory: "1536Mi" },
    executor: { replicas: 1, cpu: "1", memory: "1Gi" },
    jarsDir: install.jarsDir,
  });
}

export interface JobRun {
  code: number;
  stdout: string;
  stderr: string;
  /** The last stdout line parsed as JSON (the job's contract), or undefined. */
  result: Record<string, unknown> | undefined;
  /**
   * The job's one-line error (`lakehouse_ingest: malformed input: ...` / `lakehouse_ingest: failed: ...`), else
   * the last non-empty stderr line. Searched in stdout too: spark-submit's PythonRunner merges the Python
   * process's stderr into its stdout (the driver log), while the JVM logs to stderr.
   */
  lastError: string;
  ms: number;
}

/** Runs `cmd args` with exactly `env`; never rejects (the exit code is part of the result). */
export function runProcess(
  cmd: string,
  args: string[],
  env: Record<string, string>,
  timeoutMs: number,
): Promise<JobRun> {
  const t0 = Date.now();
  return new Promise((resolve) => {
    execFile(cmd, args, { env, timeout: timeoutMs, maxBuffer: 64 * 1024 * 1024 }, (err, out, errOut) => {
      const stdout = `${out}`;
      const stderr = `${errOut}`;
      const code = err ? (typeof err.code === "number" ? err.code : err.killed ? 124 : 1) : 0;
      const last = stdout.trim().split("\n").pop() ?? "";
      let result: Record<string, unknown> | undefined;
      try {
        result = last.startsWith("{") ? (JSON.parse(last) as Record<string, unknown>) : undefined;
      } catch {
        result = undefined;
      }
      const lines = stderr.split("\n").filter((l) => l.trim());
      const lastError =
        `${stdout}\n${stderr}`
          .split("\n")
          .filter((l) => /^lakehouse_ingest: (malformed input|failed):/.test(l))
          .pop() ??
        lines.pop() ??
        "";
      resolve({ code, stdout, stderr, result, lastError, ms: Date.now() - t0 });
    });
  });
}

export interface SubmitOptions {
  install: SparkInstall;
  /** The rendered conf (renderSparkConf output): the only Spark configuration the job gets. */
  conf: Record<string, string>;
  /** AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY (and nothing else of the S3 setup). */
  credentials: { accessKeyId: string; secretAccessKey: string };
  args: string[];
  workDir: string;
  /** @default 600000 */
  timeoutMs?: number;
}

/**
 * `spark-submit --master local[2] --properties-file <rendered conf> lakehouse_ingest.py ARGS`.
 * Besides the rendered conf, spark-submit gets only what local mode on a shared test machine needs: the
 * master, no web UI (it would bind port 4040 on every interface) and loopback for the driver.
 */
export async function submitJob(opts: SubmitOptions): Promise<JobRun> {
  const props = path.join(opts.workDir, `spark-${Date.now()}.conf`);
  fs.writeFileSync(props, sparkPropertiesFile(opts.conf));
  const tmp = path.join(opts.workDir, "spark-tmp");
  fs.mkdirSync(tmp, { recursive: true });
  return runProcess(
    opts.install.sparkSubmit,
    [
      "--master",
      "local[2]",
      "--properties-file",
      props,
      "--conf",
      "spark.ui.enabled=false",
      "--conf",
      `spark.local.dir=${tmp}`,
      JOB,
      ...opts.args,
    ],
    {
      PATH: `${path.join(opts.install.venv, "bin")}:${JAVA_HOME}/bin:/usr/bin:/bin`,
      HOME: opts.workDir,
      JAVA_HOME,
      PYSPARK_PYTHON: opts.install.python,
      SPARK_LOCAL_IP: "127.0.0.1",
      SPARK_LOCAL_HOSTNAME: "localhost",
      AWS_ACCESS_KEY_ID: opts.credentials.accessKeyId,
      AWS_SECRET_ACCESS_KEY: opts.credentials.secretAccessKey,
      TMPDIR: tmp,
    },
    opts.timeoutMs ?? 600_000,
  );
}

/** Python run with the Spark venv (pyiceberg at the foundation's pin); resolves the last stdout line as JSON. */
export async function pyJson(
  install: SparkInstall,
  code: string,
  env: Record<string, string>,
  timeoutMs = 120_000,
): Promise<unknown> {
  const r = await runProcess(
    install.python,
    ["-c", code],
    { PATH: "/usr/bin:/bin", HOME: os.tmpdir(), ...env },
    timeoutMs,
  );
  if (r.code !== 0 || r.result === undefined) {
    throw new Error(`python exited ${r.code}: ${r.stderr.trim().split("\n").slice(-10).join("\n")}`);
  }
  return r.result;
}
