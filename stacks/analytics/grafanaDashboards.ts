/**
 * `lakehouse:analytics:Dashboards`: the Grafana dashboards (dashboards.ts) as ConfigMaps that
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
import { dashboardSpecs, grafanaDashboard, type DashboardSpec } from "./dashboards";
import { ANALYTICS_NAMES } from "./names";
import { platformLabels } from "../platform/labels";

export interface DashboardsArgs {
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
