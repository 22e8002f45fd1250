/**
 * `lakehouse:compute:ComputeAlerts`: the phase's PrometheusRule (operator and webhook down, SparkApplication
 * failures, executors OOM-killed), rendered by rules.ts.
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import type { LakehouseConfig } from "../../preflight/config/schema";
import type { PlatformBase } from "../types";
import { computeLabels } from "./common";
import { COMPUTE_NAMES } from "./names";
import { renderComputeRules, type ComputeRulesInput } from "./rules";

export interface ComputeAlertsArgs {
  /** Parsed config: `compute.webhook`, `foundation.monitoringLabels` (the Prometheus Operator's selector). */
  readonly config: LakehouseConfig;
  /** The platform base (namespace). */
  readonly base: PlatformBase;
}

/** Pure: the rules input for a config (the names the chart gives the operator's Deployments). */
export function computeRulesInput(config: LakehouseConfig, namespace: string): ComputeRulesInput {
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
    const rule = new k8s.apiextensions.CustomResource(
      `${name}-rules`,
      {
        apiVersion: "monitoring.coreos.com/v1",
        kind: "PrometheusRule",
        metadata: {
          name: COMPUTE_NAMES.rules,
          namespace: base.namespace,
          labels: { ...computeLabels("alerts", COMPUTE_NAMES.rules), ...config.foundation.monitoringLabels },
        },
        spec: rules,
      },
      { parent: this },
    );
    this.ruleName = rule.metadata.name;
    this.alerts = pulumi.output(
      rules.groups.flatMap((g) => g.rules.flatMap((r) => (r.alert ? [r.alert] : []))),
    );
    this.registerOutputs({ ruleName: this.ruleName, alerts: this.alerts });
  }
}
