/**
 * The verification scripts against a REAL Hive Metastore 4.0.0 (harness/hive-metastore.ts: Maven Central
 * jars, schema by schematool on the PostgreSQL harness, S3A warehouse on the radosgw harness):
 * - metastore_ping.py calls get_all_databases over Thrift; after the metastore stops, the ping fails;
 * - iceberg_roundtrip.py with `type=hive` (the configuration the verification Job uses);
 * - backup.sh / restore.sh --verify on the metastore's real schema (every HMS table).
 * Each script's real JSON line is also fed to the pure check that interprets it in the verification.
 */
import { strict as assert } from "node:assert";
import * as path from "node:path";
import { CreateBucketCommand } from "@aws-sdk/client-s3";
import { configSchema } from "../../preflight/config/schema";
import type { FoundationObservations } from "../../verify/types";
import { startHiveMetastore, type HiveMetastore } from "../../harness/hive-metastore";
import { startPostgres, type Postgres } from "../../harness/postgres";
import { startRadosgw, type Radosgw, s3Client } from "../../harness/radosgw";
import { asJob, foundationChecks, runScript, scriptEnv, SCRIPTS, VERIFY_SCRIPTS } from "./helpers";

describe("foundation scripts against a real Hive Metastore 4.0.0", function () {
  this.timeout(300_000);
  let pg: Postgres;
  let rgw: Radosgw;
  let hms: HiveMetastore;
  const obs: Partial<FoundationObservations> = {};

  before(async () => {
    [pg, rgw] = await Promise.all([startPostgres(), startRadosgw()]);
    hms = await startHiveMetastore({ pg, rgw, bucket: "lakehouse-warehouse" });
  });
  after(async () => {
    await hms?.stop();
    await Promise.all([pg?.stop(), rgw?.stop()]);
  });

  const checks = (over: Partial<FoundationObservations>) => foundationChecks(over, configSchema.parse({}));

  it("metastore_ping.py: get_all_databases answers over Thrift", async () => {
    const r = await runScript("python3", [path.join(VERIFY_SCRIPTS, "metastore_ping.py")], {
      METASTORE_URI: hms.uri,
      PING_ATTEMPTS: "2",
    });
    assert.equal(r.code, 0, r.stdout + r.stderr);
    const attempts = r.json?.attempts as { ok: boolean; databases: number }[];
    assert.equal(attempts.length, 2);
    assert.ok(
      attempts.every((a) => a.ok && a.databases >= 1),
      JSON.stringify(attempts),
    );
    obs.metastorePing = asJob(r);
    const c = checks({ metastorePing: obs.metastorePing })["verify.metastore-available"];
    assert.equal(c.status, "warn", "answers, availability not measured without Prometheus");
    assert.match(c.observed, /2\/2 get_all_databases calls answered/);
  });

  it("iceberg_roundtrip.py with type=hive: namespace, table, 2 snapshots, time travel, purge through the metastore", async () => {
    const env = {
      ICEBERG_CATALOG_TYPE: "hive",
      ICEBERG_CATALOG_URI: hms.uri,
      ICEBERG_WAREHOUSE: "s3://lakehouse-warehouse/warehouse",
      S3_ENDPOINT: rgw.endpoint,
      AWS_ACCESS_KEY_ID: rgw.accessKeyId,
      AWS_SECRET_ACCESS_KEY: rgw.secretAccessKey,
      AWS_REGION: rgw.region,
      VERIFY_NAMESPACE: "lakehouse_verify_hms",
    };
    const r = await runScript("python3", [path.join(VERIFY_SCRIPTS, "iceberg_roundtrip.py")], env, 240_000);
    assert.equal(r.code, 0, r.stdout + r.stderr.slice(-3000));
    assert.equal(r.json?.catalog, "hive");
    assert.equal(r.json?.snapshots, 2);
    assert.equal(r.json?.rowsAtFirstSnapshot, 3);
    assert.equal(r.json?.cleanedUp, true);
    const dbs = await pg.psql(
      `SELECT count(*) FROM "DBS" WHERE "NAME" = 'lakehouse_verify_hms'`,
      hms.database,
    );
    assert.equal(dbs.trim(), "0", "the scratch namespace is gone from the metastore");
    const c = checks({ icebergRoundtrip: asJob(r) })["verify.iceberg-roundtrip"];
    assert.equal(c.status, "pass", c.observed);
  });

  it("backup.sh + restore.sh --verify on the metastore's real schema", async () => {
    await s3Client(rgw).send(new CreateBucketCommand({ Bucket: "lakehouse-metastore-backup" }));
    const env = scriptEnv(pg, rgw, {
      db: hms.database,
      bucket: "lakehouse-metastore-backup",
      prefix: "metastore",
    });
    const b = await runScript(path.join(SCRIPTS, "backup.sh"), [], env);
    assert.equal(b.code, 0, b.stderr);
    const r = await runScript(path.join(SCRIPTS, "restore.sh"), ["--verify"], env);
    // The running metastore may write (e.g. its notification or lock tables) between dump and count: exit 6 with
    // row-count differences is a legitimate outcome; the table set must match either way.
    assert.ok(r.code === 0 || r.code === 6, r.stderr);
    assert.deepEqual(r.json?.missingTables, []);
    assert.deepEqual(r.json?.extraTables, []);
    assert.ok(
      Number(r.json?.restoredTables) > 40,
      `the HMS schema has many tables, got ${String(r.json?.restoredTables)}`,
    );
    const tables = r.json?.tables as Record<string, { live: number; restored: number }>;
    assert.ok(
      tables["public.DBS"] && tables["public.TBLS"] && tables["public.VERSION"],
      "core HMS tables present",
    );
    const c = checks({ backupRestore: asJob(r) })["verify.metadata-backup-restore"];
    assert.ok(c.status === "pass" || c.status === "warn", c.observed);
  });

  it("metastore_ping.py fails (exit 3) once the metastore is stopped, and the check fails", async () => {
    await hms.stop();
    const r = await runScript("python3", [path.join(VERIFY_SCRIPTS, "metastore_ping.py")], {
      METASTORE_URI: hms.uri,
      PING_ATTEMPTS: "1",
      PING_TIMEOUT_MS: "2000",
    });
    assert.equal(r.code, 3);
    const c = checks({ metastorePing: asJob(r) })["verify.metastore-available"];
    assert.equal(c.status, "fail");
    assert.match(c.observed, /1 of 1 get_all_databases calls failed/);
  });
});
