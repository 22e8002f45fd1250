/**
 * The manifests of one verification run: a ConfigMap holding the scripts (./scripts and the phase's restore
 * tooling from stacks/foundation/scripts) and one Job per check, each running one script that prints one JSON
 * line. Pure: verify/kube/jobs.ts does the I/O.
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
  V1Volume,
  V1VolumeMount,
} from "@kubernetes/client-node";
import { cacheEnv, platformArtifacts, renderArtifactScript } from "../../stacks/platform/artifacts";
import { awsCliBundle, withAwsCliOnPath } from "../../stacks/platform/awsCli";
import { lockReleaseBoundSeconds } from "../../stacks/foundation/metastoreSite";
import type { FoundationTargets } from "../targets";
import {
  bucketEnv,
  objectName,
  pythonCommand,
  RUN_LABEL,
  secretEnv,
  verificationJob,
  wheelsFromCache,
} from "../kube/helperJob";
import { platformLabels } from "../../stacks/platform/labels";

/** Scripts shipped to the Jobs, in the ConfigMap's key order (each key is the file's name). */
export const SCRIPT_FILES = [
  "metastore_ping.py",
  "iceberg_roundtrip.py",
  "restore.sh",
  "reconcile.sh",
  "reconcile.sql",
  "metastore_lock_timeout.py",
] as const;

/** The checks' own scripts (what only the verification runs). */
const SCRIPTS_DIR = path.resolve(__dirname, "scripts");

/**
 * The foundation phase's pod scripts (stacks/foundation/scripts, shipped by the backup CronJob's ConfigMap):
 * verify.metadata-backup-restore runs the deployed restore tooling, not a copy of it.
 */
const PHASE_SCRIPTS_DIR = path.resolve(__dirname, "..", "..", "stacks", "foundation", "scripts");

/** Where each shipped script is read from. */
const PHASE_SCRIPTS: ReadonlySet<string> = new Set(["restore.sh", "reconcile.sh", "reconcile.sql"]);

/** The path of a shipped script (one of SCRIPT_FILES). */
function scriptPath(file: (typeof SCRIPT_FILES)[number]): string {
  return path.join(PHASE_SCRIPTS.has(file) ? PHASE_SCRIPTS_DIR : SCRIPTS_DIR, file);
}

/** Reads the scripts (the only file I/O here; called by the runner, never at import time). */
export function readScripts(): Record<string, string> {
  const out: Record<string, string> = {};
  for (const f of SCRIPT_FILES) out[f] = fs.readFileSync(scriptPath(f), "utf8");
  return out;
}

export type FoundationJobKey =
  "metastorePing" | "icebergRoundtrip" | "backupRestore" | "artifactCache" | "lockTimeout";

interface JobPlan {
  key: FoundationJobKey;
  checkId: string;
  job: V1Job;
  /** How long the runner waits for this Job, when it must wait longer than the others. */
  timeoutMs?: number;
}

interface RunManifests {
  configMap: V1ConfigMap;
  jobs: JobPlan[];
}

/** Scratch database of the lock probe's (never created) tables; one table name per run. */
const LOCK_PROBE_DATABASE = "lakehouse_verify_locks";

/**
 * How long the lock probe waits: the release bound plus a minute of grace, after which it unlocks its own lock
 * and reports a failure. Its Job gets that plus five minutes for the image pull and pip install.
 */
function lockProbeWaitSeconds(lockTimeoutSeconds: number): number {
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
