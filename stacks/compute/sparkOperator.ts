/**
 * `lakehouse:compute:SparkOperator`: the kubeflow Spark Operator (controller + mutating webhook), from its chart at
 * an exact version, delivered by Flux (stacks/platform/fluxHelmRelease.ts). The program waits until the HelmRelease is Ready.
 *
 * Values, and why:
 * - controller/webhook replicas and resources from `lakehouse:sizing.sparkOperator/sparkOperatorWebhook`, the
 *   critical PriorityClass (the operator is what runs every job), the image pinned by `lakehouse:images`;
 * - `spark.jobNamespaces`: only the namespaces in `compute.jobNamespaces` (default: the platform namespace);
 * - `spark.serviceAccount/rbac.create: false`: the driver identity is SparkJobIdentity (namespaced, reviewed here),
 *   not the chart's;
 * - metrics on with the chart's PodMonitor (labelled so the Prometheus Operator selects it);
 * - `hook.upgradeCrd: false`: Flux replaces the chart's CRDs on upgrade (`crds: CreateReplace`).
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import type { LakehouseConfig } from "../../preflight/config/schema";
import { containerResources } from "../../preflight/config/sizing";
import { FluxHelmRelease } from "../platform/fluxHelmRelease";
import type { PlatformBaseRefs } from "../types";
import { COMPUTE_NAMES, OPERATOR_METRICS_PORT, WEBHOOK_PORT, computeLabels, jobNamespaces } from "./names";
import { splitImage } from "../platform/images";

interface SparkOperatorArgs {
  /** Parsed config: `compute.*`, `images.sparkOperator`, `sizing.sparkOperator/sparkOperatorWebhook`. */
  readonly config: LakehouseConfig;
  /** The platform base (namespace, priority classes). */
  readonly base: PlatformBaseRefs;
}

/** The chart name in its repository. */
const OPERATOR_CHART = "spark-operator";

/** The chart values. Pure; throws naming the key for an image the chart cannot take. */
export function sparkOperatorValues(
  config: LakehouseConfig,
  base: PlatformBaseRefs,
): Record<string, unknown> {
  const image = splitImage(config.images.sparkOperator, "lakehouse:images.sparkOperator");
  const controller = config.sizing.sparkOperator;
  const webhook = config.sizing.sparkOperatorWebhook;
  return {
    image: { ...image, pullPolicy: "IfNotPresent" },
    hook: { upgradeCrd: false },
    controller: {
      replicas: controller.replicas,
      priorityClassName: base.priorityClassCritical,
      resources: containerResources(controller),
      leaderElection: { enable: true },
      ...(controller.replicas > 1 ? { podDisruptionBudget: { enable: true, minAvailable: 1 } } : {}),
    },
    webhook: {
      enable: config.compute.webhook,
      replicas: webhook.replicas,
      port: WEBHOOK_PORT,
      priorityClassName: base.priorityClassCritical,
      resources: containerResources(webhook),
      ...(webhook.replicas > 1 ? { podDisruptionBudget: { enable: true, minAvailable: 1 } } : {}),
    },
    spark: {
      jobNamespaces: jobNamespaces(config),
      serviceAccount: { create: false, name: COMPUTE_NAMES.sparkServiceAccount },
      rbac: { create: false },
    },
    prometheus: {
      metrics: { enable: true, port: OPERATOR_METRICS_PORT, endpoint: "/metrics" },
      podMonitor: {
        create: true,
        labels: { ...config.foundation.monitoringLabels },
        podMetricsEndpoint: { scheme: "http", interval: "30s" },
      },
    },
  };
}

/** Ingress to the webhook pods on its port from anywhere (the API server). Pure. */
function webhookNetworkPolicySpec(): k8s.types.input.networking.v1.NetworkPolicySpec {
  return {
    podSelector: {
      matchLabels: {
        "app.kubernetes.io/name": OPERATOR_CHART,
        "app.kubernetes.io/instance": COMPUTE_NAMES.operatorRelease,
        "app.kubernetes.io/component": "webhook",
      },
    },
    policyTypes: ["Ingress"],
    ingress: [{ ports: [{ protocol: "TCP", port: WEBHOOK_PORT }] }],
  };
}

export class SparkOperator extends pulumi.ComponentResource {
  /** The Helm release name (the chart names the controller `<release>-controller`). */
  declare public readonly releaseName: pulumi.Output<string>;
  /** The HelmRelease (for dependsOn). */
  declare public readonly release: k8s.apiextensions.CustomResource;
  /** Resolves once Flux reports the release Ready (the provider's wait): what the verification waits for. */
  declare public readonly ready: pulumi.Output<unknown>;

  constructor(name: string, args: SparkOperatorArgs, opts?: pulumi.ComponentResourceOptions) {
    super("lakehouse:compute:SparkOperator", name, {}, opts);
    const { config, base } = args;
    const delivery = new FluxHelmRelease(
      `${name}-chart`,
      {
        namespace: base.namespace,
        repository: { name: COMPUTE_NAMES.operatorRepository, url: config.compute.operatorChartRepository },
        chart: OPERATOR_CHART,
        version: config.compute.operatorChartVersion,
        releaseName: COMPUTE_NAMES.operatorRelease,
        values: sparkOperatorValues(config, base),
        timeout: config.compute.operatorReleaseTimeout,
        labels: computeLabels("spark-operator", COMPUTE_NAMES.operatorRelease),
      },
      { parent: this },
    );
    // The platform namespace denies ingress by default; the API server (not a pod, so no selector can name it)
    // must reach the webhook or every Spark pod creation fails (the chart's failurePolicy is Fail).
    if (config.compute.webhook) {
      new k8s.networking.v1.NetworkPolicy(
        `${name}-webhook-ingress`,
        {
          metadata: {
            name: COMPUTE_NAMES.webhookNetworkPolicy,
            namespace: base.namespace,
            labels: computeLabels("spark-operator", COMPUTE_NAMES.webhookNetworkPolicy),
          },
          spec: webhookNetworkPolicySpec(),
        },
        { parent: this },
      );
    }
    this.release = delivery.release;
    this.releaseName = delivery.releaseName;
    // The id is known only after the create, which includes the wait for Ready.
    this.ready = delivery.release.id;
    this.registerOutputs({ releaseName: this.releaseName, ready: this.ready });
  }
}
