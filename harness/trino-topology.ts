/**
 * The Trino the engine tests and benchmarks run, derived from the product: a coordinator and one worker (two
 * JVMs, `node-scheduler.include-coordinator=false`) whose config.properties and jvm.config are the ones the trino
 * chart renders from the product's values (stacks/analytics/trinoNodeConfig.ts), with the memory settings of
 * trinoMemory.ts divided by a stated factor where this shared machine cannot give the product's sizes.
 *
 * What differs from a pod's files, and only this ({@link harnessNodeFiles} refuses anything else):
 * - `http-server.http.port` and `discovery.uri`: each JVM listens on its own free port on 127.0.0.1 and the
 *   worker finds the coordinator there (in the cluster: port 8080 and the coordinator Service);
 * - `-agentpath:/usr/lib/trino/bin/libjvmkill.so` is dropped: the agent ships in the trinodb/trino image only,
 *   not in the server tarball (a resource-exhaustion killer; -XX:+ExitOnOutOfMemoryError stays);
 * - three lines are appended: the JVM's temp dir inside the test's own dir, and class-data sharing (an archive
 *   of the classes Trino loads, written by the first start and mapped by later ones; start-up is CPU-bound).
 * Pure: no I/O.
 */
import { configSchema, type PodSize } from "../preflight/config/schema";
import { chartNames } from "../stacks/analytics/names";
import {
  JVMKILL_AGENT_LINE,
  renderTrinoNodeFiles,
  trinoServerValues,
  type TrinoNodeFiles,
  type TrinoServerValues,
} from "../stacks/analytics/trinoNodeConfig";
import { trinoMemory, type TrinoMemory, type TrinoNodeMemory } from "../stacks/analytics/trinoMemory";

/**
 * The test suite's memory factor: the product's sizes (6Gi coordinator, 16Gi workers: heaps of 4.8 and 12.8 GiB)
 * divided by 8, i.e. 614 MB and 1.6 GB of heap, because several suites share this machine's 24 GiB. Every
 * derived ratio (headroom, per-node and per-query limits) stays the product's.
 */
export const TEST_MEMORY_SCALE = 8;

/** The smallest and largest factors the harness accepts (1 = the product's own sizes). */
export const MEMORY_SCALE_RANGE = [1, 16] as const;

const MiB = 2 ** 20;

/** One node's memory divided by `factor`, in whole MiB rounded down (so headroom + per-node <= heap still holds). */
function scaleNode(n: TrinoNodeMemory, factor: number): TrinoNodeMemory {
  const mib = (bytes: number) => Math.floor(bytes / factor / MiB);
  const heap = mib(n.heapBytes);
  const headroom = mib(n.heapHeadroomBytes);
  const perNode = mib(n.maxMemoryPerNodeBytes);
  return {
    podMemoryBytes: Math.floor(n.podMemoryBytes / factor),
    maxHeapSize: `${heap}M`,
    heapBytes: heap * MiB,
    heapHeadroomPerNode: `${headroom}MB`,
    heapHeadroomBytes: headroom * MiB,
    maxMemoryPerNode: `${perNode}MB`,
    maxMemoryPerNodeBytes: perNode * MiB,
  };
}

/** Every memory setting divided by `factor` (>= 1); the scheduling decision is kept. Pure. */
export function scaleTrinoMemory(m: TrinoMemory, factor: number): TrinoMemory {
  const [lo, hi] = MEMORY_SCALE_RANGE;
  if (!(factor >= lo && factor <= hi)) {
    throw new Error(
      `Trino harness: memory scale is ${+factor.toFixed(3)}; expected ${lo}..${hi} (1 = the product's sizes, ` +
        `${TEST_MEMORY_SCALE} = the test suite's).`,
    );
  }
  const maxMemoryMiB = Math.floor(m.maxMemoryBytes / factor / MiB);
  return {
    coordinator: scaleNode(m.coordinator, factor),
    worker: scaleNode(m.worker, factor),
    maxMemory: `${maxMemoryMiB}MB`,
    maxMemoryBytes: maxMemoryMiB * MiB,
    includeCoordinator: m.includeCoordinator,
  };
}

export interface TrinoTopology {
  /** The factor the product's memory settings were divided by. */
  readonly memoryScale: number;
  /** The product's own settings for this topology (one worker), before scaling. */
  readonly productMemory: TrinoMemory;
  /** What the JVMs run with. */
  readonly memory: TrinoMemory;
  /** The chart values the files are rendered from (trinoServerValues). */
  readonly values: TrinoServerValues;
  /** The chart's config.properties and jvm.config of each role (renderTrinoNodeFiles). */
  readonly coordinator: TrinoNodeFiles;
  readonly worker: TrinoNodeFiles;
}

export interface TopologyOptions {
  /** @default {@link TEST_MEMORY_SCALE} */
  readonly memoryScale?: number;
  /** Pod sizes the memory is derived from. @default the product's defaults (anton's: 6Gi and 16Gi) */
  readonly sizing?: { readonly coordinator: PodSize; readonly worker: PodSize };
}

/**
 * The coordinator + one worker the harness runs: the product's config defaults with one worker replica, its
 * memory derived by trinoMemory and divided by `memoryScale`, rendered by the product's own functions. Pure.
 */
export function harnessTopology(opts: TopologyOptions = {}): TrinoTopology {
  const config = configSchema.parse({});
  const sizing = opts.sizing ?? {
    coordinator: config.sizing.trinoCoordinator,
    worker: config.sizing.trinoWorker,
  };
  // One worker JVM here, so the cluster-wide limit is derived for one (the product derives it per replica).
  const worker = { ...sizing.worker, replicas: 1 };
  const productMemory = trinoMemory({ coordinator: sizing.coordinator, worker });
  const memoryScale = opts.memoryScale ?? TEST_MEMORY_SCALE;
  const memory = scaleTrinoMemory(productMemory, memoryScale);
  const values = trinoServerValues({
    memory,
    environment: config.analytics.environment,
    workers: worker.replicas,
    shutdownGracePeriodSeconds: config.analytics.shutdownGracePeriodSeconds,
  });
  const files = renderTrinoNodeFiles(values, chartNames(config.analytics.releaseName).fullname);
  return {
    memoryScale,
    productMemory,
    memory,
    values,
    coordinator: files.coordinator,
    worker: files.worker!,
  };
}

/** Where one JVM of the harness runs. */
export interface HarnessNode {
  /** Its HTTP port on 127.0.0.1. */
  readonly port: number;
  /** The coordinator's port (the worker announces itself there). */
  readonly coordinatorPort: number;
  /** The JVM's temp dir. */
  readonly tmpDir: string;
  /** The class-data-sharing archive (created on first use). */
  readonly sharedArchive: string;
}

/** The lines the harness appends to the chart's jvm.config, and why (module comment). */
export function harnessJvmLines(node: HarnessNode): string[] {
  return [
    `-Djava.io.tmpdir=${node.tmpDir}`,
    "-XX:+AutoCreateSharedArchive",
    `-XX:SharedArchiveFile=${node.sharedArchive}`,
  ];
}

/**
 * The files one harness JVM runs: the chart's, with exactly the differences the module comment lists. Throws
 * when a line it replaces is not in the chart's file, so a change of the chart mirror cannot slip by. Pure.
 */
export function harnessNodeFiles(chart: TrinoNodeFiles, node: HarnessNode): TrinoNodeFiles {
  const replace = (text: string, key: string, value: string): string => {
    const re = new RegExp(`^${key.replace(/\./g, "\\.")}=.*$`, "m");
    if (!re.test(text)) throw new Error(`Trino harness: the chart's config.properties has no ${key} line.`);
    return text.replace(re, `${key}=${value}`);
  };
  let config = replace(chart.configProperties, "http-server.http.port", String(node.port));
  config = replace(config, "discovery.uri", `http://127.0.0.1:${node.coordinatorPort}`);
  const jvm = chart.jvmConfig.split("\n");
  const agent = jvm.indexOf(JVMKILL_AGENT_LINE);
  if (agent < 0) throw new Error(`Trino harness: the chart's jvm.config has no ${JVMKILL_AGENT_LINE} line.`);
  jvm.splice(agent, 1);
  // The file ends with a newline: append before the final empty element.
  jvm.splice(jvm.length - 1, 0, ...harnessJvmLines(node));
  return { configProperties: config, jvmConfig: jvm.join("\n") };
}
