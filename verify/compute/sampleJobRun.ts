/**
 * One runner for the compute phase's sample job on a small generated input, used twice: by `verify.sample-job`
 * (compute) and as the ingest driver of `verify.end-to-end` (analytics).
 *
 * A run: a ConfigMap with the helper script (verify/compute/scripts/sample_job_io.py) and the generated CSV; a
 * `stage` Job copies the CSV to the run's own landing prefix `<compute.sampleJob.landingPrefix>_verify/<run>/`;
 * the SparkApplication of `sampleJobManifest` (the one template, with that prefix, scratch tables, a scratch name
 * and labels) runs on it; an `inspect` Job reads the table back through the Hive catalog (pyiceberg); a
 * `cleanup` Job purges the scratch tables and deletes the landing objects; then the Jobs and the ConfigMap are
 * deleted. Why Jobs: the S3 endpoint and the metastore are reachable only inside the cluster (see verify/foundation/manifests.ts).
 * Why `_verify/`: Spark skips directories whose name starts with `_`, so the production job, which reads the
 * whole landing prefix, never ingests a verification file.
 *
 * The manifests are pure functions; the runner's methods never throw (every problem is an observation).
 */
import * as fs from "fs";
import * as path from "path";
import type { KubeConfig, V1ConfigMap, V1EnvVar, V1Job } from "@kubernetes/client-node";
import type { LakehouseConfig } from "../../preflight/config/schema";
import {
  sampleJobArgs,
  sampleJobManifest,
  type SparkApplicationManifest,
} from "../../stacks/compute/sparkApplication";
import { generateEvents } from "./events";
import type { IngestDriver } from "../analytics/observe";
import { JobRunner } from "../kube/jobs";
import {
  bucketEnv,
  objectName,
  pythonCommand,
  RUN_LABEL,
  verificationJob,
  wheelsFromCache,
} from "../kube/helperJob";
import { describeRun, SAMPLE_JOB_CHECK } from "./checks/sampleJob";
import { SparkApplicationRunner } from "../kube/sparkApplication";
import { foundationTargets, VERIFY_IMAGES } from "../targets";
import type {
  JobObservation,
  OperatorObservation,
  SampleJobObservation,
  SparkApplicationObservation,
} from "../types";
import { SPARK_CATALOG } from "../../stacks/compute/names";
import { platformLabels } from "../../stacks/platform/labels";

const END_TO_END_CHECK = "verify.end-to-end";
export const SAMPLE_IO_SCRIPT = path.resolve(__dirname, "scripts", "sample_job_io.py");
const SAMPLE_IO_FILE = "sample_job_io.py";
/** Records in the landing file of `verify.sample-job`. */
export const SAMPLE_JOB_ROWS = 200;

export type IoMode = "stage" | "inspect" | "cleanup";

export interface SampleRunSpec {
  readonly runId: string;
  /**
   * Short word in the objects' names: `sample` (verify.sample-job), `e2e` (verify.end-to-end) or `dag` (the run
   * verify.airflow-dag triggers).
   */
  readonly purpose: "sample" | "e2e" | "dag";
  /** The landing prefix's run folder (`<landingPrefix>_verify/<landingRun>/`). @default runId */
  readonly landingRun?: string;
  /** The check the objects belong to (label `lakehouse.dev/check`). */
  readonly checkId: string;
  /** Name of the landing file. @default events.csv */
  readonly fileName?: string;
}

/** The run's landing prefix (a key prefix in the warehouse bucket, ending in `/`). Pure. */
export function landingPrefix(config: LakehouseConfig, runId: string): string {
  return `${config.compute.sampleJob.landingPrefix}_verify/${runId}/`;
}

/** The scratch tables of `verify.sample-job` in the sample job's database: `db.table` (no catalog). Pure. */
export function sampleJobTables(
  config: LakehouseConfig,
  runId: string,
): { table: string; aggregateTable: string } {
  const safe = runId.replace(/[^a-z0-9]/gi, "").toLowerCase();
  const db = config.compute.sampleJob.database;
  return { table: `${db}.verify_${safe}_events`, aggregateTable: `${db}.verify_${safe}_daily` };
}

/** Labels of every object of a run. */
function runLabels(spec: SampleRunSpec): Record<string, string> {
  return {
    ...platformLabels("compute", "verification"),
    [RUN_LABEL]: spec.runId,
    "lakehouse.dev/check": spec.checkId,
  };
}

/**
 * The SparkApplication of a run: `sampleJobManifest` of the stack's sample job with the run's landing prefix,
 * scratch tables (`db.table`, the Spark catalog is added here), a scratch name and the run's labels. Pure.
 */
export function runApplication(
  config: LakehouseConfig,
  spec: SampleRunSpec,
  tables: { table: string; aggregateTable: string },
): SparkApplicationManifest {
  const bucket = config.foundation.warehouseBucket;
  return sampleJobManifest({
    ...sampleJobArgs(config, {
      name: objectName(spec.purpose, spec.runId),
      source: `s3a://${bucket}/${landingPrefix(config, spec.runId)}`,
      table: `${SPARK_CATALOG}.${tables.table}`,
      aggregateTable: `${SPARK_CATALOG}.${tables.aggregateTable}`,
      labels: { ...runLabels(spec), "app.kubernetes.io/name": objectName(spec.purpose, spec.runId) },
    }),
    // A finished scratch application the runner could not delete goes within the hour.
    timeToLiveSeconds: 3600,
  });
}

/** The ConfigMap (script + landing file) and the Jobs of the helper script. Pure. */
export function sampleIoManifests(
  config: LakehouseConfig,
  spec: SampleRunSpec,
  files: { script: string; body: string },
  opts: { image: string; timeoutSeconds: number },
): { configMap: V1ConfigMap; job: (mode: IoMode, env: Record<string, string>) => V1Job } {
  const t = foundationTargets(config, { pythonImage: opts.image });
  const labels = runLabels(spec);
  const fileName = spec.fileName ?? "events.csv";
  const cmName = objectName(`${spec.purpose}-files`, spec.runId);
  const base: V1EnvVar[] = [
    { name: "HOME", value: "/tmp" },
    ...bucketEnv(t.warehouse, t.region),
    { name: "METASTORE_URI", value: t.metastoreUri },
    { name: "LOCAL_FILE", value: `/scripts/${fileName}` },
  ];
  return {
    configMap: {
      apiVersion: "v1",
      kind: "ConfigMap",
      metadata: { name: cmName, namespace: t.namespace, labels },
      data: { [SAMPLE_IO_FILE]: files.script, [fileName]: files.body },
    },
    job: (mode, env) =>
      verificationJob({
        name: objectName(`${spec.purpose}-${mode}`, spec.runId),
        namespace: t.namespace,
        labels,
        image: t.images.python,
        command: pythonCommand(`${SAMPLE_IO_FILE} ${mode}`),
        env: [...base, ...Object.entries(env).map(([name, value]) => ({ name, value }))],
        timeoutSeconds: opts.timeoutSeconds,
        priorityClassName: t.priorityClass,
        scripts: { configMap: cmName, defaultMode: 0o555 },
        ...wheelsFromCache(t.images.tools, t.cache, true),
      }),
  };
}

export interface SampleRunOptions {
  /** How long each Job and the SparkApplication may take. */
  jobTimeoutMs: number;
  requestTimeoutMs: number;
  /** Poll interval of the Jobs and the SparkApplication. @default 2000 / 5000 */
  pollMs?: number;
  keep?: boolean;
  /** The helper Jobs' image. @default VERIFY_IMAGES.python */
  image?: string;
}

export const skippedJob = (reason: string): JobObservation => ({ state: "skipped", reason });
export const jobOk = (j: JobObservation): boolean => j.state === "completed" && j.result?.ok === true;

/** One run of the sample job: stage, submit, inspect, clean up. Each step never throws. */
export class SampleJobRun {
  private readonly jobs: JobRunner;
  private readonly spark: SparkApplicationRunner;
  private readonly manifests: ReturnType<typeof sampleIoManifests>;
  private readonly created: string[] = [];
  private configMapCreated = false;
  readonly prefix: string;
  readonly source: string;

  constructor(
    kc: KubeConfig,
    private readonly config: LakehouseConfig,
    readonly spec: SampleRunSpec,
    body: string,
    opts: SampleRunOptions,
  ) {
    const ns = config.platform.namespace;
    this.jobs = new JobRunner(kc, ns, {
      timeoutMs: opts.jobTimeoutMs,
      pollMs: opts.pollMs,
      requestTimeoutMs: opts.requestTimeoutMs,
      keep: opts.keep,
    });
    this.spark = new SparkApplicationRunner(kc, {
      timeoutMs: opts.jobTimeoutMs,
      pollMs: opts.pollMs,
      requestTimeoutMs: opts.requestTimeoutMs,
      keep: opts.keep,
    });
    this.manifests = sampleIoManifests(
      config,
      spec,
      { script: fs.readFileSync(SAMPLE_IO_SCRIPT, "utf8"), body },
      { image: opts.image ?? VERIFY_IMAGES.python, timeoutSeconds: Math.ceil(opts.jobTimeoutMs / 1000) + 60 },
    );
    this.prefix = landingPrefix(config, spec.landingRun ?? spec.runId);
    this.source = `s3a://${config.foundation.warehouseBucket}/${this.prefix}`;
  }

  private async io(mode: IoMode, env: Record<string, string>): Promise<JobObservation> {
    if (!this.configMapCreated) {
      const err = await this.jobs.createConfigMap(this.manifests.configMap);
      if (err) return { state: "error", stage: "create", message: err };
      this.configMapCreated = true;
    }
    const job = this.manifests.job(mode, env);
    this.created.push(job.metadata?.name ?? "");
    return this.jobs.run(job);
  }

  /** Copies the landing file to the run's prefix. */
  stage(): Promise<JobObservation> {
    return this.io("stage", { LANDING_KEY: `${this.prefix}${this.spec.fileName ?? "events.csv"}` });
  }

  /** Submits the sample SparkApplication on the run's prefix, waits for it, deletes it. */
  async submit(tables: { table: string; aggregateTable: string }): Promise<{
    run: SparkApplicationObservation;
    leftovers: string[];
  }> {
    const app = runApplication(this.config, this.spec, tables);
    const run = await this.spark.run(app);
    // An application that could not even be created needs no deleting.
    const leftovers = run.state === "error" && run.stage === "create" ? [] : await this.spark.delete(app);
    return { run, leftovers };
  }

  /** Reads the tables back through the catalog. */
  inspect(tables: { table: string; aggregateTable: string }): Promise<JobObservation> {
    return this.io("inspect", { TABLE: tables.table, AGGREGATE_TABLE: tables.aggregateTable });
  }

  /** Purges `tables` (may be none) and deletes the run's landing objects. */
  cleanup(tables: readonly string[]): Promise<JobObservation> {
    return this.io("cleanup", { TABLES: tables.join(","), LANDING_PREFIX: this.prefix });
  }

  /** Deletes the run's Jobs and ConfigMap; what could not be deleted. */
  async finish(): Promise<string[]> {
    if (!this.configMapCreated) return [];
    return this.jobs.cleanup(this.created, this.manifests.configMap.metadata?.name ?? "");
  }
}

/**
 * Whether the sample job can be tried at all, from the operator's observation: the CRD must serve v1beta2 and a
 * controller must be available (else an application would wait for nothing until the timeout). Pure.
 */
export function sampleJobPrecondition(
  config: LakehouseConfig,
  op: OperatorObservation,
): Extract<SampleJobObservation, { state: "skipped" }> | undefined {
  const ns = config.platform.namespace;
  if (op.state === "error") {
    return {
      state: "skipped",
      reason: `the Spark Operator's objects could not be read (${op.message})`,
      fix: `Check that the Kubernetes API is reachable and that your identity may read customresourcedefinitions and deployments in ${ns} (docs/verification.md, RBAC).`,
    };
  }
  if (!op.crd.found || !op.crd.served.includes("v1beta2")) {
    return {
      state: "skipped",
      reason: op.crd.found
        ? `the SparkApplication CRD serves ${op.crd.served.join(", ") || "no version"}, not v1beta2`
        : "the SparkApplication CRD (sparkapplications.sparkoperator.k8s.io) is not installed",
      fix: "Deploy the compute phase (`pulumi up` with the compute gate open) so the Spark Operator and its CRD exist, then verify again (see verify.spark-operator-ready).",
    };
  }
  if (!op.controller.found || op.controller.available < 1) {
    return {
      state: "skipped",
      reason: "the Spark Operator's controller has no available replica, so no SparkApplication would run",
      fix: "Make verify.spark-operator-ready pass first (docs/runbooks/compute.md, SparkOperatorDown), then verify again.",
    };
  }
  return undefined;
}

/** `verify.sample-job`: the whole run on a generated file. Never throws. */
export async function observeSampleJob(
  kc: KubeConfig,
  config: LakehouseConfig,
  operator: OperatorObservation,
  opts: SampleRunOptions & { runId: string; now: Date; rows?: number },
): Promise<SampleJobObservation> {
  const skip = sampleJobPrecondition(config, operator);
  if (skip) return skip;
  const spec: SampleRunSpec = { runId: opts.runId, purpose: "sample", checkId: SAMPLE_JOB_CHECK };
  const gen = generateEvents(opts.runId, opts.rows ?? SAMPLE_JOB_ROWS, opts.now);
  const run = new SampleJobRun(kc, config, spec, gen.csv, opts);
  const tables = sampleJobTables(config, opts.runId);
  const app = runApplication(config, spec, tables);
  const stage = await run.stage();
  let submitted: { run: SparkApplicationObservation; leftovers: string[] } = {
    run: { state: "skipped", reason: "the landing file was not staged" },
    leftovers: [],
  };
  if (jobOk(stage)) submitted = await run.submit(tables);
  const inspect =
    submitted.run.state === "completed"
      ? await run.inspect(tables)
      : skippedJob("the SparkApplication did not complete");
  // Tables too: a failed run may still have created them.
  const cleanup =
    stage.state === "error" && stage.stage === "create"
      ? skippedJob("nothing was created")
      : await run.cleanup(submitted.run.state === "skipped" ? [] : [tables.table, tables.aggregateTable]);
  const leftovers = [...submitted.leftovers, ...(await run.finish())];
  return {
    state: "ran",
    application: app.metadata.name,
    namespace: app.metadata.namespace,
    source: run.source,
    table: `${SPARK_CATALOG}.${tables.table}`,
    aggregateTable: `${SPARK_CATALOG}.${tables.aggregateTable}`,
    rowsGenerated: gen.rows,
    stage,
    run: submitted.run,
    inspect,
    cleanup,
    leftovers,
  };
}

/** Why a helper Job gave nothing usable. Pure. */
function jobFailure(what: string, j: JobObservation): string {
  switch (j.state) {
    case "skipped":
      return `${what}: ${j.reason}`;
    case "error":
      return `${what}: ${j.message}`;
    case "timeout":
      return `${what}: Job ${j.job} did not finish within ${Math.round(j.waitedMs / 1000)} s (${j.detail})`;
    case "completed":
      return `${what}: Job ${j.job} ${j.result ? `reported ${String(j.result.error ?? "a failure")}` : `printed no result (exit ${j.exitCode ?? "?"}): ${j.logTail.split("\n").pop() ?? ""}`}`;
  }
}

/**
 * The production ingest driver of `verify.end-to-end`: the same run as `verify.sample-job` (stage Job, the
 * sample SparkApplication, clean-up Job), with the tables the analytics check names in its schema. `ingest`
 * rejects with one message naming the SparkApplication, its driver pod and its log tail when the job did not
 * complete with its JSON line; `cleanup` removes the landing file and the run's Jobs and ConfigMap.
 */
export function sparkApplicationIngest(
  kc: KubeConfig,
  config: LakehouseConfig,
  opts: SampleRunOptions,
): IngestDriver & { leftovers: string[] } {
  const runs = new Map<string, SampleJobRun>();
  const leftovers: string[] = [];
  return {
    describe: `the compute phase's sample SparkApplication (sampleJobManifest) in namespace ${config.platform.namespace}`,
    leftovers,
    async ingest(args) {
      const spec: SampleRunSpec = {
        runId: args.runId,
        purpose: "e2e",
        checkId: END_TO_END_CHECK,
        fileName: args.fileName,
      };
      const run = new SampleJobRun(kc, config, spec, args.body, opts);
      runs.set(args.runId, run);
      const stage = await run.stage();
      if (!jobOk(stage)) throw new Error(jobFailure("staging the landing file", stage));
      const { run: r, leftovers: left } = await run.submit({
        table: `${args.schema}.${args.table}`,
        aggregateTable: `${args.schema}.${args.aggregateTable}`,
      });
      leftovers.push(...left);
      if (r.state !== "completed" || !r.result) throw new Error(describeRun(r));
      return { source: run.source, job: r.result };
    },
    async cleanup(runId) {
      const run = runs.get(runId);
      if (!run) return;
      runs.delete(runId);
      const c = await run.cleanup([]);
      if (!jobOk(c)) leftovers.push(`landing objects under ${run.source} (${jobFailure("clean-up", c)})`);
      leftovers.push(...(await run.finish()));
    },
  };
}
