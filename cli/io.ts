/**
 * What every CLI of the project (preflight, verify, plan) shares around its arguments: the I/O it writes to
 * and the folders relative paths and stack files are taken from. Output formats: ./output.ts; exit codes and
 * the top-level error mapping: ./exit.ts.
 */
import * as path from "path";

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
