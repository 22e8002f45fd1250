/**
 * Each Trino node's `config.properties` and `jvm.config`: the chart values the product sets for the Trino
 * server (memory, scheduling, JVM flags, graceful shutdown), and those two files as the trino chart 1.42.2
 * renders them from these values (trinodb/charts, `charts/trino/templates/configmap-coordinator.yaml` and
 * `configmap-worker.yaml`). One pure function pair, used by the program (trinoValues) and by the engine tests'
 * Trino harness (harness/trino.ts), so the coordinator and worker JVMs the tests start run the lines the
 * cluster's pods run.
 *
 * The chart owns most of both files (its fixed JVM flags, `coordinator=true`, the discovery URI); the
 * renderer mirrors its template line for line, including its blank line, for the branches the product's
 * values reach: no JMX, no HTTPS, no authentication type, no additional or extra properties. It is checked
 * against the output of `helm template` on the real chart (test/fixtures/trino-chart/, recorded by
 * test/fixtures/trino-chart/record.ts). Pure: no Pulumi, no I/O.
 */
import type { TrinoMemory } from "./trinoMemory";

/** What the product sets under the chart's `server`, `coordinator` and `worker` keys for the Trino server. */
export interface TrinoServerValues {
  readonly server: {
    readonly workers: number;
    readonly node: { readonly environment: string };
    readonly config: { readonly query: { readonly maxMemory: string } };
  };
  readonly coordinator: {
    readonly jvm: { readonly maxHeapSize: string };
    readonly config: {
      readonly memory: { readonly heapHeadroomPerNode: string };
      readonly query: { readonly maxMemoryPerNode: string };
      readonly nodeScheduler: { readonly includeCoordinator: boolean };
    };
    readonly additionalJVMConfig: readonly string[];
  };
  readonly worker: {
    readonly jvm: { readonly maxHeapSize: string };
    readonly config: {
      readonly memory: { readonly heapHeadroomPerNode: string };
      readonly query: { readonly maxMemoryPerNode: string };
    };
    readonly additionalJVMConfig: readonly string[];
    readonly gracefulShutdown: { readonly enabled: boolean; readonly gracePeriodSeconds: number };
  };
}

interface TrinoServerValuesInput {
  /** The derived memory settings (trinoMemory, or a scaled copy of them in the tests). */
  readonly memory: TrinoMemory;
  /** `lakehouse:analytics.environment` (node.environment). */
  readonly environment: string;
  /** Worker pods (`lakehouse:sizing.trinoWorker.replicas`). */
  readonly workers: number;
  /** `lakehouse:analytics.shutdownGracePeriodSeconds`. */
  readonly shutdownGracePeriodSeconds: number;
}

/**
 * The chart adds these two flags only for an unmodified `trinodb/trino` tag > 447 (JDK-8329528: G1 pinned
 * regions stall GC on JDK 22+). The product gives the image as one reference (any registry, tag or digest), so
 * it sets them for the pinned 476 itself.
 */
export const JDK_8329528_FLAGS = [
  "-XX:+UnlockDiagnosticVMOptions",
  "-XX:G1NumCollectionsKeepPinned=10000000",
] as const;

/** The Trino server's part of the chart values. Pure. */
export function trinoServerValues(input: TrinoServerValuesInput): TrinoServerValues {
  const { memory } = input;
  return {
    server: {
      workers: input.workers,
      node: { environment: input.environment },
      config: { query: { maxMemory: memory.maxMemory } },
    },
    coordinator: {
      jvm: { maxHeapSize: memory.coordinator.maxHeapSize },
      config: {
        memory: { heapHeadroomPerNode: memory.coordinator.heapHeadroomPerNode },
        query: { maxMemoryPerNode: memory.coordinator.maxMemoryPerNode },
        nodeScheduler: { includeCoordinator: memory.includeCoordinator },
      },
      additionalJVMConfig: [...JDK_8329528_FLAGS],
    },
    worker: {
      jvm: { maxHeapSize: memory.worker.maxHeapSize },
      config: {
        memory: { heapHeadroomPerNode: memory.worker.heapHeadroomPerNode },
        query: { maxMemoryPerNode: memory.worker.maxMemoryPerNode },
      },
      additionalJVMConfig: [...JDK_8329528_FLAGS],
      // The chart's preStop asks the worker to shut down (PUT /v1/info/state SHUTTING_DOWN) and waits: running
      // tasks finish instead of failing their queries when a node drains or the Deployment rolls.
      gracefulShutdown: { enabled: true, gracePeriodSeconds: input.shutdownGracePeriodSeconds },
    },
  };
}

/** Values of the chart 1.42.2 that the product leaves at their defaults and the two files read. */
const TRINO_CHART_DEFAULTS = {
  /** `service.port`: every node's HTTP port. */
  port: 8080,
  /** `coordinator/worker.jvm.gcMethod.type` and `.g1.heapRegionSize`. */
  gcMethod: "UseG1GC",
  heapRegionSize: "32M",
} as const;

/**
 * The line of the chart's jvm.config that needs a file only the `trinodb/trino` image has (Trino's jvmkill
 * agent, which kills the JVM on resource exhaustion). A Trino started from the server tarball drops it.
 */
export const JVMKILL_AGENT_LINE = "-agentpath:/usr/lib/trino/bin/libjvmkill.so";

/** One node's two files, as the chart's ConfigMap holds them. */
export interface TrinoNodeFiles {
  readonly configProperties: string;
  readonly jvmConfig: string;
}

interface TrinoClusterFiles {
  readonly coordinator: TrinoNodeFiles;
  /** Absent with zero workers: the chart renders no worker ConfigMap then. */
  readonly worker?: TrinoNodeFiles;
}

/** The chart's jvm.config template for one role (the same for both; only the values differ). */
function jvmConfig(role: TrinoServerValues["coordinator"] | TrinoServerValues["worker"]): string {
  return [
    "-server",
    JVMKILL_AGENT_LINE,
    `-Xmx${role.jvm.maxHeapSize}`,
    `-XX:+${TRINO_CHART_DEFAULTS.gcMethod}`,
    `-XX:G1HeapRegionSize=${TRINO_CHART_DEFAULTS.heapRegionSize}`,
    "-XX:+ExplicitGCInvokesConcurrent",
    "-XX:+HeapDumpOnOutOfMemoryError",
    "-XX:+ExitOnOutOfMemoryError",
    "-XX:-OmitStackTraceInFastThrow",
    "-XX:ReservedCodeCacheSize=512M",
    "-XX:PerMethodRecompilationCutoff=10000",
    "-XX:PerBytecodeRecompilationCutoff=10000",
    "-Djdk.attach.allowAttachSelf=true",
    "-Djdk.nio.maxCachedBufferSize=2000000",
    "# Allow loading dynamic agent used by JOL",
    "-XX:+EnableDynamicAgentLoading",
    // The template's comment line before the image check leaves a blank line before the flags that follow.
    ...(role.additionalJVMConfig.length > 0 ? ["", ...role.additionalJVMConfig] : []),
    "",
  ].join("\n");
}

/**
 * Both roles' config.properties and jvm.config as the chart renders them from `values` (the release's
 * `fullname`, chartNames(releaseName).fullname, is the coordinator Service the workers discover). Pure.
 */
export function renderTrinoNodeFiles(values: TrinoServerValues, fullname: string): TrinoClusterFiles {
  const { coordinator: c, worker: w, server } = values;
  const port = TRINO_CHART_DEFAULTS.port;
  const shutdown = w.gracefulShutdown.enabled
    ? [`shutdown.grace-period=${w.gracefulShutdown.gracePeriodSeconds}s`]
    : [];
  const headroom = (h: string): string[] => (h ? [`memory.heap-headroom-per-node=${h}`] : []);
  const coordinator: TrinoNodeFiles = {
    configProperties: [
      "coordinator=true",
      `node-scheduler.include-coordinator=${c.config.nodeScheduler.includeCoordinator}`,
      `http-server.http.port=${port}`,
      `query.max-memory=${server.config.query.maxMemory}`,
      `query.max-memory-per-node=${c.config.query.maxMemoryPerNode}`,
      ...headroom(c.config.memory.heapHeadroomPerNode),
      `discovery.uri=http://localhost:${port}`,
      // The chart writes the workers' grace period into the coordinator's file too.
      ...shutdown,
      "",
    ].join("\n"),
    jvmConfig: jvmConfig(c),
  };
  if (server.workers <= 0) return { coordinator };
  const worker: TrinoNodeFiles = {
    configProperties: [
      "coordinator=false",
      `http-server.http.port=${port}`,
      `query.max-memory=${server.config.query.maxMemory}`,
      `query.max-memory-per-node=${w.config.query.maxMemoryPerNode}`,
      ...headroom(w.config.memory.heapHeadroomPerNode),
      `discovery.uri=http://${fullname}:${port}`,
      ...shutdown,
      "",
    ].join("\n"),
    jvmConfig: jvmConfig(w),
  };
  return { coordinator, worker };
}
