/**
 * `verify.sample-job`: the compute phase's sample SparkApplication (the one `sampleJobManifest` template, with a
 * scratch prefix and tables) runs on a small generated landing file and COMPLETES within the timeout; the table
 * it wrote, read back through the catalog, has exactly the generated rows, a current snapshot whose summary
 * records them (`total-records`), and the job's own JSON line (the sample job contract) agrees. A failure names the
 * SparkApplication and its driver pod and shows the tail of the driver log. Pure.
 */
import type { CheckOutcome } from "../../../preflight/checks/types";
import type {
  ComputeObservations,
  JobObservation,
  SparkApplicationObservation,
  VerifyCheckDefinition,
} from "../../types";
import { cleanupOutcome, jobProblem, lastLine } from "../../checks/common";

export const SAMPLE_JOB_CHECK = "verify.sample-job";

const RUNBOOK = "docs/runbooks/compute.md (verify.sample-job)";

interface TableRead {
  name?: string;
  exists?: boolean;
  rows?: number;
  snapshotId?: string | null;
  totalRecords?: number | null;
}

const num = (v: unknown): number | null =>
  typeof v === "number"
    ? v
    : typeof v === "string" && v.trim() !== "" && !isNaN(Number(v))
      ? Number(v)
      : null;

/** One sentence about a SparkApplication that did not complete with a result: name, state, driver, log. Pure. */
export function describeRun(r: SparkApplicationObservation, tail = 15): string {
  const lines = (s: string) => s.trim().split("\n").slice(-tail).join("\n");
  switch (r.state) {
    case "skipped":
      return `the SparkApplication was not submitted: ${r.reason}`;
    case "error":
      return r.message;
    case "failed":
      return (
        `SparkApplication ${r.namespace}/${r.name} ended ${r.appState}${r.errorMessage ? ` (${r.errorMessage.trim().split("\n")[0]})` : ""}; ` +
        `driver pod ${r.driverPod ?? "(none reported)"}; driver log tail:\n${lines(r.logTail)}`
      );
    case "timeout":
      return (
        `SparkApplication ${r.namespace}/${r.name} did not finish within ${Math.round(r.waitedMs / 1000)} s (state ${r.lastState || "not picked up by the operator"}); ` +
        `driver pod ${r.driverPod ?? "(none yet)"}; driver log tail:\n${lines(r.logTail)}`
      );
    case "completed":
      return r.result
        ? `SparkApplication ${r.namespace}/${r.name} completed`
        : `SparkApplication ${r.namespace}/${r.name} completed but its driver log (pod ${r.driverPod ?? "?"}) has no JSON result line; driver log tail:\n${lines(r.logTail)}`;
  }
}

export const sampleJob: VerifyCheckDefinition<ComputeObservations> = {
  id: SAMPLE_JOB_CHECK,
  title:
    "The sample PySpark job runs as a SparkApplication on a generated file and its table reads back through the catalog",
  severity: "critical",
  critical: true,
  phase: "compute",
  evaluate(obs, ctx): CheckOutcome {
    const ns = ctx.config.platform.namespace;
    const s = obs.sampleJob;
    const expected =
      "the sample SparkApplication COMPLETED within the timeout; rows counted through the catalog = rows generated = the job's rows_read and table_rows; a current snapshot (the job's snapshot_id) whose summary total-records = rows";
    if (s.state === "skipped") {
      return {
        status: "unknown",
        observed: `The sample job was not run: ${s.reason}.`,
        expected,
        remediation: s.fix,
      };
    }
    const app = `SparkApplication ${s.namespace}/${s.application}`;
    const data: Record<string, unknown> = {
      application: s.application,
      namespace: s.namespace,
      source: s.source,
      table: s.table,
      rowsGenerated: s.rowsGenerated,
    };

    // 1. The landing file.
    const staged = jobProblem(s.stage, expected, ns);
    if (staged) {
      return {
        ...staged,
        observed: `Staging the landing file: ${staged.observed}`,
        data: { ...data, ...staged.data },
      };
    }
    const st = s.stage as Extract<JobObservation, { state: "completed" }>;
    if (st.result?.ok !== true) {
      return {
        status: "fail",
        observed: `The landing file could not be written to ${s.source}: ${String(st.result?.error ?? lastLine(st.logTail))}.`,
        expected,
        remediation: `Check the warehouse bucket's endpoint and keys (foundation.s3Endpoint, the Secret of the warehouse ObjectBucketClaim) with verify.iceberg-roundtrip (\`npm run verify -- --phase foundation\`); ${RUNBOOK}.`,
        data,
      };
    }

    // 2. The SparkApplication.
    const r = s.run;
    data.run = r;
    if (r.state === "skipped") {
      return {
        status: "unknown",
        observed: `The sample job was not run: ${r.reason}.`,
        expected,
        remediation: RUNBOOK,
        data,
      };
    }
    if (r.state === "error") {
      const refused = /HTTP (400|409|422|500)/.test(r.message) && r.stage === "create";
      return {
        status: refused ? "fail" : "unknown",
        observed: `${app} could not be ${r.stage === "create" ? "submitted" : "watched"}: ${r.message}`,
        expected,
        remediation: refused
          ? `The API server (or the operator's webhook) refused the manifest: read the message, \`kubectl -n ${ns} get events\` and the webhook's log; ${RUNBOOK}.`
          : `Check that the Kubernetes API is reachable and that your identity may create, get and delete sparkapplications.sparkoperator.k8s.io and get pods/log in namespace ${ns} (deploy/rbac/verify-compute.yaml, docs/verification.md, RBAC).`,
        data,
      };
    }
    if (r.state === "failed" || r.state === "timeout" || !r.result) {
      data.driverPod = r.driverPod;
      data.driverLogTail = r.logTail;
      const why =
        r.state === "timeout"
          ? `\`kubectl -n ${ns} describe sparkapplication ${r.name}\` and the driver/executor pods: Pending pods (quota, no node fits sizing.sparkDriver/sparkExecutor), an image or jar download that hangs (\`kubectl -n ${ns} logs ${r.driverPod ?? `${r.name}-driver`} -c fetch-jars\`); rerun with a longer --timeout if the cluster is only slow`
          : `the driver log above (\`kubectl -n ${ns} logs ${r.driverPod ?? `${r.name}-driver`}\`; rerun with --keep-jobs to keep the application): exit 2 names a malformed input, 'failed:' a catalog or S3 problem, a missing JSON line a job that is not the C3 sample`;
      return {
        status: "fail",
        observed: `${describeRun(r)}`,
        expected,
        remediation: `Read ${why}; ${RUNBOOK}.`,
        data,
      };
    }
    const job = r.result;
    data.driverPod = r.driverPod;
    data.job = job;

    // 3. The table through the catalog.
    const read = jobProblem(s.inspect, expected, ns);
    if (read) {
      return {
        ...read,
        observed: `Reading the table back: ${read.observed}`,
        data: { ...data, ...read.data },
      };
    }
    const ins = (s.inspect as Extract<JobObservation, { state: "completed" }>).result ?? {};
    if (ins.ok !== true) {
      return {
        status: "unknown",
        observed: `${app} completed, but its table could not be read back through the catalog: ${String(ins.error ?? "no detail")}.`,
        expected,
        remediation: `Check the metastore (verify.metastore-available, \`npm run verify -- --phase foundation\`); ${RUNBOOK}.`,
        data,
      };
    }
    const t = (ins.table ?? {}) as TableRead;
    data.catalog = t;
    const problems: string[] = [];
    const n = s.rowsGenerated;
    if (!t.exists) {
      problems.push(`${s.table} does not exist in the catalog after the run`);
    } else {
      if (t.rows !== n) problems.push(`${t.rows} rows counted through the catalog, ${n} generated`);
      if (!t.snapshotId) problems.push(`${s.table} has no current snapshot`);
      else if (t.totalRecords !== n)
        problems.push(
          `snapshot ${t.snapshotId}'s summary records total-records ${t.totalRecords ?? "(absent)"}, not ${n}`,
        );
      const jr = num(job.rows_read);
      const jt = num(job.table_rows);
      if (jr !== n) problems.push(`the job's JSON line says rows_read ${String(job.rows_read)}, not ${n}`);
      if (jt !== t.rows)
        problems.push(`the job's JSON line says table_rows ${String(job.table_rows)}, the catalog ${t.rows}`);
      if (t.snapshotId && job.snapshot_id !== undefined && String(job.snapshot_id) !== String(t.snapshotId))
        problems.push(
          `the job's JSON line says snapshot_id ${String(job.snapshot_id)}, the catalog's current one is ${t.snapshotId}`,
        );
    }
    if (problems.length > 0) {
      return {
        status: "fail",
        observed: `${app} completed (driver pod ${r.driverPod ?? "?"}), but ${problems.join("; ")}.`,
        expected,
        remediation: `Rows were lost or the catalog and the job disagree: compare the job's JSON line with the file (${s.source}), check that Spark and the metastore see the same warehouse (renderSparkConf, the metastore Service) and the driver log (\`kubectl -n ${ns} logs ${r.driverPod ?? `${r.name}-driver`}\`); ${RUNBOOK}.`,
        data,
      };
    }

    // 4. Clean-up: a leftover is worth a warning, not a failed criterion.
    const seen = `${app} COMPLETED in ${(r.durationMs / 1000).toFixed(0)} s (driver pod ${r.driverPod ?? "?"}); ${n} rows generated = ${t.rows} rows counted through the catalog in ${s.table} = the job's rows_read/table_rows; snapshot ${t.snapshotId} with total-records ${t.totalRecords}`;
    return cleanupOutcome({
      seen,
      cleanup: s.cleanup,
      leftovers: s.leftovers,
      expected,
      remediation: `Remove the scratch objects by hand: the tables ${s.table}/${s.aggregateTable} (DROP TABLE ... PURGE), the objects under ${s.source}, and \`kubectl -n ${ns} delete sparkapplications,jobs,configmaps -l lakehouse.dev/verify-run\`; ${RUNBOOK}.`,
      data,
    });
  },
};
