/**
 * The sample PySpark job for real (the sample job contract): PySpark 3.5.8 from PyPI with the pinned jars from Maven Central,
 * configured ONLY by renderSparkConf's output (plus the S3 keys in the environment), against the real Hive
 * Metastore 4.0.0 + PostgreSQL + radosgw of harness/. Ingest, re-run (idempotent: same rows, no new
 * snapshot), append, read back through pyiceberg, and malformed input failing clearly with the tables left
 * exactly as they were (same snapshot id, same rows), even though a good file of new rows sat beside the bad one.
 *
 * Slow by nature (each spark-submit starts a JVM): ~1-5 min per run on a loaded 2-core machine.
 */
import { strict as assert } from "node:assert";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { DeleteObjectCommand, PutObjectCommand, type S3Client } from "@aws-sdk/client-s3";
import { startHiveMetastore, type HiveMetastore } from "../../harness/hive-metastore";
import { startPostgres, type Postgres } from "../../harness/postgres";
import { startRadosgw, type Radosgw, s3Client } from "../../harness/radosgw";
import { localSparkConf, pyJson, sparkInstall, submitJob, type JobRun, type SparkInstall } from "./spark";

const TYPES = ["view", "click", "purchase", "refund"];
const HEADER = "event_id,event_time,user_id,event_type,amount";

interface Event {
  id: string;
  time: Date;
  user: string;
  type: string;
  cents: number;
}

/** Deterministic events: `n` events from `first`, 7 minutes apart from 2026-11-28T00:00Z (3 days per 600). */
function events(first: number, n: number): Event[] {
  return Array.from({ length: n }, (_, k) => {
    const i = first + k;
    return {
      id: `e-${String(i).padStart(6, "0")}`,
      time: new Date(Date.UTC(2026, 10, 28) + i * 7 * 60_000),
      user: `u-${i % 37}`,
      type: TYPES[i % TYPES.length]!,
      cents: (i * 137) % 100_000,
    };
  });
}
const iso = (d: Date): string => d.toISOString().replace(".000Z", "Z");
const money = (cents: number): string => `${Math.floor(cents / 100)}.${String(cents % 100).padStart(2, "0")}`;
const csv = (evs: Event[]): string =>
  [HEADER, ...evs.map((e) => `${e.id},${iso(e.time)},${e.user},${e.type},${money(e.cents)}`)].join("\n") +
  "\n";
const jsonLines = (evs: Event[]): string =>
  evs
    .map((e) =>
      JSON.stringify({
        event_id: e.id,
        event_time: iso(e.time),
        user_id: e.user,
        event_type: e.type,
        amount: money(e.cents),
      }),
    )
    .join("\n") + "\n";

/** The aggregate the job must produce: "day|type" -> [events, amount_total]. */
function expectedAggregate(evs: Event[]): Map<string, [number, string]> {
  const acc = new Map<string, [number, number]>();
  for (const e of evs) {
    const k = `${e.time.toISOString().slice(0, 10)}|${e.type}`;
    const [n, c] = acc.get(k) ?? [0, 0];
    acc.set(k, [n + 1, c + e.cents]);
  }
  return new Map([...acc].map(([k, [n, c]]) => [k, [n, money(c)]]));
}

interface TableState {
  rows: number;
  snapshot: number | null;
  snapshots: number;
  amount_cents: number;
  ids: number;
  partition_spec: string;
  aggregate: [string, string, number, string][];
  aggregate_snapshot: number | null;
}

describe("compute engines: lakehouse_ingest.py on PySpark 3.5.8 + Iceberg + HMS 4.0.0 + radosgw (real)", function () {
  this.timeout(1_800_000);
  let pg: Postgres | undefined;
  let rgw: Radosgw | undefined;
  let hms: HiveMetastore | undefined;
  let s3: S3Client;
  let spark: SparkInstall;
  let work: string;
  let conf: Record<string, string>;
  const t0 = Date.now();
  const runs: { what: string; ms: number }[] = [];

  before(async () => {
    spark = sparkInstall();
    [pg, rgw] = await Promise.all([startPostgres(), startRadosgw()]);
    hms = await startHiveMetastore({ pg, rgw });
    s3 = s3Client(rgw);
    work = fs.mkdtempSync(path.join(os.tmpdir(), "lakehouse-spark-"));
    // The one Spark configuration of the product, for this harness. Driver sized small: the machine is
    // shared (local mode runs everything in the driver JVM: 1.5 GiB = 1152m heap + 384m overhead).
    conf = localSparkConf(
      { metastoreUri: hms.uri, bucket: hms.bucket, s3Endpoint: rgw.endpoint, s3Region: rgw.region },
      spark,
    );
  });

  after(async () => {
    s3?.destroy();
    await hms?.stop();
    await Promise.all([rgw?.stop(), pg?.stop()]);
    if (work) fs.rmSync(work, { recursive: true, force: true });
    const total = ((Date.now() - t0) / 1000).toFixed(0);
    console.log(
      `      wall time ${total} s; spark-submit runs: ${runs.map((r) => `${r.what} ${(r.ms / 1000).toFixed(0)} s`).join(", ")}`,
    );
  });

  const put = (key: string, body: string): Promise<unknown> =>
    s3.send(
      new PutObjectCommand({
        Bucket: hms!.bucket,
        Key: key,
        Body: Buffer.from(body),
        ContentLength: Buffer.byteLength(body),
      }),
    );
  const del = (key: string): Promise<unknown> =>
    s3.send(new DeleteObjectCommand({ Bucket: hms!.bucket, Key: key }));

  const ingest = async (what: string, source: string, format: string, table: string): Promise<JobRun> => {
    const r = await submitJob({
      install: spark,
      conf,
      credentials: rgw!,
      workDir: work,
      args: [
        "--source",
        `s3a://${hms!.bucket}/${source}`,
        "--format",
        format,
        "--table",
        `lakehouse.${table}`,
        "--aggregate-table",
        `lakehouse.${table}_daily`,
      ],
    });
    runs.push({ what, ms: r.ms });
    return r;
  };
  const ok = (r: JobRun): Record<string, unknown> => {
    assert.equal(r.code, 0, `the job failed (exit ${r.code}): ${r.lastError}\n${r.stderr.slice(-3000)}`);
    assert.ok(r.result, `no JSON result on the last stdout line: ${r.stdout.slice(-500)}`);
    return r.result;
  };

  /** The table as pyiceberg (HiveCatalog on the same metastore) sees it: an independent reader. */
  const state = (table: string): Promise<TableState> =>
    pyJson(
      spark,
      `
import json
from decimal import Decimal
from pyiceberg.catalog.hive import HiveCatalog
cat = HiveCatalog("lakehouse", uri="${hms!.uri}", **{"s3.endpoint": "${rgw!.endpoint}", "s3.region": "${rgw!.region}",
  "s3.access-key-id": "${rgw!.accessKeyId}", "s3.secret-access-key": "${rgw!.secretAccessKey}"})
t = cat.load_table("${table}")
a = cat.load_table("${table}_daily")
rows = t.scan().to_arrow()
agg = a.scan().to_arrow().to_pylist()
print(json.dumps({
  "rows": rows.num_rows,
  "snapshot": t.current_snapshot().snapshot_id if t.current_snapshot() else None,
  "snapshots": len(t.snapshots()),
  "amount_cents": int(sum((r or Decimal(0)) for r in rows.column("amount").to_pylist()) * 100),
  "ids": len(set(rows.column("event_id").to_pylist())),
  "partition_spec": str(t.spec()),
  "aggregate": sorted([str(r["event_date"]), r["event_type"], r["events"], str(r["amount_total"])] for r in agg),
  "aggregate_snapshot": a.current_snapshot().snapshot_id if a.current_snapshot() else None,
}))
`,
      { AWS_REQUEST_CHECKSUM_CALCULATION: "when_required" },
    ) as Promise<TableState>;

  const assertAggregate = (s: TableState, evs: Event[]): void => {
    const want = expectedAggregate(evs);
    assert.equal(s.aggregate.length, want.size);
    for (const [day, type, n, total] of s.aggregate) {
      assert.deepEqual([n, total], want.get(`${day}|${type}`), `aggregate row ${day} ${type}`);
    }
  };

  const batch1 = events(0, 400);
  const batch2 = events(400, 200);
  const batch3 = events(600, 150);
  let first: Record<string, unknown>;
  let afterAppend: TableState;

  it("ingests CSV from the landing prefix into a days(event_time)-partitioned table and its aggregate", async () => {
    await put("landing/csv/part-0001.csv", csv(batch1.slice(0, 250)));
    await put("landing/csv/part-0002.csv", csv(batch1.slice(250)));
    await put("landing/csv/_SUCCESS", ""); // Spark's convention: names starting with _ are not data
    first = ok(await ingest("ingest", "landing/csv/", "csv", "sales.events"));
    assert.equal(first.rows_read, 400);
    assert.equal(first.rows_merged, 400);
    assert.equal(first.table_rows, 400);
    assert.equal(typeof first.snapshot_id, "number");
    const want = expectedAggregate(batch1);
    assert.equal(first.aggregate_rows, want.size);

    const s = await state("sales.events");
    assert.equal(s.rows, 400);
    assert.equal(s.ids, 400);
    assert.equal(
      s.amount_cents,
      batch1.reduce((a, e) => a + e.cents, 0),
    );
    assert.match(s.partition_spec, /event_time_day.*day|day\(.*event_time/i);
    assertAggregate(s, batch1);
  });

  it("is idempotent: the same input again merges nothing, same rows, no new snapshot", async () => {
    const again = ok(await ingest("re-run", "landing/csv/", "csv", "sales.events"));
    assert.equal(again.rows_read, 400);
    assert.equal(again.rows_merged, 0);
    assert.equal(again.table_rows, 400);
    assert.equal(again.snapshot_id, first.snapshot_id);
    const s = await state("sales.events");
    assert.equal(s.rows, 400);
    assert.equal(s.snapshot, first.snapshot_id);
  });

  it("merges a new file: only its rows are added, the aggregate is rewritten over the whole table", async () => {
    await put("landing/csv/part-0003.csv", csv(batch2));
    const r = ok(await ingest("append", "landing/csv/", "csv", "sales.events"));
    assert.equal(r.rows_read, 600);
    assert.equal(r.rows_merged, 200);
    assert.equal(r.table_rows, 600);
    assert.notEqual(r.snapshot_id, first.snapshot_id);
    afterAppend = await state("sales.events");
    assert.equal(afterAppend.rows, 600);
    assert.equal(afterAppend.snapshot, r.snapshot_id, "pyiceberg sees the snapshot the job reported");
    assertAggregate(afterAppend, [...batch1, ...batch2]);
  });

  it("fails a malformed file with exit 2 and one line naming it; both tables are left exactly as they were", async () => {
    // A good file of 150 new rows beside the bad one: none of them may land (one commit, or none).
    await put("landing/csv/part-0004.csv", csv(batch3));
    const bad = csv(events(900, 5)).replace("2026-12-02T09:00:00Z", "yesterday at noon");
    assert.ok(bad.includes("yesterday at noon"), "the fixture must contain the bad timestamp");
    await put("landing/csv/part-0005.csv", bad);
    const r = await ingest("malformed", "landing/csv/", "csv", "sales.events");
    assert.equal(r.code, 2, `expected exit 2, got ${r.code}: ${r.lastError}`);
    assert.match(
      r.lastError,
      /^lakehouse_ingest: malformed input: s3a:\/\/warehouse\/landing\/csv\/part-0005\.csv: event_time "yesterday at noon" is not an ISO-8601 UTC timestamp/,
    );
    assert.doesNotMatch(r.stdout + r.stderr, /Traceback/);
    const s = await state("sales.events");
    assert.deepEqual(s, afterAppend, "the tables changed after a failed run");
    await del("landing/csv/part-0005.csv");
  });

  it("fails a CSV file whose header is not the contract's, naming the file and the column", async () => {
    await put(
      "landing/csv/part-0006.csv",
      csv(events(950, 3)).replace(HEADER, "event_id,time,user_id,event_type,amount"),
    );
    const r = await ingest("bad header", "landing/csv/", "csv", "sales.events");
    assert.equal(r.code, 2, `expected exit 2, got ${r.code}: ${r.lastError}`);
    assert.match(r.lastError, /part-0006\.csv: CSV header: expected column event_time but found time/);
    assert.deepEqual(await state("sales.events"), afterAppend);
    await del("landing/csv/part-0006.csv");
  });

  it("ingests JSON lines, and rejects an unparseable line and a duplicate event_id leaving the table as it was", async () => {
    const evs = events(2000, 120);
    await put("landing/json/a.json", jsonLines(evs));
    const r = ok(await ingest("json", "landing/json/", "json", "web.clicks"));
    assert.deepEqual(
      [r.rows_read, r.rows_merged, r.table_rows, r.aggregate_rows],
      [120, 120, 120, expectedAggregate(evs).size],
    );
    const before = await state("web.clicks");
    assertAggregate(before, evs);

    await put("landing/json/b.json", `${jsonLines(events(3000, 2))}{"event_id": "e-x", "event_time": \n`);
    const broken = await ingest("json unparseable", "landing/json/", "json", "web.clicks");
    assert.equal(broken.code, 2, broken.lastError);
    assert.match(broken.lastError, /landing\/json\/b\.json: unparseable record: \{"event_id": "e-x"/);
    assert.deepEqual(await state("web.clicks"), before);

    await put("landing/json/b.json", jsonLines(events(2005, 1)));
    const dup = await ingest("json duplicate", "landing/json/", "json", "web.clicks");
    assert.equal(dup.code, 2, dup.lastError);
    assert.match(
      dup.lastError,
      /a\.json, .*b\.json: event_id 'e-002005' appears 2 times; event_id must be unique/,
    );
    assert.deepEqual(await state("web.clicks"), before);
  });
});
