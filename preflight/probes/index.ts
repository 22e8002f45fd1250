/**
 * Live facts: every probe concurrently (Kubernetes API via @kubernetes/client-node, S3 via @aws-sdk/client-s3).
 * PLACEHOLDER: filled in by the live probes work (issue 2).
 */
import type { LakehouseConfig } from "../config/schema";
import type { Facts } from "../model";

export interface LiveOptions {
  /** Path of a kubeconfig file; default: KUBECONFIG or ~/.kube/config (or in-cluster). */
  kubeconfig?: string;
  /** Context name; default: the kubeconfig's current context. */
  context?: string;
  /** Skip the S3 round trip even when live (e.g. `capture`). */
  skipS3?: boolean;
}

export async function collectLiveFacts(_config: LakehouseConfig, _opts: LiveOptions): Promise<Facts> {
  throw new Error("collectLiveFacts: not implemented yet");
}
