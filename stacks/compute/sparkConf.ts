/**
 * The one Spark configuration of the lakehouse: every place that starts a Spark session (the SparkApplication
 * the program deploys, the Airflow DAG's manifest, the sample-job verification, the tests' spark-submit) is
 * configured by `renderSparkConf`, so the catalog, the S3A settings for Ceph and the pod sizing cannot drift
 * apart. Pure: no I/O, no Pulumi.
 *
 * What it renders, and why:
 * - an Iceberg `SparkCatalog` of `type=hive` on the foundation's Hive Metastore (Thrift), warehouse
 *   `s3a://<bucket>/warehouse`, plus Iceberg's SQL extensions (MERGE INTO, CALL procedures);
 * - S3A for Ceph's RADOS Gateway: the endpoint, path-style addressing, TLS from the endpoint's scheme, and
 *   credentials from the environment only (AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY, from the warehouse
 *   Secret), so no key is ever in a ConfigMap, a manifest or a log;
 * - `fs.s3.impl` = S3A, because Trino (native S3) and pyiceberg write `s3://` locations into the metastore;
 * - driver and executor sizing from `lakehouse:sizing`, with the JVM heap and the memory overhead set
 *   explicitly so that heap + overhead is exactly the pod's memory request (Spark on Kubernetes asks for
 *   memory + overhead; with Spark's own overhead factor a "6Gi" executor would ask for 6.6Gi and not fit the
 *   capacity the plan counted).
 *
 * Signer and checksums (measured against Spark 3.5.8 + hadoop-aws 3.3.4 on Ceph 16's radosgw, see
 * docs/stand-ins.md): see {@link s3aSigner}.
 */
import type { PodSize } from "../../preflight/config/schema";
import { parseBytes, parseCpu } from "../../preflight/quantity";
import jars from "./spark-jars.json";

export interface SparkConfArgs {
  /** Iceberg catalog name in Spark SQL. @default "lakehouse" */
  readonly catalog?: string;
  /** thrift://host:9083 of the Hive Metastore. */
  readonly metastoreUri: string;
  /** Warehouse bucket name (the foundation's); the warehouse is s3a://<bucket>/warehouse. */
  readonly warehouseBucket: string;
  /** S3 endpoint URL (http or https; scheme sets ssl). */
  readonly s3Endpoint: string;
  readonly s3Region: string;
  /** Executor sizing (lakehouse:sizing.sparkExecutor). */
  readonly executor: PodSize;
  /** Driver sizing (lakehouse:sizing.sparkDriver). */
  readonly driver: PodSize;
  /**
   * Absolute folder holding the {@link SPARK_JARS} files by their file names, on every node that runs a driver
   * or executor (baked into the image, or a mounted volume): when set, the driver's and executors'
   * `extraClassPath` list them, so nothing is copied at start (`spark.jars` would ship 53 MB to every
   * executor). Leave unset when the jars are in the image's `$SPARK_HOME/jars/` already.
   */
  readonly jarsDir?: string;
}

/** A jar the rendered conf needs, pinned by Maven coordinates and checked by sha256. */
interface SparkJar {
  /** `group:artifact:version`. */
  readonly coordinate: string;
  /** Path of the jar in a Maven repository (`org/apache/.../artifact-version.jar`). */
  readonly file: string;
  /** sha256 of the jar as Maven Central serves it (hex). */
  readonly sha256: string;
}

/**
 * Iceberg's Spark runtime, hadoop-aws (S3A) at the Hadoop version PySpark 3.5.8 bundles (3.3.4), and the AWS
 * SDK v1 modules (1.12.262, the version hadoop-aws 3.3.4 was built against) S3A needs: core, s3, kms, sts, dynamodb
 * (S3Guard's classes load at S3A start in 3.3.4) and jmespath; 5.4 MB instead of the 281 MB SDK bundle
 * (docs/artifact-cache.md). The sha256 values were computed from the jars
 * downloaded from Maven Central; `.ci/setup.d/50-spark.sh` checks every download against them (it reads the
 * same `spark-jars.json`).
 */
export const SPARK_JARS: readonly SparkJar[] = Object.freeze(
  jars.map((j) => Object.freeze({ coordinate: j.coordinate, file: j.file, sha256: j.sha256 })),
);

/** The file name of a jar (the last segment of its repository path). */
export function jarFileName(jar: SparkJar): string {
  return jar.file.slice(jar.file.lastIndexOf("/") + 1);
}

/**
 * The S3A signer for an endpoint (measured with Spark 3.5.8 + hadoop-aws 3.3.4 / AWS SDK 1.12.262 on Ceph
 * 16.2.15's radosgw over plain HTTP, see docs/stand-ins.md): with the default SigV4 signer, Iceberg's data and
 * metadata files were written fine (MERGE, overwrite, read back), but every zero-byte PUT failed with HTTP 400
 * (the SDK signs HTTP uploads as aws-chunked and RGW rejects an empty chunked body): `mkdirs` markers, empty
 * files, the `_SUCCESS` file any plain `df.write` leaves. `S3SignerType` (SigV2, no chunks) wrote all three.
 * Over HTTPS the SDK sends no chunked payloads, so SigV4 stays (not measured here: no TLS gateway in the tests).
 * Checksums: AWS SDK v1 sends no flexible checksums (that is SDK v2 2.30+); nothing to turn off.
 */
function s3aSigner(s3Endpoint: string): string | undefined {
  return s3Endpoint.startsWith("http://") ? "S3SignerType" : undefined;
}

const MiB = 2 ** 20;
/** Spark's own floor for the memory overhead (spark.{driver,executor}.minMemoryOverhead). */
const MIN_OVERHEAD_MIB = 384;
/** Share of the pod's memory left outside the JVM heap: metaspace, threads, Netty buffers and the Python workers. */
const OVERHEAD_SHARE = 0.25;
/** Below this the heap left after the overhead cannot run a Spark driver or executor usefully. */
const MIN_HEAP_MIB = 512;

/** JVM heap and overhead (MiB) that add up to the pod's memory request. */
interface SparkMemory {
  readonly heapMiB: number;
  readonly overheadMiB: number;
}

/**
 * Splits a pod's memory request into heap + overhead: overhead = max(384 MiB, 25 %), heap = the rest, so that
 * Spark's pod request (heap + overhead) equals the sized request exactly. Throws naming `key` when the size is
 * not a quantity or too small for a heap of 512 MiB.
 */
export function sparkMemory(size: PodSize, key: string): SparkMemory {
  const bytes = parseBytes(size.memory);
  if (bytes === undefined || !Number.isFinite(bytes)) {
    throw new Error(`${key}.memory "${size.memory}" is not a memory quantity; expected e.g. "2Gi".`);
  }
  const totalMiB = Math.floor(bytes / MiB);
  const overheadMiB = Math.max(MIN_OVERHEAD_MIB, Math.ceil(totalMiB * OVERHEAD_SHARE));
  const heapMiB = totalMiB - overheadMiB;
  if (heapMiB < MIN_HEAP_MIB) {
    throw new Error(
      `${key}.memory "${size.memory}" is too small for a Spark JVM: it must hold a ${MIN_HEAP_MIB} MiB heap ` +
        `plus at least ${MIN_OVERHEAD_MIB} MiB overhead; set it to "1Gi" or more.`,
    );
  }
  return { heapMiB, overheadMiB };
}

/** Spark's task slots per JVM: whole cores, at least one (a "500m" driver still runs one task at a time). */
function sparkCores(size: PodSize, key: string): { cores: number; request: string; limit?: string } {
  const cpu = parseCpu(size.cpu);
  if (cpu === undefined || !Number.isFinite(cpu) || cpu <= 0) {
    throw new Error(`${key}.cpu "${size.cpu}" is not a positive CPU quantity; expected e.g. "1" or "500m".`);
  }
  const limit = size.cpuLimit !== undefined ? String(size.cpuLimit) : undefined;
  return { cores: Math.max(1, Math.floor(cpu)), request: String(size.cpu), ...(limit ? { limit } : {}) };
}

const CATALOG = /^[A-Za-z_][A-Za-z0-9_]*$/;
const THRIFT = /^thrift:\/\/[^\s:/]+:\d{1,5}$/;
/** S3 bucket names as RGW accepts them with path-style addressing. */
const BUCKET = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;

/** Validates the arguments; every error names the argument, the value seen and what is expected. */
function validateSparkConfArgs(args: SparkConfArgs): void {
  const catalog = args.catalog ?? "lakehouse";
  if (!CATALOG.test(catalog)) {
    throw new Error(
      `Spark catalog name "${catalog}" is not a SQL identifier; expected letters, digits and '_' (e.g. "lakehouse").`,
    );
  }
  if (!THRIFT.test(args.metastoreUri)) {
    throw new Error(
      `metastoreUri "${args.metastoreUri}" is not a Hive Metastore Thrift URI; expected thrift://HOST:PORT ` +
        `(e.g. thrift://hive-metastore.lakehouse.svc:9083).`,
    );
  }
  if (!BUCKET.test(args.warehouseBucket)) {
    throw new Error(
      `warehouseBucket "${args.warehouseBucket}" is not an S3 bucket name; expected 3-63 lower-case letters, digits, '.' or '-'.`,
    );
  }
  let url: URL;
  try {
    url = new URL(args.s3Endpoint);
  } catch {
    throw new Error(
      `s3Endpoint "${args.s3Endpoint}" is not a URL; expected http(s)://HOST[:PORT] (e.g. http://rook-ceph-rgw-storage.storage.svc).`,
    );
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    throw new Error(`s3Endpoint "${args.s3Endpoint}" must start with http:// or https://.`);
  }
  if (url.pathname !== "/" || url.search || url.username || url.password) {
    throw new Error(
      `s3Endpoint "${args.s3Endpoint}" must be scheme://host[:port] only: no path, query or credentials ` +
        `(credentials come from AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY).`,
    );
  }
  if (!args.s3Region.trim()) {
    throw new Error(`s3Region is empty; expected a region string (any works with Ceph, e.g. "us-east-1").`);
  }
  if (args.executor.replicas < 1) {
    throw new Error(
      `sizing.sparkExecutor.replicas is ${args.executor.replicas}; a Spark job needs at least 1 executor.`,
    );
  }
}

/**
 * `spark.*` properties (string -> string) for a session on the lakehouse catalog. Never contains credentials:
 * S3A reads AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY from the environment.
 */
export function renderSparkConf(args: SparkConfArgs): Record<string, string> {
  validateSparkConfArgs(args);
  const catalog = args.catalog ?? "lakehouse";
  const endpoint = new URL(args.s3Endpoint);
  const ssl = endpoint.protocol === "https:";
  const driverMem = sparkMemory(args.driver, "sizing.sparkDriver");
  const execMem = sparkMemory(args.executor, "sizing.sparkExecutor");
  const driverCpu = sparkCores(args.driver, "sizing.sparkDriver");
  const execCpu = sparkCores(args.executor, "sizing.sparkExecutor");
  const c = `spark.sql.catalog.${catalog}`;
  const s3a = "spark.hadoop.fs.s3a";

  const conf: Record<string, string> = {
    // Iceberg on the Hive Metastore.
    "spark.sql.extensions": "org.apache.iceberg.spark.extensions.IcebergSparkSessionExtensions",
    [c]: "org.apache.iceberg.spark.SparkCatalog",
    [`${c}.type`]: "hive",
    [`${c}.uri`]: args.metastoreUri,
    [`${c}.warehouse`]: `s3a://${args.warehouseBucket}/warehouse`,
    // Unqualified names in the sample job and in ad-hoc SQL resolve to the lakehouse catalog.
    "spark.sql.defaultCatalog": catalog,
    // Partitions by days(event_time) and the aggregate's event_date are UTC days whatever the pod's zone is.
    "spark.sql.session.timeZone": "UTC",
    // Without a bound the Hive client waits 600 s on a metastore that accepted the connection and hangs.
    "spark.hadoop.hive.metastore.client.socket.timeout": "120s",
    "spark.hadoop.hive.metastore.connect.retries": "3",

    // S3A on Ceph's RADOS Gateway.
    // As configured (URL would drop an explicit :80), without a trailing slash.
    [`${s3a}.endpoint`]: args.s3Endpoint.replace(/\/+$/, ""),
    [`${s3a}.endpoint.region`]: args.s3Region,
    [`${s3a}.path.style.access`]: "true",
    [`${s3a}.connection.ssl.enabled`]: ssl ? "true" : "false",
    // Keys from the pod's environment (the warehouse Secret), never from this conf.
    [`${s3a}.aws.credentials.provider`]: "com.amazonaws.auth.EnvironmentVariableCredentialsProvider",
    [`${s3a}.impl`]: "org.apache.hadoop.fs.s3a.S3AFileSystem",
    ...(s3aSigner(args.s3Endpoint) ? { [`${s3a}.signing-algorithm`]: s3aSigner(args.s3Endpoint)! } : {}),
    // Trino and pyiceberg record s3:// locations in the metastore; read them through S3A too.
    "spark.hadoop.fs.s3.impl": "org.apache.hadoop.fs.s3a.S3AFileSystem",
    // Fail in seconds, not minutes, when the gateway is unreachable (defaults: 7 retries x 20 attempts).
    [`${s3a}.connection.establish.timeout`]: "5000",
    [`${s3a}.attempts.maximum`]: "5",
    [`${s3a}.retry.limit`]: "3",

    // Sizing: heap + overhead = the pod's memory request (see sparkMemory).
    "spark.driver.memory": `${driverMem.heapMiB}m`,
    "spark.driver.memoryOverhead": `${driverMem.overheadMiB}m`,
    "spark.driver.cores": String(driverCpu.cores),
    "spark.kubernetes.driver.request.cores": driverCpu.request,
    "spark.executor.instances": String(args.executor.replicas),
    "spark.executor.memory": `${execMem.heapMiB}m`,
    "spark.executor.memoryOverhead": `${execMem.overheadMiB}m`,
    "spark.executor.cores": String(execCpu.cores),
    "spark.kubernetes.executor.request.cores": execCpu.request,
    // One shuffle partition per executor core slot and a few more, not Spark's default 200 tiny tasks.
    "spark.sql.shuffle.partitions": String(Math.max(4, args.executor.replicas * execCpu.cores * 2)),
  };
  if (driverCpu.limit) conf["spark.kubernetes.driver.limit.cores"] = driverCpu.limit;
  if (execCpu.limit) conf["spark.kubernetes.executor.limit.cores"] = execCpu.limit;
  if (args.jarsDir !== undefined) {
    if (!args.jarsDir.startsWith("/")) {
      throw new Error(
        `jarsDir "${args.jarsDir}" must be an absolute folder path (the jars are put on the JVM class path, which takes no URLs).`,
      );
    }
    const dir = args.jarsDir.replace(/\/+$/, "");
    const cp = SPARK_JARS.map((j) => `${dir}/${jarFileName(j)}`).join(":");
    conf["spark.driver.extraClassPath"] = cp;
    conf["spark.executor.extraClassPath"] = cp;
  }
  return conf;
}

/** The conf as a `spark-defaults.conf` / `--properties-file` text, sorted by key. */
export function sparkPropertiesFile(conf: Record<string, string>): string {
  return (
    Object.keys(conf)
      .sort()
      .map((k) => `${k} ${conf[k]}`)
      .join("\n") + "\n"
  );
}
