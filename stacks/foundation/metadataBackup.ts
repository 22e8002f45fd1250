/**
 * `lakehouse:foundation:MetadataBackup`: a CronJob that dumps the metastore database to the backup bucket and
 * prunes dumps older than the retention, running `backup.sh` from stacks/foundation/scripts/.
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import * as fs from "node:fs";
import * as path from "node:path";
import type { LakehouseConfig } from "../../preflight/config/schema";
import { containerResources } from "../../preflight/config/sizing";
import type { PlatformBaseRefs } from "../types";
import { awsCliBundle, withAwsCliOnPath } from "../platform/awsCli";
import { containerSecurity, podSecurity } from "../platform/pods";
import { POSTGRES_UID } from "./metastoreDatabase";
import { FOUNDATION_NAMES, foundationLabels } from "./names";
import type { BucketCredentials } from "../platform/s3";

/**
 * The scripts the ConfigMap carries (engineer H8's backup/restore, tested on real PostgreSQL + radosgw; the
 * reconcile restore.sh runs after a restore, tested on a real Hive Metastore 4.0.0).
 */
const BACKUP_SCRIPTS = ["backup.sh", "restore.sh", "reconcile.sh", "reconcile.sql"] as const;
/** Default scripts folder. */
const SCRIPTS_DIR = path.join(__dirname, "scripts");

interface MetadataBackupArgs {
  /**
   * Parsed config: `foundation.backupSchedule/backupRetentionDays/backupPrefix`, `images.backup/awsCli`,
   * `sizing.metadataBackup`, `s3.region`.
   */
  readonly config: LakehouseConfig;
  /** The platform base (namespace, batch priority class). */
  readonly base: PlatformBaseRefs;
  /** Host of the metastore database Service. */
  readonly databaseHost: pulumi.Input<string>;
  readonly databasePort: pulumi.Input<number>;
  readonly databaseName: pulumi.Input<string>;
  /** Secret with `username` and `password`. */
  readonly databaseSecret: string;
  /** The backup bucket. */
  readonly bucket: pulumi.Input<string>;
  /** In-cluster S3 endpoint URL. */
  readonly s3Endpoint: pulumi.Input<string>;
  /** Where the backup bucket's keys are. */
  readonly bucketCredentials: BucketCredentials;
  /**
   * Where the warehouse bucket's keys are: a restore Job made from this CronJob (the runbook's) reconciles the
   * restored catalog with the warehouse and reads it with them (WAREHOUSE_AWS_*; backup.sh ignores them).
   * @default none: the reconcile then reads the warehouse with the backup bucket's keys
   */
  readonly warehouseCredentials?: BucketCredentials;
  /**
   * Folder with backup.sh and restore.sh, read when the component is constructed (not at import).
   * @default stacks/foundation/scripts
   */
  readonly scriptsDir?: string;
}

/** Reads the scripts; the error names the folder and the missing file. */
function readBackupScripts(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const file of BACKUP_SCRIPTS) {
    const p = path.join(dir, file);
    try {
      out[file] = fs.readFileSync(p, "utf8");
    } catch (e) {
      throw new Error(
        `The metadata backup needs ${p}, which could not be read (${(e as NodeJS.ErrnoException).code ?? e}). ` +
          "Restore it from git (stacks/foundation/scripts/) or pass scriptsDir to MetadataBackup.",
        { cause: e },
      );
    }
  }
  return out;
}

export class MetadataBackup extends pulumi.ComponentResource {
  /** CronJob name (Jobs are `<name>-<minutes since epoch>`). */
  declare public readonly cronJobName: pulumi.Output<string>;
  /** ConfigMap with backup.sh and restore.sh (the restore procedure mounts it too). */
  declare public readonly scriptsConfigMap: pulumi.Output<string>;
  /** `s3://<bucket>/<prefix>/`. */
  declare public readonly location: pulumi.Output<string>;
  /** Resolves once the CronJob exists: what the verification waits for. */
  declare public readonly ready: pulumi.Output<unknown>;

  constructor(name: string, args: MetadataBackupArgs, opts?: pulumi.ComponentResourceOptions) {
    super("lakehouse:foundation:MetadataBackup", name, {}, opts);
    const { config, base } = args;
    const f = config.foundation;
    const ns = base.namespace;
    const appName = FOUNDATION_NAMES.backup;
    const labels = foundationLabels("metadata-backup", appName);
    const scripts = readBackupScripts(args.scriptsDir ?? SCRIPTS_DIR);
    const aws = awsCliBundle(config.images.awsCli);
    const creds = args.bucketCredentials;
    const wh = args.warehouseCredentials;
    const secretEnv = (envName: string, secret: string, key: string) => ({
      name: envName,
      valueFrom: { secretKeyRef: { name: secret, key } },
    });

    const scriptsMap = new k8s.core.v1.ConfigMap(
      `${name}-scripts`,
      { metadata: { name: `${appName}-scripts`, namespace: ns, labels }, data: scripts },
      { parent: this },
    );

    const cron = new k8s.batch.v1.CronJob(
      `${name}-cronjob`,
      {
        metadata: { name: appName, namespace: ns, labels },
        spec: {
          schedule: f.backupSchedule,
          timeZone: "Etc/UTC",
          // Two dumps at once would only compete for the database and the bucket.
          concurrencyPolicy: "Forbid",
          // A run missed by more than this (controller down) is skipped, not piled up.
          startingDeadlineSeconds: 600,
          successfulJobsHistoryLimit: 3,
          // Kept so the MetadataBackupFailed alert (kube_job_failed) and an operator can see the failure.
          failedJobsHistoryLimit: 3,
          jobTemplate: {
            metadata: { labels },
            spec: {
              backoffLimit: 2,
              activeDeadlineSeconds: 3600,
              template: {
                metadata: { labels },
                spec: {
                  restartPolicy: "Never",
                  priorityClassName: base.priorityClassBatch,
                  securityContext: podSecurity(POSTGRES_UID),
                  initContainers: [aws.initContainer],
                  containers: [
                    {
                      name: "backup",
                      image: config.images.backup,
                      command: withAwsCliOnPath("/scripts/backup.sh"),
                      env: [
                        ...aws.env,
                        { name: "PGHOST", value: args.databaseHost },
                        { name: "PGPORT", value: pulumi.output(args.databasePort).apply(String) },
                        secretEnv("PGUSER", args.databaseSecret, "username"),
                        secretEnv("PGPASSWORD", args.databaseSecret, "password"),
                        { name: "PGDATABASE", value: args.databaseName },
                        { name: "S3_ENDPOINT", value: args.s3Endpoint },
                        { name: "S3_BUCKET", value: args.bucket },
                        { name: "S3_PREFIX", value: f.backupPrefix },
                        secretEnv("AWS_ACCESS_KEY_ID", creds.secret, creds.accessKeyIdKey),
                        secretEnv("AWS_SECRET_ACCESS_KEY", creds.secret, creds.secretAccessKeyKey),
                        { name: "AWS_REGION", value: config.s3.region },
                        { name: "RETENTION_DAYS", value: String(f.backupRetentionDays) },
                        // Ceph RGW before Reef answers the flexible-checksum uploads of recent AWS SDKs/CLIs
                        // with HTTP 411 MissingContentLength; only checksum when an operation requires it.
                        { name: "AWS_REQUEST_CHECKSUM_CALCULATION", value: "when_required" },
                        { name: "AWS_RESPONSE_CHECKSUM_VALIDATION", value: "when_required" },
                        { name: "TMPDIR", value: "/tmp" },
                        ...(wh
                          ? [
                              secretEnv("WAREHOUSE_AWS_ACCESS_KEY_ID", wh.secret, wh.accessKeyIdKey),
                              secretEnv("WAREHOUSE_AWS_SECRET_ACCESS_KEY", wh.secret, wh.secretAccessKeyKey),
                            ]
                          : []),
                      ],
                      resources: containerResources(config.sizing.metadataBackup),
                      securityContext: containerSecurity(true),
                      volumeMounts: [
                        { name: "scripts", mountPath: "/scripts", readOnly: true },
                        { name: "tmp", mountPath: "/tmp" },
                        aws.volumeMount,
                      ],
                    },
                  ],
                  volumes: [
                    { name: "scripts", configMap: { name: scriptsMap.metadata.name, defaultMode: 0o555 } },
                    // The dump is staged here before upload: size it for the metastore database.
                    { name: "tmp", emptyDir: { sizeLimit: config.foundation.dbStorage } },
                    aws.volume,
                  ],
                },
              },
            },
          },
        },
      },
      { parent: this },
    );

    this.cronJobName = cron.metadata.name;
    this.scriptsConfigMap = scriptsMap.metadata.name;
    this.location = pulumi
      .output(args.bucket)
      .apply((b) => `s3://${b}/${f.backupPrefix.replace(/^\/+|\/+$/g, "")}/`);
    this.ready = cron.metadata.uid;
    this.registerOutputs({
      ready: this.ready,
      cronJobName: this.cronJobName,
      scriptsConfigMap: this.scriptsConfigMap,
      location: this.location,
    });
  }
}
