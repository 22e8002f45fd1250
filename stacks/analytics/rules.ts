/**
 * Prometheus rules of the analytics phase, rendered by pure functions: the same groups go into the
 * PrometheusRule custom resource and into a plain rule file that `promtool check rules` / `promtool test rules`
 * accept (test/alerts/analytics.test.ts). Metric sources (stacks/analytics/dashboard.ts):
 * - `up` of the coordinator's scrape target (the ServiceMonitor's job = the coordinator Service name);
 * - Trino's own view of the cluster and of finished queries, from the coordinator's native /metrics.
 */
import { stringify } from "yaml";
import type { PromRule, PromRuleGroup } from "../platform/prometheusRule";

export interface AnalyticsRulesInput {
  /** Namespace of the platform workloads. */
  readonly namespace: string;
  /** Coordinator Service name (the `job` label of its scrape target). */
  readonly coordinatorJob: string;
  /** Workers the sizing asks for (`lakehouse:sizing.trinoWorker.replicas`). */
  readonly workers: number;
  /** Share of failed queries (percent, user errors excluded) above which the failed-query alert fires. */
  readonly failedQueryPercent: number;
  /**
   * Finished queries needed in the window before the ratio means anything (one failure of one query is 100 %).
   * @default 5
   */
  readonly minQueries?: number;
  /**
   * Extra labels on every alert (routing).
   * @default {}
   */
  readonly extraLabels?: Readonly<Record<string, string>>;
}

const RUNBOOK = "docs/runbooks/analytics.md";
/** The window of the failed-query ratio. */
const FAILED_QUERY_WINDOW = "10m";

const quote = (v: string) => JSON.stringify(v);

/** The rule groups. Pure. */
export function renderAnalyticsRules(input: AnalyticsRulesInput): { groups: PromRuleGroup[] } {
  if (!Number.isInteger(input.workers) || input.workers < 0) {
    throw new Error(`The Trino worker count ${input.workers} must be a whole number >= 0.`);
  }
  if (!(input.failedQueryPercent > 0 && input.failedQueryPercent <= 100)) {
    throw new Error(
      `lakehouse:analytics.failedQueryPercent is ${input.failedQueryPercent}; expected a percentage above 0 and at most 100, e.g. 10.`,
    );
  }
  for (const k of Object.keys(input.extraLabels ?? {})) {
    if (!/^[a-zA-Z_][a-zA-Z0-9_]*$/.test(k)) {
      throw new Error(
        `The alert label "${k}" is not a valid Prometheus label name; use letters, digits and '_'.`,
      );
    }
  }
  const sel = `namespace=${quote(input.namespace)},job=${quote(input.coordinatorJob)}`;
  const up = `up{${sel}}`;
  const qm = (m: string) => `trino_execution_name_QueryManager_${m}{${sel}}`;
  const w = FAILED_QUERY_WINDOW;
  const inc = (m: string) => `sum(increase(${qm(m)}[${w}]))`;
  const minQueries = input.minQueries ?? 5;
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

  const rules: PromRule[] = [
    {
      alert: "TrinoCoordinatorDown",
      expr: `max(${up}) < 1 or absent(${up})`,
      for: "5m",
      labels: labels("critical"),
      annotations: annotations(
        "Trino coordinator is down",
        `The Trino coordinator in namespace ${input.namespace} has not answered a scrape for 5 minutes; ` +
          "no SQL client, dashboard or Airflow task can run a query.",
        "trinocoordinatordown",
      ),
    },
  ];
  if (input.workers > 0) {
    // The coordinator counts itself among the active nodes (node-scheduler.include-coordinator=false does not
    // change discovery), so workers = active - 1. A rolling restart drains one worker at a time: 10 minutes
    // covers the 2 x grace period of a graceful shutdown.
    rules.push({
      alert: "TrinoWorkersMissing",
      expr: `max(trino_metadata_name_DiscoveryNodeManager_ActiveNodeCount{${sel}}) - 1 < ${input.workers}`,
      for: "10m",
      labels: labels("warning"),
      annotations: annotations(
        "Trino runs with fewer workers than configured",
        `The coordinator sees {{ $value }} active workers, fewer than the ${input.workers} of ` +
          "lakehouse:sizing.trinoWorker.replicas, for 10 minutes: queries run slower or fail for lack of memory.",
        "trinoworkersmissing",
      ),
    });
  }
  rules.push({
    // User errors (syntax, missing table) are the user's, not the platform's: they are left out.
    alert: "TrinoFailedQueryRateHigh",
    expr:
      `(${inc("FailedQueries")} - ${inc("UserErrorFailures")}) / ${inc("CompletedQueries")} * 100` +
      ` > ${input.failedQueryPercent} and ${inc("CompletedQueries")} >= ${minQueries}`,
    for: "5m",
    labels: labels("warning"),
    annotations: annotations(
      "Many Trino queries fail",
      `{{ $value | humanize }}% of the queries that finished in the last ${w} failed for reasons other than ` +
        `user errors (above ${input.failedQueryPercent}%, lakehouse:analytics.failedQueryPercent).`,
      "trinofailedqueryratehigh",
    ),
  });
  return { groups: [{ name: "lakehouse-analytics-alerts", rules }] };
}

/** The same groups as a Prometheus rule file (YAML). Pure. */
export function renderAnalyticsRuleFile(input: AnalyticsRulesInput): string {
  return stringify(renderAnalyticsRules(input), { lineWidth: 0 });
}
