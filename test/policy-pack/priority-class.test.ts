import { strict as assert } from "node:assert";
import { runPolicy, validPlan, withChange } from "./fixtures";

const ID = "priority-class";
const one = (plan: ReturnType<typeof validPlan>, config?: Record<string, unknown>) => {
  const vs = runPolicy(ID, plan, config);
  assert.equal(vs.length, 1, JSON.stringify(vs, null, 2));
  assert.equal(vs[0].enforcement, "mandatory");
  return vs[0].message;
};

describe("policy priority-class", () => {
  it("passes the valid plan", () => {
    assert.deepEqual(runPolicy(ID, validPlan()), []);
  });

  it("Deployment without priorityClassName", () => {
    const plan = withChange("metastore-server", (p) => delete p.spec.template.spec.priorityClassName);
    assert.equal(one(plan), "Deployment 'hive-metastore' must set spec.template.spec.priorityClassName.");
  });

  it("CronJob without priorityClassName", () => {
    const plan = withChange(
      "metastore-backup",
      (p) => delete p.spec.jobTemplate.spec.template.spec.priorityClassName,
    );
    assert.equal(
      one(plan),
      "CronJob 'metastore-backup' must set spec.jobTemplate.spec.template.spec.priorityClassName.",
    );
  });

  it("a class outside allowedClasses", () => {
    const plan = withChange(
      "metastore-server",
      (p) => (p.spec.template.spec.priorityClassName = "system-node-critical"),
    );
    assert.equal(
      one(plan, { allowedClasses: ["lakehouse-critical", "lakehouse-batch"] }),
      "Deployment 'hive-metastore' must use one of lakehouse-critical, lakehouse-batch in spec.template.spec.priorityClassName, not 'system-node-critical'.",
    );
  });

  it("Helm release component without priorityClassName", () => {
    const plan = withChange("spark-operator", (p) => delete p.values.webhook.priorityClassName);
    assert.equal(one(plan), "Release 'spark-operator' must set values 'webhook.priorityClassName'.");
  });

  it("Helm release of an unknown chart without any priorityClassName", () => {
    const plan = withChange("trino-release", (p) => {
      p.chart = "superset";
      p.values = { resources: { requests: { cpu: "1", memory: "1Gi" }, limits: { memory: "1Gi" } } };
    });
    assert.equal(one(plan), "Release 'trino-release' must set a priorityClassName in its values.");
  });

  it("SparkApplication executor without priorityClassName", () => {
    const plan = withChange("spark-smoke", (p) => delete p.spec.executor.priorityClassName);
    assert.equal(one(plan), "SparkApplication 'iceberg-smoke' must set spec.executor.priorityClassName.");
  });

  it("SparkApplication batchSchedulerOptions.priorityClassName covers both roles", () => {
    const plan = withChange("spark-smoke", (p) => {
      delete p.spec.executor.priorityClassName;
      delete p.spec.driver.priorityClassName;
      p.spec.batchSchedulerOptions = { priorityClassName: "lakehouse-batch" };
    });
    assert.deepEqual(runPolicy(ID, plan), []);
  });
});
