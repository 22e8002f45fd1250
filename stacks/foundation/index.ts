/**
 * Phase 1, Foundation: the Iceberg warehouse on Ceph S3, the Hive Metastore on PostgreSQL, metadata backups and
 * their alerts. Ordering is by dependsOn (the bucket and the database before the metastore, the backup after
 * the database and the bucket), never by nesting.
 */
import * as pulumi from "@pulumi/pulumi";
import type { PhaseDefinition, PhaseContext } from "../types";
import { ArtifactCache } from "./artifactCache";
import { FoundationAlerts } from "./alerts";
import { HiveMetastore } from "./hiveMetastore";
import { MetadataBackup } from "./metadataBackup";
import { MetastoreDatabase } from "./metastoreDatabase";
import { adoptionWarning, credentialsAdoption } from "./retained";
import { FOUNDATION_NAMES } from "./names";
import { WarehouseBucket } from "./warehouseBucket";
import { bucketCredentials } from "../platform/s3";

/** The foundation's top-level components, for callers that need them by role. */
interface FoundationComponents {
  bucket: WarehouseBucket;
  /** The in-cluster artifact cache, staged before anything that reads it. */
  cache: ArtifactCache;
  database: MetastoreDatabase;
  metastore: HiveMetastore;
  backup: MetadataBackup;
  alerts: FoundationAlerts;
}

/** Builds the foundation components. Exported for tests; the program calls `foundationPhase.deploy`. */
export function deployFoundation(ctx: PhaseContext): FoundationComponents {
  const { config, base } = ctx;
  const opts = (deps: readonly pulumi.Resource[] = []): pulumi.ComponentResourceOptions => ({
    dependsOn: [...ctx.dependsOn, ...deps],
    ...(base.provider ? { providers: [base.provider] } : {}),
  });

  const bucket = new WarehouseBucket("warehouse", { config, base }, opts());
  // Every pod below copies its jars/wheels from this cache; its staging Job completes before any of them exists.
  const cache = new ArtifactCache("artifact-cache", { config, base }, opts());
  const adoption = credentialsAdoption(config, ctx.report);
  if (adoption.action === "import") {
    pulumi.log.info(
      `Adopting the database credentials Secret ${adoption.id} that an earlier destroy kept (its password opens the retained volume).`,
    );
  } else if (adoption.action === "unknown") pulumi.log.warn(adoptionWarning(adoption));
  const database = new MetastoreDatabase(
    "metastore-db",
    { config, base, ...(adoption.action === "import" ? { adoptCredentials: adoption.id } : {}) },
    opts(),
  );
  const metastore = new HiveMetastore(
    "hive-metastore",
    {
      config,
      base,
      jdbcUrl: database.jdbcUrl,
      databaseSecret: FOUNDATION_NAMES.databaseCredentials,
      warehouseBucket: bucket.bucket,
      s3Endpoint: bucket.endpoint,
      bucketCredentials: bucketCredentials(config, FOUNDATION_NAMES.warehouseClaim),
    },
    opts([bucket, database, cache]),
  );
  const backup = new MetadataBackup(
    "metadata-backup",
    {
      config,
      base,
      databaseHost: database.host,
      databasePort: database.port,
      databaseName: database.database,
      databaseSecret: FOUNDATION_NAMES.databaseCredentials,
      bucket: bucket.backupBucket,
      s3Endpoint: bucket.endpoint,
      bucketCredentials: bucketCredentials(config, FOUNDATION_NAMES.backupClaim),
      warehouseCredentials: bucketCredentials(config, FOUNDATION_NAMES.warehouseClaim),
    },
    opts([bucket, database]),
  );
  const alerts = new FoundationAlerts("foundation-alerts", { config, base }, opts());
  return { bucket, cache, database, metastore, backup, alerts };
}

export const foundationPhase: PhaseDefinition = {
  phase: "foundation",
  title: "Foundation: Hive Metastore on PostgreSQL, Iceberg warehouse on Ceph S3, metadata backups",
  deploy(ctx) {
    const c = deployFoundation(ctx);
    return {
      resources: [c.bucket, c.cache, c.database, c.metastore, c.backup, c.alerts],
      // The verification (attached by the registry) runs once the cache is staged and the metastore, the
      // database and the CronJob are ready.
      ready: [c.cache.ready, c.metastore.ready, c.database.ready, c.backup.ready],
    };
  },
};
