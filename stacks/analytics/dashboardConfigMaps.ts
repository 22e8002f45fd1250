/**
 * `lakehouse:analytics:Dashboards`: every phase's Grafana dashboard (`<phase>/dashboard.ts`) as ConfigMaps that
 * kube-prometheus-stack's Grafana sidecar loads: labelled with `lakehouse:analytics.dashboardLabels` (default
 * `grafana_dashboard: "1"`, the sidecar's default label) in `dashboardNamespace` (default the monitoring
 * namespace, where the sidecar looks unless told to search all namespaces).
 *
 * Deployed by the analytics phase, the last one: the dashboards show all three phases, and a phase never
 * deploys unless the earlier enabled ones do. A dashboard whose phase is disabled (`lakehouse:phases`) is left
 * out, so no dashboard shows a component that is not there.
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import type { LakehouseConfig } from "../../preflight/config/schema";
import { FOUNDATION_NAMES } from "../foundation/names";
import { type PlatformBaseRefs } from "../types";
import { metastoreDashboard, METASTORE_METRICS } from "../foundation/dashboard";
import { sparkDashboard, SPARK_METRICS } from "../compute/dashboard";
import { grafanaDashboard, type DashboardSpec } from "../platform/dashboards";
import { MAINTENANCE_METRICS, tablesDashboard, trinoDashboard, TRINO_METRICS } from "./dashboard";
import { ANALYTICS_NAMES } from "./names";
import { platformLabels } from "../platform/labels";

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

/** Every phase's dashboard (metastore, Spark jobs, Trino, Iceberg tables), each from its phase's dashboard.ts. Pure. */
export function dashboardSpecs(input: DashboardInput): DashboardSpec[] {
  return [
    metastoreDashboard(input.namespace, input.metastoreJob),
    sparkDashboard(),
    trinoDashboard(input.namespace, input.trinoRelease),
    tablesDashboard(input.namespace, input.maintenanceJob),
  ];
}

/** Each dashboard's metric list (the phases' dashboard.ts), for the test that checks every expression. */
export const METRICS_BY_COMPONENT = {
  trino: TRINO_METRICS,
  metastore: METASTORE_METRICS,
  spark: SPARK_METRICS,
  maintenance: MAINTENANCE_METRICS,
} as const;

interface DashboardsArgs {
  /** Parsed config: `analytics.dashboardLabels/dashboardNamespace/releaseName`, `cluster.monitoringNamespace`, `phases`. */
  readonly config: LakehouseConfig;
  /** The platform base (namespace of the scraped workloads). */
  readonly base: PlatformBaseRefs;
}

/** The dashboards a config ships (the ones whose phase is enabled) and where. Pure. */
export function plannedDashboards(
  config: LakehouseConfig,
  namespace: string,
): { namespace: string; dashboards: DashboardSpec[] } {
  const specs = dashboardSpecs({
    namespace,
    metastoreJob: FOUNDATION_NAMES.metastore,
    trinoRelease: config.analytics.releaseName,
  });
  const phaseOf = {
    metastore: "foundation",
    spark: "compute",
    trino: "analytics",
    tables: "analytics",
  } as const;
  return {
    namespace: config.analytics.dashboardNamespace || config.cluster.monitoringNamespace,
    dashboards: specs.filter(
      (s) => config.phases[phaseOf[s.id]] && (s.id !== "tables" || config.analytics.maintenance.enabled),
    ),
  };
}

export class Dashboards extends pulumi.ComponentResource {
  /** ConfigMap names, one per dashboard. */
  declare public readonly configMaps: pulumi.Output<string[]>;

  constructor(name: string, args: DashboardsArgs, opts?: pulumi.ComponentResourceOptions) {
    super("lakehouse:analytics:Dashboards", name, {}, opts);
    const { config, base } = args;
    const planned = plannedDashboards(config, base.namespace);
    const maps = planned.dashboards.map(
      (d) =>
        new k8s.core.v1.ConfigMap(
          `${name}-${d.id}`,
          {
            metadata: {
              name: `${ANALYTICS_NAMES.dashboardPrefix}${d.id}`,
              namespace: planned.namespace,
              labels: { ...platformLabels("analytics", "dashboards"), ...config.analytics.dashboardLabels },
            },
            data: { [`lakehouse-${d.id}.json`]: JSON.stringify(grafanaDashboard(d), null, 2) },
          },
          { parent: this },
        ),
    );
    this.configMaps = pulumi.all(maps.map((m) => m.metadata.name));
    this.registerOutputs({ configMaps: this.configMaps });
  }
}
