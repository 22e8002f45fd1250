/**
 * `metastore-site.xml` for the Hive Metastore, rendered from config. Pure: no I/O, no Pulumi.
 *
 * What is deliberately NOT in here: the database user/password and the S3 keys. The file lands in a ConfigMap,
 * which anyone with `get configmaps` can read; the secrets reach the JVM as environment variables from Secrets
 * (`AWS_ACCESS_KEY_ID`/`AWS_SECRET_ACCESS_KEY` read by the S3A EnvironmentVariableCredentialsProvider, the JDBC
 * user/password as `-Djavax.jdo.option.*` system properties expanded from env by Kubernetes).
 */

export interface MetastoreSiteInput {
  /** JDBC URL of the metastore database, e.g. `jdbc:postgresql://metastore-db.lakehouse.svc:5432/metastore`. */
  readonly jdbcUrl: string;
  /** Warehouse bucket; the warehouse is `s3a://<bucket>/warehouse`. */
  readonly warehouseBucket: string;
  /** S3 endpoint URL (`http://...` or `https://...`); its scheme decides `fs.s3a.connection.ssl.enabled`. */
  readonly s3Endpoint: string;
  /** Region string for the S3 signer; any value works with Ceph RGW. */
  readonly s3Region: string;
  /**
   * Thrift port.
   * @default 9083
   */
  readonly thriftPort?: number;
  /**
   * S3A signer. Over plain HTTP the AWS SDK v1 in hadoop-aws 3.3.x signs uploads as aws-chunked SigV4, which
   * Ceph 16's RGW rejects for the zero-byte directory markers mkdirs writes ("chunk signature mismatch",
   * HTTP 400; found by the real-metastore harness). SigV2 (`S3SignerType`) has no chunks and every RGW accepts
   * it. Pass "" to use the SDK's default (SigV4) on RGW that handles it (Ceph 17+, or https).
   * @default "S3SignerType"
   */
  readonly s3SigningAlgorithm?: string;
  /**
   * `metastore.txn.timeout` in seconds (`lakehouse:foundation.metastoreLockTimeoutSeconds`): a lock whose holder
   * has not heartbeated for this long is abandoned and removed by housekeeping (see metastoreLockProperties).
   * @default 300
   */
  readonly lockTimeoutSeconds?: number;
}

/** A property of the rendered site, in order. */
interface SiteProperty {
  readonly name: string;
  readonly value: string;
  readonly why?: string;
}

/** The metastore's default `metastore.txn.timeout`, kept as the platform's default (300 s). */
export const DEFAULT_LOCK_TIMEOUT_SECONDS = 300;
/**
 * How often each replica's AcidHouseKeeperService deletes timed-out locks (`metastore.acid.housekeeper.interval`;
 * Hive's default is 60 s). Half of that here: it bounds how long past the timeout an abandoned lock survives,
 * and one run is a handful of indexed statements on the lock and transaction tables.
 */
export const LOCK_HOUSEKEEPING_INTERVAL_SECONDS = 30;
/**
 * How often the metastore refreshes `num_locks` / `oldest_lock_age_in_sec` (AcidMetricService,
 * `metastore.acidmetrics.check.interval`; Hive's default is 300 s): the lock alert's resolution.
 */
export const LOCK_METRICS_INTERVAL_SECONDS = 60;

/** The longest an abandoned lock outlives its holder: the timeout, then at most one housekeeping run. */
export function lockReleaseBoundSeconds(timeoutSeconds: number): number {
  return timeoutSeconds + LOCK_HOUSEKEEPING_INTERVAL_SECONDS;
}

/**
 * Lock housekeeping. Every Iceberg commit through the metastore (Spark, Trino, pyiceberg) takes an exclusive HMS
 * table lock; its row lives in the metastore database, so a writer that dies between lock and unlock (OOM kill,
 * preemption, node drain) leaves a lock that blocks every later commit to that table, across metastore
 * restarts. Only AcidHouseKeeperService times such locks out, and HMS 4.0 runs it only with
 * `metastore.housekeeping.threads.on=true` (default false).
 *
 * Where it runs: on EVERY replica (`leader.election=host` with an empty `leader.hostname` makes each instance
 * its own leader). Shown harmless on HMS 4.0.0 (test/stacks/foundation/metastore-locks.real.test.ts, two
 * instances on one database): AcidHouseKeeperService holds the `HouseKeeper` mutex (a row lock in the
 * database's AUX_TABLE) while it cleans, so the replicas take turns; the timeout is computed with the database's
 * clock, so their clocks do not matter. The alternatives, and why not:
 * - one named replica (`leader.hostname`): Deployment pods get new host names on every reschedule, and while
 *   that one pod is drained (the PDB allows it) nothing times locks out, the moment writers are being killed too;
 * - HMS 4's lock-based election (`leader.election=lock`): one replica runs the tasks, but each election holds a
 *   permanent lock row (`__METASTORE_LEADER_ELECTION__.metastore_*`), which pins the metastore's own
 *   `oldest_lock_age_in_sec` at the leader's uptime and so blinds the lock alert; a dead leader is replaced
 *   only after its lock times out; and in 4.0.0 an election thread that exhausts its retries dies silently,
 *   leaving no replica to run housekeeping (fixed upstream only by HIVE-29720).
 */
export function metastoreLockProperties(timeoutSeconds: number): SiteProperty[] {
  return [
    {
      name: "metastore.housekeeping.threads.on",
      value: "true",
      why: "AcidHouseKeeperService times out locks abandoned by dead writers; off by default in HMS 4",
    },
    {
      name: "metastore.housekeeping.leader.election",
      value: "host",
      why: "with an empty leader host every replica runs housekeeping; they serialise on the HouseKeeper mutex",
    },
    { name: "metastore.housekeeping.leader.hostname", value: "" },
    {
      name: "metastore.txn.timeout",
      value: `${timeoutSeconds}s`,
      why:
        "lakehouse:foundation.metastoreLockTimeoutSeconds; above Iceberg's lock heartbeat interval (240 s), " +
        "far above the seconds a healthy commit holds its lock",
    },
    { name: "metastore.acid.housekeeper.interval", value: `${LOCK_HOUSEKEEPING_INTERVAL_SECONDS}s` },
    {
      name: "metastore.acidmetrics.check.interval",
      value: `${LOCK_METRICS_INTERVAL_SECONDS}s`,
      why: "refreshes num_locks / oldest_lock_age_in_sec, exported as hive_metastore_* for the lock alert",
    },
  ];
}

/** Parses and validates the endpoint; errors name the key and the fix. */
function parseS3Endpoint(endpoint: string): { url: URL; ssl: boolean } {
  let url: URL;
  try {
    url = new URL(endpoint);
  } catch {
    throw new Error(
      `The S3 endpoint "${endpoint}" (lakehouse:foundation.s3Endpoint, or the RGW Service) is not a URL; ` +
        `expected e.g. "http://rook-ceph-rgw-storage.storage.svc:80". Set lakehouse:foundation.s3Endpoint to a full URL.`,
    );
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    throw new Error(
      `The S3 endpoint "${endpoint}" uses the scheme "${url.protocol}"; expected http: or https:. ` +
        `Set lakehouse:foundation.s3Endpoint to an http(s) URL.`,
    );
  }
  return { url, ssl: url.protocol === "https:" };
}

/** The properties of `metastore-site.xml`, in render order. Exported so tests and docs can read them. */
export function metastoreSiteProperties(input: MetastoreSiteInput): SiteProperty[] {
  const { ssl } = parseS3Endpoint(input.s3Endpoint);
  if (!/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(input.warehouseBucket)) {
    throw new Error(
      `The warehouse bucket name "${input.warehouseBucket}" (lakehouse:foundation.warehouseBucket) is not a valid ` +
        `S3 bucket name; expected 3-63 lower-case letters, digits, '.' or '-'.`,
    );
  }
  const warehouse = `s3a://${input.warehouseBucket}/warehouse`;
  const endpoint = input.s3Endpoint.replace(/\/+$/, "");
  const signer = input.s3SigningAlgorithm ?? "S3SignerType";
  return [
    { name: "metastore.thrift.port", value: String(input.thriftPort ?? 9083) },
    { name: "javax.jdo.option.ConnectionURL", value: input.jdbcUrl },
    { name: "javax.jdo.option.ConnectionDriverName", value: "org.postgresql.Driver" },
    {
      name: "datanucleus.schema.autoCreateAll",
      value: "false",
      why: "the schema is created and upgraded by schematool in the schema Job, never implicitly",
    },
    { name: "metastore.schema.verification", value: "true" },
    { name: "metastore.warehouse.dir", value: warehouse },
    { name: "hive.metastore.warehouse.dir", value: warehouse, why: "legacy name still read by some clients" },
    {
      name: "metastore.event.db.notification.api.auth",
      value: "false",
      why: "without a proxy-user setup the notification API rejects HiveServer2/Trino callers",
    },
    { name: "metastore.metrics.enabled", value: "true" },
    {
      name: "metastore.metrics.reporters",
      value: "JMX",
      why: "scraped by the Prometheus JMX exporter agent",
    },
    { name: "fs.s3a.endpoint", value: endpoint },
    { name: "fs.s3a.endpoint.region", value: input.s3Region },
    { name: "fs.s3a.path.style.access", value: "true", why: "Ceph RGW buckets are not DNS names in-cluster" },
    { name: "fs.s3a.connection.ssl.enabled", value: String(ssl) },
    ...(signer
      ? [
          {
            name: "fs.s3a.signing-algorithm",
            value: signer,
            why: "aws-chunked SigV4 uploads fail on Ceph 16 RGW",
          },
        ]
      : []),
    { name: "fs.s3a.impl", value: "org.apache.hadoop.fs.s3a.S3AFileSystem" },
    {
      name: "fs.s3.impl",
      value: "org.apache.hadoop.fs.s3a.S3AFileSystem",
      why: "Trino writes s3:// table locations; the metastore must resolve them with S3A",
    },
    {
      name: "fs.s3a.aws.credentials.provider",
      // hadoop-aws 3.3.6 uses AWS SDK v1; the keys come only from the pod's environment (a Secret).
      value: "com.amazonaws.auth.EnvironmentVariableCredentialsProvider",
      why: "keys only from AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY env (a Secret), never from this file",
    },
    ...metastoreLockProperties(input.lockTimeoutSeconds ?? DEFAULT_LOCK_TIMEOUT_SECONDS),
  ];
}

/** Escapes text for an XML element body. */
function xmlEscape(s: string): string {
  return s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
}

/** Renders `metastore-site.xml` (Hadoop configuration format). Pure. */
export function renderMetastoreSite(input: MetastoreSiteInput): string {
  const lines = [
    '<?xml version="1.0" encoding="UTF-8"?>',
    "<!-- Rendered by lakehouse (stacks/foundation). -->",
    "<configuration>",
  ];
  for (const p of metastoreSiteProperties(input)) {
    if (p.why) lines.push(`  <!-- ${p.why.replace(/--/g, "- -")} -->`);
    lines.push("  <property>");
    lines.push(`    <name>${xmlEscape(p.name)}</name>`);
    lines.push(`    <value>${xmlEscape(p.value)}</value>`);
    lines.push("  </property>");
  }
  lines.push("</configuration>", "");
  return lines.join("\n");
}

/**
 * Prometheus JMX exporter rules for the metastore JVM: Hive's Dropwizard metrics (JMX domain `metrics`) the agent
 * adds the JVM's own (`jvm_*`). Kept narrow so a scrape stays cheap.
 */
export function renderJmxExporterConfig(): string {
  return [
    "lowercaseOutputName: true",
    "lowercaseOutputLabelNames: true",
    "rules:",
    '  - pattern: "metrics<name=(.+)><>Value"',
    '    name: "hive_metastore_$1"',
    "    type: GAUGE",
    '  - pattern: "metrics<name=(.+)><>Count"',
    '    name: "hive_metastore_$1_count"',
    "    type: COUNTER",
    "",
  ].join("\n");
}
