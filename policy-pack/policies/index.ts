/**
 * The pack's policies as a plain array (a registry by construction): `index.ts` hands it to `new PolicyPack`,
 * `evaluate.ts` runs it without the CLI, tests call each policy directly. Each is wrapped once with the
 * waiver logic (lib/waivers.ts).
 */
import type { LakehousePolicy, PackPolicy } from "../lib/policy";
import { withWaivers } from "../lib/waivers";
import { capacityBudget } from "./capacity-budget";
import { containerResources } from "./container-resources";
import { namespaceGuardrails } from "./namespace-guardrails";
import { noPlaintextSecrets } from "./no-plaintext-secrets";
import { noRuntimeDownloads } from "./no-runtime-downloads";
import { nonRoot } from "./non-root";
import { phaseOrder } from "./phase-order";
import { pinnedCharts } from "./pinned-charts";
import { pinnedImages } from "./pinned-images";
import { podDisruptionBudget } from "./pod-disruption-budget";
import { priorityClass } from "./priority-class";
import { probes } from "./probes";
import { readinessGate } from "./readiness-gate";
import { retainData } from "./retain-data";

/** The policies before the waiver wrapper, in the order of POLICY_IDS. */
export const RAW_POLICIES: readonly LakehousePolicy[] = [
  readinessGate,
  phaseOrder,
  containerResources,
  pinnedImages,
  priorityClass,
  namespaceGuardrails,
  noPlaintextSecrets,
  capacityBudget,
  retainData,
  probes,
  podDisruptionBudget,
  nonRoot,
  pinnedCharts,
  noRuntimeDownloads,
];

/** What the pack runs. */
export const POLICIES: readonly PackPolicy[] = RAW_POLICIES.map(withWaivers);
