/**
 * `lakehouse:foundation:FoundationAlerts`: the phase's PrometheusRule (metastore/database down, a table lock held
 * past the lock timeout, backup failed or stale, the availability SLO's recording rules and burn-rate alerts),
 * rendered by rules.ts.
 */
import * as pulumi from "@pulumi/pulumi";
import { prometheusRule } from "../platform/prometheusRule";
import type { LakehouseConfig } from "../../preflight/config/schema";
import type { PlatformBaseRefs } from "../types";
import { FOUNDATION_NAMES, foundationLabels } from "./names";
import { renderFoundationRules, type FoundationRulesInput } from "./rules";

interface FoundationAlertsArgs {
  /** Parsed config: `foundation.backupMaxAgeHours/availabilityObjective/metastoreLockTimeoutSeconds/monitoringLabels`. */
  readonly config: LakehouseConfig;
  /** The platform base (namespace). */
  readonly base: PlatformBaseRefs;
  /**
   * Extra labels on every alert (e.g. for Alertmanager routing).
   * @default {}
   */
  readonly alertLabels?: Readonly<Record<string, string>>;
}

/** Pure: the rules input for a config (the names the other foundation components use). */
function foundationRulesInput(config: LakehouseConfig, namespace: string): FoundationRulesInput {
  return {
    namespace,
    metastoreJob: FOUNDATION_NAMES.metastore,
    databaseStatefulSet: FOUNDATION_NAMES.database,
    backupCronJob: FOUNDATION_NAMES.backup,
    backupMaxAgeHours: config.foundation.backupMaxAgeHours,
    availabilityObjective: config.foundation.availabilityObjective,
    lockTimeoutSeconds: config.foundation.metastoreLockTimeoutSeconds,
  };
}

export class FoundationAlerts extends pulumi.ComponentResource {
  /** PrometheusRule name. */
  declare public readonly ruleName: pulumi.Output<string>;
  /** Alert names, in order. */
  declare public readonly alerts: pulumi.Output<string[]>;

  constructor(name: string, args: FoundationAlertsArgs, opts?: pulumi.ComponentResourceOptions) {
    super("lakehouse:foundation:FoundationAlerts", name, {}, opts);
    const { config, base } = args;
    const rules = renderFoundationRules({
      ...foundationRulesInput(config, base.namespace),
      extraLabels: args.alertLabels,
    });
    const { ruleName, alerts } = prometheusRule(this, name, {
      ruleName: FOUNDATION_NAMES.rules,
      namespace: base.namespace,
      labels: {
        ...foundationLabels("alerts", FOUNDATION_NAMES.rules),
        ...config.foundation.monitoringLabels,
      },
      rules,
    });
    this.ruleName = ruleName;
    this.alerts = alerts;
    this.registerOutputs({ ruleName: this.ruleName, alerts: this.alerts });
  }
}
