/**
 * The foundation phase's Grafana dashboard (the Hive Metastore) and the metric names it and the phase's alerts
 * may use. Sources: the metastore's JMX exporter agent (1.0.1) with the rules in metastoreSite.ts
 * (`metrics<name=X><>Value` -> `hive_metastore_X`, `...Count` -> `hive_metastore_X_count`); names from
 * org.apache.hadoop.hive.metastore.metrics.MetricsConstants (OPEN_CONNECTIONS, TOTAL_TABLES, DIRECTSQL_ERRORS);
 * JVM memory from prometheus/client_java's JvmMemoryMetrics (`jvm_memory_used_bytes`, `jvm_memory_max_bytes`,
 * label `area`), which the agent registers.
 */
import { q, type DashboardSpec, type MetricSource } from "../platform/dashboards";

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

/** The metastore dashboard: `metastoreJob` is its Service (its ServiceMonitor's job). Pure. */
export function metastoreDashboard(namespace: string, metastoreJob: string): DashboardSpec {
  const hms = `namespace=${q(namespace)},job=${q(metastoreJob)}`;
  return {
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
}
