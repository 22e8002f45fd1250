/**
 * trinoMemory: the JVM heap and Trino's memory properties for several sizings (a table of cases, the anton
 * defaults among them), the invariants Trino checks at start-up, and the errors for pods too small to run Trino.
 */
import * as assert from "node:assert/strict";
import { configSchema, type PodSize } from "../../../preflight/config/schema";
import { trinoMemory } from "../../../stacks/analytics/trinoMemory";

const MiB = 2 ** 20;
const size = (replicas: number, memory: string, memoryLimit?: string): PodSize => ({
  replicas,
  cpu: "1",
  memory,
  ...(memoryLimit ? { memoryLimit } : {}),
});

interface Case {
  name: string;
  coordinator: PodSize;
  worker: PodSize;
  expect: {
    coordinatorHeap: string;
    coordinatorPerNode: string;
    coordinatorHeadroom: string;
    workerHeap: string;
    workerPerNode: string;
    workerHeadroom: string;
    maxMemory: string;
    includeCoordinator: boolean;
  };
}

const anton = configSchema.parse({}).sizing;

const CASES: Case[] = [
  {
    // 6Gi: off-heap max(1Gi, 20 % = 1228.8Mi) -> heap 4915M; 30 % = 1474MB. 16Gi: 20 % -> heap 13107M; 3932MB.
    name: "anton defaults: coordinator 6Gi, 2 workers x 16Gi",
    coordinator: anton.trinoCoordinator,
    worker: anton.trinoWorker,
    expect: {
      coordinatorHeap: "4915M",
      coordinatorPerNode: "1474MB",
      coordinatorHeadroom: "1474MB",
      workerHeap: "13107M",
      workerPerNode: "3932MB",
      workerHeadroom: "3932MB",
      maxMemory: "7864MB",
      includeCoordinator: false,
    },
  },
  {
    // 2Gi is the floor: 1 GiB off-heap, 1 GiB heap, 307MB per node.
    name: "smallest pods: 2Gi each, 1 worker",
    coordinator: size(1, "2Gi"),
    worker: size(1, "2Gi"),
    expect: {
      coordinatorHeap: "1024M",
      coordinatorPerNode: "307MB",
      coordinatorHeadroom: "307MB",
      workerHeap: "1024M",
      workerPerNode: "307MB",
      workerHeadroom: "307MB",
      maxMemory: "307MB",
      includeCoordinator: false,
    },
  },
  {
    // 4Gi: 20 % is 819Mi < 1Gi, so the 1 GiB reserve applies -> 3072M.
    name: "4Gi pods, 3 workers: the fixed 1 GiB reserve wins below 5Gi",
    coordinator: size(1, "4Gi"),
    worker: size(3, "4Gi"),
    expect: {
      coordinatorHeap: "3072M",
      coordinatorPerNode: "921MB",
      coordinatorHeadroom: "921MB",
      workerHeap: "3072M",
      workerPerNode: "921MB",
      workerHeadroom: "921MB",
      maxMemory: "2763MB",
      includeCoordinator: false,
    },
  },
  {
    name: "the memory limit, not the request, sizes the heap (request 8Gi, limit 32Gi), 4 workers",
    coordinator: size(1, "8Gi"),
    worker: size(4, "8Gi", "32Gi"),
    expect: {
      coordinatorHeap: "6553M",
      coordinatorPerNode: "1965MB",
      coordinatorHeadroom: "1965MB",
      workerHeap: "26214M",
      workerPerNode: "7864MB",
      workerHeadroom: "7864MB",
      maxMemory: "31456MB",
      includeCoordinator: false,
    },
  },
  {
    name: "single node: zero workers, the coordinator runs tasks and the cluster limit is its own",
    coordinator: size(1, "16Gi"),
    worker: size(0, "16Gi"),
    expect: {
      coordinatorHeap: "13107M",
      coordinatorPerNode: "3932MB",
      coordinatorHeadroom: "3932MB",
      workerHeap: "13107M",
      workerPerNode: "3932MB",
      workerHeadroom: "3932MB",
      maxMemory: "3932MB",
      includeCoordinator: true,
    },
  },
  {
    name: "a big coordinator and one small worker: the cluster limit is never below a node's own",
    coordinator: size(1, "16Gi"),
    worker: size(1, "4Gi"),
    expect: {
      coordinatorHeap: "13107M",
      coordinatorPerNode: "3932MB",
      coordinatorHeadroom: "3932MB",
      workerHeap: "3072M",
      workerPerNode: "921MB",
      workerHeadroom: "921MB",
      maxMemory: "3932MB",
      includeCoordinator: false,
    },
  },
  {
    name: "decimal units (16G = 14.9 GiB)",
    coordinator: size(1, "6G"),
    worker: size(2, "16G"),
    expect: {
      coordinatorHeap: "4577M",
      coordinatorPerNode: "1373MB",
      coordinatorHeadroom: "1373MB",
      workerHeap: "12207M",
      workerPerNode: "3662MB",
      workerHeadroom: "3662MB",
      maxMemory: "7324MB",
      includeCoordinator: false,
    },
  },
];

describe("trinoMemory (pure)", () => {
  for (const c of CASES) {
    it(c.name, () => {
      const m = trinoMemory({ coordinator: c.coordinator, worker: c.worker });
      assert.deepEqual(
        {
          coordinatorHeap: m.coordinator.maxHeapSize,
          coordinatorPerNode: m.coordinator.maxMemoryPerNode,
          coordinatorHeadroom: m.coordinator.heapHeadroomPerNode,
          workerHeap: m.worker.maxHeapSize,
          workerPerNode: m.worker.maxMemoryPerNode,
          workerHeadroom: m.worker.heapHeadroomPerNode,
          maxMemory: m.maxMemory,
          includeCoordinator: m.includeCoordinator,
        },
        c.expect,
      );
    });
  }

  it("holds Trino's start-up invariants and leaves room off-heap for every case", () => {
    for (const c of CASES) {
      const m = trinoMemory({ coordinator: c.coordinator, worker: c.worker });
      for (const [role, n] of [
        ["coordinator", m.coordinator],
        ["worker", m.worker],
      ] as const) {
        const at = `${c.name} ${role}`;
        // LocalMemoryManager: per-node + headroom must not exceed the heap.
        assert.ok(n.maxMemoryPerNodeBytes + n.heapHeadroomBytes <= n.heapBytes, at);
        // At least 1 GiB and 20 % of the pod stay off-heap (code cache 512M, metaspace, threads).
        assert.ok(n.podMemoryBytes - n.heapBytes >= 1024 * MiB, at);
        assert.ok(n.podMemoryBytes - n.heapBytes >= n.podMemoryBytes * 0.2 - MiB, at);
        assert.ok(n.maxMemoryPerNodeBytes <= m.maxMemoryBytes, `${at}: per-node above the cluster limit`);
        // Strings and byte counts agree.
        assert.equal(n.maxHeapSize, `${n.heapBytes / MiB}M`, at);
        assert.equal(n.maxMemoryPerNode, `${n.maxMemoryPerNodeBytes / MiB}MB`, at);
      }
      assert.equal(m.maxMemory, `${m.maxMemoryBytes / MiB}MB`);
    }
  });

  it("the cluster limit grows with the worker count", () => {
    const at = (n: number) =>
      trinoMemory({ coordinator: anton.trinoCoordinator, worker: { ...anton.trinoWorker, replicas: n } })
        .maxMemoryBytes;
    assert.equal(at(4), 2 * at(2));
    assert.equal(at(1) * 3, at(3));
  });

  it("rejects a worker too small to run Trino, naming the key, the value and the fix", () => {
    assert.throws(
      () => trinoMemory({ coordinator: anton.trinoCoordinator, worker: size(2, "1536Mi") }),
      (e: Error) => {
        assert.match(e.message, /^lakehouse:sizing\.trinoWorker\.memory is 1536Mi, too small to run Trino/);
        assert.match(e.message, /at least 2Gi per pod/);
        assert.match(e.message, /Raise lakehouse:sizing\.trinoWorker\.memory to 2Gi or more/);
        return true;
      },
    );
  });

  it("names memoryLimit when the limit is what is too small, and the coordinator key for the coordinator", () => {
    assert.throws(
      () => trinoMemory({ coordinator: size(1, "1Gi", "1Gi"), worker: anton.trinoWorker }),
      /^Error: lakehouse:sizing\.trinoCoordinator\.memoryLimit is 1Gi, too small to run Trino/,
    );
    assert.throws(
      () => trinoMemory({ coordinator: size(1, "512Mi"), worker: anton.trinoWorker }),
      /^Error: lakehouse:sizing\.trinoCoordinator\.memory is 512Mi/,
    );
  });

  it("rejects a value that is not a quantity with a clear message", () => {
    assert.throws(
      () => trinoMemory({ coordinator: anton.trinoCoordinator, worker: size(2, "lots") }),
      /lakehouse:sizing\.trinoWorker\.memory is "lots", which is not a memory quantity; expected e\.g\. "16Gi"/,
    );
  });
});
