/**
 * The assessment's risks. `risk.storage-bandwidth` (at the end) compares the live bandwidth probe's read rate
 * with what a typical query needs.
 *
 * `risk.resource-contention`: places the planned platform's pods (the same sizing the Pulumi program deploys)
 * onto each schedulable node's free CPU and memory, phase by phase and cumulatively (foundation, then compute,
 * then analytics), and reports whether each phase fits and the utilisation after deploy against the line.
 *
 * Placement: largest pod first (memory, then CPU). Each pod goes to the node with the most free memory that
 * fits it, preferring nodes without another replica of the same component (soft anti-affinity). Picking the
 * least-allocated node rather than the first node that fits mirrors kube-scheduler's default scoring; plain
 * first-fit would pile everything on one node and report a per-node utilisation the scheduler never produces.
 *
 * Utilisation after deploy = (current usage from metrics.k8s.io + planned requests) / allocatable; without
 * metrics, current requests stand in for usage (and the result says so).
 */
import type { LakehouseConfig } from "../config/schema";
import { plannedPods, type PlannedPod } from "../config/sizing";
import type { Phase } from "../model";
import { PHASES } from "../model";
import { formatBytes, formatCpu, formatRate, formatSize } from "../quantity";
import { nodeCapacities } from "./capacity";
import type { CheckDefinition } from "./types";
import { capitalise, listSome, need, percent, sentence, stripDot } from "./util";

interface Bin {
  name: string;
  allocCpu: number;
  allocMem: number;
  freeCpu: number;
  freeMem: number;
  /** Current load counted toward utilisation (usage, or requests without metrics). */
  baseCpu: number;
  baseMem: number;
  plannedCpu: number;
  plannedMem: number;
  components: Set<string>;
}

export interface PhasePlacement {
  phase: Phase;
  enabled: boolean;
  fits: boolean;
  pods: number;
  /** `component#replica` of pods that fit nowhere. */
  unplaced: string[];
  /** `component#replica` -> node. */
  placements: Record<string, string>;
  /** Cumulative (this phase and the earlier ones) utilisation after deploy. */
  clusterCpuPercent: number;
  clusterMemoryPercent: number;
  nodes: { name: string; cpuPercent: number; memoryPercent: number }[];
}

/** Pure placement used by the check. */
function placePhases(bins: Bin[], podsByPhase: (phase: Phase) => PlannedPod[] | null): PhasePlacement[] {
  const out: PhasePlacement[] = [];
  for (const phase of PHASES) {
    const pods = podsByPhase(phase);
    const unplaced: string[] = [];
    const placements: Record<string, string> = {};
    const sorted = [...(pods ?? [])].sort((a, b) => b.memory - a.memory || b.cpu - a.cpu);
    for (const pod of sorted) {
      const key = `${pod.component}#${pod.replica}`;
      const fitting = bins.filter((b) => b.freeCpu >= pod.cpu && b.freeMem >= pod.memory);
      const spread = fitting.filter((b) => !b.components.has(pod.component));
      const pool = spread.length ? spread : fitting;
      const best = pool.sort(
        (a, b) => b.freeMem - a.freeMem || b.freeCpu - a.freeCpu || a.name.localeCompare(b.name),
      )[0];
      if (!best) {
        unplaced.push(key);
        continue;
      }
      best.freeCpu -= pod.cpu;
      best.freeMem -= pod.memory;
      best.plannedCpu += pod.cpu;
      best.plannedMem += pod.memory;
      best.components.add(pod.component);
      placements[key] = best.name;
    }
    const sum = (f: (b: Bin) => number) => bins.reduce((a, b) => a + f(b), 0);
    out.push({
      phase,
      enabled: pods !== null,
      fits: unplaced.length === 0,
      pods: sorted.length,
      unplaced,
      placements,
      clusterCpuPercent: percent(
        sum((b) => b.baseCpu + b.plannedCpu),
        sum((b) => b.allocCpu),
      ),
      clusterMemoryPercent: percent(
        sum((b) => b.baseMem + b.plannedMem),
        sum((b) => b.allocMem),
      ),
      nodes: [...bins]
        .sort((a, b) => a.name.localeCompare(b.name))
        .map((b) => ({
          name: b.name,
          cpuPercent: percent(b.baseCpu + b.plannedCpu, b.allocCpu),
          memoryPercent: percent(b.baseMem + b.plannedMem, b.allocMem),
        })),
    });
  }
  return out;
}

const resourceContention: CheckDefinition = {
  id: "risk.resource-contention",
  title: "Resource contention: the planned platform placed node by node",
  category: "risk",
  severity: "high",
  critical: false,
  gates: PHASES,
  evaluate(facts, { config }) {
    const line = config.thresholds.maxUtilizationPercent;
    const expected = `Every enabled phase's pods fit on the schedulable nodes' free CPU and memory, and utilisation after deploy stays below ${line}% on the cluster and on each node.`;
    const nodes = need(facts, "nodes", expected);
    if ("outcome" in nodes)
      return { ...nodes.outcome, status: nodes.outcome.status === "fail" ? "unknown" : nodes.outcome.status };
    const pods = need(facts, "pods", expected);
    if ("outcome" in pods)
      return { ...pods.outcome, status: pods.outcome.status === "fail" ? "unknown" : pods.outcome.status };
    const m = facts.kinds.nodemetrics;
    const per = nodeCapacities(nodes.items, pods.items, m?.state === "ok" ? m.items : null);
    const usable = per.filter((n) => !n.unschedulable);
    const withMetrics = usable.length > 0 && usable.every((n) => n.usedCpu !== null && n.usedMemory !== null);
    const bins: Bin[] = usable.map((n) => ({
      name: n.name,
      allocCpu: n.allocatableCpu,
      allocMem: n.allocatableMemory,
      freeCpu: Math.max(0, n.allocatableCpu - n.requestedCpu),
      freeMem: Math.max(0, n.allocatableMemory - n.requestedMemory),
      baseCpu: withMetrics ? (n.usedCpu as number) : n.requestedCpu,
      baseMem: withMetrics ? (n.usedMemory as number) : n.requestedMemory,
      plannedCpu: 0,
      plannedMem: 0,
      components: new Set(),
    }));
    const phases = placePhases(bins, (p) => (config.phases[p] ? plannedPods(config, [p]) : null));
    const enabled = phases.filter((p) => p.enabled);
    const firstMiss = enabled.find((p) => !p.fits);
    const closes = firstMiss ? PHASES.slice(PHASES.indexOf(firstMiss.phase)) : [];
    const basis = withMetrics ? "usage + planned requests" : "requests + planned requests (no metrics)";
    const data = { phases, basis, closes, maxUtilizationPercent: line };
    if (usable.length === 0) {
      return {
        status: "fail",
        observed: "No schedulable nodes to place the platform on.",
        expected,
        remediation: "Uncordon or repair nodes (kubectl get nodes) and rerun.",
        data: { ...data, closes: [...PHASES] },
      };
    }
    const last = enabled[enabled.length - 1];
    if (!last) {
      return {
        status: "pass",
        observed: "No phase is enabled (lakehouse:phases), so nothing is placed.",
        expected,
        remediation: "",
        data,
      };
    }
    const perPhase = enabled
      .map((p) => `${p.phase} ${p.fits ? "fits" : `does not fit (${listSome(p.unplaced, 2)} unplaced)`}`)
      .join(", ");
    const busiest = [...last.nodes].sort(
      (a, b) => Math.max(b.cpuPercent, b.memoryPercent) - Math.max(a.cpuPercent, a.memoryPercent),
    )[0];
    const after = `after ${last.phase}: cluster ${last.clusterCpuPercent}% CPU / ${last.clusterMemoryPercent}% memory, busiest node ${busiest.name} ${busiest.cpuPercent}% / ${busiest.memoryPercent}% (${basis})`;
    if (firstMiss) {
      const free = bins
        .map((b) => `${b.name} ${formatCpu(b.freeCpu)} CPU/${formatBytes(b.freeMem)}`)
        .join(", ");
      return {
        status: "fail",
        observed: `${perPhase}; left free: ${free}.`,
        expected,
        remediation: `Free or add capacity, or shrink lakehouse:sizing for the ${firstMiss.phase} phase (fewer or smaller pods), then rerun; the ${closes.join(", ")} gate(s) stay closed until it fits.`,
        data,
      };
    }
    const overNodes = last.nodes.filter((n) => n.cpuPercent >= line || n.memoryPercent >= line);
    const clusterOver = last.clusterCpuPercent >= line || last.clusterMemoryPercent >= line;
    if (clusterOver || overNodes.length) {
      return {
        status: "warn",
        observed: `${perPhase}; ${after}: ${clusterOver ? "the cluster" : listSome(overNodes.map((n) => n.name))} at or above ${line}%.`,
        expected,
        remediation: `Expect contention: add capacity, shrink lakehouse:sizing, or give the platform's batch pods the low priority class (lakehouse:platform.priorityClasses) so they yield first.`,
        data,
      };
    }
    return { status: "pass", observed: `${perPhase}; ${after}.`, expected, remediation: "", data };
  },
};

/**
 * Bytes Trino 476 read from storage (its `physicalInputDataSize`) for the assessment's typical queries on TPC-H
 * at scale 10, the assessment's 10 GB, with the product's own catalogs (measured for issue 16; bench:analytics
 * saw 411, 440 and 482 MB for the same queries on 2026-12-02, docs/performance.md). A TPC-H query at scale s
 * reads s/10 of these bytes: every table grows linearly with the scale factor.
 */
export const TYPICAL_QUERY_SCANS = {
  scale: 10,
  queries: [
    { query: "TPC-H Q1", bytes: 387e6 },
    { query: "TPC-H Q3", bytes: 471e6 },
    { query: "TPC-H Q5", bytes: 504e6 },
  ],
} as const;

interface BandwidthNeed {
  /** The heaviest typical query, and the bytes it reads from storage at `scale`. */
  query: string;
  scanBytes: number;
  scale: number;
  latencySeconds: number;
  /** scanBytes / latencySeconds: the read rate at which the scan alone fills the whole latency target. */
  bytesPerSecond: number;
}

/**
 * The read rate the analytics target needs: the bytes the heaviest typical query reads from storage on the
 * verification's dataset (`analytics.verifyScaleFactor`, 10 = the assessment's 10 GB), divided by
 * `thresholds.queryLatencySeconds`. A floor, not a comfort line: at that rate reading alone takes the whole
 * budget, before any join or aggregation. Pure.
 */
export function storageBandwidthNeed(
  config: Pick<LakehouseConfig, "analytics" | "thresholds">,
): BandwidthNeed {
  const heaviest = [...TYPICAL_QUERY_SCANS.queries].sort((a, b) => b.bytes - a.bytes)[0];
  const scale = config.analytics.verifyScaleFactor;
  const scanBytes = (heaviest.bytes * scale) / TYPICAL_QUERY_SCANS.scale;
  const latencySeconds = config.thresholds.queryLatencySeconds;
  return {
    query: heaviest.query,
    scanBytes,
    scale,
    latencySeconds,
    bytesPerSecond: scanBytes / latencySeconds,
  };
}

const MiB = 2 ** 20;
const mib = (bytes: number): string => `${Math.round((bytes / MiB) * 10) / 10} MiB`;
const HOST_NOTE = "measured from the host the preflight runs on, not from inside the cluster";

const storageBandwidth: CheckDefinition = {
  id: "risk.storage-bandwidth",
  title: "Storage bandwidth: the object store's read rate against what a typical query needs",
  category: "risk",
  severity: "high",
  critical: false,
  gates: [],
  evaluate(facts, { config }) {
    const need = storageBandwidthNeed(config);
    const needText = `${formatRate(need.bytesPerSecond, 1000)} (${need.query} reads ${formatSize(need.scanBytes)} from storage at TPC-H scale ${need.scale}, read within thresholds.queryLatencySeconds ${need.latencySeconds} s)`;
    const expected = `Parallel ranged reads of a generated object at or above ${needText}; ${HOST_NOTE}.`;
    const bw = facts.storageBandwidth;
    if (bw.state === "skipped") {
      return {
        status: "skipped",
        observed: sentence(`Skipped: ${stripDot(bw.reason)}`),
        expected,
        remediation: "",
      };
    }
    if (bw.state === "not-measured") {
      return {
        status: "unknown",
        observed: `The object store's bandwidth was not measured: ${stripDot(bw.reason)}.`,
        expected,
        remediation:
          "Make state.s3-api pass first (S3 endpoint and keys: lakehouse:s3.endpoint, lakehouse:s3.credentialsSecret), then rerun.",
      };
    }
    const w = bw.write;
    const r = bw.read;
    const data = {
      endpoint: bw.endpoint,
      discoveredFrom: bw.discoveredFrom,
      objectBytes: bw.objectBytes,
      partBytes: bw.partBytes,
      parallelism: bw.parallelism,
      boundMs: bw.boundMs,
      write: { ...w, bytesPerSecond: w.ms > 0 ? (w.bytes * 1000) / w.ms : null },
      read: r ? { ...r, bytesPerSecond: r.ms > 0 ? (r.bytes * 1000) / r.ms : null } : null,
      need,
      cleanup: bw.cleanup,
      wallMs: bw.wallMs,
      measuredFrom: "the preflight's host",
    };
    const at = `${capitalise(HOST_NOTE)}, against S3 at ${bw.endpoint}`;
    const how = `${mib(bw.objectBytes)} object, ${mib(bw.partBytes)} parts/ranges, ${bw.parallelism} at a time`;
    const leftover = bw.cleanup.ok
      ? ""
      : ` The probe object may be left behind: ${stripDot(bw.cleanup.detail)}.`;
    const deleteIt = `Delete ${bw.bucket}/${bw.key} by hand (\`aws s3 rm s3://${bw.bucket}/${bw.key} --endpoint-url ${bw.endpoint}\`; \`aws s3api list-multipart-uploads --bucket ${bw.bucket}\` shows an unfinished upload).`;
    if (bw.failure || !r?.complete) {
      const f = bw.failure ?? { step: "read" as const, timedOut: false, detail: "the read did not complete" };
      const progress = [
        `wrote ${formatSize(w.bytes)} of ${formatSize(bw.objectBytes)} in ${(w.ms / 1000).toFixed(1)} s (${formatRate(w.bytes, w.ms)})`,
        ...(r
          ? [`read ${formatSize(r.bytes)} in ${(r.ms / 1000).toFixed(1)} s (${formatRate(r.bytes, r.ms)})`]
          : []),
      ].join(", ");
      return {
        status: "unknown",
        observed: `${at} (${how}): the ${f.step === "bucket" ? "scratch bucket check" : f.step} ${f.timedOut ? "ran out of time" : "failed"}: ${stripDot(f.detail)}; so far ${progress}.${leftover}`,
        expected,
        remediation: f.timedOut
          ? `The store moved less than ${mib(bw.objectBytes)} each way within ${Math.round(bw.boundMs / 1000)} s: check the network path to RGW and Ceph's health, or lower lakehouse:probe.storageBandwidth.objectSizeMiB / raise timeoutSeconds to get a figure.${bw.cleanup.ok ? "" : ` ${deleteIt}`}`
          : `Check RGW and the scratch bucket's permissions (lakehouse:s3.scratchBucket) and rerun.${bw.cleanup.ok ? "" : ` ${deleteIt}`}`,
        data,
      };
    }
    const readRate = (r.bytes * 1000) / Math.max(1, r.ms);
    const figures = `${at}: read ${mib(r.bytes)} as ${r.requests} ranged GETs of ${mib(bw.partBytes)}, ${bw.parallelism} at a time, at ${formatRate(r.bytes, r.ms)} (time to first byte median ${r.ttfbMedianMs} ms, p95 ${r.ttfbP95Ms} ms); wrote it by multipart upload at ${formatRate(w.bytes, w.ms)}. Needed: ${needText}`;
    if (readRate < need.bytesPerSecond) {
      return {
        status: "warn",
        observed: `${figures}; the read rate is ${(readRate / need.bytesPerSecond).toFixed(2)}x the need, so ${need.query} would spend ${(need.scanBytes / readRate).toFixed(1)} s reading alone.${leftover}`,
        expected,
        remediation: `Storage may bottleneck analytics: rerun from a machine on the cluster's network (a laptop on Wi-Fi measures its own link), then check Ceph (\`ceph osd perf\`, RGW instances and CPU, the network between nodes); after deploy verify.query-latency reports the in-cluster scan rate.${bw.cleanup.ok ? "" : ` ${deleteIt}`}`,
        data,
      };
    }
    if (!bw.cleanup.ok) {
      return {
        status: "warn",
        observed: `${figures}; fast enough, but the probe was not cleaned up: ${stripDot(bw.cleanup.detail)}.`,
        expected,
        remediation: deleteIt,
        data,
      };
    }
    return {
      status: "pass",
      observed: `${figures}; the read rate is ${(readRate / need.bytesPerSecond).toFixed(1)}x the need (${need.query} would spend ${(need.scanBytes / readRate).toFixed(1)} s reading).`,
      expected,
      remediation: "",
      data,
    };
  },
};

export const RISK_CHECKS: readonly CheckDefinition[] = [resourceContention, storageBandwidth];
