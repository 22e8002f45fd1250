/**
 * The engines a benchmark runs on, started for the run and stopped after it (by pid, through the test
 * harnesses): radosgw alone for the S3 legs, or PostgreSQL + radosgw + Hive Metastore 4.0.0 + Trino 476 for
 * the lakehouse legs. Trino runs on the product's topology (a coordinator and a worker, the chart's files from the
 * product's values, memory divided by a stated factor: harness/trino-topology.ts), with the product's
 * rendered catalogs (stacks/analytics/catalogs.ts) and,
 * when asked, one bench-only `hive` catalog on the same metastore and S3 settings, used to read the raw CSV
 * object (the product has no Hive catalog: its tables are Iceberg).
 *
 * A missing engine is reported before anything starts, naming the setup script that installs it.
 */
import { renderCatalogs } from "../../stacks/analytics/catalogs";
import { startHiveMetastore, type HiveMetastore } from "../../harness/hive-metastore";
import { startPostgres, type Postgres } from "../../harness/postgres";
import { startRadosgw, type Radosgw } from "../../harness/radosgw";
import { requireTrino, startTrino, TRINO_TEST_VERSION, type Trino } from "../../harness/trino";

export interface BenchEngines {
  rgw: Radosgw;
  pg?: Postgres;
  hms?: HiveMetastore;
  trino?: Trino;
  /** The catalog texts Trino runs with. */
  catalogs: Record<string, string>;
  /** One line naming each engine and its version, for the report header. */
  describe: string;
  stop(): Promise<void>;
}

export interface BenchEngineOptions {
  /** Start PostgreSQL, the Hive Metastore and Trino too. */
  trino: boolean;
  /** Add the bench-only `hive` catalog (for Trino reading the CSV object). */
  hive?: boolean;
  /** radosgw's memstore OSD size (objects live in RAM). @default 2 */
  storageGib?: number;
  /**
   * The factor the product's Trino memory settings are divided by (1 = the product's sizes: 4.8 GiB coordinator
   * and 12.8 GiB worker heaps). @default 4
   */
  memoryScale?: number;
  /** Or the worker's heap in GB (the factor is the product's worker heap / this). */
  heapGb?: number;
  /** How long Trino may take to start (20 s idle, minutes at load 30 on 2 cores). @default 600000 */
  trinoStartTimeoutMs?: number;
  log?: (msg: string) => void;
}

/**
 * The bench-only Hive catalog: the iceberg catalog's metastore and S3 lines (so it reads the same bucket
 * with the same keys) under the Hive connector. Pure.
 */
export function hiveCatalogFrom(iceberg: string): string {
  const lines = iceberg
    .split("\n")
    .filter((l) => /^(hive\.metastore\.uri|fs\.native-s3\.enabled|s3\.[\w.-]+)=/.test(l));
  if (!lines.some((l) => l.startsWith("hive.metastore.uri="))) {
    throw new Error(
      "The iceberg catalog text has no hive.metastore.uri line; cannot derive the bench's hive catalog.",
    );
  }
  return ["connector.name=hive", ...lines, ""].join("\n");
}

export async function startBenchEngines(opts: BenchEngineOptions): Promise<BenchEngines> {
  const log = opts.log ?? (() => undefined);
  // Fail before starting anything when Trino is wanted but not installed (the HMS harness checks itself).
  if (opts.trino) requireTrino();
  const t0 = Date.now();
  const since = (t: number): string => `${((Date.now() - t) / 1000).toFixed(1)} s`;
  if (!opts.trino) {
    const rgw = await startRadosgw({ memstoreGib: opts.storageGib });
    log(`radosgw up in ${since(t0)}`);
    return { rgw, catalogs: {}, describe: "radosgw (Ceph 16)", stop: () => rgw.stop() };
  }
  const [pg, rgw] = await Promise.all([startPostgres(), startRadosgw({ memstoreGib: opts.storageGib })]);
  log(`PostgreSQL + radosgw up in ${since(t0)}`);
  let hms: HiveMetastore | undefined;
  try {
    const t1 = Date.now();
    hms = await startHiveMetastore({ pg, rgw, bucket: "lakehouse-warehouse" });
    log(`Hive Metastore up in ${since(t1)}`);
    const catalogs = renderCatalogs({
      metastoreUri: hms.uri,
      s3Endpoint: rgw.endpoint,
      s3Region: rgw.region,
    });
    if (opts.hive) catalogs.hive = hiveCatalogFrom(catalogs.iceberg);
    const t2 = Date.now();
    const trino = await startTrino({
      catalogs,
      env: { AWS_ACCESS_KEY_ID: rgw.accessKeyId, AWS_SECRET_ACCESS_KEY: rgw.secretAccessKey },
      memoryScale: opts.heapGb === undefined ? (opts.memoryScale ?? 4) : undefined,
      heapGb: opts.heapGb,
      startTimeoutMs: opts.trinoStartTimeoutMs ?? 600_000,
    });
    log(`Trino ${TRINO_TEST_VERSION} up in ${since(t2)} (catalogs: ${Object.keys(catalogs).join(", ")})`);
    const { memory, memoryScale } = trino.topology;
    const gb = (bytes: number): string => `${(bytes / 2 ** 30).toFixed(1)} GiB`;
    const h = hms;
    return {
      rgw,
      pg,
      hms: h,
      trino,
      catalogs,
      describe:
        `Trino ${TRINO_TEST_VERSION} (coordinator ${gb(memory.coordinator.heapBytes)} heap + 1 worker ${gb(memory.worker.heapBytes)} heap, ` +
        `query.max-memory-per-node ${memory.worker.maxMemoryPerNode}: the product's memory / ${+memoryScale.toFixed(2)}), ` +
        `Hive Metastore 4.0.0, PostgreSQL 15, radosgw (Ceph 16, ${opts.storageGib ?? 2} GiB memstore)`,
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
}
