/**
 * The namespace guardrails as pure functions of configuration: the ResourceQuota sized from the planned pods
 * plus headroom, and the LimitRange defaults. Pure, so tests assert the numbers without a runtime.
 */
import type { LakehouseConfig } from "../../preflight/config/schema";
import { plannedPods, totals } from "../../preflight/config/sizing";
import type { Phase } from "../../preflight/model";

const MI = 1024 * 1024;

/** `spec.hard` of the platform ResourceQuota. */
interface QuotaHard {
  "requests.cpu": string;
  "requests.memory": string;
  "limits.memory": string;
  pods: string;
}

/**
 * The quota holds every planned pod of the enabled phases (or of `phases`), plus
 * `platform.quotaHeadroomPercent` for rollouts (a surge pod runs beside the old one) and one-off Jobs.
 * CPU is rounded up to whole millicores, memory up to whole MiB, pods up to a whole pod.
 * There is deliberately no `limits.cpu`: the platform sets no CPU limits by default (they throttle JVMs).
 */
export function quotaHard(config: LakehouseConfig, phases?: readonly Phase[]): QuotaHard {
  const pods = plannedPods(config, phases);
  const t = totals(pods);
  const factor = 1 + config.platform.quotaHeadroomPercent / 100;
  // Round before ceil so that float noise (5.65 * 1.25 = 7.062499999) does not lose or gain a unit.
  const up = (x: number) => Math.ceil(Number(x.toFixed(6)));
  return {
    "requests.cpu": `${up(t.cpu * 1000 * factor)}m`,
    "requests.memory": `${up((t.memory / MI) * factor)}Mi`,
    "limits.memory": `${up((t.memoryLimit / MI) * factor)}Mi`,
    pods: String(up(pods.length * factor)),
  };
}

/** One LimitRange item for containers. */
interface ContainerLimitRange {
  type: "Container";
  defaultRequest: { cpu: string; memory: string };
  default: { memory: string };
}

/**
 * Defaults for containers that forget their resources (an init container of a chart, a debug pod). A quota on
 * requests and `limits.memory` makes the API server reject such a container outright; with these defaults it
 * is admitted, counted by the scheduler, and capped at 256Mi so it cannot eat a node. No default CPU limit
 * (see above).
 */
export function containerDefaults(): ContainerLimitRange {
  return {
    type: "Container",
    defaultRequest: { cpu: "100m", memory: "128Mi" },
    default: { memory: "256Mi" },
  };
}
