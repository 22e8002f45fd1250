import { strict as assert } from "assert";
import type { Report } from "../../../preflight/model";
import { PHASES } from "../../../preflight/model";
import { overallStatus, renderReport, renderResults } from "../../../preflight/render";
import { cell } from "../../../preflight/render/markdown";
import { statusLabel, wrap } from "../../../preflight/render/style";
import { blockedReport, result } from "./sample";

// eslint-disable-next-line no-control-regex
const ANSI = /\u001b\[[0-9;]*m/g;

function readyReport(): Report {
  const r = blockedReport();
  for (const c of r.checks) {
    if (c.status === "fail" || c.status === "unknown") {
      c.status = "pass";
      c.remediation = "";
    }
  }
  return {
    ...r,
    decision: "ready",
    summary: "Ready: 1 trigger met and every critical prerequisite passes.",
    blocking: [],
    gates: {
      foundation: { phase: "foundation", open: true, blockedBy: [], reason: "open" },
      compute: { phase: "compute", open: true, blockedBy: [], reason: "open" },
      analytics: {
        phase: "analytics",
        open: false,
        blockedBy: ["prereq.airflow"],
        reason: "closed: prereq.airflow",
      },
    },
  };
}

/** Splits a markdown table row into its cells, honouring `\|` escapes. */
function mdCells(row: string): string[] {
  return row
    .slice(1, -1)
    .split(/(?<!\\)\|/)
    .map((c) => c.trim());
}

describe("render: json", () => {
  it("is the report exactly, as one object", () => {
    const report = blockedReport();
    const text = renderReport(report, "json");
    assert.deepEqual(JSON.parse(text), report);
    assert.ok(text.endsWith("}\n"));
  });

  it("adds the phase in focus with its gate", () => {
    const parsed = JSON.parse(renderReport(readyReport(), "json", { phase: "compute" }));
    assert.deepEqual(parsed.focus, { phase: "compute", open: true, blockedBy: [], reason: "open" });
    assert.equal(parsed.decision, "ready");
  });
});

describe("render: table", () => {
  it("leads with the decision, the summary and the phase gate when one is in focus", () => {
    const lines = renderReport(blockedReport(), "table", { phase: "compute" }).split("\n");
    assert.equal(lines[0], "Lakehouse readiness: BLOCKED");
    assert.match(
      lines[1],
      /^Phase compute: gate CLOSED \(blocked by prereq\.airflow, prereq\.cluster-capacity\)$/,
    );
    assert.match(lines[2], /2 critical prerequisites block it/);
  });

  it("has no ANSI codes without colour and has them with colour", () => {
    const plain = renderReport(blockedReport(), "table", { color: false });
    assert.doesNotMatch(plain, ANSI);
    const colored = renderReport(blockedReport(), "table", { color: true });
    assert.match(colored, ANSI);
    assert.equal(colored.replace(ANSI, ""), plain, "colour changes nothing but the codes");
  });

  for (const width of [80, 100, 120]) {
    it(`keeps every line within ${width} columns`, () => {
      const text = renderReport(blockedReport(), "table", { width });
      const long = text.split("\n").filter((l) => l.length > width);
      assert.deepEqual(long, []);
    });
  }

  it("shows every check with its status, and expected + fix only for checks that did not pass", () => {
    const text = renderReport(blockedReport(), "table", { width: 160 });
    const flat = text.replace(/\s+/g, " ");
    for (const c of blockedReport().checks) {
      assert.ok(flat.includes(c.id), `${c.id} is listed`);
      const l = statusLabel(c);
      const row = text
        .split("\n")
        .find((x) => x.startsWith(`  ${l.symbol} ${l.label} `) && x.includes(` ${c.id}`));
      assert.ok(row, `${c.id} shows ${l.label}`);
    }
    assert.ok(flat.includes("to declare: If manual ETL runs"), "an unmet trigger says how to declare it");
    assert.ok(!flat.includes("expected for trigger.manual-etl"), "an unmet trigger is not a defect");
    assert.ok(flat.includes("fix: Run `flux reconcile helmrelease airflow -n airflow`"));
    assert.ok(flat.includes("expected: HelmRelease airflow/airflow Ready=True"));
    assert.ok(!flat.includes("expected for trigger.storage-usage"), "a passing check shows no expectation");
  });

  it("groups checks by category in the assessment's order", () => {
    const text = renderReport(blockedReport(), "table");
    const order = ["Triggers", "Prerequisites", "Knowledge prerequisites", "Current state", "Risks"].map(
      (h) => text.split("\n").indexOf(h),
    );
    assert.ok(
      order.every((i) => i > 0),
      `all headings present: ${order}`,
    );
    assert.deepEqual(
      [...order].sort((a, b) => a - b),
      order,
    );
  });

  it("lists the gates, the decision matrix and the capacity", () => {
    const lines = renderReport(blockedReport(), "table").split("\n");
    for (const p of PHASES) assert.ok(lines.some((l) => l.startsWith(`  ${p}`) && l.includes("✗ closed")));
    assert.ok(lines.some((l) => /^ {2}Condition +Met +Priority +Action$/.test(l)));
    assert.ok(
      lines.some((l) => /^ {2}Resources Available +unknown +Critical +Review cluster capacity/.test(l)),
    );
    assert.ok(lines.some((l) => l.includes("3 schedulable nodes; utilisation line 25 %")));
    assert.ok(lines.some((l) => l.includes("CPU: 9 free of 24 allocatable")));
    assert.ok(lines.some((l) => l.includes("memory: 72Gi free of 96Gi")));
  });
});

describe("render: markdown", () => {
  const md = renderReport(blockedReport(), "markdown");
  const lines = md.split("\n");

  it("has the decision matrix table of the assessment: Condition | Met | Priority | Action", () => {
    const h = lines.indexOf("| Condition | Met | Priority | Action |");
    assert.ok(h > 0);
    assert.equal(lines[h + 1], "| --- | --- | --- | --- |");
    const rows = lines.slice(h + 2, h + 5).map(mdCells);
    assert.deepEqual(rows[0], [
      "Storage > 200Gi",
      "✅ yes",
      "High",
      "Check current PVC usage: 312Gi requested",
    ]);
    assert.deepEqual(rows[2], [
      "Resources Available",
      "❓ unknown",
      "Critical",
      "Review cluster capacity \\| install metrics-server",
    ]);
  });

  it("keeps every table row to its header's number of cells (pipes in text are escaped)", () => {
    let width = 0;
    for (const l of lines) {
      if (!l.startsWith("|")) {
        width = 0;
        continue;
      }
      const n = mdCells(l).length;
      if (width === 0) width = n;
      assert.equal(n, width, `row has ${n} cells, header ${width}: ${l}`);
    }
  });

  it("states the decision, the gates and every check", () => {
    assert.equal(lines[0], "## Lakehouse readiness: BLOCKED");
    assert.ok(
      lines.includes(
        "| compute | ❌ closed | `prereq.airflow`, `prereq.cluster-capacity` | closed: prereq.airflow failed, prereq.cluster-capacity unknown |",
      ),
    );
    for (const c of blockedReport().checks) {
      const row = lines.find((l) => l.startsWith("| ") && mdCells(l)[1]?.startsWith(`\`${c.id}\`<br>`));
      assert.ok(row && mdCells(row)[0] === `${statusLabel(c).emoji} ${statusLabel(c).label}`, `${c.id} row`);
    }
    assert.doesNotMatch(md, ANSI);
  });

  it("escapes cells", () => {
    assert.equal(cell("a | b\nc"), "a \\| b<br>c");
    assert.equal(cell(""), " ");
  });
});

describe("render: the three formats say the same things", () => {
  for (const report of [blockedReport(), readyReport()]) {
    it(`decision ${report.decision}: same checks, statuses, blocking and gates`, () => {
      const table = renderReport(report, "table", { width: 160 });
      const md = renderReport(report, "markdown");
      const json = JSON.parse(renderReport(report, "json"));
      for (const text of [table, md]) {
        assert.ok(text.includes(report.decision === "ready" ? "READY" : "BLOCKED"));
        for (const c of report.checks) {
          const label = statusLabel(c).label;
          const row = text.split("\n").find((l) => l.includes(c.id) && l.includes(label));
          assert.ok(row, `${c.id} with ${label}`);
        }
        for (const id of [...report.blocking, ...report.warnings, ...report.triggersMet])
          assert.ok(text.includes(id));
        for (const p of PHASES) {
          const row = text.split("\n").find((l) => l.includes(p) && /open|closed/.test(l))!;
          assert.ok(row.includes(report.gates[p].open ? "open" : "closed"), `${p} gate in ${row}`);
        }
        for (const m of report.decisionMatrix) assert.ok(text.includes(m.condition));
      }
      assert.equal(json.decision, report.decision);
      assert.deepEqual(
        json.checks.map((c: { id: string; status: string }) => [c.id, c.status]),
        report.checks.map((c) => [c.id, c.status]),
      );
    });
  }
});

describe("render: results (shared with verify)", () => {
  const results = [
    result({ id: "verify.metastore-up", status: "pass" }),
    result({
      id: "verify.iceberg-roundtrip",
      status: "fail",
      critical: true,
      remediation: "Check the HMS logs.",
    }),
  ];
  const doc = { title: "Lakehouse verification", status: overallStatus(results), results };

  it("renders the same result format in all three formats", () => {
    assert.equal(doc.status, "fail");
    const table = renderResults(doc, "table");
    assert.match(table.split("\n")[0], /^Lakehouse verification: FAIL$/);
    assert.ok(table.includes("fix: Check the HMS logs."));
    assert.doesNotMatch(table, ANSI);
    const md = renderResults(doc, "markdown");
    assert.ok(md.startsWith("## Lakehouse verification: ❌ fail"));
    assert.ok(md.includes("| ❌ fail | `verify.iceberg-roundtrip`"));
    const json = JSON.parse(renderResults(doc, "json"));
    assert.equal(json.status, "fail");
    assert.deepEqual(json.results, results);
  });

  it("overallStatus fails closed on critical fail/unknown and warns on the rest", () => {
    const r = (status: "pass" | "warn" | "fail" | "unknown" | "skipped", critical = false) =>
      result({ id: `x.${status}`, status, critical });
    assert.equal(overallStatus([r("pass"), r("unknown", true)]), "fail");
    assert.equal(overallStatus([r("pass"), r("fail")]), "warn");
    assert.equal(overallStatus([r("pass"), r("skipped")]), "pass");
    assert.equal(overallStatus([r("skipped")]), "skipped");
    assert.equal(overallStatus([]), "pass");
  });
});

describe("render: a report with nothing measured", () => {
  it("leaves out the capacity and still renders gates and the matrix", () => {
    const r: Report = { ...blockedReport(), capacity: null, decision: "not-needed", triggersMet: [] };
    const table = renderReport(r, "table");
    assert.ok(!table.includes("\nCapacity\n"));
    assert.ok(table.includes("Triggers met: none"));
    assert.ok(table.startsWith("Lakehouse readiness: NOT NEEDED\n"));
    const md = renderReport(r, "markdown");
    assert.ok(!md.includes("### Capacity"));
    assert.ok(md.includes("- **Triggers met:** none"));
    assert.equal(JSON.parse(renderReport(r, "json")).capacity, null);
  });
});

describe("render: wrap", () => {
  it("wraps on words and breaks words longer than a line", () => {
    assert.deepEqual(wrap("aaa bbb ccc", 10), ["aaa bbb", "ccc"]);
    assert.deepEqual(wrap("x".repeat(25), 10), ["x".repeat(10), "x".repeat(10), "x".repeat(5)]);
    assert.deepEqual(wrap("a\nb", 10), ["a", "b"]);
  });
});
