/**
 * What `pulumi destroy` keeps on purpose and a following `up` adopts: the generated database credentials.
 *
 * The Secret is `retainOnDelete` because it holds the only password the retained database volume opens with
 * (PostgreSQL reads POSTGRES_PASSWORD only when it initialises an empty volume). After a `destroy` the Secret
 * is in the cluster but not in the stack; creating it again would apply a NEW generated password over the kept
 * one (the API server refuses: a server-side apply conflict on `.data.password`). So the program asks the
 * live preflight whether the Secret exists (metadata only: its data never reaches the program) and, when it
 * does, registers it with Pulumi's `import` option: the engine reads the live object, `ignoreChanges` on its
 * data keeps the live values, and the kept password stays. `import` with the ID a resource already has in the
 * state is an ordinary update, so the option is harmless on every later `up`. Pure.
 */
import type { LakehouseConfig } from "../../preflight/config/schema";
import type { Presence, Report } from "../../preflight/model";
import { FOUNDATION_NAMES } from "./names";

/** The retained objects the live preflight is asked about (LiveOptions.retained). */
export function retainedObjects(config: LakehouseConfig): {
  databaseCredentials?: { namespace: string; name: string };
} {
  return config.foundation.dbCredentials === "generated"
    ? {
        databaseCredentials: {
          namespace: config.platform.namespace,
          name: FOUNDATION_NAMES.databaseCredentials,
        },
      }
    : {};
}

/** How the credentials Secret is registered at this run. */
type CredentialsAdoption =
  | { action: "import"; id: string; uid: string }
  | { action: "create" }
  | { action: "unknown"; id: string; reason: string };

/** Decides from the report (facts.retained): import the kept Secret, create it, or could not tell. */
export function credentialsAdoption(config: LakehouseConfig, report: Report): CredentialsAdoption {
  const want = retainedObjects(config).databaseCredentials;
  const seen = report.retained?.databaseCredentials;
  if (!want || !seen || seen.id !== `${want.namespace}/${want.name}`) return { action: "create" };
  const p: Presence = seen.presence;
  if (p.state === "present") return { action: "import", id: seen.id, uid: p.uid };
  if (p.state === "absent") return { action: "create" };
  return { action: "unknown", id: seen.id, reason: p.reason };
}

/** The warning for `unknown`: what a conflict at `up` would mean and how to avoid it. */
export function adoptionWarning(a: Extract<CredentialsAdoption, { action: "unknown" }>): string {
  return (
    `Could not tell whether the database credentials Secret ${a.id} already exists (${a.reason}). ` +
    "If an earlier `pulumi destroy` kept it, this `up` stops at a server-side apply conflict on .data.password " +
    "instead of overwriting the password the database volume opens with. Fix: run `up` with an identity that may " +
    `get secrets in ${a.id.split("/")[0]}, or adopt it by hand: pulumi import kubernetes:core/v1:Secret ` +
    `<name> ${a.id} (docs/program.md, "destroy").`
  );
}
