/**
 * The foundation phase's Prometheus rules, checked by Prometheus itself: `promtool check rules` on the rendered
 * file, and `promtool test rules` with series that prove each alert fires when it should and stays quiet
 * otherwise. The rule file is rendered by the same pure function the PrometheusRule resource uses.
 */
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { promtoolRuleSuite, type AlertCase, type TestGroup } from "./promtool";
import {
  BURN_RATE_ALERTS,
  renderFoundationRuleFile,
  renderFoundationRules,
  SLO_WINDOWS,
  type FoundationRulesInput,
} from "../../stacks/foundation/rules";
import { SLO_RECORDS } from "../../stacks/foundation/names";

const INPUT: FoundationRulesInput = {
  namespace: "lakehouse",
  metastoreJob: "hive-metastore",
  databaseStatefulSet: "metastore-db",
  backupCronJob: "metastore-backup",
  backupMaxAgeHours: 12,
  availabilityObjective: 99.9,
  lockTimeoutSeconds: 300,
};

const UP = (instance: string) => `up{namespace="lakehouse",job="hive-metastore",instance="${instance}"}`;
const STS = 'kube_statefulset_status_replicas_ready{namespace="lakehouse",statefulset="metastore-db"}';
const LAST_OK = 'kube_cronjob_status_last_successful_time{namespace="lakehouse",cronjob="metastore-backup"}';
const jobStart = (job: string) => `kube_job_status_start_time{namespace="lakehouse",job_name="${job}"}`;
const jobFailed = (job: string) =>
  `kube_job_failed{namespace="lakehouse",job_name="${job}",condition="true"}`;
const LOCK_AGE = (instance: string) =>
  `hive_metastore_oldest_lock_age_in_sec{namespace="lakehouse",job="hive-metastore",instance="${instance}"}`;
const ALERT_LABELS = { platform: "lakehouse", phase: "foundation" };

/** promtool compares annotations exactly: expect the rendered ones, with `$labels` templates expanded. */
function expectedAnnotations(alertname: string, labels: Record<string, string>): Record<string, string> {
  const rule = renderFoundationRules(INPUT)
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

function firing(
  alertname: string,
  at: string,
  severity: string,
  extra: Record<string, string> = {},
): AlertCase {
  const labels = { severity, ...ALERT_LABELS, ...extra };
  return {
    eval_time: at,
    alertname,
    exp_alerts: [{ exp_labels: labels, exp_annotations: expectedAnnotations(alertname, labels) }],
  };
}
function quiet(alertname: string, at: string): AlertCase {
  return { eval_time: at, alertname, exp_alerts: [] };
}

/** Every case; each alert appears firing in at least one and quiet in at least one. */
function testGroups(): TestGroup[] {
  return [
    {
      name: "metastore down: both replicas stop answering at 10m",
      interval: "1m",
      input_series: [
        { series: UP("a"), values: "1x9 0x30" },
        { series: UP("b"), values: "1x9 0x30" },
      ],
      alert_rule_test: [
        quiet("MetastoreDown", "9m"),
        quiet("MetastoreDown", "13m"), // pending: down for 3 of the 5 minutes
        firing("MetastoreDown", "16m", "critical"),
        quiet("MetastoreDegraded", "30m"), // all down is MetastoreDown, not degraded
      ],
    },
    {
      name: "metastore target missing entirely",
      interval: "1m",
      input_series: [
        { series: 'up{namespace="lakehouse",job="something-else",instance="x"}', values: "1x30" },
      ],
      alert_rule_test: [
        quiet("MetastoreDown", "3m"),
        // absent() carries the selector's equality labels
        firing("MetastoreDown", "10m", "critical", { namespace: "lakehouse", job: "hive-metastore" }),
      ],
    },
    {
      name: "one of two metastore replicas down",
      interval: "1m",
      input_series: [
        { series: UP("a"), values: "1x40" },
        { series: UP("b"), values: "1x4 0x35" },
      ],
      alert_rule_test: [
        quiet("MetastoreDown", "30m"),
        quiet("MetastoreDegraded", "10m"),
        firing("MetastoreDegraded", "25m", "warning"),
        quiet("MetastoreErrorBudgetBurnFast", "30m"), // one replica serves: no budget burnt
        quiet("MetastoreErrorBudgetBurnSlow", "30m"),
      ],
    },
    {
      name: "database ready, then down at 10m",
      interval: "1m",
      input_series: [{ series: STS, values: "1x9 0x20" }],
      alert_rule_test: [
        quiet("MetastoreDatabaseDown", "9m"),
        quiet("MetastoreDatabaseDown", "12m"),
        firing("MetastoreDatabaseDown", "16m", "critical"),
      ],
    },
    {
      name: "database healthy",
      interval: "1m",
      input_series: [{ series: STS, values: "1x30" }],
      alert_rule_test: [quiet("MetastoreDatabaseDown", "20m")],
    },
    {
      // 300 s timeout + 30 s housekeeping + 60 s gauge refresh = 390 s; both replicas report the same figure.
      name: "a lock nobody removes: its age passes 390 s at 9m, the alert fires 5m later",
      interval: "1m",
      input_series: [
        { series: LOCK_AGE("a"), values: "0 0 0 60+60x30" },
        { series: LOCK_AGE("b"), values: "0 0 0 60+60x30" },
      ],
      alert_rule_test: [
        quiet("MetastoreLockHeldTooLong", "8m"),
        quiet("MetastoreLockHeldTooLong", "12m"), // pending
        firing("MetastoreLockHeldTooLong", "15m", "warning"),
      ],
    },
    {
      name: "housekeeping removes an abandoned lock after the timeout: the age peaks at 360 s, quiet",
      interval: "1m",
      input_series: [
        { series: LOCK_AGE("a"), values: "0 60+60x5 0x20" },
        { series: LOCK_AGE("b"), values: "0 60+60x5 0x20" },
      ],
      alert_rule_test: [quiet("MetastoreLockHeldTooLong", "6m"), quiet("MetastoreLockHeldTooLong", "20m")],
    },
    {
      name: "one stale refresh above the threshold is not enough",
      interval: "1m",
      input_series: [{ series: LOCK_AGE("a"), values: "0x3 420 420 0x20" }],
      alert_rule_test: [quiet("MetastoreLockHeldTooLong", "5m"), quiet("MetastoreLockHeldTooLong", "12m")],
    },
    {
      name: "backup failed after the last success; an older failure is not reported",
      interval: "1m",
      input_series: [
        { series: LAST_OK, values: "1000x10" },
        { series: jobStart("metastore-backup-50"), values: "500x10" },
        { series: jobFailed("metastore-backup-50"), values: "1x10" },
        { series: jobStart("metastore-backup-100"), values: "2000x10" },
        { series: jobFailed("metastore-backup-100"), values: "1x10" },
      ],
      alert_rule_test: [
        firing("MetadataBackupFailed", "5m", "warning", {
          namespace: "lakehouse",
          job_name: "metastore-backup-100",
        }),
      ],
    },
    {
      name: "backup failed, then a later run succeeded",
      interval: "1m",
      input_series: [
        { series: LAST_OK, values: "3000x10" },
        { series: jobStart("metastore-backup-100"), values: "2000x10" },
        { series: jobFailed("metastore-backup-100"), values: "1x10" },
        { series: jobStart("metastore-backup-200"), values: "2900x10" },
        { series: jobFailed("metastore-backup-200"), values: "0x10" },
      ],
      alert_rule_test: [quiet("MetadataBackupFailed", "5m")],
    },
    {
      name: "backup failed and none ever succeeded",
      interval: "1m",
      input_series: [
        { series: jobStart("metastore-backup-100"), values: "2000x10" },
        { series: jobFailed("metastore-backup-100"), values: "1x10" },
      ],
      alert_rule_test: [
        firing("MetadataBackupFailed", "5m", "warning", {
          namespace: "lakehouse",
          job_name: "metastore-backup-100",
        }),
      ],
    },
    {
      name: "last success at t=0 becomes stale after 12h",
      interval: "5m",
      input_series: [{ series: LAST_OK, values: "0x200" }],
      alert_rule_test: [
        quiet("MetadataBackupStale", "6h"),
        quiet("MetadataBackupStale", "12h"),
        firing("MetadataBackupStale", "12h20m", "warning"),
        quiet("MetadataBackupMissing", "13h"),
      ],
    },
    {
      name: "fresh backups keep it quiet",
      interval: "5m",
      // A success every 6 h: the timestamp steps to the current time (in seconds) at 0h, 6h, 12h.
      input_series: [{ series: LAST_OK, values: "0x71 21600x71 43200x71" }],
      alert_rule_test: [quiet("MetadataBackupStale", "11h"), quiet("MetadataBackupStale", "17h")],
    },
    {
      name: "no backup ever",
      interval: "5m",
      input_series: [{ series: STS, values: "1x200" }],
      alert_rule_test: [
        quiet("MetadataBackupMissing", "6h"),
        firing("MetadataBackupMissing", "12h30m", "warning", {
          namespace: "lakehouse",
          cronjob: "metastore-backup",
        }),
      ],
    },
    {
      name: "25-minute outage at 60m: fast burn pages, clears 5m after recovery; slow burn stays",
      interval: "1m",
      input_series: [
        { series: UP("a"), values: "1x59 0x24 1x60" },
        { series: UP("b"), values: "1x59 0x24 1x60" },
      ],
      alert_rule_test: [
        quiet("MetastoreErrorBudgetBurnFast", "59m"),
        quiet("MetastoreErrorBudgetBurnSlow", "59m"),
        firing("MetastoreErrorBudgetBurnFast", "70m", "critical"),
        quiet("MetastoreErrorBudgetBurnFast", "95m"),
        firing("MetastoreErrorBudgetBurnSlow", "95m", "warning"),
        quiet("MetastoreErrorBudgetBurnSlow", "125m"), // the 30m window is clean again
      ],
      promql_expr_test: [
        {
          expr: SLO_RECORDS.ratio("5m"),
          eval_time: "50m",
          exp_samples: [{ labels: SLO_RECORDS.ratio("5m"), value: 1 }],
        },
        {
          expr: SLO_RECORDS.ratio("1h"),
          eval_time: "90m",
          // 25 of the 61 samples in (30m, 90m] were down
          exp_samples: [{ labels: SLO_RECORDS.ratio("1h"), value: 36 / 61 }],
        },
        { expr: SLO_RECORDS.up, eval_time: "70m", exp_samples: [{ labels: SLO_RECORDS.up, value: 0 }] },
      ],
    },
    {
      name: "healthy metastore burns nothing",
      interval: "1m",
      input_series: [
        { series: UP("a"), values: "1x400" },
        { series: UP("b"), values: "1x400" },
      ],
      alert_rule_test: [
        quiet("MetastoreErrorBudgetBurnFast", "6h"),
        quiet("MetastoreErrorBudgetBurnSlow", "6h"),
        quiet("MetastoreDown", "6h"),
        quiet("MetastoreDegraded", "6h"),
      ],
    },
  ];
}

describe("foundation alerts (promtool)", function () {
  this.timeout(120_000);
  promtoolRuleSuite({
    phase: "foundation",
    ruleFile: () => renderFoundationRuleFile(INPUT),
    rules: () => renderFoundationRules(INPUT),
    groups: testGroups,
    wrong: {
      alert: "MetastoreDown",
      group: {
        name: "healthy, but expecting MetastoreDown",
        interval: "1m",
        input_series: [{ series: UP("a"), values: "1x30" }],
        alert_rule_test: [firing("MetastoreDown", "20m", "critical")],
      },
    },
  });

  it("has the recording rules and every alert the runbook documents", () => {
    const rules = renderFoundationRules(INPUT).groups.flatMap((g) => g.rules);
    assert.deepEqual(
      rules.filter((r) => r.record).map((r) => r.record),
      [SLO_RECORDS.up, ...SLO_WINDOWS.map((w) => SLO_RECORDS.ratio(w))],
    );
    assert.deepEqual(
      rules.filter((r) => r.alert).map((r) => r.alert),
      [
        "MetastoreDown",
        "MetastoreDegraded",
        "MetastoreDatabaseDown",
        "MetastoreLockHeldTooLong",
        "MetadataBackupFailed",
        "MetadataBackupStale",
        "MetadataBackupMissing",
        ...BURN_RATE_ALERTS.map((b) => b.alert),
      ],
    );
    const runbook = fs.readFileSync(path.join(__dirname, "../../docs/runbooks/foundation.md"), "utf8");
    for (const r of rules.filter((x) => x.alert)) {
      const anchor = String(r.annotations?.runbook_url).split("#")[1];
      assert.ok(
        runbook.toLowerCase().includes(`<a id="${anchor}"></a>`),
        `docs/runbooks/foundation.md has no anchor "${anchor}" for ${r.alert}`,
      );
    }
  });

  it("the lock alert's threshold follows the lock timeout: timeout + 30 s housekeeping + 60 s gauge refresh", () => {
    const expr = (lockTimeoutSeconds?: number) =>
      renderFoundationRules({ ...INPUT, lockTimeoutSeconds })
        .groups.flatMap((g) => g.rules)
        .find((r) => r.alert === "MetastoreLockHeldTooLong")?.expr;
    assert.equal(
      expr(300),
      'max(hive_metastore_oldest_lock_age_in_sec{namespace="lakehouse",job="hive-metastore"}) > 390',
    );
    assert.match(expr(1800) ?? "", /> 1890$/);
    assert.equal(expr(undefined), expr(300), "the product's default timeout");
  });

  it("the burn-rate thresholds follow the objective (99.9 % -> 14.4 * 0.001, 99 % -> 6 * 0.01)", () => {
    const exprs = (objective: number) =>
      renderFoundationRules({ ...INPUT, availabilityObjective: objective })
        .groups.flatMap((g) => g.rules)
        .filter((r) => r.alert?.startsWith("MetastoreErrorBudgetBurn"))
        .map((r) => r.expr);
    assert.match(exprs(99.9)[0], /> \(14\.4 \* 0\.001\)/);
    assert.match(exprs(99.9)[0], /ratio_rate1h\).*ratio_rate5m\)/);
    assert.match(exprs(99)[1], /> \(6 \* 0\.01\)/);
    assert.match(exprs(99)[1], /ratio_rate6h\).*ratio_rate30m\)/);
    assert.throws(
      () => renderFoundationRules({ ...INPUT, availabilityObjective: 100 }),
      /availabilityObjective/,
    );
  });
});
