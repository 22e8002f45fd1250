/** Image references as the Helm charts take them. */

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
