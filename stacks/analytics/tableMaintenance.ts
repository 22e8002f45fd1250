/**
 * `lakehouse:analytics:TableMaintenance`: scheduled Iceberg table maintenance through Trino. A CronJob runs
 * `table_maintenance.py` (stacks/analytics/scripts/, standard-library Python, nothing downloaded at start) which,
 * table by table, compacts (`optimize`), expires snapshots and removes orphan files older than
 * `analytics.maintenance.retentionDays`, refusing orphan removal after a reconciled metastore restore and skipping
 * any table whose catalog entry is behind its files. Its outcome reaches Prometheus through the Pushgateway
 * (pushgateway.ts); the alerts are this component's PrometheusRule (maintenanceRules.ts).
 *
 * Why a CronJob and Trino SQL (docs/runbooks/maintenance.md, "Design choices"): it runs where the platform
 * runs, needs neither Airflow nor a Spark application, and the work happens in the Trino the analytics phase
 * already keeps running.
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import * as fs from "node:fs";
import * as path from "node:path";
import type { LakehouseConfig } from "../../preflight/config/schema";
import { containerResources } from "../../preflight/config/sizing";
import { prometheusRule } from "../platform/prometheusRule";
import { type PlatformBaseRefs } from "../types";
import { CATALOG_NAMES } from "./catalogs";
import { renderMaintenanceRules, type MaintenanceRulesInput } from "./maintenanceRules";
import { ANALYTICS_NAMES, MAINTENANCE_PUSH_JOB } from "./names";
import type { BucketCredentials } from "../platform/s3";
import { platformLabels } from "../platform/labels";

/** The script the ConfigMap carries. */
const MAINTENANCE_SCRIPT = "table_maintenance.py";
/** Default scripts folder. */
const MAINTENANCE_SCRIPTS_DIR = path.join(__dirname, "scripts");
/** uid/gid the script runs as (`nobody`; the python image's default user is root). */
const MAINTENANCE_UID = 65534;
/** Per statement (one `optimize` of a large table is the long one). */
const MAINTENANCE_QUERY_TIMEOUT_SECONDS = 3600;
/** The whole run. */
const MAINTENANCE_DEADLINE_SECONDS = 4 * 3600;

interface TableMaintenanceArgs {
  /**
   * Parsed config: `analytics.maintenance`, `analytics.releaseName`, `foundation.backupBucket/backupPrefix/
   * monitoringLabels`, `images.maintenance`, `sizing.tableMaintenance`, `s3.region`.
   */
  readonly config: LakehouseConfig;
  /** The platform base (namespace, batch priority class). */
  readonly base: PlatformBaseRefs;
  /** `http://<coordinator Service>.<ns>.svc:8080`. */
  readonly trinoUrl: pulumi.Input<string>;
  /** `http://<pushgateway Service>.<ns>.svc:9091`. */
  readonly pushgatewayUrl: pulumi.Input<string>;
  /** In-cluster S3 endpoint URL of the RADOS Gateway. */
  readonly s3Endpoint: string;
  /** Keys of the backup bucket (the reconcile record) and of the warehouse bucket (the metadata folders). */
  readonly backupCredentials: BucketCredentials;
  readonly warehouseCredentials: BucketCredentials;
  /**
   * Folder with table_maintenance.py, read when the component is constructed (not at import).
   * @default stacks/analytics/scripts
   */
  readonly scriptsDir?: string;
}

/** Pure: the rules input for a config. */
function maintenanceRulesInput(config: LakehouseConfig, namespace: string): MaintenanceRulesInput {
  return {
    namespace,
    pushJob: MAINTENANCE_PUSH_JOB,
    maxAgeHours: config.analytics.maintenance.maxAgeHours,
    retentionDays: config.analytics.maintenance.retentionDays,
  };
}

type EnvVar = k8s.types.input.core.v1.EnvVar;

/** The script's environment (its env contract, table_maintenance.py's docstring). Pure. */
function maintenanceEnv(args: {
  config: LakehouseConfig;
  trinoUrl: pulumi.Input<string>;
  pushgatewayUrl: pulumi.Input<string>;
  s3Endpoint: string;
  backupCredentials: BucketCredentials;
  warehouseCredentials: BucketCredentials;
}): EnvVar[] {
  const { config } = args;
  const m = config.analytics.maintenance;
  const secret = (name: string, c: BucketCredentials, key: string): EnvVar => ({
    name,
    valueFrom: { secretKeyRef: { name: c.secret, key } },
  });
  return [
    { name: "TRINO_URL", value: args.trinoUrl },
    { name: "TRINO_USER", value: "lakehouse-maintenance" },
    { name: "TRINO_CATALOG", value: CATALOG_NAMES.iceberg },
    { name: "SCHEMAS", value: m.schemas.join(",") },
    { name: "RETENTION_DAYS", value: String(m.retentionDays) },
    { name: "QUERY_TIMEOUT_SECONDS", value: String(MAINTENANCE_QUERY_TIMEOUT_SECONDS) },
    { name: "S3_ENDPOINT", value: args.s3Endpoint },
    { name: "AWS_REGION", value: config.s3.region },
    { name: "BACKUP_BUCKET", value: config.foundation.backupBucket },
    // The same prefix backup.sh writes under; restore.sh's reconcile record is `<prefix>/reconcile/latest.json`.
    { name: "BACKUP_PREFIX", value: config.foundation.backupPrefix },
    secret("BACKUP_AWS_ACCESS_KEY_ID", args.backupCredentials, args.backupCredentials.accessKeyIdKey),
    secret("BACKUP_AWS_SECRET_ACCESS_KEY", args.backupCredentials, args.backupCredentials.secretAccessKeyKey),
    secret(
      "WAREHOUSE_AWS_ACCESS_KEY_ID",
      args.warehouseCredentials,
      args.warehouseCredentials.accessKeyIdKey,
    ),
    secret(
      "WAREHOUSE_AWS_SECRET_ACCESS_KEY",
      args.warehouseCredentials,
      args.warehouseCredentials.secretAccessKeyKey,
    ),
    { name: "PUSHGATEWAY_URL", value: args.pushgatewayUrl },
    { name: "PUSH_JOB", value: MAINTENANCE_PUSH_JOB },
    { name: "PYTHONDONTWRITEBYTECODE", value: "1" },
  ];
}

/** Reads the script; the error names the folder and the missing file. */
export function readMaintenanceScript(dir: string): string {
  const p = path.join(dir, MAINTENANCE_SCRIPT);
  try {
    return fs.readFileSync(p, "utf8");
  } catch (e) {
    throw new Error(
      `The table maintenance needs ${p}, which could not be read (${(e as NodeJS.ErrnoException).code ?? e}). ` +
        "Restore it from git (stacks/analytics/scripts/) or pass scriptsDir to TableMaintenance.",
      { cause: e },
    );
  }
}

export class TableMaintenance extends pulumi.ComponentResource {
  /** CronJob name (Jobs are `<name>-<minutes since epoch>`). */
  declare public readonly cronJobName: pulumi.Output<string>;
  /** PrometheusRule name and its alerts. */
  declare public readonly ruleName: pulumi.Output<string>;
  declare public readonly alerts: pulumi.Output<string[]>;

  constructor(name: string, args: TableMaintenanceArgs, opts?: pulumi.ComponentResourceOptions) {
    super("lakehouse:analytics:TableMaintenance", name, {}, opts);
    const { config, base } = args;
    const m = config.analytics.maintenance;
    const ns = base.namespace;
    const appName = ANALYTICS_NAMES.maintenance;
    const labels = {
      ...platformLabels("analytics", "table-maintenance"),
      "app.kubernetes.io/name": appName,
      "app.kubernetes.io/instance": "lakehouse",
    };
    const script = readMaintenanceScript(args.scriptsDir ?? MAINTENANCE_SCRIPTS_DIR);

    const scripts = new k8s.core.v1.ConfigMap(
      `${name}-scripts`,
      {
        metadata: { name: ANALYTICS_NAMES.maintenanceScripts, namespace: ns, labels },
        data: { [MAINTENANCE_SCRIPT]: script },
      },
      { parent: this },
    );

    const cron = new k8s.batch.v1.CronJob(
      `${name}-cronjob`,
      {
        metadata: { name: appName, namespace: ns, labels },
        spec: {
          schedule: m.schedule,
          timeZone: "Etc/UTC",
          // Two runs at once would race each other's commits on the same tables.
          concurrencyPolicy: "Forbid",
          startingDeadlineSeconds: 600,
          successfulJobsHistoryLimit: 3,
          failedJobsHistoryLimit: 3,
          jobTemplate: {
            metadata: { labels },
            spec: {
              // A failed run is reported (metric + alert) and the next scheduled run retries; an immediate retry
              // would only repeat the same statements against the same cause.
              backoffLimit: 0,
              activeDeadlineSeconds: MAINTENANCE_DEADLINE_SECONDS,
              template: {
                metadata: { labels },
                spec: {
                  restartPolicy: "Never",
                  priorityClassName: base.priorityClassBatch,
                  securityContext: {
                    runAsNonRoot: true,
                    runAsUser: MAINTENANCE_UID,
                    runAsGroup: MAINTENANCE_UID,
                    seccompProfile: { type: "RuntimeDefault" },
                  },
                  containers: [
                    {
                      name: "maintenance",
                      image: config.images.maintenance,
                      command: ["python3", `/scripts/${MAINTENANCE_SCRIPT}`],
                      env: maintenanceEnv({ ...args, config }),
                      resources: containerResources(config.sizing.tableMaintenance),
                      securityContext: {
                        allowPrivilegeEscalation: false,
                        readOnlyRootFilesystem: true,
                        capabilities: { drop: ["ALL"] },
                      },
                      volumeMounts: [{ name: "scripts", mountPath: "/scripts", readOnly: true }],
                    },
                  ],
                  volumes: [
                    { name: "scripts", configMap: { name: scripts.metadata.name, defaultMode: 0o444 } },
                  ],
                },
              },
            },
          },
        },
      },
      { parent: this },
    );

    const { ruleName, alerts } = prometheusRule(this, name, {
      ruleName: ANALYTICS_NAMES.maintenanceRules,
      namespace: ns,
      labels: { ...labels, ...config.foundation.monitoringLabels },
      rules: renderMaintenanceRules(maintenanceRulesInput(config, ns)),
    });

    this.cronJobName = cron.metadata.name;
    this.ruleName = ruleName;
    this.alerts = alerts;
    this.registerOutputs({ cronJobName: this.cronJobName, ruleName: this.ruleName, alerts: this.alerts });
  }
}
