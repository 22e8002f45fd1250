/**
 * I/O of the compute verification: read the operator's HelmRelease, Deployments, CRD and webhook endpoints, and
 * ask Airflow's REST API (from a short Job in the Airflow namespace, see airflowDagManifests) whether the DAG is
 * loaded. Every call has a timeout; nothing here decides pass or fail (verify/checks do).
 */
import * as fs from "fs";
import * as path from "path";
import {
  ApiextensionsV1Api,
  AppsV1Api,
  CoreV1Api,
  CustomObjectsApi,
  type KubeConfig,
  type V1ConfigMap,
  type V1Job,
} from "@kubernetes/client-node";
import type { LakehouseConfig } from "../../preflight/config/schema";
import { COMPUTE_NAMES, airflowApiService } from "../../stacks/compute/names";
import { DAG_ID } from "./checks/airflowDag";
import { apiError, JobRunner, withTimeout } from "../kube/jobs";
import { objectName, RUN_LABEL, verificationJob } from "../kube/helperJob";
import { airflowRunPrecondition, dagRunId, observeAirflowRun } from "./airflowRun";
import { observeSampleJob, sampleJobPrecondition } from "./sampleJobRun";
import type {
  AirflowDagObservation,
  ComputeObservations,
  JobObservation,
  OperatorObservation,
} from "../types";
import { platformLabels } from "../../stacks/platform/labels";

const notFound = (e: unknown) => (e as { code?: number }).code === 404;

/** Reads the operator's objects. Never throws. */
async function observeOperator(
  kc: KubeConfig,
  config: LakehouseConfig,
  timeoutMs: number,
): Promise<OperatorObservation> {
  const ns = config.platform.namespace;
  const custom = kc.makeApiClient(CustomObjectsApi);
  const apps = kc.makeApiClient(AppsV1Api);
  const core = kc.makeApiClient(CoreV1Api);
  const ext = kc.makeApiClient(ApiextensionsV1Api);
  const call = <T>(p: Promise<T>, what: string) => withTimeout(p, timeoutMs, what);
  // 404 is an observation (absent); anything else means we could not look.
  const orAbsent = async <T>(p: Promise<T>, what: string): Promise<T | undefined> => {
    try {
      return await call(p, what);
    } catch (e) {
      if (notFound(e)) return undefined;
      throw new Error(`${what}: ${apiError(e)}`, { cause: e });
    }
  };
  try {
    const [hr, controller, crd, webhook, endpoints] = await Promise.all([
      orAbsent(
        custom.getNamespacedCustomObject({
          group: "helm.toolkit.fluxcd.io",
          version: "v2",
          namespace: ns,
          plural: "helmreleases",
          name: COMPUTE_NAMES.operatorRelease,
        }) as Promise<Record<string, unknown>>,
        `reading HelmRelease ${ns}/${COMPUTE_NAMES.operatorRelease}`,
      ),
      orAbsent(
        apps.readNamespacedDeployment({ name: COMPUTE_NAMES.operatorController, namespace: ns }),
        `reading Deployment ${ns}/${COMPUTE_NAMES.operatorController}`,
      ),
      orAbsent(
        ext.readCustomResourceDefinition({ name: "sparkapplications.sparkoperator.k8s.io" }),
        "reading CRD sparkapplications.sparkoperator.k8s.io",
      ),
      config.compute.webhook
        ? orAbsent(
            apps.readNamespacedDeployment({ name: COMPUTE_NAMES.operatorWebhook, namespace: ns }),
            `reading Deployment ${ns}/${COMPUTE_NAMES.operatorWebhook}`,
          )
        : Promise.resolve(undefined),
      config.compute.webhook
        ? orAbsent(
            core.readNamespacedEndpoints({ name: COMPUTE_NAMES.operatorWebhookService, namespace: ns }),
            `reading Endpoints ${ns}/${COMPUTE_NAMES.operatorWebhookService}`,
          )
        : Promise.resolve(undefined),
    ]);
    const cond = (
      ((
        hr?.status as { conditions?: { type?: string; status?: string; reason?: string; message?: string }[] }
      )?.conditions ?? []) as { type?: string; status?: string; reason?: string; message?: string }[]
    ).find((c) => c.type === "Ready");
    return {
      state: "ok",
      release: hr
        ? {
            found: true,
            ready: cond?.status ?? "Unknown",
            reason: cond?.reason ?? "",
            message: cond?.message ?? "",
          }
        : { found: false },
      controller: controller
        ? {
            found: true,
            available: controller.status?.availableReplicas ?? 0,
            desired: controller.spec?.replicas ?? 1,
          }
        : { found: false },
      crd: crd
        ? { found: true, served: (crd.spec?.versions ?? []).filter((v) => v.served).map((v) => v.name) }
        : { found: false },
      webhook: config.compute.webhook
        ? {
            enabled: true,
            available: webhook?.status?.availableReplicas ?? 0,
            desired: webhook ? (webhook.spec?.replicas ?? 1) : null,
            readyEndpoints: endpoints
              ? (endpoints.subsets ?? []).reduce((n, s) => n + (s.addresses?.length ?? 0), 0)
              : null,
          }
        : { enabled: false },
    };
  } catch (e) {
    return { state: "error", message: (e as Error).message };
  }
}

/** The script the Airflow check runs (verify/compute/scripts/airflow_dag_check.py). */
export const AIRFLOW_SCRIPT = path.resolve(__dirname, "scripts", "airflow_dag_check.py");

/** What the trigger Job adds to the Airflow check's Job: the DAG run to create, its conf and the wait. */
interface AirflowTrigger {
  dagRunId: string;
  conf: Record<string, unknown>;
  waitSeconds: number;
  pollSeconds: number;
}

/**
 * The ConfigMap and Job of the Airflow check, in the Airflow namespace; with `trigger`, those of the Job that
 * triggers one DAG run and waits for it (names `airflow-run-*`). Why a Job and not the API server's service
 * proxy: the API server strips the Authorization header after authenticating the caller, so Airflow's own
 * credentials cannot travel through the proxy; a Job reaches the API at its Service and takes the credentials
 * from the Secret as env, so they never leave the cluster (and the caller needs no `get secrets`). Pure.
 */
export function airflowDagManifests(
  config: LakehouseConfig,
  runId: string,
  script: string,
  opts: { timeoutSeconds: number; image: string; trigger?: AirflowTrigger },
): { configMap: V1ConfigMap; job: V1Job } {
  const af = config.cluster.airflowNamespace;
  const labels = { ...platformLabels("compute", "verification"), [RUN_LABEL]: runId };
  const what = opts.trigger ? "airflow-run" : "airflow-dag";
  const cmName = objectName(opts.trigger ? "airflow-run-script" : "airflow-script", runId);
  const secret = config.compute.airflowApiSecret;
  const url = `http://${airflowApiService(config)}.${af}.svc:${config.compute.airflowApiPort}`;
  const t = opts.trigger;
  return {
    configMap: {
      apiVersion: "v1",
      kind: "ConfigMap",
      metadata: { name: cmName, namespace: af, labels },
      data: { "airflow_dag_check.py": script },
    },
    job: verificationJob({
      name: objectName(what, runId),
      namespace: af,
      labels: { ...labels, "lakehouse.dev/check": "verify.airflow-dag" },
      image: opts.image,
      command: ["python", "/scripts/airflow_dag_check.py"],
      env: [
        { name: "AIRFLOW_URL", value: url },
        { name: "AIRFLOW_API", value: config.compute.airflowApiVersion },
        { name: "DAG_ID", value: DAG_ID },
        { name: "AIRFLOW_USERNAME", valueFrom: { secretKeyRef: { name: secret, key: "username" } } },
        { name: "AIRFLOW_PASSWORD", valueFrom: { secretKeyRef: { name: secret, key: "password" } } },
        ...(t
          ? [
              { name: "TRIGGER_RUN_ID", value: t.dagRunId },
              { name: "TRIGGER_CONF", value: JSON.stringify(t.conf) },
              { name: "WAIT_SECONDS", value: String(t.waitSeconds) },
              { name: "POLL_SECONDS", value: String(t.pollSeconds) },
            ]
          : []),
      ],
      timeoutSeconds: opts.timeoutSeconds,
      // In Airflow's namespace, without the project's PriorityClass; a small HTTP client: no /tmp, small resources.
      scripts: { configMap: cmName },
      tmp: false,
      resources: { requests: { cpu: "50m", memory: "64Mi" }, limits: { memory: "128Mi" } },
    }),
  };
}

/** Turns the Job's outcome into the observation. Pure. */
export function airflowObservation(config: LakehouseConfig, job: JobObservation): AirflowDagObservation {
  const af = config.cluster.airflowNamespace;
  const target = `http://${airflowApiService(config)}.${af}.svc:${config.compute.airflowApiPort}`;
  const secret = config.compute.airflowApiSecret;
  if (job.state === "error") {
    // A missing Secret (or key) keeps the pod in CreateContainerConfigError.
    if (job.stage === "start" && /CreateContainerConfigError/.test(job.message)) {
      return { state: "no-credentials", secret, message: job.message };
    }
    return { state: "unreachable", target, message: `the check Job could not run: ${job.message}` };
  }
  if (job.state === "timeout") {
    return {
      state: "unreachable",
      target,
      message: `the check Job did not finish within ${Math.round(job.waitedMs / 1000)} s (${job.detail})`,
    };
  }
  if (job.state === "skipped") return { state: "unreachable", target, message: job.reason };
  const r = job.result;
  if (!r)
    return {
      state: "unreachable",
      target,
      message: `the check Job printed no result (exit ${job.exitCode ?? "?"})`,
    };
  if (r.stage === "auth")
    return { state: "unauthorized", status: Number(r.status), message: "Airflow refused the credentials" };
  if (r.stage !== "done") {
    return {
      state: "unreachable",
      target,
      message:
        r.stage === "connect"
          ? String(r.error ?? "connection failed")
          : `${String(r.stage)} answered HTTP ${String(r.status)}`,
    };
  }
  const dag = (r.dag ?? {}) as { found?: boolean; is_paused?: boolean | null; fileloc?: string | null };
  const errors = (Array.isArray(r.import_errors) ? r.import_errors : []) as {
    filename: string;
    error: string;
  }[];
  const mine = errors.filter(
    (e) => e.filename.endsWith("lakehouse_ingest.py") || (dag.fileloc && e.filename === dag.fileloc),
  );
  return {
    state: "ok",
    api: String(r.api),
    dag: dag.found
      ? { found: true, isPaused: dag.is_paused ?? null, fileloc: dag.fileloc ?? "?" }
      : { found: false },
    importErrors: mine,
  };
}

/** How a compute verification run's Jobs are named, bounded and kept (the Airflow check's Job uses the same). */
interface ComputeJobOptions {
  runId: string;
  jobTimeoutMs: number;
  requestTimeoutMs: number;
  pollMs?: number;
  keep?: boolean;
  image: string;
}

/** Runs the Airflow check Job and reads its outcome. Never throws. */
async function observeAirflowDag(
  kc: KubeConfig,
  config: LakehouseConfig,
  opts: ComputeJobOptions,
): Promise<{ observation: AirflowDagObservation; leftovers: string[] }> {
  const af = config.cluster.airflowNamespace;
  const m = airflowDagManifests(config, opts.runId, fs.readFileSync(AIRFLOW_SCRIPT, "utf8"), {
    timeoutSeconds: Math.ceil(opts.jobTimeoutMs / 1000) + 60,
    image: opts.image,
  });
  const runner = new JobRunner(kc, af, {
    timeoutMs: opts.jobTimeoutMs,
    pollMs: opts.pollMs,
    requestTimeoutMs: opts.requestTimeoutMs,
    keep: opts.keep,
  });
  const cmError = await runner.createConfigMap(m.configMap);
  if (cmError) {
    return {
      observation: airflowObservation(config, { state: "error", stage: "create", message: cmError }),
      leftovers: [],
    };
  }
  const job = await runner.run(m.job);
  const leftovers = await runner.cleanup([m.job.metadata?.name ?? ""], m.configMap.metadata?.name ?? "");
  return { observation: airflowObservation(config, job), leftovers };
}

/** Every observation of the compute verification. The sample job waits for the operator's observation. */
export async function observeCompute(
  kc: KubeConfig,
  config: LakehouseConfig,
  opts: ComputeJobOptions & { now?: Date; log?: (msg: string) => void },
): Promise<{ observations: ComputeObservations; leftovers: string[] }> {
  const log = opts.log ?? (() => undefined);
  const operatorP = observeOperator(kc, config, opts.requestTimeoutMs);
  const sampleP = operatorP.then(async (operator) => {
    if (!sampleJobPrecondition(config, operator)) {
      log(`verify compute: sample SparkApplication ${objectName("sample", opts.runId)} on a generated file`);
    }
    const s = await observeSampleJob(kc, config, operator, { ...opts, now: opts.now ?? new Date() });
    log(
      `verify compute: sample job ${s.state === "skipped" ? `skipped (${s.reason})` : `${s.run.state === "failed" ? s.run.appState : s.run.state}`}`,
    );
    return s;
  });
  const airflowP = observeAirflowDag(kc, config, opts);
  // The triggered DAG run waits for the sample job: one SparkApplication at a time in the namespace's quota.
  const runP = Promise.all([airflowP, operatorP, sampleP]).then(async ([airflow, operator]) => {
    const skip = airflowRunPrecondition(config, airflow.observation, operator);
    if (!skip) log(`verify compute: triggering DAG run ${dagRunId(opts.runId)} on a generated file`);
    const r = await observeAirflowRun(
      kc,
      config,
      { dag: airflow.observation, operator },
      { ...opts, now: opts.now ?? new Date() },
    );
    log(
      `verify compute: DAG run ${r.state === "skipped" ? `skipped (${r.reason})` : `${r.report?.state ?? "not reported"}`}`,
    );
    return r;
  });
  const [operator, airflow, sampleJob, airflowRun] = await Promise.all([operatorP, airflowP, sampleP, runP]);
  return {
    observations: { operator, airflowDag: airflow.observation, sampleJob, airflowRun },
    leftovers: [
      ...airflow.leftovers,
      ...(sampleJob.state === "ran" ? sampleJob.leftovers : []),
      ...(airflowRun.state === "ran" ? airflowRun.leftovers : []),
    ],
  };
}
