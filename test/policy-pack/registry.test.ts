import { strict as assert } from "node:assert";
import * as fs from "node:fs";
import * as path from "node:path";
import { parse as parseYaml } from "yaml";
import { resolvePackConfig } from "../../policy-pack/evaluate";
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
      "pinned-charts",
      "no-runtime-downloads",
    ]);
    assert.deepEqual(ids, [...POLICY_IDS]);
  });

  it("enforces the issue's defaults: eleven mandatory, three advisory", () => {
    const advisory = POLICIES.filter((p) => p.enforcementLevel === "advisory").map((p) => p.name);
    assert.deepEqual(advisory, ["probes", "pod-disruption-budget", "non-root"]);
    assert.equal(POLICIES.filter((p) => p.enforcementLevel === "mandatory").length, 11);
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

describe("policy pack layout", () => {
  const dir = path.resolve(__dirname, "../../policy-pack");

  it("is a nodejs pack whose package.json pins @pulumi/policy 1.21.x and @pulumi/pulumi ~3.248 and has a version", () => {
    const yaml = parseYaml(fs.readFileSync(path.join(dir, "PulumiPolicy.yaml"), "utf8")) as {
      runtime?: string;
    };
    assert.equal(yaml.runtime, "nodejs");
    const pkg = JSON.parse(fs.readFileSync(path.join(dir, "package.json"), "utf8"));
    assert.equal(pkg.dependencies["@pulumi/policy"], "~1.21.0");
    assert.equal(pkg.dependencies["@pulumi/pulumi"], "~3.248.0");
    assert.match(pkg.version, /^\d+\.\d+\.\d+$/); // PolicyPack refuses to start without one
    assert.equal(pkg.main, "index.ts");
  });

  it("has one file per policy, named by its id", () => {
    const files = fs
      .readdirSync(path.join(dir, "policies"))
      .filter((f) => f !== "index.ts")
      .map((f) => f.replace(/\.ts$/, ""))
      .sort();
    assert.deepEqual(files, [...POLICY_IDS].sort());
  });

  it("index.ts only constructs the pack from POLICIES (tests must never construct it)", () => {
    const src = fs.readFileSync(path.join(dir, "index.ts"), "utf8");
    assert.equal(src.match(/new PolicyPack\(/g)?.length, 1);
    assert.match(src, /new PolicyPack\("lakehouse", \{[\s\S]*policies: POLICIES/);
  });

  it("ships a pack config example that evaluatePolicies accepts", () => {
    const example = JSON.parse(fs.readFileSync(path.join(dir, "config.example.json"), "utf8"));
    const resolved = resolvePackConfig(example);
    assert.equal(resolved.get("probes")?.enforcement, "advisory");
    assert.equal(resolved.get("readiness-gate")?.enforcement, "mandatory");
    assert.equal((resolved.get("pinned-images")?.config.waivers as unknown[]).length, 1);
  });
});
