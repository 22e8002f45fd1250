/**
 * The analytics benchmark's runner (the CLI is analytics.bench.ts): TPC-H loaded into Iceberg tables on the
 * lakehouse storage path (Trino -> Parquet on radosgw, catalog in the Hive Metastore) by CTAS from the `tpch`
 * connector, then Q1, Q3, Q5, Q6, Q10 and a time-travel read on both, in the same Trino, so the ratio is what
 * the storage path costs over generating the rows in memory. Every Iceberg answer is compared with the
 * connector's: a fast wrong answer fails the run.
 *
 * Then the maintenance story a user needs: the tables' `"t$files"` (data files, small files, delete files) and
 * whether each needs `optimize`; a DELETE of 1/8 of lineitem, Q3 again (slower: position deletes are merged
 * into every scan), `ALTER TABLE ... EXECUTE optimize`, Q3 again (back), and a time-travel read of the load
 * snapshot that must still return the pre-delete answer.
 */
import { CATALOG_NAMES } from "../stacks/analytics/catalogs";
import { TrinoClient, TrinoQueryError, type QueryResult } from "../verify/http/trino";
import { optimizeAdvice, tableFiles, type OptimizeAdvice, type TableFiles } from "./lib/optimize-advice";
import { median } from "./lib/stats";
import { renderQuery, sameAnswer, TPCH_QUERIES, TPCH_TABLES, tpchSchema, type TpchQuery } from "./lib/tpch";
import { physicalInputBytes } from "./lib/trino-stats";

export interface AnalyticsBenchOptions {
  /** Trino coordinator URL with the product's `iceberg` and `tpch` catalogs. */
  trinoUrl: string;
  /** TPC-H scale: "tiny" (0.01), "1", "10". */
  scale: string;
  /** Runs per query; the figure is the median. @default 3 */
  runs?: number;
  /** Iceberg schema to load into. @default `tpch_<sf>` (e.g. tpch_sf1) */
  schema?: string;
  /** Run the DELETE / optimize scenario. @default true */
  deletes?: boolean;
  log?: (msg: string) => void;
}

export interface TableLoad {
  table: string;
  rows: number;
  ms: number;
  bytes: number;
  files: number;
}

export interface Timed {
  runsMs: number[];
  medianMs: number;
}

export interface QueryFigures {
  id: TpchQuery["id"];
  title: string;
  iceberg: Timed & { physicalInputBytes: number };
  tpch: Timed;
  /** iceberg median / tpch median: what the storage path costs. */
  ratio: number;
  sameAnswer: boolean;
}

export interface DeleteScenario {
  predicate: string;
  deletedRows: number;
  deleteMs: number;
  /** Q3 medians: before the DELETE, after it, after optimize. */
  q3: { before: Timed; afterDelete: Timed; afterOptimize: Timed };
  filesAfterDelete: TableFiles;
  adviceAfterDelete: OptimizeAdvice;
  optimizeMs: number;
  filesAfterOptimize: TableFiles;
  adviceAfterOptimize: OptimizeAdvice;
  /** The time-travel read of the load snapshot after the DELETE still gives the connector's answer. */
  timeTravelMatches: boolean;
}

export interface AnalyticsBenchResult {
  scale: string;
  tpchSchema: string;
  icebergSchema: string;
  runs: number;
  trinoVersion: string;
  load: { tables: TableLoad[]; ms: number; rows: number; bytes: number };
  loadSnapshot: string;
  queries: QueryFigures[];
  files: TableFiles[];
  advice: OptimizeAdvice[];
  deletes?: DeleteScenario;
}

/** Load queries at SF10 take minutes on 2 cores; the default 10 min deadline is too tight under load. */
const LOAD_TIMEOUT_MS = 60 * 60_000;

/** Trino error names that mean "the cluster hiccuped", not "the query is wrong". */
const TRANSIENT_ERRORS = new Set([
  "TOO_MANY_REQUESTS_FAILED",
  "PAGE_TRANSPORT_ERROR",
  "PAGE_TRANSPORT_TIMEOUT",
  "REMOTE_TASK_ERROR",
  "REMOTE_HOST_GONE",
  "ABANDONED_TASK",
]);

const timed = (runsMs: number[]): Timed => ({ runsMs, medianMs: median(runsMs) });

export async function runAnalyticsBench(opts: AnalyticsBenchOptions): Promise<AnalyticsBenchResult> {
  const log = opts.log ?? (() => undefined);
  const runs = opts.runs ?? 3;
  if (!Number.isInteger(runs) || runs < 1) throw new Error(`runs must be a whole number >= 1, got ${runs}.`);
  const sf = tpchSchema(opts.scale);
  const tpch = `${CATALOG_NAMES.tpch}.${sf}`;
  const schemaName = opts.schema ?? `tpch_${sf}`;
  const ice = `${CATALOG_NAMES.iceberg}.${schemaName}`;
  const trino = new TrinoClient(
    { baseUrl: opts.trinoUrl, label: opts.trinoUrl },
    { user: "lakehouse-bench", source: "lakehouse-bench", queryTimeoutMs: 30 * 60_000 },
  );
  // On an overloaded machine the coordinator can lose its own task endpoints for a minute (Trino then says
  // "Encountered too many errors talking to a worker node ... retry your query"): retry such a failure once,
  // and say so, rather than lose a long run. Every statement here is safe to repeat (CTAS after DROP, reads).
  const q = async (sql: string, timeoutMs?: number): Promise<QueryResult> => {
    try {
      return await trino.query(sql, { timeoutMs });
    } catch (e) {
      if (!(e instanceof TrinoQueryError) || !TRANSIENT_ERRORS.has(e.errorName)) throw e;
      log(`transient Trino failure (${e.errorName}), retrying once: ${sql.split("\n")[0].slice(0, 80)}`);
      return trino.query(sql, { timeoutMs });
    }
  };
  const files = async (table: string): Promise<TableFiles> => {
    const r = await q(`SELECT content, file_size_in_bytes, record_count FROM ${ice}."${table}$files"`);
    return tableFiles(`${ice}.${table}`, r.rows);
  };

  const trinoVersion = (await trino.info()).version;

  // Load.
  await q(`CREATE SCHEMA IF NOT EXISTS ${ice}`);
  const tables: TableLoad[] = [];
  for (const t of TPCH_TABLES) {
    await q(`DROP TABLE IF EXISTS ${ice}.${t}`);
    const r = await q(`CREATE TABLE ${ice}.${t} AS SELECT * FROM ${tpch}.${t}`, LOAD_TIMEOUT_MS);
    const f = await files(t);
    tables.push({ table: t, rows: r.updateCount ?? 0, ms: r.wallMs, bytes: f.dataBytes, files: f.dataFiles });
    log(
      `CTAS ${ice}.${t}: ${r.updateCount ?? "?"} rows in ${(r.wallMs / 1000).toFixed(1)} s, ${f.dataFiles} file(s), ${f.dataBytes} bytes`,
    );
  }
  const snap = await q(
    // Cast: snapshot ids are 64-bit, more than a JSON number holds exactly.
    `SELECT CAST(snapshot_id AS varchar) FROM ${ice}."lineitem$snapshots" ORDER BY committed_at DESC LIMIT 1`,
  );
  const loadSnapshot = String(snap.rows[0]?.[0] ?? "");
  if (!/^\d+$/.test(loadSnapshot)) throw new Error(`${ice}.lineitem has no snapshot after its CTAS.`);

  // Queries: the Iceberg leg, then the connector leg; each query's runs back to back, as verify.query-latency
  // times them. Not interleaved: measured at SF10, a 90 s connector query (rows generated on the CPU) right
  // before an Iceberg join made the join 2x slower (JIT profiles and garbage of another workload), which is
  // the bench's artefact, not the lakehouse's cost (docs/performance.md, "How the bench measures").
  type Rows = readonly (readonly unknown[])[];
  const figures = new Map<
    TpchQuery["id"],
    { ice: number[]; iceRows: Rows[]; tpch: number[]; bytes: number[]; same: boolean }
  >();
  for (const query of TPCH_QUERIES) {
    const f = {
      ice: [] as number[],
      iceRows: [] as Rows[],
      tpch: [] as number[],
      bytes: [] as number[],
      same: true,
    };
    figures.set(query.id, f);
    for (let run = 1; run <= runs; run++) {
      const onIce = await q(renderQuery(query, ice, query.id === "TT" ? loadSnapshot : undefined));
      f.ice.push(onIce.wallMs);
      f.iceRows.push(onIce.rows);
      f.bytes.push(await physicalInputBytes(opts.trinoUrl, onIce.queryId));
      log(`iceberg ${query.id} run ${run}/${runs}: ${onIce.wallMs} ms`);
    }
  }
  const answers = new Map<TpchQuery["id"], Rows>();
  for (const query of TPCH_QUERIES) {
    const f = figures.get(query.id)!;
    for (let run = 1; run <= runs; run++) {
      const onTpch = await q(renderQuery(query, tpch));
      f.tpch.push(onTpch.wallMs);
      if (run === 1) answers.set(query.id, onTpch.rows);
      log(`tpch ${query.id} run ${run}/${runs}: ${onTpch.wallMs} ms`);
    }
    // Every Iceberg run must give the connector's answer.
    f.same = f.iceRows.every((rows) => sameAnswer(rows, answers.get(query.id) ?? []));
    if (!f.same) log(`${query.id}: the Iceberg answer DIFFERS from the connector's`);
  }
  const queries: QueryFigures[] = TPCH_QUERIES.map((query) => {
    const f = figures.get(query.id)!;
    const iceT = timed(f.ice);
    const tpchT = timed(f.tpch);
    return {
      id: query.id,
      title: query.title,
      iceberg: { ...iceT, physicalInputBytes: median(f.bytes) },
      tpch: tpchT,
      ratio: iceT.medianMs / tpchT.medianMs,
      sameAnswer: f.same,
    };
  });

  const tableFilesNow = await Promise.all(TPCH_TABLES.map((t) => files(t)));
  const result: AnalyticsBenchResult = {
    scale: opts.scale,
    tpchSchema: tpch,
    icebergSchema: ice,
    runs,
    trinoVersion,
    load: {
      tables,
      ms: tables.reduce((s, t) => s + t.ms, 0),
      rows: tables.reduce((s, t) => s + t.rows, 0),
      bytes: tables.reduce((s, t) => s + t.bytes, 0),
    },
    loadSnapshot,
    queries,
    files: tableFilesNow,
    advice: tableFilesNow.map((f) => optimizeAdvice(f)),
  };

  if (opts.deletes ?? true) {
    const q3 = TPCH_QUERIES.find((x) => x.id === "Q3")!;
    const tt = TPCH_QUERIES.find((x) => x.id === "TT")!;
    const q3Runs = async (): Promise<Timed> => {
      const ms: number[] = [];
      for (let i = 0; i < runs; i++) ms.push((await q(renderQuery(q3, ice))).wallMs);
      return timed(ms);
    };
    const before = timed(figures.get("Q3")!.ice);
    const predicate = "orderkey % 8 = 1";
    const del = await q(`DELETE FROM ${ice}.lineitem WHERE ${predicate}`, LOAD_TIMEOUT_MS);
    log(`DELETE ${predicate}: ${del.updateCount ?? "?"} rows in ${(del.wallMs / 1000).toFixed(1)} s`);
    const filesAfterDelete = await files("lineitem");
    const afterDelete = await q3Runs();
    log(`Q3 after the DELETE: ${afterDelete.runsMs.join(" / ")} ms`);
    const travel = await q(renderQuery(tt, ice, loadSnapshot));
    const opt = await q(`ALTER TABLE ${ice}.lineitem EXECUTE optimize`, LOAD_TIMEOUT_MS);
    log(`optimize: ${(opt.wallMs / 1000).toFixed(1)} s`);
    const filesAfterOptimize = await files("lineitem");
    const afterOptimize = await q3Runs();
    log(`Q3 after optimize: ${afterOptimize.runsMs.join(" / ")} ms`);
    result.deletes = {
      predicate,
      deletedRows: del.updateCount ?? 0,
      deleteMs: del.wallMs,
      q3: { before, afterDelete, afterOptimize },
      filesAfterDelete,
      adviceAfterDelete: optimizeAdvice(filesAfterDelete),
      optimizeMs: opt.wallMs,
      filesAfterOptimize,
      adviceAfterOptimize: optimizeAdvice(filesAfterOptimize),
      timeTravelMatches: sameAnswer(travel.rows, answers.get("TT") ?? []),
    };
  }
  return result;
}
