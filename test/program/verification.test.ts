/**
 * The Verification resource under Pulumi mocks: after the phase's outputs resolve, `up` runs the runner and
 * records its outcome; preview runs nothing; a failing or crashing runner makes the provider fail the update
 * with the message. The provider (which mocks do not run) is tested directly.
 */
import { strict as assert } from "node:assert";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { configSchema } from "../../preflight/config/schema";
import type { CheckResult } from "../../preflight/model";
import {
  VERIFICATION_MARKER,
  verificationProvider,
  verificationState,
  verifyPhase,
  type VerificationState,
} from "../../program/verification";
import type { VerificationResult, VerifyOptions } from "../../verify/runner";
import { kubeconfigYaml } from "../../harness/kube-api";

interface Recorded {
  type: string;
  name: string;
  inputs: Record<string, unknown>;
}

const result = (status: CheckResult["status"]): CheckResult => ({
  id: "verify.metadata-backup-restore",
  title: "t",
  category: "state",
  status,
  severity: "critical",
  critical: true,
  observed: status === "pass" ? "Backup ok." : "The newest backup is 30.0 h old; the schedule allows 12 h.",
  expected: "fresh",
  remediation: status === "pass" ? "" : "Run the backup CronJob.",
  gates: [],
});
const doc = (status: CheckResult["status"]): VerificationResult => ({
  title: "Lakehouse verification (foundation)",
  status: status === "pass" ? "pass" : "fail",
  summary:
    status === "pass"
      ? "verified"
      : "The foundation phase is not verified: verify.metadata-backup-restore is fail.",
  phase: "foundation",
  results: [result(status)],
  leftovers: [],
});

/** Stands for a resource of the phase (CustomResource is abstract in the SDK's types). */
class PhaseResource extends pulumi.CustomResource {
  constructor(name: string) {
    super("kubernetes:apps/v1:Deployment", name, { spec: {} });
  }
}

const value = <T>(o: pulumi.Output<T>): Promise<T> => new Promise((resolve) => o.apply((v) => resolve(v)));

describe("Verification resource (Pulumi mocks)", function () {
  this.timeout(30_000);
  let dir: string;
  let kubeconfig: string;
  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "lakehouse-verify-res-"));
    kubeconfig = path.join(dir, "kubeconfig");
    fs.writeFileSync(kubeconfig, kubeconfigYaml("http://127.0.0.1:1"));
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  async function program(
    preview: boolean,
    runner: (o: VerifyOptions) => Promise<VerificationResult>,
    raw: Record<string, unknown> = {},
  ) {
    const recorded: Recorded[] = [];
    const events: string[] = [];
    await pulumi.runtime.setMocks(
      {
        newResource: (args) => {
          recorded.push({ type: args.type, name: args.name, inputs: args.inputs as Record<string, unknown> });
          events.push(`created ${args.name}`);
          return { id: `${args.name}-id`, state: args.inputs };
        },
        call: (args) => args.inputs,
      },
      "lakehouse",
      "test",
      preview,
    );
    const phase = new PhaseResource("hive-metastore");
    const config = configSchema.parse(raw);
    const v = verifyPhase("foundation-verification", {
      phase: "foundation",
      config,
      after: [phase.id],
      dependsOn: [phase],
      kubeconfig,
      run: async (o) => {
        events.push(`verify ${o.phase}`);
        assert.equal(o.config, config);
        return runner(o);
      },
    });
    const state = {
      status: await value(v.status),
      failed: await value(v.failed),
      summary: await value(v.summary),
    };
    await pulumi.runtime.disconnect();
    return { recorded, events, state, v };
  }

  it("up: runs the verification after the phase and records a pass", async () => {
    const { recorded, events, state } = await program(false, async () => doc("pass"));
    assert.deepEqual(state, { status: "pass", failed: false, summary: "verified" });
    assert.ok(
      events.indexOf("created hive-metastore") < events.indexOf("verify foundation"),
      events.join(", "),
    );
    const rec = recorded.find((r) => r.name === "foundation-verification");
    assert.ok(rec, "the Verification resource is registered");
    assert.match(rec.type, /^pulumi-nodejs:dynamic\/lakehouse:Verification$/);
    assert.equal(rec.inputs.marker, VERIFICATION_MARKER);
    // The provider serialized (pulumi/pulumi#5294 breaks on captured clients/schemas) and captured nothing big.
    const provider = String(rec.inputs.__provider);
    assert.ok(
      provider.length > 100 && provider.length < 20_000,
      `serialized provider of ${provider.length} chars`,
    );
    assert.doesNotMatch(provider, /zod|client-node|require\(".\//);
    assert.equal(rec.inputs.mode, "verified");
    assert.equal(rec.inputs.failed, false);
    assert.deepEqual(rec.inputs.results, [
      { id: "verify.metadata-backup-restore", status: "pass", observed: "Backup ok.", remediation: "" },
    ]);
  });

  it("up: a failed criterion records failed=true with a message naming the check and the fix", async () => {
    const { recorded } = await program(false, async () => doc("fail"));
    const rec = recorded.find((r) => r.name === "foundation-verification")!;
    assert.equal(rec.inputs.failed, true);
    assert.match(
      String(rec.inputs.message),
      /^Post-deploy verification of the foundation phase failed\. verify\.metadata-backup-restore \(fail\): The newest backup is 30\.0 h old.* Fix: Run the backup CronJob\. Rerun with `npm run verify -- --phase foundation`/,
    );
    await assert.rejects(
      verificationProvider.create(rec.inputs),
      (e: Error) => e.message === rec.inputs.message,
    );
  });

  it("preview: runs nothing and records a skipped verification with a note", async () => {
    let ran = false;
    const { recorded } = await program(true, async () => {
      ran = true;
      return doc("pass");
    });
    assert.equal(ran, false);
    const rec = recorded.find((r) => r.name === "foundation-verification")!;
    assert.equal(rec.inputs.mode, "skipped");
    assert.equal(rec.inputs.failed, false);
    assert.match(
      String(rec.inputs.summary),
      /runs during `pulumi up`, after the phase is deployed; preview deploys nothing/,
    );
  });

  for (const preview of [false, true]) {
    it(`${preview ? "preview" : "up"}: lakehouse:verification.enabled=false runs nothing and records that it is switched off`, async () => {
      let ran = false;
      const { recorded, state } = await program(
        preview,
        async () => {
          ran = true;
          return doc("pass");
        },
        { verification: { enabled: "false" } },
      );
      assert.equal(ran, false);
      assert.equal(state.status, "skipped");
      assert.equal(state.failed, false);
      const rec = recorded.find((r) => r.name === "foundation-verification")!;
      assert.equal(rec.inputs.mode, "skipped");
      assert.equal(rec.inputs.verifiedAt, "");
      assert.match(
        String(rec.inputs.summary),
        /^Post-deploy verification of the foundation phase is switched off \(lakehouse:verification\.enabled is false\): no Job ran\. Run `npm run verify -- --phase foundation`/,
      );
    });
  }

  it("up: a runner that throws fails the update with what went wrong", async () => {
    const { recorded } = await program(false, async () => {
      throw new Error("The kubeconfig file x does not exist.");
    });
    const rec = recorded.find((r) => r.name === "foundation-verification")!;
    assert.equal(rec.inputs.mode, "error");
    assert.equal(rec.inputs.failed, true);
    assert.match(String(rec.inputs.message), /could not run: The kubeconfig file x does not exist\./);
  });

  it("the provider judges recorded inputs only: create/update pass or throw, diff follows verifiedAt", async () => {
    const ok: VerificationState = verificationState(doc("pass"), new Date("2026-11-25T14:00:00Z"));
    const created = await verificationProvider.create(ok as unknown as Record<string, unknown>);
    assert.equal(created.id, "foundation-verification");
    const later = { ...ok, verifiedAt: "2026-11-26T14:00:00Z" };
    assert.deepEqual(await verificationProvider.diff!("id", ok, later), { changes: true });
    assert.deepEqual(await verificationProvider.diff!("id", ok, { ...ok }), { changes: false });
    const bad = verificationState(doc("fail"), new Date());
    await assert.rejects(
      verificationProvider.update!("id", ok, bad),
      /verify\.metadata-backup-restore \(fail\)/,
    );
  });
});
