/** Scenario for run-mocked.ts: the compute phase's components (deployCompute) for a config. */
import { configSchema } from "../../../preflight/config/schema";
import type { Report } from "../../../preflight/model";
import { deployCompute } from "../../../stacks/compute";

export function build(input: { config: unknown; jobSource: string; dagSource: string }): void {
  const config = Object.freeze(configSchema.parse(input.config));
  deployCompute(
    {
      config,
      report: {} as Report,
      base: {
        namespace: config.platform.namespace,
        priorityClassCritical: config.platform.priorityClasses.critical,
        priorityClassBatch: config.platform.priorityClasses.batch,
        resources: [],
      },
      dependsOn: [],
    },
    { jobSource: input.jobSource, dagSource: input.dagSource },
  );
}
