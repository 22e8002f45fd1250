/**
 * Prometheus rules of the scheduled table maintenance, rendered by pure functions: the same groups go into the
 * PrometheusRule custom resource and into a plain rule file for `promtool check rules` / `promtool test rules`
 * (test/alerts/maintenance.test.ts). Metric source: the gauges the maintenance Job pushes to the Pushgateway
 * (stacks/analytics/scripts/table_maintenance.py, listed in stacks/analytics/dashboard.ts), scraped with
 * `honorLabels` so `job` is the pushed job name and `namespace` the Pushgateway's.
 */
import { stringify } from "yaml";
import { BENIGN_SKIP_REASONS } from "./dashboard";
import type { PromRule, PromRuleGroup } from "../platform/prometheusRule";

export interface MaintenanceRulesInput {
  /** Namespace of the Pushgateway (the platform namespace). */
  readonly namespace: string;
  /** The `job` label the maintenance pushes under. */
  readonly pushJob: string;
  /** `TableMaintenanceStale` fires when the last run is older than this (`analytics.maintenance.maxAgeHours`). */
  readonly maxAgeHours: number;
  /** The retention (days), for the descriptions. */
  readonly retentionDays: number;
  /**
   * Extra labels on every alert (routing).
   * @default {}
   */
  readonly extraLabels?: Readonly<Record<string, string>>;
}

const RUNBOOK = "docs/runbooks/maintenance.md";
const quote = (v: string) => JSON.stringify(v);

/** The alert names, in order (a contract: the runbook has one anchor per alert). */
export const MAINTENANCE_ALERTS = [
  "TableMaintenanceFailed",
  "TableMaintenanceStale",
  "TableMaintenanceMissing",
  "TableMaintenanceOrphanRemovalRefused",
  "TableMaintenanceTableSkipped",
] as const;

/** The rule groups. Pure. */
export function renderMaintenanceRules(input: MaintenanceRulesInput): { groups: PromRuleGroup[] } {
  if (!Number.isInteger(input.maxAgeHours) || input.maxAgeHours < 1) {
    throw new Error(
      `lakehouse:analytics.maintenance.maxAgeHours is ${input.maxAgeHours}; expected a whole number of hours >= 1, e.g. 48.`,
    );
  }
  for (const k of Object.keys(input.extraLabels ?? {})) {
    if (!/^[a-zA-Z_][a-zA-Z0-9_]*$/.test(k)) {
      throw new Error(
        `The alert label "${k}" is not a valid Prometheus label name; use letters, digits and '_'.`,
      );
    }
  }
  const sel = `namespace=${quote(input.namespace)},job=${quote(input.pushJob)}`;
  const m = (name: string, extra = "") => `lakehouse_table_maintenance_${name}{${sel}${extra}}`;
  const labels = (severity: string) => ({
    severity,
    platform: "lakehouse",
    phase: "analytics",
    ...(input.extraLabels ?? {}),
  });
  const annotations = (summary: string, description: string, anchor: string) => ({
    summary,
    description,
    runbook_url: `${RUNBOOK}#${anchor}`,
  });
  const lastRun = m("last_run_timestamp_seconds");
  const benign = BENIGN_SKIP_REASONS.join("|");

  const rules: PromRule[] = [
    {
      // The gauge holds the last run's outcome until the next run replaces it.
      alert: "TableMaintenanceFailed",
      expr: `max(${m("success")}) == 0`,
      for: "5m",
      labels: labels("warning"),
      annotations: annotations(
        "Iceberg table maintenance failed",
        "The last table maintenance run did not finish on every table (a step failed, or Trino could not list " +
          "the tables); small files and snapshots keep piling up until it succeeds.",
        "tablemaintenancefailed",
      ),
    },
    {
      alert: "TableMaintenanceStale",
      expr: `time() - max(${lastRun}) > ${input.maxAgeHours * 3600}`,
      for: "10m",
      labels: labels("warning"),
      annotations: annotations(
        "Iceberg table maintenance has not run",
        `The last table maintenance run ended more than ${input.maxAgeHours} hours ago ` +
          "(lakehouse:analytics.maintenance.maxAgeHours).",
        "tablemaintenancestale",
      ),
    },
    {
      alert: "TableMaintenanceMissing",
      expr: `absent(${lastRun})`,
      // One full allowed age after the series vanished (a Pushgateway restart forgets it until the next run).
      for: `${input.maxAgeHours}h`,
      labels: labels("warning"),
      annotations: annotations(
        "No Iceberg table maintenance outcome",
        `No table maintenance run has reported to the Pushgateway for ${input.maxAgeHours} hours.`,
        "tablemaintenancestale",
      ),
    },
    {
      // Refusing right after a reconciled restore is the design (it ends by itself after the retention); the
      // other reasons need an operator.
      alert: "TableMaintenanceOrphanRemovalRefused",
      expr: `max by (reason) (${m("orphan_removal_refused", ',reason!="restore-reconciled"')}) == 1`,
      labels: labels("warning"),
      annotations: annotations(
        "Orphan file removal is refused: {{ $labels.reason }}",
        "The table maintenance refuses to remove orphan files ({{ $labels.reason }}): the last reconcile after a " +
          "metastore restore left divergent tables, did not finish, or its record cannot be read. Files no " +
          `snapshot references stay in the bucket until that is resolved (snapshots still expire after ${input.retentionDays} days).`,
        "tablemaintenanceorphanremovalrefused",
      ),
    },
    {
      alert: "TableMaintenanceTableSkipped",
      expr: `max by (schema, table, reason) (${m("table_status", `,status="skipped",reason!~${quote(benign)}`)}) == 1`,
      labels: labels("warning"),
      annotations: annotations(
        "Table {{ $labels.schema }}.{{ $labels.table }} is left out of maintenance: {{ $labels.reason }}",
        "The table maintenance did not touch {{ $labels.schema }}.{{ $labels.table }} ({{ $labels.reason }}): its " +
          "catalog entry disagrees with the files in the bucket, so compaction, snapshot expiry and orphan removal " +
          "could delete committed data.",
        "tablemaintenancetableskipped",
      ),
    },
  ];
  return { groups: [{ name: "lakehouse-table-maintenance-alerts", rules }] };
}

/** The same groups as a Prometheus rule file (YAML). Pure. */
export function renderMaintenanceRuleFile(input: MaintenanceRulesInput): string {
  return stringify(renderMaintenanceRules(input), { lineWidth: 0 });
}
