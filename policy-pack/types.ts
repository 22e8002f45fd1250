/**
 * What `plan` and the tests hand to the policies: one planned resource as Pulumi's policy engine would see it.
 */
export interface PlannedResource {
  /** Pulumi type token, e.g. `kubernetes:apps/v1:Deployment`, `lakehouse:foundation:HiveMetastore`. */
  type: string;
  /** Logical name. */
  name: string;
  urn: string;
  /** Resolved input properties. */
  props: Record<string, unknown>;
  /** Parent URN, when any. */
  parent?: string;
  /** URNs this resource depends on. */
  dependencies?: string[];
  /** Resource options, when known (read by `retain-data`). */
  opts?: PlannedResourceOptions;
}

export type Enforcement = "advisory" | "mandatory" | "remediate" | "disabled";

export interface PolicyViolation {
  policy: string;
  enforcement: Enforcement;
  message: string;
  /** URN of the resource, absent for stack-level violations. */
  urn?: string;
}

/**
 * Pulumi resource options the policies read, when the caller knows them (CrossGuard exposes `protect` only;
 * `plan` may also know `retainOnDelete`). Used by `retain-data`.
 */
interface PlannedResourceOptions {
  protect?: boolean;
  retainOnDelete?: boolean;
}

/** The policy ids of the pack, in the order the issue lists them. A contract: never rename. */
export const POLICY_IDS = [
  "readiness-gate",
  "phase-order",
  "container-resources",
  "pinned-images",
  "priority-class",
  "namespace-guardrails",
  "no-plaintext-secrets",
  "capacity-budget",
  "retain-data",
  "probes",
  "pod-disruption-budget",
  "non-root",
  "pinned-charts",
  "no-runtime-downloads",
] as const;
export type PolicyId = (typeof POLICY_IDS)[number];
