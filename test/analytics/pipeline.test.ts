/**
 * The analytics phase's end-to-end pipeline on real engines: `runVerification({ phase: "analytics" })` against
 * the real Trino 476 (rendered catalogs, HMS 4.0.0 + PostgreSQL + Ceph radosgw, shared per test run) with an
 * ingest driver that puts the generated landing file into the real radosgw and runs the REAL sample job
 * (stacks/compute/jobs/lakehouse_ingest.py) on PySpark 3.5.8, configured only by the program's rendered Spark
 * conf (./local-ingest.ts). The stand-in is the SparkApplication: a local spark-submit of the same job with the
 * same conf replaces the Spark Operator's driver pod.
 *
 * ONE PySpark run (minutes on a loaded 2-core machine), in before(), shared by every test here:
 * - verify.end-to-end passes (rows in = rows out, the job's aggregate = the one computed from the file) and
 *   verify.iceberg-catalog reads the PySpark-written table back with its snapshot's row count;
 * - Trino reads the table the job wrote: column types, days(event_time) partitions, time travel to the
 *   job's snapshot id;
 * - a second verification of the same run, whose driver deletes one row through Trino instead of running
 *   Spark again, fails verify.end-to-end naming the table and both counts.
 */
import { strict as assert } from "node:assert";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { GetObjectCommand, ListObjectsV2Command } from "@aws-sdk/client-s3";
import { KubeConfig } from "@kubernetes/client-node";
import { configSchema, type LakehouseConfig } from "../../preflight/config/schema";
import { generateEvents } from "../../verify/compute/events";
import { endToEndNames, type IngestDriver } from "../../verify/analytics/observe";
import { runVerification, type VerificationResult } from "../../verify/runner";
import { TrinoClient, TrinoQueryError } from "../../verify/http/trino";
import { s3Client } from "../../harness/radosgw";
import { sharedLakehouse, type Lakehouse } from "../../harness/lakehouse";
import { LocalSparkIngest } from "./local-ingest";

/** The TPC-H part at scale 0.01 in the schema the analytics verify test uses (reused when it ran first). */
const SCHEMA = "it_verify";
const RUN = "it-pipeline";
const ROWS = 500; // observe's endToEndRows default

function testConfig(): LakehouseConfig {
  return configSchema.parse({
    sizing: {
      trinoWorker: { replicas: 1, cpu: "1", memory: "4Gi" }, // the harness's coordinator + one worker
      // Local mode runs everything in the driver JVM; small, the machine is shared (1152m heap + 384m overhead).
      sparkDriver: { replicas: 1, cpu: "1", memory: "1536Mi" },
    },
    thresholds: { queryLatencySeconds: 600 },
    analytics: { verifyScaleFactor: 0.01, verifySchema: SCHEMA },
  });
}

type Result = VerificationResult["results"][number] & { data?: Record<string, unknown> };
const byId = (r: VerificationResult): Record<string, Result> =>
  Object.fromEntries(r.results.map((x) => [x.id, x as Result]));

describe("analytics: the end-to-end pipeline on real engines (landing file -> PySpark job -> Trino)", function () {
  this.timeout(1_800_000);
  let lh: Lakehouse;
  let trino: TrinoClient;
  let driver: LocalSparkIngest;
  let work: string;
  let first: VerificationResult;
  const now = new Date();
  const config = testConfig();
  const gen = generateEvents(RUN, ROWS, now);
  const names = endToEndNames(RUN);
  const table = `iceberg.${SCHEMA}.${names.table}`;
  const landing = `${config.compute.sampleJob.landingPrefix}${RUN}/events.csv`;
  const q = async (sql: string): Promise<unknown[][]> => (await trino.query(sql)).rows as unknown[][];
  const verify = (ingest: IngestDriver, keepJobs: boolean): Promise<VerificationResult> =>
    runVerification({
      config,
      phase: "analytics",
      // Trino is reached by URL; no Kubernetes API is involved.
      kc: new KubeConfig(),
      trino: { kind: "url", url: lh.trino.url },
      ingest,
      runId: RUN,
      now: () => now,
      queryRuns: 1,
      keepJobs,
    });
  const timings: string[] = [];

  before(async () => {
    const t0 = Date.now();
    lh = await sharedLakehouse();
    trino = new TrinoClient({ baseUrl: lh.trino.url, label: lh.trino.url }, { queryTimeoutMs: 300_000 });
    work = fs.mkdtempSync(path.join(os.tmpdir(), "lakehouse-pipeline-"));
    driver = new LocalSparkIngest({ lh, config, workDir: work });
    const t1 = Date.now();
    // The one PySpark run. keepJobs leaves the run's tables and landing file for the tests below.
    first = await verify(driver, true);
    timings.push(
      `engines ${((t1 - t0) / 1000).toFixed(0)} s`,
      `verification ${((Date.now() - t1) / 1000).toFixed(0)} s (spark-submit ${driver.runs.map((r) => `${(r.run.ms / 1000).toFixed(0)} s`).join(", ")})`,
    );
  });

  after(async () => {
    if (work) fs.rmSync(work, { recursive: true, force: true });
    console.log(`      wall time: ${timings.join("; ")}`);
  });

  it("verify.end-to-end passes: the job's table has every row of the landing file and its aggregate equals the file's", () => {
    const c = byId(first);
    assert.equal(driver.runs.length, 1, "one spark-submit");
    const e2e = c["verify.end-to-end"];
    assert.equal(e2e.status, "pass", `${e2e.observed}\n${JSON.stringify(e2e.data)}`);
    assert.match(
      e2e.observed,
      new RegExp(
        `^${ROWS} rows dropped into s3a://${lh.bucket}/landing/events/${RUN}/; ${ROWS} read through Trino from ${table.replace(/\./g, "\\.")}; aggregate ${gen.expected.length} rows \\(equal to the ${gen.expected.length} computed from the file\\) in \\d+\\.\\d s\\.$`,
      ),
    );
    const job = e2e.data?.job as Record<string, unknown>;
    assert.equal(job.rows_read, ROWS);
    assert.equal(job.rows_merged, ROWS);
    assert.equal(job.table_rows, ROWS);
    assert.equal(job.aggregate_rows, gen.expected.length);
    assert.match(String(job.snapshot_id), /^\d+$/);
    assert.equal(e2e.data?.aggregateTable, `iceberg.${SCHEMA}.${names.aggregateTable}`);
    // The job ran on the Spark catalog `lakehouse` (the same metastore Trino's `iceberg` reads).
    const [run] = driver.runs;
    assert.deepEqual(run.args, [
      "--source",
      `s3a://${lh.bucket}/landing/events/${RUN}/`,
      "--format",
      "csv",
      "--table",
      `lakehouse.${SCHEMA}.${names.table}`,
      "--aggregate-table",
      `lakehouse.${SCHEMA}.${names.aggregateTable}`,
    ]);
    assert.equal(run.conf["spark.sql.catalog.lakehouse.uri"], lh.hms.uri);
    assert.ok(
      !Object.values(run.conf).some((v) => v.includes(lh.rgw.secretAccessKey)),
      "no key in the rendered conf",
    );
  });

  it("verify.iceberg-catalog reads the PySpark-written table back with the row count of the job's snapshot", () => {
    const c = byId(first);
    const cat = c["verify.iceberg-catalog"];
    assert.equal(cat.status, "pass", cat.observed);
    const snap = String((c["verify.end-to-end"].data?.job as Record<string, unknown>).snapshot_id);
    assert.match(
      cat.observed,
      new RegExp(
        `${table.replace(/\./g, "\\.")} \\(written by the compute phase's sample job \\(verify\\.end-to-end\\)\\) reads ${ROWS} rows, as its snapshot ${snap} records ${ROWS} rows\\.$`,
      ),
    );
    // The TPC-H part ran too (small), so the whole phase is verified.
    assert.deepEqual(
      first.results.map((x) => `${x.id}:${x.status}`),
      [
        "verify.trino-available:pass",
        "verify.iceberg-catalog:pass",
        "verify.multi-table-join:pass",
        "verify.query-latency:pass",
        "verify.end-to-end:pass",
      ],
    );
    assert.equal(first.status, "pass", first.summary);
  });

  it("Trino reads the job's table: column types, days(event_time) partitions, time travel to the job's snapshot", async () => {
    const cols = (t: string) =>
      q(
        `SELECT column_name, data_type FROM iceberg.information_schema.columns WHERE table_schema = '${SCHEMA}' AND table_name = '${t}' ORDER BY ordinal_position`,
      );
    // Spark's TIMESTAMP is an instant (Iceberg `timestamptz`): Trino reads it as a timestamp with time zone, UTC.
    assert.deepEqual(await cols(names.table), [
      ["event_id", "varchar"],
      ["event_time", "timestamp(6) with time zone"],
      ["user_id", "varchar"],
      ["event_type", "varchar"],
      ["amount", "decimal(12,2)"],
    ]);
    assert.deepEqual(await cols(names.aggregateTable), [
      ["event_date", "date"],
      ["event_type", "varchar"],
      ["events", "bigint"],
      ["amount_total", "decimal(22,2)"],
    ]);
    // A row reads back exactly as the file has it (the instant in UTC, the amount to the cent).
    const line = gen.csv.split("\n")[1].split(",");
    assert.deepEqual(
      await q(
        `SELECT event_id, format_datetime(event_time AT TIME ZONE 'UTC', 'yyyy-MM-dd''T''HH:mm:ss''Z'''), user_id, event_type, CAST(amount AS varchar) FROM ${table} WHERE event_id = '${line[0]}'`,
      ),
      [line],
    );
    const [[ddl]] = await q(`SHOW CREATE TABLE ${table}`);
    assert.match(String(ddl), /partitioning = ARRAY\['day\(event_time\)'\]/);
    // One partition per UTC day of the file, with that day's rows.
    const perDay = new Map<string, number>();
    for (const [day, , n] of gen.expected) perDay.set(day, (perDay.get(day) ?? 0) + n);
    assert.equal(perDay.size, 3);
    assert.deepEqual(
      await q(
        `SELECT CAST(partition.event_time_day AS varchar), record_count FROM iceberg.${SCHEMA}."${names.table}$partitions" ORDER BY 1`,
      ),
      [...perDay.entries()].sort(),
    );
    // The job's snapshot id (exact: a 64-bit id) is the table's current snapshot, and reads as of it.
    const snap = String((byId(first)["verify.end-to-end"].data?.job as Record<string, unknown>).snapshot_id);
    assert.deepEqual(
      await q(
        `SELECT CAST(snapshot_id AS varchar) FROM iceberg.${SCHEMA}."${names.table}$snapshots" ORDER BY committed_at DESC LIMIT 1`,
      ),
      [[snap]],
    );
    const cents = gen.expected.reduce((a, r) => a + Math.round(Number(r[3]) * 100), 0);
    assert.deepEqual(
      await q(
        `SELECT count(*), CAST(sum(amount) * 100 AS bigint), count(DISTINCT event_id) FROM ${table} FOR VERSION AS OF ${snap}`,
      ),
      [[ROWS, cents, ROWS]],
    );
    await assert.rejects(
      trino.query(`SELECT count(*) FROM ${table} FOR VERSION AS OF BIGINT '1'`),
      (e: Error) => e instanceof TrinoQueryError && /snapshot/i.test(e.message),
    );
    // The landing file the job read is in the warehouse bucket, as generated (kept by keepJobs).
    const s3 = s3Client(lh.rgw);
    try {
      const obj = await s3.send(new GetObjectCommand({ Bucket: lh.bucket, Key: landing }));
      assert.equal(await obj.Body?.transformToString(), gen.csv);
    } finally {
      s3.destroy();
    }
  });

  it("fails verify.end-to-end naming the table and both counts when a row goes missing before the read; cleans up", async () => {
    const job = byId(first)["verify.end-to-end"].data?.job as Record<string, unknown>;
    // The same run again (same id, same file), but instead of a second Spark run the driver deletes one row
    // of the job's table through Trino and reports the first run's result.
    const tamper: IngestDriver = {
      describe: "the first run's tables with one row deleted through Trino",
      ingest: async (a) => {
        await q(`DELETE FROM iceberg.${a.schema}.${a.table} WHERE event_id = '${RUN}-0'`);
        return { source: `s3a://${lh.bucket}/landing/events/${RUN}/`, job };
      },
      cleanup: (runId) => driver.cleanup(runId),
    };
    const r = await verify(tamper, false);
    const c = byId(r);
    const e2e = c["verify.end-to-end"];
    assert.equal(e2e.status, "fail");
    assert.match(
      e2e.observed,
      new RegExp(
        `^${ROWS} rows dropped into .*; ${ROWS - 1} read through Trino from ${table.replace(/\./g, "\\.")};.*; 1 row missing \\(the job reported rows_read ${ROWS}, rows_merged ${ROWS}, table_rows ${ROWS}\\)\\.$`,
      ),
    );
    assert.match(e2e.remediation, /rows_read, rows_merged/);
    assert.equal(r.status, "fail");
    assert.match(r.summary, /verify\.end-to-end is fail/);
    // The catalog still agrees with itself: the snapshot records the delete.
    assert.equal(c["verify.iceberg-catalog"].status, "pass", c["verify.iceberg-catalog"].observed);
    assert.match(
      c["verify.iceberg-catalog"].observed,
      new RegExp(`reads ${ROWS - 1} rows, as its snapshot \\d+ records ${ROWS} rows minus 1 deleted`),
    );
    assert.equal(driver.runs.length, 1, "no second spark-submit");

    // Without keepJobs the run's tables and landing file are gone afterwards.
    assert.deepEqual(
      await q(
        `SELECT table_name FROM iceberg.information_schema.tables WHERE table_schema = '${SCHEMA}' AND table_name LIKE 'e2e_%'`,
      ),
      [],
    );
    const s3 = s3Client(lh.rgw);
    try {
      const left = await s3.send(
        new ListObjectsV2Command({ Bucket: lh.bucket, Prefix: `landing/events/${RUN}/` }),
      );
      assert.equal(left.KeyCount ?? 0, 0);
    } finally {
      s3.destroy();
    }
  });
});
