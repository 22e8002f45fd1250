/**
 * The compute components under Pulumi mocks (one child process per config, see ../run-mocked.ts): the exact
 * inputs of every child (the pinned chart and its values, RBAC verbs, the ConfigMaps and the manifest the DAG
 * submits), that nothing is cluster-wide, that no secret is in any ConfigMap, and the dependsOn order.
 */
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { parse } from "yaml";
import { configSchema } from "../../../preflight/config/schema";
import { containerResources } from "../../../preflight/config/sizing";
import { readShippedFile } from "../../../stacks/compute";
import { dagConfigMapData, renderDagSource } from "../../../stacks/compute/airflowIntegration";
import { renderSparkConf } from "../../../stacks/compute/sparkConf";
import { sampleJobArgs, sampleJobManifest } from "../../../stacks/compute/sparkApplication";
import {
  artifactVolumeSize,
  renderArtifactScript,
  SPARK_ARTIFACTS,
  totalBytes,
} from "../../../stacks/platform/artifacts";
import { runMocked, type MockedRun, type Recorded } from "../run-mocked";

const ROOT = path.resolve(__dirname, "../../..");
const SCENARIO = path.join(__dirname, "scenario.ts");
const JOB = fs.readFileSync(path.join(ROOT, "stacks/compute/jobs/lakehouse_ingest.py"), "utf8");
const DAG = fs.readFileSync(path.join(ROOT, "dags/lakehouse_ingest.py"), "utf8");
const NS = "lakehouse";

const run = (config: Record<string, unknown>) =>
  runMocked(SCENARIO, { config, jobSource: JOB, dagSource: DAG });

describe("compute components (mocks)", function () {
  this.timeout(300_000);
  let r0: MockedRun;
  let rNoWebhook: MockedRun;
  let rCustom: MockedRun;
  const custom = {
    foundation: { s3Endpoint: "https://s3.homelab.example:8443" },
    compute: { airflowServiceAccount: "airflow-scheduler", jobNamespaces: ["lakehouse", "spark-jobs"] },
    cluster: { airflowNamespace: "orchestration" },
    sizing: { sparkExecutor: { replicas: 3, cpu: "2", memory: "4Gi" } },
  };

  before(async () => {
    [r0, rNoWebhook, rCustom] = await Promise.all([
      run({}),
      run({ compute: { webhook: false } }),
      run(custom),
    ]);
    for (const r of [r0, rNoWebhook, rCustom]) assert.equal(r.error, undefined, r.error);
  });

  const one = (r: MockedRun, type: string, name: string): Recorded => {
    const found = r.resources.filter((x) => x.type === type && x.name === name);
    assert.equal(found.length, 1, `expected one ${type} ${name}, found ${found.length}`);
    return found[0];
  };
  const release = (r: MockedRun) =>
    one(r, "kubernetes:helm.toolkit.fluxcd.io/v2:HelmRelease", "spark-operator-chart-release");

  it("registers the five components and exactly their children, each parented to its component", () => {
    const comps = r0.resources.filter((x) => x.type.startsWith("lakehouse:compute:"));
    assert.deepEqual(comps.map((c) => `${c.type} ${c.name}`).sort(), [
      "lakehouse:compute:AirflowIntegration airflow-integration",
      "lakehouse:compute:ComputeAlerts compute-alerts",
      "lakehouse:compute:SampleJob sample-job",
      "lakehouse:compute:SparkJobIdentity spark-identity",
      "lakehouse:compute:SparkOperator spark-operator",
    ]);
    const children = (c: Recorded) =>
      r0.resources
        .filter((x) => x.parent === c.urn)
        .map((x) => `${x.type.replace(/^kubernetes:/, "")} ${x.name}`)
        .sort();
    const by = Object.fromEntries(comps.map((c) => [c.name, children(c)]));
    assert.deepEqual(by["spark-identity"], [
      "core/v1:ServiceAccount spark-identity-sa",
      "rbac.authorization.k8s.io/v1:Role spark-identity-role",
      "rbac.authorization.k8s.io/v1:RoleBinding spark-identity-binding",
    ]);
    assert.deepEqual(by["spark-operator"], [
      "lakehouse:delivery:FluxHelmRelease spark-operator-chart",
      "networking.k8s.io/v1:NetworkPolicy spark-operator-webhook-ingress",
    ]);
    assert.deepEqual(by["sample-job"], ["core/v1:ConfigMap sample-job-files"]);
    assert.deepEqual(by["airflow-integration"], [
      "core/v1:ConfigMap airflow-integration-dags",
      "rbac.authorization.k8s.io/v1:Role airflow-integration-role",
      "rbac.authorization.k8s.io/v1:RoleBinding airflow-integration-binding",
    ]);
    assert.deepEqual(by["compute-alerts"], ["monitoring.coreos.com/v1:PrometheusRule compute-alerts-rules"]);
  });

  it("installs the kubeflow spark-operator chart at the pinned 2.5.2 from its repository, waiting for Ready", () => {
    const repo = one(
      r0,
      "kubernetes:source.toolkit.fluxcd.io/v1:HelmRepository",
      "spark-operator-chart-repo",
    );
    assert.equal(repo.inputs.spec.url, "https://kubeflow.github.io/spark-operator");
    assert.deepEqual(repo.inputs.metadata.name, "spark-operator");
    const rel = release(r0);
    assert.equal(rel.inputs.metadata.namespace, NS);
    assert.deepEqual(rel.inputs.spec.chart.spec, {
      chart: "spark-operator",
      version: "2.5.2",
      sourceRef: { kind: "HelmRepository", name: "spark-operator", namespace: NS },
      interval: "1h",
    });
    assert.equal(rel.inputs.spec.releaseName, "spark-operator");
    assert.equal(rel.inputs.spec.timeout, "10m");
    assert.deepEqual(rel.inputs.metadata.annotations, {
      "pulumi.com/waitFor": "condition=Ready",
      "pulumi.com/timeoutSeconds": "660",
    });
  });

  it("sets the chart values from config and sizing: image, resources, PriorityClass, watched namespaces, metrics", () => {
    const cfg = configSchema.parse({});
    assert.deepEqual(release(r0).inputs.spec.values, {
      image: {
        registry: "ghcr.io",
        repository: "kubeflow/spark-operator/controller",
        tag: "2.5.2",
        pullPolicy: "IfNotPresent",
      },
      hook: { upgradeCrd: false },
      controller: {
        replicas: 1,
        priorityClassName: "lakehouse-critical",
        resources: containerResources(cfg.sizing.sparkOperator),
        leaderElection: { enable: true },
      },
      webhook: {
        enable: true,
        replicas: 1,
        port: 9443,
        priorityClassName: "lakehouse-critical",
        resources: containerResources(cfg.sizing.sparkOperatorWebhook),
      },
      spark: {
        jobNamespaces: [NS],
        serviceAccount: { create: false, name: "lakehouse-spark" },
        rbac: { create: false },
      },
      prometheus: {
        metrics: { enable: true, port: 8080, endpoint: "/metrics" },
        podMonitor: { create: true, labels: {}, podMetricsEndpoint: { scheme: "http", interval: "30s" } },
      },
    });
    assert.deepEqual(containerResources(cfg.sizing.sparkOperator), {
      requests: { cpu: "200m", memory: "512Mi" },
      limits: { memory: "512Mi" },
    });
    assert.deepEqual(release(rCustom).inputs.spec.values.spark.jobNamespaces, ["lakehouse", "spark-jobs"]);
  });

  it("gives Spark drivers a namespaced Role on pods, services, configmaps and PVCs only", () => {
    const crud = ["create", "get", "list", "watch", "update", "patch", "delete", "deletecollection"];
    const role = one(r0, "kubernetes:rbac.authorization.k8s.io/v1:Role", "spark-identity-role");
    assert.equal(role.inputs.metadata.namespace, NS);
    assert.deepEqual(role.inputs.rules, [
      { apiGroups: [""], resources: ["pods"], verbs: crud },
      { apiGroups: [""], resources: ["services"], verbs: crud },
      { apiGroups: [""], resources: ["configmaps"], verbs: crud },
      { apiGroups: [""], resources: ["persistentvolumeclaims"], verbs: crud },
    ]);
    const binding = one(r0, "kubernetes:rbac.authorization.k8s.io/v1:RoleBinding", "spark-identity-binding");
    assert.deepEqual(binding.inputs.roleRef, {
      apiGroup: "rbac.authorization.k8s.io",
      kind: "Role",
      name: "lakehouse-spark",
    });
    assert.deepEqual(binding.inputs.subjects, [
      { kind: "ServiceAccount", name: "lakehouse-spark", namespace: NS },
    ]);
  });

  it("lets the Airflow workers' ServiceAccount submit and watch SparkApplications in the platform namespace only", () => {
    const role = one(r0, "kubernetes:rbac.authorization.k8s.io/v1:Role", "airflow-integration-role");
    assert.equal(role.inputs.metadata.namespace, NS);
    assert.deepEqual(role.inputs.rules, [
      {
        apiGroups: ["sparkoperator.k8s.io"],
        resources: ["sparkapplications"],
        verbs: ["create", "get", "list", "watch", "delete", "patch"],
      },
      { apiGroups: ["sparkoperator.k8s.io"], resources: ["sparkapplications/status"], verbs: ["get"] },
      { apiGroups: [""], resources: ["pods"], verbs: ["get", "list", "watch"] },
      { apiGroups: [""], resources: ["pods/log"], verbs: ["get"] },
    ]);
    const b = (r: MockedRun) =>
      one(r, "kubernetes:rbac.authorization.k8s.io/v1:RoleBinding", "airflow-integration-binding").inputs;
    assert.deepEqual(b(r0).subjects, [
      { kind: "ServiceAccount", name: "airflow-worker", namespace: "airflow" },
    ]);
    assert.deepEqual(b(rCustom).subjects, [
      { kind: "ServiceAccount", name: "airflow-scheduler", namespace: "orchestration" },
    ]);
  });

  it("grants nothing cluster-wide and never touches Secrets", () => {
    for (const r of [r0, rNoWebhook, rCustom]) {
      const kinds = r.resources.map((x) => x.type);
      assert.ok(!kinds.some((t) => /:(ClusterRole|ClusterRoleBinding|Secret)$/.test(t)), kinds.join(", "));
      for (const x of r.resources.filter((y) => y.type.endsWith(":Role"))) {
        for (const rule of x.inputs.rules) {
          assert.ok(!rule.resources.includes("secrets"), `${x.name} grants secrets`);
          assert.ok(!rule.verbs.includes("*") && !rule.resources.includes("*"), `${x.name} uses a wildcard`);
        }
      }
    }
  });

  it("ships the job file as it is and the DAG with the manifest sampleJobManifest renders (one template)", () => {
    const job = one(r0, "kubernetes:core/v1:ConfigMap", "sample-job-files");
    assert.deepEqual(job.inputs.metadata.name, "lakehouse-ingest-job");
    assert.equal(job.inputs.metadata.namespace, NS);
    assert.deepEqual(job.inputs.data, { "lakehouse_ingest.py": JOB });
    const dags = one(r0, "kubernetes:core/v1:ConfigMap", "airflow-integration-dags");
    assert.equal(dags.inputs.metadata.name, "lakehouse-dags");
    assert.equal(dags.inputs.metadata.namespace, "airflow");
    assert.deepEqual(Object.keys(dags.inputs.data).sort(), [
      "lakehouse_ingest.py",
      "lakehouse_ingest.spark-application.yaml",
    ]);
    // Delivered unpaused by default: the file as it is in the repository (its PAUSED_UPON_CREATION = False).
    assert.match(DAG, /^PAUSED_UPON_CREATION = False$/m);
    assert.equal(dags.inputs.data["lakehouse_ingest.py"], DAG);
    const manifest = parse(dags.inputs.data["lakehouse_ingest.spark-application.yaml"]);
    assert.deepEqual(manifest, sampleJobManifest(sampleJobArgs(configSchema.parse({}))));
  });

  it("renders the Spark conf with the configured endpoint, the metastore, the warehouse and sizing", () => {
    const manifest = (r: MockedRun) =>
      parse(
        one(r, "kubernetes:core/v1:ConfigMap", "airflow-integration-dags").inputs.data[
          "lakehouse_ingest.spark-application.yaml"
        ],
      );
    const c0 = manifest(r0).spec.sparkConf;
    assert.equal(c0["spark.hadoop.fs.s3a.endpoint"], "http://rook-ceph-rgw-storage.storage.svc:80");
    assert.equal(c0["spark.hadoop.fs.s3a.connection.ssl.enabled"], "false");
    assert.equal(c0["spark.sql.catalog.lakehouse.uri"], "thrift://hive-metastore.lakehouse.svc:9083");
    assert.equal(c0["spark.sql.catalog.lakehouse.warehouse"], "s3a://lakehouse-warehouse/warehouse");
    const mc = manifest(rCustom);
    assert.equal(mc.spec.sparkConf["spark.hadoop.fs.s3a.endpoint"], "https://s3.homelab.example:8443");
    assert.equal(mc.spec.sparkConf["spark.hadoop.fs.s3a.connection.ssl.enabled"], "true");
    assert.equal(mc.spec.executor.instances, 3);
    assert.equal(mc.spec.executor.coreRequest, "2");
    // The manifest carries exactly the conf the one renderer produces for this config.
    const a = sampleJobArgs(configSchema.parse(custom));
    assert.deepEqual(mc.spec.sparkConf, renderSparkConf({ ...a.spark, jarsDir: "/opt/lakehouse/jars" }));
  });

  it("driver and executors copy their jars from the in-cluster artifact cache, sha256-checked, never from the internet", () => {
    const m = parse(
      one(r0, "kubernetes:core/v1:ConfigMap", "airflow-integration-dags").inputs.data[
        "lakehouse_ingest.spark-application.yaml"
      ],
    );
    for (const role of ["driver", "executor"]) {
      const [init] = m.spec[role].initContainers;
      assert.equal(init.name, "fetch-jars");
      assert.equal(init.image, "curlimages/curl:8.10.1");
      assert.deepEqual(init.command.slice(-2), ["artifact-cache", "fetch"]);
      assert.equal(init.command[2], renderArtifactScript(SPARK_ARTIFACTS, { stage: false }));
      assert.doesNotMatch(init.command[2], /https?:\/\//);
      const env = Object.fromEntries(init.env.map((e: { name: string }) => [e.name, e]));
      assert.equal(env.CACHE_BUCKET.value, "lakehouse-artifacts");
      assert.equal(env.CACHE_ENDPOINT.value, "http://rook-ceph-rgw-storage.storage.svc:80");
      assert.deepEqual(env.AWS_SECRET_ACCESS_KEY.valueFrom, {
        secretKeyRef: { name: "lakehouse-artifacts", key: "AWS_SECRET_ACCESS_KEY" },
      });
      assert.equal(env.ARTIFACTS_DIR.value, "/opt/lakehouse/jars");
    }
    // 53 MB of jars (no AWS SDK bundle), and an emptyDir sized for them.
    assert.ok(totalBytes(SPARK_ARTIFACTS) < 60 * 2 ** 20, String(totalBytes(SPARK_ARTIFACTS)));
    const jars = m.spec.volumes.find((v: { name: string }) => v.name === "jars");
    assert.equal(jars.emptyDir.sizeLimit, artifactVolumeSize(SPARK_ARTIFACTS));
  });

  it("puts no secret in any ConfigMap: the S3 keys reach Spark only as secretKeyRef env", () => {
    for (const r of [r0, rCustom]) {
      for (const cm of r.resources.filter((x) => x.type === "kubernetes:core/v1:ConfigMap")) {
        const text = JSON.stringify(cm.inputs.data);
        assert.ok(
          !/secret[_-]?access[_-]?key\s*[=:]\s*\S|password\s*[=:]\s*\S/i.test(text.replace(/\\n/g, "\n")),
          cm.name,
        );
      }
      const m = parse(
        one(r, "kubernetes:core/v1:ConfigMap", "airflow-integration-dags").inputs.data[
          "lakehouse_ingest.spark-application.yaml"
        ],
      );
      const keys = Object.keys(m.spec.sparkConf).filter((k) => /secret|access\.key|password/i.test(k));
      assert.deepEqual(keys, []);
      for (const role of [m.spec.driver, m.spec.executor]) {
        const env = Object.fromEntries(role.env.map((e: { name: string }) => [e.name, e]));
        assert.deepEqual(env.AWS_ACCESS_KEY_ID.valueFrom, {
          secretKeyRef: { name: "lakehouse-warehouse", key: "AWS_ACCESS_KEY_ID" },
        });
        assert.deepEqual(env.AWS_SECRET_ACCESS_KEY.valueFrom, {
          secretKeyRef: { name: "lakehouse-warehouse", key: "AWS_SECRET_ACCESS_KEY" },
        });
        assert.ok(!("value" in env.AWS_SECRET_ACCESS_KEY));
      }
      assert.deepEqual(
        r.resources.flatMap((x) => x.secretPaths),
        [],
      );
    }
  });

  it("lets the API server reach the webhook, and drops the webhook, its policy and alert when disabled", () => {
    const np = one(r0, "kubernetes:networking.k8s.io/v1:NetworkPolicy", "spark-operator-webhook-ingress");
    assert.deepEqual(np.inputs.spec, {
      podSelector: {
        matchLabels: {
          "app.kubernetes.io/name": "spark-operator",
          "app.kubernetes.io/instance": "spark-operator",
          "app.kubernetes.io/component": "webhook",
        },
      },
      policyTypes: ["Ingress"],
      ingress: [{ ports: [{ protocol: "TCP", port: 9443 }] }],
    });
    assert.equal(release(rNoWebhook).inputs.spec.values.webhook.enable, false);
    assert.ok(!rNoWebhook.resources.some((x) => x.type.endsWith(":NetworkPolicy")));
    const alerts = (r: MockedRun) =>
      one(
        r,
        "kubernetes:monitoring.coreos.com/v1:PrometheusRule",
        "compute-alerts-rules",
      ).inputs.spec.groups.flatMap((g: { rules: { alert: string }[] }) => g.rules.map((x) => x.alert));
    assert.deepEqual(alerts(r0), [
      "SparkOperatorDown",
      "SparkOperatorWebhookDown",
      "SparkApplicationFailed",
      "SparkExecutorOOMKilled",
    ]);
    assert.ok(!alerts(rNoWebhook).includes("SparkOperatorWebhookDown"));
  });

  it("orders by dependsOn: the identity before the operator, the operator and the job files before the DAG", () => {
    const urnsUnder = (component: string) =>
      r0.resources
        .filter((x) => x.urn.includes(`::${component}`) && x.type.startsWith("kubernetes:"))
        .map((x) => x.urn);
    const deps = (name: string) =>
      r0.resources.find((x) => x.name === name && x.type.startsWith("lakehouse:compute:"))!.dependencies;
    assert.ok(urnsUnder("spark-identity").every((u) => deps("spark-operator").includes(u)));
    const airflowDeps = deps("airflow-integration");
    for (const u of [...urnsUnder("spark-operator-chart"), ...urnsUnder("sample-job")]) {
      assert.ok(airflowDeps.includes(u), `airflow-integration after ${u}`);
    }
  });
});

describe("compute readShippedFile", () => {
  it("names the missing file, what it is for and the fix", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "compute-files-"));
    try {
      assert.throws(
        () => readShippedFile("dags/lakehouse_ingest.py", "the Airflow DAG", dir),
        /ships dags\/lakehouse_ingest\.py \(the Airflow DAG\) to the cluster, but it cannot be read: .*ENOENT.*git checkout -- dags\/lakehouse_ingest\.py\) or set lakehouse:phases\.compute to false/,
      );
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("compute dagConfigMapData (the DAG folder Airflow receives)", () => {
  const paused = (on: boolean) => configSchema.parse({ compute: { dagPausedAtCreation: on } });

  it("delivers the DAG unpaused by default and paused with compute.dagPausedAtCreation, changing only that line", () => {
    assert.equal(configSchema.parse({}).compute.dagPausedAtCreation, false);
    const off = dagConfigMapData(configSchema.parse({}), DAG, "MANIFEST");
    assert.deepEqual(off, {
      "lakehouse_ingest.py": DAG,
      "lakehouse_ingest.spark-application.yaml": "MANIFEST",
    });
    const on = dagConfigMapData(paused(true), DAG, "MANIFEST")["lakehouse_ingest.py"];
    assert.match(on, /^PAUSED_UPON_CREATION = True$/m);
    assert.equal(on.replace("PAUSED_UPON_CREATION = True", "PAUSED_UPON_CREATION = False"), DAG);
    assert.equal(renderDagSource(paused(false), on), DAG);
  });

  it("refuses a DAG file without the PAUSED_UPON_CREATION line, naming the file and the key", () => {
    assert.throws(
      () => renderDagSource(configSchema.parse({}), "# some other DAG\n"),
      /dags\/lakehouse_ingest\.py has no line "PAUSED_UPON_CREATION = False".*lakehouse:compute\.dagPausedAtCreation/,
    );
  });
});
