import { strict as assert } from "node:assert";
import { unknownCheckingProxy } from "@pulumi/policy";
import { InputError } from "../../preflight/model";
import { evaluatePolicies, resolvePackConfig } from "../../policy-pack/evaluate";
import { POLICIES } from "../../policy-pack/policies";
import { blockedState, validPlan, withChange } from "./fixtures";
import exampleConfig from "../../policy-pack/config.example.json";

/** A plan breaking one mandatory policy (pinned-images) and one advisory policy (probes). */
const broken = () =>
  withChange("metastore-server", (p) => {
    p.spec.template.spec.containers[0].image = "apache/hive:latest";
    delete p.spec.template.spec.containers[0].livenessProbe;
  });

describe("evaluatePolicies", () => {
  it("the valid plan has no violation under any policy", () => {
    assert.deepEqual(evaluatePolicies(validPlan()), []);
  });

  it("reports each violation with the policy id, its default enforcement and the resource URN; mandatory first", () => {
    const vs = evaluatePolicies(broken());
    assert.deepEqual(
      vs.map((v) => [v.policy, v.enforcement]),
      [
        ["pinned-images", "mandatory"],
        ["probes", "advisory"],
      ],
    );
    assert.ok(vs.every((v) => v.urn?.endsWith("::metastore-server")));
  });

  it("a policy's entry overrides its enforcement (string or object form); 'all' overrides the defaults", () => {
    const levels = (cfg: unknown) =>
      evaluatePolicies(broken(), cfg).map((v) => `${v.policy}:${v.enforcement}`);
    assert.deepEqual(levels({ "pinned-images": "advisory" }), ["pinned-images:advisory", "probes:advisory"]);
    assert.deepEqual(levels({ probes: { enforcementLevel: "mandatory" } }), [
      "pinned-images:mandatory",
      "probes:mandatory",
    ]);
    assert.deepEqual(levels({ all: "advisory" }), ["pinned-images:advisory", "probes:advisory"]);
    assert.deepEqual(levels({ all: "advisory", "pinned-images": "mandatory" }), [
      "pinned-images:mandatory",
      "probes:advisory",
    ]);
    assert.deepEqual(levels({ probes: "disabled" }), ["pinned-images:mandatory"]);
    assert.deepEqual(levels({ all: "disabled" }), []);
    // No policy here remediates: CrossGuard reports a remediate-level violation as mandatory.
    assert.deepEqual(levels({ probes: "remediate" }), ["pinned-images:mandatory", "probes:mandatory"]);
  });

  it("applies configSchema defaults and the pack config's options", () => {
    const resolved = resolvePackConfig({ "capacity-budget": { maxUtilizationPercent: 80 } });
    assert.deepEqual(resolved.get("pinned-images")?.config, {
      mutableTags: ["latest"],
      requireChartVersion: true,
      waivers: [],
    });
    assert.equal(resolved.get("capacity-budget")?.config.maxUtilizationPercent, 80);
    assert.equal(resolved.get("capacity-budget")?.enforcement, "mandatory");
  });

  it("rejects an invalid pack config with an InputError naming the key, what was seen and what was expected", () => {
    const cases: [unknown, RegExp][] = [
      [[], /must be a JSON object keyed by policy name .* it is an array/],
      [{ "pinned-image": "advisory" }, /unknown policy 'pinned-image'; expected one of: all, readiness-gate/],
      [
        { probes: "warn" },
        /key 'probes' is "warn"; expected an enforcement level: advisory, mandatory, remediate, disabled/,
      ],
      [{ all: "strict" }, /key 'all' is "strict"/],
      [
        { "pinned-images": { mutableTag: ["x"] } },
        /'pinned-images.mutableTag' is not an option of policy 'pinned-images'; expected one of: enforcementLevel, mutableTags/,
      ],
      [
        { "pinned-images": { mutableTags: "latest" } },
        /'pinned-images.mutableTags' is "latest"; expected array/,
      ],
      [
        { "capacity-budget": { maxUtilizationPercent: 150 } },
        /'capacity-budget.maxUtilizationPercent' is 150; expected at most 100/,
      ],
      [{ "capacity-budget": { maxUtilizationPercent: 70.5 } }, /expected integer/],
      [
        { "pinned-images": { waivers: [{ resource: 1 }] } },
        /'pinned-images.waivers\[0\].resource' is number 1; expected string/,
      ],
      [{ probes: 3 }, /entry 'probes' is number 3; expected an enforcement level/],
    ];
    for (const [cfg, re] of cases) {
      assert.throws(
        () => evaluatePolicies(validPlan(), cfg),
        (e: unknown) => e instanceof InputError && re.test(e.message),
        String(re),
      );
    }
  });

  it("honours every JSON Schema keyword of an option's schema (pattern, multipleOf, nested), not a subset", () => {
    const probe = {
      ...POLICIES[0],
      name: "probe-policy",
      configSchema: {
        properties: {
          team: { type: "string", pattern: "^[a-z]+$" },
          stepMiB: { type: "integer", multipleOf: 64 },
          hosts: { type: "array", items: { type: "string", minLength: 3 }, maxItems: 2 },
        },
      },
    } as unknown as (typeof POLICIES)[number];
    const cases: [Record<string, unknown>, RegExp][] = [
      [
        { team: "Data Team" },
        /^The policy pack config key 'probe-policy.team' is "Data Team"; expected it to match pattern "\^\[a-z\]\+\$"\.$/,
      ],
      [
        { stepMiB: 100 },
        /^The policy pack config key 'probe-policy.stepMiB' is number 100; expected it to be multiple of 64\.$/,
      ],
      [
        { hosts: ["ab"] },
        /'probe-policy.hosts\[0\]' is "ab"; expected it to NOT have fewer than 3 characters\./,
      ],
      [
        { hosts: ["abc", "abd", "abe"] },
        /'probe-policy.hosts' is an array; expected it to NOT have more than 2 items\./,
      ],
    ];
    for (const [entry, re] of cases) {
      assert.throws(
        () => resolvePackConfig({ "probe-policy": entry }, [probe]),
        (e: unknown) => e instanceof InputError && re.test(e.message),
        String(re),
      );
    }
    const ok = resolvePackConfig({ "probe-policy": { team: "data", stepMiB: 128, hosts: ["abc"] } }, [probe]);
    assert.deepEqual(ok.get("probe-policy")?.config, { team: "data", stepMiB: 128, hosts: ["abc"] });
  });

  it("every option schema of the shipped policies compiles under Ajv's strict mode and accepts its default", () => {
    let checked = 0;
    for (const p of POLICIES) {
      for (const [k, schema] of Object.entries(p.configSchema?.properties ?? {})) {
        if (schema.default === undefined) continue;
        resolvePackConfig({ [p.name]: { [k]: schema.default } });
        checked++;
      }
    }
    assert.ok(checked > 5, `${checked} options checked`);
  });

  it("accepts the example config shipped with the pack", () => {
    const vs = evaluatePolicies(broken(), exampleConfig);
    assert.deepEqual(
      vs.map((v) => `${v.policy}:${v.enforcement}`),
      ["pinned-images:mandatory", "probes:advisory"],
    );
  });

  it("a blocked readiness report yields mandatory readiness-gate violations for the whole plan", () => {
    const plan = withChange("readiness", (p) => Object.assign(p, blockedState()));
    const vs = evaluatePolicies(plan).filter((v) => v.policy === "readiness-gate");
    assert.equal(vs.length, 4);
    assert.ok(vs.every((v) => v.enforcement === "mandatory"));
  });

  it("passes parents and dependencies to stack policies as CrossGuard does", () => {
    let seen: { parent?: string; deps: string[] } | undefined;
    const probe = {
      ...POLICIES[0],
      name: "readiness-gate" as const,
      validateResource: undefined,
      validateStack: (args: {
        resources: { name: string; parent?: { name: string }; dependencies: { name: string }[] }[];
      }) => {
        const r = args.resources.find((x) => x.name === "trino-release");
        seen = {
          parent: r?.parent?.name,
          deps: args.resources.find((x) => x.name === "trino")?.dependencies.map((d) => d.name) ?? [],
        };
      },
    };
    evaluatePolicies(validPlan(), {}, { policies: [probe as never] });
    assert.deepEqual(seen, { parent: "trino", deps: ["spark"] });
  });

  it("stack policies judge what they can see when CrossGuard marks a value unknown in preview", () => {
    const plan = validPlan().filter((r) => r.name !== "base-quota");
    const ns = plan.find((r) => r.name === "base-namespace");
    // The sentinel CrossGuard's deserializer uses for unknown values.
    ns!.props = unknownCheckingProxy({ metadata: "04da6b54-80e4-46f7-96ec-b56ff0331ba9" });
    const all = evaluatePolicies(plan);
    const vs = all.filter((v) => v.policy === "namespace-guardrails");
    // The namespace itself is unreadable, but the workloads placed in 'lakehouse' still make it a platform namespace.
    assert.deepEqual(
      vs.map((v) => v.message),
      ["Namespace 'lakehouse' must have a ResourceQuota in the plan."],
    );
    // Resource policies that touch the unknown value say they could not run, as advisory (CrossGuard does the same).
    const cannot = all.filter((v) => v.message.startsWith("can't run policy"));
    assert.ok(cannot.length > 0);
    assert.ok(cannot.every((v) => v.enforcement === "advisory" && v.urn === ns!.urn));
  });
});
