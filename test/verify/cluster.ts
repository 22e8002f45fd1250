/**
 * A simulated cluster for the verification runner on top of the Kubernetes API stand-in: a tiny "job
 * controller" in `extraRoutes` that gives each created Job a pod ending with the exit code and log a scenario
 * says (scenarios keyed by the Job's name or by its check label), serves pod logs, and answers Prometheus
 * queries through the service-proxy path.
 */
import type * as http from "node:http";
import type { KubeObject } from "../../preflight/model";
import type { KubeApi } from "../../harness/kube-api";
import { CACHE_OK, LOCK_OK, PING_OK, restoreOk, ROUNDTRIP_OK } from "./fixtures";

export interface Scenario {
  /** Polls of the Job before it finishes; Infinity = never. */
  polls: number;
  exitCode: number;
  log: string;
  /** A waiting reason for the pod while not finished (e.g. ImagePullBackOff). */
  waiting?: string;
  /** An init container that exits 1 with this log (the main container then never runs). */
  initFailure?: { name: string; log: string };
}

const line = (o: unknown) =>
  `Collecting pyiceberg==0.11.0\nInstalling collected packages\n${JSON.stringify(o)}\n`;

export function controller(
  getApi: () => KubeApi,
  scenarios: Record<string, Scenario>,
  prom: { status: number; body: string },
) {
  const polls = new Map<string, number>();
  return (req: http.IncomingMessage, res: http.ServerResponse): boolean => {
    const url = new URL(req.url ?? "/", "http://x");
    const api = getApi();
    if (url.pathname.includes("/services/prometheus-operated:9090/proxy/api/v1/query")) {
      res.writeHead(prom.status, { "content-type": "application/json" });
      res.end(prom.body);
      return true;
    }
    const logM = /^\/api\/v1\/namespaces\/([^/]+)\/pods\/([^/]+)\/log$/.exec(url.pathname);
    if (logM && req.method === "GET") {
      const pod = api.objects().find((o) => o.kind === "Pod" && o.metadata?.name === logM[2]);
      const check = pod?.metadata?.labels?.["lakehouse.dev/check"] ?? "";
      const jobName = pod?.metadata?.labels?.["job-name"] ?? "";
      const sc = scenarios[jobName] ?? scenarios[check];
      res.writeHead(200, { "content-type": "text/plain" });
      const container = url.searchParams.get("container");
      res.end(sc?.initFailure && container === sc.initFailure.name ? sc.initFailure.log : (sc?.log ?? ""));
      return true;
    }
    const jobM = /^\/apis\/batch\/v1\/namespaces\/([^/]+)\/jobs\/([^/]+)$/.exec(url.pathname);
    if (jobM && req.method === "GET") {
      const job = api.objects().find((o) => o.kind === "Job" && o.metadata?.name === jobM[2]);
      if (!job) return false;
      const check = job.metadata?.labels?.["lakehouse.dev/check"] ?? "";
      // A scenario for the Job's own name wins over one for its check (a check may run several Jobs).
      const sc = scenarios[jobM[2]] ?? scenarios[check];
      const n = (polls.get(jobM[2]) ?? 0) + 1;
      polls.set(jobM[2], n);
      const done = n > sc.polls;
      const pod: KubeObject = {
        apiVersion: "v1",
        kind: "Pod",
        metadata: {
          name: `${jobM[2]}-abcde`,
          namespace: jobM[1],
          labels: { "job-name": jobM[2], "lakehouse.dev/check": check },
          creationTimestamp: "2026-11-25T14:00:00Z",
        },
        status: {
          phase: done ? (sc.exitCode === 0 ? "Succeeded" : "Failed") : sc.waiting ? "Pending" : "Running",
          ...(sc.initFailure && done
            ? {
                initContainerStatuses: [
                  { name: sc.initFailure.name, state: { terminated: { exitCode: 1, reason: "Error" } } },
                ],
              }
            : {}),
          containerStatuses: [
            {
              name: "verify",
              state: done
                ? { terminated: { exitCode: sc.exitCode, reason: sc.exitCode === 0 ? "Completed" : "Error" } }
                : sc.waiting
                  ? {
                      waiting: {
                        reason: sc.waiting,
                        message: `Back-off pulling image "python:3.11.10-slim-bookworm"`,
                      },
                    }
                  : { running: {} },
            },
          ],
        },
      };
      api.upsert(pod);
      if (done) api.upsert({ ...job, status: sc.exitCode === 0 ? { succeeded: 1 } : { failed: 1 } });
      return false; // the stand-in serves the (updated) Job
    }
    return false;
  };
}

export const PASS: Record<string, Scenario> = {
  "verify.metastore-available": { polls: 1, exitCode: 0, log: line(PING_OK) },
  "verify.iceberg-roundtrip": { polls: 2, exitCode: 0, log: line(ROUNDTRIP_OK) },
  "verify.metadata-backup-restore": {
    polls: 1,
    exitCode: 0,
    log: `restore.sh: downloading\n${JSON.stringify(restoreOk("2026-11-25T12:00:00Z"))}\n`,
  },
  "verify.artifact-cache": { polls: 1, exitCode: 0, log: line(CACHE_OK) },
  "verify.metastore-lock-timeout": { polls: 2, exitCode: 0, log: line(LOCK_OK) },
};
export const PROM_OK = {
  status: 200,
  body: JSON.stringify({
    status: "success",
    data: { resultType: "vector", result: [{ metric: {}, value: [1, "0.9997"] }] },
  }),
};

export type Outcome = "COMPLETED" | "FAILED" | "RUNNING";

/**
 * A fake Spark Operator (none can run without a kubelet): each GET of a SparkApplication moves it one state on,
 * SUBMITTED -> RUNNING -> `outcome` (or stays RUNNING), with the driver pod named from RUNNING on; serves the
 * driver pod's log (container spark-kubernetes-driver only, tailLines honoured) or a 500.
 */
export function sparkOperator(getApi: () => KubeApi, outcome: Outcome, driverLog: string | 500) {
  const polls = new Map<string, number>();
  return (req: http.IncomingMessage, res: http.ServerResponse): boolean => {
    const url = new URL(req.url ?? "/", "http://x");
    const logM = /^\/api\/v1\/namespaces\/([^/]+)\/pods\/([^/]+-driver)\/log$/.exec(url.pathname);
    if (logM && req.method === "GET") {
      if (url.searchParams.get("container") !== "spark-kubernetes-driver") {
        res.writeHead(400, { "content-type": "application/json" });
        res.end(JSON.stringify({ kind: "Status", code: 400, message: "a container name must be specified" }));
        return true;
      }
      if (driverLog === 500) {
        res.writeHead(500, { "content-type": "application/json" });
        res.end(JSON.stringify({ kind: "Status", code: 500, message: "kubelet unreachable" }));
        return true;
      }
      const n = Number(url.searchParams.get("tailLines") ?? "100000");
      res.writeHead(200, { "content-type": "text/plain" });
      res.end(driverLog.trimEnd().split("\n").slice(-n).join("\n") + "\n");
      return true;
    }
    const m =
      /^\/apis\/sparkoperator\.k8s\.io\/v1beta2\/namespaces\/([^/]+)\/sparkapplications\/([^/]+)$/.exec(
        url.pathname,
      );
    if (m && req.method === "GET") {
      const api = getApi();
      const app = api.objects().find((o) => o.kind === "SparkApplication" && o.metadata?.name === m[2]);
      if (!app) return false;
      const n = (polls.get(m[2]) ?? 0) + 1;
      polls.set(m[2], n);
      const state = n === 1 ? "SUBMITTED" : n === 2 || outcome === "RUNNING" ? "RUNNING" : outcome;
      api.upsert({
        ...app,
        status: {
          applicationState: {
            state,
            ...(state === "FAILED"
              ? { errorMessage: "driver container failed with ExitCode: 1, Reason: Error" }
              : {}),
          },
          ...(n >= 2 ? { driverInfo: { podName: `${m[2]}-driver` } } : {}),
        },
      });
      return false; // the stand-in serves the updated object
    }
    return false;
  };
}

// ---- The compute phase for verify.sample-job: the operator's objects, the helper Jobs, driver logs ----

const NS = "lakehouse";
/** A 64-bit snapshot id (beyond 2^53: must stay exact). */
export const SNAP = "6187356328945371234";

export const CRD: KubeObject = {
  apiVersion: "apiextensions.k8s.io/v1",
  kind: "CustomResourceDefinition",
  metadata: { name: "sparkapplications.sparkoperator.k8s.io" },
  spec: {
    group: "sparkoperator.k8s.io",
    names: { plural: "sparkapplications", kind: "SparkApplication" },
    scope: "Namespaced",
    versions: [{ name: "v1beta2", served: true, storage: true }],
  },
};
const deployment = (name: string): KubeObject => ({
  apiVersion: "apps/v1",
  kind: "Deployment",
  metadata: { name, namespace: NS },
  spec: { replicas: 1 },
  status: { availableReplicas: 1 },
});
export const OPERATOR: KubeObject[] = [
  CRD,
  {
    apiVersion: "helm.toolkit.fluxcd.io/v2",
    kind: "HelmRelease",
    metadata: { name: "spark-operator", namespace: NS },
    status: { conditions: [{ type: "Ready", status: "True", reason: "InstallSucceeded" }] },
  },
  deployment("spark-operator-controller"),
  deployment("spark-operator-webhook"),
  {
    apiVersion: "v1",
    kind: "Endpoints",
    metadata: { name: "spark-operator-webhook-svc", namespace: NS },
    subsets: [{ addresses: [{ ip: "10.0.0.9" }] }],
  },
];

export const json = (o: unknown) => `Collecting pyiceberg==0.11.0\n${JSON.stringify(o)}\n`;
export const helper = (run: string, inspect: Record<string, unknown> = {}): Record<string, Scenario> => ({
  [`lakehouse-verify-sample-stage-${run}`]: {
    polls: 1,
    exitCode: 0,
    log: json({ event: "sample-job-stage", ok: true, records: 200, bytes: 9000 }),
  },
  [`lakehouse-verify-sample-inspect-${run}`]: {
    polls: 1,
    exitCode: 0,
    log: json({
      event: "sample-job-inspect",
      ok: true,
      table: { exists: true, rows: 200, snapshotId: SNAP, totalRecords: 200, ...inspect },
      aggregate: { exists: true, rows: 12 },
    }),
  },
  [`lakehouse-verify-sample-cleanup-${run}`]: {
    polls: 1,
    exitCode: 0,
    log: json({ event: "sample-job-cleanup", ok: true, tables: {}, deletedObjects: 1, errors: [] }),
  },
  "verify.airflow-dag": {
    polls: 1,
    exitCode: 0,
    log: json(AIRFLOW_DONE),
  },
  ...dagRun(run),
});

/** What the Airflow check's script prints when the DAG is loaded, unpaused and unbroken. */
export const AIRFLOW_DONE = {
  event: "airflow-dag",
  api: "v2",
  stage: "done",
  dag: { found: true, is_paused: false, fileloc: "/opt/airflow/dags/lakehouse_ingest.py" },
  import_errors: [],
};

/**
 * The Jobs of verify.airflow-dag's triggered run: stage, the trigger Job (its script's `run` report, a
 * successful run by default), inspect (`inspect` overrides the table read) and clean-up.
 */
export function dagRun(
  run: string,
  opts: { report?: Record<string, unknown>; inspect?: Record<string, unknown> } = {},
): Record<string, Scenario> {
  return {
    [`lakehouse-verify-dag-stage-${run}`]: {
      polls: 1,
      exitCode: 0,
      log: json({ event: "sample-job-stage", ok: true, records: 200, bytes: 9000 }),
    },
    [`lakehouse-verify-airflow-run-${run}`]: {
      polls: 1,
      exitCode: 0,
      log: json({
        ...AIRFLOW_DONE,
        run: {
          dag_run_id: `lakehouse_verify_${run}`,
          triggered: true,
          state: "success",
          timed_out: false,
          waited_s: 41.2,
          tasks: [{ task_id: "ingest", state: "success", try_number: 1 }],
          ...opts.report,
        },
      }),
    },
    [`lakehouse-verify-dag-inspect-${run}`]: {
      polls: 1,
      exitCode: 0,
      log: json({
        event: "sample-job-inspect",
        ok: true,
        table: { exists: true, rows: 200, snapshotId: SNAP, totalRecords: 200, ...opts.inspect },
        aggregate: { exists: true, rows: 12 },
      }),
    },
    [`lakehouse-verify-dag-cleanup-${run}`]: {
      polls: 1,
      exitCode: 0,
      log: json({ event: "sample-job-cleanup", ok: true, tables: {}, deletedObjects: 1, errors: [] }),
    },
  };
}
export const DRIVER_OK = [
  "++ id -u",
  "lakehouse_ingest: [   4.2s] session up; reading csv under s3a://...",
  "lakehouse_ingest: [  30.1s] 200 valid records",
  `{"rows_read": 200, "rows_merged": 200, "table_rows": 200, "snapshot_id": ${SNAP}, "aggregate_rows": 12}`,
  "26/12/01 10:01:40 INFO ShutdownHookManager: Shutdown hook called",
  "",
].join("\n");
export const DRIVER_FAILED = [
  ...Array.from({ length: 60 }, (_, i) => `26/12/01 10:01:${String(i).padStart(2, "0")} WARN noise ${i}`),
  "lakehouse_ingest: failed: Py4JJavaError: An error occurred while calling o71.sql. : java.nio.file.AccessDeniedException: s3a://lakehouse-warehouse/warehouse",
  "",
].join("\n");
