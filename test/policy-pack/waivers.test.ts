import { strict as assert } from "node:assert";
import { parseWaivers, withWaivers } from "../../policy-pack/lib/waivers";
import type { ResourceValidationArgs } from "@pulumi/policy";
import { pinnedImages } from "../../policy-pack/policies/pinned-images";
import { evaluatePolicies } from "../../policy-pack/evaluate";
import { runPolicy, withChange } from "./fixtures";

const NOW = new Date("2026-11-25T12:00:00Z");
const unpinned = () =>
  withChange("metastore-server", (p) => (p.spec.template.spec.containers[0].image = "apache/hive:latest"));

describe("waivers", () => {
  it("classifies waivers: active through the expiry day, expired after it, invalid without reason/expiry/date", () => {
    const states = parseWaivers(
      [
        { resource: "a", reason: "r", expires: "2026-11-25" },
        { resource: "b", reason: "r", expires: "2026-11-24" },
        { resource: "c", expires: "2026-12-01" },
        { resource: "d", reason: "r" },
        { resource: "e", reason: "r", expires: "2026-02-30" },
        "nonsense",
      ],
      "2026-11-25",
    );
    assert.deepEqual(
      states.map((s) => s.status),
      ["active", "expired", "invalid", "invalid", "invalid", "invalid"],
    );
    assert.match(states[2].problem ?? "", /no reason/);
    assert.match(states[3].problem ?? "", /no expires/);
    assert.match(states[4].problem ?? "", /not a date/);
  });

  it("a valid waiver (by logical name) suppresses the violation and reports nothing", () => {
    const cfg = {
      waivers: [
        { resource: "metastore-server", reason: "hive 4.0.0 rebuild pending", expires: "2026-12-31" },
      ],
    };
    assert.equal(runPolicy("pinned-images", unpinned(), undefined, NOW).length, 1);
    assert.deepEqual(runPolicy("pinned-images", unpinned(), cfg, NOW), []);
  });

  it("a valid waiver by URN works too, and only for that resource", () => {
    const plan = unpinned();
    const urn = plan.find((r) => r.name === "metastore-server")?.urn;
    const other = withChange("metastore-backup", (p) => {
      p.spec.jobTemplate.spec.template.spec.containers[0].image = "postgres";
    });
    assert.deepEqual(
      runPolicy(
        "pinned-images",
        plan,
        { waivers: [{ resource: urn, reason: "x", expires: "2027-01-01" }] },
        NOW,
      ),
      [],
    );
    const vs = runPolicy(
      "pinned-images",
      other,
      { waivers: [{ resource: urn, reason: "x", expires: "2027-01-01" }] },
      NOW,
    );
    assert.equal(vs.length, 1);
    assert.match(vs[0].message, /CronJob 'metastore-backup' must pin/);
  });

  it("an expired waiver no longer applies: the violation returns (noting the expiry) and the waiver is reported as advisory", () => {
    const cfg = {
      waivers: [{ resource: "metastore-server", reason: "rebuild pending", expires: "2026-11-24" }],
    };
    const vs = runPolicy("pinned-images", unpinned(), cfg, NOW);
    assert.equal(vs.length, 2);
    assert.equal(vs[0].enforcement, "mandatory");
    assert.match(
      vs[0].message,
      /Deployment 'hive-metastore' must pin .* \(its waiver expired on 2026-11-24\)$/,
    );
    assert.equal(vs[1].enforcement, "advisory");
    assert.equal(vs[1].policy, "pinned-images");
    assert.match(
      vs[1].message,
      /^Waiver #1 of policy 'pinned-images' for 'metastore-server' \(reason: rebuild pending\) expired on 2026-11-24 and no longer applies/,
    );
  });

  it("an expired waiver is reported even when the resource is now compliant", () => {
    const cfg = { waivers: [{ resource: "metastore-server", reason: "old", expires: "2020-01-01" }] };
    const vs = runPolicy(
      "pinned-images",
      withChange("metastore-server", () => undefined),
      cfg,
      NOW,
    );
    assert.equal(vs.length, 1);
    assert.equal(vs[0].enforcement, "advisory");
    assert.match(vs[0].message, /expired on 2020-01-01/);
  });

  it("an invalid waiver (no reason, no expiry) never applies and is reported", () => {
    const cfg = { waivers: [{ resource: "metastore-server" }] };
    const vs = runPolicy("pinned-images", unpinned(), cfg, NOW);
    assert.equal(vs.length, 2);
    assert.match(vs[0].message, /^Deployment 'hive-metastore' must pin/);
    assert.equal(vs[1].enforcement, "advisory");
    assert.match(
      vs[1].message,
      /Waiver #1 of policy 'pinned-images' for 'metastore-server' is invalid and does not apply: it has no reason, expires/,
    );
  });

  it("waives stack-level violations reported with a resource URN (capacity-budget on the Readiness resource)", () => {
    const plan = withChange("readiness", (p) => (p.capacity.freeCpu = 1));
    assert.equal(runPolicy("capacity-budget", plan, undefined, NOW).length, 1);
    const cfg = {
      waivers: [{ resource: "readiness", reason: "node 4 arrives next week", expires: "2026-12-05" }],
    };
    assert.deepEqual(runPolicy("capacity-budget", plan, cfg, NOW), []);
  });

  it("under CrossGuard (no notice hook) waiver problems go through reportViolation, once, from validateStack", () => {
    const p = withWaivers(pinnedImages);
    const reported: string[] = [];
    const config = { waivers: [{ resource: "x", reason: "y", expires: "2000-01-01" }] };
    p.validateStack(
      {
        resources: [],
        stackTags: new Map(),
        getConfig: <T extends object>() => config as T,
        notApplicable: () => {
          throw new Error("n/a");
        },
      },
      (m) => reported.push(m),
    );
    assert.equal(reported.length, 1);
    assert.match(reported[0], /expired on 2000-01-01/);
    // ...and a resource validation with the same config does not repeat it.
    const args = {
      type: "kubernetes:core/v1:ConfigMap",
      props: {},
      urn: "urn:pulumi:s::p::kubernetes:core/v1:ConfigMap::x",
      name: "x",
      getConfig: <T extends object>() => config as T,
    } as unknown as ResourceValidationArgs;
    p.validateResource?.(args, (m) => reported.push(m));
    assert.equal(reported.length, 1);
  });

  it("defaults 'today' to the real clock", () => {
    const cfg = {
      "pinned-images": { waivers: [{ resource: "metastore-server", reason: "x", expires: "2999-12-31" }] },
    };
    const vs = evaluatePolicies(unpinned(), cfg).filter((v) => v.policy === "pinned-images");
    assert.deepEqual(vs, []);
  });
});
