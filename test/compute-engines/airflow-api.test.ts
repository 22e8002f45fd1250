/**
 * `verify.airflow-dag` against a real Airflow, for each supported line (3.3.2 with api-server, dag-processor and
 * scheduler; 2.10.5 with webserver and scheduler; harness/airflow.ts), each started once for all its cases:
 *
 * - the DAG folder holds exactly what the program's DAG ConfigMap carries (dagConfigMapData: the rendered DAG and
 *   the manifest sampleJobManifestYaml renders from the stack config), nothing copied by hand;
 * - the check's own script (verify/compute/scripts/airflow_dag_check.py, run with the system python as the Job's
 *   python:3 image would) talks to the real REST API (v2 with a token from /auth/token, v1 with basic auth):
 *   found and unpaused as delivered, paused, a wrong password, an import error; its output goes through the
 *   observer's mapping (airflowObservation, dagRunReport) and the check's evaluate;
 * - a triggered run: the script creates a DAG run with the verification's conf, the scheduler runs the real
 *   task (the DAG's SparkKubernetesOperator subclass, provider 10.x), which submits the SparkApplication to the
 *   real kube-apiserver (harness/kube-control-plane.ts) as the Airflow workers' ServiceAccount bound by the
 *   program's own Role (airflowSparkRules), with the kubernetes_default connection pointing at it. A stand-in
 *   operator (test/e2e/spark-operator.ts) plays the driver pod and the application's state: COMPLETED makes the
 *   DAG run succeed, FAILED makes it fail on the first try (fail_fast), and the script's report names both.
 *
 * Not here: a real Spark run (no kubelet; verify.sample-job and test/compute-engines run the job for real).
 */
import { strict as assert } from "node:assert";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { configSchema, type LakehouseConfig } from "../../preflight/config/schema";
import { DAG_PATH, readShippedFile } from "../../stacks/compute";
import { airflowSparkRules, dagConfigMapData } from "../../stacks/compute/airflowIntegration";
import { COMPUTE_NAMES, MANIFEST_FILE, airflowServiceAccount } from "../../stacks/compute/names";
import {
  sampleJobArgs,
  sampleJobManifest,
  sampleJobManifestYaml,
} from "../../stacks/compute/sparkApplication";
import { dagRunConf, dagRunId, dagRunReport, dagRunTables } from "../../verify/compute/airflowRun";
import { airflowDag, describeDagRun } from "../../verify/compute/checks/airflowDag";
import { AIRFLOW_SCRIPT, airflowObservation } from "../../verify/compute/observe";
import type { ComputeObservations, JobObservation } from "../../verify/types";
import { AIRFLOW_LINES, startAirflow, type Airflow } from "../../harness/airflow";
import {
  controlPlaneHint,
  sharedControlPlane,
  stopSharedControlPlane,
  type ControlPlane,
  type Obj,
} from "../../harness/kube-control-plane";
import {
  startSparkOperatorStandIn,
  type SparkOperatorStandIn,
  type SparkOutcome,
} from "../e2e/spark-operator";
import { e2eCrds } from "../e2e/fixtures/crds";
import { PutObjectCommand, ListObjectsV2Command, type S3Client } from "@aws-sdk/client-s3";
import { generateEvents } from "../../verify/compute/events";
import { SAMPLE_IO_SCRIPT } from "../../verify/compute/sampleJobRun";
import { s3Client } from "../../harness/radosgw";
import { runScript } from "../foundation-scripts/helpers";
import { sharedLakehouse, type Lakehouse } from "../../harness/lakehouse";
import { localSparkConf, runProcess, sparkInstall, submitJob, type SparkInstall } from "./spark";

const DAG_ID = "lakehouse_ingest";
/**
 * The Airflow lines whose COMPLETED run also runs the real job (spark-submit on the shared radosgw + HMS) and the
 * check's own inspect/cleanup: the current line; 2.10.5 shows the same Airflow side with the stand-in's outcome
 * only, to keep the suite's wall time lean (a Spark run is ~1 min here).
 */
const REAL_SPARK = new Set(["3.3.2"]);

/** The script's output as the observer receives it from the Job's log. */
const asJob = (result: Record<string, unknown> | undefined): JobObservation => ({
  state: "completed",
  job: "airflow-dag",
  succeeded: true,
  exitCode: 0,
  result: result ?? null,
  logTail: "",
  durationMs: 1,
});

// The control plane is shared with the e2e suite: stopped once, after the whole run (as the e2e files do).
after(async function () {
  this.timeout(120_000);
  await stopSharedControlPlane();
});

for (const line of AIRFLOW_LINES) {
  const tag = line.version.split(".")[0];
  describe(`compute engines: verify.airflow-dag on a real Airflow ${line.version} REST API (${line.api})`, function () {
    this.timeout(900_000);
    // Namespaces of their own: the e2e suite deploys the program into `lakehouse` on the same control plane.
    const config: LakehouseConfig = configSchema.parse({
      platform: { namespace: `lakehouse-af${tag}` },
      cluster: { airflowNamespace: `airflow-af${tag}` },
      compute: { airflowApiVersion: line.api },
    });
    const ns = config.platform.namespace;
    let cp: ControlPlane;
    let af: Airflow;
    let work: string;
    let operator: SparkOperatorStandIn | undefined;
    let outcome: SparkOutcome = "COMPLETED";
    /** How the stand-in operator ends an application: the plain outcome, or the real job's exit. */
    let decider: (app: Obj) => SparkOutcome | Promise<SparkOutcome> = () => outcome;

    /** Runs the check's script as the Job would (its env), with the system python. */
    const script = async (env: Record<string, string> = {}): Promise<Record<string, unknown>> => {
      const r = await runProcess(
        "python3",
        [AIRFLOW_SCRIPT],
        {
          PATH: "/usr/bin:/bin",
          AIRFLOW_URL: af.url,
          AIRFLOW_API: line.api,
          DAG_ID,
          AIRFLOW_USERNAME: af.username,
          AIRFLOW_PASSWORD: af.password,
          ...env,
        },
        600_000,
      );
      assert.equal(r.code, 0, `airflow_dag_check.py exited ${r.code}: ${r.stderr.slice(-2000)}`);
      assert.ok(r.result, `no JSON line from airflow_dag_check.py: ${r.stdout.slice(-1000)}`);
      assert.ok(!r.stdout.includes(af.password), "the password is never printed");
      return r.result;
    };
    const check = (o: Partial<ComputeObservations>) =>
      airflowDag.evaluate(
        {
          operator: { state: "error", message: "not under test" },
          airflowDag: { state: "unreachable", target: "", message: "not under test" },
          sampleJob: { state: "skipped", reason: "not under test", fix: "" },
          airflowRun: { state: "skipped", reason: "not under test", fix: "" },
          ...o,
        },
        { config, now: new Date() },
      );
    const setPaused = async (paused: boolean): Promise<void> => {
      const r = await af.request("PATCH", `/dags/${DAG_ID}`, { is_paused: paused });
      assert.equal(r.status, 200, JSON.stringify(r.body));
    };

    before(async function () {
      const hint = controlPlaneHint();
      if (hint) throw new Error(hint);
      work = fs.mkdtempSync(path.join(os.tmpdir(), `lakehouse-airflow-api-${tag}-`));
      const dags = path.join(work, "dags");
      fs.mkdirSync(dags);
      // The DAG folder exactly as the program's ConfigMap carries it.
      const manifestYaml = sampleJobManifestYaml(sampleJobManifest(sampleJobArgs(config)));
      const files = dagConfigMapData(config, readShippedFile(DAG_PATH, "the Airflow DAG"), manifestYaml);
      for (const [name, text] of Object.entries(files)) fs.writeFileSync(path.join(dags, name), text);
      const kubeconfig = path.join(work, "airflow-worker.kubeconfig");

      const startCluster = async (): Promise<void> => {
        cp = await sharedControlPlane();
        for (const n of [ns, config.cluster.airflowNamespace]) {
          await cp.apply({ apiVersion: "v1", kind: "Namespace", metadata: { name: n } });
        }
        const crd = e2eCrds().find(
          (c) => (c.metadata as { name: string }).name === "sparkapplications.sparkoperator.k8s.io",
        );
        await cp.apply(crd as never);
        await cp.waitForObject(
          "apiextensions.k8s.io/v1",
          "CustomResourceDefinition",
          "sparkapplications.sparkoperator.k8s.io",
          undefined,
          "the SparkApplication CRD Established",
          (o) =>
            ((o.status as { conditions?: { type: string; status: string }[] })?.conditions ?? []).some(
              (c) => c.type === "Established" && c.status === "True",
            ),
        );
        // The program's Role and RoleBinding (airflowIntegration.ts), for the workers' ServiceAccount.
        const sa = airflowServiceAccount(config);
        await cp.apply({
          apiVersion: "rbac.authorization.k8s.io/v1",
          kind: "Role",
          metadata: { name: COMPUTE_NAMES.airflowRole, namespace: ns },
          rules: airflowSparkRules(),
        });
        await cp.apply({
          apiVersion: "rbac.authorization.k8s.io/v1",
          kind: "RoleBinding",
          metadata: { name: COMPUTE_NAMES.airflowRole, namespace: ns },
          roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "Role", name: COMPUTE_NAMES.airflowRole },
          subjects: [{ kind: "ServiceAccount", name: sa, namespace: config.cluster.airflowNamespace }],
        });
        const token = await cp.serviceAccountToken(config.cluster.airflowNamespace, sa);
        cp.writeKubeconfig(kubeconfig, token, "airflow-worker");
        // Pods need the namespace's default ServiceAccount (the controller-manager creates it).
        await cp.waitForObject(
          "v1",
          "ServiceAccount",
          "default",
          ns,
          `ServiceAccount ${ns}/default`,
          () => true,
        );
      };
      // The control plane and Airflow start side by side; the scheduler (which at once starts the unpaused
      // DAG's first scheduled run) only once the cluster, the task's connection and the stand-in are there.
      const cluster = startCluster().then(() => {
        operator = startSparkOperatorStandIn(cp, ns, (app) => decider(app));
      });
      [af] = await Promise.all([
        startAirflow(line, {
          dagsFolder: dags,
          schedulerAfter: cluster,
          env: {
            AIRFLOW_CONN_KUBERNETES_DEFAULT: JSON.stringify({
              conn_type: "kubernetes",
              extra: { kube_config_path: kubeconfig, in_cluster: false },
            }),
          },
        }),
        cluster,
      ]);
      await af.waitForApi(
        `/dags/${DAG_ID}`,
        `DAG ${DAG_ID} listed by Airflow ${line.version}`,
        (b) => (b as { dag_id?: string }).dag_id === DAG_ID,
        180_000,
      );
    });
    after(async () => {
      await operator?.stop();
      await af?.stop();
      if (cp) {
        for (const n of [ns, config.cluster.airflowNamespace]) await cp.remove("v1", "Namespace", n);
      }
      if (work) fs.rmSync(work, { recursive: true, force: true });
    });

    it("found: the DAG as the ConfigMap carries it is loaded, unpaused (as delivered) and without import errors", async () => {
      const out = await script();
      assert.equal(out.stage, "done", JSON.stringify(out));
      assert.deepEqual(out.import_errors, []);
      const dag = out.dag as { found: boolean; is_paused: boolean; fileloc: string };
      assert.equal(dag.found, true);
      assert.equal(
        dag.is_paused,
        false,
        "delivered unpaused (compute.dagPausedAtCreation defaults to false)",
      );
      assert.equal(path.basename(dag.fileloc), "lakehouse_ingest.py");
      const o = airflowObservation(config, asJob(out));
      assert.deepEqual(o, {
        state: "ok",
        api: line.api,
        dag: { found: true, isPaused: false, fileloc: dag.fileloc },
        importErrors: [],
      });
    });

    it("delivered unpaused, it runs: the scheduler starts one scheduled run by itself, which submits the manifest unchanged and succeeds", async () => {
      const runs = (await af.waitForApi(
        `/dags/${DAG_ID}/dagRuns`,
        "the first scheduled run to succeed",
        (b) =>
          ((b as { dag_runs?: { run_type: string; state: string }[] }).dag_runs ?? []).some(
            (r) => r.run_type === "scheduled" && r.state === "success",
          ),
        300_000,
      )) as { dag_runs: { run_type: string }[] };
      assert.equal(runs.dag_runs.length, 1, "catchup=False: one run, not one per day since the start date");
      const apps = [...operator!.submitted.values()];
      assert.equal(apps.length, 1, "one SparkApplication");
      const want = sampleJobManifest(sampleJobArgs(config));
      assert.deepEqual((apps[0].spec as { arguments: string[] }).arguments, want.spec.arguments);
      assert.equal(operator!.finished.get(apps[0].metadata!.name!), "COMPLETED");
    });

    it("wrong password: the API refuses, the check is unknown naming the Secret", async () => {
      const out = await script({ AIRFLOW_PASSWORD: "not-the-password" });
      assert.equal(out.stage, "auth", JSON.stringify(out));
      assert.equal(out.status, 401);
      const o = airflowObservation(config, asJob(out));
      assert.equal(o.state, "unauthorized");
      const c = check({ airflowDag: o });
      assert.equal(c.status, "unknown");
      assert.match(
        c.remediation,
        new RegExp(`Secret ${config.cluster.airflowNamespace}/lakehouse-airflow-api`),
      );
    });

    it("paused: the check warns, and the script triggers nothing", async () => {
      await setPaused(true);
      try {
        const out = await script({ TRIGGER_RUN_ID: dagRunId("paused"), TRIGGER_CONF: "{}" });
        assert.equal((out.dag as { is_paused: boolean }).is_paused, true);
        assert.deepEqual(out.run, {
          dag_run_id: "lakehouse_verify_paused",
          triggered: false,
          reason: "paused",
        });
        const run = await af.request("GET", `/dags/${DAG_ID}/dagRuns/lakehouse_verify_paused`);
        assert.equal(run.status, 404, "no run was created");
        const c = check({ airflowDag: airflowObservation(config, asJob(out)) });
        assert.equal(c.status, "warn");
        assert.match(c.observed, /it is paused, so it will not run on schedule, and no run was triggered/);
        assert.match(c.remediation, /airflow dags unpause lakehouse_ingest/);
      } finally {
        await setPaused(false);
      }
    });

    it("a run conf Airflow refuses (a table name that is not CATALOG.DB.TABLE): HTTP 400 naming the parameter", async () => {
      const out = await script({
        TRIGGER_RUN_ID: dagRunId("badconf"),
        TRIGGER_CONF: JSON.stringify({ table: "not a table" }),
      });
      const report = dagRunReport(asJob(out))!;
      assert.equal(report.triggered, false, JSON.stringify(out));
      assert.equal(report.status, 400);
      assert.match(report.detail ?? "", /table/);
    });

    const trigger = async (runId: string, want: SparkOutcome, source: string) => {
      outcome = want;
      const tables = dagRunTables(config, runId);
      const conf = dagRunConf(source, tables, runId);
      const out = await script({
        TRIGGER_RUN_ID: dagRunId(runId),
        TRIGGER_CONF: JSON.stringify(conf),
        WAIT_SECONDS: "300",
        POLL_SECONDS: "1",
      });
      const report = dagRunReport(asJob(out));
      assert.ok(report, JSON.stringify(out));
      // The application the task submitted: the manifest with the run's parameters and labels.
      const apps = [...operator!.submitted.values()].filter(
        (a) =>
          (a.metadata as { labels?: Record<string, string> }).labels?.["lakehouse.dev/verify-run"] === runId,
      );
      return { out, report, apps, conf };
    };

    it(`triggered run, the application COMPLETED: the task submits the manifest with the run's parameters and the run succeeds${REAL_SPARK.has(line.version) ? "; the real job lands the rows the check counts" : ""}`, async () => {
      const real = REAL_SPARK.has(line.version);
      const runId = `${tag}ok${Date.now().toString(36)}`;
      const gen = generateEvents(runId, 200, new Date());
      const tables = dagRunTables(config, runId);
      const prefix = `${config.compute.sampleJob.landingPrefix}_verify/${runId}-dag/`;
      let lake: { lh: Lakehouse; spark: SparkInstall; s3: S3Client } | undefined;
      if (real) {
        // The scratch landing file, as the check's stage Job writes it, then the real job on the application's
        // arguments when the stand-in operator "runs" it.
        const lh = await sharedLakehouse();
        assert.equal(lh.bucket, config.foundation.warehouseBucket);
        lake = { lh, spark: sparkInstall(), s3: s3Client(lh.rgw) };
        await lake.s3.send(
          new PutObjectCommand({ Bucket: lh.bucket, Key: `${prefix}events.csv`, Body: gen.csv }),
        );
        decider = async (app) => {
          const r = await submitJob({
            install: lake!.spark,
            conf: localSparkConf(
              {
                metastoreUri: lh.hms.uri,
                bucket: lh.bucket,
                s3Endpoint: lh.rgw.endpoint,
                s3Region: lh.rgw.region,
              },
              lake!.spark,
            ),
            credentials: lh.rgw,
            workDir: work,
            args: (app.spec as { arguments: string[] }).arguments,
          });
          process.stderr.write(
            `      [DAG run's job] spark-submit ${(r.ms / 1000).toFixed(0)} s, exit ${r.code}\n`,
          );
          return r.code === 0 ? "COMPLETED" : "FAILED";
        };
      }
      const { report, apps, conf } = await trigger(
        runId,
        "COMPLETED",
        `s3a://${config.foundation.warehouseBucket}/${prefix}`,
      );
      assert.equal(report.triggered, true);
      assert.equal(report.state, "success", `${JSON.stringify(report)}\n${af.logs(40)}`);
      assert.deepEqual(report.tasks, [{ taskId: "ingest", state: "success", tryNumber: 1 }]);
      assert.equal(apps.length, 1, "one SparkApplication with the run's labels");
      const app = apps[0];
      const spec = app.spec as { arguments: string[]; driver: { labels: Record<string, string> } };
      assert.deepEqual(spec.arguments, [
        "--source",
        conf.source,
        "--format",
        "csv",
        "--table",
        conf.table,
        "--aggregate-table",
        conf.aggregate_table,
      ]);
      assert.equal(spec.driver.labels["lakehouse.dev/check"], "verify.airflow-dag");
      assert.match(app.metadata!.name!, /^lakehouse-ingest-[a-z0-9]+$/);
      // Everything else is the program's manifest: the task changed only the arguments and added labels.
      const want = sampleJobManifest(sampleJobArgs(config));
      assert.equal((app.spec as { image: string }).image, want.spec.image);
      assert.deepEqual((app.spec as { sparkConf: unknown }).sparkConf, want.spec.sparkConf);
      assert.equal(operator!.finished.get(app.metadata!.name!), "COMPLETED");
      // delete_on_termination: Airflow removed the application once its task ended.
      assert.equal(
        await cp.get("sparkoperator.k8s.io/v1beta2", "SparkApplication", app.metadata!.name!, ns),
        undefined,
      );
      if (!lake) return;

      // The check on what was observed: the rows read back through the catalog by the check's own script.
      const io = async (mode: "inspect" | "cleanup", env: Record<string, string>) => {
        const r = await runScript(
          lake!.spark.python,
          [SAMPLE_IO_SCRIPT, mode],
          {
            S3_ENDPOINT: lake!.lh.rgw.endpoint,
            S3_BUCKET: lake!.lh.bucket,
            AWS_ACCESS_KEY_ID: lake!.lh.rgw.accessKeyId,
            AWS_SECRET_ACCESS_KEY: lake!.lh.rgw.secretAccessKey,
            AWS_REGION: lake!.lh.rgw.region,
            METASTORE_URI: lake!.lh.hms.uri,
            HOME: work,
            TMPDIR: work,
            ...env,
          },
          300_000,
        );
        assert.ok(r.json, `${mode} printed no JSON line (exit ${r.code}):\n${r.stderr.slice(-2000)}`);
        return asJob(r.json);
      };
      const inspect = await io("inspect", { TABLE: tables.table, AGGREGATE_TABLE: tables.aggregateTable });
      const cleanup = await io("cleanup", {
        TABLES: `${tables.table},${tables.aggregateTable}`,
        LANDING_PREFIX: prefix,
      });
      const seen = [
        {
          name: app.metadata!.name!,
          namespace: ns,
          state: "COMPLETED",
          errorMessage: "",
          driverPod: `${app.metadata!.name}-driver`,
        },
      ];
      const out = check({
        airflowDag: {
          state: "ok",
          api: line.api,
          dag: { found: true, isPaused: false, fileloc: "/dags/lakehouse_ingest.py" },
          importErrors: [],
        },
        airflowRun: {
          state: "ran",
          dagRunId: report.dagRunId,
          source: String(conf.source),
          table: String(conf.table),
          aggregateTable: String(conf.aggregate_table),
          rowsGenerated: gen.rows,
          stage: asJob({ ok: true }),
          trigger: asJob({ stage: "done" }),
          report,
          applications: seen,
          watchError: null,
          inspect,
          cleanup,
          leftovers: [],
        },
      });
      assert.equal(out.status, "pass", out.observed);
      assert.match(
        out.observed,
        new RegExp(
          `DAG run ${report.dagRunId} success; task ingest success \\(try 1\\); .*200 rows generated = counted through the catalog in ${conf.table}`,
        ),
      );
      const left = await lake.s3.send(new ListObjectsV2Command({ Bucket: lake.lh.bucket, Prefix: prefix }));
      assert.deepEqual(left.Contents ?? [], [], "the landing folder is gone");
      lake.s3.destroy();
    });

    it("triggered run, the application FAILED: the run fails on the first try, naming the DAG run, the task and the application", async () => {
      decider = () => outcome;
      const { report, apps } = await trigger(
        "fail1",
        "FAILED",
        "s3a://lakehouse-warehouse/landing/events/_verify/fail1-dag/",
      );
      assert.equal(report.state, "failed", `${JSON.stringify(report)}\n${af.logs(40)}`);
      assert.deepEqual(
        report.tasks,
        [{ taskId: "ingest", state: "failed", tryNumber: 1 }],
        "fail_fast: no retry",
      );
      assert.equal(report.failedTask, "ingest");
      assert.equal(report.markedFailed, false, "the run failed on its own");
      assert.equal(apps.length, 1);
      const name = apps[0].metadata!.name!;
      assert.match(report.logTail, /fail_fast: not retried/);
      const seen = [
        {
          name,
          namespace: ns,
          state: "FAILED",
          errorMessage: "driver container failed with ExitCode: 1, Reason: Error",
          driverPod: `${name}-driver`,
        },
      ];
      assert.match(
        describeDagRun(report, seen),
        new RegExp(
          `^DAG run lakehouse_verify_fail1 failed; task ingest failed \\(try 1\\); SparkApplication ${ns}/${name} FAILED \\(driver container failed`,
        ),
      );
    });

    it("import error: the manifest missing from the DAG folder is a broken DAG, and the check fails naming it", async () => {
      fs.rmSync(path.join(af.dagsFolder, MANIFEST_FILE));
      await af.waitForApi(
        "/importErrors",
        "an import error for lakehouse_ingest.py",
        (b) =>
          ((b as { import_errors?: { filename: string }[] }).import_errors ?? []).some((e) =>
            e.filename.endsWith("lakehouse_ingest.py"),
          ),
        120_000,
      );
      const out = await script({ TRIGGER_RUN_ID: dagRunId("broken"), TRIGGER_CONF: "{}" });
      assert.deepEqual(out.run, {
        dag_run_id: "lakehouse_verify_broken",
        triggered: false,
        reason: "import error",
      });
      const o = airflowObservation(config, asJob(out));
      assert.equal(o.state, "ok");
      const c = check({ airflowDag: o });
      assert.equal(c.status, "fail");
      assert.match(
        c.observed,
        /import error\(s\); .*lakehouse_ingest\.py: FileNotFoundError: .*lakehouse_ingest\.spark-application\.yaml is missing/,
      );
    });
  });
}
