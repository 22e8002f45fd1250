/**
 * namespace-guardrails (mandatory, stack): every platform namespace (a platform Namespace in the plan, or a
 * namespace platform workloads are placed in) has a ResourceQuota and a LimitRange in the plan, so one runaway
 * component cannot starve the rest of the homelab.
 */
import type { PolicyResource } from "@pulumi/policy";
import { configOf, type LakehousePolicy } from "../lib/policy";
import { displayName, isHelmRelease, isKube, isPlatform, namespaceOf, safe } from "../lib/resources";
import { isSparkApplication, isWorkload } from "../lib/workloads";

const namespaceGuardrailsDefaults = {
  /** Namespaces that need no quota or limit range here (e.g. managed elsewhere). */
  exemptNamespaces: [] as string[],
};

export const namespaceGuardrails: LakehousePolicy = {
  name: "namespace-guardrails",
  description: "Each platform namespace must have a ResourceQuota and a LimitRange in the plan.",
  enforcementLevel: "mandatory",
  remediationSteps: "Create a ResourceQuota and a LimitRange in the namespace (the platform base does).",
  configSchema: {
    properties: {
      exemptNamespaces: {
        type: "array",
        items: { type: "string" },
        default: namespaceGuardrailsDefaults.exemptNamespaces,
      },
    },
  },
  validateStack: (args, report) => {
    const cfg = configOf(args, namespaceGuardrailsDefaults);
    const namespaces = new Map<string, PolicyResource | undefined>();
    const quotas = new Set<string>();
    const limitRanges = new Set<string>();
    for (const r of args.resources) {
      safe(() => {
        if (isKube(r.type, "Namespace")) {
          if (isPlatform(r)) namespaces.set(displayName(r), r);
          return;
        }
        const ns = namespaceOf(r);
        if (!ns) return;
        if (isKube(r.type, "ResourceQuota")) quotas.add(ns);
        else if (isKube(r.type, "LimitRange")) limitRanges.add(ns);
        else if (
          isPlatform(r) &&
          (isWorkload(r.type) || isHelmRelease(r.type) || isSparkApplication(r.type)) &&
          !namespaces.has(ns)
        ) {
          namespaces.set(ns, undefined);
        }
      }, undefined);
    }
    for (const [ns, r] of namespaces) {
      if (cfg.exemptNamespaces.includes(ns)) continue;
      const missing = [!quotas.has(ns) && "a ResourceQuota", !limitRanges.has(ns) && "a LimitRange"].filter(
        Boolean,
      );
      if (!missing.length) continue;
      const msg = `Namespace '${ns}' must have ${missing.join(" and ")} in the plan.`;
      if (r) report(msg, r.urn);
      else report(msg);
    }
  },
};
