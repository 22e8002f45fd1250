/** The compute phase's post-deploy checks, in report order: a plain array (a registry by construction). */
import type { ComputeObservations, VerifyCheckDefinition } from "../../types";
import { airflowDag } from "./airflowDag";
import { sampleJob } from "./sampleJob";
import { sparkOperatorReady } from "./sparkOperatorReady";

export const COMPUTE_CHECKS: readonly VerifyCheckDefinition<ComputeObservations>[] = [
  sparkOperatorReady,
  airflowDag,
  sampleJob,
];
