/**
 * Issue 14's scenario with the shipped scripts on the real engines (the shared PostgreSQL + radosgw + Hive
 * Metastore 4.0.0 + Trino 476 of harness/lakehouse.ts, pyiceberg, and ONE run of the real PySpark sample
 * job), in the runbook's order: a dump, commits after it, the metastore stopped, restore.sh --target-db
 * <metastore db> --replace, the metastore started.
 *
 * Tables (namespace rr_<random>):
 *   t            pyiceberg: 3 rows before the dump, 2 after           -> moved forward, reads 5
 *   u            pyiceberg: created after the dump, 1 row             -> registered, reads 1
 *   d            pyiceberg: 1 row before the dump; after it "rolled back" (re-registered at its first
 *                metadata file) and written twice                     -> divergent: left alone and named
 *   events       Trino: created with 2 rows before the dump; the PySpark job MERGEs 5 events after it
 *                                                                     -> moved forward, Trino reads 7
 *   events_daily created by the PySpark job after the dump            -> registered, Trino reads it
 *
 * The backup bucket belongs to its own radosgw user (as with one ObjectBucketClaim per bucket), so the
 * reconcile must read the warehouse with WAREHOUSE_AWS_* keys.
 *
 * Then the nightly table maintenance (the shipped table_maintenance.py through the same Trino) runs on the
 * restored catalog and reads the record the real reconcile wrote: orphan removal refused, d left alone, every
 * row and every file kept; and a reconcile that cannot run records its failure, which the maintenance refuses on.
 */
import { strict as assert } from "node:assert";
import { randomBytes } from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import {
  CreateBucketCommand,
  GetObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
} from "@aws-sdk/client-s3";
import { configSchema } from "../../preflight/config/schema";
import { renderSparkConf } from "../../stacks/compute/sparkConf";
import { TrinoClient } from "../../verify/http/trino";
import { sparkInstall, submitJob } from "../compute-engines/spark";
import { sharedLakehouse, type Lakehouse } from "../../harness/lakehouse";
import { byTable, maintenanceEnv, runMaintenance } from "../analytics/maintenance-run";
import { s3Client } from "../../harness/radosgw";
import { asJob, foundationChecks, runScript, scriptEnv, SCRIPTS, type ScriptRun } from "./helpers";

const RESTORE = path.join(SCRIPTS, "restore.sh");
const BACKUP = path.join(SCRIPTS, "backup.sh");
const OPS = path.join(__dirname, "iceberg_ops.py");
const BACKUP_BUCKET = "rr-metastore-backup";

interface Read {
  exists: boolean;
  rows?: number;
  idSum?: number;
  metadata?: string;
}
interface Reconcile {
  ok: boolean;
  dryRun: boolean;
  moved: string[];
  registered: string[];
  left: { table: string; reason: string }[];
  missing: string[];
  unchanged: number;
  tables: number;
  time: string;
  record: string | null;
}

/** verify.metadata-backup-restore on a real `restore.sh --verify` line. */
function backupCheck(r: ScriptRun) {
  return foundationChecks({ backupRestore: asJob(r) }, configSchema.parse({}))[
    "verify.metadata-backup-restore"
  ];
}

describe("restore.sh reconciles the restored catalog with the warehouse (real PostgreSQL + HMS 4.0.0 + radosgw + pyiceberg + PySpark + Trino)", function () {
  this.timeout(900_000);
  const t0 = Date.now();
  const ns = `rr_${randomBytes(3).toString("hex")}`;
  const prefix = `metastore-${ns}`;
  let lh: Lakehouse;
  let s3: S3Client;
  let backupS3: S3Client;
  let backupUser: { accessKeyId: string; secretAccessKey: string };
  let env: Record<string, string>;
  let trino: TrinoClient;
  let work: string;
  const steps: string[] = [];
  const step = async <T>(what: string, f: () => Promise<T>): Promise<T> => {
    const s = Date.now();
    try {
      return await f();
    } finally {
      steps.push(`${what} ${((Date.now() - s) / 1000).toFixed(1)} s`);
    }
  };

  before(async () => {
    lh = await sharedLakehouse();
    s3 = s3Client(lh.rgw);
    backupUser = await lh.rgw.createUser(`rr-backup-${randomBytes(3).toString("hex")}`);
    backupS3 = s3Client(lh.rgw, backupUser);
    await backupS3.send(new CreateBucketCommand({ Bucket: BACKUP_BUCKET })).catch(() => undefined);
    env = {
      ...scriptEnv(lh.pg, lh.rgw, { db: lh.hms.database, bucket: BACKUP_BUCKET, prefix }),
      AWS_ACCESS_KEY_ID: backupUser.accessKeyId,
      AWS_SECRET_ACCESS_KEY: backupUser.secretAccessKey,
      WAREHOUSE_AWS_ACCESS_KEY_ID: lh.rgw.accessKeyId,
      WAREHOUSE_AWS_SECRET_ACCESS_KEY: lh.rgw.secretAccessKey,
    };
    trino = new TrinoClient({ baseUrl: lh.trino.url, label: lh.trino.url }, { queryTimeoutMs: 120_000 });
    work = fs.mkdtempSync(path.join(os.tmpdir(), "lakehouse-rr-"));
  });
  after(() => {
    s3?.destroy();
    backupS3?.destroy();
    if (work) fs.rmSync(work, { recursive: true, force: true });
    console.log(`      wall time ${((Date.now() - t0) / 1000).toFixed(0)} s: ${steps.join(", ")}`);
  });

  const ops = async (...args: string[]): Promise<Read> => {
    const r = await runScript("python3", [OPS, ...args], {
      METASTORE_URI: lh.hms.uri,
      S3_ENDPOINT: lh.rgw.endpoint,
      AWS_ACCESS_KEY_ID: lh.rgw.accessKeyId,
      AWS_SECRET_ACCESS_KEY: lh.rgw.secretAccessKey,
      AWS_REGION: lh.rgw.region,
      AWS_REQUEST_CHECKSUM_CALCULATION: "when_required",
    });
    assert.equal(r.code, 0, `iceberg_ops.py ${args.join(" ")}: ${r.stderr.slice(-2000)}`);
    return r.json as unknown as Read;
  };
  const read = (table: string): Promise<Read> => ops("read", `${ns}.${table}`);
  const restore = (...args: string[]): Promise<ScriptRun> => runScript(RESTORE, args, env, 300_000);
  const pointer = async (table: string): Promise<string> =>
    (
      await lh.pg.psql(
        `SELECT p."PARAM_VALUE" FROM "TBLS" t JOIN "DBS" d ON d."DB_ID" = t."DB_ID" JOIN "TABLE_PARAMS" p ON p."TBL_ID" = t."TBL_ID" AND p."PARAM_KEY" = 'metadata_location' WHERE d."NAME" = '${ns}' AND t."TBL_NAME" = '${table}'`,
        lh.hms.database,
      )
    ).trim();
  const q = (table: string): string => `${ns}.${table}`;
  const reconcileOf = (r: ScriptRun): Reconcile =>
    (r.json?.event === "reconcile" ? r.json : r.json?.reconcile) as unknown as Reconcile;
  const latestRecord = async (): Promise<Record<string, unknown>> => {
    const o = await backupS3.send(
      new GetObjectCommand({ Bucket: BACKUP_BUCKET, Key: `${prefix}/reconcile/latest.json` }),
    );
    return JSON.parse(await o.Body!.transformToString()) as Record<string, unknown>;
  };
  /** The maintenance CronJob's script on this namespace, reading the record with the backup bucket's keys. */
  const maintain = (over: Record<string, string>, ...args: string[]) =>
    step(`table_maintenance.py ${args.join(" ")}`.trim(), () =>
      runMaintenance(
        maintenanceEnv(lh, { bucket: BACKUP_BUCKET, prefix, ...backupUser }, { SCHEMAS: ns, ...over }),
        ...args,
      ),
    );
  /** 15 days after `time`: past the 14-day retention, so only the other refusal reasons remain. */
  const pastRetention = (time: unknown): string =>
    new Date(Date.parse(String(time)) + 15 * 86400_000).toISOString();

  let dumped: Record<string, string>;
  let dumpKey: string;

  it("before the dump: t (3 rows) and d (1 row) by pyiceberg, events (2 rows) by Trino; backup.sh", async () => {
    await step("tables before the dump", async () => {
      await ops("create", q("t"));
      await ops("append", q("t"), "1", "3");
      await ops("create", q("d"));
      await ops("append", q("d"), "100", "1");
      await trino.query(
        `CREATE TABLE iceberg.${ns}.events (event_id varchar NOT NULL, event_time timestamp(6) with time zone NOT NULL, user_id varchar, event_type varchar, amount decimal(12,2)) WITH (partitioning = ARRAY['day(event_time)'], format_version = 2)`,
      );
      await trino.query(
        `INSERT INTO iceberg.${ns}.events VALUES ('x-1', TIMESTAMP '2026-11-27 10:00:00 UTC', 'u-1', 'view', 1.50), ('x-2', TIMESTAMP '2026-11-27 11:00:00 UTC', 'u-2', 'click', 2.25)`,
      );
    });
    dumped = { t: await pointer("t"), d: await pointer("d"), events: await pointer("events") };
    const b = await step("backup.sh", () => runScript(BACKUP, [], env));
    assert.equal(b.code, 0, b.stderr);
    dumpKey = String(b.json?.key);
  });

  it("after the dump: t +2 rows, new table u, d rolled back and written, the PySpark job MERGEs into events", async () => {
    await step("pyiceberg commits after the dump", async () => {
      await ops("append", q("t"), "4", "2");
      await ops("create", q("u"));
      await ops("append", q("u"), "50", "1");
      await ops("rollback", q("d"));
      await ops("append", q("d"), "200", "2");
      await ops("append", q("d"), "300", "1");
    });
    assert.equal((await read("t")).rows, 5);

    const spark = sparkInstall();
    const body = [
      "event_id,event_time,user_id,event_type,amount",
      ...[0, 1, 2, 3, 4].map((i) => `e-${i},2026-11-28T0${i}:00:00Z,u-${i},view,${i}.10`),
      // An id Trino wrote before the dump with a changed amount: the MERGE updates it.
      "x-1,2026-11-27T10:00:00Z,u-1,view,9.99",
    ].join("\n");
    await s3.send(
      new PutObjectCommand({
        Bucket: lh.bucket,
        Key: `landing/${ns}/part-0001.csv`,
        Body: Buffer.from(`${body}\n`),
        ContentLength: Buffer.byteLength(`${body}\n`),
      }),
    );
    const run = await step("PySpark sample job", () =>
      submitJob({
        install: spark,
        conf: renderSparkConf({
          metastoreUri: lh.hms.uri,
          warehouseBucket: lh.bucket,
          s3Endpoint: lh.rgw.endpoint,
          s3Region: lh.rgw.region,
          driver: { replicas: 1, cpu: "1", memory: "1536Mi" },
          executor: { replicas: 1, cpu: "1", memory: "1Gi" },
          jarsDir: spark.jarsDir,
        }),
        credentials: lh.rgw,
        workDir: work,
        args: [
          "--source",
          `s3a://${lh.bucket}/landing/${ns}/`,
          "--format",
          "csv",
          "--table",
          `lakehouse.${ns}.events`,
          "--aggregate-table",
          `lakehouse.${ns}.events_daily`,
        ],
      }),
    );
    assert.equal(run.code, 0, `${run.lastError}\n${run.stderr.slice(-3000)}`);
    assert.equal(run.result?.rows_merged, 6);
    assert.equal(run.result?.table_rows, 7);
  });

  let liveBeforeRestore: Record<string, string>;

  it("verify.metadata-backup-restore: the scratch copy, reconciled, matches every live pointer but d's, and the check fails naming it", async () => {
    liveBeforeRestore = {
      t: await pointer("t"),
      u: await pointer("u"),
      d: await pointer("d"),
      events: await pointer("events"),
    };
    const r = await step("restore.sh --verify", () => restore("--verify", "--backup", dumpKey));
    assert.equal(r.code, 7, r.stderr);
    assert.deepEqual(
      (r.json?.pointerDiffs as { table: string }[]).map((d) => d.table),
      [q("d")],
    );
    assert.equal(r.json?.scratchDropped, true);
    const rec = reconcileOf(r);
    assert.equal(rec.record, null, "the scratch reconcile records nothing");
    assert.deepEqual(rec.moved.sort(), [q("events"), q("t")]);
    assert.deepEqual(rec.registered.sort(), [q("events_daily"), q("u")]);
    const c = backupCheck(r);
    assert.equal(c.status, "fail", c.observed);
    assert.match(c.observed, new RegExp(`${q("d")}\\b`));
    assert.match(c.observed, /diverged/);
    assert.doesNotMatch(c.observed, new RegExp(`${q("t")}\\b`));
    assert.equal(await pointer("d"), liveBeforeRestore.d, "the live catalog is only read");
  });

  it("a --no-reconcile restore loses the commits (t reads 3, u is missing), and the reconcile-only dry run names the loss", async () => {
    let r: ScriptRun | undefined;
    await step("restart HMS around restore --no-reconcile", () =>
      lh.hms.restart(async () => {
        r = await restore("--target-db", lh.hms.database, "--replace", "--backup", dumpKey, "--no-reconcile");
      }),
    );
    assert.equal(r!.code, 0, r!.stderr);
    assert.equal(r!.json?.reconciled, false);
    assert.equal(r!.json?.reconcile, null);
    assert.equal((await read("t")).rows, 3, "the issue: the catalog is back at the dump's metadata file");
    assert.equal((await read("u")).exists, false);

    const dry = await step("reconcile-only --dry-run", () =>
      restore("--reconcile-only", "--target-db", lh.hms.database, "--dry-run", "--backup", dumpKey),
    );
    assert.equal(dry.code, 8, dry.stderr);
    const rec = reconcileOf(dry);
    assert.equal(rec.dryRun, true);
    assert.deepEqual(rec.moved.sort(), [q("events"), q("t")]);
    assert.deepEqual(rec.registered.sort(), [q("events_daily"), q("u")]);
    assert.deepEqual(
      rec.left.map((l) => l.table),
      [q("d")],
    );
    assert.equal(rec.record, null);
    assert.equal(await pointer("t"), dumped.t, "a dry run changes nothing");
    const records = await backupS3.send(
      new ListObjectsV2Command({ Bucket: BACKUP_BUCKET, Prefix: `${prefix}/reconcile/` }),
    );
    assert.equal(records.KeyCount ?? 0, 0, "a dry run records nothing");
  });

  it("restore --replace reconciles: t reads 5, u 1, d keeps the dump's state and is named; the outcome is recorded next to the dumps", async () => {
    let r: ScriptRun | undefined;
    await step("restart HMS around restore --replace", () =>
      lh.hms.restart(async () => {
        r = await restore("--target-db", lh.hms.database, "--replace", "--backup", dumpKey);
      }),
    );
    assert.equal(r!.code, 8, `d is left alone, so exit 8: ${r!.stderr}`);
    assert.equal(r!.json?.ok, true);
    assert.equal(r!.json?.reconciled, true);
    const rec = reconcileOf(r!);
    assert.deepEqual(rec.moved.sort(), [q("events"), q("t")]);
    assert.deepEqual(rec.registered.sort(), [q("events_daily"), q("u")]);
    assert.equal(rec.left.length, 1);
    assert.equal(rec.left[0]!.table, q("d"));
    assert.match(
      rec.left[0]!.reason,
      /^diverged: the newest metadata file .* does not descend from the catalog's/,
    );
    assert.deepEqual(rec.missing, []);

    const t = await read("t");
    assert.deepEqual(
      [t.rows, t.idSum],
      [5, 1 + 2 + 3 + 4 + 5],
      "t: the 2 rows committed after the dump are back",
    );
    const u = await read("u");
    assert.deepEqual([u.exists, u.rows, u.idSum], [true, 1, 50], "u: created after the dump, registered");
    const d = await read("d");
    assert.equal(d.rows, 1, "d is left at the dump's pointer");
    assert.equal(await pointer("t"), liveBeforeRestore.t);
    assert.equal(await pointer("d"), dumped.d);
    assert.match(await pointer("t"), /\/metadata\/00002-/);
    const prev = await lh.pg.psql(
      `SELECT p."PARAM_VALUE" FROM "TBLS" t JOIN "DBS" d ON d."DB_ID" = t."DB_ID" JOIN "TABLE_PARAMS" p ON p."TBL_ID" = t."TBL_ID" AND p."PARAM_KEY" = 'previous_metadata_location' WHERE d."NAME" = '${ns}' AND t."TBL_NAME" = 't'`,
      lh.hms.database,
    );
    assert.equal(
      prev.trim(),
      dumped.t,
      "previous_metadata_location is the dump's pointer, as a commit sets it",
    );

    // The record (the contract with the table maintenance), at <backup prefix>/reconcile/.
    const got = async (key: string): Promise<Record<string, unknown>> => {
      const o = await backupS3.send(new GetObjectCommand({ Bucket: BACKUP_BUCKET, Key: key }));
      return JSON.parse(await o.Body!.transformToString()) as Record<string, unknown>;
    };
    const latest = await got(`${prefix}/reconcile/latest.json`);
    assert.equal(latest.event, "reconcile");
    assert.equal(latest.ok, false);
    assert.equal(latest.dryRun, false);
    assert.match(String(latest.time), /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/);
    assert.deepEqual((latest.moved as string[]).sort(), [q("events"), q("t")]);
    assert.deepEqual(
      (latest.left as { table: string }[]).map((l) => l.table),
      [q("d")],
    );
    assert.deepEqual(latest.missing, []);
    const stamp = String(latest.time).replace(/[-:]/g, "");
    assert.equal(latest.record, `s3://${BACKUP_BUCKET}/${prefix}/reconcile/${stamp}.json`);
    assert.deepEqual(await got(`${prefix}/reconcile/${stamp}.json`), latest);
  });

  it("Trino reads the PySpark-merged events (7 rows) and the registered events_daily", async () => {
    const events = await trino.query(
      `SELECT count(*), sum(amount), max(CASE WHEN event_id = 'x-1' THEN amount END) FROM iceberg.${ns}.events`,
    );
    assert.deepEqual(events.rows[0]!.map(String), ["7", "22.74", "9.99"]);
    const daily = await trino.query(`SELECT sum(events), sum(amount_total) FROM iceberg.${ns}.events_daily`);
    assert.deepEqual(daily.rows[0]!.map(String), ["7", "22.74"]);
  });

  it("the nightly table maintenance right after: orphan removal refused (restore-reconciled, divergent-tables), d left alone, every row and every file kept", async () => {
    const tables = ["t", "u", "d", "events", "events_daily"];
    // count(*) and a checksum over every column of each table, through Trino.
    const fingerprint = async (): Promise<Record<string, string[]>> => {
      const out: Record<string, string[]> = {};
      for (const name of tables) {
        const cols = (
          await trino.query(
            `SELECT column_name FROM iceberg.information_schema.columns WHERE table_schema = '${ns}' AND table_name = '${name}' ORDER BY ordinal_position`,
          )
        ).rows.map((r) => `"${String(r[0])}"`);
        const row = cols.length > 1 ? `ROW(${cols.join(", ")})` : cols[0];
        out[name] = (
          await trino.query(`SELECT count(*), checksum(${row}) FROM iceberg.${ns}.${name}`)
        ).rows[0]!.map(String);
      }
      return out;
    };
    // Every object under the namespace's folder (data and metadata files of all five tables).
    const dbLocation = (
      await lh.pg.psql(`SELECT "DB_LOCATION_URI" FROM "DBS" WHERE "NAME" = '${ns}'`, lh.hms.database)
    ).trim();
    const folder = `${dbLocation.replace(/^s3a?:\/\/[^/]+\//, "").replace(/\/$/, "")}/`;
    const objects = async (): Promise<Set<string>> => {
      const keys = new Set<string>();
      let token: string | undefined;
      do {
        const page = await s3.send(
          new ListObjectsV2Command({ Bucket: lh.bucket, Prefix: folder, ContinuationToken: token }),
        );
        for (const o of page.Contents ?? []) keys.add(o.Key!);
        token = page.IsTruncated ? page.NextContinuationToken : undefined;
      } while (token);
      return keys;
    };
    // The data files committed after the dump: read now, not at the tables' first (pre-dump) snapshot.
    const newerFiles: string[] = [];
    for (const name of ["t", "events"]) {
      const first = (
        await trino.query(
          `SELECT CAST(snapshot_id AS varchar) FROM iceberg.${ns}."${name}$snapshots" ORDER BY committed_at LIMIT 1`,
        )
      ).rows[0]![0];
      const paths = async (asOf: string) =>
        (await trino.query(`SELECT DISTINCT "$path" FROM iceberg.${ns}.${name}${asOf}`)).rows.map((r) =>
          String(r[0]).replace(/^s3a?:\/\/[^/]+\//, ""),
        );
      const atDump = new Set(await paths(` FOR VERSION AS OF ${String(first)}`));
      const added = (await paths("")).filter((p) => !atDump.has(p));
      assert.ok(added.length > 0, `${name}: the commits after the dump added data files`);
      newerFiles.push(...added);
    }
    const before = await fingerprint();
    const objectsBefore = await objects();
    assert.deepEqual(before.t!.slice(0, 1), ["5"]);
    assert.deepEqual(before.events!.slice(0, 1), ["7"]);
    const record = await latestRecord();

    const { run, out } = await maintain({});
    assert.equal(run.code, 0, run.stderr.slice(-3000));
    assert.equal(out.ok, true, JSON.stringify(out));
    assert.equal(out.orphanRemoval.allowed, false);
    assert.deepEqual(out.orphanRemoval.reasons, ["restore-reconciled", "divergent-tables"]);
    assert.match(out.orphanRemoval.why, new RegExp(`a restore was reconciled at ${String(record.time)}`));
    assert.match(out.orphanRemoval.why, new RegExp(`left divergent tables: ${q("d")}$`));
    const d = byTable(out, q("d"));
    assert.deepEqual([d.status, d.reason, d.steps], ["skipped", "divergent-after-restore", {}]);
    for (const name of ["t", "u", "events", "events_daily"]) {
      const o = byTable(out, q(name));
      assert.equal(o.status, "maintained", JSON.stringify(o));
      assert.deepEqual(
        o.steps,
        { optimize: "done", expireSnapshots: "done", removeOrphanFiles: "refused" },
        name,
      );
    }
    // The moved t was compacted (its pre- and post-dump files into one): maintenance did run on it.
    const t = byTable(out, q("t"));
    assert.deepEqual([t.before?.files, t.after?.files], [2, 1]);

    assert.deepEqual(await fingerprint(), before, "every row of every table, count and checksum");
    const objectsAfter = await objects();
    const gone = [...objectsBefore].filter((k) => !objectsAfter.has(k));
    assert.deepEqual(gone, [], "no object of the namespace was deleted");
    for (const f of newerFiles)
      assert.ok(objectsAfter.has(f), `${f} (committed after the dump) is still there`);

    // Past the retention the divergent d alone still refuses orphan removal, and d stays untouched.
    const later = await maintain({ MAINTENANCE_NOW: pastRetention(record.time) }, "--dry-run");
    assert.equal(later.run.code, 0, later.run.stderr.slice(-3000));
    assert.deepEqual(later.out.orphanRemoval.reasons, ["divergent-tables"]);
    assert.equal(byTable(later.out, q("d")).reason, "divergent-after-restore");
    assert.equal(byTable(later.out, q("t")).steps.removeOrphanFiles, "refused");
  });

  it("a second reconcile changes nothing; commits on the moved and registered tables work; the check passes", async () => {
    const again = await step("reconcile-only again", () =>
      restore("--reconcile-only", "--target-db", lh.hms.database, "--backup", dumpKey),
    );
    assert.equal(again.code, 8, again.stderr);
    const rec = reconcileOf(again);
    assert.deepEqual([rec.moved, rec.registered], [[], []]);
    assert.deepEqual(
      rec.left.map((l) => l.table),
      [q("d")],
    );
    assert.equal(rec.unchanged, rec.tables - 1, JSON.stringify(rec));
    assert.equal((await read("t")).rows, 5);

    await ops("append", q("t"), "6", "1");
    await ops("append", q("u"), "51", "1");
    assert.equal((await read("t")).rows, 6);
    assert.equal((await read("u")).rows, 2);

    const v = await step("restore.sh --verify after the restore", () =>
      restore("--verify", "--backup", dumpKey),
    );
    assert.ok(v.code === 0 || v.code === 6, v.stderr);
    assert.deepEqual(v.json?.pointerDiffs, []);
    assert.equal(v.json?.pointersMatch, true);
    const c = backupCheck(v);
    assert.equal(c.status, "pass", c.observed);
  });

  it("a reconcile that cannot run records its failure, and the maintenance refuses orphan removal until one succeeds (reconcile-failed)", async () => {
    const r = await step("reconcile-only with wrong warehouse keys", () =>
      runScript(
        RESTORE,
        ["--reconcile-only", "--target-db", lh.hms.database, "--backup", dumpKey],
        { ...env, WAREHOUSE_AWS_SECRET_ACCESS_KEY: "wrong" },
        300_000,
      ),
    );
    assert.equal(r.code, 9, r.stderr);
    assert.match(
      String(r.json?.error),
      /reading the warehouse bucket '.*' .* failed .* Nothing was changed\./,
    );
    const latest = await latestRecord();
    assert.deepEqual(
      [latest.event, latest.ok, latest.dryRun, latest.error, latest.record],
      ["reconcile", false, false, r.json?.error, r.json?.record],
    );
    assert.match(String(latest.time), /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/);
    assert.equal(
      latest.record,
      `s3://${BACKUP_BUCKET}/${prefix}/reconcile/${String(latest.time).replace(/[-:]/g, "")}.json`,
    );

    // Past the retention window too: a failed reconcile refuses until a reconcile succeeds. d is no longer
    // named by the record, and the per-table guard still keeps it out (its files are ahead of its catalog).
    const { run, out } = await maintain({ MAINTENANCE_NOW: pastRetention(latest.time) }, "--dry-run");
    assert.equal(run.code, 0, run.stderr.slice(-3000));
    assert.deepEqual(out.orphanRemoval.reasons, ["reconcile-failed"]);
    assert.match(out.orphanRemoval.why, /the last reconcile did not finish: reading the warehouse bucket/);
    assert.equal(byTable(out, q("d")).reason, "catalog-behind-bucket");
  });
});
