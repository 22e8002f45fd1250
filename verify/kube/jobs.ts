/**
 * I/O of the verification: create the run's ConfigMap and Jobs through the Kubernetes API, wait for each Job
 * with a deadline, read its pod's log and exit code, delete everything. Every API call has a timeout; nothing
 * here decides pass or fail (the checks do).
 */
import { setTimeout as sleep } from "node:timers/promises";
import { untilAborted } from "../../preflight/deadline";
import {
  BatchV1Api,
  CoreV1Api,
  type KubeConfig,
  type V1ConfigMap,
  type V1ContainerStatus,
  type V1Job,
  type V1Pod,
} from "@kubernetes/client-node";
import { lastJsonLineWith } from "./jobResult";
import type { JobObservation } from "../types";

interface JobRunOptions {
  /** How long to wait for a Job to finish. */
  timeoutMs: number;
  /** Poll interval. @default 2000 */
  pollMs?: number;
  /** Per-request timeout of each API call. @default 10000 */
  requestTimeoutMs?: number;
  /** Keep Jobs and the ConfigMap for debugging (the Jobs' TTL still removes them after an hour). @default false */
  keep?: boolean;
}

/** Pod waiting reasons after which a Job will not start by itself. */
const FATAL_WAITING = new Set([
  "ErrImagePull",
  "ImagePullBackOff",
  "InvalidImageName",
  "CreateContainerConfigError",
  "CreateContainerError",
]);

/** Rejects after `ms` with a message naming `what`; the timer never keeps the process alive. */
export function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  return untilAborted(p, AbortSignal.timeout(ms), () => new Error(`${what} got no answer within ${ms} ms`));
}

/** One line for an API error: HTTP status and the Status message, or the network error. Never a stack. */
export function apiError(e: unknown): string {
  const err = e as {
    code?: number;
    body?: unknown;
    message?: string;
    cause?: { code?: string; message?: string };
  };
  if (typeof err.code === "number") {
    let msg = "";
    try {
      const b =
        typeof err.body === "string"
          ? (JSON.parse(err.body) as { message?: string })
          : (err.body as { message?: string });
      msg = b?.message ?? "";
    } catch {
      msg = String(err.body ?? "");
    }
    return `HTTP ${err.code}${msg ? `: ${msg}` : ""}`;
  }
  const cause = err.cause?.code ?? err.cause?.message;
  return `${err.message ?? String(e)}${cause && !String(err.message).includes(cause) ? ` (${cause})` : ""}`;
}

/** The last line of `log` that is a JSON object with an `event` field (what the scripts print), or null. */
function parseResultLine(log: string): Record<string, unknown> | null {
  return lastJsonLineWith(log, "event");
}

/** Last `n` lines of a log. */
export function logTail(log: string, n = 15): string {
  return log.trim().split("\n").slice(-n).join("\n");
}

export class JobRunner {
  private readonly batch: BatchV1Api;
  private readonly core: CoreV1Api;

  constructor(
    kc: KubeConfig,
    private readonly namespace: string,
    private readonly opts: JobRunOptions,
  ) {
    this.batch = kc.makeApiClient(BatchV1Api);
    this.core = kc.makeApiClient(CoreV1Api);
  }

  private call<T>(p: Promise<T>, what: string): Promise<T> {
    return withTimeout(p, this.opts.requestTimeoutMs ?? 10_000, what);
  }

  /** Creates the scripts ConfigMap; resolves an error message instead of throwing. */
  async createConfigMap(cm: V1ConfigMap): Promise<string | undefined> {
    try {
      await this.call(
        this.core.createNamespacedConfigMap({ namespace: this.namespace, body: cm }),
        "creating the scripts ConfigMap",
      );
      return undefined;
    } catch (e) {
      return `creating ConfigMap ${this.namespace}/${cm.metadata?.name}: ${apiError(e)}`;
    }
  }

  /**
   * Creates `job`, waits for it (`timeoutMs`, default the runner's), reads its log. Never throws: every problem
   * is an observation.
   */
  async run(job: V1Job, timeoutMs = this.opts.timeoutMs): Promise<JobObservation> {
    const name = job.metadata?.name ?? "?";
    const started = Date.now();
    try {
      await this.call(
        this.batch.createNamespacedJob({ namespace: this.namespace, body: job }),
        `creating Job ${name}`,
      );
    } catch (e) {
      return {
        state: "error",
        stage: "create",
        job: name,
        message: `creating Job ${this.namespace}/${name}: ${apiError(e)}`,
      };
    }
    const pollMs = this.opts.pollMs ?? 2_000;
    let detail = "not started";
    let errors = 0;
    for (;;) {
      let current: V1Job;
      try {
        current = await this.call(
          this.batch.readNamespacedJob({ name, namespace: this.namespace }),
          `reading Job ${name}`,
        );
        errors = 0;
      } catch (e) {
        // One lost poll is not a verdict; three in a row are.
        if (++errors >= 3)
          return {
            state: "error",
            stage: "wait",
            job: name,
            message: `reading Job ${this.namespace}/${name}: ${apiError(e)}`,
          };
        await sleep(pollMs);
        continue;
      }
      const st = current.status ?? {};
      const cond = (t: string): boolean =>
        (st.conditions ?? []).some((c) => c.type === t && c.status === "True");
      const finished = (st.succeeded ?? 0) > 0 || (st.failed ?? 0) > 0 || cond("Complete") || cond("Failed");
      if (finished) {
        const succeeded = (st.succeeded ?? 0) > 0 || cond("Complete");
        return this.finish(name, succeeded, started);
      }
      const pod = await this.pod(name).catch(() => undefined);
      const waiting = pod?.status?.containerStatuses?.[0]?.state?.waiting;
      if (waiting?.reason && FATAL_WAITING.has(waiting.reason)) {
        return {
          state: "error",
          stage: "start",
          job: name,
          message: `pod ${pod?.metadata?.name} cannot start: ${waiting.reason}${waiting.message ? `: ${waiting.message}` : ""}`,
        };
      }
      detail = waiting?.reason
        ? `pod waiting: ${waiting.reason}`
        : pod
          ? `pod ${pod.status?.phase ?? "Pending"}`
          : "no pod yet";
      if (Date.now() - started > timeoutMs) {
        const log = pod ? await this.log(pod).catch(() => "") : "";
        return { state: "timeout", job: name, waitedMs: Date.now() - started, logTail: logTail(log), detail };
      }
      await sleep(pollMs);
    }
  }

  private async finish(name: string, succeeded: boolean, started: number): Promise<JobObservation> {
    let pod: V1Pod | undefined;
    let log = "";
    try {
      pod = await this.pod(name);
      if (pod) log = await this.log(pod);
    } catch (e) {
      return {
        state: "error",
        stage: "logs",
        job: name,
        message: `reading the log of Job ${this.namespace}/${name}: ${apiError(e)}`,
      };
    }
    // An init container that failed (a wheel missing from the artifact cache) ran instead of the script: its
    // one-line reason is the log to show, and nothing it printed is the script's result.
    const init = failedInit(pod);
    const term = init?.state?.terminated ?? pod?.status?.containerStatuses?.[0]?.state?.terminated;
    return {
      state: "completed",
      job: name,
      succeeded,
      exitCode: typeof term?.exitCode === "number" ? term.exitCode : null,
      result: init ? null : parseResultLine(log),
      logTail: logTail(log),
      durationMs: Date.now() - started,
    };
  }

  /** The newest pod of a Job (backoffLimit 0: there is one). */
  private async pod(job: string): Promise<V1Pod | undefined> {
    const list = await this.call(
      this.core.listNamespacedPod({ namespace: this.namespace, labelSelector: `job-name=${job}` }),
      `listing the pods of Job ${job}`,
    );
    return [...(list.items ?? [])].sort((a, b) =>
      String(b.metadata?.creationTimestamp ?? "").localeCompare(String(a.metadata?.creationTimestamp ?? "")),
    )[0];
  }

  private async log(pod: V1Pod): Promise<string> {
    const out = await this.call(
      this.core.readNamespacedPodLog({
        name: pod.metadata?.name ?? "",
        namespace: this.namespace,
        container: failedInit(pod)?.name ?? "verify",
        tailLines: 200,
      }),
      `reading the log of pod ${pod.metadata?.name}`,
    );
    return typeof out === "string" ? out : String(out ?? "");
  }

  /** Deletes the run's Jobs (with their pods) and ConfigMap unless `keep`. Returns what could not be deleted. */
  async cleanup(jobs: readonly string[], configMap: string): Promise<string[]> {
    if (this.opts.keep) return [];
    const left: string[] = [];
    await Promise.all([
      ...jobs.map((name) =>
        this.call(
          this.batch.deleteNamespacedJob({
            name,
            namespace: this.namespace,
            propagationPolicy: "Background",
          }),
          `deleting Job ${name}`,
        ).catch((e: unknown) => {
          if ((e as { code?: number }).code !== 404) left.push(`Job ${name} (${apiError(e)})`);
        }),
      ),
      this.call(
        this.core.deleteNamespacedConfigMap({ name: configMap, namespace: this.namespace }),
        `deleting ConfigMap ${configMap}`,
      ).catch((e: unknown) => {
        if ((e as { code?: number }).code !== 404) left.push(`ConfigMap ${configMap} (${apiError(e)})`);
      }),
    ]);
    return left;
  }
}

/** The init container of a pod that exited non-zero, if any (its main container then never ran). */
function failedInit(pod: V1Pod | undefined): V1ContainerStatus | undefined {
  return (pod?.status?.initContainerStatuses ?? []).find((s) => (s.state?.terminated?.exitCode ?? 0) !== 0);
}
