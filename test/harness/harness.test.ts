/**
 * Smoke tests of the real-engine harnesses: each starts the real Debian binary, is used for real, is stopped,
 * and its processes and temp dir must be gone afterwards.
 */
import { strict as assert } from "node:assert";
import * as fs from "node:fs";
import {
  CreateBucketCommand,
  DeleteBucketCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  PutObjectCommand,
} from "@aws-sdk/client-s3";
import * as os from "node:os";
import * as path from "node:path";
import { startHiveMetastore } from "../../harness/hive-metastore";
import { isAlive } from "../../harness/proc";
import { startPostgres, type Postgres } from "../../harness/postgres";
import { s3Client, startRadosgw, type Radosgw } from "../../harness/radosgw";

describe("test harness: real radosgw (Ceph 16)", function () {
  this.timeout(120_000);
  let rgw: Radosgw | undefined;

  after(async () => {
    await rgw?.stop();
  });

  it("starts, stores and returns an object over S3 for two users, and stops leaving no process behind", async () => {
    rgw = await startRadosgw();
    assert.match(rgw.endpoint, /^http:\/\/127\.0\.0\.1:\d+$/);
    const s3 = s3Client(rgw);
    await s3.send(new CreateBucketCommand({ Bucket: "harness-smoke" }));
    const body = `hello from ${process.pid} at ${Date.now()}`;
    await s3.send(new PutObjectCommand({ Bucket: "harness-smoke", Key: "a/b.txt", Body: body }));
    const got = await s3.send(new GetObjectCommand({ Bucket: "harness-smoke", Key: "a/b.txt" }));
    assert.equal(await got.Body!.transformToString(), body);

    // A second user is a different identity: it cannot read the first user's bucket.
    const other = await rgw.createUser("second-user");
    assert.notEqual(other.accessKeyId, rgw.accessKeyId);
    await assert.rejects(
      s3Client(rgw, other).send(new GetObjectCommand({ Bucket: "harness-smoke", Key: "a/b.txt" })),
      (e: Error) => e.name === "AccessDenied",
    );
    await s3.send(new DeleteObjectCommand({ Bucket: "harness-smoke", Key: "a/b.txt" }));
    await s3.send(new DeleteBucketCommand({ Bucket: "harness-smoke" }));
    s3.destroy();

    const { pids, base } = rgw;
    await rgw.stop();
    for (const [name, pid] of Object.entries(pids))
      assert.equal(isAlive(pid), false, `${name} pid ${pid} still alive`);
    assert.equal(fs.existsSync(base), false, `${base} still exists`);
  });
});

describe("test harness: real PostgreSQL 15", function () {
  this.timeout(60_000);
  let pg: Postgres | undefined;

  after(async () => {
    await pg?.stop();
  });

  it("starts, runs SQL in a new database, and stops leaving no process behind", async () => {
    pg = await startPostgres();
    assert.equal(pg.host, "127.0.0.1");
    assert.equal(pg.url, `postgresql://${pg.user}@127.0.0.1:${pg.port}/postgres`);
    await pg.createDb("smoke");
    await pg.psql(
      "CREATE TABLE t (id int primary key, v text); INSERT INTO t VALUES (1, 'a'), (2, 'b');",
      "smoke",
    );
    assert.equal(
      (await pg.psql("SELECT count(*), string_agg(v, ',' ORDER BY id) FROM t", "smoke")).trim(),
      "2|a,b",
    );
    assert.match(await pg.psql("SHOW server_version"), /^15\./);
    await assert.rejects(pg.psql("SELECT * FROM missing_table", "smoke"), /missing_table/);

    const { pid, dataDir } = pg;
    await pg.stop();
    assert.equal(isAlive(pid), false, `postmaster pid ${pid} still alive`);
    assert.equal(fs.existsSync(dataDir), false, `${dataDir} still exists`);
  });
});

describe("test harness: missing installs give one clear sentence naming the setup script", () => {
  it("radosgw", async () => {
    const saved = process.env.PATH;
    process.env.PATH = fs.mkdtempSync(path.join(os.tmpdir(), "empty-path-"));
    try {
      await assert.rejects(
        startRadosgw(),
        /^Error: radosgw not installed: run bash \.ci\/setup\.d\/10-apt\.sh \(missing: ceph-mon, /,
      );
    } finally {
      fs.rmSync(process.env.PATH, { recursive: true, force: true });
      process.env.PATH = saved;
    }
  });

  it("Hive Metastore", async () => {
    const saved = process.env.LAKEHOUSE_HMS_HOME;
    process.env.LAKEHOUSE_HMS_HOME = fs.mkdtempSync(path.join(os.tmpdir(), "no-hms-"));
    try {
      const fake = {} as Parameters<typeof startHiveMetastore>[0];
      await assert.rejects(
        startHiveMetastore(fake),
        /Hive Metastore not installed: run bash \.ci\/setup\.d\/40-hive-metastore\.sh/,
      );
    } finally {
      fs.rmSync(process.env.LAKEHOUSE_HMS_HOME, { recursive: true, force: true });
      if (saved === undefined) delete process.env.LAKEHOUSE_HMS_HOME;
      else process.env.LAKEHOUSE_HMS_HOME = saved;
    }
  });
});
