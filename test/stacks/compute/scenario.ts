/** Scenario for run-mocked.ts: the compute phase's components (deployCompute) for a config. */
import { deployCompute } from "../../../stacks/compute";
import { phaseContext } from "../run-mocked";

export function build(input: { config: unknown; jobSource: string; dagSource: string }): void {
  deployCompute(phaseContext(input.config), { jobSource: input.jobSource, dagSource: input.dagSource });
}
