/** Small pure helpers the compute components share: labels, the Airflow names derived from config. */
import type { LakehouseConfig } from "../../preflight/config/schema";
import { platformLabels } from "../types";

/** Labels of a compute object: the platform's labels plus name/instance. */
export function computeLabels(component: string, name: string): Record<string, string> {
  return {
    ...platformLabels("compute", component),
    "app.kubernetes.io/name": name,
    "app.kubernetes.io/instance": "lakehouse",
  };
}

/** The Airflow workers' ServiceAccount: `compute.airflowServiceAccount`, else the Airflow chart's `<release>-worker`. */
export function airflowServiceAccount(config: LakehouseConfig): string {
  return config.compute.airflowServiceAccount || `${config.cluster.airflowRelease}-worker`;
}

/** Airflow's API Service: `compute.airflowApiService`, else the Airflow 3 chart's `<release>-api-server`. */
export function airflowApiService(config: LakehouseConfig): string {
  return config.compute.airflowApiService || `${config.cluster.airflowRelease}-api-server`;
}

/** Namespaces the operator watches: `compute.jobNamespaces`, else the platform namespace. */
export function jobNamespaces(config: LakehouseConfig): string[] {
  return config.compute.jobNamespaces.length > 0
    ? [...config.compute.jobNamespaces]
    : [config.platform.namespace];
}

/** `repo/name:tag` -> registry, repository, tag (the chart's `image` block). Throws naming the key if untagged. */
export function splitImage(ref: string, key: string): { registry: string; repository: string; tag: string } {
  const m = /^([^/]+\.[^/]+|[^/]+:\d+|localhost)\/(.+):([^:/@]+)$/.exec(ref);
  if (!m) {
    throw new Error(
      `${key} "${ref}" must be REGISTRY/REPOSITORY:TAG (e.g. ghcr.io/kubeflow/spark-operator/controller:2.5.2): ` +
        "the chart takes the registry, repository and tag separately.",
    );
  }
  return { registry: m[1], repository: m[2], tag: m[3] };
}
