import { strict as assert } from "node:assert";
import { messages, runPolicy, URNS, validPlan, withChange } from "./fixtures";

describe("policy phase-order", () => {
  it("passes when each phase depends on the previous one (foundation on the base)", () => {
    assert.deepEqual(runPolicy("phase-order", validPlan()), []);
  });

  it("reports a phase component that does not depend on the previous phase", () => {
    const plan = withChange("trino", (_p, r) => (r.dependencies = [URNS.foundation]));
    const vs = runPolicy("phase-order", plan);
    assert.deepEqual(messages(vs), [
      "Trino 'trino' must depend on the compute phase (dependsOn a compute resource, directly or through its parent component).",
    ]);
    assert.equal(vs[0].urn, URNS.analytics);
  });

  it("reports foundation that does not come after the base", () => {
    const vs = messages(
      runPolicy(
        "phase-order",
        withChange("metastore", (_p, r) => (r.dependencies = [URNS.readiness])),
      ),
    );
    assert.deepEqual(vs, [
      "HiveMetastore 'metastore' must depend on the base phase (dependsOn a base resource, directly or through its parent component).",
    ]);
  });

  it("accepts the dependency on a child resource, or through the parent component", () => {
    const plan = withChange("trino", (_p, r) => (r.dependencies = []));
    // The release depends on a compute child directly.
    const rel = plan.find((r) => r.name === "trino-release");
    rel!.dependencies = [plan.find((r) => r.name === "spark-operator")!.urn];
    assert.deepEqual(runPolicy("phase-order", plan), []);
  });

  it("reports a phase whose previous phase is absent, once", () => {
    const plan = validPlan().filter((r) => !r.urn.includes("lakehouse:compute:"));
    const vs = messages(runPolicy("phase-order", plan));
    assert.deepEqual(vs, [
      "Stack must not deploy the analytics phase without the compute phase: it has no compute resources.",
    ]);
  });

  it("does not judge dependsOn edges it cannot see (PlannedResource without dependencies, as under mocks)", () => {
    const plan = validPlan().map((r) => ({ ...r, dependencies: undefined }));
    assert.deepEqual(runPolicy("phase-order", plan), []);
  });
});
