/**
 * What the three alert suites (foundation, compute, analytics) share: promtool itself, the shape of its rule
 * unit tests, and the two checks every suite makes: each alert is seen both firing and quiet, and a wrong
 * expectation makes `promtool test rules` fail (the harness can fail).
 */
import * as assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { stringify } from "yaml";

export const PROMTOOL = fs.existsSync("/usr/bin/promtool") ? "/usr/bin/promtool" : "promtool";

export interface Series {
  series: string;
  values: string;
}
export interface AlertCase {
  eval_time: string;
  alertname: string;
  exp_alerts: { exp_labels?: Record<string, string>; exp_annotations?: Record<string, string> }[];
}
export interface TestGroup {
  name: string;
  interval: string;
  input_series: Series[];
  alert_rule_test?: AlertCase[];
  /** Recording rules' expected values. */
  promql_expr_test?: { expr: string; eval_time: string; exp_samples: { labels: string; value: number }[] }[];
}

/** Runs promtool; a missing promtool is an error that names the set-up script. */
export function runPromtool(args: string[]): { status: number | null; out: string } {
  const r = spawnSync(PROMTOOL, args, { encoding: "utf8", timeout: 60_000 });
  if (r.error)
    throw new Error(
      `Could not run ${PROMTOOL} ${args.join(" ")}: ${r.error.message}. Run .ci/setup.d/10-apt.sh.`,
    );
  return { status: r.status, out: `${r.stdout}${r.stderr}` };
}

/** Every alert has a case where it fires and one where it stays quiet. */
export function assertEveryAlertTested(alerts: readonly string[], groups: readonly TestGroup[]): void {
  for (const a of alerts) {
    const cases = groups.flatMap((g) => g.alert_rule_test ?? []).filter((c) => c.alertname === a);
    assert.ok(
      cases.some((c) => c.exp_alerts.length > 0),
      `no case where ${a} fires`,
    );
    assert.ok(
      cases.some((c) => c.exp_alerts.length === 0),
      `no case where ${a} stays quiet`,
    );
  }
}

/** Writes the groups as a promtool test file beside the rules file and runs `promtool test rules` on it. */
export function promtoolTestRules(
  rulesFile: string,
  testFileName: string,
  groups: readonly TestGroup[],
): { status: number | null; out: string } {
  const testFile = path.join(path.dirname(rulesFile), testFileName);
  fs.writeFileSync(
    testFile,
    stringify(
      { rule_files: [path.basename(rulesFile)], evaluation_interval: "1m", tests: groups },
      { lineWidth: 0 },
    ),
  );
  return runPromtool(["test", "rules", testFile]);
}

/** `promtool test rules` passes on the groups. */
export function assertRuleTestsPass(
  rulesFile: string,
  testFileName: string,
  groups: readonly TestGroup[],
): void {
  const r = promtoolTestRules(rulesFile, testFileName, groups);
  assert.equal(r.status, 0, r.out);
  assert.match(r.out, /SUCCESS/);
}

/** `promtool test rules` fails on a group that expects `alertname` where it cannot fire, naming the alert. */
export function assertWrongExpectationFails(rulesFile: string, wrong: TestGroup, alertname: string): void {
  const r = promtoolTestRules(rulesFile, "wrong.test.yaml", [wrong]);
  assert.notEqual(r.status, 0, r.out);
  assert.match(r.out, new RegExp(alertname));
}
