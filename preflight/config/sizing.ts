/**
 * The planned platform, as pods: which component runs in which phase and what it requests. One source for
 * the resource-contention risk check, the components' container resources, the namespace quota and the
 * capacity-budget policy. Pure.
 */
import type { Phase } from "../model";
import { parseBytes, parseCpu } from "../quantity";
import type { ComponentName, LakehouseConfig, PodSize } from "./schema";

/** Which phase each sized component belongs to. */
const COMPONENT_PHASE: Record<ComponentName, Phase> = {
  metastore: "foundation",
  metastoreDb: "foundation",
  metadataBackup: "foundation",
  sparkOperator: "compute",
  sparkOperatorWebhook: "compute",
  sparkDriver: "compute",
  sparkExecutor: "compute",
  trinoCoordinator: "analytics",
  trinoWorker: "analytics",
  tableMaintenance: "analytics",
  pushgateway: "analytics",
};

/** Components a phase runs only when a feature of it is on (the table maintenance and its Pushgateway). */
function componentEnabled(config: LakehouseConfig, component: ComponentName): boolean {
  if (component === "tableMaintenance" || component === "pushgateway") {
    return config.analytics.maintenance.enabled;
  }
  return true;
}

export interface PlannedPod {
  phase: Phase;
  component: ComponentName;
  /** Index among the component's replicas, 0-based. */
  replica: number;
  cpu: number;
  memory: number;
  memoryLimit: number;
}

/** Kubernetes `resources` block for a component (requests, memory limit, optional CPU limit). */
export function containerResources(size: PodSize): {
  requests: { cpu: string; memory: string };
  limits: { memory: string; cpu?: string };
} {
  const limits: { memory: string; cpu?: string } = { memory: size.memoryLimit ?? size.memory };
  if (size.cpuLimit) limits.cpu = size.cpuLimit;
  return { requests: { cpu: size.cpu, memory: size.memory }, limits };
}

/** Every planned pod of the enabled phases (or of `phases` when given), in phase order. */
export function plannedPods(config: LakehouseConfig, phases?: readonly Phase[]): PlannedPod[] {
  const out: PlannedPod[] = [];
  for (const [component, phase] of Object.entries(COMPONENT_PHASE) as [ComponentName, Phase][]) {
    if (phases ? !phases.includes(phase) : !config.phases[phase]) continue;
    if (!componentEnabled(config, component)) continue;
    const s = config.sizing[component];
    for (let replica = 0; replica < s.replicas; replica++) {
      out.push({
        phase,
        component,
        replica,
        cpu: parseCpu(s.cpu) ?? 0,
        memory: parseBytes(s.memory) ?? 0,
        memoryLimit: parseBytes(s.memoryLimit ?? s.memory) ?? 0,
      });
    }
  }
  return out;
}

/** Sum of requests of the given pods. */
export function totals(pods: readonly PlannedPod[]): { cpu: number; memory: number; memoryLimit: number } {
  return pods.reduce(
    (a, p) => ({
      cpu: a.cpu + p.cpu,
      memory: a.memory + p.memory,
      memoryLimit: a.memoryLimit + p.memoryLimit,
    }),
    { cpu: 0, memory: 0, memoryLimit: 0 },
  );
}
