/**
 * Process helpers shared by the real-engine harnesses (radosgw, PostgreSQL, Hive Metastore): free ports,
 * running a command with a timeout, starting a foreground daemon, and stopping a pid until it is gone.
 *
 * Why these rules: several engineers (and CI) run tests at once on a 2-core machine, so every server binds
 * 127.0.0.1 on a port the kernel hands out, keeps its state in its own temp dir, and is stopped by its pid
 * (never by name). A daemon that forked away from us and was killed can linger as a zombie when pid 1 does not
 * reap it; a zombie holds no port, no memory and no files, so it counts as gone.
 */
import { setTimeout as sleep } from "node:timers/promises";
import { execFile, spawn, type ChildProcess } from "node:child_process";
import * as fs from "node:fs";
import * as net from "node:net";
import * as path from "node:path";

/** A port the kernel considers free on 127.0.0.1 right now (listen on port 0, read it, close). */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.once("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const addr = srv.address();
      const port = typeof addr === "object" && addr ? addr.port : 0;
      srv.close(() => (port ? resolve(port) : reject(new Error("freePort: the kernel returned no port."))));
    });
  });
}

/** Full path of `name` on PATH (or `name` itself when it is an absolute executable path), else undefined. */
export function which(name: string): string | undefined {
  const isExec = (p: string): boolean => {
    try {
      fs.accessSync(p, fs.constants.X_OK);
      return fs.statSync(p).isFile();
    } catch {
      return false;
    }
  };
  if (path.isAbsolute(name)) return isExec(name) ? name : undefined;
  for (const dir of (
    process.env.PATH ?? "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
  ).split(":")) {
    if (dir && isExec(path.join(dir, name))) return path.join(dir, name);
  }
  return undefined;
}

/** Throws `"<what> not installed: <hint>"` unless every binary is present. */
export function requireBinaries(what: string, names: string[], hint: string): void {
  const missing = names.filter((n) => !which(n));
  if (missing.length > 0) {
    throw new Error(`${what} not installed: ${hint} (missing: ${missing.join(", ")}).`);
  }
}

/** True while `pid` exists and is not a zombie. */
export function isAlive(pid: number): boolean {
  let status: string;
  try {
    status = fs.readFileSync(`/proc/${pid}/status`, "utf8");
  } catch {
    return false;
  }
  return !/^State:\s*Z/m.test(status);
}

/**
 * Sends `signal` (default SIGTERM) to `pid`, waits up to `graceMs` for it to be gone, then SIGKILL and waits
 * again.
 * Resolves true when the process is gone (or a zombie).
 */
export async function stopPid(
  pid: number,
  graceMs = 5_000,
  signal: NodeJS.Signals = "SIGTERM",
): Promise<boolean> {
  if (!isAlive(pid)) return true;
  try {
    process.kill(pid, signal);
  } catch {
    return !isAlive(pid);
  }
  const until = Date.now() + graceMs;
  while (Date.now() < until) {
    if (!isAlive(pid)) return true;
    await sleep(25);
  }
  try {
    process.kill(pid, "SIGKILL");
  } catch {
    // already gone between the check and the kill
  }
  for (let i = 0; i < 100 && isAlive(pid); i++) await sleep(20);
  return !isAlive(pid);
}

export interface RunOptions {
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /** @default 60000 */
  timeoutMs?: number;
  /** Text sent to stdin. */
  input?: string;
}

/**
 * Runs a command to completion and resolves its stdout. Rejects with an error naming the command, its exit
 * code and the tail of its stderr when it fails or exceeds the timeout.
 */
export function run(cmd: string, args: string[], opts: RunOptions = {}): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = execFile(
      cmd,
      args,
      {
        env: opts.env ?? process.env,
        cwd: opts.cwd,
        timeout: opts.timeoutMs ?? 60_000,
        maxBuffer: 64 * 1024 * 1024,
      },
      (err, stdout, stderr) => {
        if (err) {
          const tail = `${stderr}`.trim().split("\n").slice(-15).join("\n");
          const how = err.killed
            ? `was killed after ${opts.timeoutMs ?? 60_000} ms`
            : `exited with ${err.code}`;
          reject(new Error(`\`${cmd} ${args.join(" ")}\` ${how}: ${tail || err.message}`, { cause: err }));
          return;
        }
        resolve(`${stdout}`);
      },
    );
    if (opts.input !== undefined) child.stdin?.end(opts.input);
  });
}

/** Children started by {@link spawnDaemon}, killed with SIGKILL if the test process exits without stopping them. */
const live = new Set<ChildProcess>();
let exitHookInstalled = false;

/**
 * Starts a long-running server in the foreground as our child (so Node reaps it and it leaves no zombie),
 * stdout+stderr appended to `logFile`. Resolves once the process has been spawned.
 */
export async function spawnDaemon(
  cmd: string,
  args: string[],
  logFile: string,
  opts: { env?: NodeJS.ProcessEnv; cwd?: string } = {},
): Promise<ChildProcess> {
  if (!exitHookInstalled) {
    exitHookInstalled = true;
    process.on("exit", () => {
      for (const c of live) if (c.pid && isAlive(c.pid)) c.kill("SIGKILL");
    });
  }
  const fd = fs.openSync(logFile, "a");
  try {
    const child = spawn(cmd, args, {
      env: opts.env ?? process.env,
      cwd: opts.cwd,
      stdio: ["ignore", fd, fd],
    });
    await new Promise<void>((resolve, reject) => {
      child.once("spawn", () => resolve());
      child.once("error", (e) => reject(new Error(`Could not start ${cmd}: ${e.message}`, { cause: e })));
    });
    live.add(child);
    child.once("exit", () => live.delete(child));
    return child;
  } finally {
    fs.closeSync(fd);
  }
}

/**
 * Waits for a line of the child's stdout that matches `pattern` and settles exactly once, on the first of:
 * the match (resolves it), the child ending or failing to start before it (rejects with its output), or
 * `timeoutMs` (rejects). "Ending" is `close`, not `exit`: `exit` can arrive before the last stdout chunk, so
 * a child that prints its line and exits at once could read as a failure. Every listener is removed when it settles, so the exit that the caller's own stop
 * causes afterwards is the expected one and can never reject a wait that already succeeded.
 */
export function waitForOutput(
  child: ChildProcess,
  pattern: RegExp,
  what: string,
  timeoutMs: number,
): Promise<RegExpExecArray> {
  return new Promise((resolve, reject) => {
    let out = "";
    let err = "";
    const onOut = (d: Buffer): void => {
      out += d.toString();
      const m = pattern.exec(out);
      if (m) settle(() => resolve(m));
    };
    const onErr = (d: Buffer): void => {
      err += d.toString();
    };
    const onExit = (code: number | null, signal: NodeJS.Signals | null): void =>
      settle(() =>
        reject(new Error(`${what}: the process exited (${signal ?? code}) before it:\n${err || out}`)),
      );
    const onError = (e: Error): void =>
      settle(() => reject(new Error(`${what}: ${e.message}`, { cause: e })));
    const timer = setTimeout(
      () => settle(() => reject(new Error(`${what}: not seen within ${timeoutMs} ms:\n${out}\n${err}`))),
      timeoutMs,
    );
    let settled = false;
    function settle(then: () => void): void {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      child.stdout?.off("data", onOut);
      child.stderr?.off("data", onErr);
      child.off("close", onExit);
      child.off("error", onError);
      then();
    }
    child.stdout?.on("data", onOut);
    child.stderr?.on("data", onErr);
    child.once("close", onExit);
    child.once("error", onError);
  });
}

/**
 * Thrown by a {@link waitFor} probe to end the wait at once: the condition can no longer come true (the daemon
 * being waited for has exited). Any other error from a probe means "not ready yet".
 */
export class StopWaiting extends Error {}

/**
 * Polls `probe` every `intervalMs` until it resolves true, or rejects with `what` after `timeoutMs`, or at once
 * when the probe throws {@link StopWaiting} (with its message and the `onTimeout` detail).
 */
export async function waitFor(
  what: string,
  probe: () => Promise<boolean> | boolean,
  timeoutMs: number,
  intervalMs = 100,
  onTimeout?: () => string,
): Promise<void> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    try {
      if (await probe()) return;
    } catch (e) {
      if (e instanceof StopWaiting) {
        throw new Error(`Gave up waiting for ${what}: ${e.message}.${onTimeout ? ` ${onTimeout()}` : ""}`, {
          cause: e,
        });
      }
      // not ready yet
    }
    if (Date.now() > until) {
      throw new Error(
        `Timed out after ${timeoutMs} ms waiting for ${what}.${onTimeout ? ` ${onTimeout()}` : ""}`,
      );
    }
    await sleep(intervalMs);
  }
}

/** True when something accepts a TCP connection on host:port within `timeoutMs`. */
export function tcpOpen(host: string, port: number, timeoutMs = 1_000): Promise<boolean> {
  return new Promise((resolve) => {
    const sock = net.connect({ host, port });
    const done = (ok: boolean): void => {
      sock.destroy();
      resolve(ok);
    };
    sock.setTimeout(timeoutMs, () => done(false));
    sock.once("connect", () => done(true));
    sock.once("error", () => done(false));
  });
}

/** Last `lines` lines of a log file, or "" when it does not exist. */
export function tail(file: string, lines = 20): string {
  try {
    return fs.readFileSync(file, "utf8").trim().split("\n").slice(-lines).join("\n");
  } catch {
    return "";
  }
}
