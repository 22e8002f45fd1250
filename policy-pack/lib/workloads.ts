/**
 * Where the containers of a planned resource are: Kubernetes workloads (their pod template), Helm release
 * values (chart-specific component blocks, or any `resources` block found) and SparkApplications (driver and
 * executor). Pure readers shared by container-resources, pinned-images, priority-class, probes, non-root and
 * capacity-budget.
 */
import { parse as parseYaml } from "yaml";
import {
  asArray,
  asObj,
  isFluxHelmRelease,
  isHelmRelease,
  isKube,
  isObj,
  kindOf,
  str,
  type Obj,
} from "./resources";

/** Kinds whose pods run until stopped (probes, PDBs apply); Jobs and CronJobs run to completion. */
const LONG_RUNNING_KINDS = ["Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Pod"];
const WORKLOAD_KINDS = [...LONG_RUNNING_KINDS, "Job", "CronJob"];

interface PodTemplate {
  /** Where the pod spec sits in the resource's inputs, for messages (e.g. `spec.template.spec`). */
  path: string;
  spec: Obj;
  /** Pod template labels. */
  labels: Record<string, string>;
  /** Pods of this template that run at once (replicas, parallelism; a DaemonSet counts `nodes`). */
  replicas: number;
  longRunning: boolean;
}

export interface Container {
  /** `containers` or `initContainers`. */
  list: "containers" | "initContainers";
  name: string;
  c: Obj;
}

export function isWorkload(type: string): boolean {
  return isKube(type, ...WORKLOAD_KINDS);
}

export function isSparkApplication(type: string): boolean {
  return /^kubernetes:sparkoperator\.k8s\.io\/[^:]+:(Scheduled)?SparkApplication$/.test(type);
}

function num(v: unknown, fallback: number): number {
  return typeof v === "number" && Number.isFinite(v) && v >= 0 ? v : fallback;
}

function labelsAt(meta: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(asObj(asObj(meta).labels))) if (typeof v === "string") out[k] = v;
  return out;
}

/** The pod template of a Kubernetes workload; empty for other types. `nodes` sizes DaemonSets. */
export function podTemplates(type: string, props: Obj, nodes = 1): PodTemplate[] {
  if (!isWorkload(type)) return [];
  const kind = kindOf(type);
  const spec = asObj(props.spec);
  if (kind === "Pod") {
    return [{ path: "spec", spec, labels: labelsAt(props.metadata), replicas: 1, longRunning: true }];
  }
  if (kind === "CronJob") {
    const job = asObj(asObj(spec.jobTemplate).spec);
    const t = asObj(job.template);
    return [
      {
        path: "spec.jobTemplate.spec.template.spec",
        spec: asObj(t.spec),
        labels: labelsAt(t.metadata),
        replicas: num(job.parallelism, 1),
        longRunning: false,
      },
    ];
  }
  const t = asObj(spec.template);
  const replicas =
    kind === "DaemonSet" ? nodes : kind === "Job" ? num(spec.parallelism, 1) : num(spec.replicas, 1);
  return [
    {
      path: "spec.template.spec",
      spec: asObj(t.spec),
      labels: labelsAt(t.metadata),
      replicas,
      longRunning: kind !== "Job",
    },
  ];
}

export function containersOf(podSpec: Obj): Container[] {
  const out: Container[] = [];
  for (const list of ["initContainers", "containers"] as const) {
    asArray(podSpec[list]).forEach((c, i) => {
      if (isObj(c)) out.push({ list, name: str(c.name) ?? `#${i + 1}`, c });
    });
  }
  return out;
}

// ------------------------------------------------------------------------------------------------------------
// Helm releases
// ------------------------------------------------------------------------------------------------------------

/** One pod-bearing component of a chart: where its values live, and where its replica count is. */
export interface HelmComponent {
  /** Dotted path to the component's block in the values, e.g. `worker`; "" = the top level. */
  path: string;
  /** Dotted path to its replica count, when the chart has one. */
  replicas?: string;
  /** Replicas when the count is not set in the values (the chart's default). */
  defaultReplicas?: number;
}

/**
 * The charts the platform installs, by chart name. The Trino chart (trinodb/charts) keeps per-role blocks under
 * `coordinator` and `worker` with the worker count at `server.workers` (default 2); the Spark Operator chart
 * (kubeflow) under `controller` and `webhook`. Other charts are judged generically.
 */
const KNOWN_CHARTS: Record<string, HelmComponent[]> = {
  trino: [
    { path: "coordinator", defaultReplicas: 1 },
    { path: "worker", replicas: "server.workers", defaultReplicas: 2 },
  ],
  "spark-operator": [
    { path: "controller", replicas: "controller.replicas", defaultReplicas: 1 },
    { path: "webhook", replicas: "webhook.replicas", defaultReplicas: 1 },
  ],
};

/** The chart reference of a release: Pulumi's `chart`/`version`, or a Flux HelmRelease's `spec.chart.spec`. */
export function helmChart(props: Obj): { chart?: string; version?: string; versionPath: string } {
  const flux = asObj(asObj(asObj(props.spec).chart).spec);
  if (str(flux.chart) !== undefined || (isObj(asObj(props.spec).chart) && !str(props.chart))) {
    const v = flux.version;
    return {
      chart: str(flux.chart),
      version: typeof v === "string" ? v : typeof v === "number" ? String(v) : undefined,
      versionPath: "spec.chart.spec.version",
    };
  }
  const v = props.version;
  return {
    chart: str(props.chart),
    version: typeof v === "string" ? v : typeof v === "number" ? String(v) : undefined,
    versionPath: "version",
  };
}

/** `oci://ghcr.io/x/trino`, `trino/trino`, `trino` -> `trino`. */
export function chartName(props: Obj): string | undefined {
  const chart = helmChart(props).chart;
  if (!chart) return undefined;
  const base = chart.replace(/\/+$/, "").split("/").pop() ?? chart;
  return base.replace(/-\d+\.\d+\.\d+.*\.tgz$/, "");
}

/** A release's values: `values` (helm.sh Release) or `spec.values` (Flux HelmRelease). */
export function helmValues(type: string, props: Obj): Obj | undefined {
  if (!isHelmRelease(type)) return undefined;
  return isFluxHelmRelease(type) ? asObj(asObj(props.spec).values) : asObj(props.values);
}

export function getPath(o: unknown, path: string): unknown {
  if (path === "") return o;
  let cur: unknown = o;
  for (const k of path.split(".")) {
    if (!isObj(cur)) return undefined;
    cur = cur[k];
  }
  return cur;
}

/** Every (path, value) pair under `o`, depth first; arrays index as `[i]`. */
export function walk(
  o: unknown,
  visit: (path: string, key: string, value: unknown) => void,
  prefix = "",
): void {
  if (Array.isArray(o)) {
    o.forEach((v, i) => {
      const p = `${prefix}[${i}]`;
      visit(p, String(i), v);
      walk(v, visit, p);
    });
  } else if (isObj(o)) {
    for (const [k, v] of Object.entries(o)) {
      const p = prefix ? `${prefix}.${k}` : k;
      visit(p, k, v);
      walk(v, visit, p);
    }
  }
}

/** A `resources:` block in Helm values: an object with `requests`/`limits`, or an empty object. */
function isResourcesBlock(key: string, v: unknown): v is Obj {
  if (key !== "resources" || !isObj(v)) return false;
  const keys = Object.keys(v);
  return keys.length === 0 || keys.some((k) => k === "requests" || k === "limits" || k === "claims");
}

interface HelmResources {
  path: string;
  block: Obj;
  replicas: number;
}

/** The components of a release's chart (known charts), else undefined. Config may override the table. */
export function helmComponents(
  props: Obj,
  overrides: Record<string, HelmComponent[]> = {},
): HelmComponent[] | undefined {
  const name = chartName(props);
  if (!name) return undefined;
  return overrides[name] ?? KNOWN_CHARTS[name];
}

/** The replica count that applies to a values path (the enclosing known component's, else a sibling `replicas`/`replicaCount`). */
function helmReplicasFor(values: Obj, path: string, components: HelmComponent[] | undefined): number {
  const comp = (components ?? [])
    .filter((c) => c.path === "" || path === c.path || path.startsWith(`${c.path}.`))
    .sort((a, b) => b.path.length - a.path.length)[0];
  if (comp) {
    const v = comp.replicas ? getPath(values, comp.replicas) : undefined;
    return num(v, comp.defaultReplicas ?? 1);
  }
  const parent = path.includes(".") ? path.slice(0, path.lastIndexOf(".")) : "";
  const p = asObj(getPath(values, parent));
  return num(p.replicas ?? p.replicaCount, 1);
}

/**
 * False when the values switch the block at `path` (or any block above it) off with `enabled: false` /
 * `enable: false`, as charts do for optional parts (the Spark Operator webhook, Trino's JMX exporter).
 */
export function helmEnabled(values: Obj, path: string): boolean {
  let cur: unknown = values;
  for (const k of path === "" ? [] : path.split(".")) {
    if (!isObj(cur)) return true;
    if (cur.enabled === false || cur.enable === false) return false;
    cur = cur[k];
  }
  return !(isObj(cur) && (cur.enabled === false || cur.enable === false));
}

/** Every `resources` block in a release's values that is switched on, with the replicas each applies to. */
export function helmResourceBlocks(values: Obj, components?: HelmComponent[]): HelmResources[] {
  const out: HelmResources[] = [];
  walk(values, (path, key, v) => {
    if (!isResourcesBlock(key, v)) return;
    const parent = path.includes(".") ? path.slice(0, path.lastIndexOf(".")) : "";
    if (!/\[\d+\]/.test(parent) && !helmEnabled(values, parent)) return;
    out.push({ path, block: v, replicas: helmReplicasFor(values, path, components) });
  });
  return out;
}

// ------------------------------------------------------------------------------------------------------------
// SparkApplications
// ------------------------------------------------------------------------------------------------------------

interface SparkRole {
  role: "driver" | "executor";
  path: string;
  spec: Obj;
  /** Driver 1, executors `instances` (default 1). */
  instances: number;
}

/** The driver and executor specs of a SparkApplication (or a ScheduledSparkApplication's template). */
export function sparkRoles(type: string, props: Obj): SparkRole[] {
  if (!isSparkApplication(type)) return [];
  const scheduled = kindOf(type) === "ScheduledSparkApplication";
  const spec = scheduled ? asObj(asObj(props.spec).template) : asObj(props.spec);
  const base = scheduled ? "spec.template" : "spec";
  const driver = asObj(spec.driver);
  const executor = asObj(spec.executor);
  return [
    { role: "driver", path: `${base}.driver`, spec: driver, instances: 1 },
    { role: "executor", path: `${base}.executor`, spec: executor, instances: num(executor.instances, 1) },
  ];
}

/** The SparkApplication spec (the template's for a ScheduledSparkApplication). */
export function sparkSpec(type: string, props: Obj): Obj {
  return kindOf(type) === "ScheduledSparkApplication" ? asObj(asObj(props.spec).template) : asObj(props.spec);
}

/** Spark's JVM-style memory ("512m", "2g", "1024") in bytes; binary units as Spark reads them. */
export function parseSparkMemory(v: unknown): number | undefined {
  if (typeof v === "number") return v * 2 ** 20;
  if (typeof v !== "string") return undefined;
  const m = /^\s*(\d+(?:\.\d+)?)\s*([kmgtp]?)b?\s*$/i.exec(v);
  if (!m) return undefined;
  const unit = m[2].toLowerCase();
  const pow = { "": 2, k: 1, m: 2, g: 3, t: 4, p: 5 }[unit] as number;
  // A bare number is MiB, as in spark.driver.memory.
  return Number(m[1]) * 1024 ** pow;
}

/** Data keys of a ConfigMap that hold a SparkApplication manifest to be submitted (the DAG's, the DAG submission contract). */
export const SPARK_MANIFEST_SUFFIX = ".spark-application.yaml";

/** A SparkApplication the plan will run: a resource itself, or a manifest a ConfigMap carries for a scheduler. */
interface PlannedSparkApp {
  /** The SparkApplication's type token. */
  type: string;
  props: Obj;
  /** For a manifest in a ConfigMap: its data key (messages name it). */
  key?: string;
}

/**
 * The SparkApplications of a resource: itself when it is one, else every `*.spark-application.yaml` manifest in
 * a ConfigMap's data (an unparsable one is skipped: the DAG test proves the file parses). Pure.
 */
export function sparkApps(type: string, props: Obj): PlannedSparkApp[] {
  if (isSparkApplication(type)) return [{ type, props }];
  if (!isKube(type, "ConfigMap")) return [];
  const out: PlannedSparkApp[] = [];
  for (const [key, v] of Object.entries(asObj(props.data))) {
    if (!key.endsWith(SPARK_MANIFEST_SUFFIX) || typeof v !== "string") continue;
    let doc: unknown;
    try {
      doc = parseYaml(v);
    } catch {
      continue;
    }
    const d = asObj(doc);
    const kind = str(d.kind);
    const api = str(d.apiVersion);
    if (!api || (kind !== "SparkApplication" && kind !== "ScheduledSparkApplication")) continue;
    out.push({ type: `kubernetes:${api}:${kind}`, props: d, key });
  }
  return out;
}
