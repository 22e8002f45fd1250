/**
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
import { plannedPods, type PlannedPod } from "../config/sizing";
import type { Phase } from "../model";
import { PHASES } from "../model";
import { formatBytes, formatCpu } from "../quantity";
import { nodeCapacities } from "./capacity";
import type { CheckDefinition } from "./types";
import { listSome, need, percent } from "./util";

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

/** Pure placement used by the check (exported for tests and `plan`). */
export function placePhases(
  bins: Bin[],
  podsByPhase: (phase: Phase) => PlannedPod[] | null,
): PhasePlacement[] {
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

export const RISK_CHECKS: readonly CheckDefinition[] = [resourceContention];
