/**
 * The analytics phase's Prometheus rules, checked by Prometheus itself: `promtool check rules` on the rendered
 * file, and `promtool test rules` with series that prove each alert fires when it should and stays quiet
 * otherwise. The rule file is rendered by the same pure function the PrometheusRule resource uses; the series
 * names are the ones a real Trino 476 exports (stacks/analytics/dashboard.ts, test/fixtures/metrics/).
 */
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { promtoolRuleSuite, type AlertCase, type TestGroup } from "./promtool";
import {
  renderAnalyticsRuleFile,
  renderAnalyticsRules,
  type AnalyticsRulesInput,
} from "../../stacks/analytics/rules";

const INPUT: AnalyticsRulesInput = {
  namespace: "lakehouse",
  coordinatorJob: "trino",
  workers: 2,
  failedQueryPercent: 10,
};

const T = 'namespace="lakehouse",job="trino",instance="10.0.0.5:8080"';
const UP = `up{${T}}`;
const ACTIVE = `trino_metadata_name_DiscoveryNodeManager_ActiveNodeCount{${T}}`;
const QM = (m: string) => `trino_execution_name_QueryManager_${m}{${T}}`;
const ALERT_LABELS = { platform: "lakehouse", phase: "analytics" };

/** promtool compares annotations exactly: expect the rendered ones, with the `$value` templates expanded. */
function expectedAnnotations(alertname: string, value: string): Record<string, string> {
  const rule = renderAnalyticsRules(INPUT)
    .groups.flatMap((g) => g.rules)
    .find((r) => r.alert === alertname);
  if (!rule) throw new Error(`The rendered rules have no alert ${alertname}.`);
  return Object.fromEntries(
    Object.entries(rule.annotations ?? {}).map(([k, v]) => [
      k,
      v.replace(/\{\{ \$value( \| humanize)? \}\}/g, value),
    ]),
  );
}

function firing(
  alertname: string,
  at: string,
  severity: string,
  value = "",
  extra: Record<string, string> = {},
): AlertCase {
  return {
    eval_time: at,
    alertname,
    exp_alerts: [
      {
        exp_labels: { severity, ...ALERT_LABELS, ...extra },
        exp_annotations: expectedAnnotations(alertname, value),
      },
    ],
  };
}
const quiet = (alertname: string, at: string): AlertCase => ({ eval_time: at, alertname, exp_alerts: [] });

/** Counter series growing by `perMinute` each minute for `minutes` minutes. */
const grows = (perMinute: number, minutes: number) => `0+${perMinute}x${minutes}`;

function testGroups(): TestGroup[] {
  return [
    {
      name: "coordinator stops answering at 10m",
      interval: "1m",
      input_series: [
        { series: UP, values: "1x9 0x30" },
        { series: ACTIVE, values: "3x40" },
      ],
      alert_rule_test: [
        quiet("TrinoCoordinatorDown", "9m"),
        quiet("TrinoCoordinatorDown", "13m"), // pending: 3 of the 5 minutes
        firing("TrinoCoordinatorDown", "16m", "critical"),
      ],
    },
    {
      name: "coordinator target missing entirely",
      interval: "1m",
      input_series: [
        { series: 'up{namespace="lakehouse",job="hive-metastore",instance="x"}', values: "1x30" },
      ],
      alert_rule_test: [
        quiet("TrinoCoordinatorDown", "3m"),
        // absent() carries the selector's equality labels
        firing("TrinoCoordinatorDown", "10m", "critical", "", { namespace: "lakehouse", job: "trino" }),
      ],
    },
    {
      name: "healthy cluster: coordinator up, both workers active, few failures",
      interval: "1m",
      input_series: [
        { series: UP, values: "1x60" },
        { series: ACTIVE, values: "3x60" },
        { series: QM("CompletedQueries"), values: grows(10, 60) },
        { series: QM("FailedQueries"), values: grows(0.5, 60) },
        { series: QM("UserErrorFailures"), values: grows(0, 60) },
      ],
      alert_rule_test: [
        quiet("TrinoCoordinatorDown", "50m"),
        quiet("TrinoWorkersMissing", "50m"),
        quiet("TrinoFailedQueryRateHigh", "50m"), // 5 % < 10 %
      ],
    },
    {
      name: "one of two workers lost at 10m",
      interval: "1m",
      input_series: [
        { series: UP, values: "1x40" },
        { series: ACTIVE, values: "3x9 2x30" },
      ],
      alert_rule_test: [
        quiet("TrinoWorkersMissing", "9m"),
        quiet("TrinoWorkersMissing", "15m"), // pending for 10 minutes
        firing("TrinoWorkersMissing", "21m", "warning", "1"),
        quiet("TrinoCoordinatorDown", "30m"),
      ],
    },
    {
      name: "a rolling restart takes one worker away for 6 minutes",
      interval: "1m",
      input_series: [
        { series: UP, values: "1x40" },
        { series: ACTIVE, values: "3x9 2x5 3x25" },
      ],
      alert_rule_test: [quiet("TrinoWorkersMissing", "14m"), quiet("TrinoWorkersMissing", "25m")],
    },
    {
      name: "20 % of the finished queries fail for platform reasons (30 % failed, 10 % user errors)",
      interval: "1m",
      input_series: [
        { series: UP, values: "1x40" },
        { series: QM("CompletedQueries"), values: grows(10, 40) },
        { series: QM("FailedQueries"), values: grows(3, 40) },
        { series: QM("UserErrorFailures"), values: grows(1, 40) },
      ],
      alert_rule_test: [
        quiet("TrinoFailedQueryRateHigh", "4m"), // pending for its 5 minutes
        firing("TrinoFailedQueryRateHigh", "20m", "warning", "20"),
      ],
    },
    {
      name: "every failure is a user error",
      interval: "1m",
      input_series: [
        { series: UP, values: "1x40" },
        { series: QM("CompletedQueries"), values: grows(10, 40) },
        { series: QM("FailedQueries"), values: grows(5, 40) },
        { series: QM("UserErrorFailures"), values: grows(5, 40) },
      ],
      alert_rule_test: [quiet("TrinoFailedQueryRateHigh", "30m")],
    },
    {
      name: "too few queries to judge: one query in 20 minutes, and it failed",
      interval: "1m",
      input_series: [
        { series: UP, values: "1x40" },
        { series: QM("CompletedQueries"), values: "0x10 1x30" },
        { series: QM("FailedQueries"), values: "0x10 1x30" },
        { series: QM("UserErrorFailures"), values: "0x40" },
      ],
      alert_rule_test: [quiet("TrinoFailedQueryRateHigh", "20m")],
    },
  ];
}

describe("analytics alerts (promtool)", function () {
  this.timeout(600_000);
  promtoolRuleSuite({
    phase: "analytics",
    ruleFile: () => renderAnalyticsRuleFile(INPUT),
    rules: () => renderAnalyticsRules(INPUT),
    groups: testGroups,
    wrong: {
      alert: "TrinoWorkersMissing",
      group: {
        name: "healthy, but expecting TrinoWorkersMissing",
        interval: "1m",
        input_series: [
          { series: UP, values: "1x30" },
          { series: ACTIVE, values: "3x30" },
        ],
        alert_rule_test: [firing("TrinoWorkersMissing", "25m", "warning", "2")],
      },
    },
  });

  it("has the three alerts the issue asks for, each with a runbook anchor that exists", () => {
    const rules = renderAnalyticsRules(INPUT).groups.flatMap((g) => g.rules);
    assert.deepEqual(
      rules.map((r) => r.alert),
      ["TrinoCoordinatorDown", "TrinoWorkersMissing", "TrinoFailedQueryRateHigh"],
    );
    const runbook = fs.readFileSync(path.join(__dirname, "../../docs/runbooks/analytics.md"), "utf8");
    for (const r of rules) {
      const anchor = String(r.annotations?.runbook_url).split("#")[1];
      assert.ok(
        runbook.toLowerCase().includes(`<a id="${anchor}"></a>`),
        `docs/runbooks/analytics.md has no anchor "${anchor}" for ${r.alert}`,
      );
    }
  });

  it("follows the config: worker count and failed-query line in the expressions; no worker alert for 0 workers", () => {
    const exprs = (i: Partial<AnalyticsRulesInput>) =>
      Object.fromEntries(
        renderAnalyticsRules({ ...INPUT, ...i })
          .groups.flatMap((g) => g.rules)
          .map((r) => [r.alert, r.expr]),
      );
    assert.match(exprs({ workers: 5 }).TrinoWorkersMissing, / - 1 < 5$/);
    assert.match(exprs({ failedQueryPercent: 2.5 }).TrinoFailedQueryRateHigh, /\* 100 > 2\.5 and /);
    assert.equal(exprs({ workers: 0 }).TrinoWorkersMissing, undefined);
    assert.throws(() => renderAnalyticsRules({ ...INPUT, failedQueryPercent: 0 }), /failedQueryPercent is 0/);
    assert.throws(
      () => renderAnalyticsRules({ ...INPUT, extraLabels: { "team-name": "x" } }),
      /"team-name" is not a valid Prometheus label name/,
    );
  });
});
