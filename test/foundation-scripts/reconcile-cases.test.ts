/**
 * reconcile.sh's cases that the end-to-end scenario (restore-reconcile.test.ts) does not produce, on the shared
 * real PostgreSQL and radosgw: a database with Hive 4.0.0's own PostgreSQL schema (the release's
 * hive-schema-4.0.0.postgres.sql, no metastore process needed) holding hand-made catalog rows, and Iceberg
 * metadata files written into a bucket. Each table exercises one rule; one reconcile run judges them all.
 */
import { strict as assert } from "node:assert";
import { randomBytes } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import { gzipSync } from "node:zlib";
import { CreateBucketCommand, PutObjectCommand, type S3Client } from "@aws-sdk/client-s3";
import { hmsHome } from "../../harness/hive-metastore";
import { sharedLakehouse, type Lakehouse } from "../../harness/lakehouse";
import { s3Client } from "../../harness/radosgw";
import { runScript, scriptEnv, SCRIPTS } from "./helpers";

const RECONCILE = path.join(SCRIPTS, "reconcile.sh");
const SINCE = Date.parse("2026-12-01T00:00:00Z");
const AFTER = SINCE + 3_600_000;
const BEFORE = SINCE - 86_400_000;
const TRINO_SUFFIX = "0123456789abcdef0123456789abcdef";

interface Entry {
  table: string;
  reason: string;
}

describe("reconcile.sh: every rule on Hive 4.0.0's real schema in PostgreSQL + radosgw", function () {
  this.timeout(300_000);
  let lh: Lakehouse;
  let s3: S3Client;
  const db = `rc_cases_${randomBytes(3).toString("hex")}`;
  const bucket = `rc-wh-${randomBytes(3).toString("hex")}`;
  const wh = `s3a://${bucket}/wh`;
  let env: Record<string, string>;

  /** A minimal Iceberg v2 metadata document. */
  const meta = (
    location: string,
    updated: number,
    log: string[],
    fields: unknown[] = [{ id: 1, name: "id", required: false, type: "long" }],
  ): string =>
    JSON.stringify({
      "format-version": 2,
      "table-uuid": "9c12d441-03fe-4693-9a96-a0705ddf69c1",
      location,
      "last-updated-ms": updated,
      "current-schema-id": 0,
      schemas: [{ type: "struct", "schema-id": 0, fields }],
      properties: {},
      "current-snapshot-id": -1,
      "metadata-log": log.map((f, i) => ({
        "timestamp-ms": updated - 1000 * (log.length - i),
        "metadata-file": f,
      })),
    });
  const put = (uri: string, body: string | Buffer): Promise<unknown> =>
    s3.send(
      new PutObjectCommand({
        Bucket: bucket,
        Key: uri.replace(/^s3a?:\/\/[^/]+\//, ""),
        Body: typeof body === "string" ? Buffer.from(body) : body,
      }),
    );
  let nextId = 1;
  /** A catalog row set for an Iceberg table, as a metastore would hold it. */
  const catalogTable = async (
    dbId: number,
    name: string,
    location: string,
    pointer: string,
  ): Promise<number> => {
    const id = nextId++;
    await lh.pg.psql(
      `INSERT INTO "SDS" ("SD_ID", "INPUT_FORMAT", "IS_COMPRESSED", "LOCATION", "NUM_BUCKETS", "OUTPUT_FORMAT", "IS_STOREDASSUBDIRECTORIES") VALUES (${id}, 'org.apache.hadoop.mapred.FileInputFormat', false, '${location}', -1, 'org.apache.hadoop.mapred.FileOutputFormat', false);
       INSERT INTO "TBLS" ("TBL_ID", "CREATE_TIME", "DB_ID", "LAST_ACCESS_TIME", "OWNER", "RETENTION", "SD_ID", "TBL_NAME", "TBL_TYPE") VALUES (${id}, 1, ${dbId}, 0, 'x', 0, ${id}, '${name}', 'EXTERNAL_TABLE');
       INSERT INTO "TABLE_PARAMS" VALUES (${id}, 'table_type', 'ICEBERG'), (${id}, 'metadata_location', '${pointer}');
       UPDATE "SEQUENCE_TABLE" SET "NEXT_VAL" = ${id + 1} WHERE "SEQUENCE_NAME" LIKE '%MTable';`,
      db,
    );
    return id;
  };
  const param = async (table: string, key: string): Promise<string> =>
    (
      await lh.pg.psql(
        `SELECT p."PARAM_VALUE" FROM "TBLS" t JOIN "TABLE_PARAMS" p ON p."TBL_ID" = t."TBL_ID" AND p."PARAM_KEY" = '${key}' WHERE t."TBL_NAME" = '${table}'`,
        db,
      )
    ).trim();

  before(async () => {
    lh = await sharedLakehouse();
    s3 = s3Client(lh.rgw);
    await s3.send(new CreateBucketCommand({ Bucket: bucket }));
    await lh.pg.createDb(db);
    const schema = path.join(hmsHome(), "scripts/metastore/upgrade/postgres/hive-schema-4.0.0.postgres.sql");
    await lh.pg.psql(fs.readFileSync(schema, "utf8"), db);
    await lh.pg.psql(
      `INSERT INTO "DBS" ("DB_ID", "DB_LOCATION_URI", "NAME", "OWNER_NAME", "OWNER_TYPE") VALUES (1, '${wh}', 'default', 'public', 'ROLE'), (2, '${wh}/ns.db', 'ns', 'alice', 'USER');
       INSERT INTO "SEQUENCE_TABLE" VALUES ('org.apache.hadoop.hive.metastore.model.MTable', 1) ON CONFLICT DO NOTHING;`,
      db,
    );
    env = { ...scriptEnv(lh.pg, lh.rgw, { db, bucket: "unused", prefix: "unused" }) };
    const m = (table: string, file: string): string => `${wh}/ns.db/${table}/metadata/${file}`;

    // amb: two files share the newest version -> left.
    await catalogTable(2, "amb", `${wh}/ns.db/amb`, m("amb", "00001-a.metadata.json"));
    await put(m("amb", "00001-a.metadata.json"), meta(`${wh}/ns.db/amb`, BEFORE, []));
    await put(
      m("amb", "00002-b.metadata.json"),
      meta(`${wh}/ns.db/amb`, AFTER, [m("amb", "00001-a.metadata.json")]),
    );
    await put(
      m("amb", "00002-c.metadata.json"),
      meta(`${wh}/ns.db/amb`, AFTER, [m("amb", "00001-a.metadata.json")]),
    );
    // gone: no metadata file at all -> missing.
    await catalogTable(2, "gone", `${wh}/ns.db/gone`, m("gone", "00001-a.metadata.json"));
    // lost: the catalog's file is gone and the files there do not descend from it -> missing.
    await catalogTable(2, "lost", `${wh}/ns.db/lost`, m("lost", "00003-a.metadata.json"));
    await put(m("lost", "00001-x.metadata.json"), meta(`${wh}/ns.db/lost`, BEFORE, []));
    await put(
      m("lost", "00002-y.metadata.json"),
      meta(`${wh}/ns.db/lost`, AFTER, [m("lost", "00001-x.metadata.json")]),
    );
    // trunc: the newest file's metadata-log (100 files kept) no longer reaches the catalog's -> left, "cannot tell".
    await catalogTable(2, "trunc", `${wh}/ns.db/trunc`, m("trunc", "00001-a.metadata.json"));
    await put(m("trunc", "00001-a.metadata.json"), meta(`${wh}/ns.db/trunc`, BEFORE, []));
    const log = Array.from({ length: 100 }, (_, i) =>
      m("trunc", `${String(i + 50).padStart(5, "0")}-l.metadata.json`),
    );
    await put(m("trunc", "00150-z.metadata.json"), meta(`${wh}/ns.db/trunc`, AFTER, log));
    // gz: gzip-compressed metadata files, moved forward.
    await catalogTable(2, "gz", `${wh}/ns.db/gz`, m("gz", "00001-a.gz.metadata.json"));
    await put(m("gz", "00001-a.gz.metadata.json"), gzipSync(meta(`${wh}/ns.db/gz`, BEFORE, [])));
    await put(
      m("gz", "00002-b.gz.metadata.json"),
      gzipSync(meta(`${wh}/ns.db/gz`, AFTER, [m("gz", "00001-a.gz.metadata.json")])),
    );
    // coll: the catalog's coll lives at coll-old; a newer folder named coll -> not registered, left.
    await catalogTable(
      2,
      "coll",
      `${wh}/ns.db/coll-old`,
      `${wh}/ns.db/coll-old/metadata/00001-a.metadata.json`,
    );
    await put(
      `${wh}/ns.db/coll-old/metadata/00001-a.metadata.json`,
      meta(`${wh}/ns.db/coll-old`, BEFORE, []),
    );
    await put(m("coll", "00001-n.metadata.json"), meta(`${wh}/ns.db/coll`, AFTER, []));
    // old: an unowned folder last written before the dump (a table dropped before it) -> skipped.
    await put(m("old", "00000-o.metadata.json"), meta(`${wh}/ns.db/old`, BEFORE, []));
    // A Trino table location (<name>-<32 hex>) created after the dump, nested types -> registered as ns.trino_t.
    const trinoLoc = `s3://${bucket}/wh/ns.db/trino_t-${TRINO_SUFFIX}`;
    await put(
      `${trinoLoc}/metadata/00000-t.metadata.json`,
      meta(
        trinoLoc,
        AFTER,
        [],
        [
          { id: 1, name: "Id", required: true, type: "long" },
          { id: 2, name: "amount", required: false, type: "decimal(12, 2)", doc: "money" },
          { id: 3, name: "at", required: false, type: "timestamptz" },
          {
            id: 4,
            name: "tags",
            required: false,
            type: {
              type: "map",
              "key-id": 5,
              key: "string",
              "value-id": 6,
              value: { type: "list", "element-id": 7, element: "int", "element-required": false },
              "value-required": false,
            },
          },
          {
            id: 8,
            name: "point",
            required: false,
            type: { type: "struct", fields: [{ id: 9, name: "x", required: true, type: "double" }] },
          },
        ],
      ),
    );
    // A folder that does not name a table -> left.
    await put(m("Bad-Name", "00000-b.metadata.json"), meta(`${wh}/ns.db/Bad-Name`, AFTER, []));
    // A namespace created after the dump (its folder under the default database's location) -> left.
    await put(`${wh}/newns.db/x/metadata/00000-x.metadata.json`, meta(`${wh}/newns.db/x`, AFTER, []));
    // A data folder without metadata is not a table: ignored.
    await put(`${wh}/ns.db/notes/readme.txt`, "not a table");
  });
  after(() => s3?.destroy());

  it("moves, registers, leaves and reports each case with its reason, in one transaction, exit 8", async () => {
    const r = await runScript(
      RECONCILE,
      ["--db", db, "--since", new Date(SINCE).toISOString(), "--no-record"],
      env,
    );
    assert.equal(r.code, 8, r.stderr);
    const j = r.json!;
    assert.equal(j.event, "reconcile");
    assert.equal(j.ok, false);
    assert.equal(j.record, null);
    assert.equal(j.since, "2026-12-01T00:00:00Z");
    assert.deepEqual(j.moved, ["ns.gz"]);
    assert.deepEqual(j.registered, ["ns.trino_t"]);
    assert.deepEqual([...(j.missing as string[])].sort(), ["ns.gone", "ns.lost"]);
    const left = new Map((j.left as Entry[]).map((e) => [e.table, e.reason]));
    assert.deepEqual([...left.keys()].sort(), ["newns.x", "ns.amb", "ns.bad-name", "ns.coll", "ns.trunc"]);
    assert.match(
      left.get("ns.amb")!,
      /^2 metadata files share the newest version 2 \(.*00002-b.*, .*00002-c.*\)/,
    );
    assert.match(left.get("ns.trunc")!, /^cannot tell: .* keeps only the last 100 files/);
    assert.match(left.get("ns.coll")!, /the catalog has a table of that name at .*coll-old/);
    assert.match(
      left.get("newns.x")!,
      /namespace newns .* is not in the restored catalog .*CREATE SCHEMA newns/,
    );
    assert.match(left.get("ns.bad-name")!, /does not name a table/);
    const missing = new Map((j.missingDetail as Entry[]).map((e) => [e.table, e.reason]));
    assert.match(missing.get("ns.gone")!, /no Iceberg metadata file under .*ns\.db\/gone\/metadata\//);
    assert.match(missing.get("ns.lost")!, /catalog's metadata file .*00003-a.* is gone/);
    assert.deepEqual(
      (j.skipped as { table: string }[]).map((s) => s.table),
      ["ns.old"],
    );

    assert.equal(await param("gz", "metadata_location"), `${wh}/ns.db/gz/metadata/00002-b.gz.metadata.json`);
    assert.equal(
      await param("gz", "previous_metadata_location"),
      `${wh}/ns.db/gz/metadata/00001-a.gz.metadata.json`,
    );
    assert.equal(await param("amb", "metadata_location"), `${wh}/ns.db/amb/metadata/00001-a.metadata.json`);

    // The registered table: the rows an Iceberg catalog writes, ids past SEQUENCE_TABLE's NEXT_VAL.
    const row = (
      await lh.pg.psql(
        `SELECT t."TBL_ID", t."TBL_TYPE", t."OWNER", s."LOCATION", s."INPUT_FORMAT", x."SLIB", d."NAME"
         FROM "TBLS" t JOIN "SDS" s ON s."SD_ID" = t."SD_ID" JOIN "SERDES" x ON x."SERDE_ID" = s."SERDE_ID" JOIN "DBS" d ON d."DB_ID" = t."DB_ID"
         WHERE t."TBL_NAME" = 'trino_t'`,
        db,
      )
    )
      .trim()
      .split("|");
    assert.deepEqual(row.slice(1), [
      "EXTERNAL_TABLE",
      "alice",
      `s3://${bucket}/wh/ns.db/trino_t-${TRINO_SUFFIX}`,
      "org.apache.hadoop.mapred.FileInputFormat",
      "org.apache.hadoop.hive.serde2.lazy.LazySimpleSerDe",
      "ns",
    ]);
    assert.equal(
      await param("trino_t", "metadata_location"),
      `s3://${bucket}/wh/ns.db/trino_t-${TRINO_SUFFIX}/metadata/00000-t.metadata.json`,
    );
    assert.equal(await param("trino_t", "EXTERNAL"), "TRUE");
    const next = Number(
      await lh.pg.psql(
        `SELECT "NEXT_VAL" FROM "SEQUENCE_TABLE" WHERE "SEQUENCE_NAME" = 'org.apache.hadoop.hive.metastore.model.MTable'`,
        db,
      ),
    );
    assert.ok(next > Number(row[0]), `NEXT_VAL ${next} must be past the new TBL_ID ${row[0]}`);
    const cols = await lh.pg.psql(
      `SELECT c."COLUMN_NAME", c."TYPE_NAME", coalesce(c."COMMENT", '') FROM "COLUMNS_V2" c JOIN "SDS" s ON s."CD_ID" = c."CD_ID" JOIN "TBLS" t ON t."SD_ID" = s."SD_ID" WHERE t."TBL_NAME" = 'trino_t' ORDER BY c."INTEGER_IDX"`,
      db,
    );
    assert.deepEqual(cols.trim().split("\n"), [
      "id|bigint|",
      "amount|decimal(12,2)|money",
      "at|timestamp with local time zone|",
      "tags|map<string,array<int>>|",
      "point|struct<x:double>|",
    ]);
  });

  it("with unreadable warehouse keys changes nothing and exits 9", async () => {
    const before = await lh.pg.psql(`SELECT count(*) FROM "TABLE_PARAMS"`, db);
    const bad = await runScript(RECONCILE, ["--db", db, "--no-record"], {
      ...env,
      WAREHOUSE_AWS_SECRET_ACCESS_KEY: "wrong",
    });
    assert.equal(bad.code, 9, bad.stderr);
    assert.equal(bad.json?.ok, false);
    assert.match(
      String(bad.json?.error),
      /warehouse .* failed .*WAREHOUSE_AWS_ACCESS_KEY_ID.* Nothing was changed/,
    );
    assert.equal(await lh.pg.psql(`SELECT count(*) FROM "TABLE_PARAMS"`, db), before);
  });
});
