/**
 * Grafana dashboards for the metastore, the Spark jobs and Trino, as plain dashboard JSON rendered by pure
 * functions. They ship as ConfigMaps that kube-prometheus-stack's Grafana sidecar loads (Dashboards component)
 * and use only metrics the platform's ServiceMonitors/PodMonitors scrape (stacks/analytics/metrics.ts); a test
 * checks every expression with promtool and every metric name against those lists.
 *
 * Expressions use fixed windows (no Grafana `$__rate_interval`), so each one is valid PromQL as written.
 */
import { chartNames, MAINTENANCE_PUSH_JOB } from "./names";

export interface PanelTarget {
  readonly expr: string;
  readonly legendFormat: string;
}

export interface PanelSpec {
  readonly title: string;
  readonly type: "timeseries" | "stat";
  /** Grafana unit id (e.g. `bytes`, `percent`, `s`, `short`). */
  readonly unit: string;
  readonly description: string;
  readonly targets: readonly PanelTarget[];
}

export interface DashboardSpec {
  /** Stable id: the ConfigMap is `lakehouse-dashboard-<id>`, the Grafana uid `lakehouse-<id>`. */
  readonly id: "metastore" | "spark" | "trino" | "tables";
  readonly title: string;
  readonly panels: readonly PanelSpec[];
}

export interface DashboardInput {
  /** Platform namespace (where the scraped pods run). */
  readonly namespace: string;
  /** Hive Metastore Service (its ServiceMonitor's job). */
  readonly metastoreJob: string;
  /** Trino Helm release name. */
  readonly trinoRelease: string;
  /**
   * The `job` label the table maintenance pushes its gauges under.
   * @default MAINTENANCE_PUSH_JOB
   */
  readonly maintenanceJob?: string;
}

const q = (v: string) => JSON.stringify(v);

/** The dashboards' panels (metastore, Spark jobs, Trino, Iceberg tables). Pure. */
export function dashboardSpecs(input: DashboardInput): DashboardSpec[] {
  const ns = `namespace=${q(input.namespace)}`;
  const hms = `${ns},job=${q(input.metastoreJob)}`;
  const names = chartNames(input.trinoRelease);
  const coord = `${ns},job=${q(names.coordinatorService)}`;
  const trinoAll = `${ns},job=~${q(`${names.coordinatorService}|${names.workerService}`)}`;
  const qm = (m: string) => `trino_execution_name_QueryManager_${m}{${coord}}`;

  const metastore: DashboardSpec = {
    id: "metastore",
    title: "Lakehouse / Hive Metastore",
    panels: [
      {
        title: "Replicas up",
        type: "stat",
        unit: "short",
        description: "Metastore replicas answering their scrape (the MetastoreDown alert fires at 0).",
        targets: [{ expr: `sum(up{${hms}})`, legendFormat: "up" }],
      },
      {
        title: "Open Thrift connections",
        type: "timeseries",
        unit: "short",
        description: "Clients (Spark drivers, Trino, pyiceberg) connected to each replica.",
        targets: [
          { expr: `sum by (pod) (hive_metastore_open_connections{${hms}})`, legendFormat: "{{pod}}" },
        ],
      },
      {
        title: "Tables in the catalog",
        type: "stat",
        unit: "short",
        description: "Tables the metastore knows (all databases).",
        targets: [{ expr: `max(hive_metastore_total_count_tables{${hms}})`, legendFormat: "tables" }],
      },
      {
        title: "Direct SQL errors / 5m",
        type: "timeseries",
        unit: "short",
        description: "Fallbacks from direct SQL to JDO: slow metadata calls, often a database problem.",
        targets: [
          {
            expr: `sum(increase(hive_metastore_directsql_errors_count{${hms}}[5m]))`,
            legendFormat: "errors",
          },
        ],
      },
      {
        title: "JVM heap used",
        type: "timeseries",
        unit: "percent",
        description: "Heap used against -Xmx per replica; near 100 % means GC pressure and slow calls.",
        targets: [
          {
            expr:
              `100 * sum by (pod) (jvm_memory_used_bytes{${hms},area="heap"})` +
              ` / sum by (pod) (jvm_memory_max_bytes{${hms},area="heap"})`,
            legendFormat: "{{pod}}",
          },
        ],
      },
    ],
  };

  const spark: DashboardSpec = {
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

  const trino: DashboardSpec = {
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
  const tm = `${ns},job=${q(input.maintenanceJob ?? MAINTENANCE_PUSH_JOB)}`;
  const perTable = (metric: string) => `max by (schema, table) (${metric}{${tm},point="after"})`;
  const tables: DashboardSpec = {
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
  return [metastore, spark, trino, tables];
}

/** Grafana dashboard JSON (schemaVersion 39) for a spec: a Prometheus datasource variable, panels in a grid. Pure. */
export function grafanaDashboard(spec: DashboardSpec): Record<string, unknown> {
  const panels = spec.panels.map((p, i) => ({
    id: i + 1,
    title: p.title,
    description: p.description,
    type: p.type,
    datasource: { type: "prometheus", uid: "${datasource}" },
    gridPos:
      p.type === "stat"
        ? { h: 4, w: 6, x: (i % 4) * 6, y: Math.floor(i / 4) * 8 }
        : { h: 8, w: 12, x: (i % 2) * 12, y: 8 + Math.floor(i / 2) * 8 },
    fieldConfig: { defaults: { unit: p.unit }, overrides: [] },
    options: {},
    targets: p.targets.map((t, j) => ({
      refId: String.fromCharCode(65 + j),
      datasource: { type: "prometheus", uid: "${datasource}" },
      expr: t.expr,
      legendFormat: t.legendFormat,
    })),
  }));
  return {
    uid: `lakehouse-${spec.id}`,
    title: spec.title,
    tags: ["lakehouse"],
    timezone: "browser",
    schemaVersion: 39,
    version: 1,
    editable: false,
    refresh: "30s",
    time: { from: "now-6h", to: "now" },
    templating: {
      list: [
        { name: "datasource", label: "Data source", type: "datasource", query: "prometheus", current: {} },
      ],
    },
    panels,
  };
}
