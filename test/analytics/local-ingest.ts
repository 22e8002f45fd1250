/**
 * A test-side IngestDriver (verify/analytics/observe.ts) that does locally, on the real engines, what the
 * production driver does in the cluster: the landing file goes into the real radosgw (the warehouse bucket of
 * the shared test lakehouse, `<compute.sampleJob.landingPrefix><runId>/<fileName>`), and the REAL sample job
 * (stacks/compute/jobs/lakehouse_ingest.py, the sample job contract) runs on that prefix through spark-submit in local mode,
 * configured only by the Spark conf the program renders (renderSparkConf with sampleJobArgs' inputs: catalog,
 * warehouse bucket, region, sizing), its endpoints swapped for the local metastore and radosgw.
 *
 * The stand-in is the SparkApplication: the Spark Operator, its driver pod and executors are replaced by a
 * local `spark-submit --master local[2]` of the same job with the same rendered conf (test/compute-engines/spark.ts).
 */
import { DeleteObjectCommand, ListObjectsV2Command, PutObjectCommand } from "@aws-sdk/client-s3";
import type { LakehouseConfig } from "../../preflight/config/schema";
import { sampleJobArgs } from "../../stacks/compute/sparkApplication";
import { renderSparkConf } from "../../stacks/compute/sparkConf";
import { lastJobResult } from "../../verify/kube/jobResult";
import type { IngestDriver } from "../../verify/analytics/observe";
import { sparkInstall, submitJob, type JobRun, type SparkInstall } from "../compute-engines/spark";
import { s3Client } from "../../harness/radosgw";
import type { Lakehouse } from "../../harness/lakehouse";
import { SPARK_CATALOG } from "../../stacks/compute/names";

export interface LocalIngestOptions {
  lh: Lakehouse;
  /** The stack config the verification runs with (sample job prefix, format, sizing, warehouse bucket). */
  config: LakehouseConfig;
  /** Scratch folder for spark-submit (properties file, spark.local.dir). */
  workDir: string;
  install?: SparkInstall;
  /** @default 900000 (a cold JVM on a loaded 2-core machine) */
  timeoutMs?: number;
}

/** One spark-submit of the sample job, for the test's timing line and assertions. */
export interface LocalRun {
  args: string[];
  conf: Record<string, string>;
  run: JobRun;
}

export class LocalSparkIngest implements IngestDriver {
  readonly describe =
    "a local spark-submit of stacks/compute/jobs/lakehouse_ingest.py with the program's rendered Spark conf (stand-in for the sample SparkApplication)";
  readonly runs: LocalRun[] = [];
  private readonly install: SparkInstall;

  constructor(private readonly opts: LocalIngestOptions) {
    this.install = opts.install ?? sparkInstall();
    if (opts.config.foundation.warehouseBucket !== opts.lh.bucket) {
      throw new Error(
        `LocalSparkIngest: config foundation.warehouseBucket is "${opts.config.foundation.warehouseBucket}" but the test lakehouse's bucket is "${opts.lh.bucket}".`,
      );
    }
  }

  private key(runId: string, fileName: string): string {
    return `${this.opts.config.compute.sampleJob.landingPrefix}${runId}/${fileName}`;
  }

  async ingest(args: {
    runId: string;
    fileName: string;
    body: string;
    schema: string;
    table: string;
    aggregateTable: string;
  }): Promise<{ source: string; job: Record<string, unknown> }> {
    const { lh, config } = this.opts;
    const prefix = this.key(args.runId, "");
    const job = sampleJobArgs(config, {
      source: `s3a://${lh.bucket}/${prefix}`,
      table: `${SPARK_CATALOG}.${args.schema}.${args.table}`,
      aggregateTable: `${SPARK_CATALOG}.${args.schema}.${args.aggregateTable}`,
    });
    const s3 = s3Client(lh.rgw);
    try {
      await s3.send(
        new PutObjectCommand({
          Bucket: lh.bucket,
          Key: this.key(args.runId, args.fileName),
          Body: Buffer.from(args.body),
          ContentLength: Buffer.byteLength(args.body),
        }),
      );
    } finally {
      s3.destroy();
    }
    // The SparkApplication's conf, with the in-cluster endpoints replaced by the local engines'.
    const conf = renderSparkConf({
      ...job.spark,
      metastoreUri: lh.hms.uri,
      s3Endpoint: lh.rgw.endpoint,
      s3Region: lh.rgw.region,
      jarsDir: this.install.jarsDir,
    });
    const argv = [
      "--source",
      job.source,
      "--format",
      job.format,
      "--table",
      job.table,
      "--aggregate-table",
      job.aggregateTable,
    ];
    const run = await submitJob({
      install: this.install,
      conf,
      credentials: lh.rgw,
      workDir: this.opts.workDir,
      args: argv,
      timeoutMs: this.opts.timeoutMs ?? 900_000,
    });
    this.runs.push({ args: argv, conf, run });
    if (run.code !== 0) {
      throw new Error(`lakehouse_ingest.py exited ${run.code}: ${run.lastError}`);
    }
    const result = lastJobResult(run.stdout);
    if (!result) {
      throw new Error(
        `lakehouse_ingest.py exited 0 but its last stdout line is not the JSON result: ${run.stdout.trim().split("\n").pop() ?? ""}`,
      );
    }
    return { source: job.source, job: result };
  }

  async cleanup(runId: string): Promise<void> {
    const { lh } = this.opts;
    const s3 = s3Client(lh.rgw);
    try {
      const listed = await s3.send(
        new ListObjectsV2Command({ Bucket: lh.bucket, Prefix: this.key(runId, "") }),
      );
      for (const o of listed.Contents ?? []) {
        if (o.Key) await s3.send(new DeleteObjectCommand({ Bucket: lh.bucket, Key: o.Key }));
      }
    } finally {
      s3.destroy();
    }
  }
}
