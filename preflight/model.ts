/**
 * The shared vocabulary of the whole project: facts (what was observed), check results (what was decided
 * about one line of the assessment) and the report (the one thing every face consumes: the CLI, the Pulumi
 * program's Readiness resource, the policy pack and `plan`).
 *
 * Nothing here does I/O. Types only, plus a few tiny pure helpers that every layer needs.
 */

/** The three deployment phases of the assessment, in order. */
export const PHASES = ["foundation", "compute", "analytics"] as const;
export type Phase = (typeof PHASES)[number];

/** Check outcome. `skipped` never counts against the verdict (e.g. a live-only check run offline). */
export type Status = "pass" | "warn" | "fail" | "unknown" | "skipped";
export const STATUSES: readonly Status[] = ["pass", "warn", "fail", "unknown", "skipped"];

export type Severity = "critical" | "high" | "medium" | "low" | "info";

/** Which section of the assessment a check implements. */
export type Category = "trigger" | "prerequisite" | "knowledge" | "state" | "risk";

// ---------------------------------------------------------------------------------------------------------
// Facts: a plain, JSON-serialisable snapshot. Offline and live differ only in how it is filled.
// ---------------------------------------------------------------------------------------------------------

/** A Kubernetes object exactly as `kubectl get -o json` prints it (plain JSON, no client classes). */
export interface KubeObject {
  apiVersion?: string;
  kind?: string;
  metadata?: {
    name?: string;
    namespace?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
    creationTimestamp?: string;
    ownerReferences?: { kind?: string; name?: string }[];
    [k: string]: unknown;
  };
  spec?: Record<string, unknown> & { [k: string]: unknown };
  status?: Record<string, unknown> & { [k: string]: unknown };
  [k: string]: unknown;
}

/**
 * The kinds the assessment reads. The key is the plural resource name used at the API path and by kubectl.
 * `nodemetrics` is `metrics.k8s.io/v1beta1` NodeMetrics.
 */
export const KINDS = [
  "nodes",
  "pods",
  "persistentvolumeclaims",
  "storageclasses",
  "services",
  "deployments",
  "statefulsets",
  "customresourcedefinitions",
  "cephclusters",
  "cephobjectstores",
  "objectbucketclaims",
  "helmreleases",
  "kustomizations",
  "gitrepositories",
  "clustersecretstores",
  "nodemetrics",
] as const;
export type Kind = (typeof KINDS)[number];

/**
 * Where each kind lives in the API, once: the probes' paths, capture's apiVersion stamps, the offline loader's
 * Kind -> key map and CRD names, and the checks' labels are all derived from this table.
 */
interface KindInfo {
  /** API group; "" for the core group. */
  group: string;
  /** Served versions, preferred first. */
  versions: readonly string[];
  /** The `kind` of one item, e.g. "CephObjectStore". */
  itemKind: string;
  /** Served by a CustomResourceDefinition (installed by an operator, may be absent). */
  crd: boolean;
  /** Resource name in the URL path, when it differs from the key (NodeMetrics are served at `.../nodes`). */
  plural?: string;
}

export const KIND_INFO: Readonly<Record<Kind, KindInfo>> = {
  nodes: { group: "", versions: ["v1"], itemKind: "Node", crd: false },
  pods: { group: "", versions: ["v1"], itemKind: "Pod", crd: false },
  persistentvolumeclaims: { group: "", versions: ["v1"], itemKind: "PersistentVolumeClaim", crd: false },
  storageclasses: { group: "storage.k8s.io", versions: ["v1"], itemKind: "StorageClass", crd: false },
  services: { group: "", versions: ["v1"], itemKind: "Service", crd: false },
  deployments: { group: "apps", versions: ["v1"], itemKind: "Deployment", crd: false },
  statefulsets: { group: "apps", versions: ["v1"], itemKind: "StatefulSet", crd: false },
  customresourcedefinitions: {
    group: "apiextensions.k8s.io",
    versions: ["v1"],
    itemKind: "CustomResourceDefinition",
    crd: false,
  },
  cephclusters: { group: "ceph.rook.io", versions: ["v1"], itemKind: "CephCluster", crd: true },
  cephobjectstores: { group: "ceph.rook.io", versions: ["v1"], itemKind: "CephObjectStore", crd: true },
  objectbucketclaims: {
    group: "objectbucket.io",
    versions: ["v1alpha1"],
    itemKind: "ObjectBucketClaim",
    crd: true,
  },
  helmreleases: { group: "helm.toolkit.fluxcd.io", versions: ["v2"], itemKind: "HelmRelease", crd: true },
  kustomizations: {
    group: "kustomize.toolkit.fluxcd.io",
    versions: ["v1"],
    itemKind: "Kustomization",
    crd: true,
  },
  gitrepositories: {
    group: "source.toolkit.fluxcd.io",
    versions: ["v1"],
    itemKind: "GitRepository",
    crd: true,
  },
  // External Secrets serves v1 since 0.16 and dropped v1beta1 later; older installs serve only v1beta1.
  clustersecretstores: {
    group: "external-secrets.io",
    versions: ["v1", "v1beta1"],
    itemKind: "ClusterSecretStore",
    crd: true,
  },
  nodemetrics: {
    group: "metrics.k8s.io",
    versions: ["v1beta1"],
    itemKind: "NodeMetrics",
    crd: false,
    plural: "nodes",
  },
};

/** The apiVersion of a kind's preferred version, e.g. "ceph.rook.io/v1" or "v1". */
export function apiVersionOf(kind: Kind): string {
  const { group, versions } = KIND_INFO[kind];
  return group ? `${group}/${versions[0]}` : versions[0];
}

/**
 * How the collection of one kind went.
 * - `ok`: items were read (possibly none).
 * - `forbidden`: the identity may not `verb` `resource` (HTTP 403); checks that need it are `unknown`.
 * - `absent`: the API does not serve this kind (CRD not installed, metrics-server missing: HTTP 404).
 * - `error`: anything else (HTTP 5xx, timeout, connection refused); checks that need it are `unknown`.
 * - `not-collected`: offline input did not contain this kind and we cannot tell whether it exists.
 */
export type Collection =
  | { state: "ok"; items: KubeObject[] }
  | { state: "forbidden"; verb: string; resource: string; message: string }
  | { state: "absent"; message: string }
  | { state: "error"; message: string }
  | { state: "not-collected"; message: string };

/** What the live S3 probe saw. The probe observes; `state.s3-api` decides. Keys never appear here. */
export type S3Observation =
  | { state: "skipped"; reason: string }
  | { state: "unconfigured"; reason: string }
  | {
      state: "done";
      endpoint: string;
      /** How the endpoint/credentials were found, e.g. "config", "env", "CephObjectStore storage/storage + Secret x". */
      discoveredFrom: string;
      steps: S3Step[];
    };

export interface S3Step {
  name: "list-buckets" | "create-bucket" | "put-object" | "get-object" | "delete-object" | "cleanup";
  ok: boolean;
  ms: number;
  detail: string;
}

/**
 * What the storage-bandwidth probe saw (behind `risk.storage-bandwidth`): one generated object written by
 * multipart upload, then read back with parallel ranged GETs, from the host the preflight runs on. The probe
 * observes; the check compares the read rate with what the analytics target needs. Keys never appear here.
 */
export type BandwidthObservation =
  | { state: "skipped"; reason: string }
  /** Live, but nothing was measured: no endpoint or keys, or the S3 round trip (`state.s3-api`) failed. */
  | { state: "not-measured"; reason: string }
  | {
      state: "done";
      endpoint: string;
      discoveredFrom: string;
      bucket: string;
      /** Key of the probe object (removed again; named so a leftover can be found). */
      key: string;
      objectBytes: number;
      /** Multipart part size, and the size of each ranged GET. */
      partBytes: number;
      /** Parts uploaded, and ranges read, at once. */
      parallelism: number;
      /** The measurement's deadline (write + read); cleanup has its own budget after it. */
      boundMs: number;
      /** Write phase: bytes acknowledged by the store so far, its wall time, whether it completed. */
      write: BandwidthPhase;
      /** Read phase; absent when the write did not complete. */
      read?: BandwidthPhase & {
        /** Time to first byte of each ranged GET (request sent to response headers), ms. */
        ttfbMedianMs: number | null;
        ttfbP95Ms: number | null;
        requests: number;
      };
      /** The step that failed or ran out of time; absent when both phases completed. */
      failure?: { step: "bucket" | "write" | "read"; timedOut: boolean; detail: string };
      /** Whether the probe object (and a scratch bucket the probe created) were removed. */
      cleanup: { ok: boolean; detail: string };
      /** Wall time of the whole probe, cleanup included. */
      wallMs: number;
    };

export interface BandwidthPhase {
  bytes: number;
  ms: number;
  complete: boolean;
}

export interface Facts {
  mode: "live" | "offline";
  /** ISO-8601 time the facts were collected (offline: when the loader ran, or `capturedAt` of a capture file). */
  collectedAt: string;
  /** Where they came from: kube context name, or the offline file names. */
  origin: string;
  kinds: Record<Kind, Collection>;
  s3: S3Observation;
  /** The object store's write/read rate from where the preflight runs (live only; `skipped` offline). */
  storageBandwidth: BandwidthObservation;
  /** Live only: what an earlier deploy left behind on purpose (see {@link RetainedObjects}). */
  retained?: RetainedObjects;
}

/** Whether one object exists, read as metadata only (its data never leaves the API server). */
export type Presence =
  { state: "present"; uid: string } | { state: "absent" } | { state: "unknown"; reason: string };

/**
 * Objects a `pulumi destroy` keeps on purpose (retainOnDelete) that a following `up` must adopt instead of
 * creating anew. Today: the generated database credentials Secret, which holds the only password the retained
 * database volume opens with (docs/program.md, "destroy").
 */
export interface RetainedObjects {
  /** `<namespace>/<name>` of the Secret and whether it exists; absent with `dbCredentials: external-secrets`. */
  databaseCredentials?: { id: string; presence: Presence };
}

// ---------------------------------------------------------------------------------------------------------
// Check results and the report
// ---------------------------------------------------------------------------------------------------------

export interface CheckResult {
  /** Stable id, e.g. `prereq.cluster-capacity`. A contract: never rename. */
  id: string;
  title: string;
  category: Category;
  status: Status;
  severity: Severity;
  /** True when a `fail` or `unknown` blocks the verdict (fail closed). */
  critical: boolean;
  /** Triggers only: whether the trigger condition is met (null when it could not be determined). */
  met?: boolean | null;
  /** What was seen, in one line a human can read. */
  observed: string;
  /** What the assessment expects, in one line. */
  expected: string;
  /** One sentence an operator can act on; empty when status is pass. */
  remediation: string;
  /** Phases whose gate this check closes when it is `fail` (or `unknown` when critical). */
  gates: Phase[];
  /** Optional structured detail (numbers, per-node placement). Never contains secrets. */
  data?: Record<string, unknown>;
}

export type Decision = "ready" | "blocked" | "not-needed";

export interface Gate {
  phase: Phase;
  open: boolean;
  /** Ids of the checks that close it (empty when open). */
  blockedBy: string[];
  /** One-line reason, e.g. "closed: prereq.airflow failed". */
  reason: string;
}

export interface DecisionMatrixRow {
  condition: string;
  /** "yes" | "no" | "unknown" */
  met: "yes" | "no" | "unknown";
  priority: "Critical" | "High" | "Medium" | "Low";
  action: string;
  checks: string[];
}

/** Cluster capacity as measured for `prereq.cluster-capacity` (cores and bytes). The capacity-budget policy reads it. */
export interface CapacitySummary {
  /** Schedulable nodes counted. */
  nodes: number;
  allocatableCpu: number;
  allocatableMemory: number;
  /** Sum of requests of non-terminated pods on those nodes. */
  requestedCpu: number;
  requestedMemory: number;
  freeCpu: number;
  freeMemory: number;
  /** From metrics.k8s.io; null when metrics were unavailable. */
  usedCpu: number | null;
  usedMemory: number | null;
  maxUtilizationPercent: number;
}

export interface Report {
  schemaVersion: 1;
  generatedAt: string;
  mode: "live" | "offline";
  origin: string;
  stack: string | null;
  decision: Decision;
  /** One sentence summary of the decision. */
  summary: string;
  triggersMet: string[];
  /** Ids of critical checks that are `fail` or `unknown`. */
  blocking: string[];
  /** Ids of checks that are `warn` (or a non-critical `fail`/`unknown`). */
  warnings: string[];
  checks: CheckResult[];
  gates: Record<Phase, Gate>;
  decisionMatrix: DecisionMatrixRow[];
  /** Null when nodes could not be read. */
  capacity: CapacitySummary | null;
  /** Live only: retained objects of an earlier deploy, which `up` adopts (Facts.retained). */
  retained?: RetainedObjects;
}

/** Exit codes shared by every CLI (preflight, verify). A contract. */
export const EXIT = {
  ready: 0,
  unexpected: 1,
  invalidInput: 2,
  blocked: 3,
  notNeeded: 4,
  mandatoryViolation: 5,
} as const;

/**
 * An error caused by the user's input (a file, a flag, a config key). Renders as one clear message and
 * exit code 2; never a stack trace.
 */
export class InputError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "InputError";
  }
}
