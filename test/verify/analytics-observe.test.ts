/**
 * observeAnalytics' end-to-end housekeeping with a scripted Trino client and ingest driver (the real run is
 * test/analytics/pipeline.test.ts): the run's scratch tables are dropped and the landing file removed after the
 * catalog check read them back, unless `keep` (verify --keep-jobs) asks to leave them for debugging.
 */
import { strict as assert } from "node:assert";
import { configSchema } from "../../preflight/config/schema";
import { endToEndNames, observeAnalytics, type IngestDriver } from "../../verify/analytics/observe";
import { TPCH_TABLES } from "../../verify/analytics/tpch";
import type { QueryResult, TrinoClient } from "../../verify/http/trino";

const config = configSchema.parse({ analytics: { verifyScaleFactor: 0.01, verifySchema: "s" } });

/** A Trino that knows the dataset already exists and answers every other query with one zero. */
function scriptedTrino(): { client: TrinoClient; sql: string[] } {
  const sql: string[] = [];
  const answer = (rows: unknown[][]): QueryResult => ({ queryId: "q", columns: [], rows, wallMs: 1 });
  const client = {
    endpoint: { baseUrl: "http://trino.test", label: "http://trino.test" },
    info: () => Promise.resolve({ version: "476", starting: false }),
    query: (q: string) => {
      sql.push(q);
      if (/system\.runtime\.nodes/.test(q)) return Promise.resolve(answer([["c", true, "active"]]));
      if (/^SHOW SCHEMAS/.test(q)) return Promise.resolve(answer([["s"]]));
      if (/^SHOW TABLES/.test(q)) return Promise.resolve(answer(TPCH_TABLES.map((t) => [`sf0_01_${t}`])));
      if (/information_schema\.tables/.test(q)) return Promise.resolve(answer([[1]]));
      return Promise.resolve(answer([[0]]));
    },
  } as unknown as TrinoClient;
  return { client, sql };
}

function recordingDriver(): { driver: IngestDriver; cleaned: string[] } {
  const cleaned: string[] = [];
  return {
    cleaned,
    driver: {
      describe: "scripted",
      ingest: (a) => Promise.resolve({ source: `s3a://b/landing/${a.runId}/`, job: { rows_read: 0 } }),
      cleanup: (runId) => {
        cleaned.push(runId);
        return Promise.resolve();
      },
    },
  };
}

describe("verify/analytics/observe: the end-to-end run's scratch tables and landing file", () => {
  const { table, aggregateTable } = endToEndNames("r1");
  const drops = (sql: string[]) => sql.filter((q) => /^DROP TABLE/.test(q));

  it("drops both tables and removes the landing file after the catalog read them back", async () => {
    const t = scriptedTrino();
    const d = recordingDriver();
    const obs = await observeAnalytics({
      client: t.client,
      config,
      runId: "r1",
      now: new Date(),
      runs: 1,
      ingest: d.driver,
    });
    assert.equal(obs.endToEnd.state, "ok");
    assert.deepEqual(drops(t.sql), [
      `DROP TABLE IF EXISTS iceberg.s.${table}`,
      `DROP TABLE IF EXISTS iceberg.s.${aggregateTable}`,
    ]);
    const readBack = t.sql.findIndex((q) => q === `SELECT count(*) FROM iceberg.s.${table}`);
    assert.ok(readBack >= 0 && readBack < t.sql.indexOf(drops(t.sql)[0]), "read back before the drop");
    assert.deepEqual(d.cleaned, ["r1"]);
  });

  it("keeps them with keep (verify --keep-jobs)", async () => {
    const t = scriptedTrino();
    const d = recordingDriver();
    const obs = await observeAnalytics({
      client: t.client,
      config,
      runId: "r1",
      now: new Date(),
      runs: 1,
      ingest: d.driver,
      keep: true,
    });
    assert.equal(obs.endToEnd.state, "ok");
    assert.deepEqual(drops(t.sql), []);
    assert.deepEqual(d.cleaned, []);
  });
});
