/**
 * The foundation phase's verification: the ConfigMap of scripts and one in-cluster Job per check
 * (manifests.ts), run in parallel beside the Prometheus availability query, then FOUNDATION_CHECKS.
 */
import { JobRunner } from "../kube/jobs";
import type { PhaseVerification } from "../phase";
import { queryAvailability, type PrometheusSource } from "../http/prometheus";
import { foundationTargets } from "../targets";
import type { FoundationObservations, JobObservation } from "../types";
import { FOUNDATION_CHECKS } from "./checks";
import { foundationManifests, readScripts, type FoundationJobKey } from "./manifests";

export const FOUNDATION_VERIFICATION: PhaseVerification<FoundationObservations> = {
  checks: FOUNDATION_CHECKS,
  async observe(opts, { runId, jobTimeoutMs, log }) {
    const config = opts.config;
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
    return { observations: { ...observed, prometheus: await promObs }, leftovers };
  },
};
