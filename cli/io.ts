/**
 * What every CLI of the project (preflight, verify, plan) shares around its arguments: the I/O it writes to,
 * the folders relative paths and stack files are taken from, and the top-level error -> exit code mapping
 * (the `EXIT` contract in preflight/model.ts).
 */
import * as path from "path";
import { EXIT, InputError } from "../preflight/model";

/** Where the CLI writes and what it knows about its surroundings; injected so tests can run it in-process. */
export interface CliIO {
  stdout: { write(text: string): unknown };
  stderr: { write(text: string): unknown };
  env: Record<string, string | undefined>;
  /** Whether stdout is a terminal (colour and width follow it). */
  isTTY: boolean;
  /** Terminal width, when known. */
  columns?: number;
  cwd: string;
}

/** The folder holding Pulumi.<stack>.yaml: LAKEHOUSE_PROJECT_DIR, else the repository this file lives in. */
export function projectDir(env: CliIO["env"]): string {
  return env.LAKEHOUSE_PROJECT_DIR ? path.resolve(env.LAKEHOUSE_PROJECT_DIR) : path.resolve(__dirname, "..");
}

/**
 * The folder relative paths are meant from. `npm run <script>` (preflight unless given) starts scripts in the
 * package root, so a path typed in a subfolder would resolve wrongly; npm passes the caller's folder as INIT_CWD.
 */
export function userDir(io: Pick<CliIO, "env" | "cwd">, script = "preflight"): string {
  return io.env.npm_lifecycle_event === script && io.env.INIT_CWD ? io.env.INIT_CWD : io.cwd;
}

/**
 * What a CLI (`prog`: preflight, verify) does with an error that reached its top level: one line on stderr
 * and the exit code. An InputError is the user's to fix (its message, exit 2); anything else is unexpected
 * (its first line, exit 1; the stack trace too with LAKEHOUSE_DEBUG=1).
 */
export function reportFailure(prog: string, e: unknown, io: CliIO): number {
  if (e instanceof InputError || (e as Error | undefined)?.name === "InputError") {
    io.stderr.write(`${prog}: ${(e as Error).message}\n`);
    return EXIT.invalidInput;
  }
  const err = e as Error | undefined;
  const debug = io.env.LAKEHOUSE_DEBUG === "1";
  const msg = (err?.message ?? String(e)).split("\n")[0];
  io.stderr.write(
    `${prog}: unexpected error: ${msg}${debug ? "" : " (set LAKEHOUSE_DEBUG=1 for the stack trace)"}\n`,
  );
  if (debug && err?.stack) io.stderr.write(`${err.stack}\n`);
  return EXIT.unexpected;
}

/** The real process as a CliIO, for a CLI run as a program. */
export function processIO(): CliIO {
  return {
    stdout: process.stdout,
    stderr: process.stderr,
    env: process.env,
    isTTY: !!process.stdout.isTTY,
    columns: process.stdout.columns,
    cwd: process.cwd(),
  };
}
