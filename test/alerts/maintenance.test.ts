/**
 * The table maintenance's Prometheus rules, checked by Prometheus itself: `promtool check rules` on the rendered
 * file, and `promtool test rules` with the series the maintenance Job pushes (as the Pushgateway's scrape shows
 * them: `job` is the pushed job, `namespace` the Pushgateway's) proving each alert fires when it should and stays
 * quiet otherwise. The names are the ones a real run pushes (test/analytics/maintenance.test.ts checks them
 * against a real Pushgateway).
 */
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { promtoolRuleSuite, type AlertCase, type TestGroup } from "./promtool";
import {
  MAINTENANCE_ALERTS,
  renderMaintenanceRuleFile,
  renderMaintenanceRules,
  type MaintenanceRulesInput,
} from "../../stacks/analytics/maintenanceRules";
import { REFUSAL_REASONS } from "../../stacks/analytics/dashboard";

const INPUT: MaintenanceRulesInput = {
  namespace: "lakehouse",
  pushJob: "lakehouse-table-maintenance",
  maxAgeHours: 2,
  retentionDays: 14,
};

const T = 'namespace="lakehouse",job="lakehouse-table-maintenance",instance="",pod="lakehouse-pushgateway-0"';
const M = (name: string, labels = "") => `lakehouse_table_maintenance_${name}{${T}${labels}}`;
const ALERT_LABELS = { platform: "lakehouse", phase: "analytics" };

/** promtool compares annotations exactly: the rendered ones with `$labels` expanded. */
function expectedAnnotations(alertname: string, labels: Record<string, string>): Record<string, string> {
  const rule = renderMaintenanceRules(INPUT)
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

function firing(alertname: string, at: string, extra: Record<string, string> = {}): AlertCase {
  return {
    eval_time: at,
    alertname,
    exp_alerts: [
      {
        exp_labels: { severity: "warning", ...ALERT_LABELS, ...extra },
        exp_annotations: expectedAnnotations(alertname, extra),
      },
    ],
  };
}
const quiet = (alertname: string, at: string): AlertCase => ({ eval_time: at, alertname, exp_alerts: [] });

/** The four refusal series of one run, `refused` set to 1. */
const refusals = (refused: string[], values: (on: boolean) => string) =>
  REFUSAL_REASONS.map((r) => ({
    series: M("orphan_removal_refused", `,reason="${r}"`),
    values: values(refused.includes(r)),
  }));

function testGroups(): TestGroup[] {
  return [
    {
      name: "a run fails at 10m, the next one succeeds at 30m",
      interval: "1m",
      input_series: [
        { series: M("success"), values: "1x9 0x20 1x20" },
        { series: M("last_run_timestamp_seconds"), values: "0+60x50" },
      ],
      alert_rule_test: [
        quiet("TableMaintenanceFailed", "9m"),
        quiet("TableMaintenanceFailed", "12m"), // pending: 2 of the 5 minutes
        firing("TableMaintenanceFailed", "20m"),
        quiet("TableMaintenanceFailed", "35m"),
        quiet("TableMaintenanceStale", "45m"),
        quiet("TableMaintenanceMissing", "45m"),
      ],
    },
    {
      name: "the last run ended at 0 and nothing ran since (maxAgeHours 2)",
      interval: "1m",
      input_series: [
        { series: M("success"), values: "1x200" },
        { series: M("last_run_timestamp_seconds"), values: "0x200" },
      ],
      alert_rule_test: [
        quiet("TableMaintenanceStale", "110m"),
        quiet("TableMaintenanceStale", "125m"), // pending: over the age for 5 of the 10 minutes
        firing("TableMaintenanceStale", "150m"),
        quiet("TableMaintenanceFailed", "150m"),
        quiet("TableMaintenanceMissing", "150m"),
      ],
    },
    {
      name: "no run ever reported (or the Pushgateway forgot it)",
      interval: "1m",
      input_series: [{ series: `up{${T}}`, values: "1x200" }],
      alert_rule_test: [
        quiet("TableMaintenanceMissing", "100m"), // pending: maxAgeHours not yet over
        // absent() keeps the selector's equality labels, so the alert says which namespace and job.
        firing("TableMaintenanceMissing", "130m", {
          namespace: "lakehouse",
          job: "lakehouse-table-maintenance",
        }),
      ],
    },
    {
      name: "orphan removal refused right after a reconciled restore: by design, no alert",
      interval: "1m",
      input_series: refusals(["restore-reconciled"], (on) => (on ? "1x20" : "0x20")),
      alert_rule_test: [quiet("TableMaintenanceOrphanRemovalRefused", "15m")],
    },
    {
      name: "orphan removal refused because the last reconcile left a divergent table",
      interval: "1m",
      input_series: refusals(["restore-reconciled", "divergent-tables"], (on) => (on ? "1x20" : "0x20")),
      alert_rule_test: [firing("TableMaintenanceOrphanRemovalRefused", "5m", { reason: "divergent-tables" })],
    },
    {
      name: "a run skips one table whose catalog is behind its files, and a dropped one",
      interval: "1m",
      input_series: [
        {
          series: M(
            "table_status",
            ',schema="lakehouse",table="events",status="skipped",reason="catalog-behind-bucket"',
          ),
          values: "1x20",
        },
        {
          series: M("table_status", ',schema="lakehouse",table="scratch",status="skipped",reason="dropped"'),
          values: "1x20",
        },
        {
          series: M("table_status", ',schema="lakehouse",table="events_daily",status="maintained",reason=""'),
          values: "1x20",
        },
      ],
      alert_rule_test: [
        firing("TableMaintenanceTableSkipped", "5m", {
          schema: "lakehouse",
          table: "events",
          reason: "catalog-behind-bucket",
        }),
      ],
    },
    {
      name: "every table maintained",
      interval: "1m",
      input_series: [
        {
          series: M("table_status", ',schema="lakehouse",table="events",status="maintained",reason=""'),
          values: "1x20",
        },
      ],
      alert_rule_test: [quiet("TableMaintenanceTableSkipped", "5m")],
    },
  ];
}

describe("table maintenance alerts (promtool)", function () {
  this.timeout(600_000);
  promtoolRuleSuite({
    phase: "maintenance",
    ruleFile: () => renderMaintenanceRuleFile(INPUT),
    rules: () => renderMaintenanceRules(INPUT),
    groups: testGroups,
    wrong: {
      alert: "TableMaintenanceFailed",
      group: {
        name: "every run succeeds, but expecting TableMaintenanceFailed",
        interval: "1m",
        input_series: [{ series: M("success"), values: "1x30" }],
        alert_rule_test: [firing("TableMaintenanceFailed", "25m")],
      },
    },
  });

  it("has the five alerts, each with a runbook anchor that exists in docs/runbooks/maintenance.md", () => {
    const rules = renderMaintenanceRules(INPUT).groups.flatMap((g) => g.rules);
    assert.deepEqual(
      rules.map((r) => r.alert),
      [...MAINTENANCE_ALERTS],
    );
    const runbook = fs.readFileSync(path.join(__dirname, "../../docs/runbooks/maintenance.md"), "utf8");
    for (const r of rules) {
      const anchor = String(r.annotations?.runbook_url).split("#")[1];
      assert.ok(
        runbook.toLowerCase().includes(`<a id="${anchor}"></a>`),
        `docs/runbooks/maintenance.md has no anchor "${anchor}" for ${r.alert}`,
      );
    }
  });

  it("follows the config: the stale line is maxAgeHours; bad input is refused naming the key", () => {
    const expr = (i: Partial<MaintenanceRulesInput>, alert: string) =>
      renderMaintenanceRules({ ...INPUT, ...i })
        .groups.flatMap((g) => g.rules)
        .find((r) => r.alert === alert);
    assert.match(expr({ maxAgeHours: 48 }, "TableMaintenanceStale")!.expr, / > 172800$/);
    assert.equal(expr({ maxAgeHours: 48 }, "TableMaintenanceMissing")!.for, "48h");
    assert.throws(() => renderMaintenanceRules({ ...INPUT, maxAgeHours: 0 }), /maxAgeHours is 0/);
    assert.throws(
      () => renderMaintenanceRules({ ...INPUT, extraLabels: { "team-name": "x" } }),
      /"team-name" is not a valid Prometheus label name/,
    );
  });
});
