/**
 * The one verification runner behind every face (the `verify` CLI and the Pulumi program's Verification
 * resource): observe (Jobs in the cluster + Prometheus), evaluate the pure checks, return the results document
 * in the shared format. Throws only for bad input (InputError); an unreachable cluster yields `unknown` results.
 */
import { randomBytes } from "crypto";
import { ApiextensionsV1Api, type KubeConfig } from "@kubernetes/client-node";
import type { LakehouseConfig } from "../preflight/config/schema";
import { InputError, PHASES, type CheckResult, type Phase, type Status } from "../preflight/model";
import { overallStatus } from "../preflight/render";
import { COMPUTE_CHECKS, evaluateChecks, FOUNDATION_CHECKS } from "./checks";
import { observeCompute } from "./compute";
import { observeAnalytics, type IngestDriver } from "./analytics/observe";
import { defaultTrinoSource, trinoEndpoint, type TrinoSource } from "./analytics/endpoint";
import { ANALYTICS_CHECKS } from "./checks/analytics";
import { TrinoClient } from "./trino";
import { foundationManifests, readScripts, type FoundationJobKey } from "./jobspecs";
import { apiError, JobRunner, withTimeout } from "./jobs";
import { sparkApplicationIngest } from "./sampleJob";
import { queryAvailability, type PrometheusSource } from "./prometheus";
import { foundationTargets, VERIFY_IMAGES, type TargetOverrides } from "./targets";
import type { FoundationObservations, JobObservation } from "./types";

export interface VerifyOptions {
  config: LakehouseConfig;
  phase: Phase;
  kc: KubeConfig;
  /** Stack name for the title, or null. */
  stack?: string | null;
  /** How long each Job may run. @default 600000 */
  jobTimeoutMs?: number;
  /** Poll interval for Jobs. @default 2000 */
  pollMs?: number;
  /** Per-request timeout of API calls. @default config.probe.requestTimeoutMs */
  requestTimeoutMs?: number;
  /** @default service monitoring/prometheus-operated:9090 in `config.cluster.monitoringNamespace` */
  prometheus?: PrometheusSource;
  targets?: TargetOverrides;
  /** Keep the Jobs and ConfigMap (analytics: the end-to-end run's landing file and tables) for debugging. @default false */
  keepJobs?: boolean;
  now?: () => Date;
  /** Progress lines (the CLI prints them to stderr, the program to the Pulumi log). */
  log?: (msg: string) => void;
  /** Run id (tests); default random. */
  runId?: string;
  /** analytics: where Trino is. @default the coordinator Service through the Kubernetes API proxy */
  trino?: TrinoSource;
  /** analytics: a pipeline table (`schema.table`) for verify.iceberg-catalog to read back. */
  pipelineTable?: string;
  /** analytics: runs the compute phase's sample job for verify.end-to-end. */
  ingest?: IngestDriver;
  /** analytics: timed runs per query. @default 3 */
  queryRuns?: number;
}

/**
 * What verify.end-to-end reports when no ingest driver is given and none can be made: the SparkApplication CRD is
 * not served (the compute phase is not deployed) or could not be read. The reason follows the colon.
 */
export const INGEST_UNAVAILABLE =
  "the compute phase's sample SparkApplication (stacks/compute/sparkApplication.ts, the DAG submission contract) cannot be submitted";

/**
 * The ingest driver of verify.end-to-end: the compute phase's sample SparkApplication (verify/sampleJob.ts) when
 * the cluster serves the SparkApplication CRD at v1beta2, else why not (never throws).
 */
export async function resolveIngest(
  kc: KubeConfig,
  config: LakehouseConfig,
  opts: { requestTimeoutMs: number; jobTimeoutMs: number; pollMs?: number; keep?: boolean; image?: string },
): Promise<{ ingest?: IngestDriver & { leftovers: string[] }; unavailable?: string }> {
  const crd = "sparkapplications.sparkoperator.k8s.io";
  try {
    const ext = kc.makeApiClient(ApiextensionsV1Api);
    const got = await withTimeout(
      ext.readCustomResourceDefinition({ name: crd }),
      opts.requestTimeoutMs,
      `reading CRD ${crd}`,
    );
    const served = (got.spec?.versions ?? []).filter((v) => v.served).map((v) => v.name);
    if (!served.includes("v1beta2")) {
      return {
        unavailable: `${INGEST_UNAVAILABLE}: the CRD ${crd} serves ${served.join(", ") || "no version"}, not v1beta2`,
      };
    }
  } catch (e) {
    if ((e as { code?: number }).code === 404) {
      return {
        unavailable: `${INGEST_UNAVAILABLE}: the CRD ${crd} is not installed (the compute phase, with the Spark Operator, is not deployed)`,
      };
    }
    return { unavailable: `${INGEST_UNAVAILABLE}: the CRD ${crd} could not be read: ${apiError(e)}` };
  }
  return { ingest: sparkApplicationIngest(kc, config, opts) };
}

/** What every face renders or judges: the same document `renderResults` takes. */
export interface VerificationResult {
  title: string;
  status: Status;
  summary: string;
  phase: Phase;
  results: CheckResult[];
  /** Objects that could not be deleted after the run (empty normally). */
  leftovers: string[];
}

/** Overall status, fail closed (a critical fail/unknown fails the verification): the renderers' own rule. */
export const overall = overallStatus;

/** A one-sentence summary naming the checks that fail the verification. */
export function summarize(phase: Phase, results: readonly CheckResult[]): string {
  const bad = results.filter((r) => r.critical && (r.status === "fail" || r.status === "unknown"));
  if (bad.length > 0) {
    return `The ${phase} phase is not verified: ${bad.map((r) => `${r.id} is ${r.status}`).join(", ")}.`;
  }
  const warn = results.filter((r) => r.status === "warn");
  return warn.length > 0
    ? `The ${phase} phase is verified with warnings: ${warn.map((r) => r.id).join(", ")}.`
    : `The ${phase} phase is verified: ${results.length} of ${results.length} checks pass.`;
}

/** Runs the post-deploy verification of one phase. */
export async function runVerification(opts: VerifyOptions): Promise<VerificationResult> {
  // Every phase has checks; this refuses a value outside PHASES that reached here through a cast or plain JS.
  if (!PHASES.includes(opts.phase)) {
    throw new InputError(
      `The ${opts.phase} phase has no post-deploy checks yet; verifiable phases: ${PHASES.join(", ")}.`,
    );
  }
  if (opts.phase === "analytics") return runAnalyticsVerification(opts);
  const log = opts.log ?? (() => undefined);
  const config = opts.config;
  const runId = opts.runId ?? `${Date.now().toString(36)}-${randomBytes(2).toString("hex")}`;
  const jobTimeoutMs = opts.jobTimeoutMs ?? 600_000;
  if (opts.phase === "compute") {
    log(
      `verify compute: run ${runId}: the Spark Operator in ${config.platform.namespace}, the DAG in ${config.cluster.airflowNamespace}`,
    );
    const { observations, leftovers } = await observeCompute(opts.kc, config, {
      runId,
      jobTimeoutMs,
      requestTimeoutMs: opts.requestTimeoutMs ?? config.probe.requestTimeoutMs,
      pollMs: opts.pollMs,
      keep: opts.keepJobs,
      image: opts.targets?.pythonImage ?? VERIFY_IMAGES.python,
      now: (opts.now ?? (() => new Date()))(),
      log,
    });
    const results = evaluateChecks(COMPUTE_CHECKS, observations, {
      config,
      now: (opts.now ?? (() => new Date()))(),
    });
    return {
      title: `Lakehouse verification (compute${opts.stack ? `, stack ${opts.stack}` : ""})`,
      status: overall(results),
      summary: summarize("compute", results),
      phase: "compute",
      results,
      leftovers,
    };
  }
  const targets = foundationTargets(config, opts.targets);
  const manifests = foundationManifests(targets, runId, readScripts(), {
    timeoutSeconds: Math.ceil(jobTimeoutMs / 1000) + 60,
  });
  const requestTimeoutMs = opts.requestTimeoutMs ?? config.probe.requestTimeoutMs;
  const runner = new JobRunner(opts.kc, targets.namespace, {
    timeoutMs: jobTimeoutMs,
    pollMs: opts.pollMs,
    requestTimeoutMs,
    keep: opts.keepJobs,
  });
  const prometheus: PrometheusSource = opts.prometheus ?? {
    kind: "service",
    namespace: config.cluster.monitoringNamespace,
    service: "prometheus-operated",
    port: 9090,
  };

  log(`verify ${opts.phase}: run ${runId} in namespace ${targets.namespace}`);
  const promObs = queryAvailability(opts.kc, prometheus, requestTimeoutMs);
  const cmError = await runner.createConfigMap(manifests.configMap);
  const observed = {} as Record<FoundationJobKey, JobObservation>;
  if (cmError) {
    for (const j of manifests.jobs) observed[j.key] = { state: "error", stage: "create", message: cmError };
  } else {
    await Promise.all(
      manifests.jobs.map(async (j) => {
        log(`verify ${opts.phase}: Job ${j.job.metadata?.name} (${j.checkId}) started`);
        observed[j.key] = await runner.run(j.job, Math.max(jobTimeoutMs, j.timeoutMs ?? 0));
        log(`verify ${opts.phase}: Job ${j.job.metadata?.name} ${observed[j.key].state}`);
      }),
    );
  }
  const leftovers = cmError
    ? []
    : await runner.cleanup(
        manifests.jobs.map((j) => j.job.metadata?.name ?? ""),
        manifests.configMap.metadata?.name ?? "",
      );
  const obs: FoundationObservations = { ...observed, prometheus: await promObs };
  const results = evaluateChecks(FOUNDATION_CHECKS, obs, { config, now: (opts.now ?? (() => new Date()))() });
  return {
    title: `Lakehouse verification (${opts.phase}${opts.stack ? `, stack ${opts.stack}` : ""})`,
    status: overall(results),
    summary: summarize(opts.phase, results),
    phase: opts.phase,
    results,
    leftovers,
  };
}

/** The analytics phase: everything through Trino's client protocol (see verify/analytics/observe.ts). */
async function runAnalyticsVerification(opts: VerifyOptions): Promise<VerificationResult> {
  const config = opts.config;
  const runId = opts.runId ?? `${Date.now().toString(36)}-${randomBytes(2).toString("hex")}`;
  const endpoint = await trinoEndpoint(opts.kc, opts.trino ?? defaultTrinoSource(config));
  const client = new TrinoClient(endpoint, {
    requestTimeoutMs: opts.requestTimeoutMs ?? Math.max(config.probe.requestTimeoutMs, 30_000),
    queryTimeoutMs: opts.jobTimeoutMs ?? 600_000,
    source: `lakehouse-verify-${runId}`,
  });
  const now = (opts.now ?? (() => new Date()))();
  const log = opts.log ?? (() => undefined);
  log(`verify analytics: run ${runId} against Trino at ${endpoint.label}`);
  const driver: { ingest?: IngestDriver & { leftovers?: string[] }; unavailable?: string } = opts.ingest
    ? { ingest: opts.ingest }
    : await resolveIngest(opts.kc, config, {
        requestTimeoutMs: opts.requestTimeoutMs ?? config.probe.requestTimeoutMs,
        jobTimeoutMs: opts.jobTimeoutMs ?? 600_000,
        pollMs: opts.pollMs,
        keep: opts.keepJobs,
        image: opts.targets?.pythonImage ?? VERIFY_IMAGES.python,
      });
  if (driver.ingest) log(`verify analytics: verify.end-to-end runs ${driver.ingest.describe}`);
  const obs = await observeAnalytics({
    client,
    config,
    runId,
    now,
    runs: opts.queryRuns,
    pipelineTable: opts.pipelineTable
      ? { name: opts.pipelineTable, writer: "the pipeline (--table)" }
      : undefined,
    ingest: driver.ingest,
    ingestUnavailable: driver.unavailable,
    keep: opts.keepJobs,
    log: opts.log,
  });
  const results = evaluateChecks(ANALYTICS_CHECKS, obs, { config, now });
  return {
    title: `Lakehouse verification (analytics${opts.stack ? `, stack ${opts.stack}` : ""})`,
    status: overall(results),
    summary: summarize("analytics", results),
    phase: "analytics",
    results,
    leftovers:
      driver.ingest && "leftovers" in driver.ingest ? [...(driver.ingest.leftovers as string[])] : [],
  };
}
