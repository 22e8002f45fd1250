/**
 * How a phase delivers its alerts: one PrometheusRule (monitoring.coreos.com/v1) that kube-prometheus-stack's
 * operator loads, labelled so its rule selector picks it up (`foundation.monitoringLabels`), the rules rendered by
 * the phase's pure rules.ts; the rule types those render. Shared machinery (not a phase): every phase's `*Alerts` component uses it.
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";

/** One Prometheus recording or alerting rule, as in a rule file. */
export interface PromRule {
  record?: string;
  alert?: string;
  expr: string;
  for?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}

/** A named group of rules, as in a rule file and a PrometheusRule's `spec.groups`. */
export interface PromRuleGroup {
  name: string;
  interval?: string;
  rules: PromRule[];
}

interface PrometheusRuleArgs {
  /** The PrometheusRule's name and namespace. */
  readonly ruleName: string;
  readonly namespace: string;
  /** Its labels (the phase's, plus the monitoring selector's). */
  readonly labels: Record<string, string>;
  /** The rendered rules (render<Phase>Rules). */
  readonly rules: { groups: PromRuleGroup[] };
}

/** Alert names in a rule set, in order (recording rules have none). Pure. */
function alertNames(rules: { groups: readonly PromRuleGroup[] }): string[] {
  return rules.groups.flatMap((g) => g.rules.flatMap((r) => (r.alert ? [r.alert] : [])));
}

/** Registers the PrometheusRule `${name}-rules` under `parent`; resolves its name and its alerts. */
export function prometheusRule(
  parent: pulumi.Resource,
  name: string,
  args: PrometheusRuleArgs,
): { ruleName: pulumi.Output<string>; alerts: pulumi.Output<string[]> } {
  const rule = new k8s.apiextensions.CustomResource(
    `${name}-rules`,
    {
      apiVersion: "monitoring.coreos.com/v1",
      kind: "PrometheusRule",
      metadata: { name: args.ruleName, namespace: args.namespace, labels: args.labels },
      spec: args.rules,
    },
    { parent },
  );
  return { ruleName: rule.metadata.name, alerts: pulumi.output(alertNames(args.rules)) };
}
