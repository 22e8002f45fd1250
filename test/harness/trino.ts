/**
 * A real Trino 476 server for tests: the trino-server tarball from Maven Central (see .ci/setup.d/60-trino.sh)
 * on the machine image's Temurin 25 JDK, one node (coordinator that also runs tasks), HTTP on 127.0.0.1 on a
 * port the kernel hands out, all state in a fresh temp dir. ~20 s to the first answer on an idle 2-core
 * machine (80 s seen at load 27), ~0.6 GB RSS idle.
 *
 * The harness writes config.properties, node.properties and jvm.config itself; the catalogs are exactly the
 * texts it is given (the product's renderCatalogs output), nothing else. Only the plugins those catalogs
 * name are loaded (symlinks into the install), which saves ~half the start-up against loading all ~55.
 *
 * `stop()` stops the JVM by its pid (SIGTERM, then SIGKILL) and removes the temp dir.
 */
import type { ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { TrinoClient, TrinoQueryError } from "../../verify/trino";
import { freePort, isAlive, spawnDaemon, stopPid, tail, waitFor } from "./proc";

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

export interface Trino {
  /** `http://127.0.0.1:PORT` (the client protocol: POST /v1/statement). */
  url: string;
  port: number;
  /** Pid of the Trino JVM, for tests that assert it is gone after `stop()`. */
  pid: number;
  /** The server's log (stdout+stderr), for failure messages. */
  logFile: string;
  /** The catalog files as written (name -> text), for tests that assert nothing else was configured. */
  catalogDir: string;
  /** Stops the JVM by pid, waits until it is gone, removes the temp dir. Idempotent. */
  stop(): Promise<void>;
}

export interface TrinoOptions {
  /** catalog name -> properties text (renderCatalogs output), written as etc/catalog/<name>.properties. */
  catalogs: Record<string, string>;
  /** Environment of the server (e.g. the S3 keys the catalogs reference as ${ENV:...}); nothing else is inherited but PATH. */
  env: Record<string, string>;
  /** JVM heap in GB (the machine is shared: at most 3). @default 2 */
  heapGb?: number;
  /** @default 600000 (start-up takes 20 s on an idle machine, minutes when 6 engineers share its 2 cores) */
  startTimeoutMs?: number;
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

async function startTrinoOnce(opts: TrinoOptions): Promise<Trino> {
  const home = requireTrino();
  const heapGb = opts.heapGb ?? 2;
  // Tests keep to 1-3 GB (the machine is shared); the scale-10 benchmark asks for more, on purpose.
  if (!(heapGb >= 1 && heapGb <= 12)) {
    throw new Error(
      `startTrino: heapGb is ${heapGb}; expected 1..12 (tests use 1..3: the machine is shared).`,
    );
  }
  for (const name of Object.keys(opts.catalogs)) {
    if (!/^[a-z][a-z0-9_]*$/.test(name)) {
      throw new Error(`startTrino: catalog name "${name}" is not a Trino catalog name (a-z, 0-9, _).`);
    }
  }
  const timeoutMs = opts.startTimeoutMs ?? 600_000;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "lakehouse-trino-"));
  const etc = path.join(dir, "etc");
  const catalogDir = path.join(etc, "catalog");
  const dataDir = path.join(dir, "data");
  const pluginDir = path.join(dir, "plugin");
  for (const d of [catalogDir, dataDir, pluginDir, path.join(dir, "tmp")])
    fs.mkdirSync(d, { recursive: true });
  const logFile = path.join(dir, "server.log");
  let child: ChildProcess | undefined;
  const stopAll = async (): Promise<void> => {
    if (child?.pid) await stopPid(child.pid, 15_000);
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
    for (const [name, text] of Object.entries(opts.catalogs)) {
      fs.writeFileSync(path.join(catalogDir, `${name}.properties`), text);
    }

    const port = await freePort();
    fs.writeFileSync(
      path.join(etc, "config.properties"),
      [
        "coordinator=true",
        // One node: the coordinator runs the tasks too (the cluster has separate workers).
        "node-scheduler.include-coordinator=true",
        `http-server.http.port=${port}`,
        `discovery.uri=http://127.0.0.1:${port}`,
        `plugin.dir=${pluginDir}`,
        // Memory limits left at Trino's defaults (30 % of the heap per query per node).
        "",
      ].join("\n"),
    );
    fs.writeFileSync(
      path.join(etc, "node.properties"),
      [
        "node.environment=test",
        `node.id=test-${randomBytes(4).toString("hex")}`,
        `node.data-dir=${dataDir}`,
        // Loopback only: several engineers run tests on this machine; nothing listens beyond 127.0.0.1.
        "node.bind-ip=127.0.0.1",
        "node.internal-address=127.0.0.1",
        "",
      ].join("\n"),
    );
    fs.writeFileSync(
      path.join(etc, "jvm.config"),
      [
        "-server",
        `-Xmx${heapGb}G`,
        "-XX:+UseG1GC",
        "-XX:+ExitOnOutOfMemoryError",
        "-XX:-OmitStackTraceInFastThrow",
        "-XX:ReservedCodeCacheSize=256M",
        "-Djdk.attach.allowAttachSelf=true",
        // Class data sharing: the first run writes an archive of the ~30k classes Trino loads into the cache, later
        // runs map it instead of parsing the jars again (start-up is CPU-bound). The JVM validates the archive
        // and rewrites it if the JDK, the class path or these flags changed.
        "-XX:+AutoCreateSharedArchive",
        `-XX:SharedArchiveFile=${path.join(home, `.cds-heap${heapGb}g.jsa`)}`,
        "-XX:+EnableDynamicAgentLoading",
        "--enable-native-access=ALL-UNNAMED",
        `-Djava.io.tmpdir=${path.join(dir, "tmp")}`,
        "-Dfile.encoding=UTF-8",
        "",
      ].join("\n"),
    );
    fs.writeFileSync(path.join(etc, "log.properties"), "io.trino=INFO\n");

    // The launcher (`run`) execs the JVM in place, so the pid we spawn is Trino's own. Never -v: it prints
    // the whole environment, S3 keys included.
    const started = (child = await spawnDaemon(
      path.join(home, "bin", "launcher"),
      ["run", `--etc-dir=${etc}`, `--data-dir=${dataDir}`, `--jvm-dir=${TRINO_JAVA_HOME}`],
      logFile,
      {
        env: {
          PATH: process.env.PATH ?? "/usr/bin:/bin",
          LANG: "C.UTF-8",
          JAVA_HOME: TRINO_JAVA_HOME,
          ...opts.env,
        },
        cwd: dir,
      },
    ));
    const url = `http://127.0.0.1:${port}`;
    const exited = (): boolean => started.exitCode !== null || started.signalCode !== null;
    await waitFor(
      `Trino to finish starting on ${url}`,
      async () => {
        // An exited server ends the wait at once; the check below reports it with its log.
        if (exited()) return true;
        const res = await fetch(`${url}/v1/info`, { signal: AbortSignal.timeout(2_000) });
        const info = (await res.json()) as { starting?: boolean };
        return res.ok && info.starting === false;
      },
      timeoutMs,
      500,
      () => `Log:\n${tail(logFile, 30)}`,
    );
    if (exited()) throw new Error(`Trino exited during start-up:\n${tail(logFile, 40)}`);
    // `starting: false` comes before the node manager has seen this node serve the catalogs: a query in that
    // window fails with "nodes is empty" (NO_NODES_AVAILABLE), seen 1-5 s after start. So wait until a query
    // that is scheduled on a node runs, on the tpch catalog when there is one (generated rows, no storage).
    const tpch = Object.entries(opts.catalogs).find(([, text]) => connectorOf(text) === "tpch")?.[0];
    if (tpch) {
      const client = new TrinoClient({ baseUrl: url, label: url }, { queryTimeoutMs: 30_000 });
      let fatal: Error | undefined;
      await waitFor(
        `Trino on ${url} to schedule a query on its node`,
        async () => {
          if (exited()) return true;
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
        () => `Log:\n${tail(logFile, 30)}`,
      );
      if (fatal)
        throw new Error(
          `Trino on ${url} started but cannot run a query on catalog ${tpch}: ${fatal.message}`,
        );
      if (exited()) throw new Error(`Trino exited during start-up:\n${tail(logFile, 40)}`);
    }
    const pid = started.pid ?? -1;
    let stopped = false;
    return {
      url,
      port,
      pid,
      logFile,
      catalogDir,
      stop: async () => {
        if (stopped) return;
        stopped = true;
        await stopAll();
        if (isAlive(pid)) throw new Error(`Trino harness: pid ${pid} survived SIGKILL.`);
      },
    };
  } catch (e) {
    await stopAll();
    throw e;
  }
}
