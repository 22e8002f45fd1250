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
}

export type Enforcement = "advisory" | "mandatory" | "remediate" | "disabled";

export interface PolicyViolation {
  policy: string;
  enforcement: Enforcement;
  message: string;
  /** URN of the resource, absent for stack-level violations. */
  urn?: string;
}
