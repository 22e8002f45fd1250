/**
 * The metric names the dashboards and alerts may use, per component, each with where it comes from. A test
 * (test/stacks/analytics/dashboards.test.ts) checks that every PromQL expression of the dashboards and rules
 * uses only these names, and that the Trino names are in a real Trino 476's /metrics (test/fixtures/metrics/).
 *
 * Sources:
 * - Prometheus itself: `up` for every target a ServiceMonitor/PodMonitor scrapes.
 * - Trino 476: its native OpenMetrics endpoint (/metrics, airlift `JmxOpenMetricsModule`, bound in
 *   io.trino.server.Server on every node), scraped by this phase's ServiceMonitors. airlift's
 *   OpenMetricsCollector names a managed bean attribute `<bean name>_<attribute>` with every character outside
 *   [A-Za-z0-9_] collapsed to `_`; a `CounterStat` is an OpenMetrics counter (no `_total`), a `TimeStat` a summary
 *   per window. The beans: io.trino.execution.QueryManagerStats (trino.execution:name=QueryManager),
 *   io.trino.memory.ClusterMemoryManager and MemoryPool, io.trino.metadata.DiscoveryNodeManager,
 *   io.trino.failuredetector.HeartbeatFailureDetector.
 * - Hive Metastore 4.0.0: the foundation's JMX exporter agent (1.0.1) with the rules in
 *   stacks/foundation/metastoreSite.ts (`metrics<name=X><>Value` -> `hive_metastore_X`, `...Count` ->
 *   `hive_metastore_X_count`); names from org.apache.hadoop.hive.metastore.metrics.MetricsConstants
 *   (OPEN_CONNECTIONS, TOTAL_TABLES, DIRECTSQL_ERRORS); JVM memory from prometheus/client_java's
 *   JvmMemoryMetrics (`jvm_memory_used_bytes`, `jvm_memory_max_bytes`, label `area`), which the agent registers.
 * - Spark Operator 2.5 (kubeflow/spark-operator, pkg/common/metrics.go, internal/metrics/*): its controller's
 *   /metrics on port 8080, scraped by the compute phase's PodMonitor. Counters without `_total` (Go client).
 * - The table maintenance (stacks/analytics/scripts/table_maintenance.py): gauges it pushes to the Pushgateway
 *   at the end of every run (PUT: a run replaces the previous one), scraped by this phase's ServiceMonitor with
 *   honorLabels. test/analytics/maintenance.test.ts scrapes a real Pushgateway after a real run and checks
 *   every name and type below.
 */

export interface MetricSource {
  readonly name: string;
  /** Prometheus type: counter, gauge or summary (a summary's series are name, name_count, name_sum). */
  readonly type: "counter" | "gauge" | "summary";
  readonly source: string;
}

const QM = "trino.execution:name=QueryManager (io.trino.execution.QueryManagerStats)";

export const TRINO_METRICS: readonly MetricSource[] = [
  { name: "trino_execution_name_QueryManager_RunningQueries", type: "gauge", source: QM },
  { name: "trino_execution_name_QueryManager_QueuedQueries", type: "gauge", source: QM },
  { name: "trino_execution_name_QueryManager_StartedQueries", type: "counter", source: QM },
  {
    name: "trino_execution_name_QueryManager_CompletedQueries",
    type: "counter",
    source: `${QM}: every finished query, failed ones included`,
  },
  { name: "trino_execution_name_QueryManager_FailedQueries", type: "counter", source: QM },
  {
    name: "trino_execution_name_QueryManager_UserErrorFailures",
    type: "counter",
    source: `${QM}: syntax errors, missing tables, ...`,
  },
  { name: "trino_execution_name_QueryManager_InternalFailures", type: "counter", source: QM },
  { name: "trino_execution_name_QueryManager_ExternalFailures", type: "counter", source: QM },
  { name: "trino_execution_name_QueryManager_InsufficientResourcesFailures", type: "counter", source: QM },
  { name: "trino_execution_name_QueryManager_ConsumedInputBytes", type: "counter", source: QM },
  { name: "trino_execution_name_QueryManager_ConsumedInputRows", type: "counter", source: QM },
  { name: "trino_execution_name_QueryManager_ConsumedCpuTimeSecs", type: "counter", source: QM },
  {
    name: "trino_execution_name_QueryManager_ExecutionTime_FiveMinutes",
    type: "summary",
    source: `${QM}: TimeStat, ms`,
  },
  {
    name: "trino_execution_name_QueryManager_QueuedTime_FiveMinutes",
    type: "summary",
    source: `${QM}: TimeStat, ms`,
  },
  {
    name: "trino_metadata_name_DiscoveryNodeManager_ActiveNodeCount",
    type: "gauge",
    source: "trino.metadata:name=DiscoveryNodeManager: active nodes the coordinator sees, itself included",
  },
  {
    name: "trino_metadata_name_DiscoveryNodeManager_ShuttingDownNodeCount",
    type: "gauge",
    source: "trino.metadata:name=DiscoveryNodeManager: workers in graceful shutdown",
  },
  {
    name: "trino_failuredetector_name_HeartbeatFailureDetector_FailedCount",
    type: "gauge",
    source: "trino.failuredetector:name=HeartbeatFailureDetector",
  },
  {
    name: "trino_memory_type_MemoryPool_name_general_ReservedBytes",
    type: "gauge",
    source: "trino.memory:type=MemoryPool,name=general (io.trino.memory.MemoryPool): per node",
  },
  {
    name: "trino_memory_type_MemoryPool_name_general_MaxBytes",
    type: "gauge",
    source: "trino.memory:type=MemoryPool,name=general: heap - memory.heap-headroom-per-node",
  },
  {
    name: "trino_memory_name_ClusterMemoryManager_QueriesKilledDueToOutOfMemory",
    // A monotonic count that airlift exports as a gauge (a plain long attribute, not a CounterStat).
    type: "gauge",
    source: "trino.memory:name=ClusterMemoryManager",
  },
];

export const METASTORE_METRICS: readonly MetricSource[] = [
  {
    name: "hive_metastore_open_connections",
    type: "gauge",
    source: "MetricsConstants.OPEN_CONNECTIONS (gauge Value)",
  },
  {
    name: "hive_metastore_total_count_tables",
    type: "gauge",
    source: "MetricsConstants.TOTAL_TABLES (gauge Value)",
  },
  {
    name: "hive_metastore_directsql_errors_count",
    type: "counter",
    source: "MetricsConstants.DIRECTSQL_ERRORS (counter Count)",
  },
  {
    name: "jvm_memory_used_bytes",
    type: "gauge",
    source: "client_java JvmMemoryMetrics, label area=heap|nonheap",
  },
  {
    name: "jvm_memory_max_bytes",
    type: "gauge",
    source: "client_java JvmMemoryMetrics, label area=heap|nonheap",
  },
];

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

const TM = "table_maintenance.py, pushed to the Pushgateway";
export const MAINTENANCE_METRICS: readonly MetricSource[] = [
  {
    name: "lakehouse_table_maintenance_last_run_timestamp_seconds",
    type: "gauge",
    source: `${TM}: end of the last run`,
  },
  { name: "lakehouse_table_maintenance_success", type: "gauge", source: `${TM}: 1 or 0` },
  { name: "lakehouse_table_maintenance_duration_seconds", type: "gauge", source: TM },
  {
    name: "lakehouse_table_maintenance_orphan_removal_refused",
    type: "gauge",
    source: `${TM}: one series per reason (REFUSAL_REASONS), 1 when refused for it`,
  },
  { name: "lakehouse_table_maintenance_tables", type: "gauge", source: `${TM}: label status` },
  {
    name: "lakehouse_table_maintenance_table_status",
    type: "gauge",
    source: `${TM}: 1 per table, labels schema, table, status, reason`,
  },
  {
    name: "lakehouse_iceberg_table_files",
    type: "gauge",
    source: `${TM}: files of the current snapshot (Trino "t$files"), labels schema, table, point=before|after`,
  },
  { name: "lakehouse_iceberg_table_bytes", type: "gauge", source: `${TM}: bytes of those files` },
  {
    name: "lakehouse_iceberg_table_snapshots",
    type: "gauge",
    source: `${TM}: snapshots kept (Trino "t$snapshots")`,
  },
];

/** Why orphan removal can be refused (the `reason` label; the script pushes every one, 0 or 1). */
export const REFUSAL_REASONS = [
  "restore-reconciled",
  "divergent-tables",
  "reconcile-failed",
  "record-unreadable",
] as const;

/** Skips that need no operator (the table was dropped meanwhile, or is not an Iceberg table). */
export const BENIGN_SKIP_REASONS = ["dropped", "not-iceberg"] as const;

/** Series every scrape produces (Prometheus), usable for any component. */
export const SCRAPE_METRICS: readonly MetricSource[] = [
  { name: "up", type: "gauge", source: "Prometheus: 1 when the last scrape of the target succeeded" },
];

/** The series names a metric contributes to PromQL (a summary adds `_count` and `_sum`). */
export function seriesNames(m: MetricSource): string[] {
  return m.type === "summary" ? [m.name, `${m.name}_count`, `${m.name}_sum`] : [m.name];
}

export const METRICS_BY_COMPONENT = {
  trino: TRINO_METRICS,
  metastore: METASTORE_METRICS,
  spark: SPARK_METRICS,
  maintenance: MAINTENANCE_METRICS,
} as const;
