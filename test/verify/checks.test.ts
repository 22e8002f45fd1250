/** The post-deploy checks as tables of cases over observations (pure). */
import { strict as assert } from "node:assert";
import { configSchema } from "../../preflight/config/schema";
import type { Status } from "../../preflight/model";
import { backupAgeHours } from "../../verify/foundation/checks/backupRestore";
import { evaluateChecks } from "../../verify/checks";
import { cleanupLeftovers } from "../../verify/checks/common";
import { FOUNDATION_CHECKS } from "../../verify/foundation/checks";
import { percent } from "../../verify/foundation/checks/metastoreAvailable";
import type { FoundationObservations, JobObservation, PrometheusObservation } from "../../verify/types";
import {
  completed,
  LOCK_OK,
  LOCK_STUCK,
  PING_FAIL,
  PING_OK,
  RESTORE_CORRUPT,
  RESTORE_NONE,
  CACHE_OK,
  restoreOk,
  restoreReconciled,
  ROUNDTRIP_FAIL,
  ROUNDTRIP_OK,
} from "./fixtures";

const config = configSchema.parse({});
const now = new Date("2026-11-25T14:00:00Z");
const PROM_OK: PrometheusObservation = {
  state: "ok",
  query: "q",
  window: "30d",
  availability: 0.9995,
  source: "service monitoring/prometheus-operated:9090",
};
const allPass: FoundationObservations = {
  metastorePing: completed(PING_OK),
  prometheus: PROM_OK,
  icebergRoundtrip: completed(ROUNDTRIP_OK),
  backupRestore: completed(restoreOk("2026-11-25T12:00:00Z")),
  artifactCache: completed(CACHE_OK),
  lockTimeout: completed(LOCK_OK),
};
const run = (over: Partial<FoundationObservations>) =>
  Object.fromEntries(
    evaluateChecks(FOUNDATION_CHECKS, { ...allPass, ...over }, { config, now }).map((r) => [r.id, r]),
  );

describe("verify checks (foundation)", () => {
  it("has unique verify.* ids, all critical, in the shared result format", () => {
    const ids = FOUNDATION_CHECKS.map((c) => c.id);
    assert.deepEqual(ids, [
      "verify.metastore-available",
      "verify.iceberg-roundtrip",
      "verify.metadata-backup-restore",
      "verify.artifact-cache",
      "verify.metastore-lock-timeout",
    ]);
    assert.equal(new Set(ids).size, ids.length);
    const results = evaluateChecks(FOUNDATION_CHECKS, allPass, { config, now });
    for (const r of results) {
      assert.equal(r.status, "pass", `${r.id}: ${r.observed}`);
      assert.equal(r.critical, true);
      assert.equal(r.category, "state");
      assert.equal(r.remediation, "");
      assert.ok(r.observed.length > 20 && r.expected.length > 20);
    }
  });

  const cases: {
    name: string;
    over: Partial<FoundationObservations>;
    id: string;
    status: Status;
    observed: RegExp;
    remediation?: RegExp;
  }[] = [
    {
      name: "the cache holds every artifact",
      over: {},
      id: "verify.artifact-cache",
      status: "pass",
      observed:
        /^All \d+ pinned artifacts are in s3:\/\/lakehouse-artifacts \([\d.]+ MiB read back in-cluster\)/,
    },
    {
      name: "the cache lacks one artifact and one is corrupt",
      over: {
        artifactCache: completed(
          {
            ...CACHE_OK,
            ok: false,
            verified: CACHE_OK.artifacts - 2,
            missing: ["postgresql-42.7.4.jar"],
            corrupt: ["pyarrow-21.0.0-cp311-cp311-manylinux_2_28_x86_64.whl"],
          },
          1,
        ),
      },
      id: "verify.artifact-cache",
      status: "fail",
      observed:
        /1 missing \(postgresql-42\.7\.4\.jar\) and 1 with a sha256 that differs from the pin \(pyarrow-21\.0\.0.*\): a pod that needs one will not start/,
      remediation: /pulumi up --replace.*artifact-cache-stage.*docs\/runbooks\/foundation\.md#artifact-cache/,
    },
    {
      name: "the cache cannot be read",
      over: {
        artifactCache: completed(
          {
            ok: false,
            mode: "check",
            error: "could not read the bucket s3://lakehouse-artifacts (HTTP 403)",
          },
          1,
        ),
      },
      id: "verify.artifact-cache",
      status: "unknown",
      observed:
        /The cache could not be read: could not read the bucket s3:\/\/lakehouse-artifacts \(HTTP 403\)/,
      remediation: /Secret of lakehouse-artifacts/,
    },
    {
      name: "ping ok + availability above 99.9 %",
      over: {},
      id: "verify.metastore-available",
      status: "pass",
      observed: /3\/3 get_all_databases calls answered .*availability 99\.950 % over 30d/,
    },
    {
      name: "a failed Thrift call",
      over: { metastorePing: completed(PING_FAIL, 3) },
      id: "verify.metastore-available",
      status: "fail",
      observed: /1 of 2 get_all_databases calls failed; first: thrift:\/\/hive-metastore.*Could not connect/,
      remediation: /kubectl -n lakehouse get pods -l app.kubernetes.io\/name=hive-metastore/,
    },
    {
      name: "availability below the objective",
      over: { prometheus: { ...PROM_OK, availability: 0.995 } } as Partial<FoundationObservations>,
      id: "verify.metastore-available",
      status: "fail",
      observed: /availability 99\.500 % over 30d .* below the objective/,
    },
    {
      name: "Prometheus has no metastore series",
      over: { prometheus: { state: "no-data", query: "q", source: "s", message: "no up series" } },
      id: "verify.metastore-available",
      status: "warn",
      observed: /answered.*availability not measured: no up series/,
    },
    {
      name: "Prometheus unreachable",
      over: {
        prometheus: {
          state: "error",
          source: "service monitoring/prometheus-operated:9090",
          message: "HTTP 503",
        },
      },
      id: "verify.metastore-available",
      status: "warn",
      observed: /could not be queried: HTTP 503/,
      remediation: /--prometheus-url/,
    },
    {
      name: "ping Job could not be created (API unreachable)",
      over: {
        metastorePing: { state: "error", stage: "create", message: "connect ECONNREFUSED 127.0.0.1:1" },
      },
      id: "verify.metastore-available",
      status: "unknown",
      observed: /could not be created: connect ECONNREFUSED/,
      remediation: /create and delete jobs and configmaps .* in namespace lakehouse/,
    },
    {
      name: "ping Job cannot start (image)",
      over: {
        metastorePing: {
          state: "error",
          stage: "start",
          job: "j",
          message: "pod p cannot start: ImagePullBackOff",
        },
      },
      id: "verify.metastore-available",
      status: "unknown",
      observed: /could not start: pod p cannot start: ImagePullBackOff/,
      remediation: /--python-image/,
    },
    {
      name: "round trip ok",
      over: {},
      id: "verify.iceberg-roundtrip",
      status: "pass",
      observed:
        /2 snapshots, 5 rows read back, 3 rows as of the first snapshot, scratch objects purged \(0\.9 s\)/,
    },
    {
      name: "round trip failed at create-table, scratch left",
      over: { icebergRoundtrip: completed(ROUNDTRIP_FAIL, 3) },
      id: "verify.iceberg-roundtrip",
      status: "fail",
      observed: /Step create-table failed: OSError: .*HTTP status 411/,
      remediation: /HTTP 411 .* when_required.*scratch namespace lakehouse_verify_x may be left behind/,
    },
    {
      name: "round trip Job timed out",
      over: {
        icebergRoundtrip: {
          state: "timeout",
          job: "lakehouse-verify-iceberg-r1",
          waitedMs: 600_000,
          logTail: "Collecting pyiceberg",
          detail: "pod Running",
        },
      },
      id: "verify.iceberg-roundtrip",
      status: "unknown",
      observed: /did not finish within 600 s \(pod Running\); last log line: Collecting pyiceberg/,
      remediation: /kubectl -n lakehouse describe job lakehouse-verify-iceberg-r1/,
    },
    {
      name: "round trip Job died without a result line",
      over: { icebergRoundtrip: completed(null, 127) },
      id: "verify.iceberg-roundtrip",
      status: "unknown",
      observed:
        /ended \(failed, exit 127\) without printing its result line; last log line: sh: 1: python: not found/,
    },
    {
      name: "backup 2 h old restores with the same counts",
      over: {},
      id: "verify.metadata-backup-restore",
      status: "pass",
      observed:
        /metastore-20261125T120000Z\.dump \(2\.0 h old, sha256 ok\) restored 5 tables with the live row counts/,
    },
    {
      name: "backup older than backupMaxAgeHours (12)",
      over: { backupRestore: completed(restoreOk("2026-11-24T20:00:00Z")) },
      id: "verify.metadata-backup-restore",
      status: "fail",
      observed: /is 18\.0 h old; the schedule allows 12 h/,
      remediation: /create job --from=cronjob\/metastore-backup/,
    },
    {
      name: "no backup at all",
      over: { backupRestore: completed(RESTORE_NONE, 3) },
      id: "verify.metadata-backup-restore",
      status: "fail",
      observed: /No usable backup: no backup found under s3:\/\/lakehouse-metastore-backup\/metastore\//,
      remediation: /get cronjob metastore-backup/,
    },
    {
      name: "corrupt backup",
      over: { backupRestore: completed(RESTORE_CORRUPT, 4) },
      id: "verify.metadata-backup-restore",
      status: "fail",
      observed: /The newest backup is corrupt: .* sha256 is 1, the recorded one 2/,
    },
    {
      name: "row counts moved since the backup",
      over: { backupRestore: completed(restoreOk("2026-11-25T12:00:00Z", ["public.NOTIFICATION_LOG"]), 6) },
      id: "verify.metadata-backup-restore",
      status: "warn",
      observed:
        /row counts differ from the live database in 1: public\.NOTIFICATION_LOG \(changes since the backup\)/,
    },
    {
      name: "reconciled scratch copy: every Iceberg pointer matches the live catalog (row counts moved: still a pass)",
      over: {
        backupRestore: completed(restoreReconciled("2026-11-25T12:00:00Z", [], ["public.TABLE_PARAMS"]), 6),
      },
      id: "verify.metadata-backup-restore",
      status: "pass",
      observed:
        /\(1 table moved forward, 1 registered\), all 4 live Iceberg tables point at the live catalog's metadata files; metastore row counts differ in 1 tables/,
    },
    {
      name: "a table whose pointer the dump cannot reach fails, named with the reconcile's reason",
      over: { backupRestore: completed(restoreReconciled("2026-11-25T12:00:00Z", ["rr.d"]), 7) },
      id: "verify.metadata-backup-restore",
      status: "fail",
      observed:
        /1 of 4 Iceberg tables still point elsewhere than the live catalog: rr\.d \(diverged: the newest metadata file/,
      remediation: /Run a backup now \(`kubectl -n lakehouse create job --from=cronjob\/metastore-backup/,
    },
    {
      name: "the reconcile could not read the warehouse",
      over: {
        backupRestore: completed(
          {
            ...restoreReconciled("2026-11-25T12:00:00Z", ["rr.t"]),
            reconcile: {
              event: "reconcile",
              ok: false,
              error: "listing s3://w/warehouse/rr.db/t/metadata/ failed",
            },
          },
          7,
        ),
      },
      id: "verify.metadata-backup-restore",
      status: "fail",
      observed: /rr\.t \(restored .*00001-a.*\)\. The reconcile could not run: listing s3:\/\/w/,
      remediation: /WAREHOUSE_AWS_ACCESS_KEY_ID/,
    },
    {
      name: "tables missing from the restore",
      over: {
        backupRestore: completed(
          {
            ...restoreOk("2026-11-25T12:00:00Z"),
            restoredTables: 3,
            missingTables: ["public.TBLS", "public.SDS"],
          },
          6,
        ),
      },
      id: "verify.metadata-backup-restore",
      status: "fail",
      observed: /restored 3 tables vs 5 live; missing: public\.TBLS, public\.SDS/,
    },
    {
      name: "restore Job watch lost",
      over: {
        backupRestore: {
          state: "error",
          stage: "wait",
          job: "j",
          message: "reading Job lakehouse/j: HTTP 500",
        },
      },
      id: "verify.metadata-backup-restore",
      status: "unknown",
      observed: /could not be watched: reading Job lakehouse\/j: HTTP 500/,
    },
    {
      name: "the abandoned lock released at the first housekeeping run after the timeout",
      over: {},
      id: "verify.metastore-lock-timeout",
      status: "pass",
      observed:
        /abandoned lock on lakehouse_verify_locks\.abandoned_r1 was released after 316\.2 s \(bound 330 s\)\. 1 other lock\(s\); the oldest, on lakehouse\.events from lakehouse-ingest-driver, held 0\.8 s/,
    },
    {
      name: "never released: housekeeping is off",
      over: { lockTimeout: completed(LOCK_STUCK, 3) },
      id: "verify.metastore-lock-timeout",
      status: "fail",
      observed: /still held lock 7 .* 391\.4 s after its writer vanished \(the check unlocked it itself\)/,
      remediation:
        /hive-metastore-conf sets metastore\.housekeeping\.threads\.on=true.*logs deploy\/hive-metastore.*#metastorelockheldtoolong/,
    },
    {
      name: "released, but later than the bound",
      over: { lockTimeout: completed({ ...LOCK_OK, releasedAfterSeconds: 352 }) },
      id: "verify.metastore-lock-timeout",
      status: "warn",
      observed: /released after 352 s, later than the 330 s bound/,
    },
    {
      name: "released in time, but another lock has had no heartbeat for longer than the bound",
      over: {
        lockTimeout: completed({
          ...LOCK_OK,
          locks: {
            count: 1,
            oldestHeldSeconds: 900,
            oldestSilentSeconds: 900,
            oldest: { table: "sales.orders", heldSeconds: 900, silentSeconds: 900, host: "etl-7" },
          },
        }),
      },
      id: "verify.metastore-lock-timeout",
      status: "warn",
      observed: /another lock had no heartbeat for 900 s.*on sales\.orders from etl-7, held 900 s/,
    },
    {
      name: "metastore unreachable: cannot measure",
      over: {
        lockTimeout: completed(
          {
            event: "metastore-lock-timeout",
            ok: false,
            stage: "connect",
            error: "TTransportException: timed out",
          },
          1,
        ),
      },
      id: "verify.metastore-lock-timeout",
      status: "unknown",
      observed: /could not reach the metastore: TTransportException: timed out/,
    },
  ];
  for (const c of cases) {
    it(`${c.id}: ${c.name} -> ${c.status}`, () => {
      const r = run(c.over)[c.id];
      assert.equal(r.status, c.status, r.observed);
      assert.match(r.observed, c.observed);
      if (c.remediation) assert.match(r.remediation, c.remediation);
      if (c.status !== "pass") assert.ok(r.remediation.length > 20, "a remediation to act on");
    });
  }

  it("uses the configured objective and max backup age", () => {
    const strict = configSchema.parse({ foundation: { availabilityObjective: 99.99, backupMaxAgeHours: 1 } });
    const results = evaluateChecks(FOUNDATION_CHECKS, allPass, { config: strict, now });
    const byId = Object.fromEntries(results.map((r) => [r.id, r]));
    assert.equal(byId["verify.metastore-available"].status, "fail");
    assert.equal(byId["verify.metadata-backup-restore"].status, "fail");
    assert.match(byId["verify.metadata-backup-restore"].observed, /the schedule allows 1 h/);
  });

  it("the lock check's bound follows foundation.metastoreLockTimeoutSeconds", () => {
    const short = configSchema.parse({ foundation: { metastoreLockTimeoutSeconds: 120 } });
    const r = evaluateChecks(FOUNDATION_CHECKS, allPass, { config: short, now }).find(
      (x) => x.id === "verify.metastore-lock-timeout",
    );
    assert.equal(r?.status, "warn", "316 s is late for a 120 s timeout (bound 150 s)");
    assert.match(r?.expected ?? "", /within 150 s \(lock timeout 120 s/);
  });

  it("a skipped Job is skipped, not passed", () => {
    const skipped: JobObservation = { state: "skipped", reason: "phase disabled" };
    const r = run({ icebergRoundtrip: skipped })["verify.iceberg-roundtrip"];
    assert.equal(r.status, "skipped");
  });

  it("backupAgeHours and percent", () => {
    assert.equal(backupAgeHours("2026-11-25T13:30:00Z", now), 0.5);
    assert.equal(backupAgeHours("yesterday", now), null);
    assert.equal(backupAgeHours(undefined, now), null);
    assert.equal(percent(0.9999), "99.990 %");
    assert.equal(percent(1), "100.000 %");
  });
});

describe("cleanupLeftovers (the sample job's and the Airflow DAG run's clean-up warning)", () => {
  const ok = (result: Record<string, unknown> | null, logTail = ""): JobObservation => ({
    state: "completed",
    job: "lakehouse-verify-cleanup-r1",
    succeeded: result?.ok === true,
    exitCode: result?.ok === true ? 0 : 1,
    result,
    logTail,
    durationMs: 900,
  });

  it("is empty when the clean-up Job reported ok and the runner saw no leftovers", () => {
    assert.deepEqual(cleanupLeftovers(ok({ ok: true }), []), []);
  });

  it("names the runner's leftovers after a clean clean-up", () => {
    assert.deepEqual(cleanupLeftovers(ok({ ok: true }), ["Job lakehouse/x (HTTP 403)"]), [
      "Job lakehouse/x (HTTP 403)",
    ]);
  });

  it("quotes the clean-up Job's errors, else its error, else its last log line, before the leftovers", () => {
    assert.deepEqual(cleanupLeftovers(ok({ ok: false, errors: ["t: OSError"] }), ["cm"]), [
      'the clean-up Job reported ["t: OSError"]',
      "cm",
    ]);
    assert.deepEqual(cleanupLeftovers(ok({ ok: false, error: "boom" }), []), [
      'the clean-up Job reported "boom"',
    ]);
    assert.deepEqual(cleanupLeftovers(ok(null, "a\nTraceback: last\n"), []), [
      'the clean-up Job reported "Traceback: last"',
    ]);
  });

  it("says why the clean-up Job gave no result: its error message, or its state", () => {
    const err: JobObservation = { state: "error", stage: "create", message: "HTTP 403 jobs is forbidden" };
    assert.deepEqual(cleanupLeftovers(err, []), ["the clean-up Job HTTP 403 jobs is forbidden"]);
    const to: JobObservation = { state: "timeout", job: "j", waitedMs: 1000, logTail: "", detail: "pending" };
    assert.deepEqual(cleanupLeftovers(to, ["x"]), ["the clean-up Job timeout", "x"]);
  });
});
