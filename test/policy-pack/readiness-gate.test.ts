import { strict as assert } from "node:assert";
import { blockedState, messages, runPolicy, validPlan, withChange } from "./fixtures";

describe("policy readiness-gate", () => {
  it("passes a ready plan with every gate open", () => {
    assert.deepEqual(runPolicy("readiness-gate", validPlan()), []);
  });

  it("reports the verdict, each blocking check with its remediation, and the closed phases' top-level resources", () => {
    const plan = withChange("readiness", (p) => Object.assign(p, blockedState()));
    const vs = runPolicy("readiness-gate", plan);
    assert.ok(vs.every((v) => v.enforcement === "mandatory"));
    assert.deepEqual(messages(vs), [
      "Readiness 'readiness' must have the verdict 'ready' before the platform is deployed, but it is 'blocked': 1 critical check blocks the lakehouse.",
      "Check 'prereq.spark-operator-crd' must pass before the lakehouse is deployed, but it is fail " +
        "(CRD sparkapplications.sparkoperator.k8s.io not found). Remediation: Install the Spark Operator chart 2.5.x with webhook.enable=true.",
      "SparkOperator 'spark' must not be deployed: the compute gate is closed by prereq.spark-operator-crd.",
      "Trino 'trino' must not be deployed: the analytics gate is closed by prereq.spark-operator-crd.",
    ]);
  });

  it("a blocked plan that registers no phase resources reports only the verdict and the checks", () => {
    const plan = withChange("readiness", (p) => Object.assign(p, blockedState())).filter(
      (r) => !/lakehouse:(compute|analytics):/.test(r.urn),
    );
    assert.equal(runPolicy("readiness-gate", plan).length, 2);
  });

  it("one failing critical check per violation", () => {
    const plan = withChange("readiness", (p) => {
      Object.assign(p, blockedState());
      p.gates.compute = p.gates.analytics = { open: true, blockedBy: [] };
      p.blocking.push({ id: "prereq.s3-api", status: "unknown", observed: "", remediation: "" });
    });
    const vs = messages(runPolicy("readiness-gate", plan));
    assert.equal(vs.length, 3);
    assert.match(
      vs[2],
      /^Check 'prereq.s3-api' must pass .* it is unknown\. Remediation: see `npm run preflight`\.$/,
    );
  });

  it("finds a resource's phase from its label when its URN has no lakehouse component", () => {
    const plan = withChange(
      "readiness",
      (p) => (p.gates.foundation = { open: false, blockedBy: ["prereq.ceph-health"] }),
    );
    plan.push({
      type: "kubernetes:core/v1:ConfigMap",
      name: "loose",
      urn: "urn:pulumi:anton::lakehouse::kubernetes:core/v1:ConfigMap::loose",
      props: { metadata: { name: "loose", labels: { "lakehouse.dev/phase": "foundation" } } },
    });
    const vs = messages(runPolicy("readiness-gate", plan));
    assert.ok(
      vs.includes(
        "ConfigMap 'loose' must not be deployed: the foundation gate is closed by prereq.ceph-health.",
      ),
    );
    assert.ok(
      vs.includes(
        "HiveMetastore 'metastore' must not be deployed: the foundation gate is closed by prereq.ceph-health.",
      ),
    );
  });

  it("fails closed without a Readiness resource, unless requireReadiness is off", () => {
    const plan = validPlan().filter((r) => r.name !== "readiness");
    const vs = runPolicy("readiness-gate", plan);
    assert.equal(vs.length, 1);
    assert.match(vs[0].message, /^Stack must contain the Readiness resource/);
    assert.deepEqual(runPolicy("readiness-gate", plan, { requireReadiness: false }), []);
  });
});
