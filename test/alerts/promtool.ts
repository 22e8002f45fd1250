/**
 * What the three alert suites (foundation, compute, analytics) share: promtool itself, the shape of its rule
 * unit tests, and the cases every suite has (`promtoolRuleSuite`): `promtool check rules` on the rendered file,
 * each alert seen both firing and quiet in `promtool test rules`, and a wrong expectation that makes it fail
 * (the harness can fail).
 */
import * as assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
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

/** What one phase's alert suite gives the shared cases. */
export interface RuleSuite {
  /** The phase, for the temp dir and file names: `analytics` -> analytics.rules.yaml, analytics.test.yaml. */
  phase: string;
  /** The rendered rule file (the product's render<Phase>RuleFile). */
  ruleFile: () => string;
  /** The rendered rules (the product's render<Phase>Rules), to count them and list the alerts. */
  rules: () => { groups: readonly { rules: readonly { alert?: string }[] }[] };
  /** The suite's promtool unit tests. */
  groups: () => TestGroup[];
  /** A group where `alert` cannot fire, but expects it to. */
  wrong: { group: TestGroup; alert: string };
}

/**
 * Registers, in the calling `describe`, what every alert suite does: the rule file written to a temp dir (removed
 * after), `promtool check rules` finding every rendered rule, `promtool test rules` passing with each alert seen
 * firing and quiet, and a wrong expectation failing. Returns the rule file's path, for the suite's own cases.
 */
export function promtoolRuleSuite(s: RuleSuite): () => string {
  let dir = "";
  let rulesFile = "";
  const all = () => s.rules().groups.flatMap((g) => g.rules);
  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), `lakehouse-${s.phase}-alerts-`));
    rulesFile = path.join(dir, `${s.phase}.rules.yaml`);
    fs.writeFileSync(rulesFile, s.ruleFile());
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it("the rendered rule file passes promtool check rules", () => {
    const r = runPromtool(["check", "rules", rulesFile]);
    assert.equal(r.status, 0, r.out);
    assert.match(r.out, new RegExp(`SUCCESS: ${all().length} rules found`));
  });

  it("promtool test rules: each alert fires when it should and not otherwise", () => {
    const groups = s.groups();
    // Coverage of the test file itself: every alert is seen firing and quiet somewhere.
    assertEveryAlertTested(
      all().flatMap((r) => (r.alert ? [r.alert] : [])),
      groups,
    );
    assertRuleTestsPass(rulesFile, `${s.phase}.test.yaml`, groups);
  });

  it("promtool test rules fails when an expectation is wrong (the harness can fail)", () => {
    assertWrongExpectationFails(rulesFile, s.wrong.group, s.wrong.alert);
  });
  return () => rulesFile;
}
