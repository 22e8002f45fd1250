/**
 * The one verification runner behind every face (the `verify` CLI and the Pulumi program's Verification
 * resource): observe (Jobs in the cluster + Prometheus), evaluate the pure checks, return the results document
 * in the shared format. Throws only for bad input (InputError); an unreachable cluster yields `unknown` results.
 */
import { randomBytes } from "crypto";
import { InputError, PHASES, type CheckResult, type Phase, type Status } from "../preflight/model";
import { overallStatus } from "../preflight/render";
import { ANALYTICS_VERIFICATION } from "./analytics/verification";
import { evaluateChecks } from "./checks";
import { COMPUTE_VERIFICATION } from "./compute/verification";
import { FOUNDATION_VERIFICATION } from "./foundation/verification";
import type { PhaseVerification, VerifyOptions } from "./phase";
import type { AnalyticsObservations } from "./analytics/types";
import type { ComputeObservations, FoundationObservations } from "./types";

export type { VerifyOptions } from "./phase";

/** What each phase's verification observes (the input of its checks). */
interface PhaseObservations {
  foundation: FoundationObservations;
  compute: ComputeObservations;
  analytics: AnalyticsObservations;
}

/** Which verification each phase runs: its observation and its checks (verify/<phase>/verification.ts). */
const PHASE_VERIFICATIONS: { readonly [P in Phase]: PhaseVerification<PhaseObservations[P]> } = {
  foundation: FOUNDATION_VERIFICATION,
  compute: COMPUTE_VERIFICATION,
  analytics: ANALYTICS_VERIFICATION,
};

/** What every face renders or judges: the same document `renderResults` takes. */
export interface VerificationResult {
  title: string;
  status: Status;
  summary: string;
  phase: Phase;
  results: CheckResult[];
  /** Objects that could not be deleted after the run (empty normally). */
  leftovers: string[];
}

/** Overall status, fail closed (a critical fail/unknown fails the verification): the renderers' own rule. */
const overall = overallStatus;

/** A one-sentence summary naming the checks that fail the verification. */
function summarize(phase: Phase, results: readonly CheckResult[]): string {
  const bad = results.filter((r) => r.critical && (r.status === "fail" || r.status === "unknown"));
  if (bad.length > 0) {
    return `The ${phase} phase is not verified: ${bad.map((r) => `${r.id} is ${r.status}`).join(", ")}.`;
  }
  const warn = results.filter((r) => r.status === "warn");
  return warn.length > 0
    ? `The ${phase} phase is verified with warnings: ${warn.map((r) => r.id).join(", ")}.`
    : `The ${phase} phase is verified: ${results.length} of ${results.length} checks pass.`;
}

/** Runs the post-deploy verification of one phase. */
export async function runVerification(opts: VerifyOptions): Promise<VerificationResult> {
  // Every phase has checks; this refuses a value outside PHASES that reached here through a cast or plain JS.
  if (!PHASES.includes(opts.phase)) {
    throw new InputError(
      `The ${opts.phase} phase has no post-deploy checks yet; verifiable phases: ${PHASES.join(", ")}.`,
    );
  }
  const verification = PHASE_VERIFICATIONS[opts.phase] as PhaseVerification<unknown>;
  const now = opts.now ?? (() => new Date());
  const { observations, leftovers } = await verification.observe(opts, {
    runId: opts.runId ?? `${Date.now().toString(36)}-${randomBytes(2).toString("hex")}`,
    jobTimeoutMs: opts.jobTimeoutMs ?? 600_000,
    log: opts.log ?? (() => undefined),
    now,
  });
  const results = evaluateChecks(verification.checks, observations, { config: opts.config, now: now() });
  return {
    title: `Lakehouse verification (${opts.phase}${opts.stack ? `, stack ${opts.stack}` : ""})`,
    status: overall(results),
    summary: summarize(opts.phase, results),
    phase: opts.phase,
    results,
    leftovers,
  };
}
