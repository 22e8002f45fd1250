/**
 * The TPC-H queries the analytics verification (and the real-engine tests) run, written once for any
 * `catalog.schema` that holds the TPC-H tables: the `tpch` connector's own schemas (the reference answer, no
 * storage) or the Iceberg copies built from them by CTAS. Pure.
 *
 * Money columns are DECIMAL(12,2), as TPC-H types them: the product's tpch catalog sets
 * `tpch.double-type-mapping=DECIMAL` (stacks/analytics/catalogs.ts) and the Iceberg copies inherit the types by
 * CTAS. Decimal sums are exact, so the Iceberg answer must equal the connector's digit for digit (a sum of
 * DOUBLEs depends on the order splits arrive in). The queries need no casts: casting DOUBLE columns to decimal
 * in the query made Q1 4x slower at SF10. Every ORDER BY is total, so row order is part of the answer.
 */

/** The TPC-H tables the queries read (part and partsupp are not needed). */
export const TPCH_TABLES = ["region", "nation", "supplier", "customer", "orders", "lineitem"] as const;
export type TpchTable = (typeof TPCH_TABLES)[number];

export interface TpchQuery {
  /** Stable name, used in results: q1, q3, ... */
  readonly name: string;
  readonly title: string;
  /** Tables it reads. */
  readonly tables: readonly TpchTable[];
  /**
   * The SQL, each table named by `table` (e.g. `(t) => \`tpch.sf10.${t}\`` or an Iceberg copy, possibly with
   * `FOR VERSION AS OF n` for a time-travel read).
   */
  sql(table: (name: TpchTable) => string): string;
}

const revenue = "sum(l.extendedprice * (1 - l.discount))";

export const Q1: TpchQuery = {
  name: "q1",
  title: "TPC-H Q1, pricing summary (scan + aggregation of lineitem)",
  tables: ["lineitem"],
  sql: (p) => `SELECT l.returnflag, l.linestatus, sum(l.quantity) AS sum_qty,
  sum(l.extendedprice) AS sum_base_price, ${revenue} AS sum_disc_price,
  sum(l.extendedprice * (1 - l.discount) * (1 + l.tax)) AS sum_charge,
  count(*) AS count_order
FROM ${p("lineitem")} l
WHERE l.shipdate <= DATE '1998-12-01' - INTERVAL '90' DAY
GROUP BY l.returnflag, l.linestatus
ORDER BY l.returnflag, l.linestatus`,
};

const Q3: TpchQuery = {
  name: "q3",
  title: "TPC-H Q3, shipping priority (3-table join)",
  tables: ["customer", "orders", "lineitem"],
  sql: (p) => `SELECT l.orderkey, ${revenue} AS revenue, o.orderdate, o.shippriority
FROM ${p("customer")} c
JOIN ${p("orders")} o ON c.custkey = o.custkey
JOIN ${p("lineitem")} l ON l.orderkey = o.orderkey
WHERE c.mktsegment = 'BUILDING' AND o.orderdate < DATE '1995-03-15' AND l.shipdate > DATE '1995-03-15'
GROUP BY l.orderkey, o.orderdate, o.shippriority
ORDER BY revenue DESC, o.orderdate, l.orderkey
LIMIT 10`,
};

export const Q5: TpchQuery = {
  name: "q5",
  title: "TPC-H Q5, local supplier volume (6-table join)",
  tables: ["customer", "orders", "lineitem", "supplier", "nation", "region"],
  sql: (p) => `SELECT n.name, ${revenue} AS revenue
FROM ${p("customer")} c
JOIN ${p("orders")} o ON c.custkey = o.custkey
JOIN ${p("lineitem")} l ON l.orderkey = o.orderkey
JOIN ${p("supplier")} s ON l.suppkey = s.suppkey AND c.nationkey = s.nationkey
JOIN ${p("nation")} n ON s.nationkey = n.nationkey
JOIN ${p("region")} r ON n.regionkey = r.regionkey
WHERE r.name = 'ASIA' AND o.orderdate >= DATE '1994-01-01' AND o.orderdate < DATE '1995-01-01'
GROUP BY n.name
ORDER BY revenue DESC, n.name`,
};

const Q6: TpchQuery = {
  name: "q6",
  title: "TPC-H Q6, forecasting revenue change (selective scan of lineitem)",
  tables: ["lineitem"],
  sql: (p) => `SELECT sum(l.extendedprice * l.discount) AS revenue
FROM ${p("lineitem")} l
WHERE l.shipdate >= DATE '1994-01-01' AND l.shipdate < DATE '1995-01-01'
  AND l.discount BETWEEN 0.05 AND 0.07 AND l.quantity < 24`,
};

const Q10: TpchQuery = {
  name: "q10",
  title: "TPC-H Q10, returned item reporting (4-table join)",
  tables: ["customer", "orders", "lineitem", "nation"],
  sql: (p) => `SELECT c.custkey, c.name, ${revenue} AS revenue, c.acctbal AS acctbal, n.name AS nation
FROM ${p("customer")} c
JOIN ${p("orders")} o ON c.custkey = o.custkey
JOIN ${p("lineitem")} l ON l.orderkey = o.orderkey
JOIN ${p("nation")} n ON c.nationkey = n.nationkey
WHERE o.orderdate >= DATE '1993-10-01' AND o.orderdate < DATE '1994-01-01' AND l.returnflag = 'R'
GROUP BY c.custkey, c.name, c.acctbal, n.name
ORDER BY revenue DESC, c.custkey
LIMIT 20`,
};

/** Multi-table joins (at least three tables each). */
export const TPCH_JOIN_QUERIES: readonly TpchQuery[] = [Q3, Q5, Q10];

/** The typical analytics queries `verify.query-latency` times (plus a time-travel read of lineitem). */
export const TPCH_LATENCY_QUERIES: readonly TpchQuery[] = [Q1, Q3, Q5, Q6, Q10];

/** The tpch connector's schema for a scale factor: `tiny` is 0.01, others `sf<N>`. */
export function tpchSchema(scale: number): string {
  if (scale === 0.01) return "tiny";
  return `sf${String(scale)}`;
}

/** Table-name-safe label of a scale factor: 0.01 -> `sf0_01`, 10 -> `sf10`. */
/** A table resolver for every table under one `catalog.schema` prefix: `inSchema("tpch.tiny")("nation")`. */
export const inSchema =
  (prefix: string) =>
  (name: TpchTable): string =>
    `${prefix}.${name}`;

export function scaleLabel(scale: number): string {
  return `sf${String(scale).replace(".", "_")}`;
}
