import * as assert from "assert/strict";
import * as path from "path";
import type { CheckDefinition } from "../../preflight/checks/types";
import { evaluate, runCheck } from "../../preflight/evaluate";
import { PHASES, type Facts, type Report } from "../../preflight/model";
import { loadOfflineFacts } from "../../preflight/offline/load";
import {
  config,
  find,
  forbidden,
  healthy,
  items,
  remove,
  setCollection,
  setCondition,
} from "./checks/helpers";

const NOW = new Date("2026-11-25T18:00:00Z");
const report = (f: Facts, raw: Record<string, unknown> = {}): Report =>
  evaluate(f, { config: config(raw), stack: "anton", now: NOW });
const check = (r: Report, id: string) => r.checks.find((c) => c.id === id)!;

/** Leaves `freeGi` of requested-memory headroom on every node. */
function leaveFree(f: Facts, freeGi: number): void {
  const nodes = check(report(f), "prereq.cluster-capacity").data!.nodes as {
    name: string;
    allocatableMemory: number;
    requestedMemory: number;
  }[];
  for (const n of nodes) {
    items(f, "pods").push({
      metadata: { name: `hog-${n.name}`, namespace: "default" },
      spec: {
        nodeName: n.name,
        containers: [
          {
            resources: {
              requests: {
                memory: String(Math.floor(n.allocatableMemory - n.requestedMemory - freeGi * 2 ** 30)),
              },
            },
          },
        ],
      },
      status: { phase: "Running" },
    });
  }
}

describe("evaluate", () => {
  it("healthy anton: ready, all gates open, matrix filled, capacity reported", () => {
    const r = report(healthy());
    assert.equal(r.schemaVersion, 1);
    assert.equal(r.decision, "ready");
    assert.equal(r.mode, "offline");
    assert.equal(r.stack, "anton");
    assert.equal(r.generatedAt, NOW.toISOString());
    assert.deepEqual(r.triggersMet, ["trigger.storage-usage", "trigger.s3-storage"]);
    assert.deepEqual(r.blocking, []);
    assert.deepEqual(r.warnings, ["prereq.team-sql", "prereq.team-kubernetes", "prereq.backup-strategy"]);
    for (const p of ["foundation", "compute", "analytics"] as const) {
      assert.equal(r.gates[p].open, true);
      assert.deepEqual(r.gates[p].blockedBy, []);
      assert.equal(r.gates[p].phase, p);
    }
    assert.equal(check(r, "state.s3-api").status, "skipped");
    assert.deepEqual(
      r.decisionMatrix.map((m) => [m.condition, m.met, m.priority, m.action]),
      [
        ["Storage > 200Gi", "yes", "High", "Check current PVC usage"],
        ["S3 Requirements", "yes", "High", "Validate application needs"],
        ["Analytics Needs", "no", "Medium", "Assess query requirements"],
        ["Resources Available", "yes", "Critical", "Review cluster capacity"],
      ],
    );
    assert.equal(r.capacity?.nodes, 4);
    assert.equal(r.capacity?.freeCpu, 48.41);
    assert.match(
      r.summary,
      /^Ready: 2 trigger\(s\) met.*open phases: foundation, compute, analytics; 3 warning\(s\)\.$/,
    );
    assert.equal(r.checks.length, 29);
  });

  const BLOCKERS: [string, (f: Facts) => void][] = [
    ["prereq.ceph-object-store", (f) => (find(f, "cephobjectstores", "storage").status!.phase = "Failure")],
    ["prereq.cluster-capacity", (f) => leaveFree(f, 5)],
    [
      "prereq.airflow",
      (f) => setCondition(find(f, "helmreleases", "airflow", "airflow"), "Ready", "False", "UpgradeFailed"),
    ],
    ["prereq.monitoring", (f) => remove(f, "pods", (p) => p.metadata?.namespace === "monitoring")],
    ["prereq.gitops", (f) => (find(f, "deployments", "source-controller").status!.availableReplicas = 0)],
    [
      "prereq.secret-management",
      (f) => remove(f, "deployments", (d) => d.metadata?.name === "external-secrets"),
    ],
    [
      "state.ceph-health",
      (f) => ((find(f, "cephclusters", "storage").status!.ceph as { health: string }).health = "HEALTH_ERR"),
    ],
    ["state.rgw-service", (f) => remove(f, "services", (s) => s.metadata?.name === "rook-ceph-rgw-storage")],
    ["state.storage-classes", (f) => (find(f, "storageclasses", "ceph-bucket").reclaimPolicy = "Delete")],
  ];
  for (const [id, mutate] of BLOCKERS) {
    it(`blocked by ${id}: every gate closed and the check named`, () => {
      const f = healthy();
      mutate(f);
      const r = report(f);
      assert.equal(r.decision, "blocked");
      assert.ok(r.blocking.includes(id), `blocking: ${r.blocking.join(", ")}`);
      for (const p of ["foundation", "compute", "analytics"] as const) {
        assert.equal(r.gates[p].open, false);
        assert.ok(r.gates[p].blockedBy.includes(id), `${p}: ${r.gates[p].reason}`);
        assert.match(r.gates[p].reason, new RegExp(`^closed: .*${id.replace(".", "\\.")}`));
      }
      assert.match(r.summary, new RegExp(`^Blocked: .*${id.replace(".", "\\.")}`));
    });
  }

  it("not needed when no trigger is met, even with failing checks", () => {
    const f = healthy();
    remove(f, "objectbucketclaims", () => true);
    const r = report(f, { thresholds: { storageTrigger: "10Ti" } });
    assert.equal(r.decision, "not-needed");
    assert.deepEqual(r.triggersMet, []);
    assert.ok(Object.values(r.gates).every((g) => !g.open && /no trigger/.test(g.reason)));
    assert.match(r.summary, /^Not needed/);
    assert.deepEqual(
      r.decisionMatrix.map((m) => m.met),
      ["no", "no", "no", "yes"],
    );
  });

  it("an unassessable cluster is blocked, not 'not needed': undetermined triggers with critical unknowns", () => {
    const f = healthy();
    for (const kind of Object.keys(f.kinds) as (keyof Facts["kinds"])[]) {
      setCollection(f, kind, { state: "error", message: "connect ECONNREFUSED 127.0.0.1:6443" });
    }
    const r = report(f);
    assert.deepEqual(r.triggersMet, []);
    assert.equal(check(r, "trigger.storage-usage").met, null);
    assert.equal(r.decision, "blocked");
    assert.ok(r.blocking.includes("prereq.cluster-capacity"));
    assert.match(
      r.summary,
      /^Blocked: no trigger is met but .*trigger\.storage-usage.* could not be determined/,
    );
    assert.ok(Object.values(r.gates).every((g) => !g.open));
  });

  it("the platform's own pods do not count against free capacity (a second `up` sees no self-contention)", () => {
    const before = check(report(healthy()), "prereq.cluster-capacity").data!.capacity as {
      freeMemory: number;
    };
    const f = healthy();
    const node = items(f, "nodes")[0].metadata!.name!;
    items(f, "pods").push({
      metadata: {
        name: "metastore-0",
        namespace: "lakehouse",
        labels: { "app.kubernetes.io/part-of": "lakehouse" },
      },
      spec: { nodeName: node, containers: [{ resources: { requests: { cpu: "2", memory: "8Gi" } } }] },
      status: { phase: "Running" },
    });
    const after = check(report(f), "prereq.cluster-capacity").data!.capacity as { freeMemory: number };
    assert.equal(after.freeMemory, before.freeMemory);
    items(f, "pods").at(-1)!.metadata!.labels = {};
    const foreign = check(report(f), "prereq.cluster-capacity").data!.capacity as { freeMemory: number };
    assert.equal(foreign.freeMemory, before.freeMemory - 8 * 2 ** 30);
  });

  it("a declared trigger alone makes it needed", () => {
    const f = healthy();
    remove(f, "objectbucketclaims", () => true);
    const r = report(f, { thresholds: { storageTrigger: "10Ti" }, triggers: { interactiveAnalytics: true } });
    assert.equal(r.decision, "ready");
    assert.deepEqual(r.triggersMet, ["trigger.interactive-analytics"]);
    assert.equal(r.decisionMatrix[2].met, "yes");
  });

  it("forbidden -> unknown -> blocked (fail closed), naming what the identity lacks", () => {
    const f = healthy();
    setCollection(f, "cephobjectstores", forbidden("list", "cephobjectstores.ceph.rook.io"));
    const r = report(f);
    assert.equal(check(r, "prereq.cluster-capacity").status, "pass");
    assert.equal(check(r, "prereq.ceph-object-store").status, "unknown");
    assert.match(
      check(r, "prereq.ceph-object-store").observed,
      /may not list cephobjectstores\.ceph\.rook\.io/,
    );
    assert.equal(r.decision, "blocked");
    assert.deepEqual(r.blocking, ["prereq.ceph-object-store"]);
  });

  it("no metrics: capacity unknown, blocked, matrix 'Resources Available' unknown, capacity still reported", () => {
    const f = healthy();
    setCollection(f, "nodemetrics", { state: "not-collected", message: "no NodeMetricsList" });
    const r = report(f);
    assert.equal(r.decision, "blocked");
    assert.deepEqual(r.blocking, ["prereq.cluster-capacity"]);
    assert.equal(r.decisionMatrix[3].met, "unknown");
    assert.equal(r.capacity?.usedCpu, null);
    assert.equal(r.capacity?.nodes, 4);
  });

  it("PVCs unreadable: storage trigger unknown in the matrix, still needed through S3", () => {
    const f = healthy();
    setCollection(f, "persistentvolumeclaims", forbidden("list", "persistentvolumeclaims"));
    const r = report(f);
    assert.equal(r.decisionMatrix[0].met, "unknown");
    assert.deepEqual(r.triggersMet, ["trigger.s3-storage"]);
  });

  it("a phase that does not fit closes it and the later ones; earlier gates stay open", () => {
    const f = healthy();
    leaveFree(f, 12);
    const r = report(f, { thresholds: { minFreeMemory: "40Gi" } });
    assert.equal(check(r, "risk.resource-contention").status, "fail");
    assert.equal(r.decision, "ready");
    assert.ok(r.warnings.includes("risk.resource-contention"));
    assert.equal(r.gates.foundation.open, true);
    assert.equal(r.gates.compute.open, true);
    assert.equal(r.gates.analytics.open, false);
    assert.deepEqual(r.gates.analytics.blockedBy, ["risk.resource-contention"]);
    assert.match(r.summary, /open phases: foundation, compute;/);
  });

  it("Airflow pods down (non-critical) closes compute and analytics but not foundation", () => {
    const f = healthy();
    remove(f, "pods", (p) => p.metadata?.namespace === "airflow");
    const r = report(f);
    assert.equal(r.decision, "ready");
    assert.equal(r.gates.foundation.open, true);
    assert.deepEqual(r.gates.compute.blockedBy, ["state.airflow-pods"]);
    assert.deepEqual(r.gates.analytics.blockedBy, ["state.airflow-pods"]);
  });

  it("enforced knowledge blocks; attested knowledge leaves no warnings", () => {
    assert.equal(report(healthy(), { knowledge: { enforce: true } }).decision, "blocked");
    const r = report(healthy(), { knowledge: { teamSql: true, teamKubernetes: true, backupStrategy: true } });
    assert.deepEqual(r.warnings, []);
    assert.match(r.summary, /open phases: foundation, compute, analytics\.$/);
  });

  it("live without S3 credentials: state.s3-api unknown blocks; a passing round trip is ready", () => {
    const f = healthy();
    f.mode = "live";
    f.s3 = { state: "unconfigured", reason: "no credentials" };
    assert.deepEqual(report(f).blocking, ["state.s3-api"]);
    f.s3 = {
      state: "done",
      endpoint: "http://10.96.80.20:80",
      discoveredFrom: "config",
      steps: [{ name: "list-buckets", ok: true, ms: 5, detail: "2 buckets" }],
    };
    assert.equal(report(f).decision, "ready");
  });

  it("a slow or unmeasurable object store is a warning (risk.storage-bandwidth): never blocking, no gate closed", () => {
    const f = healthy();
    f.mode = "live";
    f.s3 = {
      state: "done",
      endpoint: "http://10.96.80.20:80",
      discoveredFrom: "config",
      steps: [{ name: "list-buckets", ok: true, ms: 5, detail: "2 buckets" }],
    };
    for (const bw of [
      { state: "not-measured" as const, reason: "the S3 round trip failed first" },
      {
        state: "done" as const,
        endpoint: "http://10.96.80.20:80",
        discoveredFrom: "config",
        bucket: "b",
        key: "k",
        objectBytes: 2 ** 20,
        partBytes: 2 ** 20,
        parallelism: 1,
        boundMs: 60_000,
        write: { bytes: 2 ** 20, ms: 1_000, complete: true },
        read: { bytes: 2 ** 20, ms: 1_000, complete: true, ttfbMedianMs: 5, ttfbP95Ms: 5, requests: 1 },
        cleanup: { ok: true, detail: "removed" },
        wallMs: 2_000,
      },
    ]) {
      f.storageBandwidth = bw;
      const r = report(f);
      assert.equal(r.decision, "ready", JSON.stringify(bw));
      assert.ok(r.warnings.includes("risk.storage-bandwidth"), r.warnings.join());
      assert.ok(PHASES.every((p) => r.gates[p].open));
    }
  });

  it("a check that throws becomes unknown with the message, never a crash", () => {
    const boom: CheckDefinition = {
      id: "state.boom",
      title: "boom",
      category: "state",
      severity: "critical",
      critical: true,
      gates: ["foundation"],
      evaluate() {
        throw new Error("cannot read properties of undefined (reading 'x')");
      },
    };
    const r = runCheck(boom, healthy(), config(), NOW);
    assert.equal(r.status, "unknown");
    assert.match(r.observed, /could not be evaluated: cannot read properties of undefined/);
    assert.ok(r.remediation.length > 0);
  });

  it("garbage objects in the facts do not crash evaluate", () => {
    const f = healthy();
    (items(f, "pods") as unknown[]).push(null, 42, "pod");
    (items(f, "nodes") as unknown[]).push(null);
    const r = report(f);
    assert.equal(r.checks.length, 29);
    assert.ok(r.checks.some((c) => /could not be evaluated/.test(c.observed)));
    assert.equal(r.decision, "blocked");
  });

  it("the shipped examples: anton is ready, small-homelab (YAML) is not needed", () => {
    const ex = (d: string, ...files: string[]) =>
      files.map((f) => path.resolve(__dirname, "..", "..", "examples", d, f));
    const anton = evaluate(loadOfflineFacts(ex("anton", "cluster.json", "metrics.json")), {
      config: config(),
      stack: null,
    });
    assert.equal(anton.decision, "ready");
    assert.equal(anton.checks.find((c) => c.id === "risk.resource-contention")?.status, "pass");
    const small = evaluate(loadOfflineFacts(ex("small-homelab", "cluster.yaml", "metrics.yaml")), {
      config: config(),
      stack: null,
    });
    assert.equal(small.decision, "not-needed");
    assert.equal(
      small.checks.find((c) => c.id === "trigger.storage-usage")?.observed,
      "2 PVCs request 45Gi in total (at or below 200Gi).",
    );
    assert.match(
      small.checks.find((c) => c.id === "prereq.ceph-object-store")!.observed,
      /CephObjectStore CRD not installed/,
    );
    assert.match(
      small.checks.find((c) => c.id === "prereq.cluster-capacity")!.observed,
      /^Only 13\.35Gi memory and 7\.4 CPU free on 2 schedulable nodes/,
    );
  });

  it("a disabled phase says so in its gate reason", () => {
    const r = report(healthy(), { phases: { analytics: false } });
    assert.match(r.gates.analytics.reason, /disabled in lakehouse:phases/);
  });
});
