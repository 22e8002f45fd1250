/** Scenario for run-mocked.ts: the analytics phase's components (deployAnalytics) for a `lakehouse:` config. */
import { configSchema } from "../../../preflight/config/schema";
import type { Report } from "../../../preflight/model";
import { deployAnalytics } from "../../../stacks/analytics";

export function build(input: { config: unknown }): void {
  const config = Object.freeze(configSchema.parse(input.config));
  deployAnalytics({
    config,
    report: {} as Report,
    base: {
      namespace: config.platform.namespace,
      priorityClassCritical: config.platform.priorityClasses.critical,
      priorityClassBatch: config.platform.priorityClasses.batch,
      resources: [],
    },
    dependsOn: [],
  });
}
