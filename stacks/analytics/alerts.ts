/**
 * `lakehouse:analytics:AnalyticsAlerts`: the phase's PrometheusRule (coordinator down, fewer workers than
 * configured, failed-query rate), rendered by rules.ts.
 */
import * as pulumi from "@pulumi/pulumi";
import { prometheusRule } from "../platform/prometheusRule";
import type { LakehouseConfig } from "../../preflight/config/schema";
import { type PlatformBaseRefs } from "../types";
import { ANALYTICS_NAMES, chartNames } from "./names";
import { renderAnalyticsRules, type AnalyticsRulesInput } from "./rules";
import { platformLabels } from "../platform/labels";

interface AnalyticsAlertsArgs {
  /** Parsed config: `analytics.releaseName/failedQueryPercent`, `sizing.trinoWorker.replicas`, `foundation.monitoringLabels`. */
  readonly config: LakehouseConfig;
  /** The platform base (namespace). */
  readonly base: PlatformBaseRefs;
  /**
   * Extra labels on every alert (e.g. for Alertmanager routing).
   * @default {}
   */
  readonly alertLabels?: Readonly<Record<string, string>>;
}

/** Pure: the rules input for a config. */
function analyticsRulesInput(config: LakehouseConfig, namespace: string): AnalyticsRulesInput {
  return {
    namespace,
    coordinatorJob: chartNames(config.analytics.releaseName).coordinatorService,
    workers: config.sizing.trinoWorker.replicas,
    failedQueryPercent: config.analytics.failedQueryPercent,
  };
}

export class AnalyticsAlerts extends pulumi.ComponentResource {
  /** PrometheusRule name. */
  declare public readonly ruleName: pulumi.Output<string>;
  /** Alert names, in order. */
  declare public readonly alerts: pulumi.Output<string[]>;

  constructor(name: string, args: AnalyticsAlertsArgs, opts?: pulumi.ComponentResourceOptions) {
    super("lakehouse:analytics:AnalyticsAlerts", name, {}, opts);
    const { config, base } = args;
    const rules = renderAnalyticsRules({
      ...analyticsRulesInput(config, base.namespace),
      extraLabels: args.alertLabels,
    });
    const { ruleName, alerts } = prometheusRule(this, name, {
      ruleName: ANALYTICS_NAMES.rules,
      namespace: base.namespace,
      labels: { ...platformLabels("analytics", "alerts"), ...config.foundation.monitoringLabels },
      rules,
    });
    this.ruleName = ruleName;
    this.alerts = alerts;
    this.registerOutputs({ ruleName: this.ruleName, alerts: this.alerts });
  }
}
