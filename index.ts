/**
 * The Pulumi program: config -> readiness report -> Readiness resource -> platform base -> phases behind their
 * gates -> stack outputs. The Pulumi Node.js runtime calls the exported function (a CommonJS module whose export
 * is a function is invoked and awaited); `npm run plan` and the tests import it and call it under mocks. Nothing
 * happens at import time, so importing it twice is harmless.
 */
import * as pulumi from "@pulumi/pulumi";
import { fromPulumiConfig } from "./preflight/config/load";
import { readinessState } from "./preflight/readiness";
import { runPreflight, type FactSource, type RunOptions } from "./preflight/runner";
import type { Report } from "./preflight/model";
import {
  closedGateWarning,
  deployPhases,
  planPhases,
  PHASE_DEFINITIONS,
  Readiness,
  readinessFailure,
  stackOutputs,
  type StackOutputs,
} from "./program";
import { PlatformBase } from "./stacks/base";
import { retainedObjects } from "./stacks/foundation/retained";
import type { PhaseDefinition } from "./stacks/types";

/** Seams for tests; `pulumi up` calls `main()` with none. */
interface MainOptions {
  /** @default runPreflight (the one runner) */
  readonly assess?: (opts: RunOptions) => Promise<Report>;
  /** @default PHASE_DEFINITIONS */
  readonly definitions?: readonly PhaseDefinition[];
}

async function main(options: MainOptions = {}): Promise<StackOutputs> {
  const stack = pulumi.getStack();
  const all = pulumi.runtime.allConfig();
  const { config } = fromPulumiConfig(all, stack);
  const dryRun = pulumi.runtime.isDryRun();
  const definitions = options.definitions ?? PHASE_DEFINITIONS;

  // Offline when the stack names snapshot files; else live, through the same kube context as the provider.
  // The S3 round trip writes a scratch object, so it runs at `up` only (preview stays read-only).
  const source: FactSource =
    config.snapshotFiles.length > 0
      ? { mode: "offline", files: config.snapshotFiles }
      : {
          mode: "live",
          context: all["kubernetes:context"] || undefined,
          skipS3: dryRun,
          // Asked so that `up` after a `destroy` adopts the kept credentials (stacks/foundation/retained.ts).
          retained: retainedObjects(config),
        };
  pulumi.log.info(`Assessing readiness (${source.mode}${dryRun ? ", preview" : ""}) for stack ${stack}...`);
  if (!dryRun && source.mode === "offline") {
    pulumi.log.warn(
      `lakehouse:snapshotFiles is set: this update trusts a saved snapshot (${config.snapshotFiles.join(", ")}), ` +
        "not the live cluster. Remove the key to assess the cluster itself at `up`.",
    );
  }
  const report = await (options.assess ?? runPreflight)({ config, stack, source });
  pulumi.log.info(`Readiness: ${report.decision}. ${report.summary}`);

  const plan = planPhases(config, report, definitions);
  for (const p of plan) if (p.action === "gate-closed") pulumi.log.warn(closedGateWarning(p, report));

  // At `up`, a verdict other than `ready` fails the update before anything is registered. Quietly registering
  // fewer resources would make the engine DELETE phases that an earlier `up` deployed (drift between the
  // preview someone approved and the cluster now). Preview only warns, so it still shows what changed.
  if (!dryRun && report.decision !== "ready") throw new pulumi.RunError(readinessFailure(report));

  const readiness = new Readiness("readiness", {
    ...readinessState(report),
    deployedPhases: plan.filter((p) => p.action === "deploy").map((p) => p.phase),
    disabledPhases: plan.filter((p) => p.action === "disabled").map((p) => p.phase),
  });

  let deployed = {};
  if (report.decision === "ready") {
    const base = new PlatformBase("lakehouse", { config }, { dependsOn: [readiness] });
    deployed = deployPhases({ config, report, base: base.refs, readiness, plan, definitions });
  }
  return stackOutputs(report, plan, Object.keys(deployed));
}

export = main;
