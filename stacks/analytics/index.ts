/**
 * Phase 3, Analytics: Trino on the foundation's Iceberg catalog (delivered by Flux), its alerts, the scheduled
 * Iceberg table maintenance (it runs in Trino, so it lives here) and the Grafana dashboards of all phases. Ordering is by dependsOn (the program makes the phase come after compute, and so
 * after the metastore and the warehouse), never by nesting.
 *
 * The post-deploy verification (verify.trino-available, ...) is attached by the phase registry, not here.
 */
import type * as pulumi from "@pulumi/pulumi";
import { FOUNDATION_NAMES, metastoreUri } from "../foundation/names";
import type { PhaseContext, PhaseDefinition } from "../types";
import { AnalyticsAlerts } from "./alerts";
import { Dashboards } from "./dashboardConfigMaps";
import { Pushgateway } from "./pushgateway";
import { TableMaintenance } from "./tableMaintenance";
import { Trino } from "./trino";
import { bucketCredentials, inClusterS3Endpoint } from "../platform/s3";

/** The analytics phase's top-level components, for callers that need them by role. */
interface AnalyticsComponents {
  trino: Trino;
  alerts: AnalyticsAlerts;
  dashboards: Dashboards;
  /** Absent when `analytics.maintenance.enabled` is false. */
  maintenance?: { pushgateway: Pushgateway; tables: TableMaintenance };
}

/** Builds the analytics components. Exported for tests; the program calls `analyticsPhase.deploy`. */
export function deployAnalytics(ctx: PhaseContext): AnalyticsComponents {
  const { config, base } = ctx;
  const opts: pulumi.ComponentResourceOptions = {
    dependsOn: [...ctx.dependsOn],
    ...(base.provider ? { providers: [base.provider] } : {}),
  };
  const trino = new Trino(
    "trino",
    {
      config,
      base,
      metastoreUri: metastoreUri(base.namespace),
      s3Endpoint: inClusterS3Endpoint(config),
      bucketCredentials: bucketCredentials(config, FOUNDATION_NAMES.warehouseClaim),
    },
    opts,
  );
  const alerts = new AnalyticsAlerts("analytics-alerts", { config, base }, opts);
  const dashboards = new Dashboards("dashboards", { config, base }, opts);
  if (!config.analytics.maintenance.enabled) return { trino, alerts, dashboards };
  const pushgateway = new Pushgateway("pushgateway", { config, base }, opts);
  // After Trino: the CronJob's statements run there (a run before its first start would only fail).
  const tables = new TableMaintenance(
    "table-maintenance",
    {
      config,
      base,
      trinoUrl: trino.coordinatorUrl,
      pushgatewayUrl: pushgateway.url,
      s3Endpoint: inClusterS3Endpoint(config),
      backupCredentials: bucketCredentials(config, FOUNDATION_NAMES.backupClaim),
      warehouseCredentials: bucketCredentials(config, FOUNDATION_NAMES.warehouseClaim),
    },
    { ...opts, dependsOn: [...ctx.dependsOn, trino, pushgateway] },
  );
  return { trino, alerts, dashboards, maintenance: { pushgateway, tables } };
}

export const analyticsPhase: PhaseDefinition = {
  phase: "analytics",
  title:
    "Analytics: Trino on the Iceberg catalog, its alerts, scheduled table maintenance, the platform's Grafana dashboards",
  deploy(ctx) {
    const c = deployAnalytics(ctx);
    const maintenance = c.maintenance ? [c.maintenance.pushgateway, c.maintenance.tables] : [];
    return { resources: [c.trino, c.alerts, c.dashboards, ...maintenance], ready: [c.trino.ready] };
  },
};
