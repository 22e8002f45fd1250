/**
 * Trino 476 for real, configured ONLY with the product's rendered catalogs (stacks/analytics/catalogs.ts),
 * against the real Hive Metastore 4.0.0 + PostgreSQL + Ceph 16 radosgw of harness/ (started once per
 * test run, see harness/lakehouse.ts):
 * - Iceberg tables by CTAS from tpch.tiny, their data and metadata in the radosgw bucket;
 * - multi-table joins (TPC-H Q3, Q5, Q10) whose answers equal the same queries on the tpch connector;
 * - time travel (FOR VERSION AS OF / FOR TIMESTAMP AS OF) and a DELETE read back;
 * - interoperability through the one catalog: a table pyiceberg wrote reads in Trino, a table Trino wrote
 *   reads in pyiceberg.
 */
import { strict as assert } from "node:assert";
import { ListObjectsV2Command } from "@aws-sdk/client-s3";
import { TrinoClient, TrinoQueryError } from "../../verify/http/trino";
import { s3Client } from "../../harness/radosgw";
import { runScript } from "../foundation-scripts/helpers";
import { sharedLakehouse, type Lakehouse } from "../../harness/lakehouse";
import { inSchema, TPCH_JOIN_QUERIES, TPCH_TABLES } from "../../verify/analytics/tpch";

const SCHEMA = "it_tpch";
const TABLES = TPCH_TABLES;

describe("analytics: real Trino 476 on the Iceberg catalog (HMS 4.0.0 + Ceph radosgw)", function () {
  this.timeout(900_000);
  let lh: Lakehouse;
  let trino: TrinoClient;
  const q = async (sql: string): Promise<unknown[][]> => (await trino.query(sql)).rows as unknown[][];

  before(async () => {
    lh = await sharedLakehouse();
    trino = new TrinoClient({ baseUrl: lh.trino.url, label: lh.trino.url }, { queryTimeoutMs: 300_000 });
    await q(`DROP SCHEMA IF EXISTS iceberg.${SCHEMA} CASCADE`);
    await q(`CREATE SCHEMA iceberg.${SCHEMA}`);
  });

  it("creates Iceberg tables by CTAS from tpch.tiny, stored in the radosgw bucket, with the connector's row counts", async () => {
    for (const t of TABLES) {
      const r = await trino.query(`CREATE TABLE iceberg.${SCHEMA}.${t} AS SELECT * FROM tpch.tiny.${t}`);
      assert.equal(r.updateType, "CREATE TABLE");
      const [[want]] = await q(`SELECT count(*) FROM tpch.tiny.${t}`);
      assert.equal(r.updateCount, want, `${t}: rows written`);
      const [[got]] = await q(`SELECT count(*) FROM iceberg.${SCHEMA}.${t}`);
      assert.equal(got, want, `${t}: rows read back`);
    }
    // Money is DECIMAL(12,2), as TPC-H types it (the product's tpch catalog maps it so), in the copies too.
    assert.deepEqual(
      await q(
        `SELECT column_name, data_type FROM iceberg.information_schema.columns WHERE table_schema = '${SCHEMA}' AND table_name = 'lineitem' AND column_name IN ('quantity', 'extendedprice', 'discount', 'tax') ORDER BY column_name`,
      ),
      [
        ["discount", "decimal(12,2)"],
        ["extendedprice", "decimal(12,2)"],
        ["quantity", "decimal(12,2)"],
        ["tax", "decimal(12,2)"],
      ],
    );
    const [[lineitems]] = await q(`SELECT count(*) FROM iceberg.${SCHEMA}.lineitem`);
    assert.equal(lineitems, 60175, "tpch.tiny lineitem");
    // The table's files are where its metadata says, in the warehouse bucket on Ceph (not a local disk).
    const [[file]] = await q(`SELECT file_path FROM iceberg.${SCHEMA}."lineitem$files" LIMIT 1`);
    const m = /^s3a?:\/\/([^/]+)\/(.+\.parquet)$/.exec(String(file));
    assert.ok(m, `a Parquet file on S3: ${String(file)}`);
    assert.equal(m[1], lh.bucket);
    const s3 = s3Client(lh.rgw);
    try {
      const listed = await s3.send(new ListObjectsV2Command({ Bucket: lh.bucket, Prefix: m[2] }));
      assert.equal(listed.Contents?.[0]?.Key, m[2]);
      assert.ok((listed.Contents?.[0]?.Size ?? 0) > 0);
    } finally {
      s3.destroy();
    }
  });

  for (const query of TPCH_JOIN_QUERIES) {
    it(`${query.name} (${query.tables.length}-table join) returns the tpch connector's answer`, async () => {
      const ice = await q(query.sql(inSchema(`iceberg.${SCHEMA}`)));
      const ref = await q(query.sql(inSchema("tpch.tiny")));
      assert.ok(ref.length > 0, "the reference answer is not empty");
      assert.deepEqual(ice, ref);
    });
  }

  it("time travel: FOR VERSION AS OF and FOR TIMESTAMP AS OF read the table as it was; DELETE reads back", async () => {
    const t = `iceberg.${SCHEMA}.tt`;
    await q(`CREATE TABLE ${t} AS SELECT nationkey, name FROM tpch.tiny.nation WHERE regionkey = 1`);
    const [[first, firstAt]] = await q(
      `SELECT CAST(snapshot_id AS varchar), CAST(committed_at AS varchar) FROM iceberg.${SCHEMA}."tt$snapshots" ORDER BY committed_at DESC LIMIT 1`,
    );
    await q(`INSERT INTO ${t} SELECT nationkey, name FROM tpch.tiny.nation WHERE regionkey <> 1`);
    await q(`DELETE FROM ${t} WHERE nationkey = 0`);
    assert.deepEqual(await q(`SELECT count(*) FROM ${t}`), [[24]]);
    assert.deepEqual(await q(`SELECT count(*) FROM ${t} FOR VERSION AS OF ${String(first)}`), [[5]]);
    assert.deepEqual(
      await q(`SELECT count(*) FROM ${t} FOR TIMESTAMP AS OF TIMESTAMP '${String(firstAt)}'`),
      [[5]],
    );
    const snaps = await q(`SELECT operation FROM iceberg.${SCHEMA}."tt$snapshots" ORDER BY committed_at`);
    assert.deepEqual(
      snaps.map((r) => r[0]),
      ["append", "append", "delete"],
    );
    await assert.rejects(
      trino.query(`SELECT count(*) FROM ${t} FOR VERSION AS OF BIGINT '1'`),
      (e: Error) => e instanceof TrinoQueryError && /snapshot/i.test(e.message),
    );
  });

  /** Runs Python with pyiceberg against the same metastore and bucket; resolves the JSON line it prints. */
  const pyiceberg = async (code: string): Promise<Record<string, unknown>> => {
    const r = await runScript(
      "python3",
      ["-c", code],
      {
        HMS_URI: lh.hms.uri,
        S3_ENDPOINT: lh.rgw.endpoint,
        AWS_ACCESS_KEY_ID: lh.rgw.accessKeyId,
        AWS_SECRET_ACCESS_KEY: lh.rgw.secretAccessKey,
        AWS_REGION: lh.rgw.region,
        // Ceph 16 rejects the AWS SDKs' default flexible checksums (411 MissingContentLength).
        AWS_REQUEST_CHECKSUM_CALCULATION: "when_required",
        BUCKET: lh.bucket,
      },
      180_000,
    );
    assert.equal(r.code, 0, r.stderr.slice(-3000));
    assert.ok(r.json, r.stdout);
    return r.json;
  };
  const PY_CATALOG = `
import json, os
from pyiceberg.catalog import load_catalog
cat = load_catalog("lakehouse", **{"type": "hive", "uri": os.environ["HMS_URI"],
  "s3.endpoint": os.environ["S3_ENDPOINT"], "s3.access-key-id": os.environ["AWS_ACCESS_KEY_ID"],
  "s3.secret-access-key": os.environ["AWS_SECRET_ACCESS_KEY"], "s3.region": os.environ["AWS_REGION"]})
`;

  it("reads a table pyiceberg wrote through the same metastore, and pyiceberg reads Trino's", async () => {
    const ns = "it_pyiceberg";
    await q(`DROP SCHEMA IF EXISTS iceberg.${ns} CASCADE`);
    const wrote = await pyiceberg(`${PY_CATALOG}
import pyarrow as pa
from pyiceberg.schema import Schema
from pyiceberg.types import NestedField, LongType, StringType, DoubleType
cat.create_namespace("${ns}", {"location": f"s3://{os.environ['BUCKET']}/warehouse/${ns}.db"})
schema = Schema(NestedField(1, "id", LongType(), required=False), NestedField(2, "city", StringType(), required=False),
  NestedField(3, "temp", DoubleType(), required=False))
t = cat.create_table("${ns}.readings", schema=schema)
rows = pa.table({"id": pa.array([1, 2, 3], pa.int64()), "city": ["Oslo", "Lima", "Pune"], "temp": [-3.5, 19.0, 31.25]})
t.append(rows)
t.append(pa.table({"id": pa.array([4], pa.int64()), "city": ["Nuuk"], "temp": [-12.0]}))
print(json.dumps({"snapshots": len(t.metadata.snapshots), "location": t.metadata.location}))
`);
    assert.equal(wrote.snapshots, 2);
    assert.deepEqual(await q(`SELECT id, city, temp FROM iceberg.${ns}.readings ORDER BY id`), [
      [1, "Oslo", -3.5],
      [2, "Lima", 19],
      [3, "Pune", 31.25],
      [4, "Nuuk", -12],
    ]);
    assert.deepEqual(await q(`SELECT count(*) FROM iceberg.${ns}."readings$snapshots"`), [[2]]);

    // The other way: Trino writes (CTAS + INSERT), pyiceberg reads the current snapshot.
    await q(`CREATE TABLE iceberg.${ns}.from_trino AS SELECT nationkey, name FROM tpch.tiny.nation`);
    await q(`INSERT INTO iceberg.${ns}.from_trino VALUES (100, 'ATLANTIS')`);
    const read = await pyiceberg(`${PY_CATALOG}
t = cat.load_table("${ns}.from_trino")
df = t.scan().to_arrow()
print(json.dumps({"rows": df.num_rows, "max": max(df.column("nationkey").to_pylist()), "snapshots": len(t.metadata.snapshots)}))
`);
    assert.deepEqual(read, { rows: 26, max: 100, snapshots: 2 });
    await q(`DROP SCHEMA iceberg.${ns} CASCADE`);
  });

  it("reports a missing table as a query error naming it (not a hang, not a crash)", async () => {
    await assert.rejects(
      trino.query(`SELECT * FROM iceberg.${SCHEMA}.no_such_table`),
      (e: Error) =>
        e instanceof TrinoQueryError && e.errorName === "TABLE_NOT_FOUND" && /no_such_table/.test(e.message),
    );
  });
});
