/**
 * The post-deploy verification inside `pulumi up`: `verifyPhase()` runs the same runner as the CLI once the
 * phase's resources exist, and records the outcome as a `Verification` dynamic resource whose provider fails
 * the update with a clear message when a criterion fails.
 *
 * Why the work happens in the program and not in the provider: a dynamic provider is serialized and run in
 * another process, where relative `require`s fail and captured clients or zod schemas cannot be serialized
 * (pulumi/pulumi#5294). So the program observes and decides (inside an `apply` that waits for the phase), and
 * the provider only judges plain recorded inputs. In preview nothing is deployed yet, so nothing is verified:
 * the resource records "skipped" with a note.
 */
import * as pulumi from "@pulumi/pulumi";
import type { LakehouseConfig } from "../preflight/config/schema";
import type { Phase, Status } from "../preflight/model";
import { loadKubeConfig } from "../preflight/probes/kube";
import { runVerification, type VerificationResult, type VerifyOptions } from "../verify/runner";

/** Marks the Verification resource's inputs (policies and tests find it by this). */
export const VERIFICATION_MARKER = "lakehouse.dev/verification/v1";

/** What the resource records: plain JSON, no secrets, no timestamps except `verifiedAt`. */
export interface VerificationState {
  marker: typeof VERIFICATION_MARKER;
  phase: Phase;
  /** `verified`: the checks ran; `skipped`: preview (nothing deployed yet); `error`: the runner could not run. */
  mode: "verified" | "skipped" | "error";
  status: Status;
  summary: string;
  /** True when the update must fail. */
  failed: boolean;
  /** The message the update fails with (empty when it passes). */
  message: string;
  results: { id: string; status: Status; observed: string; remediation: string }[];
  /** When the checks ran (ISO-8601); changes every `up`, so every `up` re-judges. Empty in preview. */
  verifiedAt: string;
}

/** The recorded state of a finished verification. Pure. */
export function verificationState(result: VerificationResult, now: Date): VerificationState {
  const failing = result.results.filter((r) => r.critical && (r.status === "fail" || r.status === "unknown"));
  const failed = result.status === "fail" || result.status === "unknown";
  return {
    marker: VERIFICATION_MARKER,
    phase: result.phase,
    mode: "verified",
    status: result.status,
    summary: result.summary,
    failed,
    message: failed
      ? `Post-deploy verification of the ${result.phase} phase failed. ${failing
          .map((r) => `${r.id} (${r.status}): ${r.observed} Fix: ${r.remediation}`)
          .join(" ")} Rerun with \`npm run verify -- --phase ${result.phase}\` after fixing.`
      : "",
    results: result.results.map((r) => ({
      id: r.id,
      status: r.status,
      observed: r.observed,
      remediation: r.remediation,
    })),
    verifiedAt: now.toISOString(),
  };
}

/** The recorded state in preview. Pure. */
function previewState(phase: Phase): VerificationState {
  return {
    marker: VERIFICATION_MARKER,
    phase,
    mode: "skipped",
    status: "skipped",
    summary: `Post-deploy verification of the ${phase} phase runs during \`pulumi up\`, after the phase is deployed; preview deploys nothing, so nothing is verified.`,
    failed: false,
    message: "",
    results: [],
    verifiedAt: "",
  };
}

/** The recorded state when `lakehouse:verification.enabled` is false: nothing runs, and it says so. Pure. */
function disabledState(phase: Phase): VerificationState {
  return {
    marker: VERIFICATION_MARKER,
    phase,
    mode: "skipped",
    status: "skipped",
    summary: `Post-deploy verification of the ${phase} phase is switched off (lakehouse:verification.enabled is false): no Job ran. Run \`npm run verify -- --phase ${phase}\` to measure it.`,
    failed: false,
    message: "",
    results: [],
    verifiedAt: "",
  };
}

/** The recorded state when the runner itself could not run (bad kubeconfig, ...). Fails the update. Pure. */
function errorState(phase: Phase, error: unknown): VerificationState {
  const msg = (error as Error)?.message ?? String(error);
  return {
    marker: VERIFICATION_MARKER,
    phase,
    mode: "error",
    status: "unknown",
    summary: `The ${phase} phase could not be verified: ${msg}`,
    failed: true,
    message: `Post-deploy verification of the ${phase} phase could not run: ${msg} Fix that and rerun \`pulumi up\` or \`npm run verify -- --phase ${phase}\`.`,
    results: [],
    verifiedAt: new Date().toISOString(),
  };
}

type Inputs = Partial<VerificationState> & Record<string, unknown>;

/**
 * The provider: judges recorded inputs only. It must stay free of imports and captured objects (it is
 * serialized); `failed`/`message` were computed by the program.
 */
export const verificationProvider: pulumi.dynamic.ResourceProvider = {
  async create(inputs: Inputs) {
    if (inputs.failed) throw new Error(String(inputs.message));
    return { id: `${String(inputs.phase)}-verification`, outs: inputs };
  },
  async diff(_id: string, olds: Inputs, news: Inputs) {
    const keys = ["status", "mode", "failed", "verifiedAt", "summary"];
    return { changes: keys.some((k) => JSON.stringify(olds[k]) !== JSON.stringify(news[k])) };
  },
  async update(_id: string, _olds: Inputs, news: Inputs) {
    if (news.failed) throw new Error(String(news.message));
    return { outs: news };
  },
};

type StateInputs = { [K in keyof VerificationState]: pulumi.Input<VerificationState[K]> };

/** The recorded verification of one phase. Type `pulumi-nodejs:dynamic/lakehouse:Verification`. */
class Verification extends pulumi.dynamic.Resource {
  declare public readonly status: pulumi.Output<Status>;
  declare public readonly summary: pulumi.Output<string>;
  declare public readonly failed: pulumi.Output<boolean>;

  constructor(name: string, state: StateInputs, opts?: pulumi.CustomResourceOptions) {
    super(verificationProvider, name, { ...state }, opts, "lakehouse", "Verification");
  }
}

interface VerifyPhaseArgs {
  readonly phase: Phase;
  readonly config: LakehouseConfig;
  readonly stack?: string | null;
  /**
   * Outputs of the phase that resolve only once it is deployed (e.g. a Deployment's `status` or a Service's
   * `spec.clusterIP`). The checks run after all of them resolve; URNs are not enough (they resolve early).
   */
  readonly after: readonly pulumi.Input<unknown>[];
  /** Resources the Verification resource itself comes after (the phase's components). */
  readonly dependsOn?: readonly pulumi.Resource[];
  /** Kubeconfig file for the Jobs. @default KUBECONFIG / ~/.kube/config / in-cluster */
  readonly kubeconfig?: string;
  /** Kube context. @default the current context */
  readonly context?: string;
  /** Extra runner options (timeouts, Prometheus, images). */
  readonly options?: Partial<Omit<VerifyOptions, "config" | "phase" | "kc" | "stack">>;
  /** The runner; tests inject one. @default runVerification */
  readonly run?: (o: VerifyOptions) => Promise<VerificationResult>;
}

/** Runs the phase's verification after `after` resolves (not in preview) and records it. */
export function verifyPhase(
  name: string,
  args: VerifyPhaseArgs,
  opts: pulumi.CustomResourceOptions = {},
): Verification {
  const state: pulumi.Output<VerificationState> = pulumi.all([...args.after]).apply(async () => {
    // Switched off: the same state in preview and up, so neither shows a change.
    if (!args.config.verification.enabled) return disabledState(args.phase);
    // Preview deploys nothing: verifying the old state would say nothing about this update.
    if (pulumi.runtime.isDryRun()) return previewState(args.phase);
    try {
      const { kc } = loadKubeConfig(args.kubeconfig, args.context);
      const result = await (args.run ?? runVerification)({
        ...args.options,
        config: args.config,
        phase: args.phase,
        kc,
        stack: args.stack ?? null,
        log: (m) => pulumi.log.info(m, undefined, undefined, true),
      });
      return verificationState(result, new Date());
    } catch (e) {
      return errorState(args.phase, e);
    }
  });
  const field = <K extends keyof VerificationState>(k: K): pulumi.Output<VerificationState[K]> =>
    state.apply((s) => s[k]);
  return new Verification(
    name,
    {
      marker: VERIFICATION_MARKER,
      phase: args.phase,
      mode: field("mode"),
      status: field("status"),
      summary: field("summary"),
      failed: field("failed"),
      message: field("message"),
      results: field("results"),
      verifiedAt: field("verifiedAt"),
    },
    { ...opts, dependsOn: [...(args.dependsOn ?? [])] },
  );
}
