/**
 * Smoke test of the real Hive Metastore harness: Hive 4.0.0 from Maven Central on the PostgreSQL harness with
 * its warehouse on the radosgw harness. Proves the schema is Hive's own, the Thrift API answers, a database
 * created through Thrift lands in PostgreSQL and its directory in S3 (through S3A), and dropping it removes both.
 */
import { strict as assert } from "node:assert";
import * as net from "node:net";
import { ListObjectsV2Command, S3Client } from "@aws-sdk/client-s3";
import { startHiveMetastore, type HiveMetastore } from "../../harness/hive-metastore";
import { startPostgres, type Postgres } from "../../harness/postgres";
import { isAlive } from "../../harness/proc";
import { s3Client, startRadosgw, type Radosgw } from "../../harness/radosgw";
import { thriftCall, throwIfException, type TStruct } from "../../harness/thrift";

describe("test harness: real Hive Metastore 4.0.0 on PostgreSQL + radosgw", function () {
  this.timeout(240_000);
  let pg: Postgres | undefined;
  let rgw: Radosgw | undefined;
  let hms: HiveMetastore | undefined;
  let s3: S3Client;

  before(async () => {
    [pg, rgw] = await Promise.all([startPostgres(), startRadosgw()]);
    hms = await startHiveMetastore({ pg, rgw });
    s3 = s3Client(rgw);
  });

  after(async () => {
    s3?.destroy();
    await hms?.stop();
    await Promise.all([rgw?.stop(), pg?.stop()]);
  });

  const keys = async (prefix: string): Promise<string[]> =>
    ((await s3.send(new ListObjectsV2Command({ Bucket: hms!.bucket, Prefix: prefix }))).Contents ?? []).map(
      (o) => o.Key ?? "",
    );
  const databases = async (): Promise<string[]> =>
    (await thriftCall("127.0.0.1", hms!.port, "get_all_databases", [])).get(0) as string[];

  it("listens on loopback with Hive's own 4.0.0 schema in PostgreSQL", async () => {
    assert.equal(hms!.uri, `thrift://127.0.0.1:${hms!.port}`);
    await new Promise<void>((resolve, reject) => {
      const sock = net.connect({ host: "127.0.0.1", port: hms!.port }, () => {
        sock.destroy();
        resolve();
      });
      sock.once("error", reject);
    });
    assert.equal((await pg!.psql('SELECT "SCHEMA_VERSION" FROM "VERSION"', hms!.database)).trim(), "4.0.0");
    // Tables only the release's SQL script creates (DataNucleus would not): the ACID/lock tables Iceberg commits use.
    const tables = (
      await pg!.psql("SELECT tablename FROM pg_tables WHERE schemaname = 'public'", hms!.database)
    ).split("\n");
    for (const t of ["DBS", "TBLS", "HIVE_LOCKS", "TXNS", "NOTIFICATION_LOG"])
      assert.ok(tables.includes(t), `table ${t} missing`);
    assert.deepEqual(await databases(), ["default"]);
  });

  it("creates a database through Thrift into PostgreSQL and S3, and drops it from both", async () => {
    const location = `${hms!.warehouse}/smoke_db.db`;
    const created = await thriftCall("127.0.0.1", hms!.port, "create_database", [
      {
        id: 1,
        value: {
          t: "struct",
          v: [
            { id: 1, value: { t: "string", v: "smoke_db" } },
            { id: 2, value: { t: "string", v: "harness smoke test" } },
            { id: 3, value: { t: "string", v: location } },
            { id: 4, value: { t: "map", v: { owner: "harness" } } },
          ],
        },
      },
    ]);
    throwIfException("create_database", created);

    assert.deepEqual((await databases()).sort(), ["default", "smoke_db"]);
    const got = (
      await thriftCall("127.0.0.1", hms!.port, "get_database", [
        { id: 1, value: { t: "string", v: "smoke_db" } },
      ])
    ).get(0) as TStruct;
    assert.equal(got.get(3), location);
    assert.equal((got.get(4) as Map<string, string>).get("owner"), "harness");
    assert.equal(
      (await pg!.psql(`SELECT "DB_LOCATION_URI" FROM "DBS" WHERE "NAME" = 'smoke_db'`, hms!.database)).trim(),
      location,
    );
    // S3A's mkdirs wrote the directory marker through radosgw.
    assert.deepEqual(await keys("warehouse/smoke_db.db"), ["warehouse/smoke_db.db/"]);

    const dropped = await thriftCall("127.0.0.1", hms!.port, "drop_database", [
      { id: 1, value: { t: "string", v: "smoke_db" } },
      { id: 2, value: { t: "bool", v: true } },
      { id: 3, value: { t: "bool", v: true } },
    ]);
    throwIfException("drop_database", dropped);
    assert.deepEqual(await databases(), ["default"]);
    assert.equal(
      (await pg!.psql(`SELECT count(*) FROM "DBS" WHERE "NAME" = 'smoke_db'`, hms!.database)).trim(),
      "0",
    );
    assert.deepEqual(await keys("warehouse/smoke_db.db"), []);
  });

  it("reports a missing database as NoSuchObjectException", async () => {
    const r = await thriftCall("127.0.0.1", hms!.port, "get_database", [
      { id: 1, value: { t: "string", v: "nope" } },
    ]);
    assert.throws(() => throwIfException("get_database", r), /nope/);
  });

  it("stops by pid, leaving no process behind", async () => {
    const pid = hms!.pid;
    assert.equal(isAlive(pid), true);
    await hms!.stop();
    assert.equal(isAlive(pid), false);
    await assert.rejects(thriftCall("127.0.0.1", hms!.port, "get_all_databases", [], 2_000));
  });
});
