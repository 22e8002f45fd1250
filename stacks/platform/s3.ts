/**
 * How pods inside the cluster reach the object store: the S3 endpoint, the buckets' credentials Secrets (by
 * reference, never read), and the artifact cache's location. Every phase's workloads use these.
 */
import type { LakehouseConfig } from "../../preflight/config/schema";
import { FOUNDATION_NAMES } from "../foundation/names";

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
