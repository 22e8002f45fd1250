/**
 * Abandoned table locks on REAL engines: two Hive Metastore 4.0.0 instances on one PostgreSQL database (the
 * product runs two replicas), both with the lock housekeeping metastoreSite.ts renders, the timeout scaled to
 * its 60 s floor through the same config key a user sets (TEST_LOCK_TIMEOUT_SECONDS; the product's default is
 * 300 s). Instance A is the shared lakehouse's (Trino's catalog points at it); instance B runs the product's
 * whole rendered metastore-site.xml with its S3 keys from the environment and the product's JMX exporter rules.
 *
 * The scenario of issue 20: an Iceberg table takes commits; a writer dies holding the table's lock (the very
 * LockRequest an Iceberg commit sends, from pyiceberg's Thrift types); commits fail while it is held; the
 * metastores release it within the timeout + one housekeeping run, exactly once between them; a writer that
 * keeps heartbeating keeps its lock all along; then the daily ingestion (the product's PySpark job, through B)
 * and Trino (through A) commit, and every row is there. Along the way: the metastore's own lock gauge through
 * the exporter, the runbook's SQL on the real schema, and the verification's lock probe with its check.
 */
import { strict as assert } from "node:assert";
import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { PutObjectCommand } from "@aws-sdk/client-s3";
import { configSchema } from "../../../preflight/config/schema";
import { JMX_EXPORTER_JAR } from "../../../stacks/platform/artifacts";
import {
  LOCK_HOUSEKEEPING_INTERVAL_SECONDS,
  lockReleaseBoundSeconds,
  metastoreSiteProperties,
  renderJmxExporterConfig,
} from "../../../stacks/foundation/metastoreSite";
import { TrinoClient } from "../../../verify/http/trino";
import { localSparkConf, sparkInstall, submitJob, type SparkInstall } from "../../compute-engines/spark";
import {
  asJob,
  foundationChecks,
  runScript,
  VERIFY_SCRIPTS,
  type ScriptRun,
} from "../../foundation-scripts/helpers";
import {
  startHiveMetastore,
  TEST_LOCK_TIMEOUT_SECONDS,
  type HiveMetastore,
} from "../../../harness/hive-metastore";
import { sharedLakehouse, type Lakehouse } from "../../../harness/lakehouse";
import { freePort, tail, waitFor } from "../../../harness/proc";
import { s3Client } from "../../../harness/radosgw";

const HELPER = path.join(__dirname, "hms_locks.py");
const PROBE = path.join(VERIFY_SCRIPTS, "metastore_lock_timeout.py");
const JMX_AGENT = path.join(
  process.env.LAKEHOUSE_CACHE ?? path.join(os.homedir(), ".cache", "lakehouse"),
  "jmx-exporter",
  JMX_EXPORTER_JAR.file,
);
/** Timeout + one housekeeping run: 90 s here. */
const BOUND = lockReleaseBoundSeconds(TEST_LOCK_TIMEOUT_SECONDS);
/** How often this test looks (a release is seen up to this late) plus scheduling slack on a loaded 2-core box. */
const SLACK_SECONDS = 10;
const HEADER = "event_id,event_time,user_id,event_type,amount";

/** Rows as Trino VALUES and as the ingest job's CSV: ids e-000001.., 7 minutes apart on 2026-11-28. */
function rows(first: number, n: number): { values: string; csv: string } {
  const r = Array.from({ length: n }, (_, k) => {
    const i = first + k;
    const t = new Date(Date.UTC(2026, 10, 28) + i * 7 * 60_000).toISOString().replace(".000Z", "Z");
    return { id: `e-${String(i).padStart(6, "0")}`, t, user: `u-${i % 5}`, type: "view", amount: `${i}.25` };
  });
  return {
    values: r
      .map(
        (x) =>
          `('${x.id}', from_iso8601_timestamp('${x.t}'), '${x.user}', '${x.type}', DECIMAL '${x.amount}')`,
      )
      .join(", "),
    csv: [HEADER, ...r.map((x) => `${x.id},${x.t},${x.user},${x.type},${x.amount}`)].join("\n") + "\n",
  };
}

/** The runbook's SQL blocks for the lock alert, in order (what an operator pastes into psql). */
function runbookSql(): string[] {
  const md = fs.readFileSync(path.resolve(__dirname, "../../../docs/runbooks/foundation.md"), "utf8");
  const section = md.slice(md.indexOf('<a id="metastorelockheldtoolong"></a>'));
  const out: string[] = [];
  for (const m of section.matchAll(/<<'SQL'\n([\s\S]*?)\n\s*SQL\n/g)) {
    out.push(m[1].replace(/^ {3}/gm, ""));
    if (out.length === 2) break;
  }
  return out;
}

/** "Deleted N locks due to timed-out. Lock ids: [..]" lines of a metastore log, from byte `from` on. */
function deletions(logFile: string, from: number): number[][] {
  const text = fs.readFileSync(logFile, "utf8").slice(from);
  return [...text.matchAll(/Deleted \d+ locks due to timed-out\. Lock ids: \[([^\]]*)\]/g)].map((m) =>
    m[1]
      .split(",")
      .map((s) => Number(s.trim()))
      .filter((n) => Number.isFinite(n)),
  );
}

/**
 * WARN/ERROR lines of the lock and transaction machinery (housekeeping, its database mutex, the lock calls), from
 * byte `from` on. Connection-pool settings logged at start-up are not about locks.
 */
function housekeepingProblems(logFile: string, from: number): string[] {
  return fs
    .readFileSync(logFile, "utf8")
    .slice(from)
    .split("\n")
    .filter((l) => {
      const m = /^\S+\s+(?:WARN|ERROR) \[[^\]]*\] (\S+): (.*)$/.exec(l);
      if (!m) return false;
      return (
        /txn|HouseKeeper|PerformTimeouts|Mutex|leader/i.test(m[1]) ||
        /deadlock|could not serialize|HIVE_LOCKS|AUX_TABLE/i.test(m[2])
      );
    });
}

describe("metastore lock housekeeping on real engines: an abandoned lock expires, a live one does not", function () {
  this.timeout(900_000);
  const t0 = Date.now();
  const config = configSchema.parse({
    foundation: { metastoreLockTimeoutSeconds: TEST_LOCK_TIMEOUT_SECONDS },
  });
  const schema = `locks_${Date.now().toString(36)}`;
  let lh: Lakehouse;
  let b: HiveMetastore | undefined;
  let spark: SparkInstall;
  let trino: TrinoClient;
  let metricsPort: number;
  let work: string;
  const logStart = { a: 0, b: 0 };
  const timings: string[] = [];
  const q = async (sql: string): Promise<unknown[][]> => (await trino.query(sql)).rows as unknown[][];
  const py = (args: string[], timeoutMs = 120_000): Promise<ScriptRun> =>
    runScript("python3", [HELPER, ...args], {}, timeoutMs);
  const show = async (uri: string, db?: string, table?: string) => {
    const r = await py(["show", uri, ...(db && table ? [db, table] : [])]);
    assert.equal(r.code, 0, r.stderr);
    return JSON.parse(r.stdout) as { lockId: number; table: string; state: string; host: string }[];
  };
  const metrics = async (): Promise<Record<string, number>> => {
    const text = await (
      await fetch(`http://127.0.0.1:${metricsPort}/metrics`, { signal: AbortSignal.timeout(10_000) })
    ).text();
    return Object.fromEntries(
      [...text.matchAll(/^(hive_metastore_(?:num_locks|oldest_lock_age_in_sec)) (\S+)$/gm)].map((m) => [
        m[1],
        Number(m[2]),
      ]),
    );
  };

  before(async () => {
    spark = sparkInstall();
    assert.ok(
      fs.existsSync(JMX_AGENT),
      `the JMX exporter agent is missing: run bash .ci/setup.d/45-jmx-exporter.sh`,
    );
    assert.equal(
      createHash("sha256").update(fs.readFileSync(JMX_AGENT)).digest("hex"),
      JMX_EXPORTER_JAR.sha256,
      "the cached agent is not the one stacks/platform/artifacts.ts pins: update .ci/setup.d/45-jmx-exporter.sh",
    );
    lh = await sharedLakehouse();
    trino = new TrinoClient({ baseUrl: lh.trino.url, label: lh.trino.url }, { queryTimeoutMs: 300_000 });
    work = fs.mkdtempSync(path.join(os.tmpdir(), "lakehouse-locks-"));
    metricsPort = await freePort();
    fs.writeFileSync(path.join(work, "jmx-exporter.yaml"), renderJmxExporterConfig());
    // The product's whole rendered site file, but for what the harness owns (its port, the shared database's URL).
    const rendered = metastoreSiteProperties({
      jdbcUrl: "jdbc:postgresql://unused/metastore",
      warehouseBucket: lh.bucket,
      s3Endpoint: lh.rgw.endpoint,
      s3Region: lh.rgw.region,
      lockTimeoutSeconds: config.foundation.metastoreLockTimeoutSeconds,
    }).filter((p) => !["javax.jdo.option.ConnectionURL", "metastore.thrift.port"].includes(p.name));
    b = await startHiveMetastore({
      pg: lh.pg,
      rgw: lh.rgw,
      bucket: lh.bucket,
      sharedDatabase: lh.hms.database,
      lockTimeoutSeconds: config.foundation.metastoreLockTimeoutSeconds,
      // The harness's own external warehouse dir is not in the product's file: with it beside the product's
      // warehouse dir, HMS 4 refuses external (Iceberg) tables under the managed root.
      extraConf: {
        ...Object.fromEntries(rendered.map((p) => [p.name, p.value])),
        "metastore.warehouse.external.dir": "",
      },
      jvmArgs: [`-javaagent:${JMX_AGENT}=127.0.0.1:${metricsPort}:${path.join(work, "jmx-exporter.yaml")}`],
      env: { AWS_ACCESS_KEY_ID: lh.rgw.accessKeyId, AWS_SECRET_ACCESS_KEY: lh.rgw.secretAccessKey },
    });
    logStart.a = fs.statSync(lh.hms.logFile).size;
    logStart.b = fs.statSync(b.logFile).size;
    timings.push(`engines ${((Date.now() - t0) / 1000).toFixed(0)} s`);
  });

  afterEach(function () {
    if (this.currentTest?.state === "failed") {
      for (const [name, f] of [
        ["A", lh?.hms.logFile],
        ["B", b?.logFile],
      ] as const) {
        if (f) console.log(`      --- metastore ${name} (${f}):\n${tail(f, 40)}`);
      }
    }
  });

  after(async () => {
    await b?.stop();
    if (work) fs.rmSync(work, { recursive: true, force: true });
    console.log(`      wall time ${((Date.now() - t0) / 1000).toFixed(0)} s: ${timings.join(", ")}`);
  });

  it("an Iceberg table takes commits normally (Trino through metastore A)", async () => {
    await q(`CREATE SCHEMA iceberg.${schema}`);
    await q(
      `CREATE TABLE iceberg.${schema}.t (event_id varchar, event_time timestamp(6) with time zone, user_id varchar, ` +
        `event_type varchar, amount decimal(12,2)) WITH (partitioning = ARRAY['day(event_time)'])`,
    );
    const r = await trino.query(`INSERT INTO iceberg.${schema}.t VALUES ${rows(1, 3).values}`);
    assert.equal(r.updateCount, 3);
  });

  let abandoned = 0;
  let liveId = 0;
  let released = 0;
  let live: Promise<ScriptRun>;
  let probe: Promise<ScriptRun>;
  const gauge = { maxAge: -1, maxLocks: -1 };

  it("a writer dies holding the table's lock: commits fail while it is held, and it is gone within the timeout + 30 s", async () => {
    const taken = Date.now();
    const a = await py(["abandon", lh.hms.uri, schema, "t"]);
    assert.equal(a.code, 0, a.stderr);
    assert.equal(a.json?.state, "ACQUIRED");
    abandoned = Number(a.json?.lockId);
    // A live writer on another table through B, heartbeating every 10 s for the whole wait and then some; and the
    // verification's lock probe through B, as its Job runs it.
    live = py(
      ["hold", b!.uri, schema, "t_live", String(BOUND + 2 * LOCK_HOUSEKEEPING_INTERVAL_SECONDS), "10"],
      600_000,
    );
    probe = runScript(
      "python3",
      [PROBE],
      {
        METASTORE_URI: b!.uri,
        LOCK_TABLE: "abandoned_it",
        LOCK_TIMEOUT_SECONDS: String(config.foundation.metastoreLockTimeoutSeconds),
      },
      600_000,
    );
    await waitFor(
      "the live writer's lock",
      async () => {
        liveId = (await show(b!.uri, schema, "t_live")).find((l) => l.host === "live-writer")?.lockId ?? 0;
        return liveId > 0;
      },
      30_000,
      500,
    );

    // While it is held, a commit to the table fails (pyiceberg gives up after its four lock checks, ~15 s).
    const tBlocked = Date.now();
    const blocked = await runScript(
      "python3",
      [
        "-c",
        `
import json
from pyiceberg.catalog.hive import HiveCatalog
cat = HiveCatalog("c", uri="${lh.hms.uri}", **{"s3.endpoint": "${lh.rgw.endpoint}", "s3.region": "${lh.rgw.region}",
  "s3.access-key-id": "${lh.rgw.accessKeyId}", "s3.secret-access-key": "${lh.rgw.secretAccessKey}"})
t = cat.load_table("${schema}.t")
try:
    # A metadata-only commit: it needs the table lock like any other, and writes no data file.
    with t.transaction() as tx:
        tx.set_properties(blocked="yes")
    print(json.dumps({"committed": True}))
except Exception as e:
    print(json.dumps({"committed": False, "error": f"{type(e).__name__}: {e}"}))
`,
      ],
      { AWS_REQUEST_CHECKSUM_CALCULATION: "when_required" },
    );
    assert.equal(blocked.json?.committed, false, blocked.stdout + blocked.stderr);
    assert.match(String(blocked.json?.error), /CommitFailedException: .*lock/i);
    timings.push(`commit while locked failed after ${((Date.now() - tBlocked) / 1000).toFixed(0)} s`);

    // The runbook's query, on the real schema, shows it as held, with its writer's host.
    const [select] = runbookSql();
    const listed = await lh.pg.psql(select, lh.hms.database);
    assert.match(listed, new RegExp(`^${abandoned}\\|${schema}\\|t\\|a\\|lock-test\\|killed-writer\\|`, "m"));

    await waitFor(
      `the abandoned lock ${abandoned} to be released`,
      async () => {
        const m = await metrics().catch(() => ({}) as Record<string, number>);
        gauge.maxAge = Math.max(gauge.maxAge, m.hive_metastore_oldest_lock_age_in_sec ?? -1);
        gauge.maxLocks = Math.max(gauge.maxLocks, m.hive_metastore_num_locks ?? -1);
        return !(await show(lh.hms.uri, schema, "t")).some((l) => l.lockId === abandoned);
      },
      (BOUND + 60) * 1000,
      2_000,
    );
    released = (Date.now() - taken) / 1000;
    timings.push(`abandoned lock released after ${released.toFixed(0)} s (bound ${BOUND} s)`);
    assert.ok(
      released >= TEST_LOCK_TIMEOUT_SECONDS - 2,
      `released after ${released} s: before the ${TEST_LOCK_TIMEOUT_SECONDS} s timeout?`,
    );
    assert.ok(released <= BOUND + SLACK_SECONDS, `released after ${released.toFixed(1)} s; bound ${BOUND} s`);
  });

  it("the metastore's own gauge, through the product's exporter rules, showed the held lock", () => {
    // AcidMetricService refreshes every 60 s, so at least one refresh fell inside the lock's 60-90 s life.
    assert.ok(gauge.maxLocks >= 1, `hive_metastore_num_locks never showed a lock: ${JSON.stringify(gauge)}`);
    assert.ok(
      gauge.maxAge >= 1,
      `hive_metastore_oldest_lock_age_in_sec never rose: ${JSON.stringify(gauge)}`,
    );
    timings.push(`gauge peaked at ${gauge.maxLocks} locks, oldest ${gauge.maxAge} s`);
  });

  it("the next commits succeed: the product's PySpark ingest job through metastore B, then Trino through A; every row is there", async () => {
    const key = `landing/${schema}/events.csv`;
    const csv = rows(4, 3).csv;
    await s3Client(lh.rgw).send(
      new PutObjectCommand({ Bucket: lh.bucket, Key: key, Body: csv, ContentLength: Buffer.byteLength(csv) }),
    );
    const conf = localSparkConf(
      { metastoreUri: b!.uri, bucket: lh.bucket, s3Endpoint: lh.rgw.endpoint, s3Region: lh.rgw.region },
      spark,
    );
    const run = await submitJob({
      install: spark,
      conf,
      credentials: lh.rgw,
      workDir: work,
      args: [
        "--source",
        `s3a://${lh.bucket}/landing/${schema}/`,
        "--format",
        "csv",
        "--table",
        `lakehouse.${schema}.t`,
        "--aggregate-table",
        `lakehouse.${schema}.t_daily`,
      ],
    });
    timings.push(`PySpark ingest ${(run.ms / 1000).toFixed(0)} s`);
    assert.equal(run.code, 0, `the ingest job failed: ${run.lastError}\n${run.stderr.slice(-3000)}`);
    assert.equal(run.result?.rows_merged, 3);
    assert.equal(run.result?.table_rows, 6);

    const t1 = Date.now();
    const r = await trino.query(`INSERT INTO iceberg.${schema}.t VALUES ${rows(7, 2).values}`);
    timings.push(`Trino INSERT after the release ${((Date.now() - t1) / 1000).toFixed(1)} s`);
    assert.equal(r.updateCount, 2);
    // 3 from before the lock, 3 from Spark, 2 from Trino; the blocked commit changed nothing.
    assert.deepEqual(await q(`SELECT value FROM iceberg.${schema}."t$properties" WHERE key = 'blocked'`), []);
    assert.deepEqual(
      await q(
        `SELECT count(*), count(DISTINCT event_id), min(event_id), max(event_id) FROM iceberg.${schema}.t`,
      ),
      [[8, 8, "e-000001", "e-000008"]],
    );
  });

  it("the live writer kept its lock past the timeout: every heartbeat answered, still held at the end", async () => {
    const r = await live;
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.json?.event, "released");
    assert.deepEqual(r.json?.heartbeatErrors, []);
    assert.ok(Number(r.json?.heartbeats) >= BOUND / 10, JSON.stringify(r.json));
    assert.equal(r.json?.presentAtEnd, true, "housekeeping must not remove a heartbeating writer's lock");
    assert.equal(r.json?.unlocked, true);
  });

  it("two metastores cleaned without stepping on each other: the lock deleted once, no housekeeping warning or error", () => {
    const a = deletions(lh.hms.logFile, logStart.a);
    const bb = deletions(b!.logFile, logStart.b);
    const all = [...a, ...bb].flat();
    assert.equal(
      all.filter((id) => id === abandoned).length,
      1,
      `deletions: A ${JSON.stringify(a)}, B ${JSON.stringify(bb)}`,
    );
    assert.ok(!all.includes(liveId), `the live writer's lock ${liveId} was deleted`);
    assert.deepEqual(housekeepingProblems(lh.hms.logFile, logStart.a), []);
    assert.deepEqual(housekeepingProblems(b!.logFile, logStart.b), []);
    // Both really ran housekeeping (each instance is its own leader).
    for (const f of [lh.hms.logFile, b!.logFile]) {
      assert.match(fs.readFileSync(f, "utf8"), /Starting to run AcidHouseKeeperService/, f);
    }
  });

  it("the verification's lock probe saw its abandoned lock released within the bound: verify.metastore-lock-timeout passes", async () => {
    const r = await probe;
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.equal(r.json?.event, "metastore-lock-timeout");
    assert.equal(r.json?.boundSeconds, BOUND);
    const locks = r.json?.locks as { count: number; oldest: { table: string } | null };
    assert.ok(locks.count >= 1, "it saw the other locks held at the time");
    const c = foundationChecks({ lockTimeout: asJob(r) }, config)["verify.metastore-lock-timeout"];
    assert.equal(c.status, "pass", c.observed);
    timings.push(`probe: ${c.observed}`);
  });

  it("the runbook's by-hand delete frees a table at once (for when housekeeping cannot run)", async () => {
    const a = await py(["abandon", lh.hms.uri, schema, "by_hand"]);
    const id = Number(a.json?.lockId);
    const [, del] = runbookSql();
    await lh.pg.psql(del.replace(/= 42;/, `= ${id};`), lh.hms.database);
    assert.deepEqual(await show(b!.uri, schema, "by_hand"), []);
    const again = await py(["abandon", lh.hms.uri, schema, "by_hand"]);
    assert.equal(again.json?.state, "ACQUIRED", "the table can be locked again right away");
    await lh.pg.psql(del.replace(/= 42;/, `= ${Number(again.json?.lockId)};`), lh.hms.database);
  });
});
