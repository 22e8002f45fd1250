/** Scenario for run-mocked.ts: the foundation phase's components (deployFoundation) for a config and a report. */
import type { Report } from "../../../preflight/model";
import { deployFoundation } from "../../../stacks/foundation";
import { phaseContext } from "../run-mocked";

export function build(input: { config: unknown; report?: Partial<Report> }): void {
  deployFoundation(phaseContext(input.config, input.report));
}
