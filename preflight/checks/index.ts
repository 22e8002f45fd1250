/**
 * The check registry: a plain array, so that ids are unique by construction (a test asserts it).
 * PLACEHOLDER: filled in by the checks work (issue 2).
 */
import type { CheckDefinition } from "./types";

export const CHECKS: readonly CheckDefinition[] = [];
