/**
 * The pack on what the compute phase plans: a Flux HelmRelease (judged like a Helm release: chart, exact
 * version, values, replicas, resources, images) and the SparkApplication manifest carried by the DAG ConfigMap
 * (judged like a SparkApplication: driver and executor resources, pinned images, PriorityClass, no secrets,
 * capacity). One valid fixture, rendered by the program's own functions; one change per case.
 */
import { strict as assert } from "node:assert";
import { parse, stringify } from "yaml";
import { configSchema } from "../../preflight/config/schema";
import { resourceRequests } from "../../policy-pack/lib/requests";
import { sparkApps } from "../../policy-pack/lib/workloads";
import type { PlannedResource } from "../../policy-pack/types";
import { sparkOperatorValues } from "../../stacks/compute/sparkOperator";
import { sampleJobArgs, sampleJobManifest } from "../../stacks/compute/sparkApplication";
import { helmReleaseSpec } from "../../stacks/platform/fluxHelmRelease";
import { runPolicy, urnOf, validPlan, type Props } from "./fixtures";

const CONFIG = configSchema.parse({});
const BASE = {
  namespace: "lakehouse",
  priorityClassCritical: "lakehouse-critical",
  priorityClassBatch: "lakehouse-batch",
  resources: [],
};
const LABELS = {
  "app.kubernetes.io/part-of": "lakehouse",
  "app.kubernetes.io/managed-by": "pulumi",
  "lakehouse.dev/phase": "compute",
};
const KEY = "lakehouse_ingest.spark-application.yaml";
const CHAIN = ["lakehouse:compute:SparkOperator", "lakehouse:delivery:FluxHelmRelease"];

function fluxRelease(): PlannedResource {
  const type = "kubernetes:helm.toolkit.fluxcd.io/v2:HelmRelease";
  return {
    type,
    name: "spark-operator-chart-release",
    urn: urnOf([...CHAIN, type], "spark-operator-chart-release"),
    props: {
      apiVersion: "helm.toolkit.fluxcd.io/v2",
      kind: "HelmRelease",
      metadata: { name: "spark-operator", namespace: "lakehouse", labels: LABELS },
      spec: {
        ...helmReleaseSpec({
          namespace: "lakehouse",
          repository: { name: "spark-operator", url: "https://kubeflow.github.io/spark-operator" },
          chart: "spark-operator",
          version: "2.5.2",
          releaseName: "spark-operator",
          values: {},
          labels: LABELS,
        }),
        values: sparkOperatorValues(CONFIG, BASE),
      },
    },
    dependencies: [],
  };
}

function dagConfigMap(manifest: Props = sampleJobManifest(sampleJobArgs(CONFIG))): PlannedResource {
  const type = "kubernetes:core/v1:ConfigMap";
  return {
    type,
    name: "airflow-integration-dags",
    urn: urnOf(["lakehouse:compute:AirflowIntegration", type], "airflow-integration-dags"),
    props: {
      apiVersion: "v1",
      kind: "ConfigMap",
      metadata: { name: "lakehouse-dags", namespace: "airflow", labels: LABELS },
      data: { "lakehouse_ingest.py": "# the DAG\n", [KEY]: stringify(manifest) },
    },
    dependencies: [],
  };
}

const plan = (...extra: PlannedResource[]) => [...validPlan(), ...extra];
const withRelease = (change: (p: Props) => void) => {
  const r = fluxRelease();
  change(r.props);
  return plan(r);
};
const withManifest = (change: (m: Props) => void) => {
  const m = sampleJobManifest(sampleJobArgs(CONFIG)) as Props;
  change(m);
  return plan(dagConfigMap(m));
};
const only = (id: string, resources: PlannedResource[]) => {
  const vs = runPolicy(id, resources);
  assert.equal(vs.length, 1, JSON.stringify(vs, null, 2));
  assert.equal(vs[0].enforcement, "mandatory");
  return vs[0].message;
};
const WHO = `ConfigMap 'lakehouse-dags' (manifest '${KEY}')`;

describe("policies on the compute phase's Flux HelmRelease and SparkApplication manifest", () => {
  it("the valid fixture (the program's own values and manifest) passes every policy that judges them", () => {
    for (const id of [
      "pinned-charts",
      "pinned-images",
      "container-resources",
      "priority-class",
      "no-plaintext-secrets",
      "namespace-guardrails",
    ]) {
      assert.deepEqual(runPolicy(id, plan(fluxRelease(), dagConfigMap())), [], id);
    }
  });

  describe("pinned-charts", () => {
    it("rejects a Flux HelmRelease on a version range", () => {
      assert.equal(
        only(
          "pinned-charts",
          withRelease((p) => (p.spec.chart.spec.version = "^2.5.0")),
        ),
        "HelmRelease 'spark-operator' must pin an exact version of chart 'spark-operator' (spec.chart.spec.version): " +
          "'^2.5.0' is a range or not a SemVer version (it can move to another chart).",
      );
    });
    it("rejects a Flux HelmRelease with no version", () => {
      assert.match(
        only(
          "pinned-charts",
          withRelease((p) => delete p.spec.chart.spec.version),
        ),
        /^HelmRelease 'spark-operator' must pin an exact version of chart 'spark-operator' \(spec\.chart\.spec\.version\): no version is set/,
      );
    });
    it("rejects a leading v and a wildcard, and judges Pulumi helm.sh Releases too", () => {
      assert.match(
        only(
          "pinned-charts",
          withRelease((p) => (p.spec.chart.spec.version = "v2.5.2")),
        ),
        /'v2\.5\.2' has a leading 'v'/,
      );
      const trino = validPlan();
      (trino.find((r) => r.name === "trino-release")!.props as Props).version = "1.x";
      assert.equal(
        only("pinned-charts", trino),
        "Release 'trino-release' must pin an exact version of chart 'trino' (version): '1.x' is a range or not a SemVer version (it can move to another chart).",
      );
    });
  });

  describe("Flux HelmRelease judged like a Helm release", () => {
    it("container-resources: a component without resources", () => {
      assert.equal(
        only(
          "container-resources",
          withRelease((p) => delete p.spec.values.webhook.resources),
        ),
        "HelmRelease 'spark-operator' must set webhook.resources (requests.cpu, requests.memory, limits.memory) in its values.",
      );
    });
    it("priority-class: the controller without a PriorityClass", () => {
      assert.equal(
        only(
          "priority-class",
          withRelease((p) => delete p.spec.values.controller.priorityClassName),
        ),
        "HelmRelease 'spark-operator' must set values 'controller.priorityClassName'.",
      );
    });
    it("pinned-images: a mutable image tag in the values", () => {
      assert.equal(
        only(
          "pinned-images",
          withRelease((p) => (p.spec.values.image.tag = "latest")),
        ),
        "HelmRelease 'spark-operator' must pin values 'image.tag' to a version: 'latest' is a mutable tag.",
      );
    });
    it("capacity: controller and webhook requests at their replicas (not counted when the webhook is off)", () => {
      const r = fluxRelease();
      const q = resourceRequests(r.type, r.props);
      assert.ok(Math.abs(q.cpu - 0.3) < 1e-9); // 200m + 100m
      assert.equal(q.memory, 768 * 2 ** 20);
      (r.props as Props).spec.values.controller.replicas = 2;
      (r.props as Props).spec.values.webhook.enable = false;
      assert.ok(Math.abs(resourceRequests(r.type, r.props).cpu - 0.4) < 1e-9);
    });
  });

  describe("the DAG's SparkApplication manifest judged like a SparkApplication", () => {
    it("is found in the ConfigMap (and an unparsable or foreign file is not)", () => {
      const cm = dagConfigMap();
      assert.deepEqual(
        sparkApps(cm.type, cm.props).map((a) => [a.type, a.key]),
        [["kubernetes:sparkoperator.k8s.io/v1beta2:SparkApplication", KEY]],
      );
      assert.deepEqual(
        sparkApps(cm.type, { data: { [KEY]: "a: [", "x.yaml": "kind: SparkApplication" } }),
        [],
      );
    });
    it("container-resources: an executor without memory", () => {
      assert.equal(
        only(
          "container-resources",
          withManifest((m) => delete m.spec.executor.memory),
        ),
        `${WHO} must set memory on its executor.`,
      );
    });
    it("pinned-images: an unpinned Spark image", () => {
      assert.equal(
        only(
          "pinned-images",
          withManifest((m) => (m.spec.image = "apache/spark")),
        ),
        `${WHO} must pin spec.image to a version tag or digest: 'apache/spark' has no tag (it would pull 'latest').`,
      );
    });
    it("pinned-images: an unpinned init container image", () => {
      assert.match(
        only(
          "pinned-images",
          withManifest((m) => (m.spec.driver.initContainers[0].image = "curlimages/curl:latest")),
        ),
        /must pin the image of driver init container 'fetch-jars' to a version tag or digest: 'curlimages\/curl:latest' uses the mutable tag 'latest'/,
      );
    });
    it("priority-class: a driver without a PriorityClass", () => {
      assert.equal(
        only(
          "priority-class",
          withManifest((m) => delete m.spec.driver.priorityClassName),
        ),
        `ConfigMap 'lakehouse-dags' must set manifest '${KEY}' spec.driver.priorityClassName.`,
      );
    });
    it("no-plaintext-secrets: a literal S3 secret key in sparkConf (the value is never printed)", () => {
      const msg = only(
        "no-plaintext-secrets",
        withManifest((m) => (m.spec.sparkConf["spark.hadoop.fs.s3a.secret.key"] = "hunter2hunter2")),
      );
      assert.match(
        msg,
        new RegExp(
          `^ConfigMap 'lakehouse-dags' must not hold a plaintext secret in manifest '${KEY}' sparkConf 'spark.hadoop.fs.s3a.secret.key'`,
        ),
      );
      assert.ok(!msg.includes("hunter2"));
    });
    it("capacity: the driver and every executor at the sized requests (heap + overhead = the pod request)", () => {
      const cm = dagConfigMap();
      const q = resourceRequests(cm.type, cm.props);
      assert.equal(q.cpu, 0.5 + 2 * 1);
      assert.equal(q.memory, (2 + 2 * 6) * 2 ** 30);
      const three = dagConfigMap({ ...parse(stringify(sampleJobManifest(sampleJobArgs(CONFIG)))) });
      (three.props as Props).data[KEY] = (three.props as Props).data[KEY].replace(
        "instances: 2",
        "instances: 3",
      );
      assert.equal(resourceRequests(three.type, three.props).cpu, 0.5 + 3 * 1);
    });
  });
});
