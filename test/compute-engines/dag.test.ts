/**
 * The Airflow DAG for real (contract C4): dags/lakehouse_ingest.py loaded by Airflow's own DagBag in a venv of
 * the current Airflow 3 line (3.3.2) and of 2.10.5, each with apache-airflow-providers-cncf-kubernetes
 * (.ci/setup.d/55-airflow.sh). Asserts no import errors, the dag id, task, schedule and retries, and that the
 * SparkApplication the operator's launcher would submit is exactly the manifest written beside the DAG (as the
 * program writes it into the DAG ConfigMap), with only metadata.name replaced by the operator's run name.
 * A DAG folder without the manifest is a broken DAG whose error names the missing file.
 */
import { strict as assert } from "node:assert";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { configSchema } from "../../preflight/config/schema";
import {
  sampleJobArgs,
  sampleJobManifest,
  sampleJobManifestYaml,
  type SparkApplicationManifest,
} from "../../stacks/compute/sparkApplication";
import { runProcess } from "./spark";

const DAG = path.resolve(__dirname, "../../dags/lakehouse_ingest.py");
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

    before(async () => {
      if (!fs.existsSync(python)) {
        throw new Error(
          `Airflow ${line.airflow} not installed: run bash .ci/setup.d/55-airflow.sh (missing ${python}).`,
        );
      }
      work = fs.mkdtempSync(path.join(os.tmpdir(), "lakehouse-dag-"));
      // As the program ships them: the DAG and the manifest side by side in one folder (the ConfigMap's keys).
      const dags = path.join(work, "dags");
      const broken = path.join(work, "broken");
      fs.mkdirSync(dags);
      fs.mkdirSync(broken);
      fs.copyFileSync(DAG, path.join(dags, "lakehouse_ingest.py"));
      fs.copyFileSync(DAG, path.join(broken, "lakehouse_ingest.py"));
      // The exact text the program writes into the DAG ConfigMap.
      const text = sampleJobManifestYaml(want as unknown as SparkApplicationManifest);
      fs.writeFileSync(path.join(dags, MANIFEST_FILE), text);
      const r = await runProcess(
        python,
        [PROBE, dags, "lakehouse_ingest", "ingest", broken],
        {
          PATH: `${path.join(venv, "bin")}:/usr/bin:/bin`,
          HOME: work,
          AIRFLOW_HOME: path.join(work, "airflow"),
          AIRFLOW__CORE__LOAD_EXAMPLES: "False",
          AIRFLOW__CORE__DAGS_FOLDER: dags,
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
      assert.equal(
        probe.operator,
        "airflow.providers.cncf.kubernetes.operators.spark_kubernetes.SparkKubernetesOperator",
      );
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
