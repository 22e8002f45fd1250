/**
 * What the post-deploy verification observes. The I/O layer (verify/kube/, prometheus.ts, the phases' observe
 * and verification modules) fills these; the checks in verify/<phase>/checks/ are pure functions of them,
 * exactly like the preflight's probes -> facts -> checks.
 */
import type { LakehouseConfig } from "../preflight/config/schema";
import type { CheckOutcome } from "../preflight/checks/types";
import type { Phase, Severity } from "../preflight/model";

/** How one verification Job went. `result` is the one JSON line its script printed (the last one wins). */
export type JobObservation =
  | {
      state: "completed";
      job: string;
      /** True when the Job reports success (its pod exited 0). */
      succeeded: boolean;
      /** Exit code of the script's container, when the pod could be read. */
      exitCode: number | null;
      result: Record<string, unknown> | null;
      /** Last lines of the pod log (no secrets: the scripts never print them). */
      logTail: string;
      durationMs: number;
    }
  | { state: "timeout"; job: string; waitedMs: number; logTail: string; detail: string }
  | { state: "error"; stage: "create" | "start" | "wait" | "logs"; job?: string; message: string }
  | { state: "skipped"; reason: string };

/** Measured availability of the metastore from Prometheus. */
export type PrometheusObservation =
  | { state: "ok"; query: string; window: string; availability: number; source: string }
  | { state: "no-data"; query: string; source: string; message: string }
  | { state: "error"; source: string; message: string }
  | { state: "skipped"; reason: string };

/** Every observation of one verification run of the foundation phase. */
export interface FoundationObservations {
  metastorePing: JobObservation;
  prometheus: PrometheusObservation;
  icebergRoundtrip: JobObservation;
  backupRestore: JobObservation;
  /** The artifact cache's check Job (every pinned artifact read back, sha256 compared). */
  artifactCache: JobObservation;
  /** metastore_lock_timeout.py: a lock taken on a scratch table and abandoned, watched until released. */
  lockTimeout: JobObservation;
}

export interface VerifyContext {
  readonly config: LakehouseConfig;
  readonly now: Date;
}

/** A post-deploy check: same result shape as the preflight's, decided from observations only. */
export interface VerifyCheckDefinition<O> {
  /** Stable id (a contract): `verify.*`. */
  readonly id: string;
  readonly title: string;
  readonly severity: Severity;
  /** A `fail`/`unknown` of a critical check fails the verification (exit 3, the Pulumi update fails). */
  readonly critical: boolean;
  readonly phase: Phase;
  evaluate(obs: O, ctx: VerifyContext): CheckOutcome;
}

/** What `verify.spark-operator-ready` observes (verify/compute/observe.ts). `error` = the API could not be read. */
export type OperatorObservation =
  | {
      state: "ok";
      /** The Flux HelmRelease: absent, or its Ready condition (status True/False/Unknown, reason, message). */
      release: { found: false } | { found: true; ready: string; reason: string; message: string };
      /** The controller Deployment: absent, or its available and desired replicas. */
      controller: { found: false } | { found: true; available: number; desired: number };
      /** The SparkApplication CRD: whether v1beta2 is served. */
      crd: { found: false } | { found: true; served: string[] };
      /** The webhook, when enabled: Deployment availability and ready endpoints of its Service. */
      webhook:
        | { enabled: false }
        | { enabled: true; available: number; desired: number | null; readyEndpoints: number | null };
    }
  | { state: "error"; message: string };

/** What `verify.airflow-dag` observes through Airflow's REST API (Kubernetes API service proxy). */
export type AirflowDagObservation =
  | {
      state: "ok";
      /** The API version spoken (`v1` Airflow 2, `v2` Airflow 3). */
      api: string;
      /** The DAG as the API reports it, or not found. */
      dag: { found: false } | { found: true; isPaused: boolean | null; fileloc: string };
      /** Import errors whose file is the DAG's (any file when the DAG is missing). */
      importErrors: { filename: string; error: string }[];
    }
  | { state: "no-credentials"; secret: string; message: string }
  | { state: "unauthorized"; status: number; message: string }
  | { state: "unreachable"; target: string; message: string };

/**
 * How one SparkApplication went (verify/kube/sparkApplication.ts): submitted, polled until a final state or the
 * timeout, its driver log read. `driverPod` is `status.driverInfo.podName` (null before the operator set it);
 * `logTail` the last lines of the driver log, or "log unavailable: ..." when it could not be read.
 */
export type SparkApplicationObservation =
  | {
      state: "completed";
      name: string;
      namespace: string;
      driverPod: string | null;
      /** The job's last JSON line on stdout (the sample job contract), or null when the driver log has none. */
      result: Record<string, unknown> | null;
      logTail: string;
      durationMs: number;
    }
  | {
      state: "failed";
      name: string;
      namespace: string;
      /** The final `status.applicationState.state`: FAILED or SUBMISSION_FAILED. */
      appState: string;
      /** `status.applicationState.errorMessage` (the operator's reason), may be empty. */
      errorMessage: string;
      driverPod: string | null;
      logTail: string;
      durationMs: number;
    }
  | {
      state: "timeout";
      name: string;
      namespace: string;
      /** The last state seen (e.g. SUBMITTED, RUNNING, or "" when the operator never picked it up). */
      lastState: string;
      driverPod: string | null;
      logTail: string;
      waitedMs: number;
    }
  | { state: "error"; stage: "create" | "wait"; name: string; namespace: string; message: string }
  | { state: "skipped"; reason: string };

/**
 * What `verify.sample-job` observes (verify/compute/sampleJobRun.ts): the landing file staged by a Job, the sample
 * SparkApplication run on it, the job's table read back through the catalog by a Job, and the clean-up Job.
 * `skipped` = the operator is not there (CRD not served, controller absent) or could not be read.
 */
export type SampleJobObservation =
  | {
      state: "ran";
      /** The SparkApplication's name and namespace. */
      application: string;
      namespace: string;
      /** `s3a://...` prefix the job read, and the scratch tables (`catalog.db.table`). */
      source: string;
      table: string;
      aggregateTable: string;
      /** Records in the generated landing file. */
      rowsGenerated: number;
      stage: JobObservation;
      run: SparkApplicationObservation;
      inspect: JobObservation;
      cleanup: JobObservation;
      /** Objects of the run that could not be deleted (Jobs, ConfigMap, SparkApplication). */
      leftovers: string[];
    }
  | { state: "skipped"; reason: string; fix: string };

/**
 * What the trigger Job's script (verify/compute/scripts/airflow_dag_check.py, its `run` object) reports about the one
 * DAG run `verify.airflow-dag` triggers. `triggered: false` with `reason` = the script saw the DAG missing,
 * paused or broken; with `status`/`detail` = Airflow refused the run (e.g. a parameter it rejected).
 */
export interface DagRunReport {
  dagRunId: string;
  triggered: boolean;
  reason: string | null;
  status: number | null;
  detail: string | null;
  /** The run's last state (queued, running, success, failed), null when never read. */
  state: string | null;
  /** The wait ended at its bound; `markedFailed` = the script then set the run to failed through the API. */
  timedOut: boolean;
  markedFailed: boolean;
  waitedSeconds: number | null;
  tasks: { taskId: string; state: string | null; tryNumber: number | null }[];
  /** The task that failed (or waits to retry), and the tail of its log as Airflow serves it. */
  failedTask: string | null;
  logTail: string;
}

/** A SparkApplication the triggered DAG run submitted, as last seen while the run went. */
export interface TriggeredApplication {
  name: string;
  namespace: string;
  /** Last `status.applicationState.state` seen ("" = the operator never reported one). */
  state: string;
  errorMessage: string;
  driverPod: string | null;
}

/**
 * The triggered run of `verify.airflow-dag` (verify/compute/airflowRun.ts): a landing file staged under the run's own
 * prefix, one DAG run triggered through Airflow's REST API with the scratch prefix and tables as its parameters
 * and waited for, the SparkApplication(s) it submitted watched, the scratch table read back through the
 * catalog, everything removed. `skipped` = the DAG cannot run now (not loaded, paused, broken, Airflow not
 * reachable) or the Spark Operator is not there.
 */
export type AirflowRunObservation =
  | {
      state: "ran";
      dagRunId: string;
      /** `s3a://...` prefix of the run and its scratch tables (`catalog.db.table`). */
      source: string;
      table: string;
      aggregateTable: string;
      rowsGenerated: number;
      stage: JobObservation;
      /** The Job that triggered and waited for the run. */
      trigger: JobObservation;
      /** Its report, null when the Job gave none. */
      report: DagRunReport | null;
      applications: TriggeredApplication[];
      /** Why the applications could not be watched, if they could not. */
      watchError: string | null;
      inspect: JobObservation;
      cleanup: JobObservation;
      leftovers: string[];
    }
  | { state: "skipped"; reason: string; fix: string };

/** Every observation of one verification run of the compute phase. */
export interface ComputeObservations {
  operator: OperatorObservation;
  airflowDag: AirflowDagObservation;
  sampleJob: SampleJobObservation;
  /** The DAG run `verify.airflow-dag` triggers (after the sample job, one SparkApplication at a time). */
  airflowRun: AirflowRunObservation;
}
