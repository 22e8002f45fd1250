/**
 * The CrossGuard entry point: `pulumi preview --policy-pack policy-pack [--policy-pack-config F]`.
 * It only constructs the pack: constructing it starts a gRPC server (and exits the process on a second pack),
 * so tests and `npm run plan` use `policies/` and `evaluate.ts` instead.
 */
import { PolicyPack, type Policies } from "@pulumi/policy";
import { POLICIES } from "./policies";

new PolicyPack("lakehouse", {
  description:
    "Guardrails for the lakehouse platform on a homelab cluster: readiness gates, phase order, container " +
    "resources, pinned images, priority classes, namespace quotas, no plaintext secrets, capacity budget, " +
    "retained data; advisory probes, PDBs and non-root.",
  enforcementLevel: "advisory",
  policies: POLICIES as unknown as Policies,
});
