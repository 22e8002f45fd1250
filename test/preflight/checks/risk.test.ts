import * as assert from "assert/strict";
import {
  storageBandwidthNeed,
  TYPICAL_QUERY_SCANS,
  type PhasePlacement,
} from "../../../preflight/checks/risk";
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

describe("risk.storage-bandwidth", () => {
  const MiB = 2 ** 20;
  const BW = "risk.storage-bandwidth";
  /** A finished live measurement: 128 MiB written in `writeMs`, read in `readMs`. */
  const measured = (readMs: number, writeMs = 2_000): Facts["storageBandwidth"] => ({
    state: "done",
    endpoint: "http://rgw.anton.lan:7480",
    discoveredFrom: "config",
    bucket: "lakehouse-preflight-scratch",
    key: "lakehouse-preflight/bandwidth-1-abcd.bin",
    objectBytes: 128 * MiB,
    partBytes: 8 * MiB,
    parallelism: 8,
    boundMs: 60_000,
    write: { bytes: 128 * MiB, ms: writeMs, complete: true },
    read: {
      bytes: 128 * MiB,
      ms: readMs,
      complete: true,
      ttfbMedianMs: 12,
      ttfbP95Ms: 40,
      requests: 16,
    },
    cleanup: {
      ok: true,
      detail: "removed lakehouse-preflight-scratch/lakehouse-preflight/bandwidth-1-abcd.bin",
    },
    wallMs: readMs + writeMs + 100,
  });
  const set = (o: Facts["storageBandwidth"]) => (f: Facts) => {
    f.mode = "live";
    f.storageBandwidth = o;
  };

  it("derives the need from the measured scans at scale 10 and the latency target, as data", () => {
    const n = storageBandwidthNeed(config());
    assert.deepEqual(n, {
      query: "TPC-H Q5",
      scanBytes: 504e6,
      scale: 10,
      latencySeconds: 10,
      bytesPerSecond: 50.4e6,
    });
    assert.equal(
      storageBandwidthNeed(
        config({ thresholds: { queryLatencySeconds: 5 }, analytics: { verifyScaleFactor: 100 } }),
      ).bytesPerSecond,
      1008e6,
    );
    assert.equal(Math.max(...TYPICAL_QUERY_SCANS.queries.map((q) => q.bytes)), 504e6);
  });

  table(BW, [
    {
      name: "offline: skipped, like the S3 round trip",
      status: "skipped",
      observed: /^Skipped: offline: the object store's bandwidth is only measured live\.$/,
    },
    {
      name: "no S3 endpoint or keys: unknown (a risk, so it blocks nothing)",
      mutate: set({ state: "not-measured", reason: "No S3 credentials: set lakehouse:s3.accessKeyId ..." }),
      status: "unknown",
      observed: /^The object store's bandwidth was not measured: No S3 credentials/,
      remediation: /Make state\.s3-api pass first/,
    },
    {
      name: "a read rate above the need passes, with every figure and where it was measured from",
      mutate: set(measured(1_000)),
      status: "pass",
      observed:
        /^Measured from the host the preflight runs on, not from inside the cluster, against S3 at http:\/\/rgw\.anton\.lan:7480: read 128 MiB as 16 ranged GETs of 8 MiB, 8 at a time, at 134 MB\/s \(time to first byte median 12 ms, p95 40 ms\); wrote it by multipart upload at 67\.1 MB\/s\. Needed: 50\.4 MB\/s \(TPC-H Q5 reads 504 MB from storage at TPC-H scale 10, read within thresholds\.queryLatencySeconds 10 s\); the read rate is 2\.7x the need \(TPC-H Q5 would spend 3\.8 s reading\)\.$/,
    },
    {
      name: "a read rate below the need warns, naming the rate, the need and the time the scan alone takes",
      mutate: set(measured(4_000)),
      status: "warn",
      observed:
        /at 33\.6 MB\/s .*Needed: 50\.4 MB\/s .*; the read rate is 0\.67x the need, so TPC-H Q5 would spend 15\.0 s reading alone\.$/,
      remediation: /^Storage may bottleneck analytics: rerun from a machine on the cluster's network/,
    },
    {
      name: "the need follows the latency target: the same rate passes a 20 s target",
      mutate: set(measured(4_000)),
      config: { thresholds: { queryLatencySeconds: 20 } },
      status: "pass",
      observed: /Needed: 25\.2 MB\/s .*within thresholds\.queryLatencySeconds 20 s/,
    },
    {
      name: "fast enough but the probe object could not be removed: warn with the key to delete",
      mutate: (f) => {
        const o = measured(1_000) as Extract<Facts["storageBandwidth"], { state: "done" }>;
        o.cleanup = { ok: false, detail: "could not delete the probe object (b/k): 403 AccessDenied" };
        set(o)(f);
      },
      status: "warn",
      observed: /fast enough, but the probe was not cleaned up: could not delete the probe object/,
      remediation:
        /^Delete lakehouse-preflight-scratch\/lakehouse-preflight\/bandwidth-1-abcd\.bin by hand \(`aws s3 rm s3:\/\/lakehouse-preflight-scratch\/lakehouse-preflight\/bandwidth-1-abcd\.bin --endpoint-url http:\/\/rgw\.anton\.lan:7480`/,
    },
    {
      name: "out of time during the write: unknown, with the progress so far",
      mutate: (f) => {
        const o = measured(1_000) as Extract<Facts["storageBandwidth"], { state: "done" }>;
        o.write = { bytes: 40 * MiB, ms: 60_000, complete: false };
        delete o.read;
        o.failure = {
          step: "write",
          timedOut: true,
          detail: "did not finish within the probe's bound of 60 s",
        };
        set(o)(f);
      },
      status: "unknown",
      observed:
        /: the write ran out of time: did not finish within the probe's bound of 60 s; so far wrote 41\.9 MB of 134 MB in 60\.0 s \(699 kB\/s\)\.$/,
      remediation:
        /moved less than 128 MiB each way within 60 s: .*lower lakehouse:probe\.storageBandwidth\.objectSizeMiB/,
    },
  ]);
});
