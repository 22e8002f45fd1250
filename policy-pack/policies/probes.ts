/**
 * probes (advisory): long-running platform containers have a readiness and a liveness probe, so a hung
 * metastore or coordinator is restarted and taken out of its Service. Jobs, CronJobs and init containers run to
 * completion and are skipped.
 */
import type { LakehousePolicy } from "../lib/policy";
import { displayName, isPlatform, kindOf, type Obj } from "../lib/resources";
import { containersOf, podTemplates } from "../lib/workloads";

export const probes: LakehousePolicy = {
  name: "probes",
  description: "Long-running platform containers should have readiness and liveness probes.",
  enforcementLevel: "advisory",
  remediationSteps:
    "Add readinessProbe and livenessProbe (TCP 9083 for the metastore, HTTP /v1/info for Trino).",
  validateResource: (args, report) => {
    if (!isPlatform(args)) return;
    const kind = kindOf(args.type);
    for (const t of podTemplates(args.type, args.props as Obj)) {
      if (!t.longRunning) continue;
      for (const { list, name, c } of containersOf(t.spec)) {
        if (list !== "containers") continue;
        const missing = ["readinessProbe", "livenessProbe"].filter(
          (p) => c[p] === undefined || c[p] === null,
        );
        if (missing.length) {
          report(`${kind} '${displayName(args)}' must set ${missing.join(" and ")} on container '${name}'.`);
        }
      }
    }
  },
};
