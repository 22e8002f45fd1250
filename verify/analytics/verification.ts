/**
 * The analytics phase's verification: everything through Trino's client protocol (observe.ts), with the compute
 * phase's sample SparkApplication as verify.end-to-end's ingest, then ANALYTICS_CHECKS.
 */
import { ApiextensionsV1Api, type KubeConfig } from "@kubernetes/client-node";
import type { LakehouseConfig } from "../../preflight/config/schema";
import { ANALYTICS_CHECKS } from "./checks";
import { apiError, withTimeout } from "../kube/jobs";
import type { PhaseVerification } from "../phase";
import { sparkApplicationIngest } from "../compute/sampleJobRun";
import { VERIFY_IMAGES } from "../targets";
import { TrinoClient } from "../http/trino";
import { defaultTrinoSource, trinoEndpoint } from "./endpoint";
import { observeAnalytics, type IngestDriver } from "./observe";
import type { AnalyticsObservations } from "./types";

/**
 * What verify.end-to-end reports when no ingest driver is given and none can be made: the SparkApplication CRD is
 * not served (the compute phase is not deployed) or could not be read. The reason follows the colon.
 */
export const INGEST_UNAVAILABLE =
  "the compute phase's sample SparkApplication (stacks/compute/sparkApplication.ts, the DAG submission contract) cannot be submitted";

/**
 * The ingest driver of verify.end-to-end: the compute phase's sample SparkApplication (verify/compute/sampleJobRun.ts) when
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

export const ANALYTICS_VERIFICATION: PhaseVerification<AnalyticsObservations> = {
  checks: ANALYTICS_CHECKS,
  async observe(opts, { runId, jobTimeoutMs, log, now }) {
    const config = opts.config;
    const endpoint = await trinoEndpoint(opts.kc, opts.trino ?? defaultTrinoSource(config));
    const client = new TrinoClient(endpoint, {
      requestTimeoutMs: opts.requestTimeoutMs ?? Math.max(config.probe.requestTimeoutMs, 30_000),
      queryTimeoutMs: jobTimeoutMs,
      source: `lakehouse-verify-${runId}`,
    });
    const started = now();
    log(`verify analytics: run ${runId} against Trino at ${endpoint.label}`);
    const driver: { ingest?: IngestDriver & { leftovers?: string[] }; unavailable?: string } = opts.ingest
      ? { ingest: opts.ingest }
      : await resolveIngest(opts.kc, config, {
          requestTimeoutMs: opts.requestTimeoutMs ?? config.probe.requestTimeoutMs,
          jobTimeoutMs,
          pollMs: opts.pollMs,
          keep: opts.keepJobs,
          image: opts.targets?.pythonImage ?? VERIFY_IMAGES.python,
        });
    if (driver.ingest) log(`verify analytics: verify.end-to-end runs ${driver.ingest.describe}`);
    const observations = await observeAnalytics({
      client,
      config,
      runId,
      now: started,
      runs: opts.queryRuns,
      pipelineTable: opts.pipelineTable
        ? { name: opts.pipelineTable, writer: "the pipeline (--table)" }
        : undefined,
      ingest: driver.ingest,
      ingestUnavailable: driver.unavailable,
      keep: opts.keepJobs,
      log: opts.log,
    });
    return {
      observations,
      leftovers:
        driver.ingest && "leftovers" in driver.ingest ? [...(driver.ingest.leftovers as string[])] : [],
    };
  },
};
