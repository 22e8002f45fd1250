/**
 * The Grafana dashboards: every panel's PromQL is valid (promtool check rules on a generated rule file with each
 * expression as a recording rule), every metric name a panel or an alert uses is one its component exports
 * (the documented lists in each phase's dashboard.ts), and the Trino names are in a real Trino 476's
 * /metrics (test/fixtures/metrics/trino-476.txt). Plus the dashboard JSON the Grafana sidecar loads.
 */
import * as assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { stringify } from "yaml";
import { configSchema } from "../../../preflight/config/schema";
import {
  grafanaDashboard,
  SCRAPE_METRICS,
  seriesNames,
  type MetricSource,
} from "../../../stacks/platform/dashboards";
import {
  plannedDashboards,
  dashboardSpecs,
  type DashboardInput,
  METRICS_BY_COMPONENT,
} from "../../../stacks/analytics/dashboardConfigMaps";
import { MAINTENANCE_METRICS, TRINO_METRICS } from "../../../stacks/analytics/dashboard";
import { renderMaintenanceRules } from "../../../stacks/analytics/maintenanceRules";
import { renderAnalyticsRules } from "../../../stacks/analytics/rules";

const PROMTOOL = fs.existsSync("/usr/bin/promtool") ? "/usr/bin/promtool" : "promtool";
const INPUT: DashboardInput = {
  namespace: "lakehouse",
  metastoreJob: "hive-metastore",
  trinoRelease: "trino",
};

const KEYWORDS = new Set(["and", "or", "unless", "bool", "offset"]);

/**
 * The metric names in a PromQL expression: identifiers that are not functions, keywords, label names (inside
 * `{...}` or `by/without/on/ignoring(...)`), strings or durations.
 */
function metricNames(expr: string): string[] {
  let s = expr.replace(/"(?:[^"\\]|\\.)*"/g, '""');
  s = s.replace(/\{[^}]*\}/g, " ");
  s = s.replace(/\[[^\]]*\]/g, " ");
  s = s.replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, " ");
  const out = new Set<string>();
  for (const m of s.matchAll(/([a-zA-Z_:][a-zA-Z0-9_:]*)\s*(\()?/g)) {
    if (m[2] || KEYWORDS.has(m[1])) continue;
    out.add(m[1]);
  }
  return [...out];
}

const allowed = (list: readonly MetricSource[]) =>
  new Set([...list, ...SCRAPE_METRICS].flatMap((m) => seriesNames(m)));

function runPromtool(args: string[]): { status: number | null; out: string } {
  const r = spawnSync(PROMTOOL, args, { encoding: "utf8", timeout: 180_000 });
  if (r.error) {
    throw new Error(
      `Could not run ${PROMTOOL} ${args.join(" ")}: ${r.error.message}. Run .ci/setup.d/10-apt.sh.`,
    );
  }
  return { status: r.status, out: `${r.stdout}${r.stderr}` };
}

describe("Grafana dashboards", function () {
  this.timeout(300_000);
  const specs = dashboardSpecs(INPUT);
  const exprs = specs.flatMap((d) =>
    d.panels.flatMap((p, i) =>
      p.targets.map((t, j) => ({ dashboard: d.id, panel: p.title, at: `${i}_${j}`, expr: t.expr })),
    ),
  );
  let dir: string;
  before(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), "lakehouse-dashboards-"))));
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it("has a metastore, a Spark jobs, a Trino and an Iceberg tables dashboard, each with panels", () => {
    assert.deepEqual(
      specs.map((d) => d.id),
      ["metastore", "spark", "trino", "tables"],
    );
    for (const d of specs) assert.ok(d.panels.length >= 5, `${d.id} has ${d.panels.length} panels`);
  });

  it("every panel's PromQL passes promtool check rules (each expression as a recording rule)", () => {
    const file = path.join(dir, "dashboards.rules.yaml");
    const groups = specs.map((d) => ({
      name: `dashboard-${d.id}`,
      rules: exprs
        .filter((e) => e.dashboard === d.id)
        .map((e) => ({ record: `lakehouse_dashboard_check:${d.id}_${e.at}`, expr: e.expr })),
    }));
    fs.writeFileSync(file, stringify({ groups }, { lineWidth: 0 }));
    const r = runPromtool(["check", "rules", file]);
    assert.equal(r.status, 0, r.out);
    assert.match(r.out, new RegExp(`SUCCESS: ${exprs.length} rules found`));
  });

  it("promtool rejects a broken expression (the check can fail)", () => {
    const file = path.join(dir, "broken.rules.yaml");
    fs.writeFileSync(
      file,
      stringify({ groups: [{ name: "x", rules: [{ record: "x:y", expr: "sum(rate(up[5m])" }] }] }),
    );
    assert.notEqual(runPromtool(["check", "rules", file]).status, 0);
  });

  it("finds the metric names of an expression, and only those", () => {
    assert.deepEqual(
      metricNames(
        '100 * sum by (pod) (a_used{ns="x",area="heap"}) / on (pod) group_left (b) max(b_max[5m]) ' +
          "- sum(increase(c_count[1h])) and d > 2 or vector(0)",
      ).sort(),
      ["a_used", "b_max", "c_count", "d"],
    );
  });

  it("every metric a panel uses is one its component exports (the documented list)", () => {
    const componentOf = {
      metastore: "metastore",
      spark: "spark",
      trino: "trino",
      tables: "maintenance",
    } as const;
    const unknown: string[] = [];
    for (const e of exprs) {
      const ok = allowed(METRICS_BY_COMPONENT[componentOf[e.dashboard]]);
      for (const n of metricNames(e.expr)) if (!ok.has(n)) unknown.push(`${e.dashboard} / ${e.panel}: ${n}`);
    }
    assert.deepEqual(unknown, []);
  });

  it("the Iceberg tables dashboard shows file and snapshot counts per table, from the maintenance's job", () => {
    const tables = specs.find((d) => d.id === "tables")!;
    const perTable = (metric: string) =>
      tables.panels.find((p) =>
        p.targets.some((t) => t.expr.includes(metric) && /by \(schema, table\)/.test(t.expr)),
      );
    assert.ok(perTable("lakehouse_iceberg_table_files"), "a files-per-table panel");
    assert.ok(perTable("lakehouse_iceberg_table_snapshots"), "a snapshots-per-table panel");
    for (const p of tables.panels)
      for (const t of p.targets)
        assert.match(t.expr, /namespace="lakehouse",job="lakehouse-table-maintenance"/, p.title);
  });

  it("every metric a maintenance alert uses is one the maintenance pushes", () => {
    const rules = renderMaintenanceRules({
      namespace: "lakehouse",
      pushJob: "lakehouse-table-maintenance",
      maxAgeHours: 48,
      retentionDays: 14,
    }).groups.flatMap((g) => g.rules);
    const ok = allowed(MAINTENANCE_METRICS);
    assert.deepEqual(
      rules.flatMap((r) =>
        metricNames(r.expr)
          .filter((n) => !ok.has(n))
          .map((n) => `${r.alert}: ${n}`),
      ),
      [],
    );
  });

  it("every metric an analytics alert uses is one Trino exports", () => {
    const rules = renderAnalyticsRules({
      namespace: "lakehouse",
      coordinatorJob: "trino",
      workers: 2,
      failedQueryPercent: 10,
    }).groups.flatMap((g) => g.rules);
    const ok = allowed(TRINO_METRICS);
    assert.deepEqual(
      rules.flatMap((r) =>
        metricNames(r.expr)
          .filter((n) => !ok.has(n))
          .map((n) => `${r.alert}: ${n}`),
      ),
      [],
    );
  });

  it("every documented Trino metric is in a real Trino 476's /metrics with the documented type", () => {
    const fixture = fs.readFileSync(path.join(__dirname, "../../fixtures/metrics/trino-476.txt"), "utf8");
    const families = new Map(
      fixture
        .split("\n")
        .filter((l) => l && !l.startsWith("#"))
        .map((l) => l.split(" ") as [string, string]),
    );
    for (const m of TRINO_METRICS) {
      assert.equal(families.get(m.name), m.type, `${m.name}: ${families.get(m.name) ?? "not exported"}`);
    }
  });

  it("selects the scrape jobs the ServiceMonitors create (Service names) in the platform namespace", () => {
    const trino = specs.find((d) => d.id === "trino")!;
    for (const p of trino.panels) {
      for (const t of p.targets)
        assert.match(t.expr, /namespace="lakehouse",job(=|=~)"trino(\|trino-worker)?"/, p.title);
    }
    const ms = specs.find((d) => d.id === "metastore")!;
    for (const p of ms.panels)
      for (const t of p.targets) assert.match(t.expr, /job="hive-metastore"/, p.title);
    // another release name moves the jobs with it
    const other = dashboardSpecs({ ...INPUT, trinoRelease: "adhoc" }).find((d) => d.id === "trino")!;
    assert.match(other.panels[0].targets[0].expr, /job="adhoc-trino"/);
  });

  it("renders Grafana JSON: stable uid, a Prometheus datasource variable, unique refIds", () => {
    for (const d of specs) {
      const j = grafanaDashboard(d) as {
        uid: string;
        templating: { list: { name: string; type: string; query: string }[] };
        panels: { id: number; datasource: { uid: string }; targets: { refId: string; expr: string }[] }[];
      };
      assert.equal(j.uid, `lakehouse-${d.id}`);
      assert.deepEqual(
        j.templating.list.map((v) => [v.name, v.type, v.query]),
        [["datasource", "datasource", "prometheus"]],
      );
      assert.deepEqual(
        j.panels.map((p) => p.id),
        d.panels.map((_, i) => i + 1),
      );
      for (const p of j.panels) {
        assert.equal(p.datasource.uid, "${datasource}");
        assert.equal(new Set(p.targets.map((t) => t.refId)).size, p.targets.length);
      }
    }
  });

  it("ships only the dashboards of enabled phases, in the monitoring namespace by default", () => {
    const all = plannedDashboards(configSchema.parse({}), "lakehouse");
    assert.equal(all.namespace, "monitoring");
    assert.deepEqual(
      all.dashboards.map((d) => d.id),
      ["metastore", "spark", "trino", "tables"],
    );
    const noCompute = plannedDashboards(
      configSchema.parse({ phases: { compute: false }, analytics: { dashboardNamespace: "grafana" } }),
      "lakehouse",
    );
    assert.equal(noCompute.namespace, "grafana");
    assert.deepEqual(
      noCompute.dashboards.map((d) => d.id),
      ["metastore", "trino", "tables"],
    );
    const noMaintenance = plannedDashboards(
      configSchema.parse({ analytics: { maintenance: { enabled: false } } }),
      "lakehouse",
    );
    assert.deepEqual(
      noMaintenance.dashboards.map((d) => d.id),
      ["metastore", "spark", "trino"],
    );
  });
});
