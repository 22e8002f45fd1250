/**
 * The pack's policies as a plain array (a registry by construction): `index.ts` hands it to `new PolicyPack`,
 * `evaluate.ts` runs it without the CLI, tests call each policy directly. Each is wrapped once with the
 * waiver logic (lib/waivers.ts).
 */
import type { LakehousePolicy, PackPolicy } from "../lib/policy";
import { withWaivers } from "../lib/waivers";
import { readinessGate } from "./readiness-gate";

/** The policies before the waiver wrapper, in the order of POLICY_IDS. */
export const RAW_POLICIES: readonly LakehousePolicy[] = [readinessGate];

/** What the pack runs. */
export const POLICIES: readonly PackPolicy[] = RAW_POLICIES.map(withWaivers);
