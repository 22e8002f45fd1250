/**
 * `verify.multi-table-join`: TPC-H Q5 (a 6-table join) over the verification's Iceberg copy of TPC-H returns
 * the known answer: the same query on Trino's tpch connector at the same scale factor (generated data, no
 * storage). Pure.
 */
import type { CheckOutcome } from "../../../preflight/checks/types";
import type { AnalyticsObservations } from "../types";
import type { VerifyCheckDefinition } from "../../types";
import { notObserved } from "./common";

const show = (rows: readonly unknown[][], n = 3): string =>
  rows
    .slice(0, n)
    .map((r) => r.map(String).join(" "))
    .join("; ") + (rows.length > n ? "; ..." : "");

export const multiTableJoin: VerifyCheckDefinition<AnalyticsObservations> = {
  id: "verify.multi-table-join",
  title: "A TPC-H multi-table join over Iceberg tables returns the known answer",
  severity: "critical",
  critical: true,
  phase: "analytics",
  evaluate(obs, ctx): CheckOutcome {
    const expected =
      "TPC-H Q5 (6 tables) over the Iceberg tables returns exactly the rows the tpch connector returns for the same scale";
    const missing = notObserved(obs.join, expected, obs.endpoint, ctx.config);
    if (missing) return missing;
    const j = obs.join as Extract<AnalyticsObservations["join"], { state: "ok" }>;
    const data = { query: j.query, tables: j.tables, rows: j.rows.length, ms: j.ms };
    if (j.reference.length === 0) {
      return {
        status: "unknown",
        observed: `The reference query on the tpch connector returned no rows, so there is no known answer to compare with.`,
        expected,
        remediation: "Check that the tpch catalog is configured (SHOW CATALOGS) and verify again.",
        data,
      };
    }
    if (JSON.stringify(j.rows) !== JSON.stringify(j.reference)) {
      return {
        status: "fail",
        observed: `${j.query} over ${j.tables.length} Iceberg tables returned ${j.rows.length} rows (${show(j.rows)}); the known answer has ${j.reference.length} (${show(j.reference)}).`,
        expected,
        remediation: `The Iceberg copy differs from its source: drop schema iceberg.${ctx.config.analytics.verifySchema} (DROP SCHEMA ... CASCADE) so the next verification rebuilds it, and if it differs again look for failed writes in the coordinator log.`,
        data,
      };
    }
    return {
      status: "pass",
      observed: `${j.query} over ${j.tables.length} Iceberg tables returned the known answer (${j.rows.length} rows: ${show(j.rows, 2)}) in ${(j.ms / 1000).toFixed(1)} s.`,
      expected,
      remediation: "",
      data,
    };
  },
};
