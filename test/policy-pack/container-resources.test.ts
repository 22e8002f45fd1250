import { strict as assert } from "node:assert";
import { messages, runPolicy, validPlan, withChange } from "./fixtures";

const ID = "container-resources";
const one = (plan: ReturnType<typeof validPlan>, config?: Record<string, unknown>) => {
  const vs = runPolicy(ID, plan, config);
  assert.equal(vs.length, 1, JSON.stringify(vs, null, 2));
  assert.equal(vs[0].enforcement, "mandatory");
  return vs[0].message;
};

describe("policy container-resources", () => {
  it("passes the valid plan (workloads, Helm values, SparkApplication)", () => {
    assert.deepEqual(runPolicy(ID, validPlan()), []);
  });

  it("Deployment container without a CPU request", () => {
    const plan = withChange(
      "metastore-server",
      (p) => delete p.spec.template.spec.containers[0].resources.requests.cpu,
    );
    assert.equal(
      one(plan),
      "Deployment 'hive-metastore' must set resources requests.cpu on container 'metastore'.",
    );
  });

  it("Deployment container without any resources", () => {
    const plan = withChange("metastore-server", (p) => delete p.spec.template.spec.containers[0].resources);
    assert.equal(
      one(plan),
      "Deployment 'hive-metastore' must set resources requests.cpu, requests.memory, limits.memory on container 'metastore'.",
    );
  });

  it("init container without a memory limit", () => {
    const plan = withChange(
      "metastore-server",
      (p) => delete p.spec.template.spec.initContainers[0].resources.limits,
    );
    assert.equal(
      one(plan),
      "Deployment 'hive-metastore' must set resources limits.memory on init container 'fetch-jars'.",
    );
  });

  it("CronJob container without a memory request", () => {
    const plan = withChange("metastore-backup", (p) => {
      delete p.spec.jobTemplate.spec.template.spec.containers[0].resources.requests.memory;
    });
    assert.equal(
      one(plan),
      "CronJob 'metastore-backup' must set resources requests.memory on container 'backup'.",
    );
  });

  it("requireCpuLimit makes a CPU limit mandatory too", () => {
    const vs = runPolicy(ID, validPlan(), { requireCpuLimit: true });
    assert.ok(vs.length > 0);
    assert.ok(messages(vs).every((m) => m.includes("limits.cpu")));
  });

  it("ignores workloads that are not part of the platform", () => {
    const plan = withChange("metastore-server", (p, r) => {
      delete p.spec.template.spec.containers[0].resources;
      r.urn = "urn:pulumi:anton::lakehouse::kubernetes:apps/v1:Deployment::metastore-server";
      p.metadata.labels = {};
    });
    assert.deepEqual(runPolicy(ID, plan), []);
  });

  it("counts a workload labelled part-of lakehouse outside any component", () => {
    const plan = withChange("metastore-server", (p, r) => {
      delete p.spec.template.spec.containers[0].resources.limits;
      r.urn = "urn:pulumi:anton::lakehouse::kubernetes:apps/v1:Deployment::metastore-server";
    });
    assert.match(one(plan), /^Deployment 'hive-metastore' must set resources limits.memory/);
  });

  it("Helm release of a known chart without a component's resources block", () => {
    const plan = withChange("trino-release", (p) => delete p.values.worker.resources);
    assert.equal(
      one(plan),
      "Release 'trino-release' must set worker.resources (requests.cpu, requests.memory, limits.memory) in its values.",
    );
  });

  it("Helm release with an incomplete resources block (chart-specific key)", () => {
    const plan = withChange("spark-operator", (p) => delete p.values.webhook.resources.limits);
    assert.equal(one(plan), "Release 'spark-operator' must set limits.memory in values 'webhook.resources'.");
  });

  it("Helm release with an empty resources block elsewhere in the values", () => {
    const plan = withChange(
      "trino-release",
      (p) => (p.values.jmx = { exporter: { enabled: true, resources: {} } }),
    );
    assert.equal(
      one(plan),
      "Release 'trino-release' must set requests.cpu, requests.memory, limits.memory in values 'jmx.exporter.resources'.",
    );
  });

  it("parts a chart switches off (enable/enabled: false) are not judged", () => {
    const plan = withChange("spark-operator", (p) => {
      p.values.webhook = { enable: false };
      p.values.metrics = { enabled: false, exporter: { resources: {} } };
    });
    assert.deepEqual(runPolicy(ID, plan), []);
    assert.deepEqual(runPolicy("priority-class", plan), []);
  });

  it("Helm release of an unknown chart with no resources block at all", () => {
    const plan = withChange("trino-release", (p) => {
      p.chart = "superset";
      p.values = { image: { tag: "4.1.1" } };
    });
    assert.equal(
      one(plan),
      "Release 'trino-release' must set container resources in its values: no 'resources' block was found.",
    );
  });

  it("SparkApplication executor without cores", () => {
    const plan = withChange("spark-smoke", (p) => delete p.spec.executor.cores);
    assert.equal(
      one(plan),
      "SparkApplication 'iceberg-smoke' must set cores (or coreRequest) on its executor.",
    );
  });

  it("SparkApplication driver without memory", () => {
    const plan = withChange("spark-smoke", (p) => delete p.spec.driver.memory);
    assert.equal(one(plan), "SparkApplication 'iceberg-smoke' must set memory on its driver.");
  });
});
