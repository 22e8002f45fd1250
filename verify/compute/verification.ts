/**
 * The compute phase's verification: the Spark Operator, the Airflow DAG (a triggered run) and the sample
 * SparkApplication (observe.ts), then COMPUTE_CHECKS.
 */
import type { PhaseVerification } from "../phase";
import { VERIFY_IMAGES } from "../targets";
import type { ComputeObservations } from "../types";
import { COMPUTE_CHECKS } from "./checks";
import { observeCompute } from "./observe";

export const COMPUTE_VERIFICATION: PhaseVerification<ComputeObservations> = {
  checks: COMPUTE_CHECKS,
  observe(opts, { runId, jobTimeoutMs, log, now }) {
    const config = opts.config;
    log(
      `verify compute: run ${runId}: the Spark Operator in ${config.platform.namespace}, the DAG in ${config.cluster.airflowNamespace}`,
    );
    return observeCompute(opts.kc, config, {
      runId,
      jobTimeoutMs,
      requestTimeoutMs: opts.requestTimeoutMs ?? config.probe.requestTimeoutMs,
      pollMs: opts.pollMs,
      keep: opts.keepJobs,
      image: opts.targets?.pythonImage ?? VERIFY_IMAGES.python,
      now: now(),
      log,
    });
  },
};
