/**
 * How a phase plugs into the program. The program (index.ts) owns gating and order; a phase only builds its
 * ComponentResources from typed config and the base it is given. Components never probe.
 */
import type * as pulumi from "@pulumi/pulumi";
import type { LakehouseConfig } from "../preflight/config/schema";
import type { Phase, Report } from "../preflight/model";

/** What the platform base (namespace, quota, priority classes, network policy) hands to every phase. */
export interface PlatformBase {
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
  readonly base: PlatformBase;
  /** The previous phase's top-level resources (phase order), plus the base and the Readiness resource. */
  readonly dependsOn: readonly pulumi.Resource[];
}

export interface PhaseDefinition {
  readonly phase: Phase;
  readonly title: string;
  /** Builds the phase's components (type tokens `lakehouse:<phase>:<Name>`) and returns the top-level ones. */
  deploy(ctx: PhaseContext): pulumi.Resource[];
}

/** Labels every platform resource carries (Kubernetes recommended labels + the phase). */
export function platformLabels(phase: Phase | "base", component: string): Record<string, string> {
  return {
    "app.kubernetes.io/part-of": "lakehouse",
    "app.kubernetes.io/managed-by": "pulumi",
    "app.kubernetes.io/component": component,
    "lakehouse.dev/phase": phase,
  };
}
