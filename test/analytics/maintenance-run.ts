/**
 * Runs the shipped table_maintenance.py against the shared lakehouse (harness/lakehouse.ts) and types its
 * JSON line. Used by the maintenance's own engine test (test/analytics/maintenance.test.ts) and by the restore
 * test that runs it right after a real `restore.sh --replace` (test/foundation-scripts/restore-reconcile.test.ts).
 */
import { strict as assert } from "node:assert";
import * as path from "node:path";
import { runScript, type ScriptRun } from "../foundation-scripts/helpers";
import type { Lakehouse } from "../../harness/lakehouse";

export const MAINTENANCE_SCRIPT = path.resolve(
  __dirname,
  "../../stacks/analytics/scripts/table_maintenance.py",
);

export interface TableOutcome {
  table: string;
  status: string;
  reason?: string;
  detail?: string;
  steps: Record<string, string>;
  before?: { files: number; bytes: number; snapshots: number };
  after?: { files: number; bytes: number; snapshots: number };
  seconds?: Record<string, number>;
}
export interface MaintenanceOutcome {
  ok: boolean;
  dryRun: boolean;
  orphanRemoval: { allowed: boolean; reasons: string[]; why: string };
  tables: TableOutcome[];
  pushed: boolean;
}

/** Where the maintenance reads the reconcile record, and with which keys (the backup bucket's). */
export interface RecordLocation {
  bucket: string;
  prefix: string;
  accessKeyId: string;
  secretAccessKey: string;
}

/** The script's env contract (its docstring) for the shared lakehouse; the warehouse is read with its own keys. */
export function maintenanceEnv(
  lh: Lakehouse,
  record: RecordLocation,
  over: Record<string, string> = {},
): Record<string, string> {
  return {
    TRINO_URL: lh.trino.url,
    RETENTION_DAYS: "14",
    S3_ENDPOINT: lh.rgw.endpoint,
    AWS_REGION: lh.rgw.region,
    BACKUP_BUCKET: record.bucket,
    BACKUP_PREFIX: record.prefix,
    BACKUP_AWS_ACCESS_KEY_ID: record.accessKeyId,
    BACKUP_AWS_SECRET_ACCESS_KEY: record.secretAccessKey,
    WAREHOUSE_AWS_ACCESS_KEY_ID: lh.rgw.accessKeyId,
    WAREHOUSE_AWS_SECRET_ACCESS_KEY: lh.rgw.secretAccessKey,
    PYTHONDONTWRITEBYTECODE: "1",
    ...over,
  };
}

/** One run of the script; asserts it printed its JSON line. */
export async function runMaintenance(
  env: Record<string, string>,
  ...args: string[]
): Promise<{ run: ScriptRun; out: MaintenanceOutcome }> {
  const run = await runScript("python3", [MAINTENANCE_SCRIPT, ...args], env, 900_000);
  assert.ok(run.json, `no JSON line (exit ${run.code}): ${run.stderr.slice(-3000)}`);
  return { run, out: run.json as unknown as MaintenanceOutcome };
}

/** The outcome of table `schema.name`; fails naming the tables the run saw when it is not there. */
export function byTable(o: MaintenanceOutcome, table: string): TableOutcome {
  const found = o.tables.find((x) => x.table === table);
  assert.ok(found, `${table} is not in ${JSON.stringify(o.tables.map((x) => x.table))}`);
  return found;
}
