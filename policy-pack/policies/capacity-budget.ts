/**
 * capacity-budget (mandatory, stack): the plan's total CPU and memory requests fit the cluster's free capacity
 * recorded in the readiness report, and after the deployment requested utilisation stays under the line
 * (`maxUtilizationPercent`, default the report's). Fails closed when the report has no capacity.
 *
 * Known limit: on a second `up`, pods the lakehouse already runs are in both the cluster's requests and the
 * plan; raise the line or waive with a reason until the report subtracts them.
 */
import { formatBytes, formatCpu } from "../../preflight/quantity";
import { configOf, type LakehousePolicy } from "../lib/policy";
import { findReadiness } from "../lib/readiness";
import { resourceRequests } from "../lib/requests";
import { displayName, safe, type Obj } from "../lib/resources";
import type { HelmComponent } from "../lib/workloads";

const capacityBudgetDefaults = {
  /** Utilisation line in percent; unset = the readiness report's `maxUtilizationPercent`. */
  maxUtilizationPercent: undefined as number | undefined,
  /** Chart name -> pod-bearing components, overriding the built-in table (trino, spark-operator). */
  helmCharts: {} as Record<string, HelmComponent[]>,
};

const pct = (n: number) => `${Math.round(n * 10) / 10}%`;

export const capacityBudget: LakehousePolicy = {
  name: "capacity-budget",
  description:
    "The plan's total CPU/memory requests must fit the cluster's free capacity and keep utilisation under the line.",
  enforcementLevel: "mandatory",
  remediationSteps: "Lower lakehouse:sizing (replicas, cpu, memory), disable a phase, or add nodes.",
  configSchema: {
    properties: {
      maxUtilizationPercent: {
        type: "integer",
        minimum: 1,
        maximum: 100,
        description: "Utilisation line in percent (default: the readiness report's maxUtilizationPercent).",
      },
      helmCharts: { type: "object", default: capacityBudgetDefaults.helmCharts },
    },
  },
  validateStack: (args, report) => {
    const cfg = configOf(args, capacityBudgetDefaults);
    const found = findReadiness(args.resources);
    const cap = found?.state.capacity;
    let cpu = 0;
    let memory = 0;
    for (const r of args.resources) {
      const q = safe(() => resourceRequests(r.type, r.props as Obj, cap?.nodes ?? 1, cfg.helmCharts), {
        cpu: 0,
        memory: 0,
      });
      cpu += q.cpu;
      memory += q.memory;
    }
    if (cpu === 0 && memory === 0) return;
    const planned = `${formatCpu(cpu)} CPU and ${formatBytes(memory)} memory`;
    if (!found) {
      report(
        `Stack must contain the Readiness resource so the plan's requests (${planned}) can be checked against the cluster.`,
      );
      return;
    }
    const rname = displayName(found.resource);
    if (!cap) {
      report(
        `Readiness '${rname}' must record the cluster capacity to check the plan's requests (${planned}); ` +
          `the preflight could not read the nodes.`,
        found.resource.urn,
      );
      return;
    }
    const line = cfg.maxUtilizationPercent ?? cap.maxUtilizationPercent;
    if (cpu > cap.freeCpu) {
      report(
        `Stack must request at most the free CPU: the plan requests ${formatCpu(cpu)} CPU but only ` +
          `${formatCpu(cap.freeCpu)} is free (allocatable ${formatCpu(cap.allocatableCpu)}, requested ${formatCpu(cap.requestedCpu)}).`,
        found.resource.urn,
      );
    }
    if (memory > cap.freeMemory) {
      report(
        `Stack must request at most the free memory: the plan requests ${formatBytes(memory)} but only ` +
          `${formatBytes(cap.freeMemory)} is free (allocatable ${formatBytes(cap.allocatableMemory)}, requested ${formatBytes(cap.requestedMemory)}).`,
        found.resource.urn,
      );
    }
    if (cap.allocatableCpu > 0) {
      const after = ((cap.requestedCpu + cpu) / cap.allocatableCpu) * 100;
      if (after > line) {
        report(
          `Stack must keep CPU utilisation under ${line}% after deploying: requests would reach ${pct(after)} ` +
            `(${formatCpu(cap.requestedCpu)} + ${formatCpu(cpu)} of ${formatCpu(cap.allocatableCpu)} CPU).`,
          found.resource.urn,
        );
      }
    }
    if (cap.allocatableMemory > 0) {
      const after = ((cap.requestedMemory + memory) / cap.allocatableMemory) * 100;
      if (after > line) {
        report(
          `Stack must keep memory utilisation under ${line}% after deploying: requests would reach ${pct(after)} ` +
            `(${formatBytes(cap.requestedMemory)} + ${formatBytes(memory)} of ${formatBytes(cap.allocatableMemory)}).`,
          found.resource.urn,
        );
      }
    }
  },
};
