/**
 * `lakehouse:foundation:ArtifactCache`: the in-cluster artifact cache. Its own bucket (an ObjectBucketClaim on the
 * retained bucket class, or a bucket the staging Job creates with the CephObjectStoreUser's keys), and one
 * staging Job that copies every pinned artifact (artifacts.ts) from `lakehouse:artifacts.source` into it,
 * verifying each sha256. Everything that reads the cache (the metastore, its schema Job, the Spark jobs, the
 * verification Jobs) is created after this Job completed: the phase's components depend on this one, and the
 * Kubernetes provider waits for a Job to succeed before it reports it created.
 *
 * Why its own bucket and not a prefix of the warehouse: docs/program.md, "The artifact cache".
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { createHash } from "node:crypto";
import type { LakehouseConfig } from "../../preflight/config/schema";
import type { PlatformBaseRefs } from "../types";
import {
  artifactVolumeSize,
  cacheEnv,
  platformArtifacts,
  renderArtifactScript,
  type CacheReader,
  type PinnedArtifact,
} from "../platform/artifacts";
import { containerSecurity, HELPER_RESOURCES, podSecurity } from "../platform/pods";
import { ARTIFACT_STAGER_LABEL, FOUNDATION_NAMES, foundationLabels } from "./names";
import { artifactCacheLocation } from "../platform/s3";

/** uid of the curl image's user (curlimages/curl runs as 100). */
const TOOLS_UID = 100;
/** Label of the staging Job's pod: the only pod the `allow-artifact-source` NetworkPolicy lets out. */
const STAGER_LABEL = ARTIFACT_STAGER_LABEL;

interface ArtifactCacheArgs {
  /** Parsed config: `artifacts.bucket/source`, `foundation.bucketMode`, `images.tools`, `platform.*`. */
  readonly config: LakehouseConfig;
  /** The platform base (namespace, critical priority class). */
  readonly base: PlatformBaseRefs;
  /**
   * What to stage. @default every artifact of the platform (platformArtifacts())
   */
  readonly artifacts?: readonly PinnedArtifact[];
}

/**
 * A short content hash of what the staging Job does: the artifact list (keys and digests), the sources and the
 * bucket. Its name carries it, so a version bump or a new source makes a new Job (which fetches only what
 * changed) while an unchanged plan leaves the finished Job alone (a second `up` stages nothing).
 */
export function stageJobHash(
  artifacts: readonly PinnedArtifact[],
  source: { maven: string; pypi: string },
  bucket: string,
  image: string,
): string {
  return createHash("sha256")
    .update(
      [
        image,
        bucket,
        source.maven,
        source.pypi,
        ...artifacts.map((a) => `${a.source}:${a.path}@${a.sha256}`),
      ].join("\n"),
    )
    .digest("hex")
    .slice(0, 10);
}

/** The reader view of the cache the pods use (endpoint, bucket, region, Secret). Pure. */
export function cacheReader(config: LakehouseConfig): CacheReader {
  return artifactCacheLocation(config);
}

export class ArtifactCache extends pulumi.ComponentResource {
  /** The cache's bucket. */
  declare public readonly bucket: pulumi.Output<string>;
  /** Name of the staging Job (`artifact-cache-stage-<hash>`). */
  declare public readonly stageJobName: pulumi.Output<string>;
  /** Resolves once the staging Job completed (the provider awaits it). */
  declare public readonly ready: pulumi.Output<unknown>;

  constructor(name: string, args: ArtifactCacheArgs, opts?: pulumi.ComponentResourceOptions) {
    super("lakehouse:foundation:ArtifactCache", name, {}, opts);
    const { config, base } = args;
    const ns = base.namespace;
    const artifacts = args.artifacts ?? platformArtifacts();
    const appName = FOUNDATION_NAMES.artifactStage;
    const labels = foundationLabels("artifact-cache", appName);
    const reader = cacheReader(config);
    const source = config.artifacts.source;

    if (
      config.artifacts.bucket === config.foundation.warehouseBucket ||
      config.artifacts.bucket === config.foundation.backupBucket
    ) {
      throw new Error(
        `lakehouse:artifacts.bucket is "${config.artifacts.bucket}", the same as the warehouse or backup bucket; ` +
          "the artifact cache needs its own bucket (table maintenance and lifecycle rules of the warehouse must " +
          "never touch it, and the backups must hold only backups). Set lakehouse:artifacts.bucket to another name.",
      );
    }

    const claim =
      config.foundation.bucketMode === "obc"
        ? new k8s.apiextensions.CustomResource(
            `${name}-bucket`,
            {
              apiVersion: "objectbucket.io/v1alpha1",
              kind: "ObjectBucketClaim",
              metadata: { name: FOUNDATION_NAMES.artifactsClaim, namespace: ns, labels },
              spec: {
                bucketName: config.artifacts.bucket,
                storageClassName: config.platform.bucketStorageClass,
              },
            },
            // Same rule as the warehouse: the claim (and with it an air-gapped homelab's only copy) outlives
            // a destroy; Rook deletes a bucket on a Delete class, which the retain-data policy refuses.
            { parent: this, retainOnDelete: true },
          )
        : undefined;

    const script = new k8s.core.v1.ConfigMap(
      `${name}-script`,
      {
        metadata: { name: appName, namespace: ns, labels },
        data: { "artifact-cache.sh": renderArtifactScript(artifacts) },
      },
      { parent: this },
    );

    const jobName = `${appName}-${stageJobHash(artifacts, source, config.artifacts.bucket, config.images.tools)}`;
    const podLabels = { ...labels, ...STAGER_LABEL };
    const job = new k8s.batch.v1.Job(
      `${name}-stage`,
      {
        metadata: { name: jobName, namespace: ns, labels },
        spec: {
          backoffLimit: 2,
          activeDeadlineSeconds: 3600,
          template: {
            metadata: { labels: podLabels },
            spec: {
              restartPolicy: "Never",
              // It gates the catalog: same class as the metastore it stages for.
              priorityClassName: base.priorityClassCritical,
              securityContext: podSecurity(TOOLS_UID),
              automountServiceAccountToken: false,
              containers: [
                {
                  name: "stage",
                  image: config.images.tools,
                  command: ["sh", "/scripts/artifact-cache.sh", "stage"],
                  env: [
                    ...cacheEnv(reader),
                    { name: "MAVEN_SOURCE", value: source.maven },
                    { name: "PYPI_SOURCE", value: source.pypi },
                    { name: "TMPDIR", value: "/work" },
                  ],
                  resources: HELPER_RESOURCES,
                  securityContext: containerSecurity(true),
                  volumeMounts: [
                    { name: "scripts", mountPath: "/scripts", readOnly: true },
                    { name: "work", mountPath: "/work" },
                  ],
                },
              ],
              volumes: [
                { name: "scripts", configMap: { name: script.metadata.name } },
                // One artifact at a time passes through here (the largest is the Iceberg runtime, 47 MB).
                { name: "work", emptyDir: { sizeLimit: artifactVolumeSize(largest(artifacts)) } },
              ],
            },
          },
        },
      },
      {
        parent: this,
        deleteBeforeReplace: true,
        dependsOn: claim ? [claim, script] : [script],
      },
    );

    this.bucket = pulumi.output(config.artifacts.bucket);
    this.stageJobName = job.metadata.name;
    this.ready = job.status;
    this.registerOutputs({ bucket: this.bucket, stageJobName: this.stageJobName, ready: this.ready });
  }
}

function largest(list: readonly PinnedArtifact[]): PinnedArtifact[] {
  const top = [...list].sort((a, b) => b.bytes - a.bytes)[0];
  return top ? [top] : [];
}
