/**
 * The e2e environment, started once per test run and shared by every e2e test file: the real control plane
 * (harness/kube-control-plane.ts) seeded as a ready anton (./anton.ts), and a real radosgw
 * (harness/radosgw.ts) as anton's S3 gateway, so that the live preflight's S3 round trip at `pulumi up`
 * runs against real S3. Stopped by the root `after` hook each e2e file registers ({@link registerTeardown}).
 */
import * as fs from "node:fs";
import * as path from "node:path";
import * as YAML from "yaml";
import type { LakehouseConfig } from "../../preflight/config/schema";
import { parseConfig } from "../../preflight/config/load";
import {
  controlPlaneHint,
  sharedControlPlane,
  stopSharedControlPlane,
  type ControlPlane,
} from "../../harness/kube-control-plane";
import { startRadosgw, type Radosgw } from "../../harness/radosgw";
import { which } from "../../harness/proc";
import { seedAnton, type SeededAnton } from "./anton";
import { upstreamCrdsHint } from "./fixtures/crds";
import { FOUNDATION_NAMES } from "../../stacks/foundation/names";

export const REPO = path.resolve(__dirname, "../..");
/** The S3 credentials Secret: the one deploy/rbac/preflight-clusterrole.yaml lets the preflight identity read. */
export const S3_SECRET = { namespace: "storage", name: "lakehouse-s3" };

export interface E2eEnv {
  cp: ControlPlane;
  rgw: Radosgw;
  anton: SeededAnton;
  /** Admin kubeconfig whose context is `e2e` (the stack's kubernetes:context). */
  kubeconfig: string;
  /** `lakehouse:` config overrides every e2e stack uses on top of Pulumi.anton.yaml. */
  overrides: Record<string, unknown>;
  /** Pulumi.anton.yaml's lakehouse config with {@link E2eEnv.overrides}, parsed. */
  config(extra?: Record<string, unknown>): LakehouseConfig;
}

/** Why the e2e suite cannot run here (missing tools), or "" when it can. */
export function e2eHint(): string {
  const hints = [controlPlaneHint(), upstreamCrdsHint()];
  if (!which("radosgw")) hints.push("radosgw (S3) not installed: run `bash .ci/setup.d/10-apt.sh`.");
  return hints.filter(Boolean).join(" ");
}

let shared: Promise<E2eEnv> | undefined;

export function antonStackConfig(): Record<string, unknown> {
  return (
    YAML.parse(fs.readFileSync(path.join(REPO, "Pulumi.anton.yaml"), "utf8")) as {
      config: Record<string, unknown>;
    }
  ).config;
}

async function start(): Promise<E2eEnv> {
  const [cp, rgw] = await Promise.all([sharedControlPlane(), startRadosgw({ startTimeoutMs: 120_000 })]);
  const anton0 = antonStackConfig();
  const platform = anton0["lakehouse:platform"] as { namespace: string; blockStorageClass: string };
  const foundation = anton0["lakehouse:foundation"] as { dbStorage: string };
  const anton = await seedAnton(cp, {
    databaseClaim: {
      namespace: platform.namespace,
      name: `${FOUNDATION_NAMES.database}-data`,
      size: foundation.dbStorage,
      storageClass: platform.blockStorageClass,
    },
    s3Secret: { ...S3_SECRET, accessKeyId: rgw.accessKeyId, secretAccessKey: rgw.secretAccessKey },
  });
  const kubeconfig = path.join(cp.base, "e2e.kubeconfig");
  cp.writeKubeconfig(kubeconfig, cp.adminToken, "e2e");
  const overrides: Record<string, unknown> = {
    "kubernetes:context": "e2e",
    "lakehouse:s3": {
      ...(anton0["lakehouse:s3"] as object),
      // The in-cluster RGW Service name in the CephObjectStore status does not resolve from this machine.
      endpoint: rgw.endpoint,
      credentialsSecret: `${S3_SECRET.namespace}/${S3_SECRET.name}`,
    },
    // A 2-core machine shared with other suites: be patient with the API server.
    // The storage-bandwidth probe is off here: a rate measured under this machine's load could flip
    // risk.storage-bandwidth between pass and warn from one `up` to the next and fail the "second up changes
    // nothing" test. Its live path is tested in test/preflight/probes/kube-s3.test.ts and s3-bandwidth.test.ts.
    "lakehouse:probe": { requestTimeoutMs: 30_000, pageSize: 500, storageBandwidth: { enabled: false } },
    // kwok runs no containers and serves no pod logs: the verification Jobs cannot run (see README).
    "lakehouse:verification": { enabled: false },
  };
  const config = (extra: Record<string, unknown> = {}): LakehouseConfig => {
    const all = { ...anton0, ...overrides, ...extra };
    const raw = Object.fromEntries(
      Object.entries(all)
        .filter(([k]) => k.startsWith("lakehouse:"))
        .map(([k, v]) => [k.slice("lakehouse:".length), v]),
    );
    return parseConfig(raw, "Pulumi.anton.yaml + e2e overrides");
  };
  return { cp, rgw, anton, kubeconfig, overrides, config };
}

/** The shared environment (started on first use). */
export function sharedEnv(): Promise<E2eEnv> {
  shared ??= start();
  return shared;
}

/** Stops the shared environment if it was started (idempotent; a later {@link sharedEnv} starts it again). */
export async function stopSharedEnv(): Promise<void> {
  const s = shared;
  shared = undefined;
  if (s) {
    try {
      const env = await s;
      await env.anton.stop();
      await env.rgw.stop();
    } catch {
      // it never started
    }
  }
  await stopSharedControlPlane();
}

/**
 * Registers the root `after` hook that stops the shared environment at the end of the run, whatever ran
 * (call at file top level). The last e2e file also stops it in its own `after`, so that `npm test` does not
 * keep the control plane running through the other suites.
 */
export function registerTeardown(): void {
  after(async function () {
    this.timeout(120_000);
    await stopSharedEnv();
  });
}

/**
 * Fails a suite whose tools are missing, naming the set-up script; call in `before`. Mocha refuses pending
 * tests (.mocharc.json `forbidPending`), so a suite that cannot run is a failure, never a silent skip.
 */
export function requireTools(hint: string): void {
  if (hint) throw new Error(hint);
}
