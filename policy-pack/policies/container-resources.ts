/**
 * container-resources (mandatory): every container of a platform workload requests CPU and memory and has a
 * memory limit: Kubernetes workloads, the pod blocks of Helm values, and SparkApplications' driver and executor.
 * Without requests the scheduler cannot place the platform safely and the namespace quota rejects the pods.
 */
import { configOf, type LakehousePolicy } from "../lib/policy";
import { asObj, displayName, isPlatform, kindOf, type Obj } from "../lib/resources";
import {
  containersOf,
  getPath,
  helmComponents,
  helmEnabled,
  helmResourceBlocks,
  helmValues,
  podTemplates,
  sparkApps,
  sparkRoles,
  type HelmComponent,
} from "../lib/workloads";

const containerResourcesDefaults = {
  /** Require `limits.memory` (a memory limit avoids node OOM kills of neighbours). */
  requireMemoryLimit: true,
  /** Require `limits.cpu` (off: CPU limits throttle JVMs for no gain on a homelab). */
  requireCpuLimit: false,
  /** Chart name -> pod-bearing components, overriding the built-in table (trino, spark-operator). */
  helmCharts: {} as Record<string, HelmComponent[]>,
};

function present(v: unknown): boolean {
  return (typeof v === "string" && v.trim() !== "") || typeof v === "number";
}

/** What a `resources` block lacks. */
function missingResources(block: unknown, cfg: typeof containerResourcesDefaults): string[] {
  const requests = asObj(asObj(block).requests);
  const limits = asObj(asObj(block).limits);
  const missing: string[] = [];
  if (!present(requests.cpu)) missing.push("requests.cpu");
  if (!present(requests.memory)) missing.push("requests.memory");
  if (cfg.requireMemoryLimit && !present(limits.memory)) missing.push("limits.memory");
  if (cfg.requireCpuLimit && !present(limits.cpu)) missing.push("limits.cpu");
  return missing;
}

export const containerResources: LakehousePolicy = {
  name: "container-resources",
  description:
    "Every container of a platform workload (including Helm values and SparkApplications) must request CPU " +
    "and memory and set a memory limit.",
  enforcementLevel: "mandatory",
  remediationSteps: "Set resources.requests.cpu, resources.requests.memory and resources.limits.memory.",
  configSchema: {
    properties: {
      requireMemoryLimit: { type: "boolean", default: containerResourcesDefaults.requireMemoryLimit },
      requireCpuLimit: { type: "boolean", default: containerResourcesDefaults.requireCpuLimit },
      helmCharts: {
        type: "object",
        default: containerResourcesDefaults.helmCharts,
        description:
          "Chart name -> [{ path, replicas?, defaultReplicas? }] pod-bearing components of the values.",
      },
    },
  },
  validateResource: (args, report) => {
    if (!isPlatform(args)) return;
    const cfg = configOf(args, containerResourcesDefaults);
    const kind = kindOf(args.type);
    const name = displayName(args);
    const props = args.props as Obj;

    for (const t of podTemplates(args.type, props)) {
      for (const { list, name: cname, c } of containersOf(t.spec)) {
        const missing = missingResources(c.resources, cfg);
        if (missing.length) {
          const what = list === "initContainers" ? "init container" : "container";
          report(`${kind} '${name}' must set resources ${missing.join(", ")} on ${what} '${cname}'.`);
        }
      }
    }

    const values = helmValues(args.type, props);
    if (values) {
      const components = helmComponents(props, cfg.helmCharts);
      const blocks = helmResourceBlocks(values, components);
      for (const comp of components ?? []) {
        if (!helmEnabled(values, comp.path)) continue;
        const path = comp.path ? `${comp.path}.resources` : "resources";
        if (getPath(values, path) === undefined) {
          report(
            `${kind} '${name}' must set ${path} (requests.cpu, requests.memory, limits.memory) in its values.`,
          );
        }
      }
      if (!components && blocks.length === 0) {
        report(
          `${kind} '${name}' must set container resources in its values: no 'resources' block was found.`,
        );
      }
      for (const b of blocks) {
        const missing = missingResources(b.block, cfg);
        if (missing.length) report(`${kind} '${name}' must set ${missing.join(", ")} in values '${b.path}'.`);
      }
    }

    for (const app of sparkApps(args.type, props)) {
      const who = app.key ? `${kind} '${name}' (manifest '${app.key}')` : `${kind} '${name}'`;
      for (const role of sparkRoles(app.type, app.props)) {
        const missing: string[] = [];
        if (!present(role.spec.coreRequest) && !present(role.spec.cores))
          missing.push("cores (or coreRequest)");
        if (!present(role.spec.memory)) missing.push("memory");
        if (missing.length) report(`${who} must set ${missing.join(" and ")} on its ${role.role}.`);
      }
    }
  },
};
