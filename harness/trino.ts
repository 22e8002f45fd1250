/**
 * A real Trino 476 for tests and benchmarks: the trino-server tarball from Maven Central (see
 * .ci/setup.d/60-trino.sh) on the machine image's Temurin 25 JDK, run as the product runs it: a coordinator and
 * a worker, two JVMs (`node-scheduler.include-coordinator=false`: the worker runs every task), each with the
 * config.properties and jvm.config the trino chart renders from the product's values, memory divided by a stated
 * factor (./trino-topology.ts says what differs from a pod, and why). HTTP on 127.0.0.1 on ports the kernel hands
 * out, all state in a fresh temp dir. Both JVMs start at once; the start is ready when the worker is active and
 * a query runs on it.
 *
 * The catalogs are exactly the texts it is given (the product's renderCatalogs output), on both nodes, nothing
 * else. Only the plugins those catalogs name are loaded (symlinks into the install), which saves ~half the
 * start-up against loading all ~55.
 *
 * `stop()` stops both JVMs by their pids (SIGTERM, then SIGKILL) and removes the temp dir.
 */
import type { ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { TrinoClient, TrinoQueryError } from "../verify/http/trino";
import { freePort, isAlive, spawnDaemon, stopPid, tail, waitFor } from "./proc";
import { harnessNodeFiles, harnessTopology, TEST_MEMORY_SCALE, type TrinoTopology } from "./trino-topology";

/** The Trino release the tests run (stacks/analytics/catalogs.ts pins the same). */
export const TRINO_TEST_VERSION = "476";

/** Trino 476 needs Java 24+; Debian 12 packages only 17, the machine image has Temurin 25 here. */
export const TRINO_JAVA_HOME = "/usr/lib/jvm/temurin-25-jdk-amd64";

const INSTALL_HINT = "run bash .ci/setup.d/60-trino.sh";

/** Where .ci/setup.d/60-trino.sh unpacks the server (`bin/launcher`, `lib/`, `plugin/`, `bin/trino-cli`). */
export function trinoHome(env: NodeJS.ProcessEnv = process.env): string {
  return (
    env.LAKEHOUSE_TRINO_HOME ??
    path.join(
      env.LAKEHOUSE_CACHE ?? path.join(os.homedir(), ".cache", "lakehouse"),
      `trino-server-${TRINO_TEST_VERSION}`,
    )
  );
}

export interface TrinoNode {
  /** `coordinator` or `worker`. */
  role: "coordinator" | "worker";
  /** `http://127.0.0.1:PORT` */
  url: string;
  pid: number;
  /** The node's `node.id`, as system.runtime.nodes and system.runtime.tasks name it. */
  nodeId: string;
  /** Its etc dir (config.properties, jvm.config, node.properties, catalog/), as written. */
  etcDir: string;
  /** The JVM's log (stdout+stderr). */
  logFile: string;
}

export interface Trino {
  /** The coordinator, `http://127.0.0.1:PORT` (the client protocol: POST /v1/statement). */
  url: string;
  port: number;
  /** Pid of the coordinator JVM. */
  pid: number;
  /** The coordinator's log, for failure messages. */
  logFile: string;
  /** The coordinator's catalog files as written (name -> text), for tests that assert nothing else was configured. */
  catalogDir: string;
  /** Both JVMs. */
  nodes: { coordinator: TrinoNode; worker: TrinoNode };
  /** The product-derived settings the nodes run with (memory scale, memory, the chart's files). */
  topology: TrinoTopology;
  /** Stops both JVMs by pid, waits until they are gone, removes the temp dir. Idempotent. */
  stop(): Promise<void>;
}

export interface TrinoOptions {
  /** catalog name -> properties text (renderCatalogs output), written as etc/catalog/<name>.properties on both nodes. */
  catalogs: Record<string, string>;
  /** Environment of the servers (e.g. the S3 keys the catalogs reference as ${ENV:...}); nothing else is inherited but PATH. */
  env: Record<string, string>;
  /**
   * The product's memory settings are divided by this (1 = the product's sizes: 4.8 + 12.8 GiB of heap).
   * @default TEST_MEMORY_SCALE (8: the machine is shared)
   */
  memoryScale?: number;
  /** Alternatively the worker's heap in GB; the factor is the product's worker heap / this. */
  heapGb?: number;
  /** @default 600000 (start-up takes 20 s on an idle machine, minutes when 6 engineers share its 2 cores) */
  startTimeoutMs?: number;
}

/** The memory factor of `opts` (memoryScale, or derived from heapGb). */
export function memoryScaleOf(opts: Pick<TrinoOptions, "memoryScale" | "heapGb">): number {
  if (opts.heapGb === undefined) return opts.memoryScale ?? TEST_MEMORY_SCALE;
  const productWorkerHeap = harnessTopology({ memoryScale: 1 }).memory.worker.heapBytes;
  return productWorkerHeap / (opts.heapGb * 2 ** 30);
}

/** Throws a clear "not installed" error unless the server and the JDK are where the setup script puts them. */
export function requireTrino(env: NodeJS.ProcessEnv = process.env): string {
  const home = trinoHome(env);
  if (!fs.existsSync(path.join(home, ".complete")) || !fs.existsSync(path.join(home, "bin", "launcher"))) {
    throw new Error(`Trino ${TRINO_TEST_VERSION} not installed: ${INSTALL_HINT} (expected it in ${home}).`);
  }
  if (!fs.existsSync(path.join(TRINO_JAVA_HOME, "bin", "java"))) {
    throw new Error(
      `Trino ${TRINO_TEST_VERSION} needs Java 24+, expected at ${TRINO_JAVA_HOME} (the machine image's Temurin 25); not installed.`,
    );
  }
  return home;
}

/** `connector.name` of a catalog text, or undefined. */
function connectorOf(text: string): string | undefined {
  return /^\s*connector\.name\s*=\s*(\S+)\s*$/m.exec(text)?.[1];
}

/**
 * Starts a fresh Trino with exactly `opts.catalogs`. The port comes from the kernel but is only reserved once
 * the server binds it, so a start that fails because the port was taken is retried once.
 */
export async function startTrino(opts: TrinoOptions): Promise<Trino> {
  try {
    return await startTrinoOnce(opts);
  } catch (e) {
    if (!/Address already in use|BindException/.test((e as Error).message)) throw e;
    return startTrinoOnce(opts);
  }
}

interface NodeDirs {
  etc: string;
  data: string;
  tmp: string;
  log: string;
}

async function startTrinoOnce(opts: TrinoOptions): Promise<Trino> {
  const home = requireTrino();
  for (const name of Object.keys(opts.catalogs)) {
    if (!/^[a-z][a-z0-9_]*$/.test(name)) {
      throw new Error(`startTrino: catalog name "${name}" is not a Trino catalog name (a-z, 0-9, _).`);
    }
  }
  const memoryScale = memoryScaleOf(opts);
  // Throws a clear message for a factor out of range (scaleTrinoMemory).
  const topology = harnessTopology({ memoryScale });
  const timeoutMs = opts.startTimeoutMs ?? 600_000;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "lakehouse-trino-"));
  const pluginDir = path.join(dir, "plugin");
  fs.mkdirSync(pluginDir);
  const roles = ["coordinator", "worker"] as const;
  const dirs = Object.fromEntries(
    roles.map((role) => {
      const base = path.join(dir, role);
      const d: NodeDirs = {
        etc: path.join(base, "etc"),
        data: path.join(base, "data"),
        tmp: path.join(base, "tmp"),
        log: path.join(base, "server.log"),
      };
      for (const x of [path.join(d.etc, "catalog"), d.data, d.tmp]) fs.mkdirSync(x, { recursive: true });
      return [role, d];
    }),
  ) as Record<(typeof roles)[number], NodeDirs>;
  const children: ChildProcess[] = [];
  const stopAll = async (): Promise<void> => {
    await Promise.all(children.map((c) => (c.pid ? stopPid(c.pid, 15_000) : undefined)));
    fs.rmSync(dir, { recursive: true, force: true });
  };

  try {
    // Only the plugins the catalogs use. A connector whose plugin directory is not named after it (none of
    // ours) would fail at start with "No factory for connector"; then all plugins are linked instead.
    const available = new Set(fs.readdirSync(path.join(home, "plugin")));
    const connectors = Object.values(opts.catalogs).map(connectorOf);
    const plugins = connectors.every((c) => c !== undefined && available.has(c))
      ? [...new Set(connectors as string[])]
      : [...available];
    for (const p of plugins) fs.symlinkSync(path.join(home, "plugin", p), path.join(pluginDir, p));

    const ports = { coordinator: await freePort(), worker: await freePort() };
    const nodeIds = { coordinator: "", worker: "" };
    for (const role of roles) {
      const d = dirs[role];
      for (const [name, text] of Object.entries(opts.catalogs)) {
        fs.writeFileSync(path.join(d.etc, "catalog", `${name}.properties`), text);
      }
      const files = harnessNodeFiles(topology[role], {
        port: ports[role],
        coordinatorPort: ports.coordinator,
        tmpDir: d.tmp,
        // One archive per role and heap: the JVM rewrites an archive made with other flags.
        sharedArchive: path.join(home, `.cds-${role}-${topology.values[role].jvm.maxHeapSize}.jsa`),
      });
      fs.writeFileSync(path.join(d.etc, "config.properties"), files.configProperties);
      fs.writeFileSync(path.join(d.etc, "jvm.config"), files.jvmConfig);
      nodeIds[role] = `test-${role}-${randomBytes(4).toString("hex")}`;
      fs.writeFileSync(
        path.join(d.etc, "node.properties"),
        [
          `node.environment=${topology.values.server.node.environment}`,
          `node.id=${nodeIds[role]}`,
          `node.data-dir=${d.data}`,
          `plugin.dir=${pluginDir}`,
          // Loopback only: several engineers run tests on this machine; nothing listens beyond 127.0.0.1.
          "node.bind-ip=127.0.0.1",
          "node.internal-address=127.0.0.1",
          "",
        ].join("\n"),
      );
      fs.writeFileSync(path.join(d.etc, "log.properties"), "io.trino=INFO\n");
    }

    // The launcher (`run`) execs the JVM in place, so the pid we spawn is Trino's own. Never -v: it prints
    // the whole environment, S3 keys included. Both JVMs start at once (start-up is CPU-bound and single-threaded
    // for long stretches, so two overlap well on 2 cores).
    for (const role of roles) {
      const d = dirs[role];
      children.push(
        await spawnDaemon(
          path.join(home, "bin", "launcher"),
          ["run", `--etc-dir=${d.etc}`, `--data-dir=${d.data}`, `--jvm-dir=${TRINO_JAVA_HOME}`],
          d.log,
          {
            env: {
              PATH: process.env.PATH ?? "/usr/bin:/bin",
              LANG: "C.UTF-8",
              JAVA_HOME: TRINO_JAVA_HOME,
              ...opts.env,
            },
            cwd: path.dirname(d.etc),
          },
        ),
      );
    }
    const [coordinator, worker] = children;
    const url = `http://127.0.0.1:${ports.coordinator}`;
    const exited = (c: ChildProcess): boolean => c.exitCode !== null || c.signalCode !== null;
    const anyExited = (): boolean => children.some(exited);
    const logs = (lines: number): string =>
      roles.map((r) => `--- ${r} (${dirs[r].log}):\n${tail(dirs[r].log, lines)}`).join("\n");
    const exitedError = (): Error =>
      new Error(
        `Trino exited during start-up (${roles.filter((_, i) => exited(children[i])).join(", ")}):\n${logs(40)}`,
      );
    const client = new TrinoClient({ baseUrl: url, label: url }, { queryTimeoutMs: 30_000 });
    await waitFor(
      `Trino's coordinator on ${url} to finish starting and see its worker active`,
      async () => {
        // An exited server ends the wait at once; the check below reports it with its log.
        if (anyExited()) return true;
        const res = await fetch(`${url}/v1/info`, { signal: AbortSignal.timeout(2_000) });
        const info = (await res.json()) as { starting?: boolean };
        if (!res.ok || info.starting !== false) return false;
        const nodes = await client.query(
          `SELECT node_id FROM system.runtime.nodes WHERE state = 'active' AND NOT coordinator`,
        );
        return nodes.rows.some((r) => r[0] === nodeIds.worker);
      },
      timeoutMs,
      500,
      () => `Log:\n${logs(30)}`,
    );
    if (anyExited()) throw exitedError();
    // An active worker comes before the worker serves the catalogs: a query in that window fails with "nodes is
    // empty" (NO_NODES_AVAILABLE), seen 1-5 s after start. So wait until a query that is scheduled on the worker
    // runs, on the tpch catalog when there is one (generated rows, no storage).
    const tpch = Object.entries(opts.catalogs).find(([, text]) => connectorOf(text) === "tpch")?.[0];
    if (tpch) {
      let fatal: Error | undefined;
      await waitFor(
        `Trino on ${url} to schedule a query on its worker`,
        async () => {
          if (anyExited()) return true;
          try {
            await client.query(`SELECT count(*) FROM ${tpch}.tiny.region`);
            return true;
          } catch (e) {
            const transient =
              e instanceof TrinoQueryError &&
              /NO_NODES_AVAILABLE|nodes is empty/.test(`${e.errorName} ${e.message}`);
            // Anything else is not a start-up race: stop waiting and report it.
            if (!transient) fatal = e as Error;
            return !transient;
          }
        },
        timeoutMs,
        500,
        () => `Log:\n${logs(30)}`,
      );
      if (fatal)
        throw new Error(
          `Trino on ${url} started but cannot run a query on catalog ${tpch}: ${fatal.message}`,
        );
      if (anyExited()) throw exitedError();
    }
    const node = (role: (typeof roles)[number], c: ChildProcess): TrinoNode => ({
      role,
      url: `http://127.0.0.1:${ports[role]}`,
      pid: c.pid ?? -1,
      nodeId: nodeIds[role],
      etcDir: dirs[role].etc,
      logFile: dirs[role].log,
    });
    const nodes = { coordinator: node("coordinator", coordinator), worker: node("worker", worker) };
    let stopped = false;
    return {
      url,
      port: ports.coordinator,
      pid: nodes.coordinator.pid,
      logFile: nodes.coordinator.logFile,
      catalogDir: path.join(dirs.coordinator.etc, "catalog"),
      nodes,
      topology,
      stop: async () => {
        if (stopped) return;
        stopped = true;
        await stopAll();
        const left = Object.values(nodes).filter((n) => isAlive(n.pid));
        if (left.length > 0)
          throw new Error(`Trino harness: pid ${left.map((n) => n.pid).join(", ")} survived SIGKILL.`);
      },
    };
  } catch (e) {
    await stopAll();
    throw e;
  }
}
