import { strict as assert } from "node:assert";
import { runPolicy, validPlan, withChange } from "./fixtures";

const one = (id: string, plan: ReturnType<typeof validPlan>, config?: Record<string, unknown>) => {
  const vs = runPolicy(id, plan, config);
  assert.equal(vs.length, 1, JSON.stringify(vs, null, 2));
  assert.equal(vs[0].enforcement, "advisory");
  return vs[0].message;
};

describe("policy probes", () => {
  it("passes the valid plan (Jobs and init containers need none)", () => {
    assert.deepEqual(runPolicy("probes", validPlan()), []);
  });

  it("container without a readiness probe", () => {
    const plan = withChange(
      "metastore-server",
      (p) => delete p.spec.template.spec.containers[0].readinessProbe,
    );
    assert.equal(
      one("probes", plan),
      "Deployment 'hive-metastore' must set readinessProbe on container 'metastore'.",
    );
  });

  it("container without either probe", () => {
    const plan = withChange("metastore-server", (p) => {
      delete p.spec.template.spec.containers[0].readinessProbe;
      delete p.spec.template.spec.containers[0].livenessProbe;
    });
    assert.equal(
      one("probes", plan),
      "Deployment 'hive-metastore' must set readinessProbe and livenessProbe on container 'metastore'.",
    );
  });
});

describe("policy pod-disruption-budget", () => {
  it("passes the valid plan (the 2-replica metastore has a matching PDB)", () => {
    assert.deepEqual(runPolicy("pod-disruption-budget", validPlan()), []);
  });

  it("replicated Deployment without a PDB", () => {
    const plan = validPlan().filter((r) => r.name !== "metastore-pdb");
    assert.equal(
      one("pod-disruption-budget", plan),
      "Deployment 'hive-metastore' must have a PodDisruptionBudget selecting its pods (2 replicas).",
    );
  });

  it("a PDB whose selector does not match the pods", () => {
    const plan = withChange(
      "metastore-pdb",
      (p) => (p.spec.selector.matchLabels = { "app.kubernetes.io/name": "trino" }),
    );
    assert.match(
      one("pod-disruption-budget", plan),
      /^Deployment 'hive-metastore' must have a PodDisruptionBudget/,
    );
  });

  it("a PDB in another namespace does not count", () => {
    const plan = withChange("metastore-pdb", (p) => (p.metadata.namespace = "default"));
    assert.match(one("pod-disruption-budget", plan), /^Deployment 'hive-metastore'/);
  });

  it("a single replica needs none; minReplicas is configurable", () => {
    const plan = validPlan().filter((r) => r.name !== "metastore-pdb");
    assert.deepEqual(runPolicy("pod-disruption-budget", plan, { minReplicas: 3 }), []);
    const single = withChange("metastore-server", (p) => (p.spec.replicas = 1)).filter(
      (r) => r.name !== "metastore-pdb",
    );
    assert.deepEqual(runPolicy("pod-disruption-budget", single), []);
  });
});

describe("policy non-root", () => {
  it("passes the valid plan (pod-level and container-level settings)", () => {
    assert.deepEqual(runPolicy("non-root", validPlan()), []);
  });

  it("container running as root", () => {
    const plan = withChange(
      "metastore-server",
      (p) => (p.spec.template.spec.containers[0].securityContext.runAsUser = 0),
    );
    assert.equal(
      one("non-root", plan),
      "Deployment 'hive-metastore' must not run container 'metastore' as root (runAsUser is 0).",
    );
  });

  it("no non-root setting anywhere", () => {
    const plan = withChange(
      "metastore-backup",
      (p) => delete p.spec.jobTemplate.spec.template.spec.securityContext,
    );
    assert.equal(
      one("non-root", plan),
      "CronJob 'metastore-backup' must run container 'backup' as non-root (set runAsNonRoot: true or runAsUser > 0).",
    );
  });

  it("privileged container", () => {
    const plan = withChange(
      "metastore-server",
      (p) => (p.spec.template.spec.containers[0].securityContext.privileged = true),
    );
    assert.equal(
      one("non-root", plan),
      "Deployment 'hive-metastore' must not run container 'metastore' privileged.",
    );
  });
});
