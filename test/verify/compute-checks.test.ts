/**
 * The compute phase's post-deploy checks as tables of cases (pure evaluate), the mapping of the Airflow check
 * Job's outcome to an observation, and the Job's manifest (credentials only by secretKeyRef).
 */
import * as assert from "node:assert/strict";
import { configSchema } from "../../preflight/config/schema";
import { airflowDag } from "../../verify/checks/airflowDag";
import { sparkOperatorReady } from "../../verify/checks/sparkOperatorReady";
import { COMPUTE_CHECKS, VERIFIABLE_PHASES } from "../../verify/checks";
import { airflowDagManifests, airflowObservation } from "../../verify/compute";
import type { AirflowDagObservation, ComputeObservations, OperatorObservation } from "../../verify/types";

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
const obs = (o: Partial<ComputeObservations>): ComputeObservations => ({
  operator: healthy,
  airflowDag: dagOk,
  sampleJob: { state: "skipped", reason: "not under test", fix: "" },
  ...o,
});

describe("verify compute checks (registry)", () => {
  it("compute is verifiable, with the three checks in order", () => {
    assert.ok(VERIFIABLE_PHASES.includes("compute"));
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
      "loaded",
      dagOk,
      "pass",
      /DAG lakehouse_ingest loaded from \/opt\/airflow\/dags\/lakehouse_ingest\.py \(API v2\), no import error\./,
    ],
    [
      "paused",
      { ...dagOk, dag: { found: true, isPaused: true, fileloc: "/d/x.py" } },
      "warn",
      /paused/,
      /unpause/,
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
