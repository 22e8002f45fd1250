/**
 * Offline facts: kubectl `-o json`/YAML files (Lists, NodeMetricsList, single objects, capture files) -> Facts.
 * PLACEHOLDER: filled in by the checks work (issue 2).
 */
import type { Facts } from "../model";

export function loadOfflineFacts(_files: readonly string[]): Facts {
  throw new Error("loadOfflineFacts: not implemented yet");
}
