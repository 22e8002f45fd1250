/**
 * The shape of one lakehouse policy before the waiver wrapper (lib/waivers.ts) turns it into what
 * `new PolicyPack(...)` and `evaluatePolicies` run. Every policy file exports one of these.
 */
import type {
  PolicyConfigSchema,
  ResourceValidation,
  ResourceValidationArgs,
  StackValidation,
  StackValidationArgs,
} from "@pulumi/policy";
import type { PolicyId } from "../types";

export interface LakehousePolicy {
  name: PolicyId;
  description: string;
  /** The default enforcement; the pack config (`--policy-pack-config`) may override it. */
  enforcementLevel: "mandatory" | "advisory";
  /** Thresholds and options; `waivers` is added to every policy by the wrapper. */
  configSchema?: PolicyConfigSchema;
  remediationSteps?: string;
  validateResource?: ResourceValidation;
  validateStack?: StackValidation;
}

/**
 * A policy as the pack runs it: a resource and/or stack validation. CrossGuard runs `validateResource` for each
 * resource and `validateStack` once when both are present on one policy (server.js checks each separately),
 * which is how the waiver wrapper reports waiver problems once per run.
 */
export interface PackPolicy extends Omit<LakehousePolicy, "validateStack" | "validateResource"> {
  configSchema: PolicyConfigSchema;
  validateResource?: ResourceValidation;
  validateStack: StackValidation;
}

/**
 * A policy's effective config: the pack config's values over the policy's defaults. The Pulumi CLI already
 * applies `configSchema` defaults; merging again keeps a policy correct when called with an empty config.
 */
export function configOf<T extends object>(
  args: ResourceValidationArgs | StackValidationArgs,
  defaults: T,
): T {
  const given = args.getConfig<Partial<T>>() ?? {};
  const out = { ...defaults } as T;
  for (const [k, v] of Object.entries(given)) {
    if (v !== undefined && v !== null) (out as Record<string, unknown>)[k] = v;
  }
  return out;
}
