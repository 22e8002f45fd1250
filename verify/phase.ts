/**
 * What the runner asks of each phase's verification (verify/<phase>/verification.ts): how to observe the deployed
 * phase and which pure checks judge the observations. The runner (verify/runner.ts) holds the table from phase
 * to verification and does the rest the same way for each.
 */
import type { KubeConfig } from "@kubernetes/client-node";
import type { LakehouseConfig } from "../preflight/config/schema";
import type { Phase } from "../preflight/model";
import type { IngestDriver } from "./analytics/observe";
import type { TrinoSource } from "./analytics/endpoint";
import type { PrometheusSource } from "./http/prometheus";
import type { TargetOverrides } from "./targets";
import type { VerifyCheckDefinition } from "./types";

export interface VerifyOptions {
  config: LakehouseConfig;
  phase: Phase;
  kc: KubeConfig;
  /** Stack name for the title, or null. */
  stack?: string | null;
  /** How long each Job may run. @default 600000 */
  jobTimeoutMs?: number;
  /** Poll interval for Jobs. @default 2000 */
  pollMs?: number;
  /** Per-request timeout of API calls. @default config.probe.requestTimeoutMs */
  requestTimeoutMs?: number;
  /** @default service monitoring/prometheus-operated:9090 in `config.cluster.monitoringNamespace` */
  prometheus?: PrometheusSource;
  targets?: TargetOverrides;
  /** Keep the Jobs and ConfigMap (analytics: the end-to-end run's landing file and tables) for debugging. @default false */
  keepJobs?: boolean;
  now?: () => Date;
  /** Progress lines (the CLI prints them to stderr, the program to the Pulumi log). */
  log?: (msg: string) => void;
  /** Run id (tests); default random. */
  runId?: string;
  /** analytics: where Trino is. @default the coordinator Service through the Kubernetes API proxy */
  trino?: TrinoSource;
  /** analytics: a pipeline table (`schema.table`) for verify.iceberg-catalog to read back. */
  pipelineTable?: string;
  /** analytics: runs the compute phase's sample job for verify.end-to-end. */
  ingest?: IngestDriver;
  /** analytics: timed runs per query. @default 3 */
  queryRuns?: number;
}

/** What the runner settles before a phase observes: the same for every phase. */
interface PhaseRun {
  runId: string;
  /** How long each Job may run (`jobTimeoutMs`, default 600000). */
  jobTimeoutMs: number;
  log: (msg: string) => void;
  now: () => Date;
}

/** One phase's verification: observe the deployed phase (cluster problems are observations, never throws for them), then its checks. */
export interface PhaseVerification<O> {
  checks: readonly VerifyCheckDefinition<O>[];
  observe(opts: VerifyOptions, run: PhaseRun): Promise<{ observations: O; leftovers: string[] }>;
}
