/**
 * Trino's memory settings derived from the pod sizes (`lakehouse:sizing.trinoCoordinator/trinoWorker`) by one
 * pure function, instead of the chart's hand-set defaults (8G heap, 1GB per node, 4GB per query) that either
 * waste a 16 GiB worker or get a small one OOM-killed.
 *
 * Trino's rules (docs: admin/properties-resource-management, installation/deployment "JVM config"):
 * - the JVM heap (-Xmx) is most of the container's memory, but not all: the chart's jvm.config reserves 512 MB of
 *   code cache (`-XX:ReservedCodeCacheSize=512M`), and metaspace, thread stacks and direct buffers live off-heap;
 * - `memory.heap-headroom-per-node` is heap kept for allocations Trino does not track (default 30 % of the heap);
 * - `query.max-memory-per-node` is the user memory one query may use on one node (default 30 % of the heap);
 *   Trino refuses to start unless per-node + headroom <= heap;
 * - `query.max-memory` is the user memory one query may use across the cluster (default 20GB, regardless of the
 *   cluster): here per-node x the nodes that run tasks, so one query can use the whole cluster's limit, not more.
 * Pure: no Pulumi, no I/O.
 */
import type { PodSize } from "../../preflight/config/schema";
import { parseBytes } from "../../preflight/quantity";

const MiB = 2 ** 20;
const GiB = 2 ** 30;

/** Off-heap reserve: at least 1 GiB (512 MB code cache + metaspace + threads), else 20 % of the pod. */
const OFF_HEAP_MIN_BYTES = 1 * GiB;
const OFF_HEAP_FRACTION = 0.2;
/** Trino's defaults for the two heap shares (JVM max memory * 0.3 each). */
const HEADROOM_FRACTION = 0.3;
const PER_NODE_FRACTION = 0.3;
/**
 * The smallest pod Trino is given here: 1 GiB of heap after the off-heap reserve. Below it the memory pool
 * (heap - headroom) is a few hundred MB and even `SHOW SCHEMAS` on the Iceberg catalog can fail.
 */
const MIN_POD_MEMORY_BYTES = 2 * GiB;

/** One node's settings, in the units Trino and the JVM read. */
export interface TrinoNodeMemory {
  /** Container memory limit the heap is derived from, in bytes. */
  readonly podMemoryBytes: number;
  /** -Xmx value, e.g. "13107M" (the chart writes `-Xmx{{ maxHeapSize }}`). */
  readonly maxHeapSize: string;
  readonly heapBytes: number;
  /** `memory.heap-headroom-per-node`, e.g. "3932MB". */
  readonly heapHeadroomPerNode: string;
  readonly heapHeadroomBytes: number;
  /** `query.max-memory-per-node`, e.g. "3932MB". */
  readonly maxMemoryPerNode: string;
  readonly maxMemoryPerNodeBytes: number;
}

export interface TrinoMemory {
  readonly coordinator: TrinoNodeMemory;
  readonly worker: TrinoNodeMemory;
  /** `query.max-memory` (cluster-wide, the same on every node), e.g. "7864MB". */
  readonly maxMemory: string;
  readonly maxMemoryBytes: number;
  /**
   * `node-scheduler.include-coordinator`: true only with zero workers (a single-node Trino), so a one-pod
   * homelab still runs queries; with workers the coordinator only plans and schedules.
   */
  readonly includeCoordinator: boolean;
}

/** Where a size comes from, for error messages (e.g. `lakehouse:sizing.trinoWorker`). */
interface TrinoMemoryInput {
  readonly coordinator: PodSize;
  readonly worker: PodSize;
  /** @default "lakehouse:sizing" */
  readonly keyPrefix?: string;
}

const mib = (bytes: number) => Math.floor(bytes / MiB);

function podMemory(size: PodSize, key: string): number {
  const field = size.memoryLimit !== undefined ? "memoryLimit" : "memory";
  const raw = size.memoryLimit ?? size.memory;
  const bytes = parseBytes(raw);
  if (bytes === undefined || !Number.isFinite(bytes)) {
    throw new Error(`${key}.${field} is "${raw}", which is not a memory quantity; expected e.g. "16Gi".`);
  }
  if (bytes < MIN_POD_MEMORY_BYTES) {
    throw new Error(
      `${key}.${field} is ${raw}, too small to run Trino: it needs at least 2Gi per pod ` +
        `(1 GiB of heap plus ${OFF_HEAP_MIN_BYTES / GiB} GiB for code cache, metaspace and threads). ` +
        `Raise ${key}.${field} to 2Gi or more (16Gi for workers is the assessment's sizing).`,
    );
  }
  return bytes;
}

/** The settings of one node from its pod memory. Pure. */
function nodeMemory(size: PodSize, key: string): TrinoNodeMemory {
  const pod = podMemory(size, key);
  const offHeap = Math.max(OFF_HEAP_MIN_BYTES, pod * OFF_HEAP_FRACTION);
  // Whole MiB everywhere, rounded down: the sums below then hold exactly, with no float drift.
  const heapMiB = mib(pod - offHeap);
  const headroomMiB = Math.floor(heapMiB * HEADROOM_FRACTION);
  const perNodeMiB = Math.floor(heapMiB * PER_NODE_FRACTION);
  return {
    podMemoryBytes: pod,
    maxHeapSize: `${heapMiB}M`,
    heapBytes: heapMiB * MiB,
    heapHeadroomPerNode: `${headroomMiB}MB`,
    heapHeadroomBytes: headroomMiB * MiB,
    maxMemoryPerNode: `${perNodeMiB}MB`,
    maxMemoryPerNodeBytes: perNodeMiB * MiB,
  };
}

/**
 * Every memory setting of the Trino cluster, from the coordinator and worker sizes (the worker count is
 * `worker.replicas`). Throws a message naming the sizing key when a pod is too small to run Trino. Pure.
 */
export function trinoMemory(input: TrinoMemoryInput): TrinoMemory {
  const prefix = input.keyPrefix ?? "lakehouse:sizing";
  const coordinator = nodeMemory(input.coordinator, `${prefix}.trinoCoordinator`);
  const worker = nodeMemory(input.worker, `${prefix}.trinoWorker`);
  const workers = input.worker.replicas;
  const includeCoordinator = workers === 0;
  // With workers, the cluster limit is the workers' sum; never below any node's own per-node limit (a per-node
  // limit above the cluster's would be a setting that can never be reached).
  const maxMemoryMiB = includeCoordinator
    ? mib(coordinator.maxMemoryPerNodeBytes)
    : Math.max(mib(worker.maxMemoryPerNodeBytes) * workers, mib(coordinator.maxMemoryPerNodeBytes));
  return {
    coordinator,
    worker,
    maxMemory: `${maxMemoryMiB}MB`,
    maxMemoryBytes: maxMemoryMiB * MiB,
    includeCoordinator,
  };
}
