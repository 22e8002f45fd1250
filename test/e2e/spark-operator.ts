/**
 * A stand-in for the Spark Operator on the real kube-apiserver (no kubelet, no containers, no registry serves the
 * operator): it plays only the part Airflow's SparkKubernetesOperator observes. For every SparkApplication in the
 * watched namespace that it has not handled yet, it
 *
 * 1. creates the driver pod `<name>-driver` as the operator's submission would (labels `spark-role=driver`,
 *    `sparkoperator.k8s.io/app-name` and the application's `spec.driver.labels`, container
 *    `spark-kubernetes-driver`), with a scheduler name no scheduler serves, so that no node (and no kubelet
 *    address) is ever involved: the API server then answers the pod's log with an empty stream itself;
 * 2. reports it running (pod `Running`, application `RUNNING` with `driverInfo.podName`);
 * 3. once `decide(app)` has answered (it may take its time: a test can run the real job there) and at least
 *    `runningMs` passed, ends it with that outcome: pod `Succeeded` (exit 0) and application `COMPLETED`, or pod
 *    `Failed` (exit 1) and application `FAILED` with the operator's error message.
 *
 * Status goes through the status subresources, as the kubelet and the operator write it. What it leaves
 * unchecked: the real operator's submission (spark-submit in its pod), executors, the webhook's mutation, and
 * what the job itself does (test/compute-engines runs that for real).
 */
import type { ControlPlane, Obj } from "../../harness/kube-control-plane";
import { standInLoop } from "./stand-in-loop";

export const SPARK_APP_API = "sparkoperator.k8s.io/v1beta2";
/** No such scheduler runs: the driver pod stays unbound, so no node or kubelet is ever contacted. */
export const NO_SCHEDULER = "lakehouse-test-no-scheduler";

export type SparkOutcome = "COMPLETED" | "FAILED";

export interface SparkOperatorStandIn {
  /** Every application seen, as it was submitted (spec and labels), by name. */
  readonly submitted: ReadonlyMap<string, Obj>;
  /** The outcome given to each finished application, by name. */
  readonly finished: ReadonlyMap<string, SparkOutcome>;
  lastError(): string | undefined;
  stop(): Promise<void>;
}

const now = (): string => new Date().toISOString().replace(/\.\d+Z$/, "Z");

/** Starts the stand-in on `namespace`; it polls every `intervalMs` until `stop()`. */
export function startSparkOperatorStandIn(
  cp: ControlPlane,
  namespace: string,
  decide: (app: Obj) => SparkOutcome | Promise<SparkOutcome>,
  opts: { intervalMs?: number; runningMs?: number } = {},
): SparkOperatorStandIn {
  const submitted = new Map<string, Obj>();
  const finished = new Map<string, SparkOutcome>();
  const runningSince = new Map<string, number>();
  /** The outcome of each running application once `decide` answered (a rejection counts as FAILED). */
  const decided = new Map<string, SparkOutcome | undefined>();

  const driverPod = (app: Obj): Obj => {
    const name = app.metadata!.name!;
    const spec = (app.spec ?? {}) as { image?: string; driver?: { labels?: Record<string, string> } };
    return {
      apiVersion: "v1",
      kind: "Pod",
      metadata: {
        name: `${name}-driver`,
        namespace,
        labels: {
          ...(spec.driver?.labels ?? {}),
          "spark-role": "driver",
          "sparkoperator.k8s.io/app-name": name,
          "sparkoperator.k8s.io/launched-by-spark-operator": "true",
        },
      },
      spec: {
        schedulerName: NO_SCHEDULER,
        restartPolicy: "Never",
        containers: [{ name: "spark-kubernetes-driver", image: spec.image ?? "apache/spark" }],
      },
    };
  };
  const containerStatus = (state: Record<string, unknown>, ready: boolean) => [
    { name: "spark-kubernetes-driver", ready, restartCount: 0, image: "apache/spark", imageID: "", state },
  ];

  const pass = async (): Promise<void> => {
    for (const app of await cp.list(SPARK_APP_API, "SparkApplication", namespace)) {
      const name = app.metadata!.name!;
      if ((app.metadata as { deletionTimestamp?: string }).deletionTimestamp || finished.has(name)) continue;
      if (!runningSince.has(name)) {
        submitted.set(name, structuredClone(app));
        const pod = await cp.apply(driverPod(app));
        await cp.setStatus(pod, {
          phase: "Running",
          startTime: now(),
          conditions: [{ type: "Ready", status: "True" }],
          containerStatuses: containerStatus({ running: { startedAt: now() } }, true),
        });
        await cp.setStatus(app, {
          applicationState: { state: "RUNNING" },
          driverInfo: { podName: `${name}-driver` },
          submissionAttempts: 1,
        });
        runningSince.set(name, Date.now());
        decided.set(name, undefined);
        Promise.resolve()
          .then(() => decide(app))
          .then(
            (o) => decided.set(name, o),
            () => decided.set(name, "FAILED"),
          );
        continue;
      }
      const outcome = decided.get(name);
      if (!outcome || Date.now() - runningSince.get(name)! < (opts.runningMs ?? 1_000)) continue;
      const ok = outcome === "COMPLETED";
      await cp.setStatus(
        { apiVersion: "v1", kind: "Pod", metadata: { name: `${name}-driver`, namespace } },
        {
          phase: ok ? "Succeeded" : "Failed",
          conditions: [{ type: "Ready", status: "False" }],
          containerStatuses: containerStatus(
            {
              terminated: {
                exitCode: ok ? 0 : 1,
                reason: ok ? "Completed" : "Error",
                startedAt: now(),
                finishedAt: now(),
              },
            },
            false,
          ),
        },
      );
      await cp.setStatus(app, {
        applicationState: ok
          ? { state: "COMPLETED" }
          : { state: "FAILED", errorMessage: "driver container failed with ExitCode: 1, Reason: Error" },
        driverInfo: { podName: `${name}-driver` },
        terminationTime: now(),
      });
      finished.set(name, outcome);
    }
  };
  const loop = standInLoop(pass, opts.intervalMs ?? 250);
  return {
    submitted,
    finished,
    lastError: loop.lastError,
    stop: loop.stop,
  };
}
