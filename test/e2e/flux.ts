/**
 * Flux's controllers do not run in the e2e suite (no containers, and no registry serves them), so nothing
 * would ever mark the program's HelmReleases Ready and `pulumi up` would wait on `pulumi.com/waitFor` until its
 * timeout. This stand-in plays only the part of helm-controller that the program observes: while it runs, every
 * HelmRelease of the program's (label `app.kubernetes.io/part-of: lakehouse`) whose current generation is not
 * yet reported gets `Ready=True` with that `observedGeneration`,
 * written through the status subresource as the controller would (a status the upstream HelmRelease CRD's schema
 * accepts: test/e2e/fixtures/crds.ts). It installs no chart: the Spark Operator's
 * and Trino's own Deployments do not exist in this suite, which the README says.
 */
import type { ControlPlane, Obj } from "../../harness/kube-control-plane";
import { standInLoop } from "./stand-in-loop";

const HELM_RELEASE = "helm.toolkit.fluxcd.io/v2";

export interface FluxStandIn {
  /** `namespace/name` of every HelmRelease reported Ready so far. */
  readonly reconciled: ReadonlySet<string>;
  /** The last error of a pass (undefined when the last pass succeeded). */
  lastError(): string | undefined;
  stop(): Promise<void>;
}

function needsReport(o: Obj): boolean {
  const md = o.metadata as {
    generation?: number;
    deletionTimestamp?: string;
    labels?: Record<string, string>;
  };
  // Only the program's releases: anton's own (Airflow, Rook, ...) keep the status the seed gave them.
  if (md.labels?.["app.kubernetes.io/part-of"] !== "lakehouse" || md.deletionTimestamp) return false;
  const st = (o.status ?? {}) as {
    observedGeneration?: number;
    conditions?: { type: string; status: string }[];
  };
  const ready = (st.conditions ?? []).some((c) => c.type === "Ready" && c.status === "True");
  return !ready || st.observedGeneration !== md.generation;
}

/** Starts the stand-in; it polls every `intervalMs` until `stop()`. */
export function startFluxStandIn(cp: ControlPlane, intervalMs = 500): FluxStandIn {
  const reconciled = new Set<string>();
  const pass = async (): Promise<void> => {
    for (const o of await cp.list(HELM_RELEASE, "HelmRelease")) {
      if (!needsReport(o)) continue;
      const md = o.metadata as { name: string; namespace: string; generation?: number };
      await cp.setStatus(o, {
        observedGeneration: md.generation,
        conditions: [
          {
            type: "Ready",
            status: "True",
            reason: "InstallSucceeded",
            // The upstream CRD requires every field of a metav1.Condition; the time as the API writes it.
            lastTransitionTime: new Date().toISOString().replace(/\.\d+Z$/, "Z"),
            message: "e2e stand-in for Flux helm-controller: reported Ready, no chart installed",
          },
        ],
      });
      reconciled.add(`${md.namespace}/${md.name}`);
    }
  };
  const loop = standInLoop(pass, intervalMs);
  return {
    reconciled,
    lastError: loop.lastError,
    stop: loop.stop,
  };
}
