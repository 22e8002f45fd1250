import { platformLabels } from "../platform/labels";

/**
 * Kubernetes names of the foundation phase's objects. Fixed (not Pulumi auto-names) because the alerts, the
 * post-deploy verification, the runbook and operators' `kubectl` commands all refer to them.
 */
export const FOUNDATION_NAMES = {
  /** ObjectBucketClaim (and the Secret/ConfigMap Rook creates with the same name) of the warehouse bucket. */
  warehouseClaim: "lakehouse-warehouse",
  /** ObjectBucketClaim of the metadata backup bucket. */
  backupClaim: "lakehouse-metastore-backup",
  /** ObjectBucketClaim of the artifact cache's bucket (jars and wheels the pods copy at start). */
  artifactsClaim: "lakehouse-artifacts",
  /** The artifact cache's staging Job (`<name>-<hash of what it stages>`) and its ConfigMap. */
  artifactStage: "artifact-cache-stage",
  /** CephObjectStoreUser (bucketMode s3-user). */
  objectUser: "lakehouse",
  /** PostgreSQL StatefulSet, Service and PVC prefix. */
  database: "metastore-db",
  /** Secret with `username`, `password`, `database` of the metastore database. */
  databaseCredentials: "metastore-db-credentials",
  /** The database inside PostgreSQL. */
  databaseName: "metastore",
  /** Hive Metastore Deployment, Service and PDB. */
  metastore: "hive-metastore",
  /** CronJob of the metadata backup; its Jobs are `<name>-<minutes since epoch>`. */
  backup: "metastore-backup",
  /** PrometheusRule of the phase. */
  rules: "lakehouse-foundation",
} as const;

/** Label of the artifact cache's staging Job pod: the only pod allowed out to `lakehouse:artifacts.source`. */
export const ARTIFACT_STAGER_LABEL = { "lakehouse.dev/artifact-stager": "true" } as const;

/** Thrift port of the metastore. */
export const METASTORE_PORT = 9083;
/** Port of the Prometheus JMX exporter agent inside the metastore JVM. */
export const METASTORE_METRICS_PORT = 9404;
/**
 * The metastore's in-cluster Thrift URI (its Service in the platform namespace): the one place it is built, for
 * the metastore component's output, Spark, Trino and the verification.
 */
export function metastoreUri(namespace: string): string {
  return `thrift://${FOUNDATION_NAMES.metastore}.${namespace}.svc:${METASTORE_PORT}`;
}
/** PostgreSQL port. */
export const POSTGRES_PORT = 5432;

/** Selector labels (immutable on Deployments/StatefulSets, so kept to name + instance). */
export function selectorLabels(name: string): Record<string, string> {
  return { "app.kubernetes.io/name": name, "app.kubernetes.io/instance": "lakehouse" };
}

/** Labels of a foundation object: the platform's labels plus the selector labels of its workload. */
export function foundationLabels(component: string, name: string): Record<string, string> {
  return { ...platformLabels("foundation", component), ...selectorLabels(name) };
}

/** Recording rule names of the availability SLO (exported for verification and dashboards). */
export const SLO_RECORDS = {
  up: "lakehouse:metastore_up:max",
  ratio: (window: string) => `lakehouse:metastore_up:ratio_rate${window}`,
} as const;

/** Windows of the availability ratio; 30d is the SLO period. */
