/**
 * Trino's catalog files for the analytics phase, rendered by one pure function: `iceberg` on the foundation's
 * Hive Metastore (Thrift) with Trino's native S3 file system pointed at Ceph's RADOS Gateway, and `tpch`
 * (generated data, no storage) for benchmarks and the verification's reference answers.
 *
 * The same text is mounted into the Trino pods by the analytics components and written verbatim into the
 * local Trino 476 the tests start (harness/trino.ts), so what the tests prove is what the cluster runs.
 * No @pulumi imports: the verification CLI and the benchmarks load this file too.
 */

/** Catalog names (a contract: dashboards, verification and docs use them). */
export const CATALOG_NAMES = { iceberg: "iceberg", tpch: "tpch" } as const;

export interface CatalogArgs {
  /** `thrift://host:port` of the Hive Metastore. */
  readonly metastoreUri: string;
  /** S3 endpoint URL of the RADOS Gateway (http or https). */
  readonly s3Endpoint: string;
  /** S3 region; RGW accepts any non-empty string, it only has to match what the client signs with. */
  readonly s3Region: string;
  /**
   * Name of the environment variable Trino reads the S3 access key from (the warehouse Secret mounted as env).
   * @default "AWS_ACCESS_KEY_ID"
   */
  readonly accessKeyEnv?: string;
  /**
   * Name of the environment variable Trino reads the S3 secret key from.
   * @default "AWS_SECRET_ACCESS_KEY"
   */
  readonly secretKeyEnv?: string;
}

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/**
 * Checks the arguments; throws an Error naming the argument, the value seen and what was expected. Pure.
 * The values come from the stack config, so a typo must stop the render, not produce a catalog Trino rejects
 * at start-up in a crash-looping pod.
 */
function validateCatalogArgs(args: CatalogArgs): void {
  const m = /^thrift:\/\/([^\s/:]+):(\d{1,5})$/.exec(args.metastoreUri);
  if (!m || Number(m[2]) < 1 || Number(m[2]) > 65535) {
    throw new Error(
      `Trino catalogs: metastoreUri is "${args.metastoreUri}"; expected thrift://HOST:PORT (e.g. thrift://hive-metastore.lakehouse.svc:9083).`,
    );
  }
  let endpoint: URL | undefined;
  try {
    endpoint = new URL(args.s3Endpoint);
  } catch {
    endpoint = undefined;
  }
  if (!endpoint || !/^https?:$/.test(endpoint.protocol) || /\s/.test(args.s3Endpoint)) {
    throw new Error(
      `Trino catalogs: s3Endpoint is "${args.s3Endpoint}"; expected an http:// or https:// URL of the RADOS Gateway (e.g. http://rook-ceph-rgw-lakehouse.rook-ceph.svc:80).`,
    );
  }
  if (!/^[A-Za-z0-9_-]+$/.test(args.s3Region)) {
    throw new Error(
      `Trino catalogs: s3Region is "${args.s3Region}"; expected a non-empty region name such as us-east-1 (any name works with RGW).`,
    );
  }
  for (const [key, value] of [
    ["accessKeyEnv", args.accessKeyEnv],
    ["secretKeyEnv", args.secretKeyEnv],
  ] as const) {
    if (value !== undefined && !ENV_NAME.test(value)) {
      throw new Error(
        `Trino catalogs: ${key} is "${value}"; expected the name of an environment variable (letters, digits, _), not a key value.`,
      );
    }
  }
}

/** Renders `key=value` lines in the given order, newline-terminated. */
function properties(entries: readonly (readonly [string, string])[]): string {
  return entries.map(([k, v]) => `${k}=${v}`).join("\n") + "\n";
}

/**
 * catalog name -> properties text. The S3 keys appear only as `${ENV:NAME}` references, which Trino resolves
 * from its own environment at start-up, so the rendered text can live in a ConfigMap. Pure; throws (see
 * {@link validateCatalogArgs}) on bad input.
 */
export function renderCatalogs(args: CatalogArgs): Record<string, string> {
  validateCatalogArgs(args);
  const accessKeyEnv = args.accessKeyEnv ?? "AWS_ACCESS_KEY_ID";
  const secretKeyEnv = args.secretKeyEnv ?? "AWS_SECRET_ACCESS_KEY";
  const iceberg = properties([
    ["connector.name", "iceberg"],
    // The foundation's Hive Metastore is the one catalog: Spark (type=hive) and pyiceberg see the same tables.
    ["iceberg.catalog.type", "hive_metastore"],
    ["hive.metastore.uri", args.metastoreUri],
    // Trino's own S3 client (AWS SDK v2), the only S3 path left in current Trino (the Hadoop-based `hive.s3.*`
    // is gone in 481, `fs.s3.enabled` is rejected by 480). It serves s3://, s3a:// and s3n:// locations, so
    // tables whose metadata says s3a:// (Spark, the metastore's warehouse dir) read as well.
    ["fs.native-s3.enabled", "true"],
    ["s3.endpoint", args.s3Endpoint.replace(/\/+$/, "")],
    ["s3.region", args.s3Region],
    // RGW serves buckets under the path (no wildcard DNS for virtual-host buckets in a cluster).
    ["s3.path-style-access", "true"],
    ["s3.aws-access-key", `\${ENV:${accessKeyEnv}}`],
    ["s3.aws-secret-key", `\${ENV:${secretKeyEnv}}`],
    // No checksum setting is needed for Ceph 16 (Pacific): Trino 476 itself asks its AWS SDK for checksums only
    // where S3 requires them (trinodb/trino#24954), whereas the SDK's own default since 2.30 (CRC32 trailers on
    // every PUT) fails on RGW before Reef with 411 MissingContentLength. test/analytics/trino.test.ts writes
    // and reads Iceberg tables on Ceph 16 with exactly this file.
    // Re-attach a table from its metadata.json after a metastore loss (docs/runbooks/foundation.md).
    ["iceberg.register-table-procedure.enabled", "true"],
  ]);
  const tpch = properties([
    ["connector.name", "tpch"],
    // Money columns (extendedprice, discount, tax, quantity, acctbal, ...) as DECIMAL(12,2), the types TPC-H
    // defines, instead of the connector's default DOUBLE. The Iceberg copies the verification and the benchmark
    // build by CTAS inherit the types, so sums are exact on both sides without casts. Measured at SF10 on 2
    // cores: Q1 casting DOUBLE columns to decimal in the query took 20.3 s, on DECIMAL columns 5.5 s
    // (docs/performance.md, "Money as DECIMAL").
    ["tpch.double-type-mapping", "DECIMAL"],
  ]);
  return { [CATALOG_NAMES.iceberg]: iceberg, [CATALOG_NAMES.tpch]: tpch };
}
