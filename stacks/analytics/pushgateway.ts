/**
 * `lakehouse:analytics:Pushgateway`: a Prometheus Pushgateway for the outcome of the platform's batch jobs (today
 * the table maintenance). A CronJob's pod is gone before Prometheus could scrape it, kube-state-metrics knows
 * only whether a Job failed, and the homelab's kube-prometheus-stack runs no Pushgateway (examples/anton/): so
 * the phase brings one, the use Prometheus documents for a Pushgateway ("the outcome of a service-level batch
 * job"). Scraped by its ServiceMonitor with `honorLabels`, so the pushed `job` label is kept.
 *
 * One replica by design (pushed metrics live in its memory, and a second replica would hold half of them);
 * `--persistence.file` on an emptyDir keeps them across container restarts. A lost pod forgets them until the
 * next run pushes again, which the maintenance alerts allow for (TableMaintenanceMissing waits maxAgeHours).
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import type { LakehouseConfig } from "../../preflight/config/schema";
import { containerResources } from "../../preflight/config/sizing";
import { type PlatformBaseRefs } from "../types";
import { ANALYTICS_NAMES, PUSHGATEWAY_PORT } from "./names";
import { platformLabels } from "../platform/labels";

/** uid/gid of the `prom/pushgateway` image's user (`nobody`). */
const PUSHGATEWAY_UID = 65534;

interface PushgatewayArgs {
  /** Parsed config: `images.pushgateway`, `sizing.pushgateway`, `foundation.monitoringLabels`. */
  readonly config: LakehouseConfig;
  /** The platform base (namespace, batch priority class). */
  readonly base: PlatformBaseRefs;
}

/** Selector labels of the Pushgateway's pods. */
function pushgatewaySelector(): Record<string, string> {
  return { "app.kubernetes.io/name": ANALYTICS_NAMES.pushgateway, "app.kubernetes.io/instance": "lakehouse" };
}

export class Pushgateway extends pulumi.ComponentResource {
  /** `http://<service>.<namespace>.svc:9091`: where jobs push. */
  declare public readonly url: pulumi.Output<string>;
  /** Resolves once the Deployment reports its status. */
  declare public readonly ready: pulumi.Output<unknown>;

  constructor(name: string, args: PushgatewayArgs, opts?: pulumi.ComponentResourceOptions) {
    super("lakehouse:analytics:Pushgateway", name, {}, opts);
    const { config, base } = args;
    const ns = base.namespace;
    const appName = ANALYTICS_NAMES.pushgateway;
    const size = config.sizing.pushgateway;
    if (size.replicas !== 1) {
      throw new Error(
        `lakehouse:sizing.pushgateway.replicas is ${size.replicas}; the Pushgateway keeps pushed metrics in its ` +
          "memory, so it runs as exactly 1 replica. Set it to 1, or set lakehouse:analytics.maintenance.enabled " +
          "to false to run without table maintenance.",
      );
    }
    const labels = { ...platformLabels("analytics", "pushgateway"), ...pushgatewaySelector() };
    const http = { httpGet: { path: "/-/ready", port: "http" } };

    const deployment = new k8s.apps.v1.Deployment(
      `${name}-deployment`,
      {
        metadata: { name: appName, namespace: ns, labels },
        spec: {
          replicas: 1,
          selector: { matchLabels: pushgatewaySelector() },
          // Never two at once: a push landing on the old pod would be lost with it.
          strategy: { type: "Recreate" },
          template: {
            metadata: { labels },
            spec: {
              priorityClassName: base.priorityClassBatch,
              securityContext: {
                runAsNonRoot: true,
                runAsUser: PUSHGATEWAY_UID,
                runAsGroup: PUSHGATEWAY_UID,
                fsGroup: PUSHGATEWAY_UID,
                seccompProfile: { type: "RuntimeDefault" },
              },
              containers: [
                {
                  name: "pushgateway",
                  image: config.images.pushgateway,
                  args: [
                    `--web.listen-address=:${PUSHGATEWAY_PORT}`,
                    "--persistence.file=/data/metrics",
                    "--persistence.interval=1m",
                  ],
                  ports: [{ name: "http", containerPort: PUSHGATEWAY_PORT, protocol: "TCP" }],
                  resources: containerResources(size),
                  securityContext: {
                    allowPrivilegeEscalation: false,
                    readOnlyRootFilesystem: true,
                    capabilities: { drop: ["ALL"] },
                  },
                  readinessProbe: { ...http, periodSeconds: 10, timeoutSeconds: 3 },
                  livenessProbe: {
                    httpGet: { path: "/-/healthy", port: "http" },
                    periodSeconds: 20,
                    timeoutSeconds: 5,
                  },
                  volumeMounts: [{ name: "data", mountPath: "/data" }],
                },
              ],
              volumes: [{ name: "data", emptyDir: { sizeLimit: "64Mi" } }],
            },
          },
        },
      },
      { parent: this },
    );

    new k8s.core.v1.Service(
      `${name}-service`,
      {
        metadata: { name: appName, namespace: ns, labels },
        spec: {
          selector: pushgatewaySelector(),
          ports: [{ name: "http", port: PUSHGATEWAY_PORT, targetPort: "http", protocol: "TCP" }],
        },
      },
      { parent: this },
    );

    new k8s.apiextensions.CustomResource(
      `${name}-servicemonitor`,
      {
        apiVersion: "monitoring.coreos.com/v1",
        kind: "ServiceMonitor",
        metadata: {
          name: appName,
          namespace: ns,
          labels: { ...labels, ...config.foundation.monitoringLabels },
        },
        spec: {
          selector: { matchLabels: pushgatewaySelector() },
          namespaceSelector: { matchNames: [ns] },
          // The pushed `job` (the batch job's name) must win over the scrape's own (the Service name).
          endpoints: [
            { port: "http", path: "/metrics", interval: "30s", scrapeTimeout: "10s", honorLabels: true },
          ],
        },
      },
      { parent: this },
    );

    this.url = pulumi.output(`http://${appName}.${ns}.svc:${PUSHGATEWAY_PORT}`);
    this.ready = deployment.status;
    this.registerOutputs({ url: this.url, ready: this.ready });
  }
}
