/** `npm run --silent ARGS` in the repository, as a user types it: exit code, stdout and stderr (never rejects). */
import { execFile } from "node:child_process";
import * as path from "node:path";

export const ROOT = path.resolve(__dirname, "..");

export function npmRun(
  args: string[],
  opts: { env?: NodeJS.ProcessEnv; timeoutMs?: number } = {},
): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      "npm",
      ["run", "--silent", ...args],
      {
        cwd: ROOT,
        env: { ...process.env, ...opts.env },
        maxBuffer: 16 * 1024 * 1024,
        timeout: opts.timeoutMs ?? 240_000,
      },
      (err, stdout, stderr) => resolve({ code: err ? Number(err.code ?? 1) : 0, stdout, stderr }),
    );
  });
}
