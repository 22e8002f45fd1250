/**
 * Where the verification Jobs find the foundation phase's services and credentials, derived from the stack
 * config and the foundation's fixed object names (stacks/foundation/names.ts). Pure.
 *
 * Secrets are referenced (secretKeyRef), never read: the verification never sees a password or an S3 key.
 */
import type { LakehouseConfig } from "../preflight/config/schema";

/**
 * Names the foundation phase gives its objects. They mirror stacks/foundation/names.ts (FOUNDATION_NAMES)
 * and are repeated here so that verification depends on the contract, not on the phase's module.
 */
export const FOUNDATION_OBJECTS = {
  metastoreService: "hive-metastore",
  metastorePort: 9083,
  databaseService: "metastore-db",
  databasePort: 5432,
  /** Secret with keys `username`, `password`, `database`. */
  databaseCredentials: "metastore-db-credentials",
  databaseName: "metastore",
  /** ObjectBucketClaims: Rook creates a Secret and a ConfigMap of the same name. */
  warehouseClaim: "lakehouse-warehouse",
  backupClaim: "lakehouse-metastore-backup",
  /** CephObjectStoreUser (bucketMode s3-user). */
  objectUser: "lakehouse",
  backupCronJob: "metastore-backup",
} as const;

/** Prefix of the backup objects inside the backup bucket (backup.sh's S3_PREFIX). @default "metastore" */
export const DEFAULT_BACKUP_PREFIX = "metastore";

/** Pinned images of the verification Jobs. */
export const VERIFY_IMAGES = {
  /**
   * Python for metastore_ping.py and iceberg_roundtrip.py. pyiceberg is not in any official image, so the Job
   * pip-installs the pins below into /tmp unless the image already has them (pass --python-image with a
   * prebuilt image for clusters without PyPI egress).
   */
  python: "python:3.11.10-slim-bookworm",
} as const;

/** The Python packages the Python Jobs need; the same pins as .ci/setup.d/30-python.sh. */
export const PYTHON_PACKAGES = ["pyiceberg[hive]==0.11.0", "pyarrow==21.0.0"] as const;

/** An S3 location with the Secret (and, for ObjectBucketClaims, the ConfigMap) that describe it. */
export interface BucketTarget {
  /** Literal bucket name, used when `configMap` is empty. */
  bucket: string;
  /** ConfigMap with BUCKET_NAME/BUCKET_HOST/BUCKET_PORT (Rook OBC); empty when the bucket is literal. */
  configMap: string;
  /** S3 endpoint URL; empty = `http://$(BUCKET_HOST):$(BUCKET_PORT)` from `configMap`. */
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
  images: { python: string; restore: string };
  priorityClass: string;
}

export interface TargetOverrides {
  backupPrefix?: string;
  pythonImage?: string;
  restoreImage?: string;
}

/** Derives every name the Jobs use from the config. */
export function foundationTargets(config: LakehouseConfig, over: TargetOverrides = {}): FoundationTargets {
  const ns = config.platform.namespace;
  const f = config.foundation;
  const rgwEndpoint = `http://${config.cluster.rgwService}.${config.cluster.cephNamespace}.svc`;
  const bucket = (claim: string, name: string): BucketTarget =>
    f.bucketMode === "obc"
      ? {
          bucket: name,
          configMap: claim,
          endpoint: config.s3.endpoint,
          secret: claim,
          accessKeyKey: "AWS_ACCESS_KEY_ID",
          secretKeyKey: "AWS_SECRET_ACCESS_KEY",
        }
      : {
          bucket: name,
          configMap: "",
          endpoint: config.s3.endpoint || rgwEndpoint,
          secret: `rook-ceph-object-user-${config.cluster.objectStore}-${FOUNDATION_OBJECTS.objectUser}`,
          accessKeyKey: "AccessKey",
          secretKeyKey: "SecretKey",
        };
  return {
    namespace: ns,
    metastoreUri: `thrift://${FOUNDATION_OBJECTS.metastoreService}.${ns}.svc:${FOUNDATION_OBJECTS.metastorePort}`,
    database: {
      host: `${FOUNDATION_OBJECTS.databaseService}.${ns}.svc`,
      port: FOUNDATION_OBJECTS.databasePort,
      secret: FOUNDATION_OBJECTS.databaseCredentials,
      name: FOUNDATION_OBJECTS.databaseName,
    },
    warehouse: { ...bucket(FOUNDATION_OBJECTS.warehouseClaim, f.warehouseBucket), path: "warehouse" },
    backup: {
      ...bucket(FOUNDATION_OBJECTS.backupClaim, f.backupBucket),
      prefix: over.backupPrefix ?? DEFAULT_BACKUP_PREFIX,
    },
    region: config.s3.region,
    images: {
      python: over.pythonImage ?? VERIFY_IMAGES.python,
      restore: over.restoreImage ?? config.images.backup,
    },
    priorityClass: config.platform.priorityClasses.batch,
  };
}
