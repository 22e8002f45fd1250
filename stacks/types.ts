/**
 * How a phase plugs into the program. The program (index.ts) owns gating and order; a phase only builds its
 * ComponentResources from typed config and the base it is given. Components never probe.
 */
import type * as pulumi from "@pulumi/pulumi";
import type { LakehouseConfig } from "../preflight/config/schema";
import type { Phase, Report } from "../preflight/model";

/** What the platform base (namespace, quota, priority classes, network policy) hands to every phase. */
export interface PlatformBaseRefs {
  /** The platform namespace name (known at plan time). */
  readonly namespace: string;
  readonly priorityClassCritical: string;
  readonly priorityClassBatch: string;
  /** Base resources a phase must come after (namespace, quota, limit range, priority classes). */
  readonly resources: readonly pulumi.Resource[];
  /** Kubernetes provider for every resource, when not the default one. */
  readonly provider?: pulumi.ProviderResource;
}

export interface PhaseContext {
  readonly config: LakehouseConfig;
  readonly report: Report;
  readonly base: PlatformBaseRefs;
  /** The previous phase's top-level resources (phase order), plus the base and the Readiness resource. */
  readonly dependsOn: readonly pulumi.Resource[];
}

/** What a phase's `deploy` hands back to the registry. */
interface PhaseDeployment {
  /** The phase's top-level components (what the next phase comes after). */
  readonly resources: pulumi.Resource[];
  /**
   * Outputs that resolve only once the phase really runs (a Deployment's status, a Job's completion, a
   * HelmRelease's Ready wait): the registry's post-deploy verification waits for all of them. URNs are not
   * enough (they resolve early). @default [] (the verification then waits for `resources` only)
   */
  readonly ready?: readonly pulumi.Input<unknown>[];
}

export interface PhaseDefinition {
  readonly phase: Phase;
  readonly title: string;
  /**
   * Builds the phase's components (type tokens `lakehouse:<phase>:<Name>`) and returns the top-level ones with
   * the outputs that say the phase is ready. Shared machinery (the post-deploy
   * Verification) is attached by the wiring layer (program/registry.ts), never by the phase.
   */
  deploy(ctx: PhaseContext): PhaseDeployment;
}
