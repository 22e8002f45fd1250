/**
 * `verify.iceberg-roundtrip`: through the catalog (the Hive Metastore), a scratch namespace and Iceberg table
 * in the warehouse, two appends (two snapshots), read back, a scan as of the first snapshot (time travel),
 * then drop and purge. Decided from the JSON line of verify/foundation/scripts/iceberg_roundtrip.py. Pure.
 */
import type { CheckOutcome } from "../../../preflight/checks/types";
import type { FoundationObservations, VerifyCheckDefinition } from "../../types";
import { jobProblem } from "../../checks/common";

interface Step {
  name?: string;
  ok?: boolean;
  ms?: number;
  detail?: string;
}

export const icebergRoundtrip: VerifyCheckDefinition<FoundationObservations> = {
  id: "verify.iceberg-roundtrip",
  title: "Iceberg tables can be created, written, read and time-travelled through the metastore",
  severity: "critical",
  critical: true,
  phase: "foundation",
  evaluate(obs, ctx): CheckOutcome {
    const ns = ctx.config.platform.namespace;
    const expected =
      "create namespace + table, 2 appends = 2 snapshots, 5 rows read back, 3 rows as of the first snapshot, scratch objects purged";
    const problem = jobProblem(obs.icebergRoundtrip, expected, ns);
    if (problem) return problem;
    const job = obs.icebergRoundtrip as Extract<typeof obs.icebergRoundtrip, { state: "completed" }>;
    const r = job.result ?? {};
    const steps = Array.isArray(r.steps) ? (r.steps as Step[]) : [];
    const totalMs = steps.reduce((s, x) => s + (x.ms ?? 0), 0);
    const data = { job: job.job, namespace: r.namespace, steps, snapshots: r.snapshots };
    if (r.ok === true && r.snapshots === 2 && r.rowsCurrent === 5 && r.rowsAtFirstSnapshot === 3) {
      return {
        status: "pass",
        observed: `Namespace ${String(r.namespace)} in ${String(r.warehouse ?? "the warehouse")}: 2 snapshots, 5 rows read back, 3 rows as of the first snapshot, scratch objects purged (${(totalMs / 1000).toFixed(1)} s).`,
        expected,
        remediation: "",
        data,
      };
    }
    if (r.failedStep === "config") {
      return {
        status: "unknown",
        observed: `The round-trip Job was misconfigured: ${String(r.error)}`,
        expected,
        remediation:
          "This is a bug in the verification Job's spec (verify/foundation/manifests.ts); report it with this message.",
        data,
      };
    }
    const failed = steps.find((s) => s.ok === false);
    const leftovers =
      r.cleanedUp === false
        ? ` The scratch namespace ${String(r.namespace)} may be left behind: drop it through the catalog (e.g. Trino DROP SCHEMA) and delete its prefix in the warehouse bucket.`
        : "";
    const hint: Record<string, string> = {
      connect: "the metastore Service is not reachable from the namespace, or the metastore is down",
      "create-namespace": "the metastore cannot create databases (its database or the warehouse location)",
      "create-table":
        "the table's metadata could not be written to the warehouse bucket (S3 endpoint, keys, bucket, HTTP 411 from an old RGW without when_required checksums)",
      "append-1": "data files could not be written to the warehouse bucket",
      "append-2": "the second commit failed (metastore locking or S3)",
      "read-back": "the rows read back differ from the rows written",
      "time-travel": "the first snapshot is not readable: snapshots are being expired too early",
      "purge-table": "the scratch table could not be dropped or its files deleted",
      "drop-namespace": "the scratch namespace could not be dropped",
    };
    const step = failed?.name ?? String(r.failedStep ?? "unknown");
    return {
      status: "fail",
      observed: `Step ${step} failed: ${failed?.detail ?? String(r.error ?? "no detail")}.`,
      expected,
      remediation: `Likely ${hint[step] ?? "a problem in the catalog or the warehouse"}; see the metastore log and docs/runbooks/foundation.md.${leftovers}`,
      data,
    };
  },
};
