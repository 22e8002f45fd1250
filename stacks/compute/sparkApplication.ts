/**
 * The sample job's SparkApplication (the DAG submission contract), rendered by one pure function. The program writes it as YAML
 * into the DAG ConfigMap (`lakehouse_ingest.spark-application.yaml`), the Airflow DAG submits exactly that file,
 * and `verify.sample-job` submits the same manifest with a scratch prefix and tables: one template, no copies.
 *
 * What is in it, and why:
 * - the pinned `apache/spark` image (Spark 3.5.8, Java 17, Python 3) and the job file from a ConfigMap;
 * - the Spark conf from `renderSparkConf` (Iceberg catalog on the metastore, S3A on Ceph, sizing), plus the
 *   jars it needs, copied from the in-cluster artifact cache by an init container that refuses any file whose
 *   sha256 differs from SPARK_JARS (no driver or executor reaches the internet at start);
 * - driver and executor sized from `lakehouse:sizing` so that heap + overhead is exactly the pod request the
 *   quota and the capacity-budget policy counted; the batch PriorityClass (never preempts the catalog);
 * - S3 keys only as `secretKeyRef` env from the warehouse Secret (the operator's webhook injects them).
 */
import { stringify } from "yaml";
import type { LakehouseConfig } from "../../preflight/config/schema";
import {
  artifactVolumeSize,
  cacheFetchContainer,
  SPARK_ARTIFACTS,
  type CacheReader,
  type PinnedJar,
} from "../platform/artifacts";
import { FOUNDATION_NAMES, metastoreUri } from "../foundation/names";
import {
  COMPUTE_NAMES,
  JARS_MOUNT,
  JOB_FILE,
  JOB_MOUNT,
  SPARK_API_GROUP,
  SPARK_API_VERSION,
  SPARK_CATALOG,
  computeLabels,
} from "./names";
import { sparkVersionFor } from "../../preflight/config/sparkImage";
import { renderSparkConf, sparkMemory, type SparkConfArgs } from "./sparkConf";
import { artifactCacheLocation, bucketCredentials, inClusterS3Endpoint } from "../platform/s3";

/** uid/gid of the `spark` user in apache/spark images. */
const SPARK_UID = 185;

interface SampleJobArgs {
  /** SparkApplication name. */
  readonly name: string;
  readonly namespace: string;
  /** Pinned Spark image (driver and executors). */
  readonly image: string;
  /** Image with sh, curl and sha256sum that copies the jars from the artifact cache. */
  readonly toolsImage: string;
  /** The in-cluster artifact cache the jars are copied from (endpoint, bucket, its keys' Secret). */
  readonly cache: CacheReader;
  /** ServiceAccount of the driver (SparkJobIdentity). */
  readonly serviceAccount: string;
  readonly priorityClass: string;
  /** ConfigMap holding the job file (`lakehouse_ingest.py`). */
  readonly jobConfigMap: string;
  /** The Spark conf inputs (catalog, metastore, warehouse, S3, sizing); jars are added here. */
  readonly spark: Omit<SparkConfArgs, "jarsDir">;
  /** Where the S3 keys are (the warehouse bucket's Secret). */
  readonly credentials: {
    readonly secret: string;
    readonly accessKeyIdKey: string;
    readonly secretAccessKeyKey: string;
  };
  /** `s3a://<bucket>/<prefix>/` of the raw files. */
  readonly source: string;
  readonly format: "csv" | "json";
  /** `<catalog>.<db>.<table>` of the target and of the aggregate. */
  readonly table: string;
  readonly aggregateTable: string;
  /** Labels on the SparkApplication and its pods. */
  readonly labels: Record<string, string>;
  /** Seconds the operator keeps a finished application. @default 86400 */
  readonly timeToLiveSeconds?: number;
}

/** A SparkApplication as plain JSON (sparkoperator.k8s.io/v1beta2). */
export type SparkApplicationManifest = {
  apiVersion: string;
  kind: "SparkApplication";
  metadata: { name: string; namespace: string; labels: Record<string, string> };
  spec: Record<string, unknown>;
};

/** SPARK_JARS as the artifact cache pins them (the same spark-jars.json). */
function sparkPinnedJars(): PinnedJar[] {
  return [...SPARK_ARTIFACTS];
}

/** Everything the sample job needs, derived from the stack config (the names the foundation uses). Pure. */
export function sampleJobArgs(
  config: LakehouseConfig,
  over: Partial<Pick<SampleJobArgs, "name" | "source" | "table" | "aggregateTable" | "labels">> = {},
): SampleJobArgs {
  const ns = config.platform.namespace;
  const job = config.compute.sampleJob;
  const bucket = config.foundation.warehouseBucket;
  const fq = (t: string) => `${SPARK_CATALOG}.${job.database}.${t}`;
  return {
    name: over.name ?? job.name,
    namespace: ns,
    image: config.images.spark,
    toolsImage: config.images.tools,
    cache: artifactCacheLocation(config),
    serviceAccount: COMPUTE_NAMES.sparkServiceAccount,
    priorityClass: config.platform.priorityClasses.batch,
    jobConfigMap: COMPUTE_NAMES.jobConfigMap,
    spark: {
      catalog: SPARK_CATALOG,
      metastoreUri: metastoreUri(ns),
      warehouseBucket: bucket,
      s3Endpoint: inClusterS3Endpoint(config),
      s3Region: config.s3.region,
      executor: config.sizing.sparkExecutor,
      driver: config.sizing.sparkDriver,
    },
    credentials: bucketCredentials(config, FOUNDATION_NAMES.warehouseClaim),
    source: over.source ?? `s3a://${bucket}/${job.landingPrefix}`,
    format: job.format,
    table: over.table ?? fq(job.table),
    aggregateTable: over.aggregateTable ?? fq(job.aggregateTable),
    labels: over.labels ?? computeLabels("spark-job", job.name),
  };
}

/** The SparkApplication of the sample job. Pure; throws (naming the sizing key) for sizes Spark cannot run. */
export function sampleJobManifest(a: SampleJobArgs): SparkApplicationManifest {
  const conf = renderSparkConf({ ...a.spark, jarsDir: JARS_MOUNT });
  const driverMem = sparkMemory(a.spark.driver, "sizing.sparkDriver");
  const execMem = sparkMemory(a.spark.executor, "sizing.sparkExecutor");
  const env = [
    {
      name: "AWS_ACCESS_KEY_ID",
      valueFrom: { secretKeyRef: { name: a.credentials.secret, key: a.credentials.accessKeyIdKey } },
    },
    {
      name: "AWS_SECRET_ACCESS_KEY",
      valueFrom: { secretKeyRef: { name: a.credentials.secret, key: a.credentials.secretAccessKeyKey } },
    },
    { name: "AWS_REGION", value: a.spark.s3Region },
  ];
  const security = {
    podSecurityContext: {
      runAsNonRoot: true,
      runAsUser: SPARK_UID,
      runAsGroup: SPARK_UID,
      fsGroup: SPARK_UID,
      seccompProfile: { type: "RuntimeDefault" },
    },
    securityContext: { allowPrivilegeEscalation: false, capabilities: { drop: ["ALL"] } },
  };
  const fetchJars = {
    ...cacheFetchContainer({
      name: "fetch-jars",
      image: a.toolsImage,
      artifacts: sparkPinnedJars(),
      volume: "jars",
      dir: JARS_MOUNT,
      reader: a.cache,
    }),
    securityContext: { ...security.securityContext, readOnlyRootFilesystem: true },
  };
  const mounts = [
    { name: "job", mountPath: JOB_MOUNT, readOnly: true },
    { name: "jars", mountPath: JARS_MOUNT, readOnly: true },
  ];
  const pod = (
    role: "driver" | "executor",
    size: SparkConfArgs["driver"],
    mem: { heapMiB: number; overheadMiB: number },
  ) => ({
    // Task slots as renderSparkConf set them (whole cores, at least 1); coreRequest is the pod's CPU request.
    cores: Number(conf[`spark.${role}.cores`]),
    coreRequest: String(size.cpu),
    ...(size.cpuLimit !== undefined ? { coreLimit: String(size.cpuLimit) } : {}),
    memory: `${mem.heapMiB}m`,
    memoryOverhead: `${mem.overheadMiB}m`,
    priorityClassName: a.priorityClass,
    labels: { ...a.labels },
    // Fresh copies per role: shared objects would become YAML anchors/aliases in the DAG's manifest file.
    env: structuredClone(env),
    initContainers: [structuredClone(fetchJars)],
    volumeMounts: structuredClone(mounts),
    ...structuredClone(security),
  });
  return {
    apiVersion: `${SPARK_API_GROUP}/${SPARK_API_VERSION}`,
    kind: "SparkApplication",
    metadata: { name: a.name, namespace: a.namespace, labels: { ...a.labels } },
    spec: {
      type: "Python",
      pythonVersion: "3",
      mode: "cluster",
      sparkVersion: sparkVersionFor(a.image),
      image: a.image,
      imagePullPolicy: "IfNotPresent",
      mainApplicationFile: `local://${JOB_MOUNT}/${JOB_FILE}`,
      arguments: [
        "--source",
        a.source,
        "--format",
        a.format,
        "--table",
        a.table,
        "--aggregate-table",
        a.aggregateTable,
      ],
      sparkConf: conf,
      // Airflow (and the verification) decide about retries; the operator does not resubmit on its own.
      restartPolicy: { type: "Never" },
      timeToLiveSeconds: a.timeToLiveSeconds ?? 86_400,
      volumes: [
        { name: "job", configMap: { name: a.jobConfigMap } },
        { name: "jars", emptyDir: { sizeLimit: artifactVolumeSize(sparkPinnedJars()) } },
      ],
      driver: { ...pod("driver", a.spark.driver, driverMem), serviceAccount: a.serviceAccount },
      executor: { ...pod("executor", a.spark.executor, execMem), instances: a.spark.executor.replicas },
    },
  };
}

/**
 * The manifest as the YAML file the DAG reads. Pure. YAML 1.1 rules, because Airflow reads it with PyYAML (1.1):
 * a 1.2 plain `on`/`yes`/`no` would turn into a boolean there, so 1.1 mode quotes them.
 */
export function sampleJobManifestYaml(m: SparkApplicationManifest): string {
  return `# Rendered by lakehouse (stacks/compute/sparkApplication.ts); submitted by the DAG lakehouse_ingest.\n${stringify(m, { lineWidth: 0, version: "1.1", aliasDuplicateObjects: false })}`;
}
