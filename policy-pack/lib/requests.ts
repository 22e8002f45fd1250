/**
 * The plan's total CPU and memory requests, as the scheduler will see them: pod templates x replicas,
 * Helm values `resources` blocks x their component's replicas, SparkApplication driver + executors (with
 * Spark's memory overhead). Pure.
 */
import { parseBytes, parseCpu } from "../../preflight/quantity";
import { asObj, type Obj } from "./resources";
import {
  containersOf,
  helmComponents,
  helmResourceBlocks,
  helmValues,
  parseSparkMemory,
  podTemplates,
  sparkApps,
  sparkRoles,
  type HelmComponent,
} from "./workloads";

interface Requests {
  cpu: number;
  memory: number;
}

function req(block: unknown): Requests {
  const r = asObj(asObj(block).requests);
  return {
    cpu: parseCpu(r.cpu as string | number | undefined) ?? 0,
    memory: parseBytes(r.memory as string | number | undefined) ?? 0,
  };
}

/** Spark on Kubernetes adds max(384 MiB, 10%) of memory overhead to each JVM pod's request. */
export function sparkPodMemory(memory: number, overhead?: number): number {
  return memory + (overhead ?? Math.max(384 * 2 ** 20, 0.1 * memory));
}

/** Requests of one resource (all its pods). `nodes` sizes DaemonSets. */
export function resourceRequests(
  type: string,
  props: Obj,
  nodes = 1,
  helmCharts: Record<string, HelmComponent[]> = {},
): Requests {
  let cpu = 0;
  let memory = 0;
  for (const t of podTemplates(type, props, nodes)) {
    // A pod's effective request is max(largest init container, sum of app containers).
    const all = containersOf(t.spec);
    const app = all.filter((c) => c.list === "containers").map((c) => req(c.c.resources));
    const init = all.filter((c) => c.list === "initContainers").map((c) => req(c.c.resources));
    const podCpu = Math.max(
      app.reduce((a, r) => a + r.cpu, 0),
      ...init.map((r) => r.cpu),
      0,
    );
    const podMem = Math.max(
      app.reduce((a, r) => a + r.memory, 0),
      ...init.map((r) => r.memory),
      0,
    );
    cpu += podCpu * t.replicas;
    memory += podMem * t.replicas;
  }
  const values = helmValues(type, props);
  if (values) {
    for (const b of helmResourceBlocks(values, helmComponents(props, helmCharts))) {
      const r = req(b.block);
      cpu += r.cpu * b.replicas;
      memory += r.memory * b.replicas;
    }
  }
  for (const role of sparkApps(type, props).flatMap((a) => sparkRoles(a.type, a.props))) {
    const s = role.spec;
    const cores = parseCpu((s.coreRequest ?? s.cores) as string | number | undefined) ?? 0;
    const mem = parseSparkMemory(s.memory) ?? 0;
    const overhead = parseSparkMemory(s.memoryOverhead);
    cpu += cores * role.instances;
    memory += (mem ? sparkPodMemory(mem, overhead) : 0) * role.instances;
  }
  return { cpu, memory };
}
