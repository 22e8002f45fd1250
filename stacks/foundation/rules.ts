/**
 * Prometheus rules of the foundation phase, rendered by pure functions: the same groups go into the
 * PrometheusRule custom resource and into a plain rule file that `promtool check rules` / `promtool test rules`
 * accept (test/alerts/). Metric sources:
 * - `up` of the metastore's JMX exporter target (the ServiceMonitor's job = the metastore Service name);
 * - `hive_metastore_oldest_lock_age_in_sec` from the same target: the metastore's own AcidMetricService gauge
 *   (seconds since the oldest row in HIVE_LOCKS was acquired, refreshed every LOCK_METRICS_INTERVAL_SECONDS),
 *   exported by the JMX exporter rules of metastoreSite.ts (seen for real in metastore-locks.real.test.ts);
 * - kube-state-metrics for the database StatefulSet and the backup CronJob/Jobs.
 */
import { stringify } from "yaml";
import type { PromRuleGroup } from "../platform/prometheusRule";
import { SLO_RECORDS } from "./names";
import {
  DEFAULT_LOCK_TIMEOUT_SECONDS,
  LOCK_METRICS_INTERVAL_SECONDS,
  lockReleaseBoundSeconds,
} from "./metastoreSite";

export interface FoundationRulesInput {
  /** Namespace of the platform workloads. */
  readonly namespace: string;
  /** Metastore Service name (the `job` label of its scrape target). */
  readonly metastoreJob: string;
  /** Database StatefulSet name. */
  readonly databaseStatefulSet: string;
  /** Backup CronJob name. */
  readonly backupCronJob: string;
  /** A successful backup older than this is stale. */
  readonly backupMaxAgeHours: number;
  /** Availability objective in percent, e.g. 99.9. */
  readonly availabilityObjective: number;
  /**
   * The metastore's lock timeout (`lakehouse:foundation.metastoreLockTimeoutSeconds`).
   * @default 300
   */
  readonly lockTimeoutSeconds?: number;
  /**
   * Extra labels on every alert (routing).
   * @default {}
   */
  readonly extraLabels?: Readonly<Record<string, string>>;
}

export const SLO_WINDOWS = ["5m", "30m", "1h", "6h", "30d"] as const;

/**
 * Multi-window multi-burn-rate alerts (Google SRE workbook, "Alerting on SLOs", table 5-8): page at 14.4x
 * over 1h confirmed by 5m (2 % of a 30-day budget in an hour), ticket at 6x over 6h confirmed by 30m (5 % in 6h).
 */
export const BURN_RATE_ALERTS = [
  {
    alert: "MetastoreErrorBudgetBurnFast",
    factor: 14.4,
    long: "1h",
    short: "5m",
    for: "2m",
    severity: "critical",
  },
  {
    alert: "MetastoreErrorBudgetBurnSlow",
    factor: 6,
    long: "6h",
    short: "30m",
    for: "15m",
    severity: "warning",
  },
] as const;

const RUNBOOK = "docs/runbooks/foundation.md";

/**
 * The oldest-lock age above which housekeeping has missed a lock: the timeout, one housekeeping run (the release
 * bound) and one refresh of the gauge, which can still show a lock the last run removed.
 */
function lockAgeAlertSeconds(lockTimeoutSeconds: number): number {
  return lockReleaseBoundSeconds(lockTimeoutSeconds) + LOCK_METRICS_INTERVAL_SECONDS;
}

function quote(v: string): string {
  return JSON.stringify(v);
}

/** The error budget as a fraction, rounded so 99.9 gives 0.001 (not 0.0010000000000000009). */
function errorBudget(objectivePercent: number): number {
  if (!(objectivePercent > 0 && objectivePercent < 100)) {
    throw new Error(
      `The availability objective ${objectivePercent} (lakehouse:foundation.availabilityObjective) must be ` +
        `between 0 and 100 percent, exclusive; e.g. 99.9.`,
    );
  }
  return Number((1 - objectivePercent / 100).toPrecision(6));
}

/** The rule groups. Pure. */
export function renderFoundationRules(input: FoundationRulesInput): { groups: PromRuleGroup[] } {
  const ns = quote(input.namespace);
  const up = `up{namespace=${ns},job=${quote(input.metastoreJob)}}`;
  const sts = `namespace=${ns},statefulset=${quote(input.databaseStatefulSet)}`;
  const cron = `namespace=${ns},cronjob=${quote(input.backupCronJob)}`;
  const jobs = `namespace=${ns},job_name=~${quote(`${input.backupCronJob}-[0-9]+`)}`;
  const lockAge = `hive_metastore_oldest_lock_age_in_sec{namespace=${ns},job=${quote(input.metastoreJob)}}`;
  const lockTimeout = input.lockTimeoutSeconds ?? DEFAULT_LOCK_TIMEOUT_SECONDS;
  const budget = errorBudget(input.availabilityObjective);
  const maxAgeSeconds = input.backupMaxAgeHours * 3600;
  const extra = { ...(input.extraLabels ?? {}) };
  for (const k of Object.keys(extra)) {
    if (!/^[a-zA-Z_][a-zA-Z0-9_]*$/.test(k)) {
      throw new Error(
        `The alert label "${k}" is not a valid Prometheus label name; use letters, digits and '_'.`,
      );
    }
  }
  const labels = (severity: string) => ({ severity, platform: "lakehouse", phase: "foundation", ...extra });
  const annotations = (summary: string, description: string, anchor: string) => ({
    summary,
    description,
    runbook_url: `${RUNBOOK}#${anchor}`,
  });

  const slo: PromRuleGroup = {
    name: "lakehouse-foundation-slo",
    rules: [
      {
        // The service is up when ANY replica answers; no target at all counts as down (or vector(0)).
        record: SLO_RECORDS.up,
        expr: `max(${up}) or vector(0)`,
      },
      ...SLO_WINDOWS.map((w) => ({
        record: SLO_RECORDS.ratio(w),
        expr: `avg_over_time(${SLO_RECORDS.up}[${w}])`,
      })),
    ],
  };

  const alerts: PromRuleGroup = {
    name: "lakehouse-foundation-alerts",
    rules: [
      {
        alert: "MetastoreDown",
        expr: `max(${up}) < 1 or absent(${up})`,
        for: "5m",
        labels: labels("critical"),
        annotations: annotations(
          "Hive Metastore is down",
          `No Hive Metastore replica in namespace ${input.namespace} has answered a scrape for 5 minutes; ` +
            "Spark and Trino cannot plan queries.",
          "metastoredown",
        ),
      },
      {
        alert: "MetastoreDegraded",
        expr: `count(${up} == 1) < 2 and max(${up}) == 1`,
        for: "15m",
        labels: labels("warning"),
        annotations: annotations(
          "Hive Metastore runs without redundancy",
          "Only one Hive Metastore replica is up; a node drain or crash now takes the catalog down.",
          "metastoredegraded",
        ),
      },
      {
        alert: "MetastoreDatabaseDown",
        expr:
          `max(kube_statefulset_status_replicas_ready{${sts}}) < 1` +
          ` or absent(kube_statefulset_status_replicas_ready{${sts}})`,
        for: "5m",
        labels: labels("critical"),
        annotations: annotations(
          "Metastore PostgreSQL is down",
          `The PostgreSQL StatefulSet ${input.databaseStatefulSet} has had no ready replica for 5 minutes; ` +
            "the metastore cannot read or write table metadata.",
          "metastoredatabasedown",
        ),
      },
      {
        // Acquired-age of the oldest lock (both replicas report the same database-wide figure). A healthy commit
        // holds its lock for about a second; past the timeout plus one housekeeping run and one gauge refresh the
        // lock is either abandoned and housekeeping is not running, or a live writer has been stuck that long.
        alert: "MetastoreLockHeldTooLong",
        expr: `max(${lockAge}) > ${lockAgeAlertSeconds(lockTimeout)}`,
        for: "5m",
        labels: labels("warning"),
        annotations: annotations(
          "A Hive Metastore table lock is held longer than the lock timeout",
          `The oldest metastore lock has been held more than ${lockAgeAlertSeconds(lockTimeout)} s ` +
            `(timeout ${lockTimeout} s, lakehouse:foundation.metastoreLockTimeoutSeconds): housekeeping is not ` +
            "removing abandoned locks, or a writer is stuck mid-commit; commits to that table fail meanwhile.",
          "metastorelockheldtoolong",
        ),
      },
      {
        // A failed backup Job that started after the last success (or when there never was one).
        alert: "MetadataBackupFailed",
        expr:
          `(max by (namespace, job_name) (kube_job_status_start_time{${jobs}})` +
          ` and on (namespace, job_name) (kube_job_failed{${jobs},condition="true"} == 1))` +
          ` > on (namespace) group_left () max by (namespace) (kube_cronjob_status_last_successful_time{${cron}})` +
          ` or (max by (namespace, job_name) (kube_job_failed{${jobs},condition="true"} == 1)` +
          ` unless on (namespace) kube_cronjob_status_last_successful_time{${cron}})`,
        labels: labels("warning"),
        annotations: annotations(
          "Metastore backup failed",
          "The backup Job {{ $labels.job_name }} failed and no backup has succeeded since.",
          "metadatabackupfailed",
        ),
      },
      {
        alert: "MetadataBackupStale",
        expr: `time() - max(kube_cronjob_status_last_successful_time{${cron}}) > ${maxAgeSeconds}`,
        for: "10m",
        labels: labels("warning"),
        annotations: annotations(
          "Metastore backup is stale",
          `The last successful metastore backup is older than ${input.backupMaxAgeHours} hours ` +
            "(lakehouse:foundation.backupMaxAgeHours).",
          "metadatabackupstale",
        ),
      },
      {
        alert: "MetadataBackupMissing",
        expr: `absent(kube_cronjob_status_last_successful_time{${cron}})`,
        // Wait one full allowed age after the CronJob appears before calling a never-run backup missing.
        for: `${input.backupMaxAgeHours}h`,
        labels: labels("warning"),
        annotations: annotations(
          "No successful metastore backup",
          `The CronJob ${input.backupCronJob} has not completed a backup in ${input.backupMaxAgeHours} hours.`,
          "metadatabackupstale",
        ),
      },
      ...BURN_RATE_ALERTS.map((b) => ({
        alert: b.alert,
        expr:
          `(1 - ${SLO_RECORDS.ratio(b.long)}) > (${b.factor} * ${budget})` +
          ` and (1 - ${SLO_RECORDS.ratio(b.short)}) > (${b.factor} * ${budget})`,
        for: b.for,
        labels: labels(b.severity),
        annotations: annotations(
          `Metastore burns its ${input.availabilityObjective}% availability budget ${b.factor}x too fast`,
          `Over the last ${b.long} (and ${b.short}) the metastore was unavailable more than ${b.factor} times the ` +
            `rate a ${input.availabilityObjective}% objective over 30 days allows.`,
          "metastoreerrorbudgetburn",
        ),
      })),
    ],
  };
  return { groups: [slo, alerts] };
}

/** The same groups as a Prometheus rule file (YAML). Pure. */
export function renderFoundationRuleFile(input: FoundationRulesInput): string {
  return stringify(renderFoundationRules(input), { lineWidth: 0 });
}
