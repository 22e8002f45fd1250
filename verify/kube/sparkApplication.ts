/**
 * I/O of a SparkApplication run: submit the manifest through the API (sparkoperator.k8s.io/v1beta2), poll
 * `status.applicationState.state` until COMPLETED, FAILED, SUBMISSION_FAILED or the timeout, read the driver pod's
 * log (its last JSON line on success, its tail otherwise), delete the application. Every API call has a timeout;
 * nothing here throws or decides pass/fail (verify/checks do).
 */
import { setTimeout as sleep } from "node:timers/promises";
import { CoreV1Api, CustomObjectsApi, type KubeConfig } from "@kubernetes/client-node";
import { SPARK_API_GROUP, SPARK_API_VERSION } from "../../stacks/compute/names";
import type { SparkApplicationManifest } from "../../stacks/compute/sparkApplication";
import { lastJsonLineWith } from "./jobResult";
import { apiError, logTail, withTimeout } from "./jobs";
import type { SparkApplicationObservation } from "../types";

/** The container Spark names the driver's main container (the init container is `fetch-jars`). */
const DRIVER_CONTAINER = "spark-kubernetes-driver";
const SPARK_PLURAL = "sparkapplications";

/** Final states of `status.applicationState.state` (kubeflow spark-operator v1beta2). */
const FINAL_FAILED = new Set(["FAILED", "SUBMISSION_FAILED"]);

interface SparkRunOptions {
  /** How long to wait for a final state. */
  timeoutMs: number;
  /** Poll interval. @default 5000 */
  pollMs?: number;
  /** Per-request timeout of each API call. @default 10000 */
  requestTimeoutMs?: number;
  /** Leave the SparkApplication (the operator's timeToLiveSeconds still removes it). @default false */
  keep?: boolean;
  /** Driver log lines shown on a failure. @default 40 */
  tailLines?: number;
}

/**
 * The sample job's result line (the sample job contract) in a driver log: the last line that parses as a JSON object with
 * `rows_read` (verify/kube/jobResult.ts: 64-bit snapshot ids stay exact, as strings). The driver log also
 * holds the JVM's shutdown lines after it, so it is searched from the end. Pure.
 */
export function jobLineFromLog(log: string): Record<string, unknown> | null {
  return lastJsonLineWith(log, "rows_read");
}

/** A SparkApplication's name and last reported state ("" before the operator reported any). */
interface ApplicationState {
  name: string;
  namespace: string;
  state: string;
  errorMessage: string;
  driverPod: string | null;
}

interface AppStatus {
  applicationState?: { state?: string; errorMessage?: string };
  driverInfo?: { podName?: string };
}

/** Submits and watches SparkApplications in one namespace. */
export class SparkApplicationRunner {
  private readonly custom: CustomObjectsApi;
  private readonly core: CoreV1Api;

  constructor(
    kc: KubeConfig,
    private readonly opts: SparkRunOptions,
  ) {
    this.custom = kc.makeApiClient(CustomObjectsApi);
    this.core = kc.makeApiClient(CoreV1Api);
  }

  private call<T>(p: Promise<T>, what: string): Promise<T> {
    return withTimeout(p, this.opts.requestTimeoutMs ?? 10_000, what);
  }

  /** Submits `manifest`, waits for its final state, reads the driver log. Never throws. */
  async run(manifest: SparkApplicationManifest): Promise<SparkApplicationObservation> {
    const { name, namespace } = manifest.metadata;
    const started = Date.now();
    const ref = { group: SPARK_API_GROUP, version: SPARK_API_VERSION, namespace, plural: SPARK_PLURAL };
    try {
      await this.call(
        this.custom.createNamespacedCustomObject({ ...ref, body: manifest }),
        `creating SparkApplication ${namespace}/${name}`,
      );
    } catch (e) {
      return {
        state: "error",
        stage: "create",
        name,
        namespace,
        message: `creating SparkApplication ${namespace}/${name}: ${apiError(e)}`,
      };
    }
    const pollMs = this.opts.pollMs ?? 5_000;
    let errors = 0;
    let last: AppStatus = {};
    for (;;) {
      try {
        const app = (await this.call(
          this.custom.getNamespacedCustomObject({ ...ref, name }),
          `reading SparkApplication ${name}`,
        )) as { status?: AppStatus };
        last = app.status ?? {};
        errors = 0;
      } catch (e) {
        // One lost poll is not a verdict; three in a row are.
        if (++errors >= 3) {
          return {
            state: "error",
            stage: "wait",
            name,
            namespace,
            message: `reading SparkApplication ${namespace}/${name}: ${apiError(e)}`,
          };
        }
      }
      const state = last.applicationState?.state ?? "";
      const driverPod = last.driverInfo?.podName || null;
      if (state === "COMPLETED") {
        const log = await this.driverLog(namespace, driverPod, 400);
        return {
          state: "completed",
          name,
          namespace,
          driverPod,
          result: log.ok ? jobLineFromLog(log.text) : null,
          logTail: log.ok ? logTail(log.text, this.opts.tailLines ?? 40) : log.text,
          durationMs: Date.now() - started,
        };
      }
      if (FINAL_FAILED.has(state)) {
        const log = await this.driverLog(namespace, driverPod, this.opts.tailLines ?? 40);
        return {
          state: "failed",
          name,
          namespace,
          appState: state,
          errorMessage: last.applicationState?.errorMessage ?? "",
          driverPod,
          logTail: log.ok ? logTail(log.text, this.opts.tailLines ?? 40) : log.text,
          durationMs: Date.now() - started,
        };
      }
      if (Date.now() - started > this.opts.timeoutMs) {
        const log = await this.driverLog(namespace, driverPod, this.opts.tailLines ?? 40);
        return {
          state: "timeout",
          name,
          namespace,
          lastState: state,
          driverPod,
          logTail: log.ok ? logTail(log.text, this.opts.tailLines ?? 40) : log.text,
          waitedMs: Date.now() - started,
        };
      }
      await sleep(pollMs);
    }
  }

  /** The driver's log (last `lines`), or why it could not be read. */
  private async driverLog(
    namespace: string,
    pod: string | null,
    lines: number,
  ): Promise<{ ok: true; text: string } | { ok: false; text: string }> {
    if (!pod) return { ok: false, text: "log unavailable: the operator reported no driver pod" };
    try {
      const out = await this.call(
        this.core.readNamespacedPodLog({
          name: pod,
          namespace,
          container: DRIVER_CONTAINER,
          tailLines: lines,
        }),
        `reading the log of pod ${pod}`,
      );
      return { ok: true, text: typeof out === "string" ? out : String(out ?? "") };
    } catch (e) {
      return { ok: false, text: `log unavailable: pod ${namespace}/${pod}: ${apiError(e)}` };
    }
  }

  /**
   * The SparkApplications in `namespace` matching `labelSelector`, each with its current state (one list call;
   * for applications someone else submitted, e.g. a DAG run). Throws the API's error, naming the call.
   */
  async list(namespace: string, labelSelector: string): Promise<ApplicationState[]> {
    const ref = { group: SPARK_API_GROUP, version: SPARK_API_VERSION, namespace, plural: SPARK_PLURAL };
    const r = (await this.call(
      this.custom.listNamespacedCustomObject({ ...ref, labelSelector }),
      `listing SparkApplications ${labelSelector} in ${namespace}`,
    )) as { items?: { metadata?: { name?: string }; status?: AppStatus }[] };
    return (r.items ?? []).map((a) => ({
      name: a.metadata?.name ?? "?",
      namespace,
      state: a.status?.applicationState?.state ?? "",
      errorMessage: a.status?.applicationState?.errorMessage ?? "",
      driverPod: a.status?.driverInfo?.podName || null,
    }));
  }

  /** Deletes the application (its driver and executor pods go with it) unless `keep`; what was left, if any. */
  async delete(manifest: { metadata: { name: string; namespace: string } }): Promise<string[]> {
    if (this.opts.keep) return [];
    const { name, namespace } = manifest.metadata;
    try {
      await this.call(
        this.custom.deleteNamespacedCustomObject({
          group: SPARK_API_GROUP,
          version: SPARK_API_VERSION,
          namespace,
          plural: SPARK_PLURAL,
          name,
          propagationPolicy: "Background",
        }),
        `deleting SparkApplication ${name}`,
      );
      return [];
    } catch (e) {
      if ((e as { code?: number }).code === 404) return [];
      return [`SparkApplication ${namespace}/${name} (${apiError(e)})`];
    }
  }
}
