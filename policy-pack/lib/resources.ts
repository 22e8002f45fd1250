/**
 * What the policies need to know about any resource: its kind and display name, whether it belongs to the
 * platform, and which phase it is part of. Pure; works on the shapes CrossGuard hands to policies.
 */
import { PHASES, type Phase } from "../../preflight/model";

/** The phases in deployment order, with the platform base first. */
export const PHASE_ORDER = ["base", ...PHASES] as const;
export type PhaseOrBase = (typeof PHASE_ORDER)[number];

/** Label a platform resource carries to say which phase it belongs to (see stacks/types.ts platformLabels). */
const PHASE_LABEL = "lakehouse.dev/phase";
const PART_OF_LABEL = "app.kubernetes.io/part-of";

/** The minimal view of a resource the helpers read. */
interface ResourceView {
  type: string;
  name: string;
  urn: string;
  props: Record<string, unknown>;
}

export type Obj = Record<string, unknown>;

export function isObj(v: unknown): v is Obj {
  return !!v && typeof v === "object" && !Array.isArray(v);
}

export function asObj(v: unknown): Obj {
  return isObj(v) ? v : {};
}

export function asArray(v: unknown): unknown[] {
  return Array.isArray(v) ? v : [];
}

export function str(v: unknown): string | undefined {
  return typeof v === "string" && v !== "" ? v : undefined;
}

/** `kubernetes:apps/v1:Deployment` -> `Deployment`; `lakehouse:foundation:HiveMetastore` -> `HiveMetastore`. */
export function kindOf(type: string): string {
  const i = type.lastIndexOf(":");
  return i >= 0 ? type.slice(i + 1) : type;
}

/** The Kubernetes API group/version of a `kubernetes:` type token, e.g. `apps/v1`; undefined otherwise. */
function apiOf(type: string): string | undefined {
  const m = /^kubernetes:([^:]+):[^:]+$/.exec(type);
  return m ? m[1] : undefined;
}

/** True for `kubernetes:<any group/version>:<kind>` with one of the kinds. */
export function isKube(type: string, ...kinds: string[]): boolean {
  return apiOf(type) !== undefined && kinds.includes(kindOf(type));
}

/** The name a message shows: `metadata.name` (or a Helm release's `name`) when set, else the logical name. */
export function displayName(r: Pick<ResourceView, "type" | "name" | "props">): string {
  const meta = asObj(r.props.metadata);
  return str(meta.name) ?? (isHelmRelease(r.type) ? str(r.props.name) : undefined) ?? r.name;
}

/** The namespace of a namespaced Kubernetes resource (a Helm release's `namespace`), when known. */
export function namespaceOf(r: Pick<ResourceView, "type" | "props">): string | undefined {
  // A Flux HelmRelease installs its chart into spec.targetNamespace when set.
  if (isFluxHelmRelease(r.type)) {
    return str(asObj(r.props.spec).targetNamespace) ?? str(asObj(r.props.metadata).namespace);
  }
  return (
    str(asObj(r.props.metadata).namespace) ?? (isHelmRelease(r.type) ? str(r.props.namespace) : undefined)
  );
}

function labelsOf(props: Obj): Record<string, string> {
  const labels = asObj(asObj(props.metadata).labels);
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(labels)) if (typeof v === "string") out[k] = v;
  return out;
}

/** A Flux HelmRelease (helm.toolkit.fluxcd.io, stacks/platform/fluxHelmRelease.ts). */
export function isFluxHelmRelease(type: string): boolean {
  return /^kubernetes:helm\.toolkit\.fluxcd\.io\/v2[a-z0-9]*:HelmRelease$/.test(type);
}

/** A Helm release of either kind: Pulumi's `helm.sh/v3:Release` or a Flux HelmRelease. */
export function isHelmRelease(type: string): boolean {
  return /^kubernetes:helm\.sh\/v\d+:Release$/.test(type) || isFluxHelmRelease(type);
}

/** The type chain of a URN: `urn:pulumi:s::p::a$b$c::name` -> `[a, b, c]` (ancestors first, own type last). */
function typeChain(urn: string): string[] {
  const parts = urn.split("::");
  if (parts.length < 4) return [];
  return parts[2].split("$");
}

/** True when a resource is part of the platform: under a `lakehouse:*` component, or labelled part-of lakehouse. */
export function isPlatform(r: Pick<ResourceView, "urn" | "props" | "type">): boolean {
  if (r.type.startsWith("lakehouse:")) return true;
  if (typeChain(r.urn).some((t) => t.startsWith("lakehouse:"))) return true;
  return labelsOf(r.props)[PART_OF_LABEL] === "lakehouse";
}

/**
 * The phase of a resource: from the nearest `lakehouse:<phase>:` type in its URN (itself or an ancestor
 * component), else from its `lakehouse.dev/phase` label. Undefined when neither names a known phase.
 */
export function phaseOf(r: Pick<ResourceView, "urn" | "props" | "type">): PhaseOrBase | undefined {
  const chain = [...typeChain(r.urn), r.type].reverse();
  for (const t of chain) {
    const m = /^lakehouse:([^:]+):/.exec(t);
    if (m && (PHASE_ORDER as readonly string[]).includes(m[1])) return m[1] as PhaseOrBase;
  }
  const label = labelsOf(r.props)[PHASE_LABEL];
  if (label && (PHASE_ORDER as readonly string[]).includes(label)) return label as PhaseOrBase;
  return undefined;
}

/** The phase before `p` (the base comes before foundation); undefined for the base. */
export function previousPhase(p: PhaseOrBase): PhaseOrBase | undefined {
  const i = PHASE_ORDER.indexOf(p);
  return i > 0 ? PHASE_ORDER[i - 1] : undefined;
}

export function isPhase(p: PhaseOrBase | undefined): p is Phase {
  return p !== undefined && p !== "base";
}

/**
 * Reads a property without throwing when CrossGuard marks it unknown during preview: its proxy throws on
 * unknown values, and a stack policy should judge what it can see instead of giving up on the whole stack.
 */
export function safe<T>(read: () => T, fallback: T): T {
  try {
    return read();
  } catch (e) {
    if (e instanceof Error && e.constructor.name === "UnknownValueError") return fallback;
    throw e;
  }
}

/**
 * Marks a PolicyResource whose dependencies are not known (set by `evaluatePolicies` when a PlannedResource has
 * no `dependencies`: Pulumi's mock runtime does not report them). CrossGuard always knows them.
 */
export const DEPENDENCIES_UNKNOWN = Symbol.for("lakehouse.policy.dependenciesUnknown");

export function dependenciesUnknown(r: object): boolean {
  return (r as { [DEPENDENCIES_UNKNOWN]?: boolean })[DEPENDENCIES_UNKNOWN] === true;
}
