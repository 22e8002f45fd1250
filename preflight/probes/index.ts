/**
 * Live facts: every probe concurrently (Kubernetes API via @kubernetes/client-node, S3 via @aws-sdk/client-s3).
 *
 * The Kubernetes lists of all kinds start at once; each kind pages on its own. S3 runs alongside them: at once
 * when the endpoint is configured, else as soon as the cephobjectstores list has told us where RGW is.
 */
import type { LakehouseConfig } from "../config/schema";
import type { Collection, Facts, KubeObject, RetainedObjects, S3Observation } from "../model";
import {
  collectKinds,
  loadKubeConfig,
  readSecretData,
  secretPresence,
  type KindTiming,
  type LoadedKubeConfig,
} from "./kube";
import { ENDPOINT_ENV, probeS3, resolveS3Target } from "./s3";

export interface LiveOptions {
  /** Path of a kubeconfig file; default: KUBECONFIG or ~/.kube/config (or in-cluster). */
  kubeconfig?: string;
  /** Context name; default: the kubeconfig's current context. */
  context?: string;
  /** Skip the S3 round trip even when live (e.g. `capture`). */
  skipS3?: boolean;
  /**
   * Objects an earlier deploy kept on purpose, whose presence to record in `facts.retained` (metadata only).
   * The program passes its own names (stacks/foundation/retained.ts); the CLI asks for none.
   */
  retained?: { databaseCredentials?: { namespace: string; name: string } };
}

/** Facts plus how the collection went (for the benchmark and debug output; not part of Facts). */
export interface LiveCollection {
  facts: Facts;
  /** Per kind: pages read and wall time. */
  timings: KindTiming[];
}

/**
 * Collects live facts. Throws InputError when no kubeconfig can be used; never throws for an unreachable,
 * slow or partly forbidden cluster (those become per-kind `error`/`forbidden`/`absent`).
 */
export async function collectLiveFacts(config: LakehouseConfig, opts: LiveOptions): Promise<Facts> {
  return (await collectLive(config, opts)).facts;
}

/** {@link collectLiveFacts} with per-kind timings. `env` supplies S3 endpoint/keys (default: process.env). */
export async function collectLive(
  config: LakehouseConfig,
  opts: LiveOptions,
  env: NodeJS.ProcessEnv = process.env,
): Promise<LiveCollection> {
  const loaded = loadKubeConfig(opts.kubeconfig, opts.context, env);
  const collectedAt = new Date().toISOString();

  // S3 needs the CephObjectStore only to discover the endpoint; with an endpoint configured it starts at once.
  let storesDone: (c: Collection) => void = () => undefined;
  const stores = new Promise<Collection>((resolve) => (storesDone = resolve));
  const endpointConfigured =
    config.s3.endpoint.trim() !== "" || ENDPOINT_ENV.some((n) => (env[n] ?? "").trim());
  const s3Promise: Promise<S3Observation> = opts.skipS3
    ? Promise.resolve({
        state: "skipped",
        reason: "The S3 round trip was not requested (capture reads the cluster only).",
      })
    : probeObjectStore(config, loaded, env, endpointConfigured ? undefined : stores);

  const creds = opts.retained?.databaseCredentials;
  const retainedPromise: Promise<RetainedObjects | undefined> = creds
    ? secretPresence(loaded, creds.namespace, creds.name, config.probe.requestTimeoutMs).then((presence) => ({
        databaseCredentials: { id: `${creds.namespace}/${creds.name}`, presence },
      }))
    : Promise.resolve(undefined);
  const [{ kinds, timings }, s3, retained] = await Promise.all([
    collectKinds(loaded, {
      pageSize: config.probe.pageSize,
      requestTimeoutMs: config.probe.requestTimeoutMs,
      onKind: (kind, c) => kind === "cephobjectstores" && storesDone(c),
    }),
    s3Promise,
    retainedPromise,
  ]);
  return {
    facts: {
      mode: "live",
      collectedAt,
      origin: `${loaded.context} (${loaded.server})`,
      kinds,
      s3,
      ...(retained ? { retained } : {}),
    },
    timings,
  };
}

/**
 * Resolves the S3 target and runs the round trip. `stores` is the pending cephobjectstores list when the
 * endpoint must be discovered from it. Never rejects.
 */
async function probeObjectStore(
  config: LakehouseConfig,
  loaded: LoadedKubeConfig,
  env: NodeJS.ProcessEnv,
  stores: Promise<Collection> | undefined,
): Promise<S3Observation> {
  try {
    let objectStore: KubeObject | undefined;
    let storesNote = "";
    if (stores) {
      const c = await stores;
      const { cephNamespace, objectStore: name } = config.cluster;
      if (c.state === "ok") {
        objectStore = c.items.find(
          (o) => o.metadata?.namespace === cephNamespace && o.metadata?.name === name,
        );
        if (!objectStore)
          storesNote = ` (no CephObjectStore ${cephNamespace}/${name} among ${c.items.length} found)`;
      } else storesNote = ` (cephobjectstores: ${c.message})`;
    }
    const target = await resolveS3Target(
      config,
      {
        objectStore,
        // One GET of the one Secret named in config; its values stay inside the S3 target.
        readSecret: (ns, name) => readSecretData(loaded, ns, name, config.probe.requestTimeoutMs),
      },
      env,
    );
    if ("reason" in target) return { state: "unconfigured", reason: `${target.reason}${storesNote}` };
    return await probeS3(target, {
      scratchBucket: config.s3.scratchBucket,
      timeoutMs: config.probe.requestTimeoutMs,
    });
  } catch (e) {
    // Neither function is meant to reject; if one does, the check must still get an observation.
    return {
      state: "unconfigured",
      reason: `The S3 probe failed unexpectedly: ${(e as Error)?.message ?? String(e)}`,
    };
  }
}
