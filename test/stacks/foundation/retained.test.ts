/**
 * stacks/foundation/retained.ts: which kept objects the program asks the live preflight about, and how the
 * answer decides the credentials Secret's registration (import, create, or a warning with the fix).
 */
import * as assert from "node:assert/strict";
import { configSchema } from "../../../preflight/config/schema";
import type { Presence, Report } from "../../../preflight/model";
import { adoptionWarning, credentialsAdoption, retainedObjects } from "../../../stacks/foundation/retained";

const generated = configSchema.parse({});
const external = configSchema.parse({
  foundation: { dbCredentials: "external-secrets", externalSecretStore: "vault" },
});
const report = (presence?: Presence, id = "lakehouse/metastore-db-credentials"): Report =>
  ({ ...(presence ? { retained: { databaseCredentials: { id, presence } } } : {}) }) as Report;

describe("stacks/foundation/retained", () => {
  it("asks about the generated credentials Secret in the platform namespace; nothing with External Secrets", () => {
    assert.deepEqual(retainedObjects(generated), {
      databaseCredentials: { namespace: "lakehouse", name: "metastore-db-credentials" },
    });
    assert.deepEqual(
      retainedObjects(configSchema.parse({ platform: { namespace: "data" } })).databaseCredentials,
      { namespace: "data", name: "metastore-db-credentials" },
    );
    assert.deepEqual(retainedObjects(external), {});
  });

  it("present -> import by namespace/name; absent, not asked (offline) or another object -> create", () => {
    assert.deepEqual(credentialsAdoption(generated, report({ state: "present", uid: "u1" })), {
      action: "import",
      id: "lakehouse/metastore-db-credentials",
      uid: "u1",
    });
    assert.deepEqual(credentialsAdoption(generated, report({ state: "absent" })), { action: "create" });
    assert.deepEqual(credentialsAdoption(generated, report()), { action: "create" });
    assert.deepEqual(
      credentialsAdoption(
        generated,
        report({ state: "present", uid: "u1" }, "other/metastore-db-credentials"),
      ),
      { action: "create" },
    );
    // External Secrets owns the Secret: never imported, whatever was seen.
    assert.deepEqual(credentialsAdoption(external, report({ state: "present", uid: "u1" })), {
      action: "create",
    });
  });

  it("unknown -> a warning naming the Secret, why, what a conflict would mean and both fixes", () => {
    const a = credentialsAdoption(generated, report({ state: "unknown", reason: "HTTP 403" }));
    assert.equal(a.action, "unknown");
    const w = adoptionWarning(a as Extract<typeof a, { action: "unknown" }>);
    assert.match(w, /lakehouse\/metastore-db-credentials/);
    assert.match(w, /\(HTTP 403\)/);
    assert.match(w, /conflict on \.data\.password/);
    assert.match(w, /get secrets in lakehouse/);
    assert.match(w, /pulumi import kubernetes:core\/v1:Secret/);
  });
});
