/**
 * Where the verification Jobs find the foundation phase's services and credentials: the same names, endpoint
 * and Secrets the phase's components use (stacks/foundation/names.ts, stacks/platform/s3.ts), derived from the stack
 * config. Pure.
 *
 * Secrets are referenced (secretKeyRef), never read: the verification never sees a password or an S3 key.
 */
import type { LakehouseConfig } from "../preflight/config/schema";
import { PYTHON_REQUIREMENTS, type CacheReader } from "../stacks/platform/artifacts";
import { FOUNDATION_NAMES, metastoreUri, POSTGRES_PORT } from "../stacks/foundation/names";
import { artifactCacheLocation, bucketCredentials, inClusterS3Endpoint } from "../stacks/platform/s3";

/** Pinned images of the verification Jobs. */
export const VERIFY_IMAGES = {
  /**
   * Python for metastore_ping.py and iceberg_roundtrip.py. pyiceberg is not in any official image, so the Job
   * pip-installs the pins below into /tmp from the wheels its init container copied out of the in-cluster
   * artifact cache (`pip --no-index`: never PyPI), unless the image already has them. The cached wheels are
   * CPython 3.11 ones: another --python-image must be 3.11 or bring the packages itself.
   */
  python: "python:3.11.10-slim-bookworm",
} as const;

/**
 * The Python packages the Python Jobs need (stacks/foundation/python-wheels.json, whose wheels the artifact
 * cache holds); the same pins as .ci/setup.d/30-python.sh.
 */
export const PYTHON_PACKAGES: readonly string[] = PYTHON_REQUIREMENTS;

/** An S3 bucket and the Secret holding its keys. */
export interface BucketTarget {
  bucket: string;
  endpoint: string;
  secret: string;
  accessKeyKey: string;
  secretKeyKey: string;
}

export interface FoundationTargets {
  namespace: string;
  metastoreUri: string;
  database: { host: string; port: number; secret: string; name: string };
  warehouse: BucketTarget & { path: string };
  backup: BucketTarget & { prefix: string };
  region: string;
  images: { python: string; restore: string; awsCli: string; tools: string };
  /** The in-cluster artifact cache the Jobs' init containers copy wheels (and the check reads) from. */
  cache: CacheReader;
  priorityClass: string;
  /** The metastore's lock timeout (`foundation.metastoreLockTimeoutSeconds`). */
  lockTimeoutSeconds: number;
}

export interface TargetOverrides {
  /** @default config foundation.backupPrefix */
  backupPrefix?: string;
  /** @default VERIFY_IMAGES.python */
  pythonImage?: string;
  /** @default config images.backup (the backup CronJob's image) */
  restoreImage?: string;
}

/**
 * The Secret with a bucket's keys: the phase's own `bucketCredentials` (Rook's Secret named like the
 * ObjectBucketClaim for bucketMode obc, the CephObjectStoreUser's Secret for s3-user), in the Jobs' field names.
 */
export function bucketSecret(
  config: LakehouseConfig,
  claim: string,
): Omit<BucketTarget, "bucket" | "endpoint"> {
  const c = bucketCredentials(config, claim);
  return { secret: c.secret, accessKeyKey: c.accessKeyIdKey, secretKeyKey: c.secretAccessKeyKey };
}

/** Derives every name the Jobs use from the config. */
export function foundationTargets(config: LakehouseConfig, over: TargetOverrides = {}): FoundationTargets {
  const ns = config.platform.namespace;
  const f = config.foundation;
  const endpoint = inClusterS3Endpoint(config);
  return {
    namespace: ns,
    metastoreUri: metastoreUri(ns),
    database: {
      host: `${FOUNDATION_NAMES.database}.${ns}.svc`,
      port: POSTGRES_PORT,
      secret: FOUNDATION_NAMES.databaseCredentials,
      name: FOUNDATION_NAMES.databaseName,
    },
    warehouse: {
      bucket: f.warehouseBucket,
      endpoint,
      ...bucketSecret(config, FOUNDATION_NAMES.warehouseClaim),
      path: "warehouse",
    },
    backup: {
      bucket: f.backupBucket,
      endpoint,
      ...bucketSecret(config, FOUNDATION_NAMES.backupClaim),
      prefix: over.backupPrefix ?? f.backupPrefix,
    },
    region: config.s3.region,
    images: {
      python: over.pythonImage ?? VERIFY_IMAGES.python,
      restore: over.restoreImage ?? config.images.backup,
      awsCli: config.images.awsCli,
      tools: config.images.tools,
    },
    cache: artifactCacheLocation(config),
    priorityClass: config.platform.priorityClasses.batch,
    lockTimeoutSeconds: f.metastoreLockTimeoutSeconds,
  };
}
