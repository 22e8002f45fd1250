/**
 * The TPC-H queries the analytics benchmark runs (Q1, Q3, Q5, Q6, Q10, and a time-travel read), written once
 * against `{schema}` so the same text runs on the Iceberg copy and on the `tpch` connector. Column names are
 * the connector's default (`tpch.column-naming=SIMPLIFIED`: `orderkey`, not `l_orderkey`), every column is
 * qualified by its table's alias. Parameters are the TPC-H validation values. Pure.
 */

/** The tables the queries read (part and partsupp are not used, so not loaded). */
export const TPCH_TABLES = ["lineitem", "orders", "customer", "supplier", "nation", "region"] as const;
export type TpchTable = (typeof TPCH_TABLES)[number];

export interface TpchQuery {
  id: "Q1" | "Q3" | "Q5" | "Q6" | "Q10" | "TT";
  title: string;
  /** SQL with `{schema}` for `catalog.schema` and, for TT, `{snapshot}` for an Iceberg snapshot id. */
  sql: string;
}

export const TPCH_QUERIES: readonly TpchQuery[] = [
  {
    id: "Q1",
    title: "pricing summary (scan + aggregate lineitem)",
    sql: `SELECT l.returnflag, l.linestatus, sum(l.quantity) AS sum_qty, sum(l.extendedprice) AS sum_base_price,
  sum(l.extendedprice * (1 - l.discount)) AS sum_disc_price,
  sum(l.extendedprice * (1 - l.discount) * (1 + l.tax)) AS sum_charge,
  avg(l.quantity) AS avg_qty, avg(l.extendedprice) AS avg_price, avg(l.discount) AS avg_disc, count(*) AS count_order
FROM {schema}.lineitem l
WHERE l.shipdate <= DATE '1998-12-01' - INTERVAL '90' DAY
GROUP BY l.returnflag, l.linestatus
ORDER BY l.returnflag, l.linestatus`,
  },
  {
    id: "Q3",
    title: "shipping priority (3-table join)",
    sql: `SELECT l.orderkey, sum(l.extendedprice * (1 - l.discount)) AS revenue, o.orderdate, o.shippriority
FROM {schema}.customer c, {schema}.orders o, {schema}.lineitem l
WHERE c.mktsegment = 'BUILDING' AND c.custkey = o.custkey AND l.orderkey = o.orderkey
  AND o.orderdate < DATE '1995-03-15' AND l.shipdate > DATE '1995-03-15'
GROUP BY l.orderkey, o.orderdate, o.shippriority
ORDER BY revenue DESC, o.orderdate, l.orderkey
LIMIT 10`,
  },
  {
    id: "Q5",
    title: "local supplier volume (6-table join)",
    sql: `SELECT n.name, sum(l.extendedprice * (1 - l.discount)) AS revenue
FROM {schema}.customer c, {schema}.orders o, {schema}.lineitem l, {schema}.supplier s, {schema}.nation n,
  {schema}.region r
WHERE c.custkey = o.custkey AND l.orderkey = o.orderkey AND l.suppkey = s.suppkey
  AND c.nationkey = s.nationkey AND s.nationkey = n.nationkey AND n.regionkey = r.regionkey
  AND r.name = 'ASIA' AND o.orderdate >= DATE '1994-01-01' AND o.orderdate < DATE '1995-01-01'
GROUP BY n.name
ORDER BY revenue DESC`,
  },
  {
    id: "Q6",
    title: "forecasting revenue change (selective scan)",
    sql: `SELECT sum(l.extendedprice * l.discount) AS revenue
FROM {schema}.lineitem l
WHERE l.shipdate >= DATE '1994-01-01' AND l.shipdate < DATE '1995-01-01'
  AND l.discount BETWEEN 0.05 AND 0.07 AND l.quantity < 24`,
  },
  {
    id: "Q10",
    title: "returned item reporting (4-table join, top 20)",
    sql: `SELECT c.custkey, c.name, sum(l.extendedprice * (1 - l.discount)) AS revenue, c.acctbal, n.name AS nation,
  c.address, c.phone, c.comment
FROM {schema}.customer c, {schema}.orders o, {schema}.lineitem l, {schema}.nation n
WHERE c.custkey = o.custkey AND l.orderkey = o.orderkey
  AND o.orderdate >= DATE '1993-10-01' AND o.orderdate < DATE '1994-01-01'
  AND l.returnflag = 'R' AND c.nationkey = n.nationkey
GROUP BY c.custkey, c.name, c.acctbal, c.phone, n.name, c.address, c.comment
ORDER BY revenue DESC, c.custkey
LIMIT 20`,
  },
  {
    id: "TT",
    title: "time travel: Q6's scan at the load snapshot (FOR VERSION AS OF)",
    sql: `SELECT count(*) AS line_items, sum(l.extendedprice * l.discount) AS revenue
FROM {schema}.lineitem {asOf} l
WHERE l.shipdate >= DATE '1994-01-01' AND l.shipdate < DATE '1995-01-01'`,
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
