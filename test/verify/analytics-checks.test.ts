/**
 * The analytics checks as tables of cases: one valid observation set, one change per case. Pure (no Trino);
 * the same checks against the real Trino are in test/analytics/verify.test.ts.
 */
import { strict as assert } from "node:assert";
import { configSchema } from "../../preflight/config/schema";
import { generateEvents } from "../../verify/compute/events";
import { median } from "../../verify/analytics/observe";
import type { AnalyticsObservations } from "../../verify/analytics/types";
import { evaluateChecks } from "../../verify/checks";
import { ANALYTICS_CHECKS } from "../../verify/analytics/checks";
import { heaviestExchange } from "../../verify/analytics/checks/queryLatency";
import type { QueryStats } from "../../verify/http/trino";

const config = configSchema.parse({});
const now = new Date("2026-12-01T12:00:00Z");
const gen = generateEvents("run1", 40, now);
const timed = (name: string, ms: number, stats?: QueryStats) => ({
  name,
  title: name,
  runsMs: [ms, ms + 100, ms - 100],
  medianMs: ms,
  ...(stats ? { stats } : {}),
});
/** Trino's statistics of a median run on a coordinator + 2 workers: `mb` scanned, `xmb` exchanged. */
const stats = (mb: number, xmb: number, elapsedMs = 4000, nodes = 3): QueryStats => ({
  elapsedMs,
  nodes,
  processedRows: 60_000_000,
  processedBytes: mb * 1e6,
  physicalInputBytes: mb * 0.95e6,
  internalNetworkInputBytes: xmb * 1e6,
});
const SCANS: Record<string, [number, number]> = {
  q1: [387, 0.01],
  q3: [471, 120],
  q5: [504, 180],
  q6: [370, 0.01],
  q10: [367, 90],
  "time-travel": [387, 0.01],
};

const OK: AnalyticsObservations = {
  endpoint: "service lakehouse/trino:8080 via the Kubernetes API proxy",
  nodes: {
    state: "ok",
    version: "476",
    coordinators: 1,
    activeWorkers: 2,
    nodes: [
      { id: "c", coordinator: true, state: "active" },
      { id: "w1", coordinator: false, state: "active" },
      { id: "w2", coordinator: false, state: "active" },
    ],
  },
  catalog: {
    state: "ok",
    schemas: ["default", "information_schema", "lakehouse", "lakehouse_verify"],
    table: {
      name: "iceberg.lakehouse.events",
      writer: "the compute phase's sample job",
      rows: 1000,
      metadataRecords: 1000,
      positionDeletes: 0,
      equalityDeletes: 0,
      snapshotId: "123",
    },
  },
  dataset: { state: "ok", schema: "lakehouse_verify", scale: 10, built: [], buildMs: 50, tables: {} },
  join: {
    state: "ok",
    query: "TPC-H Q5",
    tables: ["a", "b", "c", "d", "e", "f"],
    rows: [["INDIA", "52.00"]],
    reference: [["INDIA", "52.00"]],
    ms: 4000,
  },
  latency: {
    state: "ok",
    schema: "lakehouse_verify",
    scale: 10,
    queries: Object.entries(SCANS).map(([n, [mb, xmb]]) => timed(n, 4000, stats(mb, xmb))),
  },
  endToEnd: {
    state: "ok",
    source: "s3a://landing/verify/run1/",
    table: "iceberg.lakehouse_verify.e2e_run1_events",
    aggregateTable: "iceberg.lakehouse_verify.e2e_run1_daily",
    rowsIn: gen.rows,
    rowsOut: gen.rows,
    job: { rows_read: gen.rows },
    aggregate: gen.expected,
    expected: gen.expected,
    ms: 60_000,
  },
};

const run = (over: Partial<AnalyticsObservations>, cfg = config) =>
  Object.fromEntries(
    evaluateChecks(ANALYTICS_CHECKS, { ...OK, ...over }, { config: cfg, now }).map((r) => [r.id, r]),
  );

describe("verify analytics checks (pure)", () => {
  it("has unique verify.* ids, all critical, all of the analytics phase", () => {
    const ids = ANALYTICS_CHECKS.map((c) => c.id);
    assert.deepEqual(ids, [
      "verify.trino-available",
      "verify.iceberg-catalog",
      "verify.multi-table-join",
      "verify.query-latency",
      "verify.end-to-end",
    ]);
    assert.equal(new Set(ids).size, ids.length);
    assert.ok(ANALYTICS_CHECKS.every((c) => c.critical && c.phase === "analytics"));
  });

  it("passes every check on the valid observations", () => {
    const r = run({});
    for (const [id, x] of Object.entries(r)) assert.equal(x.status, "pass", `${id}: ${x.observed}`);
    assert.match(
      r["verify.query-latency"].observed,
      /^On TPC-H scale 10 in iceberg\.lakehouse_verify \(medians of 3 runs\): q1 4\.0 s \(scanned 387 MB at 96\.8 MB\/s\), q3 4\.0 s \(scanned 471 MB at 118 MB\/s\), q5 4\.0 s \(scanned 504 MB at 126 MB\/s\), q6 4\.0 s \(scanned 370 MB at 92\.5 MB\/s\), q10 4\.0 s \(scanned 367 MB at 91\.8 MB\/s\), time-travel 4\.0 s \(scanned 387 MB at 96\.8 MB\/s\); all under 10 s; heaviest exchange q5: 180 MB between stages across 3 nodes, 45\.0 MB\/s averaged over its 4\.0 s; dataset reused\.$/,
    );
    const data = r["verify.query-latency"].data as {
      scan: { query: string; bytesPerSecond: number }[];
      exchange: { query: string; bytes: number; bytesPerSecond: number; nodes: number };
      storageNeedBytesPerSecond: number;
    };
    assert.deepEqual(data.scan[2], {
      query: "q5",
      processedBytes: 504e6,
      physicalInputBytes: 504 * 0.95e6,
      bytesPerSecond: 126e6,
    });
    assert.deepEqual(data.exchange, {
      query: "q5",
      bytes: 180e6,
      elapsedMs: 4000,
      bytesPerSecond: 45e6,
      nodes: 3,
    });
    assert.equal(data.storageNeedBytesPerSecond, 50.4e6);
  });

  it("reports scan and exchange figures but gates only on latency: slow scans and a slow exchange still pass", () => {
    const slow = Object.entries(SCANS).map(([n, [mb, xmb]]) => timed(n, 9000, stats(mb / 20, xmb, 9000)));
    const r = run({
      latency: { ...(OK.latency as object), queries: slow } as AnalyticsObservations["latency"],
    });
    assert.equal(r["verify.query-latency"].status, "pass", r["verify.query-latency"].observed);
    assert.match(r["verify.query-latency"].observed, /q5 9\.0 s \(scanned 25\.2 MB at 2\.80 MB\/s\)/);
    assert.match(
      r["verify.query-latency"].observed,
      /heaviest exchange q5: 180 MB between stages across 3 nodes, 20\.0 MB\/s/,
    );
  });

  it("says when Trino reported no statistics, and when the exchange never left one node", () => {
    const bare = run({
      latency: {
        ...(OK.latency as object),
        queries: ["q1", "q3"].map((n) => timed(n, 4000)),
      } as AnalyticsObservations["latency"],
    })["verify.query-latency"];
    assert.equal(bare.status, "pass");
    assert.match(
      bare.observed,
      /: q1 4\.0 s, q3 4\.0 s; all under 10 s; exchange between stages not reported by this Trino;/,
    );
    const one = run({
      latency: {
        ...(OK.latency as object),
        queries: [timed("q3", 4000, stats(4.7, 3.4, 2000, 1))],
      } as AnalyticsObservations["latency"],
    })["verify.query-latency"];
    assert.match(
      one.observed,
      /heaviest exchange q3: 3\.40 MB between stages on 1 node \(it stayed on that node: no network measured\), 1\.70 MB\/s averaged over its 2\.0 s/,
    );
  });

  it("picks the query that moved the most between stages, skipping queries without the figure", () => {
    assert.equal(heaviestExchange([timed("a", 1000), timed("b", 1000)]), undefined);
    assert.equal(
      heaviestExchange([timed("a", 1000, stats(1, 5)), timed("b", 1000), timed("c", 1000, stats(1, 7))])
        ?.query,
      "c",
    );
  });

  const unreachable = { state: "unreachable" as const, message: "connect ECONNREFUSED" };
  const skipped = { state: "skipped" as const, reason: "Trino's nodes could not be read" };
  const cases: [string, Partial<AnalyticsObservations>, string, string, RegExp][] = [
    [
      "Trino unreachable",
      { nodes: unreachable },
      "verify.trino-available",
      "unknown",
      /did not answer: connect ECONNREFUSED/,
    ],
    [
      "a worker missing",
      {
        nodes: {
          ...(OK.nodes as object),
          activeWorkers: 1,
          nodes: [{ id: "w2", coordinator: false, state: "shutting_down" }],
        } as AnalyticsObservations["nodes"],
      },
      "verify.trino-available",
      "fail",
      /1 of 2 workers active \(w2 shutting_down\)/,
    ],
    [
      "no coordinator",
      { nodes: { ...(OK.nodes as object), coordinators: 0 } as AnalyticsObservations["nodes"] },
      "verify.trino-available",
      "fail",
      /no node reports itself as an active coordinator/,
    ],
    [
      "SHOW SCHEMAS failed",
      {
        catalog: {
          state: "error",
          stage: "show-schemas",
          message: "HIVE_METASTORE_ERROR: Failed connecting",
        },
      },
      "verify.iceberg-catalog",
      "fail",
      /show-schemas failed: HIVE_METASTORE_ERROR/,
    ],
    ["catalog not measured", { catalog: skipped }, "verify.iceberg-catalog", "unknown", /Not measured/],
    [
      "row count differs from the metadata",
      {
        catalog: {
          ...(OK.catalog as object),
          table: { ...(OK.catalog as { table: object }).table, rows: 990 },
        } as AnalyticsObservations["catalog"],
      },
      "verify.iceberg-catalog",
      "fail",
      /reads 990 rows through Trino, but its snapshot 123 records 1000 rows/,
    ],
    [
      "position deletes are subtracted",
      {
        catalog: {
          ...(OK.catalog as object),
          table: { ...(OK.catalog as { table: object }).table, rows: 990, positionDeletes: 10 },
        } as AnalyticsObservations["catalog"],
      },
      "verify.iceberg-catalog",
      "pass",
      /reads 990 rows, as its snapshot 123 records 1000 rows minus 10 deleted/,
    ],
    [
      "equality deletes make the count inexact",
      {
        catalog: {
          ...(OK.catalog as object),
          table: { ...(OK.catalog as { table: object }).table, equalityDeletes: 3 },
        } as AnalyticsObservations["catalog"],
      },
      "verify.iceberg-catalog",
      "warn",
      /3 equality deletes/,
    ],
    [
      "no pipeline table",
      { catalog: { state: "ok", schemas: ["default"], table: { missing: "nothing named" } } },
      "verify.iceberg-catalog",
      "warn",
      /no pipeline table was read back: nothing named/,
    ],
    [
      "join answer differs",
      { join: { ...(OK.join as object), rows: [["INDIA", "51.00"]] } as AnalyticsObservations["join"] },
      "verify.multi-table-join",
      "fail",
      /returned 1 rows \(INDIA 51\.00\); the known answer has 1 \(INDIA 52\.00\)/,
    ],
    [
      "no reference answer",
      {
        join: { ...(OK.join as object), rows: [], reference: [] } as unknown as AnalyticsObservations["join"],
      },
      "verify.multi-table-join",
      "unknown",
      /returned no rows/,
    ],
    ["join not measured", { join: unreachable }, "verify.multi-table-join", "unknown", /did not answer/],
    [
      "one median over the threshold",
      {
        latency: {
          ...(OK.latency as object),
          queries: [timed("q1", 4000), timed("q5", 12_500)],
        } as AnalyticsObservations["latency"],
      },
      "verify.query-latency",
      "fail",
      /q1 4\.0 s, q5 12\.5 s; over 10 s: q5; exchange between stages not reported by this Trino; dataset reused\./,
    ],
    [
      "a timed query failed",
      {
        latency: {
          state: "partial",
          schema: "s",
          scale: 10,
          queries: [timed("q1", 4000)],
          failed: { name: "q3", message: "EXCEEDED_LOCAL_MEMORY_LIMIT" },
        },
      },
      "verify.query-latency",
      "fail",
      /q3 failed: EXCEEDED_LOCAL_MEMORY_LIMIT/,
    ],
    [
      "dataset could not be built",
      {
        dataset: { state: "error", stage: "build-dataset", message: "Access Denied" },
        latency: { state: "skipped", reason: "the TPC-H dataset could not be built" },
      },
      "verify.query-latency",
      "unknown",
      /could not be built: Access Denied/,
    ],
    [
      "rows lost end to end",
      {
        endToEnd: { ...(OK.endToEnd as object), rowsOut: gen.rows - 1 } as AnalyticsObservations["endToEnd"],
      },
      "verify.end-to-end",
      "fail",
      new RegExp(
        `${gen.rows} rows dropped .*; ${gen.rows - 1} read through Trino .*; 1 row missing \\(the job reported rows_read ${gen.rows}\\)\\.$`,
      ),
    ],
    [
      "aggregate differs",
      {
        endToEnd: {
          ...(OK.endToEnd as object),
          aggregate: gen.expected.map((x, i) => (i === 0 ? [x[0], x[1], x[2] + 1, x[3]] : x)),
        } as AnalyticsObservations["endToEnd"],
      },
      "verify.end-to-end",
      "fail",
      /different from .*first difference: expected/,
    ],
    [
      "sample job failed",
      { endToEnd: { state: "error", stage: "ingest", message: "exit 2: bad.csv line 3: amount" } },
      "verify.end-to-end",
      "fail",
      /did not ingest the landing file: exit 2/,
    ],
    [
      "no way to run the job",
      { endToEnd: { state: "skipped", reason: "no driver" } },
      "verify.end-to-end",
      "unknown",
      /The pipeline was not run: no driver/,
    ],
  ];
  for (const [what, over, id, status, observed] of cases) {
    it(`${id}: ${status} when ${what}`, () => {
      const r = run(over)[id];
      assert.equal(r.status, status, r.observed);
      assert.match(r.observed, observed);
      if (status !== "pass") assert.ok(r.remediation.length > 20, "a remediation a user can act on");
    });
  }

  it("uses the configured worker count and latency threshold", () => {
    const cfg = configSchema.parse({
      sizing: { trinoWorker: { replicas: 1, cpu: "1", memory: "8Gi" } },
      thresholds: { queryLatencySeconds: 3 },
    });
    const r = run({}, cfg);
    assert.equal(r["verify.trino-available"].status, "pass");
    assert.equal(r["verify.query-latency"].status, "fail");
    assert.match(r["verify.query-latency"].expected, /< 3 s/);
  });

  it("generates a deterministic landing file and its aggregate", () => {
    const again = generateEvents("run1", 40, now);
    assert.equal(again.csv, gen.csv);
    const lines = gen.csv.trim().split("\n");
    assert.equal(lines[0], "event_id,event_time,user_id,event_type,amount");
    assert.equal(lines.length, 41);
    assert.ok(
      lines
        .slice(1)
        .every((l) =>
          /^run1-\d+,\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ,user-\d+,(view|click|purchase|refund),-?\d+\.\d\d$/.test(
            l,
          ),
        ),
      lines[1],
    );
    assert.equal(
      gen.expected.reduce((s, r) => s + r[2], 0),
      40,
    );
    const cents = (s: string) => Math.round(Number(s) * 100);
    const total = lines.slice(1).reduce((s, l) => s + cents(l.split(",")[4]), 0);
    assert.equal(
      gen.expected.reduce((s, r) => s + cents(r[3]), 0),
      total,
    );
    assert.notEqual(generateEvents("run2", 40, now).csv, gen.csv);
  });

  it("takes the median of the runs", () => {
    assert.equal(median([3, 1, 2]), 2);
    assert.equal(median([5]), 5);
    assert.equal(median([4, 1, 3, 2]), 2);
  });
});
