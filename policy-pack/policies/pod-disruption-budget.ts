/**
 * pod-disruption-budget (advisory, stack): platform Deployments and StatefulSets with several replicas have a
 * PodDisruptionBudget in their namespace whose selector matches their pods, so a node drain keeps the metastore
 * and Trino available (the availability objective).
 */
import { configOf, type LakehousePolicy } from "../lib/policy";
import {
  asObj,
  displayName,
  isKube,
  isPlatform,
  kindOf,
  namespaceOf,
  safe,
  type Obj,
} from "../lib/resources";
import { podTemplates } from "../lib/workloads";

const podDisruptionBudgetDefaults = {
  /** Workloads with at least this many replicas need a PDB. */
  minReplicas: 2,
};

interface Pdb {
  namespace: string | undefined;
  matchLabels: Record<string, unknown>;
}

export const podDisruptionBudget: LakehousePolicy = {
  name: "pod-disruption-budget",
  description:
    "Deployments and StatefulSets with 2 or more replicas should have a matching PodDisruptionBudget.",
  enforcementLevel: "advisory",
  remediationSteps:
    "Add a policy/v1 PodDisruptionBudget (minAvailable: 1) selecting the workload's pod labels.",
  configSchema: {
    properties: {
      minReplicas: { type: "integer", minimum: 1, default: podDisruptionBudgetDefaults.minReplicas },
    },
  },
  validateStack: (args, report) => {
    const cfg = configOf(args, podDisruptionBudgetDefaults);
    const pdbs: Pdb[] = [];
    for (const r of args.resources) {
      safe(() => {
        if (!isKube(r.type, "PodDisruptionBudget")) return;
        const sel = asObj(asObj(asObj(r.props.spec).selector).matchLabels);
        pdbs.push({ namespace: namespaceOf(r), matchLabels: sel });
      }, undefined);
    }
    for (const r of args.resources) {
      safe(() => {
        if (!isKube(r.type, "Deployment", "StatefulSet") || !isPlatform(r)) return;
        const [t] = podTemplates(r.type, r.props as Obj);
        if (!t || t.replicas < cfg.minReplicas) return;
        const ns = namespaceOf(r);
        const matches = pdbs.some(
          (p) =>
            p.namespace === ns &&
            Object.keys(p.matchLabels).length > 0 &&
            Object.entries(p.matchLabels).every(([k, v]) => t.labels[k] === v),
        );
        if (!matches) {
          report(
            `${kindOf(r.type)} '${displayName(r)}' must have a PodDisruptionBudget selecting its pods ` +
              `(${t.replicas} replicas).`,
            r.urn,
          );
        }
      }, undefined);
    }
  },
};
