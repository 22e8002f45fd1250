/**
 * The compute phase's Grafana dashboard (the Spark jobs) and the metric names it and the phase's alerts may use.
 * Source: Spark Operator 2.5 (kubeflow/spark-operator, pkg/common/metrics.go, internal/metrics/*): its
 * controller's /metrics on port 8080, scraped by this phase's PodMonitor. Counters without `_total` (Go client).
 */
import type { DashboardSpec, MetricSource } from "../platform/dashboards";

const SO = "kubeflow/spark-operator pkg/common/metrics.go";
export const SPARK_METRICS: readonly MetricSource[] = [
  { name: "spark_application_count", type: "counter", source: `${SO} MetricSparkApplicationCount` },
  {
    name: "spark_application_submit_count",
    type: "counter",
    source: `${SO} MetricSparkApplicationSubmitCount`,
  },
  {
    name: "spark_application_running_count",
    type: "gauge",
    source: `${SO} MetricSparkApplicationRunningCount`,
  },
  {
    name: "spark_application_success_count",
    type: "counter",
    source: `${SO} MetricSparkApplicationSuccessCount`,
  },
  {
    name: "spark_application_failure_count",
    type: "counter",
    source: `${SO} MetricSparkApplicationFailureCount`,
  },
  {
    name: "spark_application_success_execution_time_seconds",
    type: "summary",
    source: `${SO} MetricSparkApplicationSuccessExecutionTimeSeconds`,
  },
  { name: "spark_executor_running_count", type: "gauge", source: `${SO} MetricSparkExecutorRunningCount` },
  { name: "spark_executor_failure_count", type: "counter", source: `${SO} MetricSparkExecutorFailureCount` },
];

/** The Spark jobs dashboard. Pure. */
export function sparkDashboard(): DashboardSpec {
  return {
    id: "spark",
    title: "Lakehouse / Spark jobs",
    panels: [
      {
        title: "Running applications",
        type: "stat",
        unit: "short",
        description: "SparkApplications the operator reports running.",
        targets: [{ expr: "sum(spark_application_running_count)", legendFormat: "running" }],
      },
      {
        title: "Running executors",
        type: "timeseries",
        unit: "short",
        description: "Executor pods running across all applications.",
        targets: [{ expr: "sum(spark_executor_running_count)", legendFormat: "executors" }],
      },
      {
        title: "Applications finished / 1h",
        type: "timeseries",
        unit: "short",
        description: "Succeeded and failed SparkApplications per hour.",
        targets: [
          { expr: "sum(increase(spark_application_success_count[1h]))", legendFormat: "succeeded" },
          { expr: "sum(increase(spark_application_failure_count[1h]))", legendFormat: "failed" },
        ],
      },
      {
        title: "Submissions / 1h",
        type: "timeseries",
        unit: "short",
        description: "Applications the operator submitted (spark-submit) per hour.",
        targets: [{ expr: "sum(increase(spark_application_submit_count[1h]))", legendFormat: "submitted" }],
      },
      {
        title: "Mean run time of successful applications",
        type: "timeseries",
        unit: "s",
        description: "Mean execution time of the applications that succeeded in the last 6 hours.",
        targets: [
          {
            expr:
              "sum(increase(spark_application_success_execution_time_seconds_sum[6h]))" +
              " / sum(increase(spark_application_success_execution_time_seconds_count[6h]))",
            legendFormat: "mean",
          },
        ],
      },
      {
        title: "Executor failures / 1h",
        type: "timeseries",
        unit: "short",
        description: "Executors that failed (OOM kills and lost nodes show here first).",
        targets: [{ expr: "sum(increase(spark_executor_failure_count[1h]))", legendFormat: "failed" }],
      },
    ],
  };
}
