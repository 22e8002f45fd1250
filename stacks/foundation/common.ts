/**
 * Small pure helpers the foundation components share: labels, security contexts, the in-cluster S3 endpoint and
 * the buckets' credentials Secrets, the JVM heap from sizing.
 */
import type * as k8s from "@pulumi/kubernetes";
import type { LakehouseConfig, PodSize } from "../../preflight/config/schema";
import { parseBytes } from "../../preflight/quantity";
import { platformLabels } from "../types";
import { FOUNDATION_NAMES, selectorLabels } from "./names";

/** Labels of a foundation object: the platform's labels plus the selector labels of its workload. */
export function foundationLabels(component: string, name: string): Record<string, string> {
  return { ...platformLabels("foundation", component), ...selectorLabels(name) };
}

/** Pod security context: a fixed non-root uid/gid (the image's own user), fsGroup for volumes, RuntimeDefault seccomp. */
export function podSecurity(uid: number): k8s.types.input.core.v1.PodSecurityContext {
  return {
    runAsNonRoot: true,
    runAsUser: uid,
    runAsGroup: uid,
    fsGroup: uid,
    seccompProfile: { type: "RuntimeDefault" },
  };
}

/** Container security context: no privilege escalation, no capabilities. */
export function containerSecurity(readOnlyRootFilesystem: boolean): k8s.types.input.core.v1.SecurityContext {
  return {
    allowPrivilegeEscalation: false,
    readOnlyRootFilesystem,
    capabilities: { drop: ["ALL"] },
  };
}

/** The S3 endpoint workloads inside the cluster use: `foundation.s3Endpoint`, else the RGW Service on port 80. */
export function inClusterS3Endpoint(config: LakehouseConfig): string {
  return (
    config.foundation.s3Endpoint ||
    `http://${config.cluster.rgwService}.${config.cluster.cephNamespace}.svc:80`
  ).replace(/\/+$/, "");
}

/** How a workload reads the keys of a bucket: Secret name and the two key names inside it. */
export interface BucketCredentials {
  readonly secret: string;
  readonly accessKeyIdKey: string;
  readonly secretAccessKeyKey: string;
}

/** The credentials reference of a bucket for a bucket mode (Rook's Secret layouts differ). */
export function bucketCredentials(config: LakehouseConfig, claim: string): BucketCredentials {
  return config.foundation.bucketMode === "obc"
    ? // Rook writes a Secret named like the ObjectBucketClaim, in its namespace.
      { secret: claim, accessKeyIdKey: "AWS_ACCESS_KEY_ID", secretAccessKeyKey: "AWS_SECRET_ACCESS_KEY" }
    : {
        secret: `rook-ceph-object-user-${config.cluster.objectStore}-${FOUNDATION_NAMES.objectUser}`,
        accessKeyIdKey: "AccessKey",
        secretAccessKeyKey: "SecretKey",
      };
}

/** Where the pods find the artifact cache: the in-cluster endpoint, `artifacts.bucket` and its keys' Secret. */
export function artifactCacheLocation(config: LakehouseConfig): {
  endpoint: string;
  bucket: string;
  region: string;
  credentials: BucketCredentials;
} {
  return {
    endpoint: inClusterS3Endpoint(config),
    bucket: config.artifacts.bucket,
    region: config.s3.region,
    credentials: bucketCredentials(config, FOUNDATION_NAMES.artifactsClaim),
  };
}

/**
 * The JVM heap for a container of this size: 75 % of its memory limit (the rest is metaspace, threads, direct
 * buffers), in MiB, at least 256.
 */
export function jvmHeapMiB(size: PodSize): number {
  const limit = parseBytes(size.memoryLimit ?? size.memory);
  if (limit === undefined) {
    throw new Error(
      `The memory size "${size.memoryLimit ?? size.memory}" is not a quantity; expected e.g. "1Gi".`,
    );
  }
  return Math.max(256, Math.floor((limit * 0.75) / (1024 * 1024)));
}

/** Resources of small helper init containers (jar download, AWS CLI copy): fixed, they are I/O bound. */
export const HELPER_RESOURCES = {
  requests: { cpu: "50m", memory: "64Mi" },
  limits: { memory: "128Mi" },
} as const;
