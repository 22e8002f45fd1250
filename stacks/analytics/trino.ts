/**
 * `lakehouse:analytics:Trino`: Trino from the trinodb/charts `trino` chart at a pinned version, delivered as a
 * Flux HelmRelease (stacks/platform/fluxHelmRelease.ts), on the foundation's Iceberg catalog; plus what the chart does not
 * provide: a PodDisruptionBudget for the workers and ServiceMonitors that scrape Trino's native `/metrics`.
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import type { LakehouseConfig } from "../../preflight/config/schema";
import { FluxHelmRelease } from "../platform/fluxHelmRelease";
import { type PlatformBaseRefs } from "../types";
import { renderCatalogs } from "./catalogs";
import { ANALYTICS_NAMES, chartNames, TRINO_CHART, TRINO_HTTP_PORT, trinoSelector } from "./names";
import { mergeCatalogs, trinoValues } from "./trinoValues";
import type { BucketCredentials } from "../platform/s3";
import { platformLabels } from "../platform/labels";

interface TrinoArgs {
  /** Parsed config: `analytics.*`, `images.trino`, `sizing.trinoCoordinator/trinoWorker`, `s3.region`, `foundation.monitoringLabels`. */
  readonly config: LakehouseConfig;
  /** The platform base (namespace, priority classes). */
  readonly base: PlatformBaseRefs;
  /** `thrift://host:9083` of the foundation's Hive Metastore. */
  readonly metastoreUri: string;
  /** In-cluster S3 endpoint URL of the RADOS Gateway. */
  readonly s3Endpoint: string;
  /** Where the warehouse bucket's keys are. */
  readonly bucketCredentials: BucketCredentials;
  /**
   * How long Flux (and the Pulumi wait) may take to install or upgrade the release: image pulls of ~1.3 GB and a
   * rolling worker restart with a 120 s grace period each.
   * @default "15m"
   */
  readonly timeout?: string;
}

/** The ServiceMonitor spec of one role: Trino's native OpenMetrics endpoint on the `http` port. Pure. */
function trinoServiceMonitorSpec(
  release: string,
  role: "coordinator" | "worker",
  namespace: string,
): Record<string, unknown> {
  return {
    selector: { matchLabels: trinoSelector(release, role) },
    namespaceSelector: { matchNames: [namespace] },
    endpoints: [
      {
        port: "http",
        path: "/metrics",
        interval: "30s",
        scrapeTimeout: "10s",
        // Trino answers /metrics only to an authenticated user, like its UI. With no authentication configured a
        // user name is enough (basic auth with an empty password, as Trino's OpenMetrics docs do); it is kept in
        // a Secret only because the ServiceMonitor API takes basic auth from one.
        basicAuth: {
          username: { name: ANALYTICS_NAMES.metricsAuth, key: "username" },
          password: { name: ANALYTICS_NAMES.metricsAuth, key: "password" },
        },
        // Keep the pod and role of each series (the chart labels the pods, not the series).
        relabelings: [
          { sourceLabels: ["__meta_kubernetes_pod_label_app_kubernetes_io_component"], targetLabel: "role" },
        ],
      },
    ],
  };
}

export class Trino extends pulumi.ComponentResource {
  /** Helm release name. */
  declare public readonly releaseName: pulumi.Output<string>;
  /** `http://<coordinator service>.<namespace>.svc:8080`: the coordinator's client endpoint. */
  declare public readonly coordinatorUrl: pulumi.Output<string>;
  /**
   * Resolves once Flux reports the release Ready (the provider's wait: the chart installed, its Deployments
   * available): what the verification waits for.
   */
  declare public readonly ready: pulumi.Output<unknown>;

  constructor(name: string, args: TrinoArgs, opts?: pulumi.ComponentResourceOptions) {
    super("lakehouse:analytics:Trino", name, {}, opts);
    const { config, base } = args;
    const ns = base.namespace;
    const a = config.analytics;
    const names = chartNames(a.releaseName);
    const labels = (component: string) => platformLabels("analytics", component);

    const catalogs = mergeCatalogs(
      renderCatalogs({
        metastoreUri: args.metastoreUri,
        s3Endpoint: args.s3Endpoint,
        s3Region: config.s3.region,
      }),
      a.additionalCatalogs,
    );
    const { values } = trinoValues({
      config,
      priorityClassCritical: base.priorityClassCritical,
      priorityClassBatch: base.priorityClassBatch,
      catalogs,
      credentials: args.bucketCredentials,
    });

    const delivery = new FluxHelmRelease(
      `${name}-chart`,
      {
        namespace: ns,
        repository: { name: ANALYTICS_NAMES.helmRepository, url: a.chartRepository },
        chart: TRINO_CHART,
        version: a.chartVersion,
        releaseName: a.releaseName,
        values,
        timeout: args.timeout ?? "15m",
        labels: labels("trino"),
      },
      { parent: this },
    );

    // A drain takes one worker at a time; with graceful shutdown its tasks finish first. With a single worker
    // the budget still allows the eviction (maxUnavailable, not minAvailable), so drains never hang.
    new k8s.policy.v1.PodDisruptionBudget(
      `${name}-worker-pdb`,
      {
        metadata: { name: ANALYTICS_NAMES.workerPdb, namespace: ns, labels: labels("trino-worker") },
        spec: { maxUnavailable: 1, selector: { matchLabels: trinoSelector(a.releaseName, "worker") } },
      },
      { parent: this },
    );

    const metricsAuth = new k8s.core.v1.Secret(
      `${name}-metrics-auth`,
      {
        metadata: { name: ANALYTICS_NAMES.metricsAuth, namespace: ns, labels: labels("trino-metrics") },
        type: "kubernetes.io/basic-auth",
        // Not a credential: Trino runs without authentication, the user name only labels the scraper's queries.
        stringData: { username: a.metricsUser, password: "" },
      },
      { parent: this },
    );

    for (const [role, monitorName] of [
      ["coordinator", ANALYTICS_NAMES.coordinatorMonitor],
      ["worker", ANALYTICS_NAMES.workerMonitor],
    ] as const) {
      new k8s.apiextensions.CustomResource(
        `${name}-${role}-servicemonitor`,
        {
          apiVersion: "monitoring.coreos.com/v1",
          kind: "ServiceMonitor",
          metadata: {
            name: monitorName,
            namespace: ns,
            labels: { ...labels(`trino-${role}`), ...config.foundation.monitoringLabels },
          },
          spec: trinoServiceMonitorSpec(a.releaseName, role, ns),
        },
        { parent: this, dependsOn: [metricsAuth] },
      );
    }

    this.releaseName = pulumi.output(a.releaseName);
    this.coordinatorUrl = pulumi.output(`http://${names.coordinatorService}.${ns}.svc:${TRINO_HTTP_PORT}`);
    this.ready = delivery.release.id;
    this.registerOutputs({
      releaseName: this.releaseName,
      coordinatorUrl: this.coordinatorUrl,
      ready: this.ready,
    });
  }
}
