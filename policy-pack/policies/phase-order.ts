/**
 * phase-order (mandatory, stack): phases deploy in order (base -> foundation -> compute -> analytics).
 * Every resource a phase creates depends, directly or through an ancestor component, on a resource of the
 * previous phase (the base for foundation); and no phase is in the plan while the one before it is absent.
 * Component resources (`lakehouse:*` types) create nothing themselves and are judged through their children.
 */
import type { PolicyResource } from "@pulumi/policy";
import type { LakehousePolicy } from "../lib/policy";
import {
  dependenciesUnknown,
  displayName,
  isPhase,
  kindOf,
  phaseOf,
  PHASE_ORDER,
  previousPhase,
  safe,
  type PhaseOrBase,
} from "../lib/resources";

function phase(r: PolicyResource): PhaseOrBase | undefined {
  return safe(() => phaseOf(r), undefined);
}

/**
 * True when `r` or one of its ancestors depends on a resource of phase `prev`; undefined when that cannot be
 * told (dependencies unknown, as under Pulumi's mocks).
 */
function dependsOnPhase(r: PolicyResource, prev: PhaseOrBase): boolean | undefined {
  const seen = new Set<string>();
  let unknown = false;
  for (let cur: PolicyResource | undefined = r; cur && !seen.has(cur.urn); cur = cur.parent) {
    seen.add(cur.urn);
    if (dependenciesUnknown(cur)) unknown = true;
    if ((cur.dependencies ?? []).some((d) => phase(d) === prev)) return true;
  }
  return unknown ? undefined : false;
}

export const phaseOrder: LakehousePolicy = {
  name: "phase-order",
  description:
    "Each phase must depend on the previous one (foundation on the base); no phase without its predecessor.",
  enforcementLevel: "mandatory",
  remediationSteps: "Pass the previous phase's components (PhaseContext.dependsOn) as dependsOn.",
  validateStack: (args, report) => {
    const present = new Set<PhaseOrBase>();
    for (const r of args.resources) {
      const p = phase(r);
      if (p) present.add(p);
    }
    for (const p of PHASE_ORDER) {
      const prev = previousPhase(p);
      if (present.has(p) && prev && !present.has(prev)) {
        report(
          `Stack must not deploy the ${p} phase without the ${prev} phase: it has no ${prev} resources.`,
        );
      }
    }
    // Components create nothing in the cluster: judge the resources that do (directly or through an ancestor),
    // and report once per top-most resource of the phase so one missing dependsOn is one violation.
    const reported = new Set<string>();
    for (const r of args.resources) {
      const p = phase(r);
      if (!isPhase(p) || r.type.startsWith("lakehouse:")) continue;
      const prev = previousPhase(p) as PhaseOrBase;
      if (!present.has(prev)) continue; // already reported once for the stack
      if (dependsOnPhase(r, prev) !== false) continue;
      let top = r;
      while (top.parent && phase(top.parent) === p) top = top.parent;
      if (reported.has(top.urn)) continue;
      reported.add(top.urn);
      report(
        `${kindOf(top.type)} '${displayName(top)}' must depend on the ${prev} phase (dependsOn a ${prev} ` +
          `resource, directly or through its parent component).`,
        top.urn,
      );
    }
  },
};
