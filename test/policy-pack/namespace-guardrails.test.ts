import { strict as assert } from "node:assert";
import { runPolicy, URNS, validPlan, withChange } from "./fixtures";

const ID = "namespace-guardrails";

describe("policy namespace-guardrails", () => {
  it("passes the valid plan (the base's namespace has a quota and a limit range)", () => {
    assert.deepEqual(runPolicy(ID, validPlan()), []);
  });

  it("platform Namespace without a ResourceQuota", () => {
    const plan = validPlan().filter((r) => r.name !== "base-quota");
    const vs = runPolicy(ID, plan);
    assert.equal(vs.length, 1);
    assert.equal(vs[0].message, "Namespace 'lakehouse' must have a ResourceQuota in the plan.");
    assert.equal(vs[0].urn, URNS.baseNamespace);
    assert.equal(vs[0].enforcement, "mandatory");
  });

  it("platform Namespace without either", () => {
    const plan = validPlan().filter((r) => r.name !== "base-quota" && r.name !== "base-limits");
    const vs = runPolicy(ID, plan);
    assert.deepEqual(
      vs.map((v) => v.message),
      ["Namespace 'lakehouse' must have a ResourceQuota and a LimitRange in the plan."],
    );
  });

  it("a quota in another namespace does not count", () => {
    const plan = withChange("base-limits", (p) => (p.metadata.namespace = "default"));
    assert.deepEqual(
      runPolicy(ID, plan).map((v) => v.message),
      ["Namespace 'lakehouse' must have a LimitRange in the plan."],
    );
  });

  it("a namespace platform workloads are placed in counts as a platform namespace", () => {
    const plan = withChange("spark-smoke", (p) => (p.metadata.namespace = "spark-jobs"));
    assert.deepEqual(
      runPolicy(ID, plan).map((v) => v.message),
      ["Namespace 'spark-jobs' must have a ResourceQuota and a LimitRange in the plan."],
    );
    assert.deepEqual(runPolicy(ID, plan, { exemptNamespaces: ["spark-jobs"] }), []);
  });
});
