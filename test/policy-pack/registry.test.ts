import { strict as assert } from "node:assert";
import { POLICIES, RAW_POLICIES } from "../../policy-pack/policies";
import { POLICY_IDS } from "../../policy-pack/types";

describe("policy pack registry", () => {
  it("has unique ids, exactly the issue's list, in its order", () => {
    const ids = POLICIES.map((p) => p.name);
    assert.equal(new Set(ids).size, ids.length);
    assert.deepEqual(ids, [
      "readiness-gate",
      "phase-order",
      "container-resources",
      "pinned-images",
      "priority-class",
      "namespace-guardrails",
      "no-plaintext-secrets",
      "capacity-budget",
      "retain-data",
      "probes",
      "pod-disruption-budget",
      "non-root",
    ]);
    assert.deepEqual(ids, [...POLICY_IDS]);
  });

  it("enforces the issue's defaults: nine mandatory, three advisory", () => {
    const advisory = POLICIES.filter((p) => p.enforcementLevel === "advisory").map((p) => p.name);
    assert.deepEqual(advisory, ["probes", "pod-disruption-budget", "non-root"]);
    assert.equal(POLICIES.filter((p) => p.enforcementLevel === "mandatory").length, 9);
  });

  it("gives every policy a description, a waivers option and a stack validation; CrossGuard rules on schemas hold", () => {
    for (const p of POLICIES) {
      assert.ok(p.description.length > 20, p.name);
      assert.ok(p.configSchema.properties.waivers, `${p.name} has no waivers option`);
      assert.equal(typeof p.validateStack, "function");
      // server.js exits the process on these; catch them here instead of at `pulumi preview`.
      assert.ok(!("enforcementLevel" in p.configSchema.properties), p.name);
      assert.ok(!(p.configSchema.required ?? []).includes("enforcementLevel"), p.name);
      assert.notEqual(p.name, "all");
    }
  });

  it("keeps resource policies as resource policies after wrapping", () => {
    for (const raw of RAW_POLICIES) {
      const wrapped = POLICIES.find((p) => p.name === raw.name);
      assert.equal(!!wrapped?.validateResource, !!raw.validateResource, raw.name);
    }
  });
});
