/**
 * Live facts: every probe concurrently (Kubernetes API via @kubernetes/client-node, S3 via @aws-sdk/client-s3).
 *
 * The Kubernetes lists of all kinds start at once; each kind pages on its own. S3 runs alongside them: its target
 * (endpoint, the Secret with the keys) at once when the endpoint is configured, else as soon as the
 * cephobjectstores list has told us where RGW is; its round trip once a kind has answered (the S3 client loads
 * while the lists wait on the network).
 */
import type { LakehouseConfig } from "../config/schema";
import type {
  BandwidthObservation,
  Collection,
  Facts,
  KubeObject,
  RetainedObjects,
  S3Observation,
} from "../model";
import {
  collectKinds,
  loadKubeConfig,
  readSecretData,
  secretPresence,
  type KindTiming,
  type LoadedKubeConfig,
} from "./kube";
import { ENDPOINT_ENV, resolveS3Target } from "./s3Target";

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
interface LiveCollection {
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
  // Settles once any kind has answered (or the lists ended): by then every list request is on the wire.
  let kubeAnswered: () => void = () => undefined;
  const firstKind = new Promise<void>((resolve) => (kubeAnswered = resolve));
  const endpointConfigured =
    config.s3.endpoint.trim() !== "" || ENDPOINT_ENV.some((n) => (env[n] ?? "").trim());
  const s3Promise: Promise<ObjectStoreObservations> = opts.skipS3
    ? Promise.resolve({
        s3: {
          state: "skipped",
          reason: "The S3 round trip was not requested (capture reads the cluster only).",
        },
        bandwidth: {
          state: "skipped",
          reason:
            "The S3 probes were not requested (capture reads the cluster only; preview stays read-only).",
        },
      })
    : probeObjectStore(config, loaded, env, endpointConfigured ? undefined : stores, firstKind);

  const creds = opts.retained?.databaseCredentials;
  const retainedPromise: Promise<RetainedObjects | undefined> = creds
    ? secretPresence(loaded, creds.namespace, creds.name, config.probe.requestTimeoutMs).then((presence) => ({
        databaseCredentials: { id: `${creds.namespace}/${creds.name}`, presence },
      }))
    : Promise.resolve(undefined);
  const [{ kinds, timings }, { s3, bandwidth }, retained] = await Promise.all([
    collectKinds(loaded, {
      pageSize: config.probe.pageSize,
      requestTimeoutMs: config.probe.requestTimeoutMs,
      onKind: (kind, c) => {
        kubeAnswered();
        if (kind === "cephobjectstores") storesDone(c);
      },
    }).finally(kubeAnswered),
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
      storageBandwidth: bandwidth,
      ...(retained ? { retained } : {}),
    },
    timings,
  };
}

interface ObjectStoreObservations {
  s3: S3Observation;
  bandwidth: BandwidthObservation;
}

/**
 * Resolves the S3 target, runs the round trip and then (when it succeeded, and only after it: both use the
 * scratch bucket) the bandwidth probe. `stores` is the pending cephobjectstores list when the endpoint must be
 * discovered from it. Never rejects.
 */
async function probeObjectStore(
  config: LakehouseConfig,
  loaded: LoadedKubeConfig,
  env: NodeJS.ProcessEnv,
  stores: Promise<Collection> | undefined,
  firstKind: Promise<void>,
): Promise<ObjectStoreObservations> {
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
    if ("reason" in target) {
      const reason = `${target.reason}${storesNote}`;
      return { s3: { state: "unconfigured", reason }, bandwidth: { state: "not-measured", reason } };
    }
    // The S3 client (~0.2 s of CPU to load) is loaded only once a kind has answered: every Kubernetes list
    // request is on the wire by then, so the load overlaps their network waits instead of delaying them. The
    // target (and the Secret read it may need) did not wait for it.
    await firstKind;
    const { probeS3 } = await import("./s3");
    const s3 = await probeS3(target, {
      scratchBucket: config.s3.scratchBucket,
      timeoutMs: config.probe.requestTimeoutMs,
    });
    const bw = config.probe.storageBandwidth;
    const failed = s3.state === "done" ? s3.steps.find((s) => !s.ok && s.name !== "cleanup") : undefined;
    if (!bw.enabled) {
      return {
        s3,
        bandwidth: { state: "skipped", reason: "lakehouse:probe.storageBandwidth.enabled is false" },
      };
    }
    if (failed) {
      return {
        s3,
        bandwidth: {
          state: "not-measured",
          reason: `the S3 round trip failed first (state.s3-api, ${failed.name}: ${failed.detail.replace(/\.$/, "")})`,
        },
      };
    }
    const MiB = 2 ** 20;
    const { probeStorageBandwidth } = await import("./s3Bandwidth");
    const bandwidth = await probeStorageBandwidth(target, {
      bucket: config.s3.scratchBucket,
      objectBytes: bw.objectSizeMiB * MiB,
      partBytes: bw.partSizeMiB * MiB,
      parallelism: bw.parallelism,
      requestTimeoutMs: config.probe.requestTimeoutMs,
      boundMs: bw.timeoutSeconds * 1000,
    });
    return { s3, bandwidth };
  } catch (e) {
    // Neither function is meant to reject; if one does, the checks must still get an observation.
    const reason = `The S3 probe failed unexpectedly: ${(e as Error)?.message ?? String(e)}`;
    return { s3: { state: "unconfigured", reason }, bandwidth: { state: "not-measured", reason } };
  }
}
