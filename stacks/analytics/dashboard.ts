/**
 * The analytics phase's dashboards (Trino, the Iceberg tables' maintenance) and the metric names they and its
 * alerts may use, each with where it comes from (every phase keeps its own list beside its dashboard). A test
 * (test/stacks/analytics/dashboards.test.ts) checks that every PromQL expression of the dashboards and rules
 * uses only the names of the phases' lists, and that the Trino names are in a real Trino 476's /metrics (test/fixtures/metrics/).
 *
 * Sources (Prometheus' own `up` is in stacks/platform/dashboards.ts):
 * - Trino 476: its native OpenMetrics endpoint (/metrics, airlift `JmxOpenMetricsModule`, bound in
 *   io.trino.server.Server on every node), scraped by this phase's ServiceMonitors. airlift's
 *   OpenMetricsCollector names a managed bean attribute `<bean name>_<attribute>` with every character outside
 *   [A-Za-z0-9_] collapsed to `_`; a `CounterStat` is an OpenMetrics counter (no `_total`), a `TimeStat` a summary
 *   per window. The beans: io.trino.execution.QueryManagerStats (trino.execution:name=QueryManager),
 *   io.trino.memory.ClusterMemoryManager and MemoryPool, io.trino.metadata.DiscoveryNodeManager,
 *   io.trino.failuredetector.HeartbeatFailureDetector.
 * - The table maintenance (stacks/analytics/scripts/table_maintenance.py): gauges it pushes to the Pushgateway
 *   at the end of every run (PUT: a run replaces the previous one), scraped by this phase's ServiceMonitor with
 *   honorLabels. test/analytics/maintenance.test.ts scrapes a real Pushgateway after a real run and checks
 *   every name and type below.
 */
import { q, type DashboardSpec, type MetricSource } from "../platform/dashboards";
import { chartNames, MAINTENANCE_PUSH_JOB } from "./names";

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

/** The Trino dashboard of a release in a namespace. Pure. */
export function trinoDashboard(namespace: string, trinoRelease: string): DashboardSpec {
  const ns = `namespace=${q(namespace)}`;
  const names = chartNames(trinoRelease);
  const coord = `${ns},job=${q(names.coordinatorService)}`;
  const trinoAll = `${ns},job=~${q(`${names.coordinatorService}|${names.workerService}`)}`;
  const qm = (m: string) => `trino_execution_name_QueryManager_${m}{${coord}}`;
  return {
    id: "trino",
    title: "Lakehouse / Trino",
    panels: [
      {
        title: "Coordinator up",
        type: "stat",
        unit: "short",
        description: "1 when the coordinator answers its scrape (TrinoCoordinatorDown fires at 0).",
        targets: [{ expr: `max(up{${coord}})`, legendFormat: "up" }],
      },
      {
        title: "Active workers",
        type: "stat",
        unit: "short",
        description: "Workers the coordinator schedules on (active nodes minus itself).",
        targets: [
          {
            expr: `max(trino_metadata_name_DiscoveryNodeManager_ActiveNodeCount{${coord}}) - 1`,
            legendFormat: "workers",
          },
        ],
      },
      {
        title: "Running and queued queries",
        type: "timeseries",
        unit: "short",
        description: "Queries running now and waiting in the queue.",
        targets: [
          { expr: `sum(${qm("RunningQueries")})`, legendFormat: "running" },
          { expr: `sum(${qm("QueuedQueries")})`, legendFormat: "queued" },
        ],
      },
      {
        title: "Queries finished / 5m",
        type: "timeseries",
        unit: "short",
        description: "Finished queries, failed ones, and the failures that were user errors.",
        targets: [
          { expr: `sum(increase(${qm("CompletedQueries")}[5m]))`, legendFormat: "finished" },
          { expr: `sum(increase(${qm("FailedQueries")}[5m]))`, legendFormat: "failed" },
          { expr: `sum(increase(${qm("UserErrorFailures")}[5m]))`, legendFormat: "user errors" },
        ],
      },
      {
        title: "Failed queries (platform causes)",
        type: "timeseries",
        unit: "percent",
        description:
          "Share of finished queries that failed for reasons other than user errors (the alert's ratio).",
        targets: [
          {
            expr:
              `100 * (sum(increase(${qm("FailedQueries")}[10m])) - sum(increase(${qm("UserErrorFailures")}[10m])))` +
              ` / sum(increase(${qm("CompletedQueries")}[10m]))`,
            legendFormat: "failed %",
          },
        ],
      },
      {
        title: "Query execution time (5 min window)",
        type: "timeseries",
        unit: "ms",
        description: "Median and p95 execution time of the queries that finished in the last 5 minutes.",
        targets: [
          {
            expr: `max(trino_execution_name_QueryManager_ExecutionTime_FiveMinutes{${coord},quantile="0.5"})`,
            legendFormat: "p50",
          },
          {
            expr: `max(trino_execution_name_QueryManager_ExecutionTime_FiveMinutes{${coord},quantile="0.95"})`,
            legendFormat: "p95",
          },
        ],
      },
      {
        title: "Input read / s",
        type: "timeseries",
        unit: "Bps",
        description: "Bytes the finished queries read from their sources (Iceberg on Ceph, tpch).",
        targets: [{ expr: `sum(rate(${qm("ConsumedInputBytes")}[5m]))`, legendFormat: "read" }],
      },
      {
        title: "Query memory per node",
        type: "timeseries",
        unit: "percent",
        description: "Reserved query memory against each node's pool (heap minus headroom).",
        targets: [
          {
            expr:
              `100 * max by (pod) (trino_memory_type_MemoryPool_name_general_ReservedBytes{${trinoAll}})` +
              ` / max by (pod) (trino_memory_type_MemoryPool_name_general_MaxBytes{${trinoAll}})`,
            legendFormat: "{{pod}}",
          },
        ],
      },
      {
        title: "Queries killed for memory / 1h",
        type: "timeseries",
        unit: "short",
        description:
          "Queries the cluster killed when memory ran out: raise worker memory or query.max-memory.",
        targets: [
          {
            expr: `sum(increase(trino_memory_name_ClusterMemoryManager_QueriesKilledDueToOutOfMemory{${coord}}[1h]))`,
            legendFormat: "killed",
          },
        ],
      },
      {
        title: "Workers shutting down / failed",
        type: "timeseries",
        unit: "short",
        description: "Workers in graceful shutdown, and nodes the failure detector gave up on.",
        targets: [
          {
            expr: `max(trino_metadata_name_DiscoveryNodeManager_ShuttingDownNodeCount{${coord}})`,
            legendFormat: "shutting down",
          },
          {
            expr: `max(trino_failuredetector_name_HeartbeatFailureDetector_FailedCount{${coord}})`,
            legendFormat: "failed",
          },
        ],
      },
    ],
  };
}

/** The Iceberg tables' dashboard, from the gauges the table maintenance pushes under `maintenanceJob`. Pure. */
export function tablesDashboard(
  namespace: string,
  maintenanceJob: string = MAINTENANCE_PUSH_JOB,
): DashboardSpec {
  const ns = `namespace=${q(namespace)}`;
  const tm = `${ns},job=${q(maintenanceJob)}`;
  const perTable = (metric: string) => `max by (schema, table) (${metric}{${tm},point="after"})`;
  return {
    id: "tables",
    title: "Lakehouse / Iceberg tables",
    panels: [
      {
        title: "Since the last maintenance run",
        type: "stat",
        unit: "s",
        description:
          "Time since the table maintenance last reported (TableMaintenanceStale fires past maxAgeHours).",
        targets: [
          {
            expr: `time() - max(lakehouse_table_maintenance_last_run_timestamp_seconds{${tm}})`,
            legendFormat: "age",
          },
        ],
      },
      {
        title: "Last run succeeded",
        type: "stat",
        unit: "short",
        description:
          "1 when every table was maintained or deliberately skipped (TableMaintenanceFailed fires at 0).",
        targets: [{ expr: `max(lakehouse_table_maintenance_success{${tm}})`, legendFormat: "ok" }],
      },
      {
        title: "Orphan removal refused",
        type: "stat",
        unit: "short",
        description:
          "1 per reason the last run refused orphan removal for: restore-reconciled ends by itself after the retention; the others need an operator (runbook).",
        targets: [
          {
            expr: `max by (reason) (lakehouse_table_maintenance_orphan_removal_refused{${tm}})`,
            legendFormat: "{{reason}}",
          },
        ],
      },
      {
        title: "Tables by outcome",
        type: "stat",
        unit: "short",
        description: "Tables the last run maintained, skipped (with a reason) or failed on.",
        targets: [
          { expr: `max by (status) (lakehouse_table_maintenance_tables{${tm}})`, legendFormat: "{{status}}" },
        ],
      },
      {
        title: "Files per table",
        type: "timeseries",
        unit: "short",
        description:
          "Data and delete files of each table's current snapshot after the last run: daily MERGEs add small files, compaction folds them.",
        targets: [{ expr: perTable("lakehouse_iceberg_table_files"), legendFormat: "{{schema}}.{{table}}" }],
      },
      {
        title: "Snapshots per table",
        type: "timeseries",
        unit: "short",
        description:
          "Snapshots each table keeps after the last run: every commit adds one, expiry drops those past the retention.",
        targets: [
          { expr: perTable("lakehouse_iceberg_table_snapshots"), legendFormat: "{{schema}}.{{table}}" },
        ],
      },
      {
        title: "Size per table",
        type: "timeseries",
        unit: "bytes",
        description:
          "Bytes of the files of each table's current snapshot (older snapshots' files are on top of this).",
        targets: [{ expr: perTable("lakehouse_iceberg_table_bytes"), legendFormat: "{{schema}}.{{table}}" }],
      },
      {
        title: "Files folded by the last compaction",
        type: "timeseries",
        unit: "short",
        description: "Files of each table before minus after the last run.",
        targets: [
          {
            expr:
              `max by (schema, table) (lakehouse_iceberg_table_files{${tm},point="before"})` +
              ` - max by (schema, table) (lakehouse_iceberg_table_files{${tm},point="after"})`,
            legendFormat: "{{schema}}.{{table}}",
          },
        ],
      },
    ],
  };
}
