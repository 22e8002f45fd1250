/**
 * `verify.iceberg-catalog`: `SHOW SCHEMAS FROM iceberg` answers (Trino reaches the Hive Metastore), and a table
 * the pipeline wrote (the compute phase's sample job, or a table named with --table) reads back through Trino
 * with the row count its Iceberg metadata reports. Pure.
 */
import type { CheckOutcome } from "../../../preflight/checks/types";
import type { AnalyticsObservations } from "../types";
import type { VerifyCheckDefinition } from "../../types";
import { notObserved } from "./common";

export const icebergCatalog: VerifyCheckDefinition<AnalyticsObservations> = {
  id: "verify.iceberg-catalog",
  title:
    "Trino reads the Iceberg catalog: schemas list and a pipeline table reads back with its recorded row count",
  severity: "critical",
  critical: true,
  phase: "analytics",
  evaluate(obs, ctx): CheckOutcome {
    const expected =
      "SHOW SCHEMAS FROM iceberg answers; count(*) of a table the pipeline wrote equals the row count in its current Iceberg snapshot";
    const missing = notObserved(obs.catalog, expected, obs.endpoint, ctx.config);
    if (missing) {
      if (obs.catalog.state === "error" && obs.catalog.stage === "show-schemas") {
        return {
          ...missing,
          remediation: `Trino cannot list the Iceberg catalog: check hive.metastore.uri in the iceberg catalog (the foundation's metastore Service) and that the metastore answers (npm run verify -- --phase foundation).`,
        };
      }
      return missing;
    }
    const c = obs.catalog as Extract<AnalyticsObservations["catalog"], { state: "ok" }>;
    const schemas = `${c.schemas.length} schemas (${c.schemas.slice(0, 6).join(", ")}${c.schemas.length > 6 ? ", ..." : ""})`;
    if ("missing" in c.table) {
      return {
        status: "warn",
        observed: `SHOW SCHEMAS FROM iceberg lists ${schemas}, but no pipeline table was read back: ${c.table.missing}.`,
        expected,
        remediation:
          "Run the compute phase's sample job (verify.end-to-end does) or name a table the pipeline wrote with --table SCHEMA.TABLE.",
        data: { schemas: c.schemas },
      };
    }
    const t = c.table;
    const data = { schemas: c.schemas, table: t };
    const counted = t.metadataRecords === null ? null : t.metadataRecords - t.positionDeletes;
    const meta =
      t.metadataRecords === null
        ? "its snapshot records no row count"
        : `its snapshot ${t.snapshotId ?? "?"} records ${t.metadataRecords} rows${t.positionDeletes ? ` minus ${t.positionDeletes} deleted` : ""}`;
    if (t.equalityDeletes > 0 || counted === null) {
      return {
        status: "warn",
        observed: `${t.name} (written by ${t.writer}) reads ${t.rows} rows; ${meta}${t.equalityDeletes ? ` and ${t.equalityDeletes} equality deletes, so the metadata cannot give an exact count` : ""}.`,
        expected,
        remediation: `Compact the table (ALTER TABLE ${t.name} EXECUTE optimize) and verify again for an exact comparison.`,
        data,
      };
    }
    if (counted !== t.rows) {
      return {
        status: "fail",
        observed: `${t.name} (written by ${t.writer}) reads ${t.rows} rows through Trino, but ${meta}.`,
        expected,
        remediation: `Trino and the table's writer disagree on the data: compare sum(record_count) of the table's "$files" metadata table with the data files in the bucket (missing or unreadable files, or a writer that committed files Trino cannot read).`,
        data,
      };
    }
    return {
      status: "pass",
      observed: `SHOW SCHEMAS FROM iceberg lists ${schemas}; ${t.name} (written by ${t.writer}) reads ${t.rows} rows, as ${meta}.`,
      expected,
      remediation: "",
      data,
    };
  },
};
