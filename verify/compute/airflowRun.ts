/**
 * The triggered run of `verify.airflow-dag`: does a run of the DAG, started through Airflow's own REST API, reach
 * the Spark Operator and land rows?
 *
 * 1. A `stage` Job copies a generated landing file to the run's own prefix `<landingPrefix>_verify/<run>-dag/`
 *    (the sample job's helper script, verify/compute/sampleJobRun.ts; Spark skips `_`-prefixed folders, so scheduled runs
 *    never read it).
 * 2. A Job in the Airflow namespace (verify/compute/scripts/airflow_dag_check.py with TRIGGER_*) triggers one DAG run
 *    `lakehouse_verify_<run>` whose conf points the DAG at that prefix and at scratch tables
 *    (`verify_<run>_dag_events|_daily`), labels the SparkApplication with the run, and asks it to fail fast
 *    instead of retrying; it waits for the run with a bound and reports its state, its task and the failed
 *    task's log tail.
 * 3. Meanwhile the SparkApplications carrying the run's label are listed every poll, so that a failure names the
 *    application, its last state and its driver pod even after Airflow deleted it.
 * 4. On success an `inspect` Job reads the scratch table back through the catalog.
 * 5. A `cleanup` Job purges the scratch tables and the landing objects; the Jobs, their ConfigMaps and any
 *    SparkApplication left with the run's label are deleted.
 *
 * It runs after the sample job, never beside it: two applications at once would compete for the namespace's
 * quota, which is sized for one job at a time. Nothing here throws or decides pass/fail (verify/checks do).
 */
import * as fs from "fs";
import type { KubeConfig } from "@kubernetes/client-node";
import type { LakehouseConfig } from "../../preflight/config/schema";
import { generateEvents } from "./events";
import { DAG_ID } from "./checks/airflowDag";
import { AIRFLOW_SCRIPT, airflowDagManifests } from "./observe";
import { apiError, JobRunner } from "../kube/jobs";
import { RUN_LABEL } from "../kube/helperJob";
import {
  jobOk,
  sampleJobPrecondition,
  SAMPLE_JOB_ROWS,
  SampleJobRun,
  skippedJob,
  type SampleRunOptions,
  type SampleRunSpec,
} from "./sampleJobRun";
import { SparkApplicationRunner } from "../kube/sparkApplication";
import type {
  AirflowDagObservation,
  AirflowRunObservation,
  DagRunReport,
  JobObservation,
  OperatorObservation,
  TriggeredApplication,
} from "../types";
import { SPARK_CATALOG } from "../../stacks/compute/names";

const AIRFLOW_DAG_CHECK = "verify.airflow-dag";

/** The DAG run id of a verification run (Airflow's run id alphabet: letters, digits, `_.~:+-`). Pure. */
export function dagRunId(runId: string): string {
  return `lakehouse_verify_${runId.replace(/[^A-Za-z0-9_.~:+-]/g, "-")}`;
}

/** The triggered run's scratch tables in the sample job's database: `db.table` (no catalog). Pure. */
export function dagRunTables(
  config: LakehouseConfig,
  runId: string,
): { table: string; aggregateTable: string } {
  const safe = runId.replace(/[^a-z0-9]/gi, "").toLowerCase();
  const db = config.compute.sampleJob.database;
  return { table: `${db}.verify_${safe}_dag_events`, aggregateTable: `${db}.verify_${safe}_dag_daily` };
}

/** The objects of the triggered run (names `lakehouse-verify-dag-*`, landing folder `<run>-dag`). Pure. */
function dagRunSpec(runId: string): SampleRunSpec {
  return { runId, purpose: "dag", checkId: AIRFLOW_DAG_CHECK, landingRun: `${runId}-dag` };
}

/** The labels the DAG puts on the run's SparkApplication and pods (its `labels` parameter). Pure. */
function dagRunLabels(runId: string): Record<string, string> {
  return { [RUN_LABEL]: runId, "lakehouse.dev/check": AIRFLOW_DAG_CHECK };
}

/**
 * The run's conf: the DAG's parameters (dags/lakehouse_ingest.py) pointing it at the run's landing prefix and
 * scratch tables, labelling its SparkApplication, failing on the first error instead of retrying. Pure.
 */
export function dagRunConf(
  source: string,
  tables: { table: string; aggregateTable: string },
  runId: string,
): Record<string, unknown> {
  return {
    source,
    table: `${SPARK_CATALOG}.${tables.table}`,
    aggregate_table: `${SPARK_CATALOG}.${tables.aggregateTable}`,
    labels: dagRunLabels(runId),
    fail_fast: true,
  };
}

const str = (v: unknown): string | null => (typeof v === "string" ? v : null);
const num = (v: unknown): number | null => (typeof v === "number" && Number.isFinite(v) ? v : null);

/** The script's `run` object as a report, or null when the Job printed none. Pure. */
export function dagRunReport(trigger: JobObservation): DagRunReport | null {
  if (trigger.state !== "completed" || !trigger.result) return null;
  const r = trigger.result.run as Record<string, unknown> | undefined;
  if (!r || typeof r !== "object") return null;
  const tasks = (Array.isArray(r.tasks) ? r.tasks : []) as Record<string, unknown>[];
  return {
    dagRunId: str(r.dag_run_id) ?? "?",
    triggered: r.triggered === true,
    reason: str(r.reason),
    status: num(r.status),
    detail: str(r.detail),
    state: str(r.state),
    timedOut: r.timed_out === true,
    markedFailed: r.marked_failed === true,
    waitedSeconds: num(r.waited_s),
    tasks: tasks.map((t) => ({
      taskId: str(t.task_id) ?? "?",
      state: str(t.state),
      tryNumber: num(t.try_number),
    })),
    failedTask: str(r.failed_task),
    logTail: str(r.log_tail) ?? "",
  };
}

/**
 * Whether the run can be tried at all: the DAG must be loaded, unpaused and unbroken (as the check Job saw
 * it) and the Spark Operator there. Pure; undefined when it can.
 */
export function airflowRunPrecondition(
  config: LakehouseConfig,
  dag: AirflowDagObservation,
  operator: OperatorObservation,
): Extract<AirflowRunObservation, { state: "skipped" }> | undefined {
  const af = config.cluster.airflowNamespace;
  if (dag.state !== "ok") {
    return {
      state: "skipped",
      reason: "Airflow's API could not be asked (see above)",
      fix: "Make the DAG check itself work first.",
    };
  }
  if (!dag.dag.found || dag.importErrors.length > 0) {
    return {
      state: "skipped",
      reason: "the DAG is not loaded",
      fix: "Fix the DAG first (see above).",
    };
  }
  if (dag.dag.isPaused !== false) {
    return {
      state: "skipped",
      reason: `DAG ${DAG_ID} is paused, and a paused DAG's runs stay queued, so no run was triggered`,
      fix: `Unpause it (\`airflow dags unpause ${DAG_ID}\` in an Airflow pod of namespace ${af}, or the toggle in the UI), then verify again.`,
    };
  }
  const op = sampleJobPrecondition(config, operator);
  if (op) return { state: "skipped", reason: op.reason, fix: op.fix };
  return undefined;
}

/** Lists the run's SparkApplications every `pollMs` until stopped; keeps the last state of each. */
function watchApplications(
  spark: SparkApplicationRunner,
  namespace: string,
  selector: string,
  pollMs: number,
): { stop(): Promise<{ applications: TriggeredApplication[]; error: string | null }> } {
  const seen = new Map<string, TriggeredApplication>();
  let error: string | null = null;
  let stopped = false;
  let wake: () => void = () => undefined;
  const pass = async (): Promise<void> => {
    try {
      for (const a of await spark.list(namespace, selector)) {
        // An application Airflow already deleted keeps the last state seen.
        seen.set(a.name, a);
      }
      error = null;
    } catch (e) {
      error = apiError(e);
    }
  };
  const loop = (async () => {
    while (!stopped) {
      await pass();
      await new Promise<void>((r) => {
        wake = r;
        setTimeout(r, pollMs);
      });
    }
    await pass();
  })();
  return {
    async stop() {
      stopped = true;
      wake();
      await loop;
      return { applications: [...seen.values()], error };
    },
  };
}

interface AirflowRunOptions extends SampleRunOptions {
  runId: string;
  now: Date;
  /** Poll interval of the DAG run (seconds, in the trigger Job). @default 5 */
  dagPollSeconds?: number;
}

/** `verify.airflow-dag`'s triggered run. Never throws. */
export async function observeAirflowRun(
  kc: KubeConfig,
  config: LakehouseConfig,
  seen: { dag: AirflowDagObservation; operator: OperatorObservation },
  opts: AirflowRunOptions & { image: string },
): Promise<AirflowRunObservation> {
  const skip = airflowRunPrecondition(config, seen.dag, seen.operator);
  if (skip) return skip;
  const ns = config.platform.namespace;
  const spec = dagRunSpec(opts.runId);
  const gen = generateEvents(`${opts.runId}-dag`, SAMPLE_JOB_ROWS, opts.now);
  const run = new SampleJobRun(kc, config, spec, gen.csv, opts);
  const tables = dagRunTables(config, opts.runId);
  const id = dagRunId(opts.runId);
  const conf = dagRunConf(run.source, tables, opts.runId);
  const spark = new SparkApplicationRunner(kc, {
    timeoutMs: opts.jobTimeoutMs,
    requestTimeoutMs: opts.requestTimeoutMs,
    keep: opts.keep,
  });
  const base = {
    state: "ran" as const,
    dagRunId: id,
    source: run.source,
    table: conf.table as string,
    aggregateTable: conf.aggregate_table as string,
    rowsGenerated: gen.rows,
  };

  const stage = await run.stage();
  let trigger: JobObservation = skippedJob("the landing file was not staged");
  let applications: TriggeredApplication[] = [];
  let watchError: string | null = null;
  const leftovers: string[] = [];
  if (jobOk(stage)) {
    const waitSeconds = Math.ceil(opts.jobTimeoutMs / 1000);
    const m = airflowDagManifests(config, opts.runId, fs.readFileSync(AIRFLOW_SCRIPT, "utf8"), {
      // The script's own wait, then its last requests (each at most 20 s), then the pod's start.
      timeoutSeconds: waitSeconds + 180,
      image: opts.image,
      trigger: { dagRunId: id, conf, waitSeconds, pollSeconds: opts.dagPollSeconds ?? 5 },
    });
    const af = new JobRunner(kc, config.cluster.airflowNamespace, {
      timeoutMs: opts.jobTimeoutMs + 120_000,
      pollMs: opts.pollMs,
      requestTimeoutMs: opts.requestTimeoutMs,
      keep: opts.keep,
    });
    const cmError = await af.createConfigMap(m.configMap);
    if (cmError) {
      trigger = { state: "error", stage: "create", message: cmError };
    } else {
      const selector = Object.entries(dagRunLabels(opts.runId))
        .map(([k, v]) => `${k}=${v}`)
        .join(",");
      const watch = watchApplications(spark, ns, selector, opts.pollMs ?? 5_000);
      trigger = await af.run(m.job);
      ({ applications, error: watchError } = await watch.stop());
      leftovers.push(...(await af.cleanup([m.job.metadata?.name ?? ""], m.configMap.metadata?.name ?? "")));
    }
  }
  const report = dagRunReport(trigger);
  const inspect =
    report?.state === "success" ? await run.inspect(tables) : skippedJob("the DAG run did not succeed");
  const cleanup =
    stage.state === "error" && stage.stage === "create"
      ? skippedJob("nothing was created")
      : // The tables too whenever a run may have started (a trigger Job that timed out may still have created
        // one): purging a table that does not exist is a no-op.
        await run.cleanup(trigger.state === "skipped" ? [] : [tables.table, tables.aggregateTable]);
  // Airflow deletes the application when its task ends (delete_on_termination); one left behind goes here.
  for (const a of applications) leftovers.push(...(await spark.delete({ metadata: a })));
  leftovers.push(...(await run.finish()));
  return {
    ...base,
    stage,
    trigger,
    report,
    applications,
    watchError,
    inspect,
    cleanup,
    leftovers,
  };
}
