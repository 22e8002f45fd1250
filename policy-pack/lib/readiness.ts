/**
 * Finds the Readiness resource among the plan's resources: the one whose inputs are a ReadinessState
 * (marked with READINESS_MARKER). Policies never call the cluster; they read this.
 */
import type { PolicyResource } from "@pulumi/policy";
import { isReadinessState, type ReadinessState } from "../../preflight/readiness";
import { isObj, safe } from "./resources";

interface FoundReadiness {
  resource: PolicyResource;
  state: ReadinessState;
}

/**
 * The Readiness resource and its state. The state is the inputs themselves, or (tolerating a wrapper such as a
 * dynamic resource's `state` input) one of their direct object values.
 */
export function findReadiness(resources: readonly PolicyResource[]): FoundReadiness | undefined {
  for (const r of resources) {
    const state = safe(() => readinessOf(r.props), undefined);
    if (state) return { resource: r, state };
  }
  return undefined;
}

function readinessOf(props: Record<string, unknown>): ReadinessState | undefined {
  if (isReadinessState(props)) return props;
  for (const v of Object.values(props ?? {})) {
    if (isObj(v) && isReadinessState(v)) return v;
  }
  return undefined;
}
