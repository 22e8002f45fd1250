/**
 * The artifact cache for tests: the product's own script (renderArtifactScript, stacks/platform/artifacts.ts)
 * run with sh + curl + sha256sum against a radosgw harness, staged from the local mirror .ci/setup.d/45-artifacts.sh
 * fills (file:// URLs in the layouts lakehouse:artifacts.source points at), exactly as the staging Job and the
 * pods' init containers run it in the cluster.
 */
import { execFile } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { cacheKey, renderArtifactScript, type PinnedArtifact } from "../stacks/platform/artifacts";
import type { Radosgw } from "./radosgw";

/** The cache bucket the tests use (the product's default `lakehouse:artifacts.bucket`). */
export const TEST_CACHE_BUCKET = "lakehouse-artifacts";

/** Where 45-artifacts.sh keeps the mirror. */
export function mirrorDir(env: NodeJS.ProcessEnv = process.env): string {
  return (
    env.LAKEHOUSE_ARTIFACT_MIRROR ??
    path.join(env.LAKEHOUSE_CACHE ?? path.join(os.homedir(), ".cache", "lakehouse"), "artifact-mirror")
  );
}

/** MAVEN_SOURCE / PYPI_SOURCE of the local mirror; throws naming the setup script when an artifact is missing. */
export function mirrorSources(artifacts: readonly PinnedArtifact[]): { maven: string; pypi: string } {
  const dir = mirrorDir();
  const missing = artifacts
    .map((a) => path.join(dir, a.source === "maven" ? "maven2" : "pypi", a.path))
    .filter((p) => !fs.existsSync(p));
  if (missing.length > 0) {
    throw new Error(
      `The artifact mirror lacks ${missing.length} pinned file(s) (e.g. ${missing[0]}): run bash .ci/setup.d/45-artifacts.sh.`,
    );
  }
  return { maven: `file://${dir}/maven2`, pypi: `file://${dir}/pypi` };
}

export interface ScriptRun {
  code: number;
  stdout: string;
  stderr: string;
  /** The script's last stdout line as JSON (every mode ends with one). */
  result: Record<string, unknown> | undefined;
  ms: number;
}

export interface ScriptEnv {
  rgw: Pick<Radosgw, "endpoint" | "accessKeyId" | "secretAccessKey" | "region">;
  /** @default TEST_CACHE_BUCKET */
  bucket?: string;
  /** ARTIFACTS_DIR (fetch). */
  dest?: string;
  /** MAVEN_SOURCE / PYPI_SOURCE (stage). */
  sources?: { maven: string; pypi: string };
  tmp: string;
}

/** Runs the rendered script in `mode`; never rejects (the exit code and lines are the result). */
export function runArtifactScript(
  mode: "stage" | "fetch" | "check",
  artifacts: readonly PinnedArtifact[],
  e: ScriptEnv,
  timeoutMs = 300_000,
): Promise<ScriptRun> {
  const script = renderArtifactScript(artifacts, { stage: mode === "stage" });
  fs.mkdirSync(e.tmp, { recursive: true });
  const env: Record<string, string> = {
    PATH: "/usr/bin:/bin",
    CACHE_ENDPOINT: e.rgw.endpoint,
    CACHE_BUCKET: e.bucket ?? TEST_CACHE_BUCKET,
    AWS_ACCESS_KEY_ID: e.rgw.accessKeyId,
    AWS_SECRET_ACCESS_KEY: e.rgw.secretAccessKey,
    AWS_REGION: e.rgw.region,
    TMPDIR: e.tmp,
    ...(e.dest ? { ARTIFACTS_DIR: e.dest } : {}),
    ...(e.sources ? { MAVEN_SOURCE: e.sources.maven, PYPI_SOURCE: e.sources.pypi } : {}),
  };
  const t0 = Date.now();
  return new Promise((resolve) => {
    execFile(
      "sh",
      ["-c", script, "artifact-cache", mode],
      { env, timeout: timeoutMs, maxBuffer: 16 * 1024 * 1024 },
      (err, out, errOut) => {
        const stdout = `${out}`;
        const last = stdout.trim().split("\n").pop() ?? "";
        let result: Record<string, unknown> | undefined;
        try {
          result = last.startsWith("{") ? (JSON.parse(last) as Record<string, unknown>) : undefined;
        } catch {
          result = undefined;
        }
        const code = err ? (typeof err.code === "number" ? err.code : 124) : 0;
        resolve({ code, stdout, stderr: `${errOut}`, result, ms: Date.now() - t0 });
      },
    );
  });
}

/**
 * Stages `artifacts` from the mirror into the radosgw's cache bucket, then fetches them with the pods' script into
 * `dest`: what a pod's init container leaves for the main container. Throws with the script's own line on failure.
 */
export async function stageAndFetch(
  rgw: ScriptEnv["rgw"],
  artifacts: readonly PinnedArtifact[],
  dest: string,
): Promise<{ stage: ScriptRun; fetch: ScriptRun }> {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "lakehouse-artifacts-"));
  try {
    const stage = await runArtifactScript("stage", artifacts, {
      rgw,
      sources: mirrorSources(artifacts),
      tmp,
    });
    if (stage.code !== 0) throw new Error(`Staging the artifact cache failed: ${stage.stderr.trim()}`);
    const fetch = await runArtifactScript("fetch", artifacts, { rgw, dest, tmp });
    if (fetch.code !== 0) throw new Error(`Fetching from the artifact cache failed: ${fetch.stderr.trim()}`);
    return { stage, fetch };
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

/** The cache key of an artifact (re-exported for tests that damage or delete one object). */
export { cacheKey };
