/**
 * Prometheus rules of the compute phase, rendered by pure functions: the same groups go into the PrometheusRule
 * and into a plain rule file for `promtool check rules` / `promtool test rules` (test/alerts/compute.test.ts).
 * Metric sources:
 * - kube-state-metrics for the operator's Deployments and for terminated executor containers;
 * - the operator's own metrics (chart `prometheus.metrics`, scraped by its PodMonitor):
 *   `spark_application_failure_count` and `spark_application_failed_submission_count` (counters).
 */
import { stringify } from "yaml";
import type { PromRuleGroup } from "../platform/prometheusRule";

export interface ComputeRulesInput {
  readonly namespace: string;
  /** Controller Deployment (`<release>-controller`). */
  readonly controllerDeployment: string;
  /** Webhook Deployment, when the webhook is enabled. */
  readonly webhookDeployment?: string;
  /** Extra labels on every alert (routing). @default {} */
  readonly extraLabels?: Readonly<Record<string, string>>;
}

const RUNBOOK = "docs/runbooks/compute.md";
const q = (v: string) => JSON.stringify(v);

/** The rule groups. Pure. */
export function renderComputeRules(input: ComputeRulesInput): { groups: PromRuleGroup[] } {
  for (const k of Object.keys(input.extraLabels ?? {})) {
    if (!/^[a-zA-Z_][a-zA-Z0-9_]*$/.test(k)) {
      throw new Error(
        `The alert label "${k}" is not a valid Prometheus label name; use letters, digits and '_'.`,
      );
    }
  }
  const ns = q(input.namespace);
  const labels = (severity: string) => ({
    severity,
    platform: "lakehouse",
    phase: "compute",
    ...(input.extraLabels ?? {}),
  });
  const annotations = (summary: string, description: string, anchor: string) => ({
    summary,
    description,
    runbook_url: `${RUNBOOK}#${anchor}`,
  });
  const available = (deployment: string) =>
    `kube_deployment_status_replicas_available{namespace=${ns},deployment=${q(deployment)}}`;
  const down = (deployment: string) =>
    `max(${available(deployment)}) < 1 or absent(${available(deployment)})`;
  // Spark names executor pods `<app>-<id>-exec-<n>`; the driver is `<app>-driver`.
  const executorOom = `kube_pod_container_status_terminated_reason{namespace=${ns},reason="OOMKilled",pod=~".+-exec-[0-9]+"}`;
  const lastOom = `kube_pod_container_status_last_terminated_reason{namespace=${ns},reason="OOMKilled",pod=~".+-exec-[0-9]+"}`;

  const rules = [
    {
      alert: "SparkOperatorDown",
      expr: down(input.controllerDeployment),
      for: "5m",
      labels: labels("critical"),
      annotations: annotations(
        "Spark Operator is down",
        `The Spark Operator controller ${input.controllerDeployment} in namespace ${input.namespace} has had no ` +
          "available replica for 5 minutes; no SparkApplication is submitted or tracked (Airflow's Spark tasks hang).",
        "sparkoperatordown",
      ),
    },
    ...(input.webhookDeployment
      ? [
          {
            alert: "SparkOperatorWebhookDown",
            expr: down(input.webhookDeployment),
            for: "5m",
            labels: labels("critical"),
            annotations: annotations(
              "Spark Operator webhook is down",
              `The webhook ${input.webhookDeployment} has had no available replica for 5 minutes; Spark pods that ` +
                "need volumes, init containers or Secret env cannot be created (failurePolicy Fail).",
              "sparkoperatorwebhookdown",
            ),
          },
        ]
      : []),
    {
      // increase() over the window tolerates counter resets (operator restarts); each failure alerts for 30m.
      alert: "SparkApplicationFailed",
      // Filtered before `or`, so a submission failure still alerts when the failure counter exists but is flat.
      expr:
        `sum by (namespace) (increase(spark_application_failure_count{namespace=${ns}}[30m])) > 0` +
        ` or sum by (namespace) (increase(spark_application_failed_submission_count{namespace=${ns}}[30m])) > 0`,
      labels: labels("warning"),
      annotations: annotations(
        "SparkApplications failed",
        "At least one SparkApplication in namespace {{ $labels.namespace }} failed or could not be submitted in the " +
          "last 30 minutes (the operator's failure counters rose).",
        "sparkapplicationfailed",
      ),
    },
    {
      alert: "SparkExecutorOOMKilled",
      expr:
        `max by (namespace, pod) (max_over_time(${executorOom}[10m])) > 0` +
        ` or max by (namespace, pod) (max_over_time(${lastOom}[10m])) > 0`,
      labels: labels("warning"),
      annotations: annotations(
        "Spark executor OOM-killed",
        "The executor pod {{ $labels.pod }} was killed for exceeding its memory limit; the job retries tasks and " +
          "may fail. Raise lakehouse:sizing.sparkExecutor.memory or lower the data per task.",
        "sparkexecutoroomkilled",
      ),
    },
  ];
  return { groups: [{ name: "lakehouse-compute-alerts", rules }] };
}

/** The same groups as a Prometheus rule file (YAML). Pure. */
export function renderComputeRuleFile(input: ComputeRulesInput): string {
  return stringify(renderComputeRules(input), { lineWidth: 0 });
}
