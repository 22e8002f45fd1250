import * as assert from "assert/strict";
import type { PhasePlacement } from "../../../preflight/checks/risk";
import type { Facts } from "../../../preflight/model";
import { config, find, forbidden, healthy, items, run, setCollection, table } from "./helpers";

const NODES = ["anton-01", "anton-02", "anton-03", "anton-04"];
const ID = "risk.resource-contention";

/** Leaves `freeGi` of memory free (by requests) on every node. */
function leaveFree(f: Facts, freeGi: number): void {
  for (const n of NODES) {
    const c = run("prereq.cluster-capacity", f).data!.nodes as {
      name: string;
      allocatableMemory: number;
      requestedMemory: number;
    }[];
    const node = c.find((x) => x.name === n)!;
    const hog = node.allocatableMemory - node.requestedMemory - freeGi * 2 ** 30;
    items(f, "pods").push({
      apiVersion: "v1",
      kind: "Pod",
      metadata: { name: `hog-${n}`, namespace: "default" },
      spec: {
        nodeName: n,
        containers: [
          { name: "hog", resources: { requests: { cpu: "100m", memory: String(Math.floor(hog)) } } },
        ],
      },
      status: { phase: "Running" },
    });
  }
}

const phases = (f: Facts, cfg = config()): PhasePlacement[] =>
  run(ID, f, cfg).data!.phases as PhasePlacement[];

describe("risk", () => {
  table(ID, [
    {
      name: "every phase fits under the line",
      status: "pass",
      observed:
        /foundation fits, compute fits, analytics fits; after analytics: cluster 34\.1% CPU \/ 52\.5% memory, busiest node anton-03 .*usage \+ planned requests/,
    },
    {
      name: "analytics does not fit (Trino workers need 16Gi)",
      mutate: (f) => leaveFree(f, 12),
      status: "fail",
      observed:
        /foundation fits, compute fits, analytics does not fit \(trinoWorker#0, trinoWorker#1 unplaced\)/,
      remediation: /analytics phase.*the analytics gate\(s\) stay closed/,
    },
    {
      name: "nothing fits",
      mutate: (f) => leaveFree(f, 0.5),
      status: "fail",
      observed: /foundation does not fit/,
      remediation: /foundation, compute, analytics gate/,
    },
    {
      name: "fits, but memory after deploy crosses 70 %",
      mutate: (f) =>
        items(f, "nodemetrics").forEach(
          (m) => ((m as { usage: Record<string, string> }).usage.memory = "30Gi"),
        ),
      status: "warn",
      observed: /at or above 70%/,
      remediation: /priority class/,
    },
    {
      name: "no metrics: requests stand in for usage",
      mutate: (f) => setCollection(f, "nodemetrics", { state: "not-collected", message: "none" }),
      status: "pass",
      observed: /requests \+ planned requests \(no metrics\)/,
    },
    {
      name: "disabled phase is not placed",
      config: { phases: { analytics: false } },
      status: "pass",
      observed: /foundation fits, compute fits; after compute/,
    },
    {
      name: "a cordoned node takes nothing",
      mutate: (f) => (find(f, "nodes", "anton-03").spec!.unschedulable = true),
      status: "pass",
    },
    {
      name: "nodes forbidden: unknown",
      mutate: (f) => setCollection(f, "nodes", forbidden("list", "nodes")),
      status: "unknown",
      observed: /may not list nodes/,
    },
  ]);

  it("closes only the first phase that does not fit and the later ones", () => {
    const f = healthy();
    leaveFree(f, 12);
    assert.deepEqual(run(ID, f).data!.closes, ["analytics"]);
    const g = healthy();
    leaveFree(g, 0.5);
    assert.deepEqual(run(ID, g).data!.closes, ["foundation", "compute", "analytics"]);
    assert.deepEqual(run(ID, healthy()).data!.closes, []);
  });

  it("places replicas of one component on different nodes (anti-affinity)", () => {
    const p = phases(healthy());
    const placed = Object.assign({}, ...p.map((x) => x.placements)) as Record<string, string>;
    assert.notEqual(placed["metastore#0"], placed["metastore#1"]);
    assert.notEqual(placed["trinoWorker#0"], placed["trinoWorker#1"]);
    assert.notEqual(placed["sparkExecutor#0"], placed["sparkExecutor#1"]);
    assert.equal(Object.keys(placed).length, 14); // with the table maintenance pod and its Pushgateway
  });

  it("anti-affinity is soft: on one node both replicas still land there", () => {
    const f = healthy();
    for (const n of ["anton-01", "anton-02", "anton-04"]) find(f, "nodes", n).spec!.unschedulable = true;
    const p = phases(f);
    assert.ok(p[0].fits);
    assert.equal(p[0].placements["metastore#0"], "anton-03");
    assert.equal(p[0].placements["metastore#1"], "anton-03");
  });

  it("places largest pods first, so a big pod is not stranded by small ones", () => {
    // One node with 17Gi free, one with 2Gi: FFD puts the 16Gi worker on the big node first and the small
    // pods where they fit; smallest-first would have filled the big node and stranded the worker.
    const f = healthy();
    for (const n of ["anton-03", "anton-04"]) find(f, "nodes", n).spec!.unschedulable = true;
    const cfg = config({
      phases: { foundation: false, compute: false, analytics: true },
      // Trino's pods alone, so the free memory below is exactly what they need.
      analytics: { maintenance: { enabled: false } },
      sizing: {
        trinoWorker: { replicas: 1, cpu: "1", memory: "16Gi" },
        trinoCoordinator: { replicas: 3, cpu: "100m", memory: "1Gi" },
      },
    });
    const caps = run("prereq.cluster-capacity", f).data!.nodes as {
      name: string;
      allocatableMemory: number;
      requestedMemory: number;
    }[];
    const free = (name: string) => {
      const c = caps.find((x) => x.name === name)!;
      return c.allocatableMemory - c.requestedMemory;
    };
    const hog = (name: string, leaveGi: number) =>
      items(f, "pods").push({
        metadata: { name: `hog-${name}`, namespace: "default" },
        spec: {
          nodeName: name,
          containers: [
            { resources: { requests: { memory: String(Math.floor(free(name) - leaveGi * 2 ** 30)) } } },
          ],
        },
        status: { phase: "Running" },
      });
    hog("anton-01", 17);
    hog("anton-02", 2);
    const analytics = phases(f, cfg)[2];
    assert.equal(analytics.fits, true, JSON.stringify(analytics));
    assert.equal(analytics.placements["trinoWorker#0"], "anton-01");
  });

  it("reports utilisation after deploy per node and for the cluster, cumulatively", () => {
    const p = phases(healthy());
    assert.equal(p.length, 3);
    assert.ok(
      p[0].clusterMemoryPercent < p[1].clusterMemoryPercent &&
        p[1].clusterMemoryPercent < p[2].clusterMemoryPercent,
    );
    assert.deepEqual(
      p[2].nodes.map((n) => n.name),
      NODES,
    );
    assert.ok(p[2].nodes.every((n) => n.memoryPercent < 70));
  });
});
