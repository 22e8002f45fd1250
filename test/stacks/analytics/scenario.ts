/** Scenario for run-mocked.ts: the analytics phase's components (deployAnalytics) for a `lakehouse:` config. */
import { deployAnalytics } from "../../../stacks/analytics";
import { phaseContext } from "../run-mocked";

export function build(input: { config: unknown }): void {
  deployAnalytics(phaseContext(input.config));
}
