/**
 * `lakehouse:foundation:WarehouseBucket`: the Iceberg warehouse bucket and the metadata backup bucket on Ceph.
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import type { LakehouseConfig } from "../../preflight/config/schema";
import type { PlatformBaseRefs } from "../types";
import { FOUNDATION_NAMES, foundationLabels } from "./names";
import { bucketCredentials, inClusterS3Endpoint, type BucketCredentials } from "../platform/s3";

interface WarehouseBucketArgs {
  /** Parsed config: `foundation.bucketMode/warehouseBucket/backupBucket/s3Endpoint`, `platform.bucketStorageClass`, `cluster.*`. */
  readonly config: LakehouseConfig;
  /** The platform base (namespace). */
  readonly base: PlatformBaseRefs;
}

export class WarehouseBucket extends pulumi.ComponentResource {
  /** The warehouse bucket's name. */
  declare public readonly bucket: pulumi.Output<string>;
  /** `s3a://<bucket>/warehouse`. */
  declare public readonly warehouseUri: pulumi.Output<string>;
  /** The in-cluster S3 endpoint URL. */
  declare public readonly endpoint: pulumi.Output<string>;
  /** Secret with the warehouse bucket's keys, and the key names inside it. */
  declare public readonly credentials: pulumi.Output<BucketCredentials>;
  /** The backup bucket's name. */
  declare public readonly backupBucket: pulumi.Output<string>;
  /** Secret with the backup bucket's keys, and the key names inside it. */
  declare public readonly backupCredentials: pulumi.Output<BucketCredentials>;

  constructor(name: string, args: WarehouseBucketArgs, opts?: pulumi.ComponentResourceOptions) {
    super("lakehouse:foundation:WarehouseBucket", name, {}, opts);
    const { config, base } = args;
    const f = config.foundation;
    const endpoint = inClusterS3Endpoint(config);
    const labels = foundationLabels("warehouse-bucket", FOUNDATION_NAMES.warehouseClaim);

    if (f.warehouseBucket === f.backupBucket) {
      throw new Error(
        `lakehouse:foundation.warehouseBucket and backupBucket are both "${f.warehouseBucket}"; the metadata ` +
          "backups must live in their own bucket (their own keys, and a lost warehouse must not take the backups " +
          "with it). Set lakehouse:foundation.backupBucket to another name.",
      );
    }

    if (f.bucketMode === "obc") {
      // The bucket StorageClass must have reclaimPolicy Retain: Rook deletes the bucket AND its objects when an
      // OBC on a Delete class goes away (a `pulumi destroy`, a deleted namespace). The preflight checks the class
      // and the retain-data policy refuses a Delete class it can see; retainOnDelete keeps Pulumi itself from
      // ever deleting the claims.
      const claim = (suffix: string, claimName: string, bucketName: string) =>
        new k8s.apiextensions.CustomResource(
          `${name}-${suffix}`,
          {
            apiVersion: "objectbucket.io/v1alpha1",
            kind: "ObjectBucketClaim",
            metadata: { name: claimName, namespace: base.namespace, labels },
            spec: { bucketName, storageClassName: config.platform.bucketStorageClass },
          },
          { parent: this, retainOnDelete: true },
        );
      claim("warehouse", FOUNDATION_NAMES.warehouseClaim, f.warehouseBucket);
      claim("backup", FOUNDATION_NAMES.backupClaim, f.backupBucket);
    } else {
      // One Ceph user for both buckets. It lives in the platform namespace (not the Ceph one) so that Rook writes
      // its key Secret where the metastore and the backup pods can reference it: a pod cannot read a Secret of
      // another namespace. Needs `allowUsersInNamespaces` on the CephObjectStore (Rook >= 1.10). Rook makes no
      // buckets for a user: create both with these keys (docs/runbooks/foundation.md).
      new k8s.apiextensions.CustomResource(
        `${name}-user`,
        {
          apiVersion: "ceph.rook.io/v1",
          kind: "CephObjectStoreUser",
          metadata: { name: FOUNDATION_NAMES.objectUser, namespace: base.namespace, labels },
          spec: {
            store: config.cluster.objectStore,
            clusterNamespace: config.cluster.cephNamespace,
            displayName: "lakehouse warehouse and metastore backups",
          },
        },
        { parent: this, retainOnDelete: true },
      );
    }

    this.bucket = pulumi.output(f.warehouseBucket);
    this.warehouseUri = pulumi.output(`s3a://${f.warehouseBucket}/warehouse`);
    this.endpoint = pulumi.output(endpoint);
    this.credentials = pulumi.output(bucketCredentials(config, FOUNDATION_NAMES.warehouseClaim));
    this.backupBucket = pulumi.output(f.backupBucket);
    this.backupCredentials = pulumi.output(bucketCredentials(config, FOUNDATION_NAMES.backupClaim));
    this.registerOutputs({
      bucket: this.bucket,
      warehouseUri: this.warehouseUri,
      endpoint: this.endpoint,
      credentials: this.credentials,
      backupBucket: this.backupBucket,
      backupCredentials: this.backupCredentials,
    });
  }
}
