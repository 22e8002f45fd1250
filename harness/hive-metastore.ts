/**
 * A real Hive Metastore 4.0.0 (standalone) for tests: Maven Central jars (see .ci/setup.d/40-hive-metastore.sh)
 * for what the apache/hive image brings, plus the program's pinned METASTORE_JARS (JDBC driver, hadoop-aws, the
 * AWS SDK modules S3A needs) staged into the artifact cache on the radosgw harness and copied back out by the
 * pods' own fetch script (./artifact-cache): the classpath the product's init container gives the metastore. Its schema initialised by Hive's own schematool from the release's PostgreSQL script, backed by a database
 * on the PostgreSQL harness, its warehouse on the radosgw harness through S3A, serving Thrift on 127.0.0.1 on a
 * port the kernel hands out. ~10 s schema + ~10 s start on this 2-core machine, ~200 MB RSS.
 *
 * `stop()` stops the JVM by its pid (SIGTERM, then SIGKILL) and removes the temp dir; the database and the
 * bucket belong to the PostgreSQL and radosgw harnesses and go away with them.
 */
import type { ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { CreateBucketCommand, HeadBucketCommand } from "@aws-sdk/client-s3";
import { configSchema } from "../preflight/config/schema";
import { metastoreLockProperties } from "../stacks/foundation/metastoreSite";
import type { Postgres } from "./postgres";
import {
  freePort,
  isAlive,
  requireBinaries,
  run,
  spawnDaemon,
  stopPid,
  StopWaiting,
  tail,
  waitFor,
} from "./proc";
import { METASTORE_JARS } from "../stacks/platform/artifacts";
import { stageAndFetch } from "./artifact-cache";
import { s3Client, type Radosgw } from "./radosgw";
import { thriftCall } from "./thrift";

/** Where .ci/setup.d/40-hive-metastore.sh puts the jars (`lib/`) and the release's `scripts/`. */
export function hmsHome(env: NodeJS.ProcessEnv = process.env): string {
  return (
    env.LAKEHOUSE_HMS_HOME ??
    path.join(
      env.LAKEHOUSE_CACHE ?? path.join(os.homedir(), ".cache", "lakehouse"),
      "hive-metastore-4.0.0-base",
    )
  );
}

const INSTALL_HINT = "run bash .ci/setup.d/40-hive-metastore.sh";

export interface HiveMetastore {
  /** `thrift://127.0.0.1:PORT` */
  uri: string;
  host: "127.0.0.1";
  port: number;
  /** Where new databases and (external, e.g. Iceberg) tables go: `s3a://BUCKET/warehouse`. */
  warehouse: string;
  /** The bucket on the radosgw harness holding the warehouse. */
  bucket: string;
  /** The PostgreSQL database holding the metastore schema. */
  database: string;
  /** Pid of the metastore JVM, for tests that assert it is gone after `stop()`. */
  pid: number;
  /** The metastore's log (stdout+stderr), for failure messages. */
  logFile: string;
  /** Stops the JVM by pid, waits until it is gone, removes the temp dir. Idempotent. */
  stop(): Promise<void>;
  /**
   * The restore runbook's order: stops the JVM, runs `whileDown` (e.g. restore.sh on the database), starts the
   * metastore again on the same port and database and waits until it answers. `pid` is the new JVM's after.
   */
  restart(whileDown?: () => Promise<void>): Promise<void>;
}

export interface HiveMetastoreOptions {
  pg: Postgres;
  rgw: Radosgw;
  /** @default "warehouse" (created when missing) */
  bucket?: string;
  /** Extra metastore-site.xml properties (they win over the harness's own). */
  extraConf?: Record<string, string>;
  /** @default 120000 */
  startTimeoutMs?: number;
  /**
   * Serve this existing metastore database (another instance's `database`, schema already there) instead of a
   * fresh one: a second replica on the same database, as the product runs two. Neither creates nor drops it.
   */
  sharedDatabase?: string;
  /** Extra JVM flags, e.g. `-javaagent:...` (the JMX exporter). */
  jvmArgs?: readonly string[];
  /** Extra environment of the JVM (e.g. the S3 keys the product passes as env vars). */
  env?: Readonly<Record<string, string>>;
  /**
   * `lakehouse:foundation.metastoreLockTimeoutSeconds` for this instance, through the product's config schema.
   * @default TEST_LOCK_TIMEOUT_SECONDS
   */
  lockTimeoutSeconds?: number;
}

/**
 * The lock timeout every harness metastore runs with: the product's key (300 s by default) scaled down to its
 * lower bound so the abandoned-lock tests wait about 1.5 minutes, not 5.5. The tests' commits hold their
 * locks for well under a second, so nothing else notices.
 */
export const TEST_LOCK_TIMEOUT_SECONDS = configSchema.parse({
  foundation: { metastoreLockTimeoutSeconds: 60 },
}).foundation.metastoreLockTimeoutSeconds;

function xmlEscape(s: string): string {
  return s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
}

/** A Hadoop-style configuration XML. */
export function siteXml(props: Record<string, string>): string {
  const body = Object.entries(props)
    .map(([k, v]) => `  <property><name>${xmlEscape(k)}</name><value>${xmlEscape(v)}</value></property>`)
    .join("\n");
  return `<?xml version="1.0" encoding="UTF-8"?>\n<configuration>\n${body}\n</configuration>\n`;
}

/** Console-only logging (the JVM's stderr goes to the harness's log file); quiet DataNucleus. */
const LOG4J2 = `status = WARN
appenders = console
appender.console.type = Console
appender.console.name = console
appender.console.target = SYSTEM_ERR
appender.console.layout.type = PatternLayout
appender.console.layout.pattern = %d{ISO8601} %5p [%t] %c{2}: %m%n
rootLogger.level = INFO
rootLogger.appenderRefs = console
rootLogger.appenderRef.console.ref = console
loggers = dn
logger.dn.name = DataNucleus
logger.dn.level = ERROR
`;

/** Hive 4.0.0 targets Java 8; on Java 17 these keep its reflection (Hadoop, DataNucleus, Kryo) working. */
const ADD_OPENS = [
  "java.base/java.lang",
  "java.base/java.lang.reflect",
  "java.base/java.net",
  "java.base/java.nio",
  "java.base/java.util",
  "java.base/java.util.concurrent",
  "java.base/sun.nio.ch",
].flatMap((p) => ["--add-opens", `${p}=ALL-UNNAMED`]);

/** Initialises a fresh metastore schema in a new database on `pg`, then starts the metastore. */
export async function startHiveMetastore(opts: HiveMetastoreOptions): Promise<HiveMetastore> {
  requireBinaries(
    "Hive Metastore (Java)",
    ["java"],
    "install a Java 17 runtime (apt-get install openjdk-17-jre-headless)",
  );
  const home = hmsHome();
  const lib = path.join(home, "lib");
  const schemaSql = path.join(
    home,
    "scripts",
    "metastore",
    "upgrade",
    "postgres",
    "hive-schema-4.0.0.postgres.sql",
  );
  const complete = fs.existsSync(lib) && fs.readdirSync(lib).some((f) => f.startsWith(".complete-"));
  if (!complete || !fs.existsSync(schemaSql)) {
    throw new Error(
      `Hive Metastore not installed: ${INSTALL_HINT} (expected the jars in ${lib} and ${schemaSql}).`,
    );
  }
  const { pg, rgw } = opts;
  const bucket = opts.bucket ?? "warehouse";
  const timeoutMs = opts.startTimeoutMs ?? 120_000;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "lakehouse-hms-"));
  const confDir = path.join(dir, "conf");
  fs.mkdirSync(confDir);
  fs.mkdirSync(path.join(dir, "tmp"));
  const logFile = path.join(dir, "metastore.log");
  const database = opts.sharedDatabase ?? `metastore_${randomBytes(4).toString("hex")}`;
  let child: ChildProcess | undefined;
  const stopAll = async (): Promise<void> => {
    if (child?.pid) await stopPid(child.pid, 10_000);
    fs.rmSync(dir, { recursive: true, force: true });
  };

  try {
    const port = await freePort();
    const jdbcUrl = `jdbc:postgresql://127.0.0.1:${pg.port}/${database}`;
    const warehouse = `s3a://${bucket}/warehouse`;
    const props: Record<string, string> = {
      "javax.jdo.option.ConnectionURL": jdbcUrl,
      "javax.jdo.option.ConnectionDriverName": "org.postgresql.Driver",
      "javax.jdo.option.ConnectionUserName": pg.user,
      // Trust auth: PostgreSQL ignores it, but the JDBC pool wants a value.
      "javax.jdo.option.ConnectionPassword": "unused",
      // The schema comes from schematool below, so the metastore must find exactly version 4.0.0.
      "metastore.schema.verification": "true",
      "metastore.thrift.port": String(port),
      "metastore.thrift.bind.host": "127.0.0.1",
      "metastore.warehouse.dir": `s3a://${bucket}/managed`,
      "metastore.warehouse.external.dir": warehouse,
      // Log4j's async logger needs the LMAX disruptor jar, which the release does not ship.
      "metastore.async.log.enabled": "false",
      // The image's default list minus HiveProtoEventsCleanerTask, which lives in hive-exec (not in the standalone
      // metastore). AcidMetricService is the one that publishes num_locks / oldest_lock_age_in_sec.
      "metastore.task.threads.always": [
        "org.apache.hadoop.hive.metastore.events.EventCleanerTask",
        "org.apache.hadoop.hive.metastore.RuntimeStatsCleanerTask",
        "org.apache.hadoop.hive.metastore.metrics.AcidMetricService",
        "org.apache.hadoop.hive.metastore.metrics.AcidMetricLogger",
        "org.apache.hadoop.hive.metastore.ScheduledQueryExecutionsMaintTask",
        "org.apache.hadoop.hive.metastore.ReplicationMetricsMaintTask",
      ].join(","),
      "fs.s3a.endpoint": rgw.endpoint,
      "fs.s3a.path.style.access": "true",
      "fs.s3a.connection.ssl.enabled": rgw.endpoint.startsWith("https:") ? "true" : "false",
      "fs.s3a.aws.credentials.provider": "org.apache.hadoop.fs.s3a.SimpleAWSCredentialsProvider",
      "fs.s3a.access.key": rgw.accessKeyId,
      "fs.s3a.secret.key": rgw.secretAccessKey,
      "fs.s3a.attempts.maximum": "3",
      "fs.s3a.retry.limit": "2",
      // Over plain HTTP the AWS SDK v1 (S3A 3.3.x) signs uploads as aws-chunked SigV4; Ceph 16's RGW rejects
      // the zero-byte directory markers mkdirs writes ("chunk signature mismatch", HTTP 400). SigV2 has no chunks.
      "fs.s3a.signing-algorithm": "S3SignerType",
      // Locations written as s3:// (Trino, pyiceberg) resolve through S3A too.
      "fs.s3.impl": "org.apache.hadoop.fs.s3a.S3AFileSystem",
      // Lock housekeeping exactly as the product renders it (stacks/foundation/metastoreSite.ts).
      ...Object.fromEntries(
        metastoreLockProperties(opts.lockTimeoutSeconds ?? TEST_LOCK_TIMEOUT_SECONDS).map((p) => [
          p.name,
          p.value,
        ]),
      ),
      ...opts.extraConf,
    };
    fs.writeFileSync(path.join(confDir, "metastore-site.xml"), siteXml(props));
    fs.writeFileSync(path.join(confDir, "metastore-log4j2.properties"), LOG4J2);

    if (!opts.sharedDatabase) await pg.createDb(database);
    const s3 = s3Client(rgw);
    try {
      await s3
        .send(new HeadBucketCommand({ Bucket: bucket }))
        .catch(() => s3.send(new CreateBucketCommand({ Bucket: bucket })));
    } finally {
      s3.destroy();
    }

    // What the product's init container copies into /opt/hive/lib, from the cache, sha256-checked.
    const jars = path.join(dir, "jars");
    await stageAndFetch(rgw, METASTORE_JARS, jars);
    const classpath = `${confDir}:${lib}/*:${jars}/*`;
    const jvm = [
      "-Xmx512m",
      "-XX:+UseSerialGC",
      "-XX:TieredStopAtLevel=1",
      `-Djava.io.tmpdir=${path.join(dir, "tmp")}`,
      ...ADD_OPENS,
    ];
    const env = { ...process.env, METASTORE_HOME: home, ...opts.env };
    // Hive's own schematool runs the release's hive-schema-4.0.0.postgres.sql, as `schematool -initSchema` would
    // in the product; it finds the scripts under METASTORE_HOME. A second instance finds the schema there.
    if (!opts.sharedDatabase)
      await run(
        "java",
        [
          ...jvm,
          "-cp",
          classpath,
          "org.apache.hadoop.hive.metastore.tools.schematool.MetastoreSchemaTool",
          "-initSchema",
          "-dbType",
          "postgres",
          "-url",
          jdbcUrl,
          "-driver",
          "org.postgresql.Driver",
          "-userName",
          pg.user,
          "-passWord",
          "unused",
        ],
        { env: { ...process.env, METASTORE_HOME: home }, cwd: dir, timeoutMs: 180_000 },
      ).catch((e: Error) => {
        throw new Error(`Hive schematool -initSchema failed on ${jdbcUrl}: ${e.message.slice(-2000)}`, {
          cause: e,
        });
      });

    const launch = async (): Promise<number> => {
      const started = (child = await spawnDaemon(
        "java",
        [...jvm, ...(opts.jvmArgs ?? []), "-cp", classpath, "org.apache.hadoop.hive.metastore.HiveMetaStore"],
        logFile,
        { env, cwd: dir },
      ));
      await waitFor(
        `the Hive Metastore to answer get_all_databases on 127.0.0.1:${port}`,
        async () => {
          if (started.exitCode !== null || started.signalCode !== null) throw new StopWaiting("it exited");
          const r = await thriftCall("127.0.0.1", port, "get_all_databases", [], 20_000);
          return Array.isArray(r.get(0));
        },
        timeoutMs,
        250,
        () => `Log:\n${tail(logFile, 30)}`,
      );
      if (started.exitCode !== null || started.signalCode !== null) {
        throw new Error(`The Hive Metastore exited during start-up:\n${tail(logFile, 30)}`);
      }
      return started.pid ?? -1;
    };
    let stopped = false;
    const hms: HiveMetastore = {
      uri: `thrift://127.0.0.1:${port}`,
      host: "127.0.0.1",
      port,
      warehouse,
      bucket,
      database,
      pid: await launch(),
      logFile,
      stop: async () => {
        if (stopped) return;
        stopped = true;
        await stopAll();
        if (isAlive(hms.pid)) throw new Error(`Hive Metastore harness: pid ${hms.pid} survived SIGKILL.`);
      },
      restart: async (whileDown) => {
        if (stopped) throw new Error("Hive Metastore harness: restart() after stop().");
        await stopPid(hms.pid, 10_000);
        if (isAlive(hms.pid)) throw new Error(`Hive Metastore harness: pid ${hms.pid} survived SIGKILL.`);
        await whileDown?.();
        hms.pid = await launch();
      },
    };
    return hms;
  } catch (e) {
    await stopAll();
    throw e;
  }
}
