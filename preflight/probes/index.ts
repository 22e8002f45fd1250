/**
 * Live facts: every probe concurrently (Kubernetes API via @kubernetes/client-node, S3 via @aws-sdk/client-s3).
 *
 * The Kubernetes lists of all kinds start at once; each kind pages on its own. S3 runs alongside them: at once
 * when the endpoint is configured, else as soon as the cephobjectstores list has told us where RGW is.
 */
import type { LakehouseConfig } from "../config/schema";
import type { Facts, S3Observation } from "../model";
import { collectKinds, loadKubeConfig, type KindTiming } from "./kube";

export interface LiveOptions {
  /** Path of a kubeconfig file; default: KUBECONFIG or ~/.kube/config (or in-cluster). */
  kubeconfig?: string;
  /** Context name; default: the kubeconfig's current context. */
  context?: string;
  /** Skip the S3 round trip even when live (e.g. `capture`). */
  skipS3?: boolean;
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

/** {@link collectLiveFacts} with per-kind timings. */
export async function collectLive(config: LakehouseConfig, opts: LiveOptions): Promise<LiveCollection> {
  const loaded = loadKubeConfig(opts.kubeconfig, opts.context);
  const collectedAt = new Date().toISOString();
  const { kinds, timings } = await collectKinds(loaded, {
    pageSize: config.probe.pageSize,
    requestTimeoutMs: config.probe.requestTimeoutMs,
  });
  const s3: S3Observation = opts.skipS3
    ? { state: "skipped", reason: "S3 round trip not requested (skipS3)." }
    : { state: "unconfigured", reason: "The S3 probe is not wired in yet." };
  return {
    facts: {
      mode: "live",
      collectedAt,
      origin: `${loaded.context} (${loaded.server})`,
      kinds,
      s3,
    },
    timings,
  };
}
