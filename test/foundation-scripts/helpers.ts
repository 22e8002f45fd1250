/**
 * Shared helpers for the foundation scripts' tests: run a script with an env and capture everything, the
 * foundation checks over one observation, and a metastore-shaped schema (a few Hive Metastore tables with rows).
 */
import { execFile } from "node:child_process";
import * as path from "node:path";
import type { LakehouseConfig } from "../../preflight/config/schema";
import type { CheckResult } from "../../preflight/model";
import { evaluateChecks } from "../../verify/checks";
import { FOUNDATION_CHECKS } from "../../verify/foundation/checks";
import type { FoundationObservations, JobObservation } from "../../verify/types";
import type { Radosgw } from "../../harness/radosgw";
import type { Postgres } from "../../harness/postgres";

/** The foundation phase's pod scripts (backup, restore, reconcile). */
export const SCRIPTS = path.resolve(__dirname, "../../stacks/foundation/scripts");
/** The foundation verification's own scripts (metastore ping, Iceberg round trip, lock probe). */
export const VERIFY_SCRIPTS = path.resolve(__dirname, "../../verify/foundation/scripts");

export interface ScriptRun {
  code: number;
  stdout: string;
  stderr: string;
  /** The last JSON line on stdout, parsed (the scripts print exactly one), or undefined. */
  json: Record<string, unknown> | undefined;
}

/** Runs `cmd args` with exactly `env` (plus PATH/HOME), never rejecting: the exit code is part of the result. */
export function runScript(
  cmd: string,
  args: string[],
  env: Record<string, string>,
  timeoutMs = 120_000,
): Promise<ScriptRun> {
  return new Promise((resolve) => {
    execFile(
      cmd,
      args,
      {
        env: { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: process.env.HOME ?? "/root", ...env },
        timeout: timeoutMs,
        maxBuffer: 32 * 1024 * 1024,
      },
      (err, stdout, stderr) => {
        const code = err ? (typeof err.code === "number" ? err.code : 1) : 0;
        const line = `${stdout}`
          .trim()
          .split("\n")
          .filter((l) => l.startsWith("{"))
          .pop();
        let json: Record<string, unknown> | undefined;
        try {
          json = line ? (JSON.parse(line) as Record<string, unknown>) : undefined;
        } catch {
          json = undefined;
        }
        resolve({ code, stdout: `${stdout}`, stderr: `${stderr}`, json });
      },
    );
  });
}

/** A script run as the verification's Job observation (what the checks judge). */
export function asJob(r: ScriptRun): JobObservation {
  return {
    state: "completed",
    job: "local",
    succeeded: r.code === 0,
    exitCode: r.code,
    result: r.json ?? null,
    logTail: r.stderr.slice(-2000),
    durationMs: 0,
  };
}

/** The foundation checks on the given observations, every other Job skipped and no Prometheus; by id. */
export function foundationChecks(
  over: Partial<FoundationObservations>,
  config: LakehouseConfig,
): Record<string, CheckResult> {
  const skipped: JobObservation = { state: "skipped", reason: "not part of this test" };
  const all: FoundationObservations = {
    metastorePing: skipped,
    icebergRoundtrip: skipped,
    backupRestore: skipped,
    artifactCache: skipped,
    lockTimeout: skipped,
    prometheus: { state: "skipped", reason: "no Prometheus here" },
    ...over,
  };
  return Object.fromEntries(
    evaluateChecks(FOUNDATION_CHECKS, all, { config, now: new Date() }).map((r) => [r.id, r]),
  );
}

/** The env contract of backup.sh / restore.sh for the harness's engines. */
export function scriptEnv(
  pg: Postgres,
  rgw: Radosgw,
  over: { db: string; bucket: string; prefix: string; retentionDays?: number },
): Record<string, string> {
  return {
    PGHOST: pg.host,
    PGPORT: String(pg.port),
    PGUSER: pg.user,
    PGPASSWORD: "",
    PGDATABASE: over.db,
    S3_ENDPOINT: rgw.endpoint,
    S3_BUCKET: over.bucket,
    S3_PREFIX: over.prefix,
    AWS_ACCESS_KEY_ID: rgw.accessKeyId,
    AWS_SECRET_ACCESS_KEY: rgw.secretAccessKey,
    AWS_REGION: rgw.region,
    RETENTION_DAYS: String(over.retentionDays ?? 14),
    AWS_REQUEST_CHECKSUM_CALCULATION: "when_required",
  };
}

/**
 * A metastore-shaped schema: the core Hive Metastore tables (upper-case, quoted, as the HMS schema scripts
 * create them) with foreign keys and a few rows, so a dump/restore has real structure to carry.
 */
export const METASTORE_SCHEMA_SQL = `
CREATE TABLE "DBS" ("DB_ID" bigint PRIMARY KEY, "DESC" varchar(4000), "DB_LOCATION_URI" varchar(4000) NOT NULL,
  "NAME" varchar(128) UNIQUE, "OWNER_NAME" varchar(128), "OWNER_TYPE" varchar(10), "CTLG_NAME" varchar(256) DEFAULT 'hive');
CREATE TABLE "SDS" ("SD_ID" bigint PRIMARY KEY, "INPUT_FORMAT" varchar(4000), "LOCATION" varchar(4000),
  "OUTPUT_FORMAT" varchar(4000), "IS_COMPRESSED" boolean NOT NULL DEFAULT false);
CREATE TABLE "TBLS" ("TBL_ID" bigint PRIMARY KEY, "CREATE_TIME" bigint NOT NULL, "DB_ID" bigint REFERENCES "DBS"("DB_ID"),
  "OWNER" varchar(767), "SD_ID" bigint REFERENCES "SDS"("SD_ID"), "TBL_NAME" varchar(256), "TBL_TYPE" varchar(128),
  UNIQUE ("TBL_NAME", "DB_ID"));
CREATE TABLE "TABLE_PARAMS" ("TBL_ID" bigint REFERENCES "TBLS"("TBL_ID"), "PARAM_KEY" varchar(256),
  "PARAM_VALUE" text, PRIMARY KEY ("TBL_ID", "PARAM_KEY"));
CREATE TABLE "VERSION" ("VER_ID" bigint PRIMARY KEY, "SCHEMA_VERSION" varchar(127) NOT NULL, "VERSION_COMMENT" varchar(255));
INSERT INTO "VERSION" VALUES (1, '4.0.0', 'Hive release version 4.0.0');
INSERT INTO "DBS" VALUES (1, 'Default Hive database', 's3a://lakehouse-warehouse/warehouse', 'default', 'public', 'ROLE', 'hive'),
  (2, NULL, 's3a://lakehouse-warehouse/warehouse/sales.db', 'sales', 'trino', 'USER', 'hive');
INSERT INTO "SDS" SELECT g, 'org.apache.hadoop.mapred.FileInputFormat', 's3a://lakehouse-warehouse/warehouse/sales.db/t' || g,
  'org.apache.hadoop.mapred.FileOutputFormat', false FROM generate_series(1, 5) g;
INSERT INTO "TBLS" SELECT g, 1732500000 + g, 2, 'trino', g, 't' || g, 'EXTERNAL_TABLE' FROM generate_series(1, 5) g;
INSERT INTO "TABLE_PARAMS" SELECT g, k, 's3a://lakehouse-warehouse/warehouse/sales.db/t' || g || '/metadata/00001.metadata.json'
  FROM generate_series(1, 5) g, (VALUES ('metadata_location'), ('table_type')) v(k);
`;
