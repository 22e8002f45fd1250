/**
 * `verify.airflow-dag`: Airflow has loaded the DAG `lakehouse_ingest` with no import error and unpaused, asked
 * through its own REST API (from a Job in the Airflow namespace), and one run of it, triggered through that API
 * on a generated file under the verification's scratch prefix and tables, succeeds and lands the generated rows
 * in its scratch table (verify/compute/airflowRun.ts). Paused is `warn` (it loads but never runs); a failed or timed-out
 * run is `fail` naming the DAG run, its task and the SparkApplication; not being able to ask or to run is
 * `unknown` with the fix, never a pass. Pure.
 */
import type { CheckOutcome } from "../../../preflight/checks/types";
import type {
  AirflowRunObservation,
  ComputeObservations,
  DagRunReport,
  JobObservation,
  TriggeredApplication,
  VerifyCheckDefinition,
  VerifyContext,
} from "../../types";
import { cleanupOutcome, jobProblem, lastLine } from "../../checks/common";
import { airflowApiService } from "../../../stacks/compute/names";

const RUNBOOK = "docs/runbooks/compute.md (verify.airflow-dag)";

/** The DAG id (the DAG submission contract). */
export const DAG_ID = "lakehouse_ingest";

export const airflowDag: VerifyCheckDefinition<ComputeObservations> = {
  id: "verify.airflow-dag",
  title:
    "Airflow has loaded the lakehouse_ingest DAG without import errors, unpaused, and a run triggered through its API lands rows",
  severity: "critical",
  critical: true,
  phase: "compute",
  evaluate(obs, ctx): CheckOutcome {
    const af = ctx.config.cluster.airflowNamespace;
    const svc = `${af}/${airflowApiService(ctx.config)}:${ctx.config.compute.airflowApiPort}`;
    const expected = `DAG ${DAG_ID} listed by Airflow's API (${svc}) with no import error and unpaused; one run triggered through the API on scratch data succeeds and its scratch table holds the generated rows`;
    const o = obs.airflowDag;
    switch (o.state) {
      case "no-credentials":
        return {
          status: "unknown",
          observed: `Airflow's API credentials could not be read: ${o.message}`,
          expected,
          remediation: `Create Secret ${af}/${o.secret} with keys username and password of an Airflow user that may read DAGs (lakehouse:compute.airflowApiSecret), and allow your identity to get it.`,
        };
      case "unauthorized":
        return {
          status: "unknown",
          observed: `Airflow's API refused the credentials (HTTP ${o.status}): ${o.message}`,
          expected,
          remediation: `Check the username and password in Secret ${af}/${ctx.config.compute.airflowApiSecret} and that the API's auth backend accepts them (Airflow 2: basic_auth in [api] auth_backends; Airflow 3: the auth manager's /auth/token).`,
        };
      case "unreachable":
        return {
          status: "unknown",
          observed: `Airflow's API could not be reached at ${o.target}: ${o.message}`,
          expected,
          remediation: `Set lakehouse:compute.airflowApiService/airflowApiPort/airflowApiVersion to your Airflow's API Service (Airflow 2: <release>-webserver and v1), and allow your identity services/proxy in ${af}.`,
        };
      case "ok": {
        const data: Record<string, unknown> = { api: o.api, dag: o.dag, importErrors: o.importErrors };
        if (o.importErrors.length > 0) {
          const e = o.importErrors[0];
          return {
            status: "fail",
            observed: `${o.importErrors.length} import error(s); ${e.filename}: ${e.error.trim().split("\n").pop()}`,
            expected,
            remediation: `Fix the DAG file (dags/lakehouse_ingest.py) or install what it imports (apache-airflow-providers-cncf-kubernetes) in the Airflow image, then wait for the DAG processor to re-parse it.`,
            data,
          };
        }
        if (!o.dag.found) {
          return {
            status: "fail",
            observed: `Airflow does not list the DAG ${DAG_ID} and reports no import error for it.`,
            expected,
            remediation: `Mount ConfigMap ${af}/${ctx.config.compute.dagConfigMap} into Airflow's DAG folder (or use git-sync, docs/runbooks/compute.md) and wait for the DAG processor's next scan.`,
            data,
          };
        }
        const loaded = `DAG ${DAG_ID} loaded from ${o.dag.fileloc} (API ${o.api}), no import error`;
        if (o.dag.isPaused !== false) {
          return {
            status: "warn",
            observed: `${loaded}; it is ${o.dag.isPaused ? "paused" : "of unknown pause state"}, so it will not run on schedule, and no run was triggered (a paused DAG's runs stay queued).`,
            expected,
            remediation: `Unpause it: \`airflow dags unpause ${DAG_ID}\` in an Airflow pod of namespace ${af}, or the toggle in the UI (lakehouse:compute.dagPausedAtCreation only decides how Airflow first creates it); ${RUNBOOK}.`,
            data,
          };
        }
        return evaluateRun(obs.airflowRun, { ...ctx, loaded, expected, data });
      }
    }
  },
};

/** One line about the DAG run, its tasks and the applications it submitted. Pure. */
export function describeDagRun(r: DagRunReport, apps: readonly TriggeredApplication[]): string {
  const tasks = r.tasks.length
    ? r.tasks.map((t) => `task ${t.taskId} ${t.state ?? "(no state)"} (try ${t.tryNumber ?? "?"})`).join(", ")
    : "no task instance reported";
  const spark = apps.length
    ? apps
        .map(
          (a) =>
            `SparkApplication ${a.namespace}/${a.name} ${a.state || "(no state reported by the operator)"}${a.errorMessage ? ` (${a.errorMessage.trim().split("\n")[0]})` : ""}, driver pod ${a.driverPod ?? "(none reported)"}`,
        )
        .join("; ")
    : "no SparkApplication with the run's label was seen";
  return `DAG run ${r.dagRunId} ${r.state ?? "(state never read)"}; ${tasks}; ${spark}`;
}

interface RunContext extends VerifyContext {
  loaded: string;
  expected: string;
  data: Record<string, unknown>;
}

const tailLines = (text: string, n: number): string =>
  text
    .trim()
    .split("\n")
    .filter((l) => l.trim() !== "")
    .slice(-n)
    .join("\n");

/** The triggered run's part of the check (the DAG is loaded, unbroken and unpaused). Pure. */
function evaluateRun(run: AirflowRunObservation, c: RunContext): CheckOutcome {
  const { expected, loaded } = c;
  const ns = c.config.platform.namespace;
  const af = c.config.cluster.airflowNamespace;
  if (run.state === "skipped") {
    return {
      status: "unknown",
      observed: `${loaded}; but no run was triggered: ${run.reason}.`,
      expected,
      remediation: run.fix,
      data: { ...c.data, run: { triggered: false, reason: run.reason } },
    };
  }
  const r = run.report;
  const data: Record<string, unknown> = {
    ...c.data,
    run: {
      dagRunId: run.dagRunId,
      source: run.source,
      table: run.table,
      rowsGenerated: run.rowsGenerated,
      state: r?.state ?? null,
      tasks: r?.tasks ?? [],
      applications: run.applications,
      ...(r?.timedOut ? { timedOut: true, markedFailed: r.markedFailed } : {}),
    },
  };
  const jobStep = (what: string, j: JobObservation, namespace: string): CheckOutcome | undefined => {
    const p = jobProblem(j, expected, namespace);
    return p
      ? { ...p, observed: `${loaded}; ${what}: ${p.observed}`, data: { ...data, ...p.data } }
      : undefined;
  };

  // 1. The landing file.
  const staged = jobStep("staging the run's landing file", run.stage, ns);
  if (staged) return staged;
  const st = run.stage as Extract<JobObservation, { state: "completed" }>;
  if (st.result?.ok !== true) {
    return {
      status: "unknown",
      observed: `${loaded}; the run's landing file could not be written to ${run.source}: ${String(st.result?.error ?? lastLine(st.logTail))}.`,
      expected,
      remediation: `Check the warehouse bucket with verify.iceberg-roundtrip (\`npm run verify -- --phase foundation\`); ${RUNBOOK}.`,
      data,
    };
  }

  // 2. The trigger Job and its report.
  const triggered = jobStep("triggering the DAG run", run.trigger, af);
  if (triggered) return triggered;
  const tr = (run.trigger as Extract<JobObservation, { state: "completed" }>).result ?? {};
  if (!r) {
    const why =
      tr.stage === "auth"
        ? `Airflow refused the credentials (HTTP ${String(tr.status)})`
        : tr.stage === "connect"
          ? `Airflow's API could not be reached: ${String(tr.error ?? "connection failed")}`
          : `the script stopped at ${String(tr.stage ?? "?")} (HTTP ${String(tr.status ?? "?")})`;
    return {
      status: "unknown",
      observed: `${loaded}; the DAG run ${run.dagRunId} could not be triggered: ${why}.`,
      expected,
      remediation: `Check Airflow's API and the Secret ${af}/${c.config.compute.airflowApiSecret} as above; ${RUNBOOK}.`,
      data,
    };
  }
  if (!r.triggered) {
    if (r.reason) {
      return {
        status: r.reason === "paused" ? "warn" : "fail",
        observed: `${loaded} at first; when the run was to be triggered the DAG was ${r.reason === "paused" ? "paused" : r.reason === "not loaded" ? "no longer listed" : "broken (import error)"}, so no run was triggered.`,
        expected,
        remediation:
          r.reason === "paused"
            ? `Unpause it: \`airflow dags unpause ${DAG_ID}\` (or the toggle in the UI); ${RUNBOOK}.`
            : `Look at Airflow's import errors (UI: Browse > DAG import errors) and the DAG processor's log; ${RUNBOOK}.`,
        data,
      };
    }
    const forbidden = r.status === 401 || r.status === 403;
    return {
      status: forbidden ? "unknown" : "fail",
      observed:
        `${loaded}; Airflow refused to create DAG run ${r.dagRunId}: HTTP ${r.status ?? "?"} ${r.detail ?? ""}`.trim() +
        ".",
      expected,
      remediation: forbidden
        ? `The Airflow user in Secret ${af}/${c.config.compute.airflowApiSecret} may read DAGs but not trigger them: give it a role that may create and edit DAG runs and read task logs (Airflow 2 FAB: Op; Airflow 3: an auth-manager user with those permissions); ${RUNBOOK}.`
        : `Airflow rejected the run's parameters (source, table, aggregate_table, labels, fail_fast): the DAG in Airflow is probably not the one this program ships (its ConfigMap ${af}/${c.config.compute.dagConfigMap}); redeploy the compute phase or resync git-sync; ${RUNBOOK}.`,
      data,
    };
  }

  // 3. The run's outcome.
  const what =
    describeDagRun(r, run.applications) +
    (run.watchError ? ` (listing the run's SparkApplications failed: ${run.watchError})` : "");
  const log = r.logTail ? `; task log tail:\n${tailLines(r.logTail, 12)}` : "";
  if (r.timedOut || r.state !== "success") {
    const timedOut = r.timedOut
      ? `did not finish within ${Math.round(r.waitedSeconds ?? 0)} s${r.markedFailed ? " (the verification then marked it failed so that it stops)" : " (marking it failed did not work: stop it in the UI)"}: `
      : "";
    const retried =
      r.markedFailed && !r.timedOut
        ? " (its task waited to retry; the verification marked the run failed)"
        : "";
    const app = run.applications[0];
    return {
      status: "fail",
      observed: `${loaded}; the triggered run ${timedOut}${what}${retried}${log}`,
      expected,
      remediation: r.timedOut
        ? `In Airflow, look at why run ${r.dagRunId} did not progress (queued: scheduler or executor slots; running: the SparkApplication's pods, \`kubectl -n ${ns} describe sparkapplication ${app?.name ?? "-l lakehouse.dev/check=verify.airflow-dag"}\`); rerun with a longer --timeout if the cluster is only slow; ${RUNBOOK}.`
        : `Read the task log above (Airflow UI: DAG ${DAG_ID}, run ${r.dagRunId}, task ${r.failedTask ?? "ingest"}): a 403 from the Kubernetes API means the Role lakehouse-airflow-spark does not bind the workers' ServiceAccount (lakehouse:compute.airflowServiceAccount); a FAILED SparkApplication means the job failed like verify.sample-job would (its driver log: \`kubectl -n ${ns} logs ${app?.driverPod ?? "<driver pod>"}\`); ${RUNBOOK}.`,
      data,
    };
  }

  // 4. The rows, through the catalog.
  const read = jobStep(`DAG run ${r.dagRunId} succeeded, but reading its table back`, run.inspect, ns);
  if (read) return read;
  const ins = (run.inspect as Extract<JobObservation, { state: "completed" }>).result ?? {};
  if (ins.ok !== true) {
    return {
      status: "unknown",
      observed: `${loaded}; DAG run ${r.dagRunId} succeeded, but ${run.table} could not be read back through the catalog: ${String(ins.error ?? "no detail")}.`,
      expected,
      remediation: `Check the metastore (verify.metastore-available, \`npm run verify -- --phase foundation\`); ${RUNBOOK}.`,
      data,
    };
  }
  const t = (ins.table ?? {}) as { exists?: boolean; rows?: number; snapshotId?: string | null };
  (data.run as Record<string, unknown>).rows = t.exists ? (t.rows ?? null) : null;
  if (!t.exists || t.rows !== run.rowsGenerated) {
    return {
      status: "fail",
      observed: `${loaded}; ${what}; but ${t.exists ? `${run.table} holds ${t.rows} rows, ${run.rowsGenerated} were generated` : `${run.table} does not exist after the run`}.`,
      expected,
      remediation: `The run did not use the parameters it was given (source ${run.source}, table ${run.table}): the DAG in Airflow is probably not the one this program ships (ConfigMap ${af}/${c.config.compute.dagConfigMap}); compare its task log with verify.sample-job; ${RUNBOOK}.`,
      data,
    };
  }

  // 5. Clean-up: a leftover is worth a warning.
  const seen = `${loaded}; ${what}; ${t.rows} rows generated = counted through the catalog in ${run.table} (snapshot ${t.snapshotId ?? "?"})`;
  return cleanupOutcome({
    seen,
    cleanup: run.cleanup,
    leftovers: run.leftovers,
    expected,
    remediation: `Remove the scratch objects by hand: the tables ${run.table}/${run.aggregateTable} (DROP TABLE ... PURGE), the objects under ${run.source}, and \`kubectl -n ${ns} delete sparkapplications,jobs,configmaps -l lakehouse.dev/verify-run\` (and the same for jobs,configmaps in ${af}); ${RUNBOOK}.`,
    data,
  });
}
