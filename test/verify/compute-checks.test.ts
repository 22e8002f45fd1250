/**
 * The compute phase's post-deploy checks as tables of cases (pure evaluate), the mapping of the Airflow check
 * Job's outcome to an observation, and the Job's manifest (credentials only by secretKeyRef).
 */
import * as assert from "node:assert/strict";
import { configSchema } from "../../preflight/config/schema";
import { airflowDag } from "../../verify/compute/checks/airflowDag";
import { sparkOperatorReady } from "../../verify/compute/checks/sparkOperatorReady";
import { COMPUTE_CHECKS } from "../../verify/compute/checks";
import { airflowDagManifests, airflowObservation } from "../../verify/compute/observe";
import type {
  AirflowDagObservation,
  AirflowRunObservation,
  ComputeObservations,
  DagRunReport,
  JobObservation,
  OperatorObservation,
} from "../../verify/types";

const config = configSchema.parse({});
const ctx = { config, now: new Date("2026-12-01T00:00:00Z") };
const healthy: OperatorObservation = {
  state: "ok",
  release: { found: true, ready: "True", reason: "InstallSucceeded", message: "" },
  controller: { found: true, available: 1, desired: 1 },
  crd: { found: true, served: ["v1beta2"] },
  webhook: { enabled: true, available: 1, desired: 1, readyEndpoints: 1 },
};
const dagOk: AirflowDagObservation = {
  state: "ok",
  api: "v2",
  dag: { found: true, isPaused: false, fileloc: "/opt/airflow/dags/lakehouse_ingest.py" },
  importErrors: [],
};
const done = (result: Record<string, unknown>): JobObservation => ({
  state: "completed",
  job: "j",
  succeeded: true,
  exitCode: 0,
  result,
  logTail: "",
  durationMs: 5,
});
const report: DagRunReport = {
  dagRunId: "lakehouse_verify_r1",
  triggered: true,
  reason: null,
  status: null,
  detail: null,
  state: "success",
  timedOut: false,
  markedFailed: false,
  waitedSeconds: 41,
  tasks: [{ taskId: "ingest", state: "success", tryNumber: 1 }],
  failedTask: null,
  logTail: "",
};
const runOk: Extract<AirflowRunObservation, { state: "ran" }> = {
  state: "ran",
  dagRunId: "lakehouse_verify_r1",
  source: "s3a://lakehouse-warehouse/landing/events/_verify/r1-dag/",
  table: "lakehouse.lakehouse.verify_r1_dag_events",
  aggregateTable: "lakehouse.lakehouse.verify_r1_dag_daily",
  rowsGenerated: 200,
  stage: done({ ok: true }),
  trigger: done({ stage: "done", run: {} }),
  report,
  applications: [
    {
      name: "lakehouse-ingest-x1y2z3w4",
      namespace: "lakehouse",
      state: "COMPLETED",
      errorMessage: "",
      driverPod: "lakehouse-ingest-x1y2z3w4-driver",
    },
  ],
  watchError: null,
  inspect: done({ ok: true, table: { exists: true, rows: 200, snapshotId: "42" } }),
  cleanup: done({ ok: true, errors: [] }),
  leftovers: [],
};
const obs = (o: Partial<ComputeObservations>): ComputeObservations => ({
  operator: healthy,
  airflowDag: dagOk,
  sampleJob: { state: "skipped", reason: "not under test", fix: "" },
  airflowRun: runOk,
  ...o,
});

describe("verify compute checks (registry)", () => {
  it("compute has the three checks, in order", () => {
    assert.deepEqual(
      COMPUTE_CHECKS.map((c) => c.id),
      ["verify.spark-operator-ready", "verify.airflow-dag", "verify.sample-job"],
    );
    assert.ok(COMPUTE_CHECKS.every((c) => c.critical && c.phase === "compute"));
  });
});

describe("verify.spark-operator-ready", () => {
  const cases: [string, OperatorObservation, string, RegExp][] = [
    [
      "healthy",
      healthy,
      "pass",
      /HelmRelease Ready; controller 1\/1 available; CRD serves v1beta2; webhook available with 1/,
    ],
    [
      "API unreadable",
      { state: "error", message: "HTTP 403: forbidden" },
      "unknown",
      /could not be read: HTTP 403/,
    ],
    [
      "release absent",
      { ...healthy, release: { found: false } },
      "fail",
      /HelmRelease lakehouse\/spark-operator does not exist/,
    ],
    [
      "release not Ready",
      { ...healthy, release: { found: true, ready: "False", reason: "InstallFailed", message: "timed out" } },
      "fail",
      /not Ready \(False, InstallFailed: timed out\)/,
    ],
    [
      "controller unavailable",
      { ...healthy, controller: { found: true, available: 0, desired: 1 } },
      "fail",
      /0\/1 available/,
    ],
    [
      "CRD missing",
      { ...healthy, crd: { found: false } },
      "fail",
      /CRD sparkapplications\.sparkoperator\.k8s\.io is not installed/,
    ],
    [
      "old CRD",
      { ...healthy, crd: { found: true, served: ["v1beta1"] } },
      "fail",
      /serves v1beta1, not v1beta2/,
    ],
    [
      "webhook without endpoints",
      { ...healthy, webhook: { enabled: true, available: 1, desired: 1, readyEndpoints: 0 } },
      "fail",
      /no ready endpoint/,
    ],
    [
      "webhook Deployment missing",
      { ...healthy, webhook: { enabled: true, available: 0, desired: null, readyEndpoints: null } },
      "fail",
      /webhook Deployment spark-operator-webhook does not exist/,
    ],
    ["webhook disabled", { ...healthy, webhook: { enabled: false } }, "pass", /webhook disabled/],
  ];
  for (const [name, o, status, observed] of cases) {
    it(`${name} -> ${status}`, () => {
      const out = sparkOperatorReady.evaluate(obs({ operator: o }), ctx);
      assert.equal(out.status, status);
      assert.match(out.observed, observed);
      if (status !== "pass") assert.ok(out.remediation.length > 20, "has a remediation");
    });
  }
});

describe("verify.airflow-dag", () => {
  const cases: [string, AirflowDagObservation, string, RegExp, RegExp?][] = [
    [
      "loaded, and the triggered run lands the rows",
      dagOk,
      "pass",
      /^DAG lakehouse_ingest loaded from \/opt\/airflow\/dags\/lakehouse_ingest\.py \(API v2\), no import error; DAG run lakehouse_verify_r1 success; task ingest success \(try 1\); SparkApplication lakehouse\/lakehouse-ingest-x1y2z3w4 COMPLETED, driver pod lakehouse-ingest-x1y2z3w4-driver; 200 rows generated = counted through the catalog in lakehouse\.lakehouse\.verify_r1_dag_events \(snapshot 42\); scratch tables and landing file removed\.$/,
    ],
    [
      "paused: warn, and no run",
      { ...dagOk, dag: { found: true, isPaused: true, fileloc: "/d/x.py" } },
      "warn",
      /it is paused, so it will not run on schedule, and no run was triggered/,
      /airflow dags unpause lakehouse_ingest/,
    ],
    [
      "import error",
      {
        ...dagOk,
        importErrors: [
          {
            filename: "/d/lakehouse_ingest.py",
            error: "Traceback\nModuleNotFoundError: No module named 'x'",
          },
        ],
      },
      "fail",
      /1 import error\(s\); \/d\/lakehouse_ingest\.py: ModuleNotFoundError: No module named 'x'/,
      /cncf-kubernetes/,
    ],
    [
      "not loaded",
      { ...dagOk, dag: { found: false } },
      "fail",
      /does not list the DAG/,
      /ConfigMap airflow\/lakehouse-dags/,
    ],
    [
      "unreachable",
      {
        state: "unreachable",
        target: "http://airflow-api-server.airflow.svc:8080",
        message: "connection refused",
      },
      "unknown",
      /could not be reached/,
      /airflowApiService/,
    ],
    [
      "bad credentials",
      { state: "unauthorized", status: 401, message: "refused" },
      "unknown",
      /refused the credentials \(HTTP 401\)/,
      /Secret airflow\/lakehouse-airflow-api/,
    ],
    [
      "no Secret",
      { state: "no-credentials", secret: "lakehouse-airflow-api", message: "secret not found" },
      "unknown",
      /credentials could not be read/,
      /keys username and password/,
    ],
  ];
  for (const [name, o, status, observed, fix] of cases) {
    it(`${name} -> ${status} (never a pass when Airflow cannot be asked)`, () => {
      const out = airflowDag.evaluate(obs({ airflowDag: o }), ctx);
      assert.equal(out.status, status);
      assert.match(out.observed, observed);
      if (fix) assert.match(out.remediation, fix);
    });
  }
});

describe("verify.airflow-dag: the run it triggers", () => {
  const failedApp = {
    name: "lakehouse-ingest-x1y2z3w4",
    namespace: "lakehouse",
    state: "FAILED",
    errorMessage: "driver container failed with ExitCode: 1, Reason: Error",
    driverPod: "lakehouse-ingest-x1y2z3w4-driver",
  };
  const run = (
    o: Partial<Extract<AirflowRunObservation, { state: "ran" }>>,
    r: Partial<DagRunReport> = {},
  ): AirflowRunObservation => ({ ...runOk, report: { ...report, ...r }, ...o });
  const cases: [string, AirflowRunObservation, string, RegExp, RegExp?][] = [
    [
      "not tried: the operator is missing",
      {
        state: "skipped",
        reason: "the SparkApplication CRD (sparkapplications.sparkoperator.k8s.io) is not installed",
        fix: "Deploy the compute phase",
      },
      "unknown",
      /no run was triggered: the SparkApplication CRD .* is not installed/,
      /Deploy the compute phase/,
    ],
    [
      "the run failed: names the DAG run, the task, the SparkApplication and its driver pod, with the task log",
      run(
        { applications: [failedApp] },
        {
          state: "failed",
          tasks: [{ taskId: "ingest", state: "failed", tryNumber: 1 }],
          failedTask: "ingest",
          logTail:
            "INFO Creating sparkApplication.\nERROR Task failed with exception\nAirflowException: Pod lakehouse-ingest-x1y2z3w4-driver returned a failure. (fail_fast: not retried)",
        },
      ),
      "fail",
      /DAG run lakehouse_verify_r1 failed; task ingest failed \(try 1\); SparkApplication lakehouse\/lakehouse-ingest-x1y2z3w4 FAILED \(driver container failed with ExitCode: 1, Reason: Error\), driver pod lakehouse-ingest-x1y2z3w4-driver; task log tail:\n.*\n.*\nAirflowException: Pod lakehouse-ingest-x1y2z3w4-driver returned a failure/,
      /task ingest.*kubectl -n lakehouse logs lakehouse-ingest-x1y2z3w4-driver/,
    ],
    [
      "the run timed out: marked failed by the verification",
      run(
        { applications: [{ ...failedApp, state: "RUNNING", errorMessage: "" }] },
        {
          state: "running",
          timedOut: true,
          markedFailed: true,
          waitedSeconds: 600,
          tasks: [{ taskId: "ingest", state: "running", tryNumber: 1 }],
        },
      ),
      "fail",
      /the triggered run did not finish within 600 s \(the verification then marked it failed so that it stops\): DAG run lakehouse_verify_r1 running; task ingest running \(try 1\); SparkApplication lakehouse\/lakehouse-ingest-x1y2z3w4 RUNNING/,
      /longer --timeout/,
    ],
    [
      "the task waits to retry (a DAG without fail_fast): marked failed",
      run(
        { applications: [] },
        {
          state: "failed",
          markedFailed: true,
          tasks: [{ taskId: "ingest", state: "up_for_retry", tryNumber: 1 }],
          failedTask: "ingest",
        },
      ),
      "fail",
      /task ingest up_for_retry \(try 1\); no SparkApplication with the run's label was seen \(its task waited to retry; the verification marked the run failed\)/,
    ],
    [
      "the run failed and its SparkApplications could not be listed: says so",
      run(
        { applications: [], watchError: "HTTP 403: sparkapplications is forbidden" },
        {
          state: "failed",
          tasks: [{ taskId: "ingest", state: "failed", tryNumber: 1 }],
          failedTask: "ingest",
        },
      ),
      "fail",
      /no SparkApplication with the run's label was seen \(listing the run's SparkApplications failed: HTTP 403: sparkapplications is forbidden\)/,
    ],
    [
      "Airflow refuses the run's parameters (an older DAG)",
      run({}, { triggered: false, state: null, status: 400, detail: "Invalid input for param table" }),
      "fail",
      /Airflow refused to create DAG run lakehouse_verify_r1: HTTP 400 Invalid input for param table/,
      /not the one this program ships/,
    ],
    [
      "the API user may not trigger",
      run({}, { triggered: false, state: null, status: 403, detail: "Forbidden" }),
      "unknown",
      /HTTP 403 Forbidden/,
      /may read DAGs but not trigger them/,
    ],
    [
      "paused between the look and the trigger",
      run({}, { triggered: false, state: null, reason: "paused" }),
      "warn",
      /the DAG was paused, so no run was triggered/,
      /unpause/,
    ],
    [
      "the trigger Job never finished",
      run({
        trigger: {
          state: "timeout",
          job: "lakehouse-verify-airflow-run-r1",
          waitedMs: 720_000,
          logTail: "",
          detail: "pod Pending",
        },
        report: null,
      }),
      "unknown",
      /triggering the DAG run: The verification Job lakehouse-verify-airflow-run-r1 did not finish within 720 s/,
      /kubectl -n airflow describe job/,
    ],
    [
      "the credentials were refused at trigger time",
      run({ trigger: done({ stage: "auth", status: 401 }), report: null }),
      "unknown",
      /could not be triggered: Airflow refused the credentials \(HTTP 401\)/,
    ],
    [
      "the landing file could not be staged",
      run({ stage: done({ ok: false, error: "AccessDenied" }) }),
      "unknown",
      /landing file could not be written to s3a:\/\/.*: AccessDenied/,
      /verify\.iceberg-roundtrip/,
    ],
    [
      "success, but the scratch table does not exist (the run ignored its parameters)",
      run({ inspect: done({ ok: true, table: { exists: false } }) }),
      "fail",
      /lakehouse\.lakehouse\.verify_r1_dag_events does not exist after the run/,
      /did not use the parameters it was given/,
    ],
    [
      "success, but rows are missing",
      run({ inspect: done({ ok: true, table: { exists: true, rows: 150, snapshotId: "7" } }) }),
      "fail",
      /holds 150 rows, 200 were generated/,
    ],
    [
      "success, but a scratch object is left",
      run({ leftovers: ["SparkApplication lakehouse/lakehouse-ingest-x1y2z3w4 (HTTP 403)"] }),
      "warn",
      /200 rows generated = counted .*; but not everything was removed: SparkApplication lakehouse\/lakehouse-ingest-x1y2z3w4 \(HTTP 403\)/,
      /DROP TABLE/,
    ],
  ];
  for (const [name, r, status, observed, fix] of cases) {
    it(`${name} -> ${status}`, () => {
      const out = airflowDag.evaluate(obs({ airflowRun: r }), ctx);
      assert.equal(out.status, status, out.observed);
      assert.match(out.observed, observed);
      if (fix) assert.match(out.remediation, fix);
    });
  }

  it("keeps the JSON fields it had (api, dag, importErrors) and adds run", () => {
    const out = airflowDag.evaluate(obs({}), ctx);
    const data = out.data as Record<string, unknown>;
    assert.equal(data.api, "v2");
    assert.deepEqual(data.dag, dagOk.state === "ok" ? dagOk.dag : null);
    assert.deepEqual(data.importErrors, []);
    assert.deepEqual(data.run, {
      dagRunId: "lakehouse_verify_r1",
      source: runOk.source,
      table: runOk.table,
      rowsGenerated: 200,
      state: "success",
      tasks: report.tasks,
      applications: runOk.applications,
      rows: 200,
    });
  });
});

describe("verify compute: the Airflow check Job", () => {
  it("reaches the API at its Service and takes the credentials from the Secret by reference only", () => {
    const { configMap, job } = airflowDagManifests(config, "r1", "print(1)\n", {
      timeoutSeconds: 120,
      image: "python:3.11.10-slim-bookworm",
    });
    assert.equal(configMap.metadata?.namespace, "airflow");
    assert.equal(job.metadata?.namespace, "airflow");
    const c = job.spec!.template.spec!.containers[0];
    const env = Object.fromEntries((c.env ?? []).map((e) => [e.name, e.value ?? e.valueFrom]));
    assert.equal(env.AIRFLOW_URL, "http://airflow-api-server.airflow.svc:8080");
    assert.equal(env.AIRFLOW_API, "v2");
    assert.equal(env.DAG_ID, "lakehouse_ingest");
    assert.deepEqual(env.AIRFLOW_USERNAME, {
      secretKeyRef: { name: "lakehouse-airflow-api", key: "username" },
    });
    assert.deepEqual(env.AIRFLOW_PASSWORD, {
      secretKeyRef: { name: "lakehouse-airflow-api", key: "password" },
    });
    assert.equal(job.spec!.activeDeadlineSeconds, 120);
  });

  const job = (result: Record<string, unknown> | null) =>
    ({
      state: "completed",
      job: "j",
      succeeded: true,
      exitCode: 0,
      result,
      logTail: "",
      durationMs: 5,
    }) as const;
  const cases: [string, Parameters<typeof airflowObservation>[1], AirflowDagObservation["state"]][] = [
    [
      "done",
      job({
        event: "airflow-dag",
        api: "v2",
        stage: "done",
        dag: { found: true, is_paused: false, fileloc: "/d/lakehouse_ingest.py" },
        import_errors: [{ filename: "/d/other.py", error: "x" }],
      }),
      "ok",
    ],
    ["auth refused", job({ event: "airflow-dag", stage: "auth", status: 401 }), "unauthorized"],
    [
      "connection refused",
      job({ event: "airflow-dag", stage: "connect", error: "Connection refused" }),
      "unreachable",
    ],
    ["no result line", job(null), "unreachable"],
    [
      "Secret missing",
      {
        state: "error",
        stage: "start",
        job: "j",
        message: "pod x cannot start: CreateContainerConfigError: secret not found",
      },
      "no-credentials",
    ],
    [
      "timeout",
      { state: "timeout", job: "j", waitedMs: 60000, logTail: "", detail: "pod Pending" },
      "unreachable",
    ],
  ];
  for (const [name, j, state] of cases) {
    it(`${name} -> ${state}`, () => {
      const o = airflowObservation(config, j);
      assert.equal(o.state, state);
      if (o.state === "ok") assert.deepEqual(o.importErrors, [], "other files' errors are not the DAG's");
    });
  }
});
