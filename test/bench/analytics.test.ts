/**
 * The analytics benchmark: its pure parts as tables of cases, its whole code path once on the shared real
 * engines (Trino 476 + Hive Metastore + radosgw) at TPC-H tiny with one run (structure and answers, never
 * time), and `npm run bench:analytics`'s refusals as a user meets them.
 */
import { strict as assert } from "node:assert";
import * as path from "node:path";
import { runAnalyticsBench, type AnalyticsBenchResult } from "../../bench/analytics";
import { hiveCatalogFrom } from "../../bench/lib/engines";
import { optimizeAdvice, SMALL_FILE_BYTES, tableFiles } from "../../bench/lib/optimize-advice";
import { analyticsTargets, analyticsWrong, renderAnalyticsReport } from "../../bench/lib/render";
import { renderQuery, sameAnswer, TPCH_QUERIES, TPCH_TABLES, tpchSchema } from "../../bench/lib/tpch";
import { parseDataSize } from "../../bench/lib/trino-stats";
import { renderCatalogs } from "../../stacks/analytics/catalogs";
import { npmRun, ROOT } from "../npm";
import { sharedLakehouse } from "../../harness/lakehouse";

describe("bench: analytics helpers (pure)", () => {
  it("renders each query for a schema, time travel only with a snapshot, and refuses odd names", () => {
    const q6 = TPCH_QUERIES.find((q) => q.id === "Q6")!;
    const tt = TPCH_QUERIES.find((q) => q.id === "TT")!;
    assert.match(renderQuery(q6, "iceberg.tpch_sf1"), /FROM iceberg\.tpch_sf1\.lineitem l\n/);
    assert.match(
      renderQuery(tt, "iceberg.tpch_sf1", "6508281983338469123"),
      /lineitem FOR VERSION AS OF 6508281983338469123 l/,
    );
    assert.match(renderQuery(tt, "tpch.sf1"), /FROM tpch\.sf1\.lineitem {2}l/);
    for (const q of TPCH_QUERIES) assert.doesNotMatch(renderQuery(q, "tpch.tiny"), /\{/);
    assert.throws(() => renderQuery(q6, "lineitem; drop"), /must be catalog\.schema/);
    assert.throws(() => renderQuery(tt, "iceberg.x", "1 or 1=1"), /must be a number/);
    assert.deepEqual(
      TPCH_QUERIES.map((q) => q.id),
      ["Q1", "Q3", "Q5", "Q6", "Q10", "TT"],
    );
  });

  it("maps scales to tpch schemas", () => {
    assert.equal(tpchSchema("tiny"), "tiny");
    assert.equal(tpchSchema("1"), "sf1");
    assert.equal(tpchSchema("10"), "sf10");
    assert.throws(() => tpchSchema("0.5"), /must be tiny or a whole number/);
  });

  it("compares answers exactly except for the last bits of doubles", () => {
    assert.ok(sameAnswer([["A", 1, 0.1 + 0.2]], [["A", 1, 0.3]]));
    assert.ok(!sameAnswer([["A", 1, 0.3]], [["A", 1, 0.31]]));
    assert.ok(!sameAnswer([["A"]], [["B"]]));
    assert.ok(!sameAnswer([["A"]], []));
  });

  it("reads Trino data sizes", () => {
    assert.equal(parseDataSize("0B"), 0);
    assert.equal(parseDataSize("456B"), 456);
    assert.equal(parseDataSize("1.5kB"), 1536);
    assert.equal(parseDataSize("2MB"), 2 * 1024 * 1024);
    assert.throws(() => parseDataSize("lots"), /not a Trino data size/);
  });

  const big = SMALL_FILE_BYTES + 1;
  const small = 1024;
  for (const c of [
    { name: "one small file (nation)", rows: [[0, small, 25]], needed: false, re: /nothing to compact/ },
    {
      name: "big files only",
      rows: Array.from({ length: 20 }, () => [0, big, 1]),
      needed: false,
      re: /nothing/,
    },
    {
      name: "a position-delete file",
      rows: [
        [0, big, 100],
        [1, small, 7],
      ],
      needed: true,
      re: /1 delete file\(s\) \(7 deleted rows\).*EXECUTE optimize/,
    },
    {
      name: "8 small files",
      rows: Array.from({ length: 8 }, () => [0, small, 1]),
      needed: true,
      re: /8 of 8 data files are under 100 MB/,
    },
    {
      name: "7 small files",
      rows: Array.from({ length: 7 }, () => [0, small, 1]),
      needed: false,
      re: /nothing/,
    },
    {
      name: "8 small files among 20 big ones",
      rows: [
        ...Array.from({ length: 8 }, () => [0, small, 1]),
        ...Array.from({ length: 20 }, () => [0, big, 1]),
      ],
      needed: false,
      re: /nothing/,
    },
  ]) {
    it(`optimize advice: ${c.name} -> ${c.needed ? "needed" : "not needed"}`, () => {
      const a = optimizeAdvice(tableFiles("iceberg.s.t", c.rows));
      assert.equal(a.needed, c.needed, a.reason);
      assert.match(a.reason, c.re);
    });
  }

  it("derives the bench's hive catalog from the product's iceberg catalog (same metastore, S3, keys by env)", () => {
    const { iceberg } = renderCatalogs({
      metastoreUri: "thrift://127.0.0.1:9083",
      s3Endpoint: "http://127.0.0.1:7480",
      s3Region: "us-east-1",
    });
    const hive = hiveCatalogFrom(iceberg);
    assert.match(hive, /^connector\.name=hive\n/);
    assert.match(hive, /^hive\.metastore\.uri=thrift:\/\/127\.0\.0\.1:9083$/m);
    assert.match(hive, /^s3\.endpoint=http:\/\/127\.0\.0\.1:7480$/m);
    assert.match(hive, /^s3\.aws-access-key=\$\{ENV:AWS_ACCESS_KEY_ID\}$/m);
    assert.doesNotMatch(hive, /iceberg\./);
    assert.throws(() => hiveCatalogFrom("connector.name=iceberg\n"), /no hive\.metastore\.uri/);
  });

  it("reports targets as MISSED only at scale 10, and wrong answers always", () => {
    const q = (id: "Q1" | "Q3", ice: number, tpch: number, same = true) => ({
      id,
      title: id,
      iceberg: { runsMs: [ice], medianMs: ice, physicalInputBytes: 1000 },
      tpch: { runsMs: [tpch], medianMs: tpch },
      ratio: ice / tpch,
      sameAnswer: same,
    });
    const result = (scale: string, same = true): AnalyticsBenchResult => ({
      scale,
      tpchSchema: "tpch.sf10",
      icebergSchema: "iceberg.tpch_sf10",
      runs: 1,
      trinoVersion: "476",
      load: {
        tables: [{ table: "lineitem", rows: 10, ms: 1000, bytes: 100, files: 1 }],
        ms: 1000,
        rows: 10,
        bytes: 100,
      },
      loadSnapshot: "1",
      queries: [q("Q1", 3000, 2000), q("Q3", 12_000, 4000, same)],
      files: [],
      advice: [{ table: "iceberg.tpch_sf10.lineitem", needed: true, reason: "1 delete file(s)" }],
    });
    const t = analyticsTargets(result("10"));
    assert.deepEqual(
      t.map((x) => [x.met, x.detail]),
      [
        [false, "slowest Q3 12.0 s"],
        [false, "highest Q3 3.00x"],
      ],
    );
    const text10 = renderAnalyticsReport(result("10"));
    assert.match(text10, /target: every Iceberg query's median under 10 s: MISSED \(slowest Q3 12\.0 s\)$/m);
    assert.match(text10, /NEEDS OPTIMIZE {2}iceberg\.tpch_sf10\.lineitem: 1 delete file/);
    assert.match(
      renderAnalyticsReport(result("1")),
      /: not met \(slowest Q3 12\.0 s\) \[the target applies at --scale 10\]/,
    );
    assert.deepEqual(analyticsWrong(result("1")), []);
    assert.deepEqual(analyticsWrong(result("1", false)), ["Q3: the Iceberg answer differs from tpch's"]);
  });
});

describe("bench: analytics on the real engines (TPC-H tiny, 2 runs)", function () {
  this.timeout(900_000);

  it("loads the six tables, answers every query like the connector, and flags the DELETE until optimize", async () => {
    const { trino } = await sharedLakehouse();
    const logs: string[] = [];
    const r = await runAnalyticsBench({
      trinoUrl: trino.url,
      scale: "tiny",
      runs: 2,
      schema: `bench_test_${process.pid}`,
      deletes: true,
      log: (m) => logs.push(m),
    });
    // The legs are not interleaved: every Iceberg run (each query's runs back to back, as verify.query-latency
    // times them), then every connector run.
    const legs = logs.map((l) => /^(iceberg|tpch) (\w+) run (\d)\/2:/.exec(l)).filter((m) => m !== null);
    assert.deepEqual(
      legs.map((m) => `${m[1]} ${m[2]} ${m[3]}`),
      ["iceberg", "tpch"].flatMap((leg) =>
        ["Q1", "Q3", "Q5", "Q6", "Q10", "TT"].flatMap((id) => [`${leg} ${id} 1`, `${leg} ${id} 2`]),
      ),
    );
    assert.equal(r.trinoVersion, "476");
    assert.deepEqual(
      r.load.tables.map((t) => [t.table, t.rows]),
      [
        ["lineitem", 60175],
        ["orders", 15000],
        ["customer", 1500],
        ["supplier", 100],
        ["nation", 25],
        ["region", 5],
      ],
    );
    for (const t of r.load.tables) assert.ok(t.files >= 1 && t.bytes > 0, JSON.stringify(t));
    assert.deepEqual(
      r.queries.map((q) => [q.id, q.sameAnswer, q.iceberg.runsMs.length, q.tpch.runsMs.length]),
      ["Q1", "Q3", "Q5", "Q6", "Q10", "TT"].map((id) => [id, true, 2, 2]),
    );
    for (const q of r.queries) assert.ok(q.ratio > 0 && q.iceberg.physicalInputBytes > 0, JSON.stringify(q));
    assert.deepEqual(
      r.advice.map((a) => a.needed),
      TPCH_TABLES.map(() => false),
    );
    const d = r.deletes!;
    assert.ok(d.deletedRows > 60175 / 10 && d.deletedRows < 60175 / 6, `${d.deletedRows} rows deleted`);
    assert.ok(d.filesAfterDelete.deleteFiles >= 1);
    assert.equal(d.filesAfterDelete.deletedRows, d.deletedRows);
    assert.equal(d.adviceAfterDelete.needed, true);
    assert.equal(d.filesAfterOptimize.deleteFiles, 0);
    assert.equal(d.adviceAfterOptimize.needed, false);
    assert.equal(d.timeTravelMatches, true);
    assert.deepEqual(analyticsWrong(r), []);
    const text = renderAnalyticsReport(r);
    assert.match(text, /^Q5 local supplier volume \(6-table join\) +\d/m);
    assert.match(text, /^ {2}after the DELETE: NEEDS OPTIMIZE: 1 delete file/m);
  });
});

describe("npm run bench:analytics (refusals)", function () {
  this.timeout(240_000);

  it("names the setup script when Trino is not installed, and a bad --scale or --heap-gb, before starting anything", async () => {
    const missing = await npmRun(["bench:analytics"], {
      timeoutMs: 120_000,
      env: { LAKEHOUSE_TRINO_HOME: path.join(ROOT, "no-such-trino") },
    });
    assert.equal(missing.code, 1);
    assert.match(
      missing.stderr,
      /bench:analytics failed: Trino 476 not installed: run bash \.ci\/setup\.d\/60-trino\.sh/,
    );
    const bad = await npmRun(["bench:analytics", "--", "--scale", "5"], { timeoutMs: 120_000 });
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /bench:analytics: --scale must be one of tiny, 1, 10, got "5"\./);
    // --heap-gb is the worker's heap: at most the product's own 12.8 GB (a 16Gi worker pod).
    const big = await npmRun(["bench:analytics", "--", "--heap-gb", "13"]);
    assert.equal(big.code, 2);
    assert.match(big.stderr, /bench:analytics: --heap-gb must be a number from 0\.8 to 12\.8, got "13"\./);
  });
});
