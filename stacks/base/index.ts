/**
 * The platform base: the assessment's mitigation strategies ("resource quotas and limits", "pod priority classes
 * for critical workloads") as resources, plus network isolation. Created only when the verdict is `ready`; every
 * phase comes after it.
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import type { LakehouseConfig } from "../../preflight/config/schema";
import type { Phase } from "../../preflight/model";
import { type PlatformBaseRefs } from "../types";
import { networkPolicies } from "./network";
import { containerDefaults, quotaHard } from "./quota";
import { platformLabels } from "../platform/labels";

export { networkPolicies } from "./network";
export { containerDefaults, quotaHard } from "./quota";

interface PlatformBaseArgs {
  /** The parsed `lakehouse:` configuration (namespace, priority classes, sizing, cluster namespaces). */
  readonly config: LakehouseConfig;
  /**
   * Phases whose planned pods the quota must hold.
   * @default the phases enabled in `lakehouse:phases`
   */
  readonly phases?: readonly Phase[];
  /**
   * Kubernetes provider for the children.
   * @default the default provider (`kubernetes:context` of the stack)
   */
  readonly provider?: pulumi.ProviderResource;
}

/** `lakehouse:base:PlatformBase`: namespace, ResourceQuota, LimitRange, PriorityClasses, NetworkPolicies. */
export class PlatformBase extends pulumi.ComponentResource {
  declare public readonly namespace: pulumi.Output<string>;
  declare public readonly priorityClassCritical: pulumi.Output<string>;
  declare public readonly priorityClassBatch: pulumi.Output<string>;
  /** What phases receive: plain names (known at plan time) and the resources to come after. */
  declare public readonly refs: PlatformBaseRefs;

  constructor(name: string, args: PlatformBaseArgs, opts?: pulumi.ComponentResourceOptions) {
    super("lakehouse:base:PlatformBase", name, {}, opts);
    const { config, provider } = args;
    const p = config.platform;
    const child: pulumi.CustomResourceOptions = { parent: this, provider };
    const labels = (component: string) => platformLabels("base", component);

    const ns = new k8s.core.v1.Namespace(
      `${name}-namespace`,
      {
        metadata: {
          name: p.namespace,
          labels: {
            ...labels("namespace"),
            // Pod Security Admission: reject privileged pods, warn about what `restricted` would reject.
            "pod-security.kubernetes.io/enforce": "baseline",
            "pod-security.kubernetes.io/warn": "restricted",
          },
        },
      },
      // Kept through `pulumi destroy`: deleting a namespace deletes everything in it, including the claims the
      // foundation retains (the metastore database PVC, the buckets' ObjectBucketClaims) and their Secrets.
      // Pulumi still deletes every other object it created here, one by one. See docs/program.md ("destroy").
      { ...child, retainOnDelete: true },
    );
    // Namespaced children take the namespace from the Namespace's output, so they wait for it.
    const inNs = (n: string, component: string) => ({
      name: n,
      namespace: ns.metadata.name,
      labels: labels(component),
    });

    const quota = new k8s.core.v1.ResourceQuota(
      `${name}-quota`,
      { metadata: inNs("lakehouse-quota", "quota"), spec: { hard: { ...quotaHard(config, args.phases) } } },
      child,
    );
    const limits = new k8s.core.v1.LimitRange(
      `${name}-limits`,
      { metadata: inNs("lakehouse-limits", "limit-range"), spec: { limits: [containerDefaults()] } },
      child,
    );
    const critical = new k8s.scheduling.v1.PriorityClass(
      `${name}-priority-critical`,
      {
        metadata: { name: p.priorityClasses.critical, labels: labels("priority-class") },
        value: p.priorityClasses.criticalValue,
        globalDefault: false,
        preemptionPolicy: "PreemptLowerPriority",
        description: "Lakehouse catalog and coordinators (Hive Metastore, its database, Trino coordinator).",
      },
      child,
    );
    const batch = new k8s.scheduling.v1.PriorityClass(
      `${name}-priority-batch`,
      {
        metadata: { name: p.priorityClasses.batch, labels: labels("priority-class") },
        value: p.priorityClasses.batchValue,
        globalDefault: false,
        // Batch executors wait for room instead of evicting the homelab's other workloads.
        preemptionPolicy: "Never",
        description: "Lakehouse batch work (Spark drivers and executors, Trino workers, backups).",
      },
      child,
    );
    const policies = Object.entries(networkPolicies(config)).map(
      ([short, spec]) =>
        new k8s.networking.v1.NetworkPolicy(
          `${name}-netpol-${short}`,
          { metadata: inNs(`lakehouse-${short}`, "network-policy"), spec },
          child,
        ),
    );

    this.namespace = ns.metadata.name;
    this.priorityClassCritical = critical.metadata.name;
    this.priorityClassBatch = batch.metadata.name;
    this.refs = {
      namespace: p.namespace,
      priorityClassCritical: p.priorityClasses.critical,
      priorityClassBatch: p.priorityClasses.batch,
      resources: [ns, quota, limits, critical, batch, ...policies],
      provider,
    };
    this.registerOutputs({
      namespace: this.namespace,
      priorityClassCritical: this.priorityClassCritical,
      priorityClassBatch: this.priorityClassBatch,
    });
  }
}
