/**
 * `verify.sample-job` as a table of cases (pure evaluate): pass, every fail, unknown (never a pass when the job
 * could not be run or read), warn on leftovers; the precondition from the operator's observation; the manifests
 * of a run (the SparkApplication is sampleJobManifest's with the run's scratch prefix, tables, name and labels).
 */
import * as assert from "node:assert/strict";
import { configSchema } from "../../preflight/config/schema";
import { sampleJobArgs, sampleJobManifest } from "../../stacks/compute/sparkApplication";
import { sampleJob } from "../../verify/compute/checks/sampleJob";
import {
  landingPrefix,
  runApplication,
  sampleIoManifests,
  sampleJobPrecondition,
  sampleJobTables,
} from "../../verify/compute/sampleJobRun";
import { jobLineFromLog } from "../../verify/kube/sparkApplication";
import type {
  ComputeObservations,
  JobObservation,
  OperatorObservation,
  SampleJobObservation,
  SparkApplicationObservation,
} from "../../verify/types";

const config = configSchema.parse({});
const ctx = { config, now: new Date("2026-12-01T00:00:00Z") };
const APP = "lakehouse-verify-sample-r1";
const DRIVER = `${APP}-driver`;
const SNAP = "5432109876543210987";

const done = (result: Record<string, unknown> | null, job = "j"): JobObservation => ({
  state: "completed",
  job,
  succeeded: result?.ok === true,
  exitCode: result?.ok === true ? 0 : 3,
  result,
  logTail: result ? JSON.stringify(result) : "Traceback ...\nModuleNotFoundError: No module named 'pyarrow'",
  durationMs: 1000,
});
const completed: SparkApplicationObservation = {
  state: "completed",
  name: APP,
  namespace: "lakehouse",
  driverPod: DRIVER,
  result: {
    rows_read: 200,
    rows_merged: 200,
    table_rows: 200,
    snapshot_id: SNAP,
    aggregate_rows: 12,
  },
  logTail: "...",
  durationMs: 95_000,
};
const table = {
  name: "lakehouse.verify_r1_events",
  exists: true,
  rows: 200,
  snapshotId: SNAP,
  totalRecords: 200,
};
const ran = (o: Partial<Extract<SampleJobObservation, { state: "ran" }>> = {}): SampleJobObservation => ({
  state: "ran",
  application: APP,
  namespace: "lakehouse",
  source: "s3a://lakehouse-warehouse/landing/events/_verify/r1/",
  table: "lakehouse.lakehouse.verify_r1_events",
  aggregateTable: "lakehouse.lakehouse.verify_r1_daily",
  rowsGenerated: 200,
  stage: done({ event: "sample-job-stage", ok: true, bytes: 9000 }),
  run: completed,
  inspect: done({ event: "sample-job-inspect", ok: true, table, aggregate: { exists: true, rows: 12 } }),
  cleanup: done({ event: "sample-job-cleanup", ok: true, errors: [] }),
  leftovers: [],
  ...o,
});
const healthy: OperatorObservation = {
  state: "ok",
  release: { found: true, ready: "True", reason: "", message: "" },
  controller: { found: true, available: 1, desired: 1 },
  crd: { found: true, served: ["v1beta2"] },
  webhook: { enabled: true, available: 1, desired: 1, readyEndpoints: 1 },
};
const obs = (s: SampleJobObservation): ComputeObservations => ({
  operator: healthy,
  airflowDag: {
    state: "ok",
    api: "v2",
    dag: { found: true, isPaused: false, fileloc: "x" },
    importErrors: [],
  },
  sampleJob: s,
  airflowRun: { state: "skipped", reason: "not under test", fix: "" },
});
const inspected = (t: Record<string, unknown>) =>
  done({ event: "sample-job-inspect", ok: true, table: { ...table, ...t }, aggregate: {} });
const withJob = (j: Record<string, unknown>): SparkApplicationObservation =>
  ({
    ...completed,
    result: { ...(completed as { result: Record<string, unknown> }).result, ...j },
  }) as SparkApplicationObservation;
const LOG = Array.from({ length: 30 }, (_, i) => `log line ${i}`).join("\n");

describe("verify.sample-job", () => {
  const cases: [string, SampleJobObservation, string, RegExp, RegExp?][] = [
    [
      "completed and everything agrees",
      ran(),
      "pass",
      new RegExp(
        `SparkApplication lakehouse/${APP} COMPLETED in 95 s \\(driver pod ${DRIVER}\\); 200 rows generated = 200 rows counted through the catalog in lakehouse\\.lakehouse\\.verify_r1_events = the job's rows_read/table_rows; snapshot ${SNAP} with total-records 200; scratch tables and landing file removed\\.`,
      ),
    ],
    [
      "operator absent",
      {
        state: "skipped",
        reason: "the SparkApplication CRD is not installed",
        fix: "Deploy the compute phase",
      },
      "unknown",
      /not run: the SparkApplication CRD is not installed/,
      /Deploy the compute phase/,
    ],
    [
      "staging Job cannot be created (403)",
      ran({
        stage: {
          state: "error",
          stage: "create",
          message: "creating ConfigMap lakehouse/x: HTTP 403: forbidden",
        },
      }),
      "unknown",
      /Staging the landing file: .*HTTP 403/,
      /create and delete jobs and configmaps/,
    ],
    [
      "landing file not writable",
      ran({
        stage: done({ event: "sample-job-stage", ok: false, error: "OSError: AccessDenied" }),
        run: { state: "skipped", reason: "the landing file was not staged" },
      }),
      "fail",
      /could not be written to s3a:\/\/lakehouse-warehouse\/landing\/events\/_verify\/r1\/: OSError: AccessDenied/,
      /warehouse bucket/,
    ],
    [
      "SparkApplication refused by RBAC",
      ran({
        run: {
          state: "error",
          stage: "create",
          name: APP,
          namespace: "lakehouse",
          message: `creating SparkApplication lakehouse/${APP}: HTTP 403: forbidden`,
        },
      }),
      "unknown",
      /could not be submitted: .*HTTP 403/,
      /create, get and delete sparkapplications\.sparkoperator\.k8s\.io and get pods\/log/,
    ],
    [
      "SparkApplication refused by the webhook",
      ran({
        run: {
          state: "error",
          stage: "create",
          name: APP,
          namespace: "lakehouse",
          message: `creating SparkApplication lakehouse/${APP}: HTTP 500: Internal error occurred: failed calling webhook`,
        },
      }),
      "fail",
      /could not be submitted: .*failed calling webhook/,
      /refused the manifest/,
    ],
    [
      "API lost while watching",
      ran({
        run: {
          state: "error",
          stage: "wait",
          name: APP,
          namespace: "lakehouse",
          message: "got no answer within 300 ms",
        },
      }),
      "unknown",
      /could not be watched: got no answer/,
    ],
    [
      "FAILED: names the driver pod and shows the log tail",
      ran({
        run: {
          state: "failed",
          name: APP,
          namespace: "lakehouse",
          appState: "FAILED",
          errorMessage: "driver container failed with ExitCode: 2, Reason: Error",
          driverPod: DRIVER,
          logTail: `${LOG}\nlakehouse_ingest: malformed input: s3a://x/events.csv: amount "x" is not a decimal`,
          durationMs: 40_000,
        },
        inspect: { state: "skipped", reason: "the SparkApplication did not complete" },
      }),
      "fail",
      new RegExp(
        `SparkApplication lakehouse/${APP} ended FAILED \\(driver container failed with ExitCode: 2, Reason: Error\\); driver pod ${DRIVER}; driver log tail:\\n(log line \\d+\\n){14}lakehouse_ingest: malformed input: .*amount "x"`,
      ),
      new RegExp(`kubectl -n lakehouse logs ${DRIVER}`),
    ],
    [
      "SUBMISSION_FAILED without a driver",
      ran({
        run: {
          state: "failed",
          name: APP,
          namespace: "lakehouse",
          appState: "SUBMISSION_FAILED",
          errorMessage: "failed to run spark-submit: serviceaccount lakehouse-spark not found",
          driverPod: null,
          logTail: "log unavailable: the operator reported no driver pod",
          durationMs: 3_000,
        },
      }),
      "fail",
      /ended SUBMISSION_FAILED \(failed to run spark-submit: serviceaccount lakehouse-spark not found\); driver pod \(none reported\); driver log tail:\nlog unavailable: the operator reported no driver pod/,
    ],
    [
      "timeout",
      ran({
        run: {
          state: "timeout",
          name: APP,
          namespace: "lakehouse",
          lastState: "SUBMITTED",
          driverPod: DRIVER,
          logTail:
            "log unavailable: pod lakehouse/x: HTTP 400: container is waiting to start: PodInitializing",
          waitedMs: 600_000,
        },
      }),
      "fail",
      new RegExp(
        `did not finish within 600 s \\(state SUBMITTED\\); driver pod ${DRIVER}; driver log tail:\\nlog unavailable`,
      ),
      /describe sparkapplication .*-c fetch-jars.*--timeout/,
    ],
    [
      "completed without the JSON line",
      ran({ run: { ...completed, result: null, logTail: "Traceback\nboom" } as SparkApplicationObservation }),
      "fail",
      new RegExp(
        `completed but its driver log \\(pod ${DRIVER}\\) has no JSON result line; driver log tail:\\nTraceback\\nboom`,
      ),
    ],
    [
      "inspect Job timed out",
      ran({
        inspect: {
          state: "timeout",
          job: "i",
          waitedMs: 60_000,
          logTail: "Collecting pyarrow",
          detail: "pod Running",
        },
      }),
      "unknown",
      /Reading the table back: .*did not finish within 60 s/,
    ],
    [
      "catalog unreadable",
      ran({
        inspect: done({
          event: "sample-job-inspect",
          ok: false,
          error: "TTransportException: connect refused",
        }),
      }),
      "unknown",
      /could not be read back through the catalog: TTransportException/,
      /verify\.metastore-available/,
    ],
    [
      "table missing",
      ran({ inspect: inspected({ exists: false }) }),
      "fail",
      /lakehouse\.lakehouse\.verify_r1_events does not exist in the catalog after the run/,
    ],
    [
      "rows lost",
      ran({ inspect: inspected({ rows: 180, totalRecords: 180 }), run: withJob({ table_rows: 180 }) }),
      "fail",
      /180 rows counted through the catalog, 200 generated; snapshot .* total-records 180, not 200/,
    ],
    [
      "no snapshot",
      ran({ inspect: inspected({ snapshotId: null, totalRecords: null, rows: 200 }) }),
      "fail",
      /has no current snapshot/,
    ],
    [
      "snapshot summary disagrees",
      ran({ inspect: inspected({ totalRecords: 400 }) }),
      "fail",
      /summary records total-records 400, not 200/,
    ],
    [
      "job line disagrees on rows_read",
      ran({ run: withJob({ rows_read: 199 }) }),
      "fail",
      /the job's JSON line says rows_read 199, not 200/,
    ],
    [
      "job line names another snapshot",
      ran({ run: withJob({ snapshot_id: 1 }) }),
      "fail",
      new RegExp(`snapshot_id 1, the catalog's current one is ${SNAP}`),
    ],
    [
      "clean-up left a table",
      ran({
        cleanup: done({
          event: "sample-job-cleanup",
          ok: false,
          errors: ["lakehouse.verify_r1_events: OSError"],
        }),
      }),
      "warn",
      /not everything was removed: the clean-up Job reported \["lakehouse\.verify_r1_events: OSError"\]/,
      /DROP TABLE/,
    ],
    [
      "SparkApplication could not be deleted",
      ran({ leftovers: [`SparkApplication lakehouse/${APP} (HTTP 403: forbidden)`] }),
      "warn",
      /not everything was removed: SparkApplication lakehouse\/lakehouse-verify-sample-r1 \(HTTP 403/,
    ],
  ];
  for (const [name, o, status, observed, fix] of cases) {
    it(`${name} -> ${status}`, () => {
      const out = sampleJob.evaluate(obs(o), ctx);
      assert.equal(out.status, status, out.observed);
      assert.match(out.observed, observed);
      if (fix) assert.match(out.remediation, fix);
      if (status !== "pass") assert.ok(out.remediation.length > 20, "has a remediation");
      if (status === "fail" && o.state === "ran" && o.run.state !== "error" && o.run.state !== "skipped")
        assert.match(out.observed, new RegExp(APP), "a failure names the SparkApplication");
    });
  }

  it("is critical, in the compute phase, and never passes without a run", () => {
    assert.equal(sampleJob.critical, true);
    assert.equal(sampleJob.phase, "compute");
    assert.equal(sampleJob.id, "verify.sample-job");
  });
});

describe("verify.sample-job: precondition from the operator", () => {
  it("runs only when the CRD serves v1beta2 and a controller is available", () => {
    assert.equal(sampleJobPrecondition(config, healthy), undefined);
    assert.match(
      sampleJobPrecondition(config, { ...healthy, crd: { found: false } })!.reason,
      /CRD \(sparkapplications\.sparkoperator\.k8s\.io\) is not installed/,
    );
    assert.match(
      sampleJobPrecondition(config, { ...healthy, crd: { found: true, served: ["v1beta1"] } })!.reason,
      /serves v1beta1, not v1beta2/,
    );
    assert.match(
      sampleJobPrecondition(config, { ...healthy, controller: { found: true, available: 0, desired: 1 } })!
        .reason,
      /controller has no available replica/,
    );
    const e = sampleJobPrecondition(config, { state: "error", message: "HTTP 403: forbidden" })!;
    assert.match(e.reason, /could not be read \(HTTP 403: forbidden\)/);
    assert.match(e.fix, /RBAC/);
  });
});

describe("verify.sample-job: the run's manifests", () => {
  const spec = { runId: "r1", purpose: "sample", checkId: "verify.sample-job" } as const;
  const tables = sampleJobTables(config, "r1");

  it("the SparkApplication is sampleJobManifest's with the run's prefix, scratch tables, name and labels", () => {
    const app = runApplication(config, spec, tables);
    const template = sampleJobManifest(sampleJobArgs(config));
    assert.equal(app.metadata.name, APP);
    assert.equal(app.metadata.namespace, "lakehouse");
    assert.equal(app.metadata.labels["lakehouse.dev/verify-run"], "r1");
    assert.equal(app.metadata.labels["lakehouse.dev/check"], "verify.sample-job");
    assert.deepEqual(app.spec.arguments, [
      "--source",
      "s3a://lakehouse-warehouse/landing/events/_verify/r1/",
      "--format",
      "csv",
      "--table",
      "lakehouse.lakehouse.verify_r1_events",
      "--aggregate-table",
      "lakehouse.lakehouse.verify_r1_daily",
    ]);
    // Everything else is the template's: image, conf, sizing, credentials, jars.
    for (const k of ["image", "sparkConf", "mainApplicationFile", "volumes", "sparkVersion", "type"]) {
      assert.deepEqual(app.spec[k], template.spec[k], k);
    }
    const strip = (p: unknown) => ({ ...(p as Record<string, unknown>), labels: undefined });
    assert.deepEqual(strip(app.spec.driver), strip(template.spec.driver));
    assert.deepEqual(strip(app.spec.executor), strip(template.spec.executor));
    assert.equal(app.spec.timeToLiveSeconds, 3600);
    assert.equal(
      (app.spec.driver as { labels: Record<string, string> }).labels["lakehouse.dev/verify-run"],
      "r1",
    );
  });

  it("the landing prefix is the run's own, under _verify/ (Spark skips it when reading the landing prefix)", () => {
    assert.equal(landingPrefix(config, "r1"), "landing/events/_verify/r1/");
    assert.ok(landingPrefix(config, "r1").startsWith(config.compute.sampleJob.landingPrefix));
  });

  it("the helper Jobs: keys only by secretKeyRef, the metastore Service, the file from the ConfigMap", () => {
    const m = sampleIoManifests(
      config,
      spec,
      { script: "print(1)", body: "a,b\n" },
      { image: "py:1", timeoutSeconds: 90 },
    );
    assert.deepEqual(Object.keys(m.configMap.data!).sort(), ["events.csv", "sample_job_io.py"]);
    const job = m.job("stage", { LANDING_KEY: "landing/events/_verify/r1/events.csv" });
    assert.equal(job.metadata?.name, "lakehouse-verify-sample-stage-r1");
    const c = job.spec!.template.spec!.containers[0];
    assert.equal(c.image, "py:1");
    assert.match(c.command!.join(" "), /exec python \/scripts\/sample_job_io\.py stage$/);
    const env = Object.fromEntries((c.env ?? []).map((e) => [e.name, e.value ?? e.valueFrom]));
    assert.deepEqual(env.AWS_ACCESS_KEY_ID, {
      secretKeyRef: { name: "lakehouse-warehouse", key: "AWS_ACCESS_KEY_ID" },
    });
    assert.deepEqual(env.AWS_SECRET_ACCESS_KEY, {
      secretKeyRef: { name: "lakehouse-warehouse", key: "AWS_SECRET_ACCESS_KEY" },
    });
    assert.equal(env.METASTORE_URI, "thrift://hive-metastore.lakehouse.svc:9083");
    assert.equal(env.S3_BUCKET, "lakehouse-warehouse");
    assert.equal(env.LOCAL_FILE, "/scripts/events.csv");
    assert.equal(env.LANDING_KEY, "landing/events/_verify/r1/events.csv");
    assert.equal(job.spec!.activeDeadlineSeconds, 90);
  });
});

describe("the job's JSON line in a driver log (C3)", () => {
  it("is the last JSON object with rows_read, also when JVM shutdown lines follow it", () => {
    const log = [
      "lakehouse_ingest: [  4.1s] session up",
      '{"rows_read": 1, "rows_merged": 1, "table_rows": 1, "snapshot_id": 7, "aggregate_rows": 1}',
      '{"rows_read": 5, "rows_merged": 5, "table_rows": 5, "snapshot_id": 8, "aggregate_rows": 2}',
      "26/12/01 10:00:00 INFO ShutdownHookManager: Shutdown hook called",
      '{"not": "the job"}',
    ].join("\n");
    assert.deepEqual(jobLineFromLog(log), {
      rows_read: 5,
      rows_merged: 5,
      table_rows: 5,
      snapshot_id: 8,
      aggregate_rows: 2,
    });
    assert.equal(jobLineFromLog("no json here\n{broken"), null);
  });

  it("keeps a 64-bit snapshot id exact (JSON numbers beyond 2^53 would lose digits)", () => {
    const line =
      '{"rows_read": 2, "rows_merged": 2, "table_rows": 2, "snapshot_id": 5432109876543210987, "aggregate_rows": 1}';
    assert.equal(jobLineFromLog(line)?.snapshot_id, "5432109876543210987");
    assert.equal(jobLineFromLog(line)?.rows_read, 2);
  });
});
