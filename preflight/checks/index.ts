/**
 * The check registry: a plain array, so that ids are unique by construction (a test asserts it). Order is the
 * assessment's order: triggers, prerequisites, knowledge, current state, risk.
 */
import { KNOWLEDGE_CHECKS } from "./knowledge";
import { PREREQUISITE_CHECKS } from "./prerequisites";
import { RISK_CHECKS } from "./risk";
import { STATE_CHECKS } from "./state";
import { TRIGGER_CHECKS } from "./triggers";
import type { CheckDefinition } from "./types";

export const CHECKS: readonly CheckDefinition[] = [
  ...TRIGGER_CHECKS,
  ...PREREQUISITE_CHECKS,
  ...KNOWLEDGE_CHECKS,
  ...STATE_CHECKS,
  ...RISK_CHECKS,
];
