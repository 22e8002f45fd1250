/**
 * backup.sh and restore.sh for real: Debian's PostgreSQL holding a metastore-shaped schema, a real Ceph
 * radosgw as the backup bucket, the AWS CLI as the scripts' S3 client. Each case uses its own S3 prefix.
 */
import { strict as assert } from "node:assert";
import * as path from "node:path";
import {
  CreateBucketCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  type S3Client,
} from "@aws-sdk/client-s3";
import { startPostgres, type Postgres } from "../../harness/postgres";
import { startRadosgw, type Radosgw, s3Client } from "../../harness/radosgw";
import { METASTORE_SCHEMA_SQL, runScript, scriptEnv, SCRIPTS } from "./helpers";

const BACKUP = path.join(SCRIPTS, "backup.sh");
const RESTORE = path.join(SCRIPTS, "restore.sh");
const BUCKET = "metastore-backup";
const DB = "metastore";

describe("foundation scripts: backup.sh / restore.sh on real PostgreSQL + radosgw", function () {
  this.timeout(180_000);
  let pg: Postgres;
  let rgw: Radosgw;
  let s3: S3Client;

  before(async () => {
    [pg, rgw] = await Promise.all([startPostgres(), startRadosgw()]);
    s3 = s3Client(rgw);
    await s3.send(new CreateBucketCommand({ Bucket: BUCKET }));
    await pg.createDb(DB);
    await pg.psql(METASTORE_SCHEMA_SQL, DB);
  });
  after(async () => {
    s3?.destroy();
    await Promise.all([pg?.stop(), rgw?.stop()]);
  });

  const env = (prefix: string, extra: Record<string, string> = {}): Record<string, string> => ({
    ...scriptEnv(pg, rgw, { db: DB, bucket: BUCKET, prefix }),
    ...extra,
  });
  const keys = async (prefix: string): Promise<string[]> => {
    const out = await s3.send(new ListObjectsV2Command({ Bucket: BUCKET, Prefix: `${prefix}/` }));
    return (out.Contents ?? []).map((o) => o.Key ?? "").sort();
  };
  const body = async (key: string): Promise<Buffer> => {
    const out = await s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: key }));
    return Buffer.from(await out.Body!.transformToByteArray());
  };
  const databases = async (): Promise<string[]> =>
    (await pg.psql("SELECT datname FROM pg_database ORDER BY 1")).trim().split("\n");

  it("dumps, uploads with a sha256 (sidecar and metadata), and --verify restores the same tables and row counts", async () => {
    const b = await runScript(BACKUP, [], env("ok"));
    assert.equal(b.code, 0, b.stderr);
    const key = String(b.json?.key);
    assert.match(key, /^ok\/metastore-\d{8}T\d{6}Z\.dump$/);
    assert.deepEqual(await keys("ok"), [key, `${key}.sha256`]);
    const dump = await body(key);
    assert.equal(dump.subarray(0, 5).toString(), "PGDMP", "custom-format dump magic");
    assert.equal(dump.length, b.json?.bytes);
    const head = await s3.send(new HeadObjectCommand({ Bucket: BUCKET, Key: key }));
    assert.equal(head.Metadata?.sha256, b.json?.sha256);
    assert.match((await body(`${key}.sha256`)).toString(), new RegExp(`^${String(b.json?.sha256)}  `));

    const r = await runScript(RESTORE, ["--verify"], env("ok"));
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.json?.ok, true);
    assert.equal(r.json?.key, key);
    assert.equal(r.json?.match, true);
    assert.equal(r.json?.liveTables, 5);
    assert.equal(r.json?.restoredTables, 5);
    const tables = r.json?.tables as Record<string, { live: number; restored: number }>;
    assert.deepEqual(tables["public.TBLS"], { live: 5, restored: 5 });
    assert.deepEqual(tables["public.TABLE_PARAMS"], { live: 10, restored: 10 });
    assert.equal(r.json?.scratchDropped, true);
    assert.ok(!(await databases()).includes(String(r.json?.targetDb)), "the scratch database is dropped");
  });

  it("restores a named backup into a target database, refuses a non-empty one without --replace, replaces with it", async () => {
    const b = await runScript(BACKUP, [], env("named"));
    assert.equal(b.code, 0, b.stderr);
    const name = path.basename(String(b.json?.key));
    const first = await runScript(RESTORE, ["--backup", name, "--target-db", "metastore_copy"], env("named"));
    assert.equal(first.code, 0, first.stderr);
    assert.equal(first.json?.restoredTables, 5);
    assert.equal(
      await pg.psql('SELECT string_agg("TBL_NAME", \',\' ORDER BY "TBL_ID") FROM "TBLS"', "metastore_copy"),
      "t1,t2,t3,t4,t5\n",
    );

    const refused = await runScript(
      RESTORE,
      ["--backup", name, "--target-db", "metastore_copy"],
      env("named"),
    );
    assert.equal(refused.code, 2);
    assert.match(refused.stderr, /already holds 5 tables; add --replace/);

    await pg.psql('DELETE FROM "TABLE_PARAMS" WHERE "TBL_ID" = 1', "metastore_copy");
    const replaced = await runScript(
      RESTORE,
      ["--backup", name, "--target-db", "metastore_copy", "--replace"],
      env("named"),
    );
    assert.equal(replaced.code, 0, replaced.stderr);
    assert.equal(await pg.psql('SELECT count(*) FROM "TABLE_PARAMS"', "metastore_copy"), "10\n");
  });

  it("--verify reports tables whose row counts changed since the backup and exits 6", async () => {
    const b = await runScript(BACKUP, [], env("drift"));
    assert.equal(b.code, 0, b.stderr);
    await pg.psql(`INSERT INTO "DBS" VALUES (3, NULL, 's3a://x/y', 'drift', 'u', 'USER', 'hive')`, DB);
    try {
      const r = await runScript(RESTORE, ["--verify"], env("drift"));
      assert.equal(r.code, 6, r.stderr);
      assert.equal(r.json?.match, false);
      assert.deepEqual(r.json?.rowCountDiffs, ["public.DBS"]);
      assert.deepEqual((r.json?.tables as Record<string, unknown>)["public.DBS"], { live: 3, restored: 2 });
    } finally {
      await pg.psql(`DELETE FROM "DBS" WHERE "DB_ID" = 3`, DB);
    }
  });

  it("fails clearly when there is no backup, or the named one does not exist (exit 3)", async () => {
    const none = await runScript(RESTORE, ["--verify"], env("empty"));
    assert.equal(none.code, 3);
    assert.equal(none.json?.ok, false);
    assert.equal(none.json?.stage, "find");
    assert.match(String(none.json?.error), /no backup found under s3:\/\/metastore-backup\/empty\//);
    const named = await runScript(
      RESTORE,
      ["--verify", "--backup", "metastore-20200101T000000Z.dump"],
      env("empty"),
    );
    assert.equal(named.code, 3, named.stderr);
    assert.match(named.stderr, /empty\/metastore-20200101T000000Z\.dump does not exist/);
  });

  it("refuses a corrupt backup: changed bytes, a truncated file, a missing checksum (exit 4), and creates no database", async () => {
    const b = await runScript(BACKUP, [], env("corrupt"));
    assert.equal(b.code, 0, b.stderr);
    const key = String(b.json?.key);
    const dump = await body(key);
    const sidecar = await body(`${key}.sha256`);
    const before = await databases();

    const flipped = Buffer.from(dump);
    flipped[flipped.length - 10] ^= 0xff;
    await s3.send(
      new PutObjectCommand({ Bucket: BUCKET, Key: "corrupt/metastore-20300101T000000Z.dump", Body: flipped }),
    );
    await s3.send(
      new PutObjectCommand({
        Bucket: BUCKET,
        Key: "corrupt/metastore-20300101T000000Z.dump.sha256",
        Body: sidecar,
      }),
    );
    const bad = await runScript(RESTORE, ["--verify"], env("corrupt"));
    assert.equal(bad.code, 4, bad.stderr);
    assert.equal(bad.json?.stage, "checksum");
    assert.match(
      String(bad.json?.error),
      /metastore-20300101T000000Z\.dump is corrupt: its sha256 is [0-9a-f]{64}, the recorded one/,
    );

    // Truncated, with a checksum that matches the truncated bytes: the checksum passes, pg_restore must not.
    const cut = dump.subarray(0, Math.floor(dump.length / 2));
    const { createHash } = await import("node:crypto");
    const cutSha = createHash("sha256").update(cut).digest("hex");
    await s3.send(
      new PutObjectCommand({ Bucket: BUCKET, Key: "corrupt/metastore-20300102T000000Z.dump", Body: cut }),
    );
    await s3.send(
      new PutObjectCommand({
        Bucket: BUCKET,
        Key: "corrupt/metastore-20300102T000000Z.dump.sha256",
        Body: `${cutSha}  x\n`,
      }),
    );
    const truncated = await runScript(RESTORE, ["--verify"], env("corrupt"));
    assert.equal(truncated.code, 4, truncated.stderr);
    assert.match(String(truncated.json?.error), /matches its checksum but pg_restore cannot read it/);

    await s3.send(
      new PutObjectCommand({ Bucket: BUCKET, Key: "corrupt/metastore-20300103T000000Z.dump", Body: dump }),
    );
    const unverifiable = await runScript(RESTORE, ["--verify"], env("corrupt"));
    assert.equal(unverifiable.code, 4);
    assert.match(
      String(unverifiable.json?.error),
      /has no checksum .* it cannot be verified, so it is not restored/,
    );

    assert.deepEqual(await databases(), before, "no scratch database is left behind");
  });

  it("deletes backups older than RETENTION_DAYS by the time in their names, keeping newer ones", async () => {
    const put = (k: string): Promise<unknown> =>
      s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: `ret/${k}`, Body: "x" }));
    await Promise.all([
      put("metastore-20260101T000000Z.dump"),
      put("metastore-20260101T000000Z.dump.sha256"),
      put("metastore-20260110T120000Z.dump"),
      put("metastore-20260114T000000Z.dump"),
      put("notes.txt"),
    ]);
    const b = await runScript(
      BACKUP,
      [],
      env("ret", { RETENTION_DAYS: "7", BACKUP_NOW: "2026-01-20T00:00:00Z" }),
    );
    assert.equal(b.code, 0, b.stderr);
    assert.equal(b.json?.key, "ret/metastore-20260120T000000Z.dump");
    assert.deepEqual([...(b.json?.deleted as string[])].sort(), [
      "ret/metastore-20260101T000000Z.dump",
      "ret/metastore-20260101T000000Z.dump.sha256",
      "ret/metastore-20260110T120000Z.dump",
    ]);
    assert.deepEqual(await keys("ret"), [
      "ret/metastore-20260114T000000Z.dump",
      "ret/metastore-20260120T000000Z.dump",
      "ret/metastore-20260120T000000Z.dump.sha256",
      "ret/notes.txt",
    ]);
  });

  it("fails loudly on a missing variable, an unreachable database or a missing bucket, uploading nothing", async () => {
    const noBucket = { ...env("fail") };
    delete (noBucket as Record<string, string | undefined>).S3_BUCKET;
    const missing = await runScript(BACKUP, [], noBucket);
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /environment variable S3_BUCKET is not set/);

    const badDb = await runScript(BACKUP, [], env("fail", { PGPORT: "1" }));
    assert.notEqual(badDb.code, 0);
    assert.match(badDb.stderr, /pg_dump of database 'metastore' on 127\.0\.0\.1:1 failed/);
    assert.deepEqual(await keys("fail"), []);

    const badBucket = await runScript(BACKUP, [], env("fail", { S3_BUCKET: "no-such-bucket" }));
    assert.equal(badBucket.code, 4);
    assert.match(badBucket.stderr, /upload of s3:\/\/no-such-bucket\/fail\/metastore-.* failed/);
  });
});
