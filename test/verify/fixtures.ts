/**
 * Result lines shaped exactly as the scripts in verify/foundation/scripts print them (the script tests in
 * test/foundation-scripts assert these fields on real runs), and helpers to wrap them in Job observations.
 */
import { platformArtifacts, totalBytes } from "../../stacks/platform/artifacts";
import type { JobObservation } from "../../verify/types";

export const PING_OK = {
  event: "metastore-ping",
  ok: true,
  attempts: [1, 2, 3].map((i) => ({
    uri: "thrift://hive-metastore.lakehouse.svc:9083",
    ok: true,
    ms: 10 + i,
    databases: 2,
    error: null,
  })),
};

export const PING_FAIL = {
  event: "metastore-ping",
  ok: false,
  attempts: [
    { uri: "thrift://hive-metastore.lakehouse.svc:9083", ok: true, ms: 12, databases: 2, error: null },
    {
      uri: "thrift://hive-metastore.lakehouse.svc:9083",
      ok: false,
      ms: 10001,
      databases: null,
      error: "TTransportException: Could not connect to any of [('10.43.0.12', 9083)]",
    },
  ],
};

const step = (name: string, ok = true, detail = "ok") => ({ name, ok, ms: 100, detail });
export const ROUNDTRIP_OK = {
  event: "iceberg-roundtrip",
  ok: true,
  catalog: "hive",
  namespace: "lakehouse_verify_20261125120000_abc123",
  warehouse: "s3://lakehouse-warehouse/warehouse",
  rowsCurrent: 5,
  rowsFiltered: 2,
  snapshots: 2,
  rowsAtFirstSnapshot: 3,
  cleanedUp: true,
  steps: [
    "connect",
    "create-namespace",
    "create-table",
    "append-1",
    "append-2",
    "read-back",
    "time-travel",
    "purge-table",
    "drop-namespace",
  ].map((n) => step(n)),
};

export const ROUNDTRIP_FAIL = {
  event: "iceberg-roundtrip",
  ok: false,
  catalog: "hive",
  namespace: "lakehouse_verify_x",
  warehouse: "s3://lakehouse-warehouse/warehouse",
  error: "create-table: OSError: When uploading part: AWS Error UNKNOWN (HTTP status 411)",
  failedStep: "create-table",
  cleanedUp: false,
  steps: [
    step("connect"),
    step("create-namespace"),
    step("create-table", false, "OSError: When uploading part: AWS Error UNKNOWN (HTTP status 411)"),
    step("drop-namespace", false, "NamespaceNotEmptyError"),
  ],
};

export const restoreOk = (backupTime: string, diffs: string[] = []) => ({
  event: "restore",
  ok: true,
  verify: true,
  key: `metastore/metastore-${backupTime.replace(/[-:]/g, "")}.dump`,
  backupTime,
  bytes: 23456,
  sha256: "a".repeat(64),
  targetDb: "metastore_verify_20261125120000_42",
  liveDb: "metastore",
  liveTables: 5,
  restoredTables: 5,
  missingTables: [],
  extraTables: [],
  rowCountDiffs: diffs,
  match: diffs.length === 0,
  scratchDropped: true,
  tables: { "public.TBLS": { live: 5, restored: 5 } },
});

/**
 * A `restore.sh --verify` line with the reconcile and pointer comparison (issue 14): `diffs` tables whose
 * pointer still differs after the scratch copy's reconcile (rr.d diverged, left alone).
 */
export const restoreReconciled = (
  backupTime: string,
  pointerDiffs: string[] = [],
  rowDiffs: string[] = [],
) => ({
  ...restoreOk(backupTime, rowDiffs),
  icebergTables: { live: 4, restored: 4, same: 4 - pointerDiffs.length },
  pointersMatch: pointerDiffs.length === 0,
  pointerDiffs: pointerDiffs.map((table) => ({
    table,
    live: `s3://w/warehouse/${table}/metadata/00003-b.metadata.json`,
    restored: `s3://w/warehouse/${table}/metadata/00001-a.metadata.json`,
  })),
  onlyRestored: [],
  reconcile: {
    event: "reconcile",
    ok: pointerDiffs.length === 0,
    dryRun: false,
    moved: ["rr.t"],
    registered: ["rr.u"],
    left: pointerDiffs.map((table) => ({
      table,
      reason: `diverged: the newest metadata file ${table}/00003-b does not descend from the catalog's 00001-a: the table was rolled back or re-created after the dump`,
    })),
    missing: [],
    record: null,
    scratch: true,
  },
});

export const RESTORE_CORRUPT = {
  event: "restore",
  ok: false,
  stage: "checksum",
  exitCode: 4,
  key: "metastore/metastore-20261125T060000Z.dump",
  error:
    "the backup s3://lakehouse-metastore-backup/metastore/metastore-20261125T060000Z.dump is corrupt: its sha256 is 1, the recorded one 2 (10 bytes downloaded); restore an older backup (--backup KEY).",
};

export const RESTORE_NONE = {
  event: "restore",
  ok: false,
  stage: "find",
  exitCode: 3,
  key: "",
  error:
    "no backup found under s3://lakehouse-metastore-backup/metastore/ (expected objects named metastore-<UTC time>.dump); check that the backup CronJob has run successfully.",
};

/** The artifact cache script's check line when every pinned artifact is cached with its sha256. */
export const CACHE_OK = {
  event: "artifact-cache",
  ok: true,
  mode: "check",
  artifacts: platformArtifacts().length,
  verified: platformArtifacts().length,
  missing: [],
  corrupt: [],
  bytes: totalBytes(platformArtifacts()),
  bucket: "lakehouse-artifacts",
};

/** metastore_lock_timeout.py's line: default timeout 300 s, released at the first housekeeping run after it. */
export const LOCK_OK = {
  event: "metastore-lock-timeout",
  table: "lakehouse_verify_locks.abandoned_r1",
  timeoutSeconds: 300,
  boundSeconds: 330,
  lockId: 7,
  locks: {
    count: 1,
    oldestHeldSeconds: 0.8,
    oldestSilentSeconds: 0.8,
    oldest: {
      lockId: 6,
      table: "lakehouse.events",
      heldSeconds: 0.8,
      silentSeconds: 0.8,
      user: "spark",
      host: "lakehouse-ingest-driver",
    },
  },
  ok: true,
  releasedAfterSeconds: 316.2,
  waitedSeconds: 316.2,
  cleanedUp: false,
};

/** ... and when housekeeping never releases it (exit 3): the probe unlocked its own lock. */
export const LOCK_STUCK = {
  event: "metastore-lock-timeout",
  table: "lakehouse_verify_locks.abandoned_r1",
  timeoutSeconds: 300,
  boundSeconds: 330,
  lockId: 7,
  locks: { count: 0, oldestHeldSeconds: null, oldestSilentSeconds: null, oldest: null },
  ok: false,
  stage: "wait",
  releasedAfterSeconds: null,
  waitedSeconds: 391.4,
  cleanedUp: true,
  error: "lock 7 was still held 390 s after its writer vanished",
};

export function completed(result: Record<string, unknown> | null, exitCode = 0): JobObservation {
  return {
    state: "completed",
    job: "lakehouse-verify-x-run1",
    succeeded: exitCode === 0,
    exitCode,
    result,
    logTail: result ? JSON.stringify(result) : "sh: 1: python: not found",
    durationMs: 4000,
  };
}
