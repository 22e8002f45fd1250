/**
 * The TPC-H queries the analytics benchmark runs: the product's own (verify/analytics/tpch.ts, the ones
 * `verify.query-latency` times: Q1, Q3, Q5, Q6, Q10) and the same time-travel read (Q1 on lineitem FOR VERSION
 * AS OF a snapshot), rendered against `{schema}` so the same text runs on the Iceberg copy and on the `tpch`
 * connector. What the bench measures is what the post-deploy check measures. Pure.
 */
import { Q1, TPCH_LATENCY_QUERIES, type TpchQuery as ProductQuery } from "../../verify/analytics/tpch";

/** The tables the queries read (part and partsupp are not used, so not loaded). Loaded in this order. */
export const TPCH_TABLES = ["lineitem", "orders", "customer", "supplier", "nation", "region"] as const;
export type TpchTable = (typeof TPCH_TABLES)[number];

export interface TpchQuery {
  id: "Q1" | "Q3" | "Q5" | "Q6" | "Q10" | "TT";
  title: string;
  /** SQL with `{schema}` for `catalog.schema` and, for TT, `{asOf}` for `FOR VERSION AS OF <snapshot>`. */
  sql: string;
}

const inTemplate = (q: ProductQuery, asOf = false): string =>
  q.sql((t) => (asOf && t === "lineitem" ? `{schema}.${t} {asOf}` : `{schema}.${t}`));

export const TPCH_QUERIES: readonly TpchQuery[] = [
  ...TPCH_LATENCY_QUERIES.map((q) => ({
    id: q.name.toUpperCase() as TpchQuery["id"],
    // "TPC-H Q3, shipping priority (3-table join)" -> "shipping priority (3-table join)"
    title: q.title.replace(/^TPC-H Q\d+, /, ""),
    sql: inTemplate(q),
  })),
  {
    id: "TT",
    title: "time travel: Q1 at the load snapshot (FOR VERSION AS OF)",
    sql: inTemplate(Q1, true),
  },
];

/**
 * The query's text for `schema` (`catalog.schema`). `asOf` is a snapshot id for the time-travel query on
 * Iceberg; without it (the tpch connector has no snapshots) TT reads the current data.
 */
export function renderQuery(q: TpchQuery, schema: string, asOf?: string): string {
  if (!/^[a-z_][a-z0-9_]*\.[a-z_][a-z0-9_.]*$/.test(schema)) {
    throw new Error(`TPC-H schema "${schema}" must be catalog.schema in lower case (e.g. iceberg.tpch_sf1).`);
  }
  if (asOf !== undefined && !/^\d+$/.test(asOf)) throw new Error(`snapshot id "${asOf}" must be a number.`);
  return q.sql
    .replace(/\{schema\}/g, schema)
    .replace(/\{asOf\}/g, asOf !== undefined ? `FOR VERSION AS OF ${asOf}` : "");
}

/** The tpch connector's schema for a scale factor: `tiny` is 0.01, `sf1`, `sf10`, ... */
export function tpchSchema(scale: string): string {
  if (scale === "tiny" || scale === "0.01") return "tiny";
  if (!/^[1-9]\d*$/.test(scale))
    throw new Error(`TPC-H scale "${scale}" must be tiny or a whole number such as 1 or 10.`);
  return `sf${scale}`;
}

/**
 * True when two result sets are the same answer: same row count, same values in order, numbers equal to a
 * relative 1e-9 (sums of doubles depend on the order Trino adds them in, which differs between connectors).
 */
export function sameAnswer(a: readonly (readonly unknown[])[], b: readonly (readonly unknown[])[]): boolean {
  if (a.length !== b.length) return false;
  const close = (x: unknown, y: unknown): boolean => {
    if (typeof x === "number" && typeof y === "number") {
      return x === y || Math.abs(x - y) <= 1e-9 * Math.max(Math.abs(x), Math.abs(y));
    }
    return JSON.stringify(x) === JSON.stringify(y);
  };
  return a.every((row, i) => row.length === b[i].length && row.every((v, j) => close(v, b[i][j])));
}
