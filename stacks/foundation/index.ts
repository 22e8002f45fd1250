/**
 * Phase 1, Foundation.
 * PLACEHOLDER: components arrive with the foundation work (issue 4). A phase with no components is not shown.
 */
import type { PhaseDefinition } from "../types";

export const foundationPhase: PhaseDefinition | undefined = undefined;
