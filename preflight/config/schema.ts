/**
 * The one configuration schema of the project. The Pulumi program (`index.ts`), the preflight CLI, `plan` and
 * `verify` all parse the same stack file (`Pulumi.<stack>.yaml`, keys `lakehouse:<key>`) with it, once, at the
 * edge, into a frozen typed object. Nothing deeper reads configuration.
 *
 * Every key has a default: with no stack file at all the result is the assessment's own defaults (its
 * thresholds and the names its kubectl commands use).
 */
import { z } from "zod";
import { parseBytes, parseCpu } from "../quantity";
import { SPARK_LINE, sparkVersionOfImage } from "./sparkImage";

// ---------- small typed building blocks that accept both YAML values and Pulumi's stringly config ----------

const cpuQuantity = z
  .union([z.string(), z.number()])
  .transform((v) => String(v))
  .refine((v) => parseCpu(v) !== undefined && (parseCpu(v) as number) >= 0, {
    message: 'expected a CPU quantity such as "6", "1.5" or "500m"',
  });

const byteQuantity = z
  .union([z.string(), z.number()])
  .transform((v) => String(v))
  .refine((v) => parseBytes(v) !== undefined && (parseBytes(v) as number) >= 0, {
    message: 'expected a memory or storage quantity such as "60Gi", "512Mi" or "200Gi"',
  });

const bool = z.union([z.boolean(), z.stringbool()]);
const int = (min: number, max: number) => z.coerce.number().int().min(min).max(max);
const k8sName = z
  .string()
  .regex(
    /^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/,
    "expected a Kubernetes name (lower case letters, digits, '-', '.')",
  )
  .max(253);
/** An image reference; pinning is enforced by the `pinned-images` policy, not here, so a plan can show it. */
const image = z.string().min(1);

const podSize = z
  .object({
    /** Pods of this kind that run at once. */
    replicas: int(0, 100),
    cpu: cpuQuantity,
    memory: byteQuantity,
    /** Memory limit; defaults to the request (Guaranteed memory, no OOM surprises). */
    memoryLimit: byteQuantity.optional(),
    /** CPU limit; unset by default (CPU limits throttle JVMs for no gain on a homelab). */
    cpuLimit: cpuQuantity.optional(),
  })
  .strict();
export type PodSize = z.infer<typeof podSize>;

const size = (replicas: number, cpu: string, memory: string) => podSize.default({ replicas, cpu, memory });

// ---------- the sections ----------

const thresholdsSchema = z
  .object({
    /** Trigger: total PVC requests above this start the bootstrap. */
    storageTrigger: byteQuantity.default("200Gi"),
    /** Prerequisite: free memory (allocatable - requests) summed over schedulable nodes. */
    minFreeMemory: byteQuantity.default("60Gi"),
    /** Prerequisite: free CPU (allocatable - requests) summed over schedulable nodes. */
    minFreeCpu: cpuQuantity.default("6"),
    /** Utilisation line (percent) for CPU and memory, now and after placing the platform. */
    maxUtilizationPercent: int(1, 100).default(70),
    /** Post-deploy `verify.query-latency`: every typical query's median must finish under this many seconds. */
    queryLatencySeconds: z.coerce.number().positive().max(3600).default(10),
  })
  .strict();

const clusterSchema = z
  .object({
    cephNamespace: k8sName.default("storage"),
    /** CephCluster name; empty = any CephCluster in `cephNamespace`. */
    cephCluster: z.string().default(""),
    objectStore: k8sName.default("storage"),
    rgwService: k8sName.default("rook-ceph-rgw-storage"),
    airflowNamespace: k8sName.default("airflow"),
    airflowRelease: k8sName.default("airflow"),
    monitoringNamespace: k8sName.default("monitoring"),
    fluxNamespace: k8sName.default("flux-system"),
    externalSecretsNamespace: k8sName.default("external-secrets"),
  })
  .strict();

/** Declared trigger conditions (the ones a cluster cannot show). All false unless the operator says so. */
const triggersSchema = z
  .object({
    manualEtl: bool.default(false),
    analyticsDatasets: bool.default(false),
    s3Storage: bool.default(false),
    distributedProcessing: bool.default(false),
    interactiveAnalytics: bool.default(false),
    pipelineAutomation: bool.default(false),
    multiFormat: bool.default(false),
    historicalAnalysis: bool.default(false),
  })
  .strict();

/** Knowledge prerequisites, attested by the operator. Advisory unless `enforce` is true. */
const knowledgeSchema = z
  .object({
    teamSql: bool.default(false),
    teamKubernetes: bool.default(false),
    backupStrategy: bool.default(false),
    /** When true, an unattested knowledge prerequisite blocks the verdict. */
    enforce: bool.default(false),
  })
  .strict();

const secretManagementSchema = z
  .object({
    /**
     * `external-secrets`: the External Secrets CRDs and controller must be present.
     * `sealed-secrets`: the sealed-secrets controller must be present.
     * `other`: an alternative the operator vouches for (sops, Vault agent, ...): passes with a warning.
     */
    provider: z.enum(["external-secrets", "sealed-secrets", "other"]).default("external-secrets"),
    /** Namespace of the sealed-secrets controller (provider `sealed-secrets`). */
    sealedSecretsNamespace: k8sName.default("kube-system"),
  })
  .strict();

const s3Schema = z
  .object({
    /** S3 endpoint URL; empty = discover from CephObjectStore status, or AWS_ENDPOINT_URL_S3 / S3_ENDPOINT. */
    endpoint: z.union([z.literal(""), z.url()]).default(""),
    region: z.string().min(1).default("us-east-1"),
    /** Secret (namespace/name) holding AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY or AccessKey/SecretKey. */
    credentialsSecret: z.string().default(""),
    /** Access key; set with `pulumi config set --secret`. Else env AWS_ACCESS_KEY_ID. */
    accessKeyId: z.string().default(""),
    /** Secret key; set with `pulumi config set --secret`. Else env AWS_SECRET_ACCESS_KEY. */
    secretAccessKey: z.string().default(""),
    /** Scratch bucket for the put/get/delete probe; created if missing and removed afterwards. */
    scratchBucket: k8sName.default("lakehouse-preflight-scratch"),
  })
  .strict();

/**
 * The live storage-bandwidth probe behind `risk.storage-bandwidth`: one generated object written by multipart
 * upload, read back with parallel ranged GETs (as Trino and Spark split Parquet reads), then removed.
 */
const storageBandwidthSchema = z
  .object({
    /** `false` skips the measurement (e.g. a metered link between the preflight's host and the cluster). */
    enabled: bool.default(true),
    /** Size of the generated probe object, MiB: written once and read once per live run. */
    objectSizeMiB: int(1, 4096).default(128),
    /** Multipart part size and ranged-GET size, MiB (S3's minimum part size is 5 MiB). */
    partSizeMiB: int(5, 512).default(8),
    /** Parts uploaded, and ranges read, at once. */
    parallelism: int(1, 64).default(8),
    /** Deadline of the measurement (write + read), seconds; cleanup gets `probe.requestTimeoutMs` more. */
    timeoutSeconds: int(5, 3600).default(60),
  })
  .strict();

const probeSchema = z
  .object({
    /** Per-request timeout (ms) for the Kubernetes API and S3. */
    requestTimeoutMs: int(100, 600_000).default(10_000),
    /** Page size for list calls. */
    pageSize: int(1, 10_000).default(500),
    storageBandwidth: storageBandwidthSchema.default(storageBandwidthSchema.parse({})),
  })
  .strict();

const platformSchema = z
  .object({
    /** Namespace for the platform's workloads. */
    namespace: k8sName.default("lakehouse"),
    /** Ceph RBD StorageClass for the platform's PVCs (PostgreSQL). */
    blockStorageClass: k8sName.default("ceph-block"),
    /** Rook bucket StorageClass for ObjectBucketClaims; must have reclaimPolicy Retain. */
    bucketStorageClass: k8sName.default("ceph-bucket"),
    /** Quota headroom over the planned requests (percent). */
    quotaHeadroomPercent: int(0, 400).default(25),
    priorityClasses: z
      .object({
        critical: k8sName.default("lakehouse-critical"),
        criticalValue: int(0, 1_000_000_000).default(100_000),
        batch: k8sName.default("lakehouse-batch"),
        batchValue: int(0, 1_000_000_000).default(1_000),
      })
      .strict()
      .default({
        critical: "lakehouse-critical",
        criticalValue: 100_000,
        batch: "lakehouse-batch",
        batchValue: 1_000,
      }),
  })
  .strict();

/**
 * Planned pods per component: the one sizing that the resource-contention risk check places on nodes, the
 * components deploy, the namespace quota is derived from, and the capacity-budget policy sums.
 */
const sizingSchema = z
  .object({
    // foundation
    metastore: size(2, "250m", "1Gi"),
    metastoreDb: size(1, "250m", "1Gi"),
    metadataBackup: size(1, "100m", "256Mi"),
    // compute
    sparkOperator: size(1, "200m", "512Mi"),
    sparkOperatorWebhook: size(1, "100m", "256Mi"),
    sparkDriver: size(1, "500m", "2Gi"),
    sparkExecutor: size(2, "1", "6Gi"),
    // analytics
    trinoCoordinator: size(1, "500m", "6Gi"),
    trinoWorker: size(2, "750m", "16Gi"),
    /** The table maintenance CronJob's pod (a stdlib Python client; the work runs in Trino). */
    tableMaintenance: size(1, "100m", "128Mi"),
    /** The Prometheus Pushgateway the maintenance Job reports its outcome to. */
    pushgateway: size(1, "50m", "64Mi"),
  })
  .strict();

const foundationSchema = z
  .object({
    /** `obc`: ObjectBucketClaims on `platform.bucketStorageClass`; `s3-user`: a CephObjectStoreUser + buckets via S3. */
    bucketMode: z.enum(["obc", "s3-user"]).default("obc"),
    warehouseBucket: k8sName.default("lakehouse-warehouse"),
    backupBucket: k8sName.default("lakehouse-metastore-backup"),
    /** Where the metastore database password comes from. */
    dbCredentials: z.enum(["generated", "external-secrets"]).default("generated"),
    /** ClusterSecretStore for `dbCredentials: external-secrets`. */
    externalSecretStore: z.string().default(""),
    /** Remote key in that store. */
    externalSecretKey: z.string().default("lakehouse/metastore-db"),
    dbStorage: byteQuantity.default("10Gi"),
    backupSchedule: z.string().min(9).default("0 */6 * * *"),
    /** Days of backups kept in the backup bucket. */
    backupRetentionDays: int(1, 3650).default(14),
    /** A backup older than this many hours is stale (alert + verify). */
    backupMaxAgeHours: int(1, 8760).default(12),
    /** Availability objective of the metastore (percent). */
    availabilityObjective: z.coerce.number().min(90).max(99.999).default(99.9),
    /**
     * S3 endpoint the in-cluster workloads (metastore, backup) use; empty = the RGW Service,
     * `http://<cluster.rgwService>.<cluster.cephNamespace>.svc:80`. Its scheme sets `fs.s3a.connection.ssl.enabled`.
     */
    s3Endpoint: z.union([z.literal(""), z.url()]).default(""),
    /** Key prefix of the metastore dumps inside `backupBucket`. */
    backupPrefix: z.string().default("metastore"),
    /**
     * Extra labels on the ServiceMonitor and PrometheusRule, so the Prometheus Operator selects them
     * (kube-prometheus-stack selects `release: <its release name>` unless told otherwise).
     */
    monitoringLabels: z.record(z.string(), z.string()).default({}),
    /**
     * Seconds without a heartbeat after which the metastore declares a lock abandoned and removes it
     * (`metastore.txn.timeout`); an abandoned lock is gone at most 30 s later (docs/configuration.md has why 300).
     */
    metastoreLockTimeoutSeconds: int(60, 3600).default(300),
  })
  .strict();

const computeSchema = z
  .object({
    /** Helm repository (https) of the kubeflow spark-operator chart, as a Flux HelmRepository. */
    operatorChartRepository: z
      .url({ protocol: /^https$/ })
      .default("https://kubeflow.github.io/spark-operator"),
    /**
     * Exact chart version (the `pinned-charts` policy rejects ranges). 2.5.2: the newest stable release, whose
     * controller runs SparkApplication v1beta2 with Spark 3.5 images; its default image tag is its appVersion.
     */
    operatorChartVersion: z.string().min(1).default("2.5.2"),
    /** How long `pulumi up` waits for the operator's HelmRelease to be Ready (Flux duration). */
    operatorReleaseTimeout: z
      .string()
      .regex(/^(\d+(ms|s|m|h))+$/, 'expected a duration such as "10m" or "90s"')
      .default("10m"),
    /** Namespaces whose SparkApplications the operator runs; empty = the platform namespace only. */
    jobNamespaces: z.array(k8sName).default([]),
    /** The operator's mutating webhook (needed for volumes, init containers and env from Secrets on Spark pods). */
    webhook: bool.default(true),
    /** The Airflow workers' ServiceAccount (in `cluster.airflowNamespace`); empty = `<cluster.airflowRelease>-worker`. */
    airflowServiceAccount: z.union([z.literal(""), k8sName]).default(""),
    /** ConfigMap in the Airflow namespace that holds the DAG and its SparkApplication manifest. */
    dagConfigMap: k8sName.default("lakehouse-dags"),
    /**
     * Whether Airflow creates the DAG paused (its `is_paused_upon_creation`). Default false: a delivered DAG that
     * Airflow pauses never runs on schedule, and the phase's criterion is a DAG that runs. Applied by Airflow only
     * when it first sees the DAG; later pauses and unpauses are Airflow's own state.
     */
    dagPausedAtCreation: bool.default(false),
    /** Airflow's API Service; empty = `<cluster.airflowRelease>-api-server` (Airflow 3; Airflow 2: `<release>-webserver`). */
    airflowApiService: z.union([z.literal(""), k8sName]).default(""),
    airflowApiPort: int(1, 65_535).default(8080),
    /** `v2` (Airflow 3: token from /auth/token) or `v1` (Airflow 2: basic auth). */
    airflowApiVersion: z.enum(["v1", "v2"]).default("v2"),
    /**
     * Secret in the Airflow namespace with `username` and `password` for Airflow's API (read by `verify` only): a
     * user that may read DAGs, create and edit DAG runs and read task logs (verify.airflow-dag triggers one run).
     */
    airflowApiSecret: k8sName.default("lakehouse-airflow-api"),
    /** The sample job: where it reads raw files (prefix in the warehouse bucket) and the tables it writes. */
    sampleJob: z
      .object({
        name: k8sName.default("lakehouse-ingest"),
        landingPrefix: z
          .string()
          .regex(/^[^/].*\/$/, "expected a key prefix ending in '/', e.g. landing/events/")
          .default("landing/events/"),
        format: z.enum(["csv", "json"]).default("csv"),
        database: z
          .string()
          .regex(/^[a-z_][a-z0-9_]*$/, "expected a lower-case SQL identifier")
          .default("lakehouse"),
        table: z
          .string()
          .regex(/^[a-z_][a-z0-9_]*$/, "expected a lower-case SQL identifier")
          .default("events"),
        aggregateTable: z
          .string()
          .regex(/^[a-z_][a-z0-9_]*$/, "expected a lower-case SQL identifier")
          .default("events_daily"),
      })
      .strict()
      .default({
        name: "lakehouse-ingest",
        landingPrefix: "landing/events/",
        format: "csv",
        database: "lakehouse",
        table: "events",
        aggregateTable: "events_daily",
      }),
  })
  .strict();

/**
 * Scheduled Iceberg table maintenance through Trino (docs/runbooks/maintenance.md): compaction, snapshot expiry and
 * orphan-file removal. `retentionDays` may not be below `foundation.backupRetentionDays` (checked in configSchema).
 */
const maintenanceSchema = z
  .object({
    /** `false`: no maintenance CronJob, Pushgateway, alerts or dashboard. */
    enabled: bool.default(true),
    /** CronJob schedule (UTC): daily, away from the sample ingest DAG's midnight run. */
    schedule: z.string().min(9).default("30 3 * * *"),
    /**
     * Snapshots and orphan files older than this many days are removed; time travel reaches back this far.
     * At least `foundation.backupRetentionDays`, at most 3650.
     */
    retentionDays: int(1, 3650).default(14),
    /** `TableMaintenanceStale` fires when the last run is older than this many hours. */
    maxAgeHours: int(1, 8760).default(48),
    /** Schemas of the Iceberg catalog to maintain; empty = every schema. */
    schemas: z
      .array(z.string().regex(/^[a-z_][a-z0-9_]*$/, "expected a lower-case schema name (a-z, 0-9, _)"))
      .default([]),
  })
  .strict();

/** Phase 3 (Trino and the platform's Grafana dashboards). */
const analyticsSchema = z
  .object({
    /** Helm repository of the trino chart (trinodb/charts), served over https. */
    chartRepository: z.url().default("https://trinodb.github.io/charts"),
    /** Exact chart version (the `pinned-charts` policy rejects ranges); its appVersion is overridden by `images.trino`. */
    chartVersion: z.string().min(1).default("1.42.2"),
    /** Helm release name: the coordinator Service is `<releaseName>`, the workers `<releaseName>-worker`. */
    releaseName: k8sName.default("trino"),
    /** Trino `node.environment` (shown in the UI and on every metric). */
    environment: z
      .string()
      .regex(/^[a-z0-9][a-z0-9_]*$/, "expected lower case letters, digits and '_' (Trino's node.environment)")
      .default("lakehouse"),
    /** Seconds a worker keeps running its tasks after SIGTERM (Trino `shutdown.grace-period`). */
    shutdownGracePeriodSeconds: int(10, 3600).default(120),
    /** User name Prometheus sends (HTTP basic auth, no password) to scrape Trino's native `/metrics`. */
    metricsUser: z.string().min(1).default("prometheus"),
    /** Failed-query alert: fires when more than this percent of finished queries failed over 10 minutes. */
    failedQueryPercent: z.coerce.number().min(0.1).max(100).default(10),
    /** Labels the Grafana sidecar of kube-prometheus-stack selects dashboard ConfigMaps by. */
    dashboardLabels: z.record(z.string(), z.string()).default({ grafana_dashboard: "1" }),
    /** Namespace of the dashboard ConfigMaps; empty = `cluster.monitoringNamespace` (where Grafana's sidecar looks by default). */
    dashboardNamespace: z.union([z.literal(""), k8sName]).default(""),
    /** Extra Trino catalogs: catalog name -> properties text; keys only as `${ENV:...}`, never literal. */
    additionalCatalogs: z.record(z.string(), z.string()).default({}),
    /** TPC-H scale factor of the dataset `verify.query-latency` builds once (CTAS from tpch) and reuses; 10 = ~10 GB. */
    verifyScaleFactor: z.coerce
      .number()
      .refine((v) => [0.01, 0.1, 1, 10, 100].includes(v), "expected one of 0.01, 0.1, 1, 10, 100")
      .default(10),
    /** Iceberg schema (namespace) the analytics verification owns: its TPC-H dataset and scratch tables. */
    verifySchema: z
      .string()
      .regex(/^[a-z][a-z0-9_]*$/, "expected a lower-case Trino schema name (a-z, 0-9, _)")
      .default("lakehouse_verify"),
    /** Scheduled table maintenance (compaction, snapshot expiry, orphan removal) through Trino. */
    maintenance: maintenanceSchema.default(maintenanceSchema.parse({})),
  })
  .strict();

/**
 * The in-cluster artifact cache (stacks/foundation/artifactCache.ts): the bucket every pinned jar and wheel is
 * staged into once, and the public sources (or a mirror, for an air-gapped homelab) the staging Job reads.
 */
const artifactsSchema = z
  .object({
    /** Bucket of the cache (its own ObjectBucketClaim `lakehouse-artifacts` with bucketMode obc). */
    bucket: k8sName.default("lakehouse-artifacts"),
    /** Where the staging Job fetches from: a Maven repository and a PyPI file host (http or https base URLs). */
    source: z
      .object({
        /** Maven repository layout (`<group path>/<artifact>/<version>/<file>`), e.g. a Nexus/Artifactory proxy. */
        maven: z.url({ protocol: /^https?$/ }).default("https://repo1.maven.org/maven2"),
        /** PyPI file host layout (`packages/<..>/<file>` below it, as files.pythonhosted.org serves them). */
        pypi: z.url({ protocol: /^https?$/ }).default("https://files.pythonhosted.org"),
      })
      .strict()
      .default({ maven: "https://repo1.maven.org/maven2", pypi: "https://files.pythonhosted.org" }),
  })
  .strict();

const imagesSchema = z
  .object({
    /** Pinned at 4.0.0: 4.0.1+ removed the Thrift get_table call Spark's Hive client uses (HIVE-26537). */
    metastore: image.default("apache/hive:4.0.0"),
    postgres: image.default("postgres:16.4"),
    /** pg_dump + S3 upload for the metadata backup CronJob. */
    backup: image.default("postgres:16.4"),
    /**
     * sh, curl (>= 7.75, for S3 SigV4) and sha256sum: the artifact cache's staging Job and the init containers
     * that copy jars and wheels from the cache, verifying each sha256.
     */
    tools: image.default("curlimages/curl:8.10.1"),
    /** The AWS CLI the backup CronJob copies next to pg_dump (its self-contained v2 bundle). */
    awsCli: image.default("amazon/aws-cli:2.17.0"),
    /**
     * Driver and executors of the Spark jobs: Spark 3.5.8 (the PySpark the tests run) with Java 17 and Python 3,
     * the tag apache/spark-docker publishes for 3.5.8.
     */
    spark: image.default("apache/spark:3.5.8-scala2.12-java17-python3-ubuntu"),
    /** The Spark Operator controller and webhook: the chart's appVersion for operatorChartVersion 2.5.2. */
    sparkOperator: image.default("ghcr.io/kubeflow/spark-operator/controller:2.5.2"),
    /**
     * Pinned at 476, the Trino the tests run (the newest trino-server on Maven Central); the chart's own
     * appVersion (480 for 1.42.2) is newer and untested here.
     */
    trino: image.default("trinodb/trino:476"),
    /** The table maintenance CronJob: Python 3 standard library only (the verification Jobs' Python image). */
    maintenance: image.default("python:3.11.10-slim-bookworm"),
    /** Prometheus Pushgateway, where the maintenance Job reports its outcome (the homelab runs none). */
    pushgateway: image.default("prom/pushgateway:v1.11.5"),
  })
  .strict();

const phasesSchema = z
  .object({
    foundation: bool.default(true),
    compute: bool.default(true),
    analytics: bool.default(true),
  })
  .strict();

/** The post-deploy verification that `pulumi up` runs after each phase (program/verification.ts). */
const verificationSchema = z
  .object({
    /**
     * `false`: `pulumi up` records each phase's Verification as switched off instead of running its Jobs (for
     * clusters that cannot run them, e.g. the e2e suite's kwok nodes, which run no containers). `npm run verify`
     * still measures everything on demand.
     */
    enabled: bool.default(true),
  })
  .strict();

/** The whole `lakehouse:` namespace of a stack file. Keys are the part after `lakehouse:`. */
export const configSchema = z
  .object({
    thresholds: thresholdsSchema.default(thresholdsSchema.parse({})),
    cluster: clusterSchema.default(clusterSchema.parse({})),
    triggers: triggersSchema.default(triggersSchema.parse({})),
    knowledge: knowledgeSchema.default(knowledgeSchema.parse({})),
    secretManagement: secretManagementSchema.default(secretManagementSchema.parse({})),
    s3: s3Schema.default(s3Schema.parse({})),
    probe: probeSchema.default(probeSchema.parse({})),
    platform: platformSchema.default(platformSchema.parse({})),
    sizing: sizingSchema.default(sizingSchema.parse({})),
    foundation: foundationSchema.default(foundationSchema.parse({})),
    compute: computeSchema.default(computeSchema.parse({})),
    analytics: analyticsSchema.default(analyticsSchema.parse({})),
    images: imagesSchema.default(imagesSchema.parse({})),
    artifacts: artifactsSchema.default(artifactsSchema.parse({})),
    phases: phasesSchema.default(phasesSchema.parse({})),
    verification: verificationSchema.default(verificationSchema.parse({})),
    /** Offline mode for the Pulumi program: kubectl JSON/YAML files to assess instead of the live cluster. */
    snapshotFiles: z.array(z.string().min(1)).default([]),
  })
  .strict()
  .superRefine((c, ctx) => {
    // Expired snapshots and removed orphans are gone for good: a backup still kept must find every file the
    // catalog it restores points to, and what the reconcile after a restore moves forward to.
    const m = c.analytics.maintenance;
    if (m.enabled && m.retentionDays < c.foundation.backupRetentionDays) {
      ctx.addIssue({
        code: "custom",
        path: ["analytics", "maintenance", "retentionDays"],
        // A cross-key rule: the message carries the value seen (a default is not in the file) and its own fix.
        message:
          `is ${m.retentionDays} (default 14), below ` +
          `lakehouse:foundation.backupRetentionDays (${c.foundation.backupRetentionDays}): table maintenance may ` +
          "not expire snapshots or remove files that a kept metastore backup still needs. Fix: run " +
          `\`pulumi config set --path lakehouse:analytics.maintenance.retentionDays ${c.foundation.backupRetentionDays}\`` +
          " (or more), or lower lakehouse:foundation.backupRetentionDays (docs/configuration.md).",
        input: m.retentionDays,
      });
    }
    // The Spark jobs' jar set is pinned for one Spark line (./sparkImage.ts): another line's image would start and
    // then fail on the Iceberg runtime's classes, on the cluster, at the first job.
    const spark = sparkVersionOfImage(c.images.spark);
    if (spark && !spark.startsWith(`${SPARK_LINE}.`)) {
      ctx.addIssue({
        code: "custom",
        path: ["images", "spark"],
        message:
          `is "${c.images.spark}", Spark ${spark}; the Spark jobs' pinned jar set ` +
          `(stacks/compute/spark-jars.json: iceberg-spark-runtime-${SPARK_LINE}_2.12) is for Spark ${SPARK_LINE}.x. ` +
          `Fix: use a Spark ${SPARK_LINE}.x image (default apache/spark:3.5.8-scala2.12-java17-python3-ubuntu), ` +
          "or move the jar set to the new line first (docs/configuration.md).",
        input: c.images.spark,
      });
    }
  });

export type LakehouseConfig = z.infer<typeof configSchema>;
type Sizing = LakehouseConfig["sizing"];
export type ComponentName = keyof Sizing;

/** Keys of the `lakehouse:` namespace, for "did you mean" and docs. */
export const CONFIG_KEYS = Object.keys(configSchema.shape) as (keyof LakehouseConfig)[];
