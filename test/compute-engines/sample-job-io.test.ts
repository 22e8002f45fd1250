/**
 * The storage side of `verify.sample-job` / the end-to-end ingest driver FOR REAL: verify/compute/scripts/
 * sample_job_io.py (pyiceberg 0.11 + pyarrow 21 from the Spark venv) against the shared real radosgw + Hive
 * Metastore 4.0.0 + PostgreSQL, with the env the runner's Job manifests set (Secret references replaced by the
 * harness's keys, in-cluster addresses by the local ones). Between `stage` and `inspect` the real PySpark
 * lakehouse_ingest.py runs with exactly the arguments of the run's SparkApplication (runApplication, i.e.
 * sampleJobManifest), configured only by renderSparkConf. Then the pure check judges what was observed, and
 * `cleanup` leaves neither the tables nor the landing objects. One spark-submit (minutes on 2 cores).
 */
import { strict as assert } from "node:assert";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { GetObjectCommand, ListObjectsV2Command, type S3Client } from "@aws-sdk/client-s3";
import type { V1Job } from "@kubernetes/client-node";
import { configSchema } from "../../preflight/config/schema";
import { generateEvents } from "../../verify/compute/events";
import { sampleJob } from "../../verify/compute/checks/sampleJob";
import {
  landingPrefix,
  runApplication,
  SAMPLE_IO_SCRIPT,
  sampleIoManifests,
  sampleJobTables,
  type IoMode,
} from "../../verify/compute/sampleJobRun";
import { jobLineFromLog } from "../../verify/kube/sparkApplication";
import type { JobObservation } from "../../verify/types";
import { s3Client } from "../../harness/radosgw";
import { runScript, type ScriptRun } from "../foundation-scripts/helpers";
import { sharedLakehouse, type Lakehouse } from "../../harness/lakehouse";
import { localSparkConf, sparkInstall, submitJob, type SparkInstall } from "./spark";
import { inClusterS3Endpoint } from "../../stacks/platform/s3";

const config = configSchema.parse({});
const RUN = `t${Date.now().toString(36)}`;
const spec = { runId: RUN, purpose: "sample", checkId: "verify.sample-job" } as const;

describe("compute engines: sample_job_io.py + lakehouse_ingest.py on the shared radosgw + HMS (real)", function () {
  this.timeout(1_800_000);
  let lh: Lakehouse;
  let spark: SparkInstall;
  let s3: S3Client;
  let work: string;
  const gen = generateEvents(RUN, 200, new Date("2026-12-01T12:00:00Z"));
  const tables = sampleJobTables(config, RUN);
  const app = runApplication(config, spec, tables);
  const prefix = landingPrefix(config, RUN);
  let manifests: ReturnType<typeof sampleIoManifests>;
  const seen: Partial<Record<IoMode, ScriptRun>> = {};

  before(async () => {
    spark = sparkInstall();
    lh = await sharedLakehouse();
    assert.equal(
      lh.bucket,
      config.foundation.warehouseBucket,
      "the harness's bucket is the default warehouse",
    );
    s3 = s3Client(lh.rgw);
    work = fs.mkdtempSync(path.join(os.tmpdir(), "lakehouse-samplejob-"));
    manifests = sampleIoManifests(
      config,
      spec,
      { script: fs.readFileSync(SAMPLE_IO_SCRIPT, "utf8"), body: gen.csv },
      { image: "python:3.11.10-slim-bookworm", timeoutSeconds: 600 },
    );
    // The ConfigMap's files, where the Job mounts them (/scripts), here in a folder of our own.
    for (const [name, text] of Object.entries(manifests.configMap.data ?? {})) {
      fs.writeFileSync(path.join(work, name), text);
    }
  });

  after(async () => {
    s3?.destroy();
    if (work) fs.rmSync(work, { recursive: true, force: true });
  });

  /** The Job's container env with the cluster's addresses and Secret references made local. */
  const localEnv = (job: V1Job): Record<string, string> => {
    const env: Record<string, string> = {};
    for (const e of job.spec!.template.spec!.containers[0].env ?? []) {
      const ref = e.valueFrom?.secretKeyRef;
      if (ref) {
        assert.equal(ref.name, "lakehouse-warehouse", `${e.name} comes from the warehouse bucket's Secret`);
        env[e.name] = e.name === "AWS_ACCESS_KEY_ID" ? lh.rgw.accessKeyId : lh.rgw.secretAccessKey;
        continue;
      }
      env[e.name] = e.value ?? "";
    }
    assert.equal(env.S3_ENDPOINT, inClusterS3Endpoint(config));
    assert.equal(env.METASTORE_URI, "thrift://hive-metastore.lakehouse.svc:9083");
    return {
      ...env,
      S3_ENDPOINT: lh.rgw.endpoint,
      METASTORE_URI: lh.hms.uri,
      LOCAL_FILE: env.LOCAL_FILE.replace(/^\/scripts\//, `${work}/`),
      HOME: work,
      TMPDIR: work,
    };
  };

  /** Runs one mode as its Job would: `python /scripts/sample_job_io.py MODE` with the Job's env. */
  const io = async (mode: IoMode, extra: Record<string, string>): Promise<Record<string, unknown>> => {
    const job = manifests.job(mode, extra);
    const cmd = job.spec!.template.spec!.containers[0].command!.join(" ");
    assert.match(cmd, new RegExp(`python /scripts/sample_job_io\\.py ${mode}$`));
    const r = await runScript(
      spark.python,
      [path.join(work, "sample_job_io.py"), mode],
      localEnv(job),
      300_000,
    );
    seen[mode] = r;
    assert.ok(r.json, `${mode} printed no JSON line (exit ${r.code}):\n${r.stderr.slice(-2000)}`);
    return r.json;
  };
  const asJob = (mode: IoMode): JobObservation => {
    const r = seen[mode]!;
    return {
      state: "completed",
      job: `lakehouse-verify-sample-${mode}-${RUN}`,
      succeeded: r.code === 0,
      exitCode: r.code,
      result: r.json ?? null,
      logTail: r.stderr.slice(-500),
      durationMs: 0,
    };
  };
  const landingKeys = async (): Promise<string[]> =>
    ((await s3.send(new ListObjectsV2Command({ Bucket: lh.bucket, Prefix: prefix }))).Contents ?? []).map(
      (o) => o.Key ?? "",
    );

  it("stage -> the real PySpark job with the SparkApplication's arguments -> inspect -> check passes -> cleanup", async () => {
    // 1. stage: the landing file lands in the run's own prefix, byte for byte.
    const staged = await io("stage", { LANDING_KEY: `${prefix}events.csv` });
    assert.equal(staged.ok, true, JSON.stringify(staged));
    assert.equal(staged.records, 200);
    const body = await (
      await s3.send(new GetObjectCommand({ Bucket: lh.bucket, Key: `${prefix}events.csv` }))
    ).Body!.transformToString();
    assert.equal(body, gen.csv);

    // 2. the sample job, exactly as the SparkApplication runs it (arguments from sampleJobManifest).
    const conf = localSparkConf(
      { metastoreUri: lh.hms.uri, bucket: lh.bucket, s3Endpoint: lh.rgw.endpoint, s3Region: lh.rgw.region },
      spark,
    );
    const args = app.spec.arguments as string[];
    assert.deepEqual(args.slice(0, 2), ["--source", `s3a://${lh.bucket}/${prefix}`]);
    const r = await submitJob({ install: spark, conf, credentials: lh.rgw, workDir: work, args });
    process.stderr.write(`      [sample job] spark-submit ${(r.ms / 1000).toFixed(0)} s\n`);
    assert.equal(r.code, 0, `the job failed (exit ${r.code}): ${r.lastError}\n${r.stderr.slice(-3000)}`);
    const line = jobLineFromLog(r.stdout);
    assert.ok(line, `no JSON line in the job's stdout: ${r.stdout.slice(-500)}`);
    assert.equal(line.rows_read, 200);
    assert.equal(line.table_rows, 200);

    // 3. inspect through the Hive catalog: what the job wrote, by an independent reader.
    const ins = await io("inspect", { TABLE: tables.table, AGGREGATE_TABLE: tables.aggregateTable });
    assert.equal(ins.ok, true, JSON.stringify(ins));
    const t = ins.table as Record<string, unknown>;
    assert.equal(t.exists, true);
    assert.equal(t.rows, 200);
    assert.equal(t.totalRecords, 200);
    assert.equal(t.snapshotId, String(line.snapshot_id), "the job's snapshot is the catalog's current one");
    const a = ins.aggregate as Record<string, unknown>;
    assert.equal(a.rows, gen.expected.length);
    assert.equal(line.aggregate_rows, gen.expected.length);

    // 4. cleanup: tables purged, landing objects deleted.
    const cl = await io("cleanup", {
      TABLES: `${tables.table},${tables.aggregateTable}`,
      LANDING_PREFIX: prefix,
    });
    assert.equal(cl.ok, true, JSON.stringify(cl));
    assert.deepEqual(cl.tables, { [tables.table]: "purged", [tables.aggregateTable]: "purged" });
    assert.equal(cl.deletedObjects, 1);
    assert.deepEqual(await landingKeys(), []);
    // Nothing of the tables either: data, metadata and the empty folder markers of the purge.
    const folder = String(t.location).replace(/^s3a?:\/\/[^/]+\//, "");
    assert.match(folder, /^warehouse\/lakehouse\.db\/verify_t\w+_events$/);
    const tableKeys = (await s3.send(new ListObjectsV2Command({ Bucket: lh.bucket, Prefix: `${folder}/` })))
      .Contents;
    assert.deepEqual(
      (tableKeys ?? []).map((o) => o.Key),
      [],
    );

    // 5. the pure check on what was observed (the SparkApplication's part as the runner records it).
    const out = sampleJob.evaluate(
      {
        operator: { state: "error", message: "not under test" },
        airflowDag: { state: "unreachable", target: "", message: "not under test" },
        airflowRun: { state: "skipped", reason: "not under test", fix: "" },
        sampleJob: {
          state: "ran",
          application: app.metadata.name,
          namespace: app.metadata.namespace,
          source: args[1],
          table: args[5],
          aggregateTable: args[7],
          rowsGenerated: gen.rows,
          stage: asJob("stage"),
          run: {
            state: "completed",
            name: app.metadata.name,
            namespace: app.metadata.namespace,
            driverPod: `${app.metadata.name}-driver`,
            result: line,
            logTail: "",
            durationMs: r.ms,
          },
          inspect: asJob("inspect"),
          cleanup: asJob("cleanup"),
          leftovers: [],
        },
      },
      { config, now: new Date() },
    );
    assert.equal(out.status, "pass", out.observed);

    // 6. after the clean-up the catalog no longer has the tables; a second clean-up finds nothing to do.
    const again = await io("inspect", { TABLE: tables.table, AGGREGATE_TABLE: tables.aggregateTable });
    assert.equal((again.table as Record<string, unknown>).exists, false);
    const cl2 = await io("cleanup", { TABLES: tables.table, LANDING_PREFIX: prefix });
    assert.equal(cl2.ok, true);
    assert.deepEqual(cl2.tables, { [tables.table]: "absent" });
    assert.equal(cl2.deletedObjects, 0);
  });

  it("refuses a clean-up prefix that is not a run's own, and names a missing variable", async () => {
    const job = manifests.job("cleanup", { TABLES: "", LANDING_PREFIX: "landing/events/" });
    const r = await runScript(spark.python, [path.join(work, "sample_job_io.py"), "cleanup"], localEnv(job));
    assert.equal(r.code, 2);
    assert.match(String(r.json?.error), /LANDING_PREFIX is 'landing\/events\/'; expected a run's own prefix/);
    const s = manifests.job("stage", {});
    const r2 = await runScript(spark.python, [path.join(work, "sample_job_io.py"), "stage"], localEnv(s));
    assert.equal(r2.code, 2);
    assert.match(String(r2.json?.error), /LANDING_KEY not set/);
  });
});
