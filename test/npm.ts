/**
 * `npm run --silent SCRIPT -- ARGS` as a user types it: exit code, stdout and stderr (never rejects). Shared by
 * every test that runs an npm script whole (the benchmarks, the tier aliases, the golden outputs).
 */
import { execFile } from "node:child_process";
import * as path from "node:path";

export const ROOT = path.resolve(__dirname, "..");

export interface NpmRunOptions {
  /** Where the user types it; outside the project the command carries `--prefix <project>`. @default ROOT */
  cwd?: string;
  /**
   * Start from a clean environment (PATH, HOME, LANG=C.UTF-8: nothing of the caller's kube, AWS, colour or npm
   * settings) instead of this process's. @default false
   */
  cleanEnv?: boolean;
  /** Variables set on top of that environment. */
  env?: NodeJS.ProcessEnv;
  /** @default 240_000 */
  timeoutMs?: number;
}

export interface NpmRun {
  /** The exit code; -1 when the process ended without one (killed at the timeout, output over the buffer). */
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `npm run --silent ARGS` (ARGS: the script, then `--` and its arguments as typed). */
export function npmRun(args: string[], opts: NpmRunOptions = {}): Promise<NpmRun> {
  const cwd = opts.cwd ?? ROOT;
  const base = opts.cleanEnv
    ? { PATH: process.env.PATH, HOME: process.env.HOME, LANG: "C.UTF-8" }
    : process.env;
  return new Promise((resolve) => {
    execFile(
      "npm",
      [...(path.resolve(cwd) === ROOT ? [] : ["--prefix", ROOT]), "run", "--silent", ...args],
      {
        cwd,
        env: { ...base, ...opts.env },
        maxBuffer: 64 * 1024 * 1024,
        timeout: opts.timeoutMs ?? 240_000,
      },
      (err, stdout, stderr) =>
        resolve({ code: err ? (typeof err.code === "number" ? err.code : -1) : 0, stdout, stderr }),
    );
  });
}
