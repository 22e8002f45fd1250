/** Scenario for run-mocked.ts: the foundation phase's components (deployFoundation) for a config and a report. */
import { configSchema } from "../../../preflight/config/schema";
import type { Report } from "../../../preflight/model";
import { deployFoundation } from "../../../stacks/foundation";

export function build(input: { config: unknown; report?: Partial<Report> }): void {
  const config = Object.freeze(configSchema.parse(input.config));
  deployFoundation({
    config,
    report: (input.report ?? {}) as Report,
    base: {
      namespace: config.platform.namespace,
      priorityClassCritical: config.platform.priorityClasses.critical,
      priorityClassBatch: config.platform.priorityClasses.batch,
      resources: [],
    },
    dependsOn: [],
  });
}
