/** The labels every platform object carries. */
import type { Phase } from "../../preflight/model";

/** Labels every platform resource carries (Kubernetes recommended labels + the phase). */
export function platformLabels(phase: Phase | "base", component: string): Record<string, string> {
  return {
    "app.kubernetes.io/part-of": "lakehouse",
    "app.kubernetes.io/managed-by": "pulumi",
    "app.kubernetes.io/component": component,
    "lakehouse.dev/phase": phase,
  };
}
