/**
 * non-root (advisory): platform containers run as a non-root user (`runAsNonRoot: true` or a `runAsUser` other
 * than 0, at container or pod level) and are never privileged.
 */
import type { LakehousePolicy } from "../lib/policy";
import { asObj, displayName, isPlatform, kindOf, type Obj } from "../lib/resources";
import { containersOf, podTemplates } from "../lib/workloads";

export const nonRoot: LakehousePolicy = {
  name: "non-root",
  description: "Platform containers should run as non-root and must not be privileged.",
  enforcementLevel: "advisory",
  remediationSteps: "Set securityContext.runAsNonRoot: true with a runAsUser > 0; drop privileged.",
  validateResource: (args, report) => {
    if (!isPlatform(args)) return;
    const kind = kindOf(args.type);
    const name = displayName(args);
    for (const t of podTemplates(args.type, args.props as Obj)) {
      const pod = asObj(t.spec.securityContext);
      for (const { name: cname, c } of containersOf(t.spec)) {
        const sc = asObj(c.securityContext);
        const user = sc.runAsUser ?? pod.runAsUser;
        const nonRoot = sc.runAsNonRoot ?? pod.runAsNonRoot;
        if (user === 0) {
          report(`${kind} '${name}' must not run container '${cname}' as root (runAsUser is 0).`);
        } else if (!(typeof user === "number" && user > 0) && nonRoot !== true) {
          report(
            `${kind} '${name}' must run container '${cname}' as non-root (set runAsNonRoot: true or runAsUser > 0).`,
          );
        }
        if (sc.privileged === true) {
          report(`${kind} '${name}' must not run container '${cname}' privileged.`);
        }
      }
    }
  },
};
