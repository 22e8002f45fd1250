/**
 * A real PostgreSQL 15 (Debian's) for tests: a fresh cluster in a temp dir, trust auth, listening on
 * 127.0.0.1 on a port the kernel hands out, its Unix socket in the temp dir (not /var/run/postgresql).
 * ~1 s to start. `stop()` stops the postmaster by its pid and removes the temp dir.
 *
 * PostgreSQL refuses to run as root, so as root every server binary runs as user `postgres` (setpriv) and the
 * temp dir is handed to that user. The client (psql) runs as us and connects over TCP as `user`.
 */
import type { ChildProcess } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import {
  freePort,
  isAlive,
  requireBinaries,
  run,
  spawnDaemon,
  stopPid,
  StopWaiting,
  tail,
  waitFor,
} from "./proc";

/** Where Debian's postgresql-15 package puts the server binaries. */
export const PG_BIN = "/usr/lib/postgresql/15/bin";

export interface Postgres {
  host: "127.0.0.1";
  port: number;
  /** The superuser (trust auth, no password). */
  user: string;
  /** `postgresql://user@127.0.0.1:PORT/postgres` */
  url: string;
  /** The cluster's data directory (inside the harness's temp dir). */
  dataDir: string;
  /** Pid of the postmaster, for tests that assert it is gone after `stop()`. */
  pid: number;
  /** Runs SQL with psql (`-At`, ON_ERROR_STOP) and resolves its stdout; rejects naming the SQL error. */
  psql(sql: string, db?: string): Promise<string>;
  /** CREATE DATABASE name (owned by `user`). */
  createDb(name: string): Promise<void>;
  /** Stops the server, waits until the postmaster is gone, removes the temp dir. Idempotent. */
  stop(): Promise<void>;
}

/**
 * The server binaries must run as `postgres` when we are root (initdb and postgres refuse root). setpriv
 * (util-linux) execs in place, so the pid we spawn is the server's own pid.
 */
function asServerUser(cmd: string, args: string[]): [string, string[]] {
  if (process.getuid?.() === 0) {
    const { uid, gid } = postgresIds();
    return [
      "setpriv",
      [`--reuid=${uid}`, `--regid=${gid}`, "--init-groups", "--reset-env", "--", cmd, ...args],
    ];
  }
  return [cmd, args];
}

/**
 * Starts a fresh PostgreSQL. The ports come from the kernel but are only reserved once the server binds them, so
 * another process can take one in between: a failed start is retried once with new ports before giving up.
 */
export async function startPostgres(opts: { user?: string } = {}): Promise<Postgres> {
  try {
    return await startPostgresOnce(opts);
  } catch (e) {
    if (/not installed/.test((e as Error).message)) throw e;
    return startPostgresOnce(opts);
  }
}

/** Starts a fresh PostgreSQL 15 cluster. Throws (after cleaning up) when any step fails. */
async function startPostgresOnce(opts: { user?: string } = {}): Promise<Postgres> {
  requireBinaries(
    "PostgreSQL 15",
    [`${PG_BIN}/initdb`, `${PG_BIN}/postgres`, `${PG_BIN}/pg_isready`, `${PG_BIN}/psql`],
    "run bash .ci/setup.d/10-apt.sh",
  );
  const user = opts.user ?? "postgres";
  const base = fs.mkdtempSync(path.join(os.tmpdir(), "lakehouse-pg-"));
  const dataDir = path.join(base, "data");
  const logFile = path.join(base, "postgres.log");
  if (process.getuid?.() === 0) {
    const { uid, gid } = postgresIds();
    fs.chownSync(base, uid, gid);
  }
  let child: ChildProcess | undefined;
  const stopServer = async (): Promise<void> => {
    // SIGINT = PostgreSQL's "fast" shutdown: rolls back sessions, no waiting for clients.
    if (child?.pid) await stopPid(child.pid, 10_000, "SIGINT");
    fs.rmSync(base, { recursive: true, force: true });
  };
  try {
    const port = await freePort();
    const [c, a] = asServerUser(`${PG_BIN}/initdb`, [
      "-D",
      dataDir,
      "-A",
      "trust",
      "-U",
      user,
      "--no-sync",
      "-E",
      "UTF8",
      "--locale=C",
    ]);
    await run(c, a, { timeoutMs: 120_000 });
    // The postmaster runs in the foreground as our child (setpriv execs, it does not fork) so Node reaps it:
    // pg_ctl would daemonise it and leave a zombie behind on a machine whose pid 1 does not reap.
    // fsync off: the data is throwaway and the machine is shared; keeps tests from waiting on the disk.
    const [sc, sa] = asServerUser(`${PG_BIN}/postgres`, [
      "-D",
      dataDir,
      "-h",
      "127.0.0.1",
      "-p",
      String(port),
      "-k",
      base,
      "-c",
      "fsync=off",
      "-c",
      "synchronous_commit=off",
      "-c",
      "full_page_writes=off",
    ]);
    const started = (child = await spawnDaemon(sc, sa, logFile));
    await waitFor(
      `PostgreSQL to accept connections on 127.0.0.1:${port}`,
      async () => {
        if (started.exitCode !== null || started.signalCode !== null)
          throw new StopWaiting("postgres exited");
        await run(`${PG_BIN}/pg_isready`, ["-q", "-h", "127.0.0.1", "-p", String(port), "-U", user], {
          timeoutMs: 5_000,
        });
        return true;
      },
      60_000,
      50,
      () => tail(logFile),
    );
    if (started.exitCode !== null || started.signalCode !== null) {
      throw new Error(`PostgreSQL exited during start-up:\n${tail(logFile)}`);
    }
    const pid = started.pid ?? -1;
    const psql = (sql: string, db = "postgres"): Promise<string> =>
      run(
        `${PG_BIN}/psql`,
        [
          "-h",
          "127.0.0.1",
          "-p",
          String(port),
          "-U",
          user,
          "-d",
          db,
          "-X",
          "-At",
          "-v",
          "ON_ERROR_STOP=1",
          "-c",
          sql,
        ],
        {
          timeoutMs: 60_000,
        },
      );
    let stopped = false;
    return {
      host: "127.0.0.1",
      port,
      user,
      url: `postgresql://${user}@127.0.0.1:${port}/postgres`,
      dataDir,
      pid,
      psql,
      createDb: async (name: string) => {
        await psql(`CREATE DATABASE "${name.replace(/"/g, '""')}"`);
      },
      stop: async () => {
        if (stopped) return;
        stopped = true;
        await stopServer();
        if (isAlive(pid)) throw new Error(`PostgreSQL harness: postmaster pid ${pid} survived the stop.`);
      },
    };
  } catch (e) {
    await stopServer();
    throw e;
  }
}

function postgresIds(): { uid: number; gid: number } {
  const line = fs
    .readFileSync("/etc/passwd", "utf8")
    .split("\n")
    .find((l) => l.startsWith("postgres:"));
  if (!line)
    throw new Error(
      "PostgreSQL 15 not installed: user `postgres` is missing; run bash .ci/setup.d/10-apt.sh.",
    );
  const f = line.split(":");
  return { uid: Number(f[2]), gid: Number(f[3]) };
}
