/**
 * Per-node capacity: allocatable, requests of the pods bound to the node, and usage from metrics.k8s.io.
 * Shared by `prereq.cluster-capacity`, `state.node-resources` and `risk.resource-contention` so that all three
 * count the same way. Pure.
 */
import type { CapacitySummary, KubeObject } from "../model";
import { parseBytes, parseCpu } from "../quantity";
import { isTerminated, nodeAllocatable, podRequests, unschedulableReason } from "./util";

interface NodeCapacity {
  name: string;
  /** Undefined when the node takes new pods; else why not (cordoned, NotReady, tainted ...). */
  unschedulable?: string;
  allocatableCpu: number;
  allocatableMemory: number;
  requestedCpu: number;
  requestedMemory: number;
  /** Null when no NodeMetrics for this node. */
  usedCpu: number | null;
  usedMemory: number | null;
  pods: number;
}

/** Pods of the lakehouse platform itself (every platform resource carries this label, see stacks/types.ts). */
function isPlatformPod(p: KubeObject): boolean {
  return p.metadata?.labels?.["app.kubernetes.io/part-of"] === "lakehouse";
}

/**
 * Builds the per-node view. `metrics` is null when metrics could not be read at all. Pods count when they are
 * bound to a node (`spec.nodeName`) and not Succeeded/Failed: Running and Pending-but-scheduled pods hold
 * their requests on the node. The platform's own pods do not count (they are what the plan places); their
 * live usage still shows in the node metrics.
 */
export function nodeCapacities(
  nodes: readonly KubeObject[],
  pods: readonly KubeObject[],
  metrics: readonly KubeObject[] | null,
): NodeCapacity[] {
  const byNode = new Map<string, { cpu: number; memory: number; pods: number }>();
  for (const p of pods) {
    const nodeName = typeof p.spec?.nodeName === "string" ? p.spec.nodeName : undefined;
    // The lakehouse's own pods are part of the plan that is being placed: counting their requests as used
    // would make a second `pulumi up` see its own platform as contention (and the drift guard fail the update).
    if (!nodeName || isTerminated(p) || isPlatformPod(p)) continue;
    const r = podRequests(p);
    const acc = byNode.get(nodeName) ?? { cpu: 0, memory: 0, pods: 0 };
    acc.cpu += r.cpu;
    acc.memory += r.memory;
    acc.pods++;
    byNode.set(nodeName, acc);
  }
  const usage = new Map<string, { cpu: number; memory: number }>();
  for (const m of metrics ?? []) {
    const u = (m.usage ?? {}) as Record<string, string>;
    const name = m.metadata?.name;
    if (!name) continue;
    usage.set(name, { cpu: parseCpu(u.cpu) ?? 0, memory: parseBytes(u.memory) ?? 0 });
  }
  return nodes
    .map((n) => {
      const name = n.metadata?.name ?? "?";
      const a = nodeAllocatable(n);
      const r = byNode.get(name) ?? { cpu: 0, memory: 0, pods: 0 };
      const u = usage.get(name);
      return {
        name,
        unschedulable: unschedulableReason(n),
        allocatableCpu: a.cpu,
        allocatableMemory: a.memory,
        requestedCpu: r.cpu,
        requestedMemory: r.memory,
        usedCpu: u ? u.cpu : null,
        usedMemory: u ? u.memory : null,
        pods: r.pods,
      };
    })
    .sort((x, y) => x.name.localeCompare(y.name));
}

/** Sums the schedulable nodes into the report's CapacitySummary. */
export function summarise(nodes: readonly NodeCapacity[], maxUtilizationPercent: number): CapacitySummary {
  const s = nodes.filter((n) => !n.unschedulable);
  // Millicore rounding keeps float noise (48.410000000000004) out of reports.
  const milli = (x: number) => Math.round(x * 1000) / 1000;
  const sum = (f: (n: NodeCapacity) => number) => Math.round(s.reduce((a, n) => a + f(n), 0) * 1000) / 1000;
  const haveMetrics = s.length > 0 && s.every((n) => n.usedCpu !== null && n.usedMemory !== null);
  const allocatableCpu = sum((n) => n.allocatableCpu);
  const allocatableMemory = sum((n) => n.allocatableMemory);
  const requestedCpu = sum((n) => n.requestedCpu);
  const requestedMemory = sum((n) => n.requestedMemory);
  return {
    nodes: s.length,
    allocatableCpu,
    allocatableMemory,
    requestedCpu,
    requestedMemory,
    freeCpu: milli(allocatableCpu - requestedCpu),
    freeMemory: allocatableMemory - requestedMemory,
    usedCpu: haveMetrics ? sum((n) => n.usedCpu ?? 0) : null,
    usedMemory: haveMetrics ? sum((n) => n.usedMemory ?? 0) : null,
    maxUtilizationPercent,
  };
}
