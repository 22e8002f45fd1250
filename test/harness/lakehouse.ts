/**
 * The analytics engines for tests, started once per test run (./shared): PostgreSQL + radosgw + Hive Metastore
 * 4.0.0 (the foundation's harnesses) and a Trino 476 configured ONLY with the product's rendered catalogs
 * (stacks/analytics/catalogs.ts) pointing at them, its S3 keys given as environment variables exactly as the
 * cluster mounts the warehouse Secret.
 */
import { renderCatalogs } from "../../stacks/analytics/catalogs";
import { startHiveMetastore, type HiveMetastore } from "./hive-metastore";
import { startPostgres, type Postgres } from "./postgres";
import { startRadosgw, type Radosgw } from "./radosgw";
import { shared } from "./shared";
import { startTrino, type Trino } from "./trino";

export interface Lakehouse {
  pg: Postgres;
  rgw: Radosgw;
  hms: HiveMetastore;
  trino: Trino;
  /** The catalog texts Trino runs with (renderCatalogs output). */
  catalogs: Record<string, string>;
  /** The warehouse bucket (on rgw) behind the metastore's warehouse dir. */
  bucket: string;
}

/** Starts (once per test run) and returns the shared analytics engines. */
export function sharedLakehouse(opts: { heapGb?: number } = {}): Promise<Lakehouse> {
  return shared("lakehouse", async () => {
    const t0 = Date.now();
    const secs = (t: number): string => `${((Date.now() - t) / 1000).toFixed(1)} s`;
    const [pg, rgw] = await Promise.all([startPostgres(), startRadosgw()]);
    const t1 = Date.now();
    let hms: HiveMetastore | undefined;
    try {
      // Trino's catalog names the metastore's port, known only once it is up: one JVM after the other (on
      // 2 cores they would only slow each other down anyway).
      hms = await startHiveMetastore({ pg, rgw, bucket: "lakehouse-warehouse" });
      const t2 = Date.now();
      const rendered = renderCatalogs({
        metastoreUri: hms.uri,
        s3Endpoint: rgw.endpoint,
        s3Region: rgw.region,
      });
      const trino = await startTrino({
        catalogs: rendered,
        env: { AWS_ACCESS_KEY_ID: rgw.accessKeyId, AWS_SECRET_ACCESS_KEY: rgw.secretAccessKey },
        heapGb: opts.heapGb ?? 2,
      });
      const h = hms;
      // One line per run, so the suite's time can be read off the log (start-up dominates it).
      process.stderr.write(
        `      [lakehouse engines] PostgreSQL + radosgw ${((t1 - t0) / 1000).toFixed(1)} s, Hive Metastore ${((t2 - t1) / 1000).toFixed(1)} s, Trino ${secs(t2)}; total ${secs(t0)}\n`,
      );
      return {
        pg,
        rgw,
        hms: h,
        trino,
        catalogs: rendered,
        bucket: h.bucket,
        stop: async () => {
          await trino.stop();
          await h.stop();
          await Promise.all([rgw.stop(), pg.stop()]);
        },
      };
    } catch (e) {
      await hms?.stop();
      await Promise.all([rgw.stop(), pg.stop()]);
      throw e;
    }
  });
}
