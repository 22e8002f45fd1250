/**
 * The Airflow DAG for real (the DAG submission contract): dags/lakehouse_ingest.py loaded by Airflow's own DagBag in a venv of
 * the current Airflow 3 line (3.3.2) and of 2.10.5, each with apache-airflow-providers-cncf-kubernetes
 * (.ci/setup.d/55-airflow.sh), from a folder holding exactly the program's DAG ConfigMap data
 * (dagConfigMapData). Asserts no import errors, the dag id, task, schedule and retries, unpaused at creation by
 * default (paused with compute.dagPausedAtCreation), and that the SparkApplication the operator's launcher
 * would submit is exactly the manifest written beside the DAG, with only metadata.name replaced by the
 * operator's run name, for a scheduled run (the params' defaults); a triggered run's conf replaces the job's
 * source and tables and adds labels, nothing else. A DAG folder without the manifest is a broken DAG whose
 * error names the missing file.
 */
import { strict as assert } from "node:assert";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { configSchema } from "../../preflight/config/schema";
import { DAG_PATH, readShippedFile } from "../../stacks/compute";
import { dagConfigMapData } from "../../stacks/compute/airflowIntegration";
import {
  sampleJobArgs,
  sampleJobManifest,
  sampleJobManifestYaml,
  type SparkApplicationManifest,
} from "../../stacks/compute/sparkApplication";
import { dagRunConf, dagRunTables } from "../../verify/compute/airflowRun";
import { runProcess } from "./spark";

const PROBE = path.join(__dirname, "dagbag_probe.py");
const MANIFEST_FILE = "lakehouse_ingest.spark-application.yaml";

function cacheDir(): string {
  return process.env.LAKEHOUSE_CACHE ?? path.join(os.homedir(), ".cache", "lakehouse");
}

/**
 * The SparkApplication the DAG must submit: the program's own, rendered by the function the compute phase uses
 * for its DAG ConfigMap (stacks/compute/sampleJob.ts), from the default stack config. One template, not two.
 */
function manifest(): Record<string, unknown> {
  return sampleJobManifest(sampleJobArgs(configSchema.parse({}))) as unknown as Record<string, unknown>;
}

const LINES = [
  { airflow: "3.3.2", provider: "10.25.0" },
  { airflow: "2.10.5", provider: "10.10.0" },
];

for (const line of LINES) {
  describe(`compute engines: dags/lakehouse_ingest.py in Airflow ${line.airflow} (DagBag, real)`, function () {
    this.timeout(600_000);
    const venv = path.join(cacheDir(), `airflow-${line.airflow}`);
    const python = path.join(venv, "bin", "python");
    let work: string;
    let probe: Record<string, unknown>;
    const want = manifest();
    // What verify.airflow-dag passes as the run's conf.
    const runConf = dagRunConf(
      "s3a://lakehouse-warehouse/landing/events/_verify/r1-dag/",
      dagRunTables(configSchema.parse({}), "r1"),
      "r1",
    );

    before(async () => {
      if (!fs.existsSync(python)) {
        throw new Error(
          `Airflow ${line.airflow} not installed: run bash .ci/setup.d/55-airflow.sh (missing ${python}).`,
        );
      }
      work = fs.mkdtempSync(path.join(os.tmpdir(), "lakehouse-dag-"));
      // As the program ships them: the ConfigMap's keys (the rendered DAG and the manifest) in one folder.
      const dags = path.join(work, "dags");
      const broken = path.join(work, "broken");
      const paused = path.join(work, "paused");
      const text = sampleJobManifestYaml(want as unknown as SparkApplicationManifest);
      const write = (dir: string, files: Record<string, string>) => {
        fs.mkdirSync(dir);
        for (const [name, body] of Object.entries(files)) fs.writeFileSync(path.join(dir, name), body);
      };
      const source = readShippedFile(DAG_PATH, "the Airflow DAG");
      write(dags, dagConfigMapData(configSchema.parse({}), source, text));
      write(
        paused,
        dagConfigMapData(configSchema.parse({ compute: { dagPausedAtCreation: true } }), source, text),
      );
      // The ConfigMap without its manifest key.
      write(broken, {
        "lakehouse_ingest.py": dagConfigMapData(configSchema.parse({}), source, "")["lakehouse_ingest.py"],
      });
      const r = await runProcess(
        python,
        [PROBE, dags, "lakehouse_ingest", "ingest", broken],
        {
          PATH: `${path.join(venv, "bin")}:/usr/bin:/bin`,
          HOME: work,
          AIRFLOW_HOME: path.join(work, "airflow"),
          AIRFLOW__CORE__LOAD_EXAMPLES: "False",
          AIRFLOW__CORE__DAGS_FOLDER: dags,
          PROBE_PARAMS: JSON.stringify(runConf),
          PROBE_PAUSED_FOLDER: paused,
        },
        540_000,
      );
      assert.equal(r.code, 0, `dagbag_probe.py exited ${r.code}: ${r.stderr.slice(-2000)}`);
      assert.ok(r.result, `no JSON from dagbag_probe.py: ${r.stdout.slice(-1000)}`);
      probe = r.result;
    });
    after(() => {
      if (work) fs.rmSync(work, { recursive: true, force: true });
    });

    it("runs the Airflow and provider versions it says", () => {
      assert.equal(probe.airflow, line.airflow);
      assert.equal(probe.provider, line.provider);
    });

    it("imports with no errors as DAG lakehouse_ingest with one SparkKubernetesOperator task", () => {
      assert.deepEqual(probe.import_errors, {});
      assert.deepEqual(probe.dag_ids, ["lakehouse_ingest"]);
      assert.deepEqual(probe.task_ids, ["ingest"]);
      // The DAG's thin subclass (run parameters, fail_fast) of the provider's SparkKubernetesOperator.
      assert.match(String(probe.operator), /\.LakehouseSparkKubernetesOperator$/);
      assert.equal(probe.is_spark_kubernetes_operator, true);
    });

    it("is created unpaused as delivered by default, paused with compute.dagPausedAtCreation", () => {
      assert.equal(probe.paused_upon_creation, false);
      assert.equal(probe.other_folder_paused_upon_creation, true);
    });

    it("has run parameters whose defaults are the manifest's own values, so a scheduled run submits it unchanged", () => {
      const args = (want.spec as { arguments: string[] }).arguments;
      const arg = (flag: string) => args[args.indexOf(flag) + 1];
      assert.deepEqual(probe.params, {
        source: arg("--source"),
        table: arg("--table"),
        aggregate_table: arg("--aggregate-table"),
        labels: {},
        fail_fast: false,
      });
      assert.deepEqual(probe.submitted_with_defaults, probe.submitted);
    });

    it("a triggered run's conf replaces the job's source and tables and adds its labels, nothing else", () => {
      const meta = want.metadata as { name: string; namespace: string; labels: Record<string, string> };
      const spec = want.spec as {
        arguments: string[];
        driver: { labels: Record<string, string> };
        executor: { labels: Record<string, string> };
      };
      const labels = runConf.labels as Record<string, string>;
      assert.deepEqual(probe.submitted_with_params, {
        ...want,
        metadata: { ...meta, name: "SUBMITTED-NAME", labels: { ...meta.labels, ...labels } },
        spec: {
          ...spec,
          arguments: [
            "--source",
            runConf.source,
            "--format",
            "csv",
            "--table",
            runConf.table,
            "--aggregate-table",
            runConf.aggregate_table,
          ],
          driver: { ...spec.driver, labels: { ...spec.driver.labels, ...labels } },
          executor: { ...spec.executor, labels: { ...spec.executor.labels, ...labels } },
        },
      });
    });

    it("runs daily, one run at a time, no catch-up, 2 retries 5 minutes apart", () => {
      assert.equal(probe.schedule, "@daily");
      assert.equal(probe.catchup, false);
      assert.equal(probe.max_active_runs, 1);
      assert.equal(probe.retries, 2);
      assert.equal(probe.retry_delay_s, 300);
    });

    it("submits exactly the manifest beside it, in its namespace, under its name", () => {
      const meta = want.metadata as { name: string; namespace: string };
      // DagBag resolves template files at parse time: application_file now holds the text of the file beside the DAG.
      // (Whether the final newline survives differs between Airflow versions' Jinja settings.)
      assert.equal(
        String(probe.application_file).trimEnd(),
        fs.readFileSync(path.join(work, "dags", MANIFEST_FILE), "utf8").trimEnd(),
      );
      assert.equal(
        String(probe.application_file_rendered).trimEnd(),
        String(probe.application_file).trimEnd(),
      );
      assert.equal(probe.namespace, meta.namespace);
      assert.equal(probe.name, meta.name);
      assert.equal(probe.api, "sparkoperator.k8s.io/v1beta2");
      assert.equal(probe.plural, "sparkapplications");
      // The launcher replaces metadata.name with the run's name (the manifest's plus a random suffix).
      assert.deepEqual(probe.submitted, { ...want, metadata: { ...meta, name: "SUBMITTED-NAME" } });
    });

    it("is a broken DAG naming the missing manifest when the file is not beside it", () => {
      const errors = Object.values(probe.broken_import_errors as Record<string, string>);
      assert.equal(errors.length, 1);
      assert.match(errors[0]!, /lakehouse_ingest\.spark-application\.yaml is missing: .*ConfigMap key/);
    });
  });
}
