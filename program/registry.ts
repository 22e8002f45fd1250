/**
 * The phase registry: every phase folder's PhaseDefinition, in phase order, each with the post-deploy
 * Verification attached. Phases know nothing of verification; this layer joins the two.
 */
import * as pulumi from "@pulumi/pulumi";
import { analyticsPhase } from "../stacks/analytics";
import { computePhase } from "../stacks/compute";
import { foundationPhase } from "../stacks/foundation";
import type { PhaseDefinition } from "../stacks/types";
import { verifyPhase } from "./verification";

/**
 * Attaches the shared post-deploy verification to a phase: after the phase's components, once every output in
 * its `ready` resolves, a `Verification` resource (`<phase>-verify`) runs the phase's checks (verify/) at `up`
 * and fails the update when a criterion fails; preview records "skipped". Every phase has post-deploy checks
 * (verify/runner.ts runs each of PHASES), so every phase gets one. The wiring layer does this,
 * never the phase, so the layers point one way (nothing under stacks/ imports verify/ or program/) and every
 * phase gets it the same way.
 */
function withVerification(def: PhaseDefinition): PhaseDefinition {
  return {
    ...def,
    deploy(ctx) {
      const { resources, ready = [] } = def.deploy(ctx);
      const verification = verifyPhase(`${def.phase}-verify`, {
        phase: def.phase,
        config: ctx.config,
        stack: pulumi.getStack(),
        after: [...ready],
        dependsOn: [...resources],
      });
      return { resources: [...resources, verification], ready };
    },
  };
}

/**
 * Every phase with components, in phase order, each with the shared machinery attached. A phase with no
 * components yet is simply absent: it is neither planned nor shown.
 */
export const PHASE_DEFINITIONS: readonly PhaseDefinition[] = [foundationPhase, computePhase, analyticsPhase]
  .filter((d): d is PhaseDefinition => d !== undefined)
  .map(withVerification);
