/**
 * The wiring layer: joins the readiness report, the phase folders (stacks/) and the post-deploy verification
 * (verify/). It owns the phase registry, the gating, the stack outputs and the two dynamic resources (Readiness,
 * Verification). It is the only layer that imports both stacks/ and verify/; nothing under either imports it.
 */
export { closedGateWarning, deployPhases, planPhases, readinessFailure } from "./gating";
export { stackOutputs, type StackOutputs } from "./outputs";
export { Readiness } from "./readiness";
export { PHASE_DEFINITIONS } from "./registry";
