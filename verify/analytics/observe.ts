/**
 * The analytics verification's I/O: everything it measures, through Trino's client protocol (and, for
 * `verify.end-to-end`, an ingest driver that drops a file and runs the compute phase's sample job). Nothing
 * here decides pass/fail: the checks in verify/analytics/checks/ do, from the observations returned.
 *
 * Order matters and is fixed: nodes (is Trino there at all; if not, nothing else is tried), the catalog, the
 * TPC-H dataset (built once by CTAS, reused), the join on it, the timed queries, then end-to-end, whose table
 * the catalog check reads back when no other pipeline table is named.
 */
import type { LakehouseConfig } from "../../preflight/config/schema";
import {
  inSchema,
  Q5,
  scaleLabel,
  tpchSchema,
  TPCH_LATENCY_QUERIES,
  TPCH_TABLES,
  type TpchQuery,
  type TpchTable,
} from "./tpch";
import { TrinoQueryError, TrinoUnreachableError, type QueryResult, type TrinoClient } from "../http/trino";
import { generateEvents } from "../compute/events";
import type {
  AnalyticsObservations,
  CatalogObservation,
  DatasetObservation,
  EndToEndObservation,
  LatencyObservation,
  NotObserved,
  TimedQuery,
} from "./types";

/** Runs the compute phase's sample job (C3) on a landing file. */
export interface IngestDriver {
  /** How the job runs, for messages (e.g. "SparkApplication lakehouse-ingest-verify-... in namespace lakehouse"). */
  readonly describe: string;
  /**
   * Puts `body` into the landing prefix under `runId/fileName`, runs the sample job on that prefix with the
   * target and aggregate tables `schema.table` / `schema.aggregateTable` (the driver adds its catalog name),
   * and resolves the source it used and the job's last JSON line.
   */
  ingest(args: {
    runId: string;
    fileName: string;
    body: string;
    schema: string;
    table: string;
    aggregateTable: string;
  }): Promise<{ source: string; job: Record<string, unknown> }>;
  /** Removes the landing file of the run (best effort). */
  cleanup?(runId: string): Promise<void>;
}

interface ObserveOptions {
  client: TrinoClient;
  config: LakehouseConfig;
  runId: string;
  now: Date;
  /** Runs of each timed query (median of these). @default 3 */
  runs?: number;
  /** A pipeline table to read back in verify.iceberg-catalog: `schema.table` and who wrote it. */
  pipelineTable?: { name: string; writer: string };
  /** Runs the sample job for verify.end-to-end; absent = skipped with `ingestUnavailable` as the reason. */
  ingest?: IngestDriver;
  ingestUnavailable?: string;
  /**
   * Keep the end-to-end run's landing file and tables (`<verifySchema>.e2e_<runId>_*`) for debugging, instead
   * of removing them after the catalog check read them back. @default false
   */
  keep?: boolean;
  /** Events in the generated landing file. @default 500 */
  endToEndRows?: number;
  log?: (msg: string) => void;
}

/** The Iceberg catalog name (stacks/analytics/catalogs.ts). */
const ICEBERG = "iceberg";

function failure(e: unknown, stage: string): NotObserved {
  if (e instanceof TrinoUnreachableError) return { state: "unreachable", message: e.message };
  const msg =
    e instanceof TrinoQueryError ? `${e.errorName}: ${e.message}` : (e as Error).message || String(e);
  return { state: "error", stage, message: msg };
}

const num = (v: unknown): number => (typeof v === "number" ? v : Number(v));

/** Median of a non-empty list (the lower middle for an even count). */
export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor((s.length - 1) / 2)];
}

/** The Iceberg names of the verification's TPC-H dataset at a scale: `iceberg.<schema>.sf10_lineitem`, ... */
function datasetTables(schema: string, scale: number): Record<TpchTable, string> {
  const label = scaleLabel(scale);
  return Object.fromEntries(TPCH_TABLES.map((t) => [t, `${ICEBERG}.${schema}.${label}_${t}`])) as Record<
    TpchTable,
    string
  >;
}

/** Reads a table back: count(*) through Trino and the current snapshot's summary (what the catalog reports). */
async function readBack(
  client: TrinoClient,
  name: string,
  writer: string,
): Promise<Extract<CatalogObservation, { state: "ok" }>["table"]> {
  const [schema, table] = name.split(".");
  const exists = await client.query(
    `SELECT count(*) FROM ${ICEBERG}.information_schema.tables WHERE table_schema = '${schema}' AND table_name = '${table}'`,
  );
  if (num(exists.rows[0]?.[0]) === 0) return { missing: `${ICEBERG}.${name} does not exist` };
  const rows = num((await client.query(`SELECT count(*) FROM ${ICEBERG}.${name}`)).rows[0][0]);
  const snap = await client.query(
    `SELECT CAST(snapshot_id AS varchar), summary['total-records'], summary['total-position-deletes'], summary['total-equality-deletes']
     FROM ${ICEBERG}.${schema}."${table}$snapshots" ORDER BY committed_at DESC LIMIT 1`,
  );
  const r = snap.rows[0] ?? [];
  return {
    name: `${ICEBERG}.${name}`,
    writer,
    rows,
    metadataRecords: r[1] === null || r[1] === undefined ? null : num(r[1]),
    positionDeletes: r[2] === null || r[2] === undefined ? 0 : num(r[2]),
    equalityDeletes: r[3] === null || r[3] === undefined ? 0 : num(r[3]),
    snapshotId: r[0] === undefined || r[0] === null ? null : String(r[0]),
  };
}

/**
 * The dataset's tables whose columns (names and types, in order) differ from the tpch connector's table they
 * were copied from: full name -> why, e.g. "its columns differ from tpch.sf10.lineitem: extendedprice is
 * double, the connector's is decimal(12,2)". Tables that do not exist are not listed.
 */
async function staleTables(
  client: TrinoClient,
  schema: string,
  source: string,
  tables: Record<TpchTable, string>,
): Promise<Map<string, string>> {
  const columns = async (catalog: string, s: string): Promise<Map<string, [string, string][]>> => {
    const r = await client.query(
      `SELECT table_name, column_name, data_type FROM ${catalog}.information_schema.columns WHERE table_schema = '${s}' ORDER BY table_name, ordinal_position`,
    );
    const m = new Map<string, [string, string][]>();
    for (const [t, c, type] of r.rows) {
      const list = m.get(String(t)) ?? [];
      // Iceberg has no bounded strings: the connector's varchar(25) is stored as varchar.
      list.push([String(c), String(type).replace(/^varchar\(\d+\)$/, "varchar")]);
      m.set(String(t), list);
    }
    return m;
  };
  const [ours, theirs] = await Promise.all([columns(ICEBERG, schema), columns("tpch", source)]);
  const stale = new Map<string, string>();
  for (const t of TPCH_TABLES) {
    const name = tables[t];
    const have = ours.get(name.split(".")[2]);
    const want = theirs.get(t) ?? [];
    if (have === undefined || want.length === 0) continue;
    const i = want.findIndex(([c, type], k) => have[k]?.[0] !== c || have[k]?.[1] !== type);
    if (i < 0 && have.length === want.length) continue;
    const [c, type] = want[Math.max(i, 0)] ?? ["?", "?"];
    const got = have.find(([hc]) => hc === c);
    stale.set(
      name,
      `its columns differ from tpch.${source}.${t}: ` +
        (i < 0
          ? `it has ${have.length} columns, the connector ${want.length}`
          : got
            ? `${c} is ${got[1]}, the connector's is ${type}`
            : `it has no column ${c} (${type})`),
    );
  }
  return stale;
}

/**
 * Builds the missing tables of the dataset by CTAS from the tpch connector; existing tables are reused unless
 * their columns differ from the connector's (then they are rebuilt).
 */
async function ensureDataset(
  client: TrinoClient,
  schema: string,
  scale: number,
  log: (m: string) => void,
): Promise<DatasetObservation> {
  const started = Date.now();
  const tables = datasetTables(schema, scale);
  try {
    await client.query(`CREATE SCHEMA IF NOT EXISTS ${ICEBERG}.${schema}`);
    const have = new Set(
      (await client.query(`SHOW TABLES FROM ${ICEBERG}.${schema}`)).rows.map((r) => String(r[0])),
    );
    const built: string[] = [];
    const source = tpchSchema(scale);
    // A table kept from an earlier version may have other columns than the connector serves now (before the
    // tpch catalog mapped money to DECIMAL, the copies had DOUBLE columns, which make Q1 4x slower): such a
    // table is rebuilt, not reused.
    const stale =
      have.size > 0 ? await staleTables(client, schema, source, tables) : new Map<string, string>();
    // An Iceberg CTAS commits once at its end: a table that exists is complete, so existence means reuse.
    for (const t of TPCH_TABLES) {
      const name = tables[t];
      const why = stale.get(name);
      if (have.has(name.split(".")[2]) && why === undefined) continue;
      if (why !== undefined) {
        log(`verify analytics: rebuilding ${name}: ${why}`);
        await client.query(`DROP TABLE ${name}`);
      } else {
        log(`verify analytics: building ${name} from tpch.${source}.${t} (once; reused afterwards)`);
      }
      await client.query(`CREATE TABLE ${name} AS SELECT * FROM tpch.${source}.${t}`);
      built.push(name);
    }
    return { state: "ok", schema, scale, built, buildMs: Date.now() - started, tables };
  } catch (e) {
    return failure(e, "build-dataset");
  }
}

/** Times `runs` executions of each query on the dataset, plus a time-travel read of lineitem. */
async function timeQueries(
  client: TrinoClient,
  ds: Extract<DatasetObservation, { state: "ok" }>,
  runs: number,
): Promise<LatencyObservation> {
  const tables = ds.tables as Record<TpchTable, string>;
  const queries: TimedQuery[] = [];
  const base = { schema: ds.schema, scale: ds.scale };
  let current = "time-travel setup";
  try {
    const [schema, lineitem] = tables.lineitem.split(".").slice(1);
    const first = await client.query(
      `SELECT CAST(snapshot_id AS varchar) FROM ${ICEBERG}.${schema}."${lineitem}$snapshots" ORDER BY committed_at LIMIT 1`,
    );
    const snapshot = String(first.rows[0]?.[0] ?? "");
    const timeTravel: TpchQuery = {
      name: "time-travel",
      title: `TPC-H Q1 on lineitem FOR VERSION AS OF its first snapshot (${snapshot})`,
      tables: ["lineitem"],
      sql: (t) =>
        TPCH_LATENCY_QUERIES[0].sql((n) =>
          n === "lineitem" ? `${t(n)} FOR VERSION AS OF ${snapshot}` : t(n),
        ),
    };
    for (const q of [...TPCH_LATENCY_QUERIES, timeTravel]) {
      current = q.name;
      const results: QueryResult[] = [];
      for (let i = 0; i < runs; i++) results.push(await client.query(q.sql((n) => tables[n])));
      const runsMs = results.map((r) => r.wallMs);
      const m = median(runsMs);
      const mid = results[runsMs.indexOf(m)];
      queries.push({
        name: q.name,
        title: q.title,
        runsMs,
        medianMs: m,
        ...(mid.elapsedMs !== undefined ? { serverMs: mid.elapsedMs } : {}),
        ...(mid.stats ? { stats: mid.stats } : {}),
      });
    }
    return { state: "ok", ...base, queries };
  } catch (e) {
    const f = failure(e, current);
    if (f.state === "unreachable" || queries.length === 0) return f;
    return {
      state: "partial",
      ...base,
      queries,
      failed: { name: current, message: (f as { message: string }).message },
    };
  }
}

/** The scratch tables of one end-to-end run (in the verification's schema). */
export function endToEndNames(runId: string): { table: string; aggregateTable: string } {
  const safe = runId.replace(/[^a-z0-9]/gi, "").toLowerCase();
  return { table: `e2e_${safe}_events`, aggregateTable: `e2e_${safe}_daily` };
}

async function endToEnd(opts: ObserveOptions, schema: string): Promise<EndToEndObservation> {
  if (!opts.ingest) {
    return { state: "skipped", reason: opts.ingestUnavailable ?? "no way to run the sample job was given" };
  }
  const started = Date.now();
  const { table, aggregateTable } = endToEndNames(opts.runId);
  const gen = generateEvents(opts.runId, opts.endToEndRows ?? 500, opts.now);
  let stage = "ingest";
  try {
    await opts.client.query(`CREATE SCHEMA IF NOT EXISTS ${ICEBERG}.${schema}`);
    const { source, job } = await opts.ingest.ingest({
      runId: opts.runId,
      fileName: "events.csv",
      body: gen.csv,
      schema,
      table,
      aggregateTable,
    });
    stage = "query";
    const out = await opts.client.query(`SELECT count(*) FROM ${ICEBERG}.${schema}.${table}`);
    const agg = await opts.client.query(
      `SELECT CAST(event_date AS varchar), event_type, events, CAST(amount_total AS decimal(20,2))
       FROM ${ICEBERG}.${schema}.${aggregateTable} ORDER BY 1, 2`,
    );
    return {
      state: "ok",
      source,
      table: `${ICEBERG}.${schema}.${table}`,
      aggregateTable: `${ICEBERG}.${schema}.${aggregateTable}`,
      rowsIn: gen.rows,
      job,
      rowsOut: num(out.rows[0][0]),
      aggregate: agg.rows.map((r) => [String(r[0]), String(r[1]), num(r[2]), String(r[3])]),
      expected: gen.expected,
      ms: Date.now() - started,
    };
  } catch (e) {
    return failure(e, stage);
  } finally {
    // The landing file is scratch; the run's tables are dropped after the catalog check read them back.
    if (!opts.keep) await opts.ingest.cleanup?.(opts.runId).catch(() => undefined);
  }
}

/** Everything the analytics checks need. Never throws: what could not be measured is recorded as such. */
export async function observeAnalytics(opts: ObserveOptions): Promise<AnalyticsObservations> {
  const { client, config } = opts;
  const log = opts.log ?? (() => undefined);
  const schema = config.analytics.verifySchema;
  const scale = config.analytics.verifyScaleFactor;
  const endpoint = client.endpoint.label;
  const notReached = (n: NotObserved): NotObserved =>
    n.state === "unreachable" ? n : { state: "skipped", reason: "Trino's nodes could not be read" };

  let nodes: AnalyticsObservations["nodes"];
  try {
    const info = await client.info();
    const r = await client.query(
      "SELECT node_id, coordinator, state FROM system.runtime.nodes ORDER BY node_id",
    );
    const list = r.rows.map((x) => ({ id: String(x[0]), coordinator: x[1] === true, state: String(x[2]) }));
    nodes = {
      state: "ok",
      version: info.version,
      coordinators: list.filter((n) => n.coordinator && n.state === "active").length,
      activeWorkers: list.filter((n) => !n.coordinator && n.state === "active").length,
      nodes: list,
    };
  } catch (e) {
    nodes = failure(e, "nodes");
  }
  if (nodes.state !== "ok") {
    const n = notReached(nodes);
    return { endpoint, nodes, catalog: n, dataset: n, join: n, latency: n, endToEnd: n };
  }

  log(`verify analytics: Trino ${nodes.version}, ${nodes.activeWorkers} active workers`);
  let schemas: string[] | undefined;
  let catalogError: NotObserved | undefined;
  try {
    schemas = (await client.query(`SHOW SCHEMAS FROM ${ICEBERG}`)).rows.map((r) => String(r[0]));
  } catch (e) {
    catalogError = failure(e, "show-schemas");
  }

  const dataset = catalogError
    ? ({ state: "skipped", reason: "the Iceberg catalog did not answer" } as const)
    : await ensureDataset(client, schema, scale, log);
  let join: AnalyticsObservations["join"];
  let latency: AnalyticsObservations["latency"];
  if (dataset.state === "ok") {
    const started = Date.now();
    try {
      const rows = (await client.query(Q5.sql((t) => dataset.tables[t]))).rows as unknown[][];
      const ms = Date.now() - started;
      const reference = (await client.query(Q5.sql(inSchema(`tpch.${tpchSchema(scale)}`))))
        .rows as unknown[][];
      join = {
        state: "ok",
        query: Q5.title,
        tables: Q5.tables.map((t) => dataset.tables[t]),
        rows,
        reference,
        ms,
      };
    } catch (e) {
      join = failure(e, "join");
    }
    log(
      `verify analytics: timing ${TPCH_LATENCY_QUERIES.length + 1} queries x ${opts.runs ?? 3} on ${scaleLabel(scale)}`,
    );
    latency = await timeQueries(client, dataset, opts.runs ?? 3);
  } else {
    const why: NotObserved =
      dataset.state === "unreachable"
        ? dataset
        : { state: "skipped", reason: "the TPC-H dataset could not be built" };
    join = why;
    latency = why;
  }

  const e2e = catalogError ? notReached(catalogError) : await endToEnd(opts, schema);
  let catalog: CatalogObservation;
  if (catalogError || !schemas) {
    catalog = catalogError ?? { state: "error", stage: "show-schemas", message: "no answer" };
  } else {
    try {
      const target =
        opts.pipelineTable ??
        (e2e.state === "ok"
          ? {
              name: e2e.table.split(".").slice(1).join("."),
              writer: "the compute phase's sample job (verify.end-to-end)",
            }
          : undefined);
      const table = target
        ? await readBack(client, target.name, target.writer)
        : {
            missing:
              e2e.state === "skipped"
                ? `no pipeline table was named and verify.end-to-end did not run (${e2e.reason})`
                : "no pipeline table was named and verify.end-to-end wrote none",
          };
      catalog = { state: "ok", schemas, table };
    } catch (e) {
      catalog = failure(e, "read-back");
    }
  }
  await dropEndToEnd(opts, schema);
  return { endpoint, nodes, catalog, dataset, join, latency, endToEnd: e2e };
}

/** Drops the end-to-end run's scratch tables (best effort; a leftover is harmless and named by run id). */
async function dropEndToEnd(opts: ObserveOptions, schema: string): Promise<void> {
  if (!opts.ingest || opts.keep) return;
  const { table, aggregateTable } = endToEndNames(opts.runId);
  for (const t of [table, aggregateTable]) {
    await opts.client.query(`DROP TABLE IF EXISTS ${ICEBERG}.${schema}.${t}`).catch(() => undefined);
  }
}
