/**
 * `verify.metadata-backup-restore`: the newest metastore backup exists, is younger than the schedule allows
 * (`foundation.backupMaxAgeHours`), passes its checksum, restores into a scratch database with the metastore's
 * tables, and, once that scratch copy is reconciled with the warehouse (restore.sh runs reconcile.sh on it),
 * every Iceberg table points at the same metadata file as in the live catalog: a restore of this backup now
 * would lose no committed data. A table whose pointer the dump cannot reach (rolled back or re-created after
 * the dump, files gone) fails the check, named with the reconcile's reason. Decided from the JSON line of
 * `restore.sh --verify`; a line without pointer fields (a restore.sh before the reconcile) is judged on the
 * row counts as before. Pure.
 */
import type { CheckOutcome } from "../../../preflight/checks/types";
import type { FoundationObservations, VerifyCheckDefinition } from "../../types";
import { FOUNDATION_NAMES } from "../../../stacks/foundation/names";
import { jobProblem } from "../../checks/common";

/** Age in hours of a backup named by its UTC time, or null when the time is missing or malformed. */
export function backupAgeHours(backupTime: unknown, now: Date): number | null {
  if (typeof backupTime !== "string" || !/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/.test(backupTime))
    return null;
  const t = Date.parse(backupTime);
  return Number.isNaN(t) ? null : (now.getTime() - t) / 3_600_000;
}

const list = (v: unknown): string[] => (Array.isArray(v) ? v.map(String) : []);

interface PointerDiff {
  table: string;
  live: string | null;
  restored: string | null;
}

/** The reconcile's own words for a table it did not bring forward (left alone, missing, or skipped). */
function reconcileReason(reconcile: unknown, table: string): string | undefined {
  if (typeof reconcile !== "object" || reconcile === null) return undefined;
  const r = reconcile as Record<string, unknown>;
  for (const key of ["left", "missingDetail", "skipped"]) {
    const entries = Array.isArray(r[key]) ? (r[key] as Record<string, unknown>[]) : [];
    const hit = entries.find((e) => e && e.table === table);
    if (hit && typeof hit.reason === "string") return hit.reason;
  }
  return undefined;
}

/** `db.t (reason)` for each differing table, at most `max`, reasons shortened. */
function describeDiffs(diffs: PointerDiff[], reconcile: unknown, max = 5): string {
  const shown = diffs.slice(0, max).map((d) => {
    const why =
      reconcileReason(reconcile, d.table) ??
      (d.restored === null
        ? "not in the restored catalog and not registered by the reconcile"
        : `restored ${d.restored}, live ${d.live ?? "none"}`);
    return `${d.table} (${why.length > 240 ? `${why.slice(0, 239)}…` : why})`;
  });
  return `${shown.join("; ")}${diffs.length > max ? `; and ${diffs.length - max} more` : ""}`;
}

export const backupRestore: VerifyCheckDefinition<FoundationObservations> = {
  id: "verify.metadata-backup-restore",
  title:
    "The newest metastore backup is fresh, restores, and once reconciled points every Iceberg table where the live catalog does",
  severity: "critical",
  critical: true,
  phase: "foundation",
  evaluate(obs, ctx): CheckOutcome {
    const maxAge = ctx.config.foundation.backupMaxAgeHours;
    const ns = ctx.config.platform.namespace;
    const expected = `a backup younger than ${maxAge} h whose sha256 matches, that restores with the metastore's tables and, reconciled with the warehouse, gives every Iceberg table the live catalog's metadata pointer`;
    const problem = jobProblem(obs.backupRestore, expected, ns);
    if (problem) return problem;
    const job = obs.backupRestore as Extract<typeof obs.backupRestore, { state: "completed" }>;
    const r = job.result ?? {};
    const data: Record<string, unknown> = { job: job.job, key: r.key, backupTime: r.backupTime };
    const cron = FOUNDATION_NAMES.backup;
    const cronHint = `\`kubectl -n ${ns} get cronjob ${cron}\` and the log of its last Job`;
    const runNow = `\`kubectl -n ${ns} create job --from=cronjob/${cron} ${cron}-manual\``;
    if (r.ok !== true) {
      const stage = String(r.stage ?? "unknown");
      const why: Record<string, string> = {
        find: `No usable backup: ${String(r.error)}`,
        checksum: `The newest backup is corrupt: ${String(r.error)}`,
        download: `The backup could not be downloaded: ${String(r.error)}`,
        restore: `The backup did not restore: ${String(r.error)}`,
        compare: `The restored database could not be compared: ${String(r.error)}`,
        setup: `The restore Job could not start its work: ${String(r.error)}`,
      };
      const fix: Record<string, string> = {
        find: `Check that the backup CronJob runs and succeeds (${cronHint}).`,
        checksum: `Investigate the backup bucket (object damaged or overwritten), run the backup CronJob now (${runNow}), and keep the older backups until a new one verifies.`,
      };
      return {
        status: stage === "setup" ? "unknown" : "fail",
        observed: why[stage] ?? `restore.sh failed at ${stage}: ${String(r.error)}`,
        expected,
        remediation:
          fix[stage] ??
          `Follow the restore procedure in docs/runbooks/foundation.md by hand to see the full error.`,
        data,
      };
    }
    const age = backupAgeHours(r.backupTime, ctx.now);
    data.ageHours = age;
    const missing = list(r.missingTables);
    const extra = list(r.extraTables);
    const diffs = list(r.rowCountDiffs);
    data.missingTables = missing;
    data.extraTables = extra;
    data.rowCountDiffs = diffs;
    if (age === null) {
      return {
        status: "unknown",
        observed: `The newest backup ${String(r.key)} has no time in its name, so its age is unknown.`,
        expected,
        remediation: `Backups must be named metastore-<UTC time>.dump as backup.sh writes them; remove foreign objects from the backup prefix.`,
        data,
      };
    }
    const ageText = `${age.toFixed(1)} h`;
    if (age > maxAge) {
      return {
        status: "fail",
        observed: `The newest backup ${String(r.key)} is ${ageText} old; the schedule allows ${maxAge} h.`,
        expected,
        remediation: `The backup CronJob is not producing backups: check ${cronHint}; run it now with ${runNow}.`,
        data,
      };
    }
    if (missing.length > 0 || extra.length > 0 || Number(r.restoredTables ?? 0) === 0) {
      return {
        status: "fail",
        observed: `Backup ${String(r.key)} (${ageText} old) restored ${String(r.restoredTables)} tables vs ${String(r.liveTables)} live; missing: ${missing.join(", ") || "none"}; not in the live database: ${extra.join(", ") || "none"}.`,
        expected,
        remediation: `The backup does not hold the metastore schema: check PGDATABASE of the backup CronJob (it must be the metastore's database) and that the schema was initialised before the backup ran.`,
        data,
      };
    }
    const reconcile = r.reconcile as Record<string, unknown> | null | undefined;
    const pointerDiffs = Array.isArray(r.pointerDiffs) ? (r.pointerDiffs as PointerDiff[]) : undefined;
    if (pointerDiffs === undefined) return rowCountOutcome(r, diffs, ageText, expected, data);
    const iceberg = (r.icebergTables ?? {}) as Record<string, unknown>;
    data.pointerDiffs = pointerDiffs.map((d) => d.table);
    data.icebergTables = iceberg;
    data.onlyRestored = list(r.onlyRestored);
    if (reconcile && typeof reconcile === "object") {
      data.reconcile = {
        ok: reconcile.ok,
        moved: list(reconcile.moved),
        registered: list(reconcile.registered),
        left: list((reconcile.left as { table: string }[] | undefined)?.map((l) => l.table)),
        missing: list(reconcile.missing),
        error: reconcile.error,
      };
    }
    const reconcileError = reconcile && typeof reconcile.error === "string" ? reconcile.error : undefined;
    const runNowFix = `Restoring this backup now would leave these tables behind the live catalog. Run a backup now (${runNow}) so the newest dump holds their current pointers and verify again; then find out why the dump could not reach them (docs/runbooks/foundation.md, "Restore the metastore from a backup").`;
    if (pointerDiffs.length > 0) {
      return {
        status: "fail",
        observed: `After restoring backup ${String(r.key)} (${ageText} old) into a scratch database and reconciling it with the warehouse, ${pointerDiffs.length} of ${String(iceberg.live ?? "?")} Iceberg tables still point elsewhere than the live catalog: ${describeDiffs(pointerDiffs, reconcile)}.${reconcileError ? ` The reconcile could not run: ${reconcileError}` : ""}`,
        expected,
        remediation: reconcileError
          ? `Give the restore Job read access to the warehouse (WAREHOUSE_AWS_ACCESS_KEY_ID/WAREHOUSE_AWS_SECRET_ACCESS_KEY from the warehouse bucket's Secret) and verify again. ${runNowFix}`
          : runNowFix,
        data,
      };
    }
    if (reconcileError) {
      return {
        status: "fail",
        observed: `Backup ${String(r.key)} restored, but the reconcile with the warehouse could not run: ${reconcileError}`,
        expected,
        remediation: `Give the restore Job read access to the warehouse (WAREHOUSE_AWS_ACCESS_KEY_ID/WAREHOUSE_AWS_SECRET_ACCESS_KEY from the warehouse bucket's Secret) and verify again.`,
        data,
      };
    }
    const moved = list(reconcile?.moved).length;
    const registered = list(reconcile?.registered).length;
    const back = list(r.onlyRestored);
    return {
      status: "pass",
      observed:
        `Backup ${String(r.key)} (${ageText} old, sha256 ok) restored ${String(r.restoredTables)} tables into a scratch database; reconciled with the warehouse ` +
        `(${moved} table${moved === 1 ? "" : "s"} moved forward, ${registered} registered), all ${String(iceberg.live ?? 0)} live Iceberg tables point at the live catalog's metadata files` +
        `${back.length > 0 ? `; a restore would bring back ${back.length} table(s) dropped since the dump: ${back.slice(0, 5).join(", ")}` : ""}` +
        `${diffs.length > 0 ? `; metastore row counts differ in ${diffs.length} tables (changes since the backup)` : ""}. The scratch database was dropped.`,
      expected,
      remediation: "",
      data,
    };
  },
};

/** The judgement of a restore.sh line without pointer fields: tables and row counts only. */
function rowCountOutcome(
  r: Record<string, unknown>,
  diffs: string[],
  ageText: string,
  expected: string,
  data: Record<string, unknown>,
): CheckOutcome {
  if (diffs.length > 0) {
    // A live metastore keeps writing (tables created or dropped, notification log): counts that moved since
    // the backup are expected, so they warn and are listed instead of failing a backup that restored whole.
    return {
      status: "warn",
      observed: `Backup ${String(r.key)} (${ageText} old, sha256 ok) restored all ${String(r.restoredTables)} tables; row counts differ from the live database in ${diffs.length}: ${diffs.slice(0, 5).join(", ")}${diffs.length > 5 ? ", ..." : ""} (changes since the backup).`,
      expected,
      remediation: `If the metastore was idle since the backup, these differences mean data is missing from it: run the backup now and verify again.`,
      data,
    };
  }
  return {
    status: "pass",
    observed: `Backup ${String(r.key)} (${ageText} old, sha256 ok) restored ${String(r.restoredTables)} tables with the live row counts into a scratch database, which was dropped.`,
    expected,
    remediation: "",
    data,
  };
}
