/**
 * priority-class (mandatory): platform workloads set `priorityClassName`, so that under pressure the scheduler
 * evicts batch executors before the catalog and coordinators (the base creates the classes). Covers workloads,
 * Helm values (per chart component, else anywhere) and SparkApplications (driver and executor, or
 * `batchSchedulerOptions.priorityClassName`).
 */
import { configOf, type LakehousePolicy } from "../lib/policy";
import { asObj, displayName, isPlatform, kindOf, str, type Obj } from "../lib/resources";
import {
  getPath,
  helmComponents,
  helmEnabled,
  helmValues,
  podTemplates,
  sparkApps,
  sparkRoles,
  sparkSpec,
  walk,
  type HelmComponent,
} from "../lib/workloads";

const priorityClassDefaults = {
  /** When non-empty, the only PriorityClass names allowed. */
  allowedClasses: [] as string[],
  /** Chart name -> pod-bearing components, overriding the built-in table (trino, spark-operator). */
  helmCharts: {} as Record<string, HelmComponent[]>,
};

/** Non-empty `priorityClassName` values anywhere under `o`. */
function classesUnder(o: unknown): string[] {
  const out: string[] = [];
  walk(o, (_p, key, v) => {
    if (key === "priorityClassName" && typeof v === "string" && v !== "") out.push(v);
  });
  return out;
}

export const priorityClass: LakehousePolicy = {
  name: "priority-class",
  description:
    "Platform workloads must set priorityClassName (critical for the catalog, batch for executors).",
  enforcementLevel: "mandatory",
  remediationSteps: "Set priorityClassName to one of the PriorityClasses the platform base creates.",
  configSchema: {
    properties: {
      allowedClasses: {
        type: "array",
        items: { type: "string" },
        default: priorityClassDefaults.allowedClasses,
      },
      helmCharts: { type: "object", default: priorityClassDefaults.helmCharts },
    },
  },
  validateResource: (args, report) => {
    if (!isPlatform(args)) return;
    const cfg = configOf(args, priorityClassDefaults);
    const kind = kindOf(args.type);
    const name = displayName(args);
    const props = args.props as Obj;
    const check = (cls: string | undefined, where: string) => {
      if (!cls) {
        report(`${kind} '${name}' must set ${where}.`);
      } else if (cfg.allowedClasses.length && !cfg.allowedClasses.includes(cls)) {
        report(
          `${kind} '${name}' must use one of ${cfg.allowedClasses.join(", ")} in ${where}, not '${cls}'.`,
        );
      }
    };

    for (const t of podTemplates(args.type, props))
      check(str(t.spec.priorityClassName), `${t.path}.priorityClassName`);

    const values = helmValues(args.type, props);
    if (values) {
      const components = helmComponents(props, cfg.helmCharts);
      if (components) {
        for (const comp of components) {
          if (!helmEnabled(values, comp.path)) continue;
          const found = classesUnder(comp.path ? getPath(values, comp.path) : values);
          const where = `values '${comp.path ? `${comp.path}.` : ""}priorityClassName'`;
          if (!found.length) check(undefined, where);
          else found.forEach((c) => check(c, where));
        }
      } else {
        const found = classesUnder(values);
        if (!found.length) check(undefined, "a priorityClassName in its values");
        else found.forEach((c) => check(c, "values priorityClassName"));
      }
    }

    for (const app of sparkApps(args.type, props)) {
      const roles = sparkRoles(app.type, app.props);
      const fallback = str(asObj(sparkSpec(app.type, app.props).batchSchedulerOptions).priorityClassName);
      const at = app.key ? `manifest '${app.key}' ` : "";
      for (const r of roles)
        check(str(r.spec.priorityClassName) ?? fallback, `${at}${r.path}.priorityClassName`);
    }
  },
};
