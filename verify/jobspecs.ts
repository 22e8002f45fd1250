/**
 * The manifests of one verification run: a ConfigMap holding the scripts of stacks/foundation/scripts and one
 * Job per check, each running one script that prints one JSON line. Pure: jobs.ts does the I/O.
 *
 * Why in-cluster Jobs: the metastore (Thrift), the database and the in-cluster RGW endpoint are reachable only
 * inside the cluster network, while the Kubernetes API is reachable from an operator's laptop. A Job needs only
 * `kubectl`-level rights, no port-forward (which client-node can do only for pods, one port at a time) and no
 * Thrift, PostgreSQL or S3 client on the laptop; it also tests from where the platform's clients really are.
 */
import * as fs from "fs";
import * as path from "path";
import type {
  V1ConfigMap,
  V1Container,
  V1EnvVar,
  V1Job,
  V1ResourceRequirements,
  V1Volume,
  V1VolumeMount,
} from "@kubernetes/client-node";
import {
  artifactVolumeSize,
  cacheEnv,
  cacheFetchContainer,
  platformArtifacts,
  PYTHON_WHEELS,
  renderArtifactScript,
  type CacheReader,
} from "../stacks/platform/artifacts";
import { awsCliBundle, withAwsCliOnPath } from "../stacks/platform/awsCli";
import { lockReleaseBoundSeconds } from "../stacks/foundation/metastoreSite";
import { PYTHON_PACKAGES, type BucketTarget, type FoundationTargets } from "./targets";
import { platformLabels } from "../stacks/platform/labels";

/** Scripts shipped to the Jobs (file names in stacks/foundation/scripts). */
export const SCRIPT_FILES = [
  "metastore_ping.py",
  "iceberg_roundtrip.py",
  "restore.sh",
  "reconcile.sh",
  "reconcile.sql",
  "metastore_lock_timeout.py",
] as const;

export const SCRIPTS_DIR = path.resolve(__dirname, "..", "stacks", "foundation", "scripts");

/** Reads the scripts (the only file I/O here; called by the runner, never at import time). */
export function readScripts(dir = SCRIPTS_DIR): Record<string, string> {
  const out: Record<string, string> = {};
  for (const f of SCRIPT_FILES) out[f] = fs.readFileSync(path.join(dir, f), "utf8");
  return out;
}

/** Label that marks every object of one verification run (for cleanup with a selector). */
export const RUN_LABEL = "lakehouse.dev/verify-run";

export type FoundationJobKey =
  "metastorePing" | "icebergRoundtrip" | "backupRestore" | "artifactCache" | "lockTimeout";

export interface JobPlan {
  key: FoundationJobKey;
  checkId: string;
  job: V1Job;
  /** How long the runner waits for this Job, when it must wait longer than the others. */
  timeoutMs?: number;
}

export interface RunManifests {
  configMap: V1ConfigMap;
  jobs: JobPlan[];
}

const secretEnv = (name: string, secret: string, key: string): V1EnvVar => ({
  name,
  valueFrom: { secretKeyRef: { name: secret, key } },
});

/** S3_ENDPOINT, S3_BUCKET and the keys for a bucket (the keys by reference to their Secret). */
export function bucketEnv(b: BucketTarget, region: string): V1EnvVar[] {
  return [
    { name: "S3_ENDPOINT", value: b.endpoint },
    { name: "S3_BUCKET", value: b.bucket },
    secretEnv("AWS_ACCESS_KEY_ID", b.secret, b.accessKeyKey),
    secretEnv("AWS_SECRET_ACCESS_KEY", b.secret, b.secretKeyKey),
    { name: "AWS_REGION", value: region },
    // Ceph RGW before Reef answers recent AWS SDKs' flexible-checksum uploads with HTTP 411.
    { name: "AWS_REQUEST_CHECKSUM_CALCULATION", value: "when_required" },
    { name: "AWS_RESPONSE_CHECKSUM_VALIDATION", value: "when_required" },
  ];
}

/** Where a Python Job's init container puts the wheels from the artifact cache. */
export const WHEELS_DIR = "/wheels";

/**
 * A shell line that runs a Python script, pip-installing the pinned packages first unless the image has them:
 * from the wheels in `wheelsDir` only (`--no-index`), which the Job's init container copied out of the
 * in-cluster artifact cache; pip never reaches PyPI. The ping needs only the Thrift bindings inside pyiceberg;
 * the round trip also needs pyarrow (~150 MB installed).
 */
export function pythonCommand(
  script: string,
  withArrow = true,
  dirs: { wheels: string; scripts: string; target: string } = {
    wheels: WHEELS_DIR,
    scripts: "/scripts",
    target: "/tmp/py",
  },
): string[] {
  const pins = PYTHON_PACKAGES.filter((p) => withArrow || !p.startsWith("pyarrow"))
    .map((p) => `'${p}'`)
    .join(" ");
  const imports = withArrow ? "pyiceberg, pyarrow, thrift" : "pyiceberg, thrift";
  return [
    "sh",
    "-c",
    `set -e; if ! python -c 'import ${imports}' 2>/dev/null; then ` +
      `python -m pip install --no-cache-dir --quiet --disable-pip-version-check --no-index --find-links ${dirs.wheels} ` +
      `--target ${dirs.target} ${pins} >&2; fi; ` +
      `PYTHONPATH=${dirs.target} exec python ${dirs.scripts}/${script}`,
  ];
}

/** The wheels a Python Job needs: all of PYTHON_WHEELS, or those without pyarrow. */
export function jobWheels(withArrow: boolean): typeof PYTHON_WHEELS {
  return PYTHON_WHEELS.filter((w) => withArrow || !w.forArrow);
}

/**
 * The init container, volume and mount that give a Python Job its wheels from the in-cluster artifact cache
 * (sha256-checked; a missing wheel stops the Job with one line naming it and the fix).
 */
export function wheelsFromCache(
  tools: string,
  cache: CacheReader,
  withArrow: boolean,
): { initContainers: V1Container[]; volumes: V1Volume[]; volumeMounts: V1VolumeMount[] } {
  const wheels = jobWheels(withArrow);
  return {
    initContainers: [
      cacheFetchContainer({
        name: "fetch-wheels",
        image: tools,
        artifacts: wheels,
        volume: "wheels",
        dir: WHEELS_DIR,
        reader: cache,
      }) as V1Container,
    ],
    volumes: [{ name: "wheels", emptyDir: { sizeLimit: artifactVolumeSize(wheels) } }],
    volumeMounts: [{ name: "wheels", mountPath: WHEELS_DIR, readOnly: true }],
  };
}

/** Kubernetes name for a run's object: `lakehouse-verify-<what>-<runId>`, at most 63 characters. */
export function objectName(what: string, runId: string): string {
  return `lakehouse-verify-${what}-${runId}`.slice(0, 63).replace(/-+$/, "");
}

/** What differs between the verification's helper Jobs; everything else is the one shape below. */
export interface VerificationJobSpec {
  name: string;
  namespace: string;
  /** Labels of the Job and its pod. */
  labels: Record<string, string>;
  image: string;
  command: string[];
  /** The container's whole environment. */
  env: V1EnvVar[];
  /** `activeDeadlineSeconds`: the cluster stops a hung Job even if the runner that created it is gone. */
  timeoutSeconds: number;
  priorityClassName?: string;
  /** The ConfigMap mounted read-only at /scripts, and its files' mode (unset: the API's default, 0644). */
  scripts: { configMap: string; defaultMode?: number };
  /** A writable emptyDir at /tmp (2 GiB; pip and pyarrow unpack there). @default true */
  tmp?: boolean;
  /** @default requests 100m / 256Mi, limit 1Gi */
  resources?: V1ResourceRequirements;
  initContainers?: V1Container[];
  volumes?: V1Volume[];
  volumeMounts?: V1VolumeMount[];
}

/**
 * A verification helper Job: one container, run once (no retries, no restarts), non-root with a read-only root
 * file system and no capabilities, no service-account token, cleaned up by TTL an hour after it ends. The one
 * pod shape of every helper Job (foundation checks, the sample job's file staging, the Airflow DAG run). Pure.
 */
export function verificationJob(spec: VerificationJobSpec): V1Job {
  const tmp = spec.tmp ?? true;
  return {
    apiVersion: "batch/v1",
    kind: "Job",
    metadata: { name: spec.name, namespace: spec.namespace, labels: spec.labels },
    spec: {
      backoffLimit: 0,
      activeDeadlineSeconds: spec.timeoutSeconds,
      ttlSecondsAfterFinished: 3600,
      template: {
        metadata: { labels: spec.labels },
        spec: {
          restartPolicy: "Never",
          ...(spec.priorityClassName ? { priorityClassName: spec.priorityClassName } : {}),
          automountServiceAccountToken: false,
          securityContext: {
            runAsNonRoot: true,
            runAsUser: 1000,
            runAsGroup: 1000,
            seccompProfile: { type: "RuntimeDefault" },
          },
          ...(spec.initContainers ? { initContainers: spec.initContainers } : {}),
          containers: [
            {
              name: "verify",
              image: spec.image,
              imagePullPolicy: "IfNotPresent",
              command: spec.command,
              env: spec.env,
              resources: spec.resources ?? {
                requests: { cpu: "100m", memory: "256Mi" },
                limits: { memory: "1Gi" },
              },
              securityContext: {
                allowPrivilegeEscalation: false,
                readOnlyRootFilesystem: true,
                capabilities: { drop: ["ALL"] },
              },
              volumeMounts: [
                { name: "scripts", mountPath: "/scripts", readOnly: true },
                ...(tmp ? [{ name: "tmp", mountPath: "/tmp" }] : []),
                ...(spec.volumeMounts ?? []),
              ],
            },
          ],
          volumes: [
            {
              name: "scripts",
              configMap: {
                name: spec.scripts.configMap,
                ...(spec.scripts.defaultMode !== undefined ? { defaultMode: spec.scripts.defaultMode } : {}),
              },
            },
            ...(tmp ? [{ name: "tmp", emptyDir: { sizeLimit: "2Gi" } }] : []),
            ...(spec.volumes ?? []),
          ],
        },
      },
    },
  };
}

/** Scratch database of the lock probe's (never created) tables; one table name per run. */
export const LOCK_PROBE_DATABASE = "lakehouse_verify_locks";

/**
 * How long the lock probe waits: the release bound plus a minute of grace, after which it unlocks its own lock
 * and reports a failure. Its Job gets that plus five minutes for the image pull and pip install.
 */
export function lockProbeWaitSeconds(lockTimeoutSeconds: number): number {
  return lockReleaseBoundSeconds(lockTimeoutSeconds) + 60;
}

/** The ConfigMap and the five Jobs of a foundation verification run. */
export function foundationManifests(
  t: FoundationTargets,
  runId: string,
  scripts: Record<string, string>,
  opts: { timeoutSeconds: number },
): RunManifests {
  const labels = { ...platformLabels("foundation", "verification"), [RUN_LABEL]: runId };
  const scriptsName = objectName("scripts", runId);
  const configMap: V1ConfigMap = {
    apiVersion: "v1",
    kind: "ConfigMap",
    metadata: { name: scriptsName, namespace: t.namespace, labels },
    data: { ...scripts },
  };
  const job = (
    what: string,
    checkId: string,
    image: string,
    command: string[],
    env: V1EnvVar[],
    extra: {
      initContainers?: V1Container[];
      volumes?: V1Volume[];
      volumeMounts?: V1VolumeMount[];
      timeoutSeconds?: number;
    } = {},
  ): V1Job =>
    verificationJob({
      name: objectName(what, runId),
      namespace: t.namespace,
      labels: { ...labels, "lakehouse.dev/check": checkId },
      image,
      command,
      env: [{ name: "HOME", value: "/tmp" }, ...env],
      timeoutSeconds: opts.timeoutSeconds,
      priorityClassName: t.priorityClass,
      scripts: { configMap: scriptsName, defaultMode: 0o555 },
      ...extra,
    });
  const lockWait = lockProbeWaitSeconds(t.lockTimeoutSeconds);
  const lockDeadline = Math.max(opts.timeoutSeconds, lockWait + 300);
  const db = t.database;
  const dbEnv: V1EnvVar[] = [
    { name: "PGHOST", value: db.host },
    { name: "PGPORT", value: String(db.port) },
    secretEnv("PGUSER", db.secret, "username"),
    secretEnv("PGPASSWORD", db.secret, "password"),
    { name: "PGDATABASE", value: db.name },
  ];
  const warehouseEnv = bucketEnv(t.warehouse, t.region);
  // The same AWS CLI side-load as the backup CronJob (stacks/platform/awsCli.ts): the postgres image has
  // pg_restore/psql, the pinned aws-cli image's bundle is copied next to them by an init container.
  const aws = awsCliBundle(t.images.awsCli);
  const warehouseUri = `s3://${t.warehouse.bucket}/${t.warehouse.path}`;
  return {
    configMap,
    jobs: [
      {
        key: "metastorePing",
        checkId: "verify.metastore-available",
        job: job(
          "ping",
          "verify.metastore-available",
          t.images.python,
          pythonCommand("metastore_ping.py", false),
          [
            { name: "METASTORE_URI", value: t.metastoreUri },
            { name: "PING_ATTEMPTS", value: "3" },
            { name: "PING_TIMEOUT_MS", value: "10000" },
          ],
          wheelsFromCache(t.images.tools, t.cache, false),
        ),
      },
      {
        key: "icebergRoundtrip",
        checkId: "verify.iceberg-roundtrip",
        job: job(
          "iceberg",
          "verify.iceberg-roundtrip",
          t.images.python,
          pythonCommand("iceberg_roundtrip.py"),
          [
            { name: "ICEBERG_CATALOG_TYPE", value: "hive" },
            { name: "ICEBERG_CATALOG_URI", value: t.metastoreUri },
            ...warehouseEnv,
            { name: "ICEBERG_WAREHOUSE", value: warehouseUri },
          ],
          wheelsFromCache(t.images.tools, t.cache, true),
        ),
      },
      {
        key: "backupRestore",
        checkId: "verify.metadata-backup-restore",
        job: job(
          "restore",
          "verify.metadata-backup-restore",
          t.images.restore,
          [...withAwsCliOnPath("/scripts/restore.sh"), "--verify"],
          [
            ...aws.env.filter((e) => e.name !== "HOME"),
            ...dbEnv,
            ...bucketEnv(t.backup, t.region),
            { name: "S3_PREFIX", value: t.backup.prefix },
            // The reconcile of the scratch copy reads (lists, gets) the warehouse with its own keys.
            { name: "WAREHOUSE_S3_ENDPOINT", value: t.warehouse.endpoint },
            secretEnv("WAREHOUSE_AWS_ACCESS_KEY_ID", t.warehouse.secret, t.warehouse.accessKeyKey),
            secretEnv("WAREHOUSE_AWS_SECRET_ACCESS_KEY", t.warehouse.secret, t.warehouse.secretKeyKey),
          ],
          {
            initContainers: [aws.initContainer as V1Container],
            volumes: [aws.volume],
            volumeMounts: [aws.volumeMount],
          },
        ),
      },
      {
        key: "artifactCache",
        checkId: "verify.artifact-cache",
        // Reads every cached artifact through the in-cluster endpoint and checks its sha256 (the pods' own
        // script in check mode: no public source in it).
        job: job(
          "artifacts",
          "verify.artifact-cache",
          t.images.tools,
          [
            "sh",
            "-c",
            renderArtifactScript(platformArtifacts(), { stage: false }),
            "artifact-cache",
            "check",
          ],
          [...(cacheEnv(t.cache) as V1EnvVar[]), { name: "TMPDIR", value: "/tmp" }],
        ),
      },
      {
        key: "lockTimeout",
        checkId: "verify.metastore-lock-timeout",
        // It waits out the lock timeout by design (5.5 min with the default), longer than the other Jobs.
        timeoutMs: lockDeadline * 1000,
        job: job(
          "lock",
          "verify.metastore-lock-timeout",
          t.images.python,
          pythonCommand("metastore_lock_timeout.py", false),
          [
            { name: "METASTORE_URI", value: t.metastoreUri },
            { name: "LOCK_DATABASE", value: LOCK_PROBE_DATABASE },
            { name: "LOCK_TABLE", value: `abandoned_${runId.toLowerCase().replace(/[^a-z0-9]/g, "_")}` },
            { name: "LOCK_TIMEOUT_SECONDS", value: String(t.lockTimeoutSeconds) },
            {
              name: "LOCK_RELEASE_BOUND_SECONDS",
              value: String(lockReleaseBoundSeconds(t.lockTimeoutSeconds)),
            },
            { name: "WAIT_SECONDS", value: String(lockWait) },
          ],
          { ...wheelsFromCache(t.images.tools, t.cache, false), timeoutSeconds: lockDeadline },
        ),
      },
    ],
  };
}
