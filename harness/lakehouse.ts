/**
 * The analytics engines for tests, started once per test run (./shared): PostgreSQL + radosgw + Hive Metastore
 * 4.0.0 (the foundation's harnesses) and a Trino 476 coordinator + worker configured ONLY with the product's
 * rendered catalogs (stacks/analytics/catalogs.ts) pointing at them and the chart's config.properties and
 * jvm.config rendered from the product's values, memory divided by TEST_MEMORY_SCALE (./trino-topology.ts), its
 * S3 keys given as environment variables exactly as the cluster mounts the warehouse Secret.
 */
import { renderCatalogs } from "../stacks/analytics/catalogs";
import { startHiveMetastore, type HiveMetastore } from "./hive-metastore";
import { startPostgres, type Postgres } from "./postgres";
import { startRadosgw, type Radosgw } from "./radosgw";
import { shared } from "./shared";
import { startTrino, type Trino } from "./trino";
import { TrinoClient } from "../verify/http/trino";

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
export function sharedLakehouse(opts: { memoryScale?: number } = {}): Promise<Lakehouse> {
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
        memoryScale: opts.memoryScale,
      });
      const h = hms;
      // Warm the metastore path once: on a machine at load 60 the metastore's first calls (cold JIT) can take
      // longer than Trino's 10 s Thrift read timeout, which failed a test's first statement with
      // "SocketTimeoutException: Read timed out". Retried here so every test starts on a warm path.
      const client = new TrinoClient({ baseUrl: trino.url, label: trino.url }, { queryTimeoutMs: 120_000 });
      for (let attempt = 1; ; attempt++) {
        try {
          await client.query("SHOW SCHEMAS FROM iceberg");
          break;
        } catch (e) {
          if (attempt >= 5 || !/timed out|SocketTimeout/i.test((e as Error).message)) throw e;
        }
      }
      // One line per run, so the suite's time can be read off the log (start-up dominates it).
      process.stderr.write(
        `      [lakehouse engines] PostgreSQL + radosgw ${((t1 - t0) / 1000).toFixed(1)} s, Hive Metastore ${((t2 - t1) / 1000).toFixed(1)} s, Trino coordinator + worker (memory / ${trino.topology.memoryScale}) ${secs(t2)}; total ${secs(t0)}\n`,
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
