/**
 * The scheduled table maintenance for real: the shipped table_maintenance.py against Trino 476 configured only
 * with the product's catalogs, on the shared Hive Metastore 4.0.0 + Ceph radosgw (harness/lakehouse.ts), the
 * reconcile record in a radosgw bucket, and a real Pushgateway (the pinned v1.11.5, .ci/setup.d/65-pushgateway.sh)
 * whose /metrics is checked against the documented metric names (stacks/analytics/dashboard.ts).
 *
 * Tables in one scratch schema:
 * - `events`: five appends written by pyiceberg 30 days ago (its clock shifted: snapshot and metadata times are
 *   what the retention compares; S3 object times cannot be shifted), then two INSERTs by Trino now;
 * - `daily`: a CTAS and two INSERTs by Trino; `single`: a CTAS (one file);
 * - `rolled`: a CTAS and two INSERTs, then re-registered at its previous metadata file, as a metastore restore
 *   that was not reconciled leaves it (the catalog is behind its files).
 * What must hold: file and snapshot counts fall, every row is still there (count and checksum before and after),
 * time travel inside the retention works and outside it does not, a fresh orphan file is kept, `rolled` is not
 * touched at all, and right after a reconciled restore (its record present) orphan removal is refused and a table
 * the reconcile left divergent is left alone.
 */
import { strict as assert } from "node:assert";
import { randomBytes } from "node:crypto";
import { CreateBucketCommand, HeadObjectCommand, PutObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { MAINTENANCE_METRICS, REFUSAL_REASONS } from "../../stacks/analytics/dashboard";
import { TrinoClient, TrinoQueryError } from "../../verify/http/trino";
import { s3Client } from "../../harness/radosgw";
import { runScript } from "../foundation-scripts/helpers";
import { sharedLakehouse, type Lakehouse } from "../../harness/lakehouse";
import { startPushgateway, type Pushgateway } from "../../harness/pushgateway";
import {
  byTable as tableOf,
  maintenanceEnv,
  runMaintenance,
  type MaintenanceOutcome as Outcome,
  type TableOutcome,
} from "./maintenance-run";

const RUN = randomBytes(3).toString("hex");
const SCHEMA = `tm_${RUN}`;
const BACKUP_BUCKET = "lakehouse-metastore-backup";
const PREFIX = `metastore-${RUN}`;
const JOB = "lakehouse-table-maintenance";

/** The sample of `name` whose labels include all of `labels` in a Prometheus text page, or undefined. */
function sample(text: string, name: string, labels: Record<string, string>): number | undefined {
  for (const line of text.split("\n")) {
    const m = new RegExp(`^${name}\\{([^}]*)\\} (\\S+)$`).exec(line);
    if (!m) continue;
    const have = Object.fromEntries(
      [...m[1].matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map((x) => [x[1], x[2]]),
    );
    if (Object.entries(labels).every(([k, v]) => have[k] === v)) return Number(m[2]);
  }
  return undefined;
}

describe("table maintenance on real Trino 476 (HMS 4.0.0 + radosgw + Pushgateway)", function () {
  this.timeout(1_200_000);
  let lh: Lakehouse;
  let pgw: Pushgateway;
  let trino: TrinoClient;
  let s3: S3Client;
  let orphanKey = "";
  /** The metadata file `rolled` was re-registered at. */
  let back: string | undefined;
  /** Snapshot ids of `events`, oldest first, before any maintenance. */
  let eventsSnapshots: string[] = [];
  /** count(*) and checksums of each table before maintenance. */
  const fingerprint: Record<string, unknown[]> = {};

  const q = async (sql: string): Promise<unknown[][]> => (await trino.query(sql)).rows as unknown[][];
  const t = (name: string) => `iceberg.${SCHEMA}.${name}`;
  const fp = async (name: string) =>
    (await q(`SELECT count(*), checksum(id), checksum(name), sum(amount) FROM ${t(name)}`))[0];
  const snapshotCount = async (name: string) =>
    Number((await q(`SELECT count(*) FROM ${t(`"${name}$snapshots"`)}`))[0][0]);

  const env = (): Record<string, string> =>
    maintenanceEnv(
      lh,
      {
        bucket: BACKUP_BUCKET,
        prefix: PREFIX,
        accessKeyId: lh.rgw.accessKeyId,
        secretAccessKey: lh.rgw.secretAccessKey,
      },
      { SCHEMAS: SCHEMA, PUSHGATEWAY_URL: pgw.url, PUSH_JOB: JOB },
    );
  const maintain = (...args: string[]) => runMaintenance(env(), ...args);
  const byTable = (o: Outcome, name: string): TableOutcome => tableOf(o, `${SCHEMA}.${name}`);
  const putRecord = (record: unknown) =>
    s3.send(
      new PutObjectCommand({
        Bucket: BACKUP_BUCKET,
        Key: `${PREFIX}/reconcile/latest.json`,
        Body: typeof record === "string" ? record : JSON.stringify(record),
      }),
    );
  const exists = async (key: string) => {
    try {
      await s3.send(new HeadObjectCommand({ Bucket: lh.bucket, Key: key }));
      return true;
    } catch {
      return false;
    }
  };

  before(async () => {
    const t0 = Date.now();
    [lh, pgw] = await Promise.all([sharedLakehouse(), startPushgateway()]);
    const tEngines = Date.now();
    trino = new TrinoClient({ baseUrl: lh.trino.url, label: lh.trino.url }, { queryTimeoutMs: 300_000 });
    s3 = s3Client(lh.rgw);
    await s3.send(new CreateBucketCommand({ Bucket: BACKUP_BUCKET })).catch((e: Error) => {
      if (!/BucketAlreadyOwnedByYou|BucketAlreadyExists/.test(e.name)) throw e;
    });
    await q(`CREATE SCHEMA iceberg.${SCHEMA}`);

    // `events`: five appends 30 days ago. pyiceberg stamps snapshots with time.time() and metadata with
    // datetime.now(); both are shifted in its modules only (S3 signing keeps the real clock).
    const py = await runScript(
      "python3",
      [
        "-c",
        `
import datetime as _dt, json, os, time, types
import pyarrow as pa
import pyiceberg.table.metadata as meta_mod, pyiceberg.table.snapshots as snap_mod, pyiceberg.table.update as upd_mod
from pyiceberg.catalog import load_catalog
from pyiceberg.schema import Schema
from pyiceberg.types import DoubleType, LongType, NestedField, StringType
clock = {"t": time.time() - 30 * 86400}
class FakeDateTime(_dt.datetime):
    @classmethod
    def now(cls, tz=None):
        return _dt.datetime.fromtimestamp(clock["t"], tz or _dt.timezone.utc)
snap_mod.time = types.SimpleNamespace(time=lambda: clock["t"])
meta_mod.datetime = types.SimpleNamespace(datetime=FakeDateTime)
upd_mod.datetime = FakeDateTime
cat = load_catalog("lakehouse", **{"type": "hive", "uri": os.environ["HMS_URI"],
  "s3.endpoint": os.environ["S3_ENDPOINT"], "s3.access-key-id": os.environ["AWS_ACCESS_KEY_ID"],
  "s3.secret-access-key": os.environ["AWS_SECRET_ACCESS_KEY"], "s3.region": os.environ["AWS_REGION"]})
schema = Schema(NestedField(1, "id", LongType(), required=False), NestedField(2, "name", StringType(), required=False),
  NestedField(3, "amount", DoubleType(), required=False))
tbl = cat.create_table("${SCHEMA}.events", schema=schema)
for batch in range(5):
    clock["t"] += 60
    ids = list(range(batch * 10, batch * 10 + 10))
    tbl.append(pa.table({"id": pa.array(ids, pa.int64()), "name": [f"old-{i}" for i in ids], "amount": [i * 1.5 for i in ids]}))
print(json.dumps({"location": tbl.metadata.location, "snapshots": len(tbl.metadata.snapshots)}))
`,
      ],
      {
        HMS_URI: lh.hms.uri,
        S3_ENDPOINT: lh.rgw.endpoint,
        AWS_ACCESS_KEY_ID: lh.rgw.accessKeyId,
        AWS_SECRET_ACCESS_KEY: lh.rgw.secretAccessKey,
        AWS_REGION: lh.rgw.region,
        AWS_REQUEST_CHECKSUM_CALCULATION: "when_required",
      },
      180_000,
    );
    assert.equal(py.code, 0, py.stderr.slice(-3000));
    const tPy = Date.now();
    assert.equal(py.json?.snapshots, 5);
    const location = String(py.json?.location);
    const m = /^s3a?:\/\/([^/]+)\/(.+)$/.exec(location);
    assert.ok(m && m[1] === lh.bucket, location);
    for (const batch of [50, 60])
      await q(
        `INSERT INTO ${t("events")} SELECT id, 'new-' || CAST(id AS varchar), id * 1.5 FROM UNNEST(sequence(${batch}, ${batch + 9})) AS x(id)`,
      );
    // A file in the table's folder that no snapshot references, written now: younger than any retention.
    orphanKey = `${m[2]}/data/orphan-${RUN}.parquet`;
    await s3.send(
      new PutObjectCommand({ Bucket: lh.bucket, Key: orphanKey, Body: "not referenced by any snapshot" }),
    );

    await q(`CREATE TABLE ${t("single")} AS SELECT BIGINT '1' AS id, 'a' AS name, DOUBLE '1.5' AS amount`);
    for (const name of ["daily", "rolled"]) {
      await q(`CREATE TABLE ${t(name)} AS SELECT BIGINT '1' AS id, 'a' AS name, DOUBLE '1.5' AS amount`);
      await q(`INSERT INTO ${t(name)} VALUES (2, 'b', 3.0)`);
      await q(`INSERT INTO ${t(name)} VALUES (3, 'c', 4.5)`);
    }
    // `rolled`: the catalog goes back to the last metadata file before the last INSERT (a restored dump's pointer).
    // Trino writes more than one metadata file per INSERT (the commit, then its statistics), so pick by snapshot.
    const rolledSnapshots = await q(
      `SELECT CAST(snapshot_id AS varchar) FROM ${t(`"rolled$snapshots"`)} ORDER BY committed_at`,
    );
    assert.equal(rolledSnapshots.length, 3);
    const log = await q(
      `SELECT file, CAST(latest_snapshot_id AS varchar) FROM ${t(`"rolled$metadata_log_entries"`)} ORDER BY timestamp`,
    );
    back = log
      .filter((r) => r[1] === rolledSnapshots[1][0])
      .map((r) => String(r[0]))
      .pop();
    assert.ok(back, JSON.stringify(log));
    const rolledLocation = back.replace(/\/metadata\/[^/]+$/, "");
    await q(`CALL iceberg.system.unregister_table(schema_name => '${SCHEMA}', table_name => 'rolled')`);
    await q(
      `CALL iceberg.system.register_table(schema_name => '${SCHEMA}', table_name => 'rolled', table_location => '${rolledLocation}', metadata_file_name => '${back.split("/").pop()}')`,
    );
    assert.deepEqual(await q(`SELECT count(*) FROM ${t("rolled")}`), [[2]], "rolled is back at 2 rows");

    eventsSnapshots = (
      await q(`SELECT CAST(snapshot_id AS varchar) FROM ${t(`"events$snapshots"`)} ORDER BY committed_at`)
    ).map((r) => String(r[0]));
    assert.equal(eventsSnapshots.length, 7);
    for (const name of ["events", "daily", "rolled"]) fingerprint[name] = await fp(name);
    const secs = (a: number, b: number) => ((b - a) / 1000).toFixed(1);
    process.stderr.write(
      `      [maintenance] engines ready after ${secs(t0, tEngines)} s; tables written by pyiceberg in ${secs(tEngines, tPy)} s, by Trino in ${secs(tPy, Date.now())} s\n`,
    );
  });

  after(async () => {
    await q(`DROP SCHEMA IF EXISTS iceberg.${SCHEMA} CASCADE`).catch(() => undefined);
    s3?.destroy();
    await pgw?.stop();
  });

  it("a dry run measures and decides but changes nothing and pushes nothing", async () => {
    const { run, out } = await maintain("--dry-run");
    assert.equal(run.code, 0, run.stderr.slice(-3000));
    assert.equal(out.dryRun, true);
    assert.equal(out.pushed, false);
    assert.deepEqual(byTable(out, "events").steps, {
      optimize: "dry-run",
      expireSnapshots: "dry-run",
      removeOrphanFiles: "dry-run",
    });
    assert.equal(await snapshotCount("events"), 7);
    assert.equal(sample(await pgw.scrape(), "lakehouse_table_maintenance_success", { job: JOB }), undefined);
  });

  it("compacts and expires past the retention: file and snapshot counts fall, every row stays, time travel inside the window works", async () => {
    const t0 = Date.now();
    const { run, out } = await maintain();
    const secs = (Date.now() - t0) / 1000;
    assert.equal(run.code, 0, run.stderr.slice(-3000));
    assert.equal(out.ok, true);
    assert.deepEqual(out.orphanRemoval.reasons, []);

    const events = byTable(out, "events");
    assert.equal(events.status, "maintained", JSON.stringify(events));
    assert.deepEqual(events.steps, { optimize: "done", expireSnapshots: "done", removeOrphanFiles: "done" });
    assert.deepEqual([events.before?.files, events.before?.snapshots], [7, 7]);
    // optimize folds the 7 small files into 1 (one more snapshot); the 5 snapshots of 30 days ago expire.
    assert.deepEqual([events.after?.files, events.after?.snapshots], [1, 3]);
    const daily = byTable(out, "daily");
    assert.equal(daily.status, "maintained");
    assert.deepEqual([daily.before?.files, daily.after?.files], [3, 1]);
    assert.deepEqual(
      [daily.before?.snapshots, daily.after?.snapshots],
      [3, 4],
      "nothing is older than 14 days",
    );

    // A table that is one file already gets no new snapshot: nothing is rewritten or committed night after night.
    const single = byTable(out, "single");
    assert.deepEqual([single.before?.files, single.after?.files], [1, 1]);
    assert.deepEqual([single.before?.snapshots, single.after?.snapshots], [1, 1]);

    // Every row, every value: count and checksums before and after.
    for (const name of ["events", "daily"]) assert.deepEqual(await fp(name), fingerprint[name], name);
    assert.deepEqual((await fp("events"))[0], 70);
    // Time travel: the first Trino INSERT (today) still reads as it was; a snapshot of 30 days ago is gone.
    assert.deepEqual(await q(`SELECT count(*) FROM ${t("events")} FOR VERSION AS OF ${eventsSnapshots[5]}`), [
      [60],
    ]);
    await assert.rejects(
      q(`SELECT count(*) FROM ${t("events")} FOR VERSION AS OF ${eventsSnapshots[0]}`),
      (e: Error) => e instanceof TrinoQueryError && /snapshot/i.test(e.message),
    );
    // The orphan is younger than the retention: orphan removal ran and kept it.
    assert.ok(await exists(orphanKey), "a fresh orphan file must survive");

    // `rolled`: the catalog is behind its files, so nothing touched it.
    const rolled = byTable(out, "rolled");
    assert.equal(rolled.status, "skipped");
    assert.equal(rolled.reason, "catalog-behind-bucket");
    assert.match(
      String(rolled.detail),
      new RegExp(
        `the bucket holds .*\\.metadata\\.json beside the catalog's ${String(back).split("/").pop()}`,
      ),
    );
    assert.deepEqual(rolled.steps, {});
    assert.equal(await snapshotCount("rolled"), 2);
    assert.deepEqual(await fp("rolled"), fingerprint.rolled);

    // The outcome as Prometheus scrapes it from the Pushgateway: every documented family, as a gauge.
    const page = await pgw.scrape();
    for (const mdef of MAINTENANCE_METRICS)
      assert.match(page, new RegExp(`^# TYPE ${mdef.name} ${mdef.type}$`, "m"), mdef.name);
    const lbl = (table: string, extra: Record<string, string> = {}) => ({
      job: JOB,
      schema: SCHEMA,
      table,
      ...extra,
    });
    assert.equal(sample(page, "lakehouse_table_maintenance_success", { job: JOB }), 1);
    assert.equal(sample(page, "lakehouse_iceberg_table_files", lbl("events", { point: "before" })), 7);
    assert.equal(sample(page, "lakehouse_iceberg_table_files", lbl("events", { point: "after" })), 1);
    assert.equal(sample(page, "lakehouse_iceberg_table_snapshots", lbl("events", { point: "after" })), 3);
    assert.equal(
      sample(
        page,
        "lakehouse_table_maintenance_table_status",
        lbl("rolled", { status: "skipped", reason: "catalog-behind-bucket" }),
      ),
      1,
    );
    for (const r of REFUSAL_REASONS)
      assert.equal(
        sample(page, "lakehouse_table_maintenance_orphan_removal_refused", { job: JOB, reason: r }),
        0,
        r,
      );
    process.stderr.write(
      `      [maintenance] run over 4 tables: ${secs.toFixed(1)} s; events: ${JSON.stringify(events.seconds)}\n`,
    );
  });

  it("right after a reconciled restore it refuses orphan removal, says so in output and metric, and leaves a divergent table alone", async () => {
    // The record restore.sh's reconcile writes (contract with issue 14a), one hour ago, naming `daily` divergent.
    await putRecord({
      event: "reconcile",
      ok: true,
      time: new Date(Date.now() - 3600_000).toISOString(),
      dryRun: false,
      moved: [`${SCHEMA}.events`],
      registered: [],
      left: [{ table: `${SCHEMA}.daily`, reason: "its newest metadata does not descend from the catalog's" }],
      missing: [],
    });
    // Small files again on both tables: a maintained table folds them, a table left alone keeps them.
    for (const name of ["events", "daily"]) {
      await q(`INSERT INTO ${t(name)} VALUES (900, 'x', 1.0)`);
      await q(`INSERT INTO ${t(name)} VALUES (901, 'y', 2.0)`);
    }
    const dailyBefore = [await snapshotCount("daily"), await fp("daily")];
    const { run, out } = await maintain();
    assert.equal(run.code, 0, run.stderr.slice(-3000));
    assert.equal(out.orphanRemoval.allowed, false);
    assert.deepEqual(out.orphanRemoval.reasons, ["restore-reconciled", "divergent-tables"]);
    assert.match(out.orphanRemoval.why, /a restore was reconciled at .* within the 14-day retention/);
    assert.match(run.stderr, /orphan removal REFUSED: /);

    const events = byTable(out, "events");
    assert.deepEqual(events.steps, {
      optimize: "done",
      expireSnapshots: "done",
      removeOrphanFiles: "refused",
    });
    assert.deepEqual([events.before?.files, events.after?.files], [3, 1]);
    assert.ok(await exists(orphanKey));

    const daily = byTable(out, "daily");
    assert.equal(daily.status, "skipped");
    assert.equal(daily.reason, "divergent-after-restore");
    assert.deepEqual(daily.steps, {});
    assert.deepEqual([await snapshotCount("daily"), await fp("daily")], dailyBefore, "daily untouched");

    const page = await pgw.scrape();
    assert.equal(
      sample(page, "lakehouse_table_maintenance_orphan_removal_refused", {
        job: JOB,
        reason: "restore-reconciled",
      }),
      1,
    );
    assert.equal(
      sample(page, "lakehouse_table_maintenance_orphan_removal_refused", {
        job: JOB,
        reason: "divergent-tables",
      }),
      1,
    );
    assert.equal(
      sample(page, "lakehouse_table_maintenance_orphan_removal_refused", {
        job: JOB,
        reason: "record-unreadable",
      }),
      0,
    );
    assert.equal(
      sample(page, "lakehouse_table_maintenance_table_status", {
        job: JOB,
        schema: SCHEMA,
        table: "daily",
        status: "skipped",
        reason: "divergent-after-restore",
      }),
      1,
    );
  });

  it("reads the record from the bucket: an old clean reconcile allows orphan removal, an unreadable one refuses it", async () => {
    await putRecord({
      event: "reconcile",
      ok: true,
      time: new Date(Date.now() - 20 * 86400_000).toISOString(),
      dryRun: false,
      moved: [],
      registered: [],
      left: [],
      missing: [],
    });
    let { out } = await maintain("--dry-run");
    assert.deepEqual(out.orphanRemoval.reasons, []);
    assert.match(out.orphanRemoval.why, /older than the retention and left no divergent table/);
    await putRecord("{ not json");
    ({ out } = await maintain("--dry-run"));
    assert.deepEqual(out.orphanRemoval.reasons, ["record-unreadable"]);
    assert.match(
      out.orphanRemoval.why,
      new RegExp(`s3://${BACKUP_BUCKET}/${PREFIX}/reconcile/latest\\.json is not JSON`),
    );
  });
});
