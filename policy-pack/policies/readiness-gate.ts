/**
 * readiness-gate (mandatory, stack): the readiness report recorded by the Readiness resource must say `ready`,
 * every failing critical check is reported with its remediation, and no resource of a phase whose gate is closed
 * may be in the plan.
 */
import { PHASES } from "../../preflight/model";
import { READINESS_MARKER } from "../../preflight/readiness";
import { configOf, type LakehousePolicy } from "../lib/policy";
import { findReadiness } from "../lib/readiness";
import { displayName, isPhase, kindOf, phaseOf, safe } from "../lib/resources";

const readinessGateDefaults = {
  /** Report a violation when the plan has no Readiness resource at all (fail closed). */
  requireReadiness: true,
};

export const readinessGate: LakehousePolicy = {
  name: "readiness-gate",
  description:
    "The readiness verdict must be 'ready'; each failing critical check is reported with its remediation; " +
    "no resource of a phase whose gate is closed may be deployed.",
  enforcementLevel: "mandatory",
  remediationSteps: "Run `npm run preflight`, fix the blocking checks it lists, then preview again.",
  configSchema: {
    properties: {
      requireReadiness: {
        type: "boolean",
        default: readinessGateDefaults.requireReadiness,
        description: "Report a violation when the plan has no Readiness resource.",
      },
    },
  },
  validateStack: (args, report) => {
    const cfg = configOf(args, readinessGateDefaults);
    const found = findReadiness(args.resources);
    if (!found) {
      if (cfg.requireReadiness) {
        report(
          `Stack must contain the Readiness resource (inputs marked '${READINESS_MARKER}'): without the readiness ` +
            `report no phase may be deployed; register it from the program's preflight (index.ts).`,
        );
      }
      return;
    }
    const { resource, state } = found;
    const rname = displayName(resource);
    if (state.decision !== "ready") {
      report(
        `Readiness '${rname}' must have the verdict 'ready' before the platform is deployed, but it is ` +
          `'${state.decision}'${state.summary ? `: ${state.summary}` : "."}`,
        resource.urn,
      );
    }
    for (const b of state.blocking ?? []) {
      report(
        `Check '${b.id}' must pass before the lakehouse is deployed, but it is ${b.status}` +
          `${b.observed ? ` (${b.observed})` : ""}. Remediation: ${b.remediation || "see `npm run preflight`."}`,
        resource.urn,
      );
    }
    for (const r of args.resources) {
      const phase = safe(() => phaseOf(r), undefined);
      if (!isPhase(phase) || !PHASES.includes(phase)) continue;
      const gate = state.gates?.[phase];
      if (gate?.open) continue;
      // One violation per top-most resource of the phase: its children are implied.
      if (r.parent && safe(() => phaseOf(r.parent as never), undefined) === phase) continue;
      const by = gate?.blockedBy?.length ? gate.blockedBy.join(", ") : "the readiness report (no open gate)";
      report(
        `${kindOf(r.type)} '${displayName(r)}' must not be deployed: the ${phase} gate is closed by ${by}.`,
        r.urn,
      );
    }
  },
};
