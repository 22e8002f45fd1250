/**
 * Kubernetes names of the analytics phase's objects, and the names the trino chart (trinodb/charts 1.42.2,
 * templates/_helpers.tpl) gives its own objects for a release. Fixed, because the alerts, the dashboards, the
 * verification, the runbook and operators' `kubectl` commands refer to them.
 */

/** The chart this phase installs (trinodb/charts). */
export const TRINO_CHART = "trino";

/** Names the phase itself creates. */
export const ANALYTICS_NAMES = {
  /** Flux HelmRepository of trinodb/charts. */
  helmRepository: "trinodb",
  /** PodDisruptionBudget of the workers. */
  workerPdb: "trino-worker",
  /** Secret with the user name Prometheus scrapes `/metrics` with (HTTP basic auth, empty password). */
  metricsAuth: "trino-metrics-auth",
  /** ServiceMonitors of the coordinator and the workers. */
  coordinatorMonitor: "trino-coordinator",
  workerMonitor: "trino-worker",
  /** PrometheusRule of the phase. */
  rules: "lakehouse-analytics",
  /** Dashboard ConfigMaps are `lakehouse-dashboard-<id>`. */
  dashboardPrefix: "lakehouse-dashboard-",
  /** CronJob of the table maintenance (its Jobs are `<name>-<minutes since epoch>`), and its script ConfigMap. */
  maintenance: "lakehouse-table-maintenance",
  maintenanceScripts: "lakehouse-table-maintenance-scripts",
  /** PrometheusRule of the table maintenance. */
  maintenanceRules: "lakehouse-table-maintenance",
  /** Pushgateway Deployment, Service and ServiceMonitor. */
  pushgateway: "lakehouse-pushgateway",
} as const;

/** The `job` label the maintenance Job pushes its metrics under (what its alerts and dashboard select). */
export const MAINTENANCE_PUSH_JOB = "lakehouse-table-maintenance";
/** Pushgateway's HTTP port (its default `--web.listen-address=:9091`). */
export const PUSHGATEWAY_PORT = 9091;

/**
 * What the chart names for release `release`: its fullname is the release name when that starts with "trino",
 * else `<release>-trino` (trino.fullname); the coordinator Service is the fullname, the worker Service and
 * Deployment `<fullname>-worker`, the coordinator Deployment `<fullname>-coordinator`.
 */
export function chartNames(release: string): {
  fullname: string;
  coordinatorService: string;
  workerService: string;
  coordinatorDeployment: string;
  workerDeployment: string;
} {
  const fullname = (release.startsWith(TRINO_CHART) ? release : `${release}-${TRINO_CHART}`)
    .slice(0, 63)
    .replace(/-+$/, "");
  return {
    fullname,
    coordinatorService: fullname,
    workerService: `${fullname}-worker`,
    coordinatorDeployment: `${fullname}-coordinator`,
    workerDeployment: `${fullname}-worker`,
  };
}

/** The chart's selector labels of one role (trino.selectorLabels + app.kubernetes.io/component). */
export function trinoSelector(release: string, role: "coordinator" | "worker"): Record<string, string> {
  return {
    "app.kubernetes.io/name": TRINO_CHART,
    "app.kubernetes.io/instance": release,
    "app.kubernetes.io/component": role,
  };
}

/** Trino's HTTP port (the chart's service.port and container port `http`). */
export const TRINO_HTTP_PORT = 8080;
