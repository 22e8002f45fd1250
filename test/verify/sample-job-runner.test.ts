/**
 * The sample-job runner against the Kubernetes API stand-in with the real client-node: `npm run verify -- --phase
 * compute`'s runner and the end-to-end ingest driver really create the ConfigMap, the helper Jobs and the
 * SparkApplication, poll them, read pod logs and delete everything. A fake operator in `extraRoutes` moves each
 * SparkApplication through SUBMITTED -> RUNNING -> COMPLETED or FAILED (or leaves it RUNNING) and serves the
 * driver pod's log; the small Job controller of ./cluster plays the helper Jobs.
 */
import { strict as assert } from "node:assert";
import * as fs from "node:fs";
import type * as http from "node:http";
import * as path from "node:path";
import { parseAllDocuments } from "yaml";
import { configSchema } from "../../preflight/config/schema";
import type { KubeObject } from "../../preflight/model";
import { generateEvents } from "../../verify/compute/events";
import { INGEST_UNAVAILABLE, resolveIngest } from "../../verify/analytics/verification";
import { runVerification } from "../../verify/runner";
import { runApplication, sampleJobTables, sparkApplicationIngest } from "../../verify/compute/sampleJobRun";
import { startKubeApi, type KubeApi, type RecordedRequest } from "../../harness/kube-api";
import {
  controller,
  CRD,
  dagRun,
  DRIVER_FAILED,
  DRIVER_OK,
  helper,
  json,
  OPERATOR,
  PROM_OK,
  SNAP,
  sparkOperator as operator,
  type Outcome,
  type Scenario,
} from "./cluster";

const config = configSchema.parse({});
const now = new Date("2026-12-01T10:00:00Z");
const NS = "lakehouse";
const APP = "lakehouse-verify-sample-t1";

/** The bodies of every POST, as the client sent them. */
interface Posts {
  items: { path: string; body: KubeObject }[];
}
const recorder = (posts: Posts) => (req: http.IncomingMessage, body: string) => {
  if (req.method === "POST" && body)
    posts.items.push({ path: req.url ?? "", body: JSON.parse(body) as KubeObject });
};
const submitted = (p: Posts) => p.items.find((x) => x.body.kind === "SparkApplication")?.body;
const configMaps = (p: Posts) => p.items.filter((x) => x.body.kind === "ConfigMap").map((x) => x.body);
const jobEnv = (p: Posts): Map<string, Record<string, string>> =>
  new Map(
    p.items
      .filter((x) => x.body.kind === "Job")
      .map((x) => {
        const c = (
          x.body.spec as {
            template: { spec: { containers: { env?: { name: string; value?: string }[] }[] } };
          }
        ).template.spec.containers[0];
        return [
          String(x.body.metadata?.name),
          Object.fromEntries((c.env ?? []).map((e) => [e.name, e.value ?? "(ref)"])),
        ] as [string, Record<string, string>];
      }),
  );

const left = (a: KubeApi) =>
  a
    .objects()
    .filter((o) => ["SparkApplication", "Job", "ConfigMap"].includes(o.kind ?? ""))
    .map((o) => `${o.kind}/${o.metadata?.name}`);

describe("verify compute with the sample job, against the Kubernetes API stand-in", function () {
  this.timeout(30_000);
  let api: KubeApi | undefined;
  afterEach(async () => {
    await api?.stop();
    api = undefined;
  });

  const start = async (
    outcome: Outcome,
    opts: {
      objects?: KubeObject[];
      driverLog?: string | 500;
      inspect?: Record<string, unknown>;
      run?: string;
      /** The trigger Job's report; with `airflowApp`, the SparkApplication "Airflow" submits meanwhile. */
      dagRun?: Parameters<typeof dagRun>[1];
      airflowApp?: KubeObject;
    } = {},
  ) => {
    const scenarios = { ...helper(opts.run ?? "t1", opts.inspect), ...dagRun(opts.run ?? "t1", opts.dagRun) };
    const posts: Posts = { items: [] };
    const record = recorder(posts);
    const a = await startKubeApi({
      objects: opts.objects ?? OPERATOR,
      extraRoutes: (req, res, body) => {
        record(req, body);
        // While the trigger Job runs, the DAG run's task submits its SparkApplication (as Airflow would).
        if (opts.airflowApp && req.url?.includes("/jobs/lakehouse-verify-airflow-run-")) {
          if (!a.objects().some((o) => o.metadata?.name === opts.airflowApp!.metadata?.name))
            a.upsert(opts.airflowApp);
        }
        return fakeOperator(req, res) || jobs(req, res);
      },
    });
    const fakeOperator = operator(
      () => a,
      outcome,
      opts.driverLog ?? (outcome === "COMPLETED" ? DRIVER_OK : DRIVER_FAILED),
    );
    const jobs = controller(() => a, scenarios, PROM_OK);
    api = a;
    return { a, posts };
  };
  const verify = (a: KubeApi, extra: Partial<Parameters<typeof runVerification>[0]> = {}) =>
    runVerification({
      config,
      phase: "compute",
      kc: a.kubeConfig(),
      pollMs: 20,
      jobTimeoutMs: 5_000,
      requestTimeoutMs: 2_000,
      runId: "t1",
      now: () => now,
      ...extra,
    });
  const sample = (r: Awaited<ReturnType<typeof runVerification>>) =>
    r.results.find((x) => x.id === "verify.sample-job")!;
  const posted = (a: KubeApi, plural: string) =>
    a.requests.filter((q) => q.method === "POST" && q.plural === plural).map((q) => q.name ?? q.path);
  it("COMPLETED: submits exactly the run's sampleJobManifest, reads the driver's JSON line, inspects, cleans up: pass", async () => {
    const { a, posts } = await start("COMPLETED");
    const r = await verify(a);
    const s = sample(r);
    assert.equal(s.status, "pass", s.observed);
    assert.match(
      s.observed,
      new RegExp(
        `SparkApplication lakehouse/${APP} COMPLETED in \\d+ s \\(driver pod ${APP}-driver\\); 200 rows generated = 200 rows counted through the catalog in lakehouse\\.lakehouse\\.verify_t1_events`,
      ),
    );
    assert.equal(r.status, "pass", r.summary);
    assert.deepEqual(
      r.results.map((x) => [x.id, x.status]),
      [
        ["verify.spark-operator-ready", "pass"],
        ["verify.airflow-dag", "pass"],
        ["verify.sample-job", "pass"],
      ],
    );
    // The SparkApplication the operator got is exactly the run's manifest (sampleJobManifest, scratch prefix,
    // tables, name, labels); the stand-in stored the POST body.
    const stored = a.requests.find((q) => q.method === "POST" && q.plural === "sparkapplications");
    assert.ok(stored, "a SparkApplication was submitted");
    assert.equal(stored.path, "/apis/sparkoperator.k8s.io/v1beta2/namespaces/lakehouse/sparkapplications");
    const want = runApplication(
      config,
      { runId: "t1", purpose: "sample", checkId: "verify.sample-job" },
      sampleJobTables(config, "t1"),
    );
    assert.deepEqual(submitted(posts), want);
    assert.deepEqual(
      posted(a, "jobs").length,
      8,
      "stage, inspect, cleanup + the Airflow check + the DAG run's stage, trigger, inspect, cleanup",
    );
    // The generated file travelled in the ConfigMap: header + 200 records, and the helper script.
    const cm = configMaps(posts).find((c) => c.metadata?.name === "lakehouse-verify-sample-files-t1")!;
    assert.equal((cm.data as Record<string, string>)["events.csv"], generateEvents("t1", 200, now).csv);
    assert.match((cm.data as Record<string, string>)["sample_job_io.py"], /def inspect\(cfg\)/);
    // Clean-up: the cleanup Job purged the scratch tables and the landing prefix; nothing is left.
    const cleanupEnv = jobEnv(posts).get("lakehouse-verify-sample-cleanup-t1")!;
    assert.equal(cleanupEnv.TABLES, "lakehouse.verify_t1_events,lakehouse.verify_t1_daily");
    assert.equal(cleanupEnv.LANDING_PREFIX, "landing/events/_verify/t1/");
    assert.ok(
      a.requests.some((q) => q.method === "DELETE" && q.plural === "sparkapplications" && q.name === APP),
    );
    assert.deepEqual(left(a), []);
    assert.deepEqual(r.leftovers, []);
    // verify.airflow-dag's run: after the sample job, its own landing folder and scratch tables, passed to the
    // DAG as its run conf by the trigger Job in the Airflow namespace; read back, then purged.
    const dag = r.results.find((x) => x.id === "verify.airflow-dag")!;
    assert.match(
      dag.observed,
      /DAG run lakehouse_verify_t1 success; task ingest success \(try 1\); .*200 rows generated = counted through the catalog in lakehouse\.lakehouse\.verify_t1_dag_events/,
    );
    const trigger = jobEnv(posts).get("lakehouse-verify-airflow-run-t1")!;
    assert.equal(trigger.TRIGGER_RUN_ID, "lakehouse_verify_t1");
    assert.equal(trigger.WAIT_SECONDS, "5");
    assert.deepEqual(JSON.parse(trigger.TRIGGER_CONF), {
      source: "s3a://lakehouse-warehouse/landing/events/_verify/t1-dag/",
      table: "lakehouse.lakehouse.verify_t1_dag_events",
      aggregate_table: "lakehouse.lakehouse.verify_t1_dag_daily",
      labels: { "lakehouse.dev/verify-run": "t1", "lakehouse.dev/check": "verify.airflow-dag" },
      fail_fast: true,
    });
    assert.equal(
      jobEnv(posts).get("lakehouse-verify-dag-stage-t1")!.LANDING_KEY,
      "landing/events/_verify/t1-dag/events.csv",
    );
    assert.deepEqual(
      jobEnv(posts).get("lakehouse-verify-dag-inspect-t1")!.TABLE,
      "lakehouse.verify_t1_dag_events",
    );
    const dagCleanup = jobEnv(posts).get("lakehouse-verify-dag-cleanup-t1")!;
    assert.equal(dagCleanup.TABLES, "lakehouse.verify_t1_dag_events,lakehouse.verify_t1_dag_daily");
    assert.equal(dagCleanup.LANDING_PREFIX, "landing/events/_verify/t1-dag/");
    const order = posts.items.filter((x) => x.body.kind === "Job").map((x) => String(x.body.metadata?.name));
    assert.ok(
      order.indexOf("lakehouse-verify-dag-stage-t1") > order.indexOf("lakehouse-verify-sample-cleanup-t1"),
      `the DAG run starts after the sample job is done: ${order.join(", ")}`,
    );
  });

  it("a failed DAG run: names the DAG run, its task and the SparkApplication it submitted, then deletes that application", async () => {
    const app: KubeObject = {
      apiVersion: "sparkoperator.k8s.io/v1beta2",
      kind: "SparkApplication",
      metadata: {
        name: "lakehouse-ingest-q8w7e6r5",
        namespace: NS,
        labels: { "lakehouse.dev/verify-run": "t1", "lakehouse.dev/check": "verify.airflow-dag" },
      },
      status: {
        applicationState: { state: "FAILED", errorMessage: "driver container failed with ExitCode: 1" },
        driverInfo: { podName: "lakehouse-ingest-q8w7e6r5-driver" },
      },
    };
    const { a, posts } = await start("COMPLETED", {
      airflowApp: app,
      dagRun: {
        report: {
          state: "failed",
          tasks: [{ task_id: "ingest", state: "failed", try_number: 1 }],
          failed_task: "ingest",
          log_tail:
            "ERROR Task failed\nAirflowException: Pod lakehouse-ingest-q8w7e6r5-driver returned a failure.",
        },
      },
    });
    const r = await verify(a);
    const dag = r.results.find((x) => x.id === "verify.airflow-dag")!;
    assert.equal(dag.status, "fail", dag.observed);
    assert.match(
      dag.observed,
      /DAG run lakehouse_verify_t1 failed; task ingest failed \(try 1\); SparkApplication lakehouse\/lakehouse-ingest-q8w7e6r5 FAILED \(driver container failed with ExitCode: 1\), driver pod lakehouse-ingest-q8w7e6r5-driver; task log tail:\nERROR Task failed\nAirflowException/,
    );
    assert.equal(r.status, "fail");
    assert.ok(!jobEnv(posts).has("lakehouse-verify-dag-inspect-t1"), "no inspect after a failed run");
    assert.equal(
      jobEnv(posts).get("lakehouse-verify-dag-cleanup-t1")!.TABLES,
      "lakehouse.verify_t1_dag_events,lakehouse.verify_t1_dag_daily",
    );
    assert.ok(
      a.requests.some(
        (q) =>
          q.method === "DELETE" && q.plural === "sparkapplications" && q.name === "lakehouse-ingest-q8w7e6r5",
      ),
    );
    assert.deepEqual(left(a), []);
  });

  it("FAILED: fails naming the SparkApplication and the driver pod, with the driver log's tail; still cleans up", async () => {
    const { a, posts } = await start("FAILED");
    const r = await verify(a);
    const s = sample(r);
    assert.equal(s.status, "fail");
    assert.match(
      s.observed,
      new RegExp(
        `SparkApplication lakehouse/${APP} ended FAILED \\(driver container failed with ExitCode: 1, Reason: Error\\); driver pod ${APP}-driver; driver log tail:\\n`,
      ),
    );
    assert.match(s.observed, /lakehouse_ingest: failed: Py4JJavaError: .*AccessDeniedException/);
    assert.match(s.observed, /WARN noise 46\n/, "the tail, not the whole log");
    assert.doesNotMatch(s.observed, /WARN noise 44\n/);
    const logReq = a.requests.find((q) => q.path.endsWith(`${APP}-driver/log`))!;
    assert.equal(logReq.query.tailLines, "40");
    assert.equal(logReq.query.container, "spark-kubernetes-driver");
    assert.match(s.remediation, new RegExp(`kubectl -n lakehouse logs ${APP}-driver`));
    assert.equal(r.status, "fail");
    assert.ok(
      jobEnv(posts).has("lakehouse-verify-sample-inspect-t1") === false,
      "no inspect after a failure",
    );
    assert.equal(
      jobEnv(posts).get("lakehouse-verify-sample-cleanup-t1")!.TABLES,
      "lakehouse.verify_t1_events,lakehouse.verify_t1_daily",
    );
    assert.deepEqual(left(a), []);
  });

  it("a SparkApplication that never finishes: fail after the timeout with its state, and it is deleted", async () => {
    const { a } = await start("RUNNING");
    const t0 = Date.now();
    const r = await verify(a, { jobTimeoutMs: 1_500 });
    assert.ok(Date.now() - t0 < 10_000, `took ${Date.now() - t0} ms`);
    const s = sample(r);
    assert.equal(s.status, "fail");
    assert.match(
      s.observed,
      new RegExp(`${APP} did not finish within 2 s \\(state RUNNING\\); driver pod ${APP}-driver`),
    );
    assert.match(s.remediation, /describe sparkapplication/);
    assert.ok(a.requests.some((q) => q.method === "DELETE" && q.plural === "sparkapplications"));
    assert.deepEqual(left(a), []);
  });

  it("the driver log unreadable on failure: 'log unavailable: ...' instead of the tail", async () => {
    const { a } = await start("FAILED", { driverLog: 500 });
    const s = sample(await verify(a));
    assert.equal(s.status, "fail");
    assert.match(
      s.observed,
      new RegExp(
        `driver log tail:\\nlog unavailable: pod lakehouse/${APP}-driver: HTTP 500: kubelet unreachable`,
      ),
    );
  });

  it("rows lost between the file and the table: fail naming both counts", async () => {
    const { a } = await start("COMPLETED", { inspect: { rows: 150, totalRecords: 150 } });
    const s = sample(await verify(a));
    assert.equal(s.status, "fail");
    assert.match(s.observed, /150 rows counted through the catalog, 200 generated/);
  });

  it("no SparkApplication CRD: unknown with the fix, nothing submitted and no helper Job created", async () => {
    const { a } = await start("COMPLETED", { objects: OPERATOR.filter((o) => o !== CRD) });
    const r = await verify(a);
    const s = sample(r);
    assert.equal(s.status, "unknown");
    assert.match(
      s.observed,
      /not run: the SparkApplication CRD \(sparkapplications\.sparkoperator\.k8s\.io\) is not installed/,
    );
    assert.match(s.remediation, /Deploy the compute phase/);
    assert.deepEqual(posted(a, "sparkapplications"), []);
    assert.deepEqual(
      a.requests.filter((q) => q.method === "POST" && q.plural === "jobs" && q.namespace === NS),
      [],
    );
    assert.equal(r.status, "fail", "an unknown critical check fails the verification");
  });

  it("403 on sparkapplications: unknown naming the RBAC it needs; helper objects still removed", async () => {
    const { a } = await start("COMPLETED");
    a.setFault("sparkapplications.sparkoperator.k8s.io", 403);
    const s = sample(await verify(a));
    assert.equal(s.status, "unknown");
    assert.match(
      s.observed,
      /could not be submitted: creating SparkApplication lakehouse\/lakehouse-verify-sample-t1: HTTP 403/,
    );
    assert.match(s.remediation, /create, get and delete sparkapplications/);
    assert.deepEqual(left(a), []);
  });
});

describe("the end-to-end ingest driver (sparkApplicationIngest) against the stand-in", function () {
  this.timeout(30_000);
  let api: KubeApi | undefined;
  afterEach(async () => {
    await api?.stop();
    api = undefined;
  });
  const e2eScenarios = (run: string): Record<string, Scenario> => ({
    [`lakehouse-verify-e2e-stage-${run}`]: {
      polls: 1,
      exitCode: 0,
      log: json({ event: "sample-job-stage", ok: true, records: 3 }),
    },
    [`lakehouse-verify-e2e-cleanup-${run}`]: {
      polls: 0,
      exitCode: 0,
      log: json({ event: "sample-job-cleanup", ok: true, tables: {}, deletedObjects: 1, errors: [] }),
    },
  });
  const startE2e = async (outcome: Outcome) => {
    const posts: Posts = { items: [] };
    const record = recorder(posts);
    const a = await startKubeApi({
      objects: OPERATOR,
      extraRoutes: (req, res, body) => {
        record(req, body);
        return fakeOperator(req, res) || jobs(req, res);
      },
    });
    const fakeOperator = operator(() => a, outcome, outcome === "COMPLETED" ? DRIVER_OK : DRIVER_FAILED);
    const jobs = controller(() => a, e2eScenarios("e1"), PROM_OK);
    api = a;
    return { a, posts };
  };
  const args = {
    runId: "e1",
    fileName: "events.csv",
    body: "event_id,event_time,user_id,event_type,amount\n",
    schema: "lakehouse_verify",
    table: "e2e_e1_events",
    aggregateTable: "e2e_e1_daily",
  };
  const opts = { jobTimeoutMs: 5_000, requestTimeoutMs: 2_000, pollMs: 20 };

  it("stages the file, runs the sample job on the analytics schema's tables, returns the job's JSON line; cleanup removes the landing file", async () => {
    const { a, posts } = await startE2e("COMPLETED");
    const driver = sparkApplicationIngest(a.kubeConfig(), config, opts);
    assert.match(driver.describe, /sample SparkApplication \(sampleJobManifest\) in namespace lakehouse/);
    const out = await driver.ingest(args);
    assert.equal(out.source, "s3a://lakehouse-warehouse/landing/events/_verify/e1/");
    assert.deepEqual(out.job, {
      rows_read: 200,
      rows_merged: 200,
      table_rows: 200,
      snapshot_id: SNAP,
      aggregate_rows: 12,
    });
    const app = submitted(posts) as unknown as { metadata: { name: string }; spec: { arguments: string[] } };
    assert.equal(app.metadata.name, "lakehouse-verify-e2e-e1");
    assert.deepEqual(app.spec.arguments.slice(4), [
      "--table",
      "lakehouse.lakehouse_verify.e2e_e1_events",
      "--aggregate-table",
      "lakehouse.lakehouse_verify.e2e_e1_daily",
    ]);
    assert.deepEqual(
      left(a).sort(),
      ["ConfigMap/lakehouse-verify-e2e-files-e1", "Job/lakehouse-verify-e2e-stage-e1"].sort(),
      "kept until cleanup",
    );
    await driver.cleanup!("e1");
    assert.equal(
      jobEnv(posts).get("lakehouse-verify-e2e-cleanup-e1")!.TABLES,
      "",
      "the tables are Trino's to drop",
    );
    assert.equal(
      jobEnv(posts).get("lakehouse-verify-e2e-cleanup-e1")!.LANDING_PREFIX,
      "landing/events/_verify/e1/",
    );
    assert.deepEqual(left(a), []);
    assert.deepEqual(driver.leftovers, []);
  });

  it("a FAILED job rejects with the application, its driver pod and the log tail", async () => {
    const { a } = await startE2e("FAILED");
    const driver = sparkApplicationIngest(a.kubeConfig(), config, opts);
    await assert.rejects(driver.ingest(args), (e: Error) =>
      /SparkApplication lakehouse\/lakehouse-verify-e2e-e1 ended FAILED .*; driver pod lakehouse-verify-e2e-e1-driver; driver log tail:\n[\s\S]*AccessDeniedException/.test(
        e.message,
      ),
    );
    await driver.cleanup!("e1");
    assert.deepEqual(left(a), []);
  });
});

describe("verify analytics: which ingest driver", function () {
  this.timeout(20_000);
  it("the SparkApplication driver when the CRD is served; otherwise a reason naming what is missing", async () => {
    const a = await startKubeApi({ objects: [CRD] });
    try {
      const got = await resolveIngest(a.kubeConfig(), config, {
        requestTimeoutMs: 2_000,
        jobTimeoutMs: 5_000,
      });
      assert.ok(got.ingest, "a driver");
      assert.match(got.ingest.describe, /sampleJobManifest/);
    } finally {
      await a.stop();
    }
    const b = await startKubeApi({ objects: [] });
    try {
      const got = await resolveIngest(b.kubeConfig(), config, {
        requestTimeoutMs: 2_000,
        jobTimeoutMs: 5_000,
      });
      assert.equal(got.ingest, undefined);
      assert.match(got.unavailable!, /CRD sparkapplications\.sparkoperator\.k8s\.io is not installed/);
      assert.notEqual(got.unavailable, INGEST_UNAVAILABLE);
      b.setFault("customresourcedefinitions", 403);
      const denied = await resolveIngest(b.kubeConfig(), config, {
        requestTimeoutMs: 2_000,
        jobTimeoutMs: 5_000,
      });
      assert.match(denied.unavailable!, /could not be read: HTTP 403/);
    } finally {
      await b.stop();
    }
  });
});

describe("deploy/rbac/verify-compute.yaml", function () {
  this.timeout(30_000);
  interface Rule {
    apiGroups?: string[];
    resources?: string[];
    resourceNames?: string[];
    verbs?: string[];
  }
  interface Doc {
    kind: string;
    metadata: { name: string; namespace?: string };
    rules?: Rule[];
  }
  const file = path.resolve(__dirname, "..", "..", "deploy", "rbac", "verify-compute.yaml");
  const docs = parseAllDocuments(fs.readFileSync(file, "utf8")).map((d) => d.toJSON() as Doc);
  /** RBAC's resource of a request: pod logs are the `pods/log` subresource. */
  const resourceOf = (r: RecordedRequest) => (r.path.endsWith("/log") ? `${r.plural}/log` : (r.plural ?? ""));
  const matching = (r: RecordedRequest): Rule[] =>
    docs.flatMap((d) =>
      (d.kind === "ClusterRole" || (d.kind === "Role" && d.metadata.namespace === r.namespace)
        ? (d.rules ?? [])
        : []
      ).filter(
        (rule) =>
          (rule.apiGroups ?? []).includes(r.group ?? "") &&
          (rule.resources ?? []).includes(resourceOf(r)) &&
          (rule.verbs ?? []).includes(r.verb) &&
          (!rule.resourceNames || (r.name !== undefined && rule.resourceNames.includes(r.name))),
      ),
    );

  it("is enough for the whole compute verification (and the analytics driver lookup), and reads no Secret", async () => {
    const posts: Posts = { items: [] };
    const record = recorder(posts);
    const a: KubeApi = await startKubeApi({
      objects: OPERATOR,
      authorize: (r) => matching(r).length > 0,
      extraRoutes: (req, res, body) => {
        record(req, body);
        return fakeOperator(req, res) || jobs(req, res);
      },
    });
    const fakeOperator = operator(() => a, "COMPLETED", DRIVER_OK);
    const jobs = controller(() => a, helper("t1"), PROM_OK);
    try {
      const r = await runVerification({
        config,
        phase: "compute",
        kc: a.kubeConfig(),
        pollMs: 20,
        jobTimeoutMs: 5_000,
        requestTimeoutMs: 2_000,
        runId: "t1",
        now: () => now,
      });
      const denied = a.requests.filter((q) => q.status === 403).map((q) => `${q.verb} ${q.path}`);
      assert.deepEqual(denied, [], "nothing was denied");
      assert.equal(r.status, "pass", r.summary);
      const ingest = await resolveIngest(a.kubeConfig(), config, {
        requestTimeoutMs: 2_000,
        jobTimeoutMs: 5_000,
      });
      assert.ok(ingest.ingest, ingest.unavailable);
      assert.ok(a.requests.every((q) => q.status !== 403));
      // Nothing granted goes unused, except watch on sparkapplications (for `kubectl get -w` by hand); list is
      // how verify.airflow-dag finds the application its DAG run submitted.
      const used = new Set(
        a.requests.flatMap((q) =>
          matching(q).flatMap((rule) =>
            (rule.verbs ?? [])
              .filter((v) => v === q.verb)
              .map((v) => `${(rule.resources ?? []).join()}:${v}`),
          ),
        ),
      );
      const granted = docs.flatMap((d) =>
        (d.rules ?? []).flatMap((rule) =>
          (rule.verbs ?? []).map((v) => `${(rule.resources ?? []).join()}:${v}`),
        ),
      );
      const unused = [...new Set(granted)].filter((g) => !used.has(g));
      assert.deepEqual(unused.sort(), ["sparkapplications:watch"]);
      assert.ok(
        !docs.some((d) => (d.rules ?? []).some((rule) => (rule.resources ?? []).includes("secrets"))),
      );
    } finally {
      await a.stop();
    }
  });
});
