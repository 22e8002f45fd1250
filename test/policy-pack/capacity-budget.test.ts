import { strict as assert } from "node:assert";
import { resourceRequests, sparkPodMemory } from "../../policy-pack/lib/requests";
import { parseSparkMemory } from "../../policy-pack/lib/workloads";
import { runPolicy, URNS, validPlan, withChange } from "./fixtures";

const ID = "capacity-budget";
const GiB = 2 ** 30;
const MiB = 2 ** 20;

// The valid plan's requests, computed by hand from the fixture:
//   metastore 2 x max(init 50m, 250m) = 0.5 CPU, 2 x 1Gi; backup 100m, 256Mi; spark-operator 300m, 768Mi;
//   SparkApplication driver 500m (coreRequest), 1g + 384Mi overhead; executors 2 x (1, 2g + 384Mi);
//   trino coordinator 500m, 6Gi; workers (server.workers = 2) 2 x (750m, 8Gi).
const PLAN_CPU = 0.5 + 0.1 + 0.3 + 0.5 + 2 + 0.5 + 1.5;
const PLAN_MEM =
  2 * GiB + 256 * MiB + 768 * MiB + (GiB + 384 * MiB) + 2 * (2 * GiB + 384 * MiB) + 6 * GiB + 16 * GiB;

describe("policy capacity-budget", () => {
  it("sums requests as the scheduler does (replicas, init containers, Helm components, Spark overhead)", () => {
    let cpu = 0;
    let mem = 0;
    for (const r of validPlan()) {
      const q = resourceRequests(r.type, r.props);
      cpu += q.cpu;
      mem += q.memory;
    }
    assert.ok(Math.abs(cpu - PLAN_CPU) < 1e-9, `cpu ${cpu}`);
    assert.equal(mem, PLAN_MEM);
    assert.equal(parseSparkMemory("2g"), 2 * GiB);
    assert.equal(parseSparkMemory("512m"), 512 * MiB);
    assert.equal(sparkPodMemory(8 * GiB), 8 * GiB + 0.1 * 8 * GiB);
  });

  it("passes the valid plan on a cluster with room", () => {
    assert.deepEqual(runPolicy(ID, validPlan()), []);
  });

  it("free CPU just enough passes; just short fails with the numbers", () => {
    const fits = withChange("readiness", (p) => (p.capacity.freeCpu = PLAN_CPU));
    assert.deepEqual(runPolicy(ID, fits), []);
    const short = withChange("readiness", (p) => (p.capacity.freeCpu = PLAN_CPU - 0.1));
    const vs = runPolicy(ID, short);
    assert.equal(vs.length, 1);
    assert.equal(
      vs[0].message,
      "Stack must request at most the free CPU: the plan requests 5.4 CPU but only 5.3 is free (allocatable 24, requested 6).",
    );
    assert.equal(vs[0].urn, URNS.readiness);
    assert.equal(vs[0].enforcement, "mandatory");
  });

  it("free memory just enough passes; just short fails", () => {
    assert.deepEqual(
      runPolicy(
        ID,
        withChange("readiness", (p) => (p.capacity.freeMemory = PLAN_MEM)),
      ),
      [],
    );
    const vs = runPolicy(
      ID,
      withChange("readiness", (p) => (p.capacity.freeMemory = PLAN_MEM - MiB)),
    );
    assert.equal(vs.length, 1);
    assert.match(
      vs[0].message,
      /^Stack must request at most the free memory: the plan requests 31.13Gi but only 31.12Gi is free/,
    );
  });

  it("utilisation line from config: just above the result passes, just below fails", () => {
    // memory after deploy: (24Gi + PLAN_MEM) / 96Gi = 57.4%; CPU: (6 + 5.4) / 24 = 47.5%.
    assert.deepEqual(runPolicy(ID, validPlan(), { maxUtilizationPercent: 58 }), []);
    const vs = runPolicy(ID, validPlan(), { maxUtilizationPercent: 57 });
    assert.equal(vs.length, 1);
    assert.equal(
      vs[0].message,
      "Stack must keep memory utilisation under 57% after deploying: requests would reach 57.4% (24Gi + 31.13Gi of 96Gi).",
    );
    const both = runPolicy(ID, validPlan(), { maxUtilizationPercent: 47 });
    assert.equal(both.length, 2);
    assert.match(
      both[0].message,
      /^Stack must keep CPU utilisation under 47% after deploying: requests would reach 47.5%/,
    );
  });

  it("utilisation line defaults to the report's", () => {
    const vs = runPolicy(
      ID,
      withChange("readiness", (p) => (p.capacity.maxUtilizationPercent = 50)),
    );
    assert.equal(vs.length, 1);
    assert.match(vs[0].message, /memory utilisation under 50%/);
  });

  it("fails closed when the report has no capacity, or there is no report", () => {
    const vs = runPolicy(
      ID,
      withChange("readiness", (p) => (p.capacity = null)),
    );
    assert.equal(vs.length, 1);
    assert.match(
      vs[0].message,
      /^Readiness 'readiness' must record the cluster capacity to check the plan's requests \(5.4 CPU and 31.13Gi memory\)/,
    );
    const none = runPolicy(
      ID,
      validPlan().filter((r) => r.name !== "readiness"),
    );
    assert.equal(none.length, 1);
    assert.match(none[0].message, /^Stack must contain the Readiness resource/);
  });

  it("a DaemonSet counts once per node", () => {
    const plan = validPlan();
    plan.push({
      type: "kubernetes:apps/v1:DaemonSet",
      name: "agent",
      urn: "urn:pulumi:anton::lakehouse::kubernetes:apps/v1:DaemonSet::agent",
      props: {
        metadata: { name: "agent" },
        spec: {
          template: {
            spec: { containers: [{ name: "a", resources: { requests: { cpu: "1", memory: "1Gi" } } }] },
          },
        },
      },
    });
    const fits = withChange("readiness", (p) => (p.capacity.freeCpu = PLAN_CPU + 3));
    fits.push(plan[plan.length - 1]);
    assert.deepEqual(runPolicy(ID, fits), []);
    const short = withChange("readiness", (p) => (p.capacity.freeCpu = PLAN_CPU + 2.9));
    short.push(plan[plan.length - 1]);
    assert.equal(runPolicy(ID, short).length, 1);
  });

  it("Helm replicas: a known component's count path, a sibling replicaCount for other charts, helmCharts overrides", () => {
    const release = (chart: string, values: Record<string, unknown>) =>
      resourceRequests("kubernetes:helm.sh/v3:Release", { chart, version: "1.0.0", values });
    const block = { requests: { cpu: "1", memory: "1Gi" }, limits: { memory: "1Gi" } };
    // trino: worker count from server.workers (default 2 when unset), coordinator 1.
    assert.equal(release("trino", { worker: { resources: block }, server: { workers: 5 } }).cpu, 5);
    assert.equal(release("trino", { worker: { resources: block } }).cpu, 2);
    assert.equal(release("trino", { coordinator: { resources: block } }).cpu, 1);
    // any chart: a replicaCount next to the resources block.
    assert.equal(release("superset", { web: { replicaCount: 3, resources: block } }).cpu, 3);
    // config may describe a chart the pack does not know.
    const custom = resourceRequests(
      "kubernetes:helm.sh/v3:Release",
      { chart: "oci://ghcr.io/acme/charts/thing", values: { api: { resources: block }, scale: { api: 4 } } },
      1,
      { thing: [{ path: "api", replicas: "scale.api" }] },
    );
    assert.equal(custom.cpu, 4);
    assert.equal(custom.memory, 4 * GiB);
  });

  it("a ScheduledSparkApplication counts its template's driver and executors", () => {
    const q = resourceRequests("kubernetes:sparkoperator.k8s.io/v1beta2:ScheduledSparkApplication", {
      spec: {
        schedule: "@daily",
        template: {
          driver: { coreRequest: "250m", memory: "512m" },
          executor: { instances: 3, cores: 2, memory: "4g" },
        },
      },
    });
    assert.equal(q.cpu, 0.25 + 6);
    assert.equal(q.memory, 512 * MiB + 384 * MiB + 3 * (4 * GiB + 0.1 * 4 * GiB));
  });
});
