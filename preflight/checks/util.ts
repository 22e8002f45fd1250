/**
 * Small pure helpers the checks share: reading a kind's collection (turning forbidden/absent/error into the
 * right outcome), conditions, pod requests and node schedulability. No I/O.
 */
import type { Facts, Kind, KubeObject } from "../model";
import { KIND_INFO, KINDS } from "../model";
import { parseBytes, parseCpu } from "../quantity";
import type { CheckOutcome } from "./types";

/** Human names of kinds, for messages. */
const KIND_LABEL: Record<Kind, string> = Object.fromEntries(
  KINDS.map((k) => [k, KIND_INFO[k].itemKind]),
) as Record<Kind, string>;

/** "StorageClass" -> "StorageClasses", "GitRepository" -> "GitRepositories", "NodeMetrics" stays. */
function pluralLabel(label: string): string {
  if (label.endsWith("Metrics")) return label;
  if (label.endsWith("ss")) return `${label}es`;
  if (label.endsWith("y")) return `${label.slice(0, -1)}ies`;
  return `${label}s`;
}

/** What installs each CRD-backed kind, for "CRD not installed" remediations. */
const INSTALLED_BY: Partial<Record<Kind, string>> = {
  cephclusters: "install the Rook-Ceph operator and create a CephCluster",
  cephobjectstores:
    "install the Rook-Ceph operator (its chart installs the CephObjectStore CRD) and create the object store",
  objectbucketclaims: "install the Rook-Ceph operator, which installs the ObjectBucketClaim CRD",
  helmreleases: "install Flux (`flux install` or `flux bootstrap`), which installs the HelmRelease CRD",
  kustomizations: "install Flux (`flux bootstrap`), which installs the Kustomization CRD",
  gitrepositories: "install Flux (`flux bootstrap`), which installs the GitRepository CRD",
  clustersecretstores:
    "install External Secrets Operator (helm chart external-secrets), which installs its CRDs",
};

/** Either the items of a collected kind or the outcome a check returns when it cannot read them. */
type Need = { items: KubeObject[] } | { outcome: CheckOutcome };

/**
 * Items of `kind`, or the outcome for a kind that could not be read: forbidden/error/not-collected ->
 * `unknown` naming what is missing; absent (CRD not installed, API not served) -> `fail`.
 */
export function need(facts: Facts, kind: Kind, expected: string): Need {
  const c = facts.kinds[kind];
  const label = KIND_LABEL[kind];
  const labels = pluralLabel(label);
  if (!c) {
    return {
      outcome: {
        status: "unknown",
        observed: `${labels} were not collected.`,
        expected,
        remediation: `Collect ${kind} (add it to the kubectl command or run live) and rerun the preflight.`,
      },
    };
  }
  switch (c.state) {
    case "ok":
      return { items: c.items };
    case "forbidden":
      return {
        outcome: {
          status: "unknown",
          observed: `The preflight identity may not ${c.verb} ${c.resource} (HTTP 403), so ${labels} could not be read.`,
          expected,
          remediation: `Grant the preflight identity \`${c.verb}\` on \`${c.resource}\` (apply deploy/rbac/preflight-clusterrole.yaml, the read-only preflight ClusterRole, and bind it) and rerun.`,
        },
      };
    case "absent":
      return {
        outcome: {
          status: "fail",
          observed: sentence(c.message || `${label} CRD not installed`),
          expected,
          remediation: sentence(
            INSTALLED_BY[kind] ? capitalise(INSTALLED_BY[kind]!) : `Make the API serve ${kind}, then rerun`,
          ),
        },
      };
    case "error":
      return {
        outcome: {
          status: "unknown",
          observed: `${labels} could not be read: ${stripDot(c.message)}.`,
          expected,
          remediation:
            "Check that the Kubernetes API is reachable and healthy (kubectl get --raw /readyz), then rerun.",
        },
      };
    default:
      return {
        outcome: {
          status: "unknown",
          observed: `${labels} were not collected: ${stripDot(c.message)}.`,
          expected,
          remediation: `Include ${kind} in the input (kubectl get ${kind} -A -o json) or run the preflight live.`,
        },
      };
  }
}

export function stripDot(s: string): string {
  return s.trim().replace(/[.\s]+$/, "");
}
export function sentence(s: string): string {
  const t = stripDot(s);
  return t.length ? `${capitalise(t)}.` : t;
}
export function capitalise(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}

/**
 * Tags each item with its Kind when the list omitted it (the API's list responses do), so messages can say
 * "Kustomization flux-system/apps" in live mode as well as offline.
 */
export function withKind(items: readonly KubeObject[], kind: Kind): KubeObject[] {
  return items.map((o) => (o && !o.kind ? { ...o, kind: KIND_LABEL[kind] } : o));
}

/** `ns/name` of an object. */
export function ref(o: KubeObject): string {
  const ns = o.metadata?.namespace;
  return ns ? `${ns}/${o.metadata?.name ?? "?"}` : (o.metadata?.name ?? "?");
}

/** First few items of a list for a one-line message ("a, b, c and 4 more"). */
export function listSome(xs: readonly string[], max = 3): string {
  if (xs.length <= max) return xs.join(", ");
  return `${xs.slice(0, max).join(", ")} and ${xs.length - max} more`;
}

export function plural(n: number, word: string, pluralWord = `${word}s`): string {
  return `${n} ${n === 1 ? word : pluralWord}`;
}

interface Condition {
  type?: string;
  status?: string;
  reason?: string;
  message?: string;
}

/** The condition of `type` in `status.conditions`, if any. */
export function condition(o: KubeObject, type: string): Condition | undefined {
  const conds = o.status?.conditions;
  if (!Array.isArray(conds)) return undefined;
  return (conds as Condition[]).find((c) => c && c.type === type);
}

/** True when the Ready condition is True (Flux objects, ClusterSecretStores, ...). */
export function isReady(o: KubeObject): boolean {
  return condition(o, "Ready")?.status === "True";
}

/** Why an object is not Ready, in a few words. */
export function notReadyReason(o: KubeObject): string {
  if (o.spec?.suspend === true) return "suspended";
  const c = condition(o, "Ready");
  if (!c) return "no Ready condition yet";
  return `${c.reason ?? `Ready=${c.status}`}${c.message ? `: ${String(c.message).slice(0, 80)}` : ""}`;
}

export function inNamespace(items: readonly KubeObject[], ns: string): KubeObject[] {
  return items.filter((o) => o.metadata?.namespace === ns);
}

export function findNamed(
  items: readonly KubeObject[],
  ns: string | undefined,
  name: string,
): KubeObject | undefined {
  return items.find((o) => o.metadata?.name === name && (ns === undefined || o.metadata?.namespace === ns));
}

// ---------------------------------------------------------------------------------------------------------
// Pods and nodes
// ---------------------------------------------------------------------------------------------------------

export function podPhase(p: KubeObject): string {
  return typeof p.status?.phase === "string" ? p.status.phase : "Unknown";
}

/** Succeeded/Failed pods hold no resources on their node. */
export function isTerminated(p: KubeObject): boolean {
  const phase = podPhase(p);
  return phase === "Succeeded" || phase === "Failed";
}

/** Running with every container ready. */
export function isRunningReady(p: KubeObject): boolean {
  return podPhase(p) === "Running" && condition(p, "Ready")?.status === "True";
}

interface Container {
  resources?: { requests?: Record<string, string | number> };
}

/**
 * Effective requests of a pod as the scheduler counts them: max(sum of containers, largest init container)
 * plus pod overhead.
 */
export function podRequests(p: KubeObject): { cpu: number; memory: number } {
  const spec = p.spec ?? {};
  const sum = (list: unknown) => {
    let cpu = 0;
    let memory = 0;
    for (const c of Array.isArray(list) ? (list as Container[]) : []) {
      cpu += parseCpu(c?.resources?.requests?.cpu) ?? 0;
      memory += parseBytes(c?.resources?.requests?.memory) ?? 0;
    }
    return { cpu, memory };
  };
  const main = sum(spec.containers);
  let initCpu = 0;
  let initMem = 0;
  for (const c of Array.isArray(spec.initContainers) ? (spec.initContainers as Container[]) : []) {
    initCpu = Math.max(initCpu, parseCpu(c?.resources?.requests?.cpu) ?? 0);
    initMem = Math.max(initMem, parseBytes(c?.resources?.requests?.memory) ?? 0);
  }
  const overhead = (spec.overhead ?? {}) as Record<string, string>;
  return {
    cpu: Math.max(main.cpu, initCpu) + (parseCpu(overhead.cpu) ?? 0),
    memory: Math.max(main.memory, initMem) + (parseBytes(overhead.memory) ?? 0),
  };
}

/** Why a node takes no new pods, or undefined when it is schedulable for the platform's pods. */
export function unschedulableReason(n: KubeObject): string | undefined {
  if (n.spec?.unschedulable === true) return "cordoned";
  if (condition(n, "Ready")?.status !== "True") return "NotReady";
  const taints = Array.isArray(n.spec?.taints) ? (n.spec.taints as { key?: string; effect?: string }[]) : [];
  const blocking = taints.find((t) => t.effect === "NoSchedule" || t.effect === "NoExecute");
  if (blocking) return `tainted ${blocking.key}:${blocking.effect}`;
  return undefined;
}

export function nodeAllocatable(n: KubeObject): { cpu: number; memory: number } {
  const a = (n.status?.allocatable ?? {}) as Record<string, string>;
  return { cpu: parseCpu(a.cpu) ?? 0, memory: parseBytes(a.memory) ?? 0 };
}

export function percent(part: number, whole: number): number {
  return whole > 0 ? Math.round((part / whole) * 1000) / 10 : 0;
}
