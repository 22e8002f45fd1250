/**
 * What the post-deploy verification observes. The I/O layer (jobs.ts, prometheus.ts) fills these; the checks
 * in ./checks are pure functions of them, exactly like the preflight's probes -> facts -> checks.
 */
import type { LakehouseConfig } from "../preflight/config/schema";
import type { CheckOutcome } from "../preflight/checks/types";
import type { Phase, Severity } from "../preflight/model";

/** How one verification Job went. `result` is the one JSON line its script printed (the last one wins). */
export type JobObservation =
  | {
      state: "completed";
      job: string;
      /** True when the Job reports success (its pod exited 0). */
      succeeded: boolean;
      /** Exit code of the script's container, when the pod could be read. */
      exitCode: number | null;
      result: Record<string, unknown> | null;
      /** Last lines of the pod log (no secrets: the scripts never print them). */
      logTail: string;
      durationMs: number;
    }
  | { state: "timeout"; job: string; waitedMs: number; logTail: string; detail: string }
  | { state: "error"; stage: "create" | "start" | "wait" | "logs"; job?: string; message: string }
  | { state: "skipped"; reason: string };

/** Measured availability of the metastore from Prometheus. */
export type PrometheusObservation =
  | { state: "ok"; query: string; window: string; availability: number; source: string }
  | { state: "no-data"; query: string; source: string; message: string }
  | { state: "error"; source: string; message: string }
  | { state: "skipped"; reason: string };

/** Every observation of one verification run of the foundation phase. */
export interface FoundationObservations {
  metastorePing: JobObservation;
  prometheus: PrometheusObservation;
  icebergRoundtrip: JobObservation;
  backupRestore: JobObservation;
}

export interface VerifyContext {
  readonly config: LakehouseConfig;
  readonly now: Date;
}

/** A post-deploy check: same result shape as the preflight's, decided from observations only. */
export interface VerifyCheckDefinition<O> {
  /** Stable id (a contract): `verify.*`. */
  readonly id: string;
  readonly title: string;
  readonly severity: Severity;
  /** A `fail`/`unknown` of a critical check fails the verification (exit 3, the Pulumi update fails). */
  readonly critical: boolean;
  readonly phase: Phase;
  evaluate(obs: O, ctx: VerifyContext): CheckOutcome;
}
