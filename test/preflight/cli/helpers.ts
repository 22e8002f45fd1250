/** Shared by the CLI tests: paths, fixture variants, and running the CLI as a child process or in-process. */
import { execFile } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { run as runCli } from "../../../preflight/cli/main";
import type { KubeObject } from "../../../preflight/model";

export const ROOT = path.resolve(__dirname, "../../..");
export const MAIN = path.join(ROOT, "preflight/cli/main.ts");
export const HEALTHY_FILES = [
  path.join(ROOT, "test/fixtures/healthy/cluster.json"),
  path.join(ROOT, "test/fixtures/healthy/metrics.json"),
];
export const EXAMPLE_FILES = [
  path.join(ROOT, "examples/anton/cluster.json"),
  path.join(ROOT, "examples/anton/metrics.json"),
];
export const from = (files: readonly string[]): string[] => files.flatMap((f) => ["--from", f]);

/** A stack trace line, which no user-facing output may contain. */
export const STACK_LINE = /\n\s+at .+:\d+:\d+/;
// eslint-disable-next-line no-control-regex
export const ANSI = /\u001b\[[0-9;]*m/;

export interface Run {
  code: number;
  stdout: string;
  stderr: string;
  ms: number;
}

/** A clean environment: nothing of the caller's kube, AWS, colour or npm settings leaks into the CLI. */
export function baseEnv(home: string): NodeJS.ProcessEnv {
  return { PATH: process.env.PATH, HOME: home, LANG: "C.UTF-8" };
}

/** Runs the CLI as `npm run preflight` does (node -r cli/register.cjs), asynchronously so in-process servers keep serving. */
export function spawnCli(
  args: string[],
  opts: { home: string; env?: NodeJS.ProcessEnv; npm?: boolean },
): Promise<Run> {
  const started = Date.now();
  const [cmd, argv] = opts.npm
    ? ["npm", ["run", "--silent", "preflight", "--", ...args]]
    : [process.execPath, ["-r", path.join(ROOT, "cli/register.cjs"), MAIN, ...args]];
  return new Promise((resolve) => {
    execFile(
      cmd as string,
      argv as string[],
      { cwd: ROOT, env: { ...baseEnv(opts.home), ...opts.env }, timeout: 90_000, maxBuffer: 32 * 2 ** 20 },
      (err, stdout, stderr) => {
        const code = err ? (typeof err.code === "number" ? err.code : -1) : 0;
        resolve({ code, stdout, stderr, ms: Date.now() - started });
      },
    );
  });
}

/** Runs the CLI in this process with captured streams (fast; for everything but the process boundary). */
export async function runInProcess(
  args: string[],
  opts: { env?: Record<string, string | undefined>; isTTY?: boolean; columns?: number; cwd?: string } = {},
): Promise<Run> {
  let stdout = "";
  let stderr = "";
  const started = Date.now();
  const code = await runCli(args, {
    stdout: { write: (t: string) => (stdout += t) },
    stderr: { write: (t: string) => (stderr += t) },
    env: opts.env ?? {},
    isTTY: opts.isTTY ?? false,
    columns: opts.columns,
    cwd: opts.cwd ?? ROOT,
  });
  return { code, stdout, stderr, ms: Date.now() - started };
}

/** The healthy cluster with `edit` applied to its objects, written to `file`. */
export function writeVariant(file: string, edit: (items: KubeObject[]) => KubeObject[]): string {
  const list = JSON.parse(fs.readFileSync(HEALTHY_FILES[0], "utf8")) as { items: KubeObject[] };
  fs.writeFileSync(file, JSON.stringify({ ...list, items: edit(list.items) }, null, 2));
  return file;
}

/** Airflow's HelmRelease not Ready: a critical prerequisite fails, so the decision is blocked. */
export const airflowReleaseFailed = (items: KubeObject[]): KubeObject[] =>
  items.map((o) =>
    o.kind === "HelmRelease" && o.metadata?.name === "airflow"
      ? {
          ...o,
          status: { conditions: [{ type: "Ready", status: "False", reason: "InstallFailed", message: "x" }] },
        }
      : o,
  );

/** Airflow pods Pending: a check that gates only compute and analytics fails; foundation stays open. */
export const airflowPodsPending = (items: KubeObject[]): KubeObject[] =>
  items.map((o) =>
    o.kind === "Pod" && o.metadata?.namespace === "airflow"
      ? { ...o, status: { phase: "Pending", conditions: [{ type: "Ready", status: "False" }] } }
      : o,
  );

/** Small PVCs and no ObjectBucketClaims: no measured trigger is met. */
export const nothingToStore = (items: KubeObject[]): KubeObject[] =>
  items
    .filter((o) => o.kind !== "ObjectBucketClaim")
    .map((o) =>
      o.kind === "PersistentVolumeClaim"
        ? { ...o, spec: { ...o.spec, resources: { requests: { storage: "1Gi" } } } }
        : o,
    );

/** Writes `Pulumi.<stack>.yaml` with `body` under `config:` into a new folder and returns the folder. */
export function stackDir(parent: string, stack: string, body: string): string {
  const dir = fs.mkdtempSync(path.join(parent, `project-${stack}-`));
  fs.writeFileSync(path.join(dir, `Pulumi.${stack}.yaml`), `config:\n${body}`);
  return dir;
}
