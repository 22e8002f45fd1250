/**
 * The compute phase's Prometheus rules, checked by Prometheus itself: `promtool check rules` on the rendered file
 * and `promtool test rules` with series that prove each alert fires when it should and stays quiet otherwise.
 * The rule file is rendered by the same pure function the PrometheusRule resource uses.
 */
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { promtoolRuleSuite, type AlertCase, type TestGroup } from "./promtool";
import {
  renderComputeRuleFile,
  renderComputeRules,
  type ComputeRulesInput,
} from "../../stacks/compute/rules";

const INPUT: ComputeRulesInput = {
  namespace: "lakehouse",
  controllerDeployment: "spark-operator-controller",
  webhookDeployment: "spark-operator-webhook",
};

const AVAILABLE = (d: string) =>
  `kube_deployment_status_replicas_available{namespace="lakehouse",deployment="${d}"}`;
const FAILURES = (appType: string) =>
  `spark_application_failure_count{namespace="lakehouse",pod="spark-operator-controller-abc",app_type="${appType}"}`;
const SUBMIT_FAILURES =
  'spark_application_failed_submission_count{namespace="lakehouse",pod="spark-operator-controller-abc",app_type="Python"}';
const OOM = (pod: string, metric = "kube_pod_container_status_terminated_reason") =>
  `${metric}{namespace="lakehouse",pod="${pod}",container="spark-kubernetes-executor",reason="OOMKilled"}`;
const ALERT_LABELS = { platform: "lakehouse", phase: "compute" };

function expectedAnnotations(alertname: string, labels: Record<string, string>): Record<string, string> {
  const rule = renderComputeRules(INPUT)
    .groups.flatMap((g) => g.rules)
    .find((r) => r.alert === alertname);
  if (!rule) throw new Error(`The rendered rules have no alert ${alertname}.`);
  return Object.fromEntries(
    Object.entries(rule.annotations ?? {}).map(([k, v]) => [
      k,
      v.replace(/\{\{ \$labels\.(\w+) \}\}/g, (_, l: string) => labels[l] ?? ""),
    ]),
  );
}
const firing = (
  alertname: string,
  at: string,
  severity: string,
  extra: Record<string, string> = {},
): AlertCase => {
  const labels = { severity, ...ALERT_LABELS, ...extra };
  return {
    eval_time: at,
    alertname,
    exp_alerts: [{ exp_labels: labels, exp_annotations: expectedAnnotations(alertname, labels) }],
  };
};
const quiet = (alertname: string, at: string): AlertCase => ({ eval_time: at, alertname, exp_alerts: [] });

function testGroups(): TestGroup[] {
  return [
    {
      name: "operator controller available, then none available from 10m",
      interval: "1m",
      input_series: [
        { series: AVAILABLE("spark-operator-controller"), values: "1x9 0x20" },
        { series: AVAILABLE("spark-operator-webhook"), values: "1x30" },
      ],
      alert_rule_test: [
        quiet("SparkOperatorDown", "9m"),
        quiet("SparkOperatorDown", "12m"), // pending
        firing("SparkOperatorDown", "16m", "critical"),
        quiet("SparkOperatorWebhookDown", "20m"),
      ],
    },
    {
      name: "operator Deployments missing from kube-state-metrics entirely",
      interval: "1m",
      input_series: [{ series: AVAILABLE("something-else"), values: "1x20" }],
      alert_rule_test: [
        quiet("SparkOperatorDown", "3m"),
        firing("SparkOperatorDown", "10m", "critical", {
          namespace: "lakehouse",
          deployment: "spark-operator-controller",
        }),
        firing("SparkOperatorWebhookDown", "10m", "critical", {
          namespace: "lakehouse",
          deployment: "spark-operator-webhook",
        }),
      ],
    },
    {
      name: "webhook down while the controller runs",
      interval: "1m",
      input_series: [
        { series: AVAILABLE("spark-operator-controller"), values: "1x30" },
        { series: AVAILABLE("spark-operator-webhook"), values: "1x4 0x25" },
      ],
      alert_rule_test: [
        quiet("SparkOperatorWebhookDown", "4m"),
        firing("SparkOperatorWebhookDown", "12m", "critical"),
        quiet("SparkOperatorDown", "12m"),
      ],
    },
    {
      name: "one application fails at 10m, counters otherwise flat (also across an operator restart)",
      interval: "1m",
      input_series: [
        { series: FAILURES("Python"), values: "0x9 1x60" },
        { series: FAILURES("Scala"), values: "3x20 0x10 0x39" }, // restart resets to 0: no failure
        { series: SUBMIT_FAILURES, values: "0x70" },
      ],
      alert_rule_test: [
        quiet("SparkApplicationFailed", "9m"),
        firing("SparkApplicationFailed", "15m", "warning", { namespace: "lakehouse" }),
        quiet("SparkApplicationFailed", "65m"), // 30m window passed with no new failure
      ],
    },
    {
      name: "a submission fails",
      interval: "1m",
      input_series: [{ series: SUBMIT_FAILURES, values: "0x5 2x30" }],
      alert_rule_test: [
        quiet("SparkApplicationFailed", "5m"),
        firing("SparkApplicationFailed", "10m", "warning", { namespace: "lakehouse" }),
      ],
    },
    {
      name: "an executor is OOM-killed at 5m; a driver OOM and a non-OOM executor end do not count",
      interval: "1m",
      input_series: [
        { series: OOM("ingest-7f3a-exec-2"), values: "_x4 1x3" },
        { series: OOM("ingest-7f3a-driver"), values: "1x30" },
        {
          series:
            'kube_pod_container_status_terminated_reason{namespace="lakehouse",pod="ingest-7f3a-exec-1",container="spark-kubernetes-executor",reason="Completed"}',
          values: "1x30",
        },
      ],
      alert_rule_test: [
        quiet("SparkExecutorOOMKilled", "3m"),
        firing("SparkExecutorOOMKilled", "6m", "warning", {
          namespace: "lakehouse",
          pod: "ingest-7f3a-exec-2",
        }),
        firing("SparkExecutorOOMKilled", "15m", "warning", {
          namespace: "lakehouse",
          pod: "ingest-7f3a-exec-2",
        }), // pod gone, still shown for 10m
        quiet("SparkExecutorOOMKilled", "25m"),
      ],
    },
    {
      name: "an executor restarted after an OOM (last terminated reason)",
      interval: "1m",
      input_series: [
        {
          series: OOM("etl-1-exec-4", "kube_pod_container_status_last_terminated_reason"),
          values: "_x2 1x10",
        },
      ],
      alert_rule_test: [
        quiet("SparkExecutorOOMKilled", "1m"),
        firing("SparkExecutorOOMKilled", "4m", "warning", { namespace: "lakehouse", pod: "etl-1-exec-4" }),
      ],
    },
  ];
}

describe("compute alerts (promtool)", function () {
  this.timeout(120_000);
  promtoolRuleSuite({
    phase: "compute",
    ruleFile: () => renderComputeRuleFile(INPUT),
    rules: () => renderComputeRules(INPUT),
    groups: testGroups,
    wrong: {
      alert: "SparkOperatorDown",
      group: {
        name: "healthy, but expecting SparkOperatorDown",
        interval: "1m",
        input_series: [{ series: AVAILABLE("spark-operator-controller"), values: "1x30" }],
        alert_rule_test: [firing("SparkOperatorDown", "20m", "critical")],
      },
    },
  });

  it("has every alert the runbook documents, with its anchor", () => {
    const rules = renderComputeRules(INPUT).groups.flatMap((g) => g.rules);
    assert.deepEqual(
      rules.map((r) => r.alert),
      ["SparkOperatorDown", "SparkOperatorWebhookDown", "SparkApplicationFailed", "SparkExecutorOOMKilled"],
    );
    const runbook = fs.readFileSync(path.join(__dirname, "../../docs/runbooks/compute.md"), "utf8");
    for (const r of rules) {
      const anchor = String(r.annotations?.runbook_url).split("#")[1];
      assert.ok(
        runbook.includes(`<a id="${anchor}"></a>`),
        `docs/runbooks/compute.md has no anchor "${anchor}"`,
      );
    }
    assert.throws(() => renderComputeRules({ ...INPUT, extraLabels: { "bad-label": "x" } }), /bad-label/);
  });
});
