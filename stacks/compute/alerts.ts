/**
 * `lakehouse:compute:ComputeAlerts`: the phase's PrometheusRule (operator and webhook down, SparkApplication
 * failures, executors OOM-killed), rendered by rules.ts.
 */
import * as pulumi from "@pulumi/pulumi";
import { prometheusRule } from "../platform/prometheusRule";
import type { LakehouseConfig } from "../../preflight/config/schema";
import type { PlatformBaseRefs } from "../types";
import { COMPUTE_NAMES, computeLabels } from "./names";
import { renderComputeRules, type ComputeRulesInput } from "./rules";

interface ComputeAlertsArgs {
  /** Parsed config: `compute.webhook`, `foundation.monitoringLabels` (the Prometheus Operator's selector). */
  readonly config: LakehouseConfig;
  /** The platform base (namespace). */
  readonly base: PlatformBaseRefs;
}

/** Pure: the rules input for a config (the names the chart gives the operator's Deployments). */
function computeRulesInput(config: LakehouseConfig, namespace: string): ComputeRulesInput {
  return {
    namespace,
    controllerDeployment: COMPUTE_NAMES.operatorController,
    ...(config.compute.webhook ? { webhookDeployment: COMPUTE_NAMES.operatorWebhook } : {}),
  };
}

export class ComputeAlerts extends pulumi.ComponentResource {
  declare public readonly ruleName: pulumi.Output<string>;
  declare public readonly alerts: pulumi.Output<string[]>;

  constructor(name: string, args: ComputeAlertsArgs, opts?: pulumi.ComponentResourceOptions) {
    super("lakehouse:compute:ComputeAlerts", name, {}, opts);
    const { config, base } = args;
    const rules = renderComputeRules(computeRulesInput(config, base.namespace));
    const { ruleName, alerts } = prometheusRule(this, name, {
      ruleName: COMPUTE_NAMES.rules,
      namespace: base.namespace,
      labels: { ...computeLabels("alerts", COMPUTE_NAMES.rules), ...config.foundation.monitoringLabels },
      rules,
    });
    this.ruleName = ruleName;
    this.alerts = alerts;
    this.registerOutputs({ ruleName: this.ruleName, alerts: this.alerts });
  }
}
