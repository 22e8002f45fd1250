/**
 * `lakehouse:delivery:FluxHelmRelease`: a Helm chart installed the way this homelab installs charts, by Flux: a
 * `HelmRepository` (source.toolkit.fluxcd.io/v1) and a `HelmRelease` (helm.toolkit.fluxcd.io/v2) that the
 * program creates and then waits on until Flux reports it Ready.
 *
 * Why Flux and not `helm.v3.Release` / `helm.v4.Chart` (docs/program.md, "Delivery"): Airflow already runs as a
 * HelmRelease here and `prereq.gitops` makes Flux a critical prerequisite, so one controller owns every chart,
 * drift is corrected by Flux, and `flux get helmreleases -A` shows the platform beside everything else. Both
 * objects are plain custom resources: preview and `npm run plan` need no chart download and no network.
 *
 * Shared machinery (not a phase): the compute phase (Spark Operator) and the analytics phase (Trino) use it.
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { isExactChartVersion } from "./chartVersion";

export interface FluxHelmReleaseArgs {
  /** Namespace of the HelmRepository and HelmRelease objects. */
  readonly namespace: string;
  /** Flux HelmRepository (source.toolkit.fluxcd.io/v1): its name and https URL. */
  readonly repository: { readonly name: string; readonly url: string };
  /** Chart name in that repository. */
  readonly chart: string;
  /** Exact chart version (the `pinned-charts` policy rejects ranges and empty). */
  readonly version: string;
  /** Helm release name (HelmRelease spec.releaseName). */
  readonly releaseName: string;
  /** Namespace the chart installs into. @default namespace */
  readonly targetNamespace?: string;
  readonly values: pulumi.Input<Record<string, unknown>>;
  /** How long to wait for Ready (Flux `spec.timeout` and the Pulumi wait). @default "10m" */
  readonly timeout?: string;
  /** Labels on both objects. */
  readonly labels: Record<string, string>;
}

/** API versions of the two Flux objects (Flux 2.3+ serves both as GA). */
const FLUX_SOURCE_API = "source.toolkit.fluxcd.io/v1";
const FLUX_HELM_API = "helm.toolkit.fluxcd.io/v2";

export { isExactChartVersion } from "./chartVersion";

/**
 * A Flux duration (`90s`, `10m`, `1h30m`) in whole seconds; undefined when it is not one. Flux accepts Go
 * durations with the units ms, s, m, h; the Pulumi wait needs whole seconds.
 */
export function durationSeconds(d: string): number | undefined {
  if (!/^(\d+(ms|s|m|h))+$/.test(d)) return undefined;
  let total = 0;
  for (const [, n, unit] of d.matchAll(/(\d+)(ms|s|m|h)/g)) {
    total += Number(n) * { ms: 0.001, s: 1, m: 60, h: 3600 }[unit as "ms" | "s" | "m" | "h"];
  }
  const secs = Math.ceil(total);
  return secs > 0 ? secs : undefined;
}

/** Kubernetes object names: DNS-1123 labels (Helm release names are limited to 53 characters). */
const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

/**
 * Checks the arguments before anything is registered; throws one Error naming every argument that is wrong,
 * the value seen and what is expected. Pure.
 */
export function validateFluxHelmReleaseArgs(name: string, args: FluxHelmReleaseArgs): void {
  const problems: string[] = [];
  const where = `FluxHelmRelease '${name}'`;
  if (!isExactChartVersion(args.version)) {
    problems.push(
      `version "${args.version ?? ""}" is not an exact chart version: expected one SemVer version such as "2.5.2" ` +
        "(no range like ^2.5 or 2.x, not empty), so the chart and its images never move unreviewed",
    );
  }
  if (!/^https:\/\/[^\s/]+/.test(args.repository?.url ?? "")) {
    problems.push(
      `repository.url "${args.repository?.url ?? ""}" is not an https URL of a Helm repository (e.g. https://kubeflow.github.io/spark-operator)`,
    );
  }
  for (const [key, v, max] of [
    ["repository.name", args.repository?.name, 63],
    ["releaseName", args.releaseName, 53],
    ["namespace", args.namespace, 63],
    ...(args.targetNamespace !== undefined ? [["targetNamespace", args.targetNamespace, 63] as const] : []),
  ] as const) {
    if (typeof v !== "string" || !DNS_LABEL.test(v) || v.length > max) {
      problems.push(
        `${key} "${v ?? ""}" is not a Kubernetes name of at most ${max} lower-case letters, digits and '-'`,
      );
    }
  }
  if (!args.chart || /\s/.test(args.chart)) {
    problems.push(`chart "${args.chart ?? ""}" is not a chart name (e.g. spark-operator)`);
  }
  const timeout = args.timeout ?? "10m";
  if (durationSeconds(timeout) === undefined) {
    problems.push(`timeout "${timeout}" is not a duration such as "10m", "90s" or "1h"`);
  }
  if (problems.length > 0) {
    throw new Error(`${where} has invalid arguments: ${problems.join("; ")}.`);
  }
}

/** The HelmRepository spec. Pure. */
function helmRepositorySpec(args: FluxHelmReleaseArgs): Record<string, unknown> {
  // Charts change rarely and the version is pinned: an hourly index refresh is plenty.
  return { url: args.repository.url, interval: "1h" };
}

/**
 * The HelmRelease spec (without `values`, which may be an Output). Pure.
 * - install/upgrade `crds: CreateReplace`: Helm alone never upgrades CRDs in `crds/`; an operator upgrade then
 *   runs against stale CRDs. Flux can, and does here.
 * - remediation retries 3: a failed install/upgrade is retried, then rolled back (upgrade) instead of left half done.
 */
export function helmReleaseSpec(args: FluxHelmReleaseArgs): Record<string, unknown> {
  const timeout = args.timeout ?? "10m";
  return {
    releaseName: args.releaseName,
    ...(args.targetNamespace && args.targetNamespace !== args.namespace
      ? { targetNamespace: args.targetNamespace }
      : {}),
    interval: "10m",
    timeout,
    chart: {
      spec: {
        chart: args.chart,
        version: args.version,
        sourceRef: { kind: "HelmRepository", name: args.repository.name, namespace: args.namespace },
        interval: "1h",
      },
    },
    install: { crds: "CreateReplace", remediation: { retries: 3 } },
    upgrade: { crds: "CreateReplace", remediation: { retries: 3, remediateLastFailure: true } },
  };
}

/**
 * The annotations that make the Kubernetes provider wait for Flux's verdict: `condition=Ready` on the
 * HelmRelease, at most the release timeout plus a minute (Flux's own timeout fires first and reports why).
 * Pure.
 */
function waitAnnotations(timeout = "10m"): Record<string, string> {
  const secs = durationSeconds(timeout);
  if (secs === undefined) throw new Error(`The timeout "${timeout}" is not a duration such as "10m".`);
  return { "pulumi.com/waitFor": "condition=Ready", "pulumi.com/timeoutSeconds": String(secs + 60) };
}

export class FluxHelmRelease extends pulumi.ComponentResource {
  /** The Helm release name. */
  declare public readonly releaseName: pulumi.Output<string>;
  /** The HelmRelease custom resource (for dependsOn). */
  declare public readonly release: k8s.apiextensions.CustomResource;

  constructor(name: string, args: FluxHelmReleaseArgs, opts?: pulumi.ComponentResourceOptions) {
    super("lakehouse:delivery:FluxHelmRelease", name, {}, opts);
    validateFluxHelmReleaseArgs(name, args);

    const repo = new k8s.apiextensions.CustomResource(
      `${name}-repo`,
      {
        apiVersion: FLUX_SOURCE_API,
        kind: "HelmRepository",
        metadata: { name: args.repository.name, namespace: args.namespace, labels: { ...args.labels } },
        spec: helmRepositorySpec(args),
      },
      { parent: this },
    );

    // The wait happens in the provider (no I/O in the program): at `up` it watches the HelmRelease until its
    // Ready condition is True, and fails the update with Flux's reason when it turns False or time runs out.
    const release = new k8s.apiextensions.CustomResource(
      `${name}-release`,
      {
        apiVersion: FLUX_HELM_API,
        kind: "HelmRelease",
        metadata: {
          name: args.releaseName,
          namespace: args.namespace,
          labels: { ...args.labels },
          annotations: waitAnnotations(args.timeout),
        },
        spec: pulumi.output(args.values).apply((values) => ({ ...helmReleaseSpec(args), values })),
      },
      // The release needs its source first: ordering, so dependsOn.
      { parent: this, dependsOn: [repo] },
    );

    this.release = release;
    this.releaseName = pulumi.output(args.releaseName);
    this.registerOutputs({ releaseName: this.releaseName });
  }
}
