/**
 * `verify.end-to-end`: the assessment's overall criterion. A generated file dropped into the landing prefix is
 * ingested by the compute phase's sample job (the sample job contract) and its result is queried through Trino: every row in
 * is a row out, and the per-day aggregate equals what the check computed from the file itself. Pure.
 */
import type { CheckOutcome } from "../../../preflight/checks/types";
import type { AnalyticsObservations } from "../types";
import type { VerifyCheckDefinition } from "../../types";
import { notObserved } from "./common";

export const endToEnd: VerifyCheckDefinition<AnalyticsObservations> = {
  id: "verify.end-to-end",
  title: "A file dropped into the landing prefix flows through the sample job and reads back through Trino",
  severity: "critical",
  critical: true,
  phase: "analytics",
  evaluate(obs, ctx): CheckOutcome {
    const expected =
      "rows in the landing file = rows in the job's table through Trino; the job's daily aggregate = the aggregate computed from the file";
    const e = obs.endToEnd;
    if (e.state === "skipped") {
      return {
        status: "unknown",
        observed: `The pipeline was not run: ${e.reason}.`,
        expected,
        remediation:
          "Deploy the compute phase (its sample SparkApplication and the Spark Operator) and verify again; until then the end-to-end criterion is unproven.",
      };
    }
    if (e.state === "error" && e.stage === "ingest") {
      return {
        status: "fail",
        observed: `The sample job did not ingest the landing file: ${e.message}`,
        expected,
        remediation:
          "Read the SparkApplication's driver log (kubectl logs of its driver pod); docs/runbooks/compute.md lists the usual causes.",
      };
    }
    const missing = notObserved(e, expected, obs.endpoint, ctx.config);
    if (missing) return missing;
    const r = e as Extract<AnalyticsObservations["endToEnd"], { state: "ok" }>;
    const data = { source: r.source, table: r.table, aggregateTable: r.aggregateTable, job: r.job, ms: r.ms };
    const aggOk = JSON.stringify(r.aggregate) === JSON.stringify(r.expected);
    const seen = `${r.rowsIn} rows dropped into ${r.source}; ${r.rowsOut} read through Trino from ${r.table}; aggregate ${r.aggregate.length} rows (${aggOk ? "equal to" : "different from"} the ${r.expected.length} computed from the file)`;
    if (r.rowsOut !== r.rowsIn || !aggOk) {
      const diff = r.expected.find((x, i) => JSON.stringify(x) !== JSON.stringify(r.aggregate[i]));
      // What the job itself counted tells whether rows were lost in the job or after it committed.
      const said = ["rows_read", "rows_merged", "table_rows"]
        .filter((k) => r.job[k] !== undefined)
        .map((k) => `${k} ${String(r.job[k])}`)
        .join(", ");
      const n = Math.abs(r.rowsIn - r.rowsOut);
      const delta =
        r.rowsOut === r.rowsIn
          ? ""
          : `; ${n} ${n === 1 ? "row" : "rows"} ${r.rowsOut < r.rowsIn ? "missing" : "extra"}${said ? ` (the job reported ${said})` : ""}`;
      return {
        status: "fail",
        observed: `${seen}${delta}${diff ? `; first difference: expected ${diff.join(" ")}` : ""}.`,
        expected,
        remediation:
          "Rows were lost or changed between the landing file and the table: compare the job's JSON line (rows_read, rows_merged) with the file, and check the job's input parsing (CSV header, decimal amounts, ISO timestamps in UTC).",
        data,
      };
    }
    return {
      status: "pass",
      observed: `${seen} in ${(r.ms / 1000).toFixed(1)} s.`,
      expected,
      remediation: "",
      data,
    };
  },
};
