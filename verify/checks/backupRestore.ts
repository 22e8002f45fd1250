/**
 * `verify.metadata-backup-restore`: the newest metastore backup exists, is younger than the schedule allows
 * (`foundation.backupMaxAgeHours`), passes its checksum and restores into a scratch database with the same
 * tables and row counts as the live one. Decided from the JSON line of `restore.sh --verify`. Pure.
 */
import type { CheckOutcome } from "../../preflight/checks/types";
import type { FoundationObservations, VerifyCheckDefinition } from "../types";
import { FOUNDATION_NAMES } from "../../stacks/foundation/names";
import { jobProblem } from "./common";

/** Age in hours of a backup named by its UTC time, or null when the time is missing or malformed. */
export function backupAgeHours(backupTime: unknown, now: Date): number | null {
  if (typeof backupTime !== "string" || !/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/.test(backupTime))
    return null;
  const t = Date.parse(backupTime);
  return Number.isNaN(t) ? null : (now.getTime() - t) / 3_600_000;
}

const list = (v: unknown): string[] => (Array.isArray(v) ? v.map(String) : []);

export const backupRestore: VerifyCheckDefinition<FoundationObservations> = {
  id: "verify.metadata-backup-restore",
  title: "The newest metastore backup is fresh and restores with the same tables and row counts",
  severity: "critical",
  critical: true,
  phase: "foundation",
  evaluate(obs, ctx): CheckOutcome {
    const maxAge = ctx.config.foundation.backupMaxAgeHours;
    const ns = ctx.config.platform.namespace;
    const expected = `a backup younger than ${maxAge} h whose sha256 matches and that restores with the live database's tables and row counts`;
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
  },
};
