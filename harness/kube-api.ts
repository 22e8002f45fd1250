/**
 * A Kubernetes API stand-in for tests and the benchmark: a local HTTP server on 127.0.0.1 (port 0) that serves
 * recorded objects (kubectl JSON) at the real API paths, so the real `@kubernetes/client-node` can talk to it.
 *
 * No kube-apiserver, kind, k3s or Docker can be had on the machines this project is tested on (see
 * ../shared/notes/facts.md), so this is the closest we get. It implements the parts of the API the project uses:
 *
 * - lists (cluster-wide, all namespaces, one namespace) with `limit` + `continue` paging and `metadata.continue`,
 *   `labelSelector` (equality only) and `fieldSelector` on `metadata.name` / `metadata.namespace`;
 * - single-object GETs (`/api/v1/namespaces/{ns}/secrets/{name}`), POST to a collection, DELETE by name;
 * - discovery (`/api`, `/apis`, `/api/v1`, `/apis/{group}/{version}`, `/version`);
 * - faults per path prefix or resource: 403 (with a real-looking Status naming verb and resource), 404, 500, a
 *   delay, or a hang; a latency applied to every request;
 * - a log of every request (method, path, query, verb, resource, times) for assertions.
 *
 * A resource is served when it is built in (core, apps, batch, storage, apiextensions), when a CRD for it is among
 * the objects, when any object of it exists, or when it is listed in `served`; anything else is a 404, exactly as
 * an API server without the CRD (or without metrics-server) answers.
 */
import * as fs from "fs";
import * as http from "http";
import * as net from "net";
import * as path from "path";
import { KubeConfig } from "@kubernetes/client-node";
import { parseAllDocuments } from "yaml";
import type { KubeObject } from "../preflight/model";

/** A fault injected for matching requests. Numbers are HTTP status codes answered with a Status body. */
export type KubeApiFault = 403 | 404 | 410 | 500 | 503 | { delayMs: number } | "hang";

/** One request the stand-in received. */
export interface RecordedRequest {
  method: string;
  /** Path without the query string, e.g. `/apis/ceph.rook.io/v1/cephobjectstores`. */
  path: string;
  /** Query parameters (last value wins). */
  query: Record<string, string>;
  /** RBAC verb this request needs: `list`, `get`, `create`, `delete`, ... or `discovery`. */
  verb: string;
  /** RBAC resource: `plural` for the core group, else `plural.group` (e.g. `cephobjectstores.ceph.rook.io`). */
  resource?: string;
  /** API group ("" for core) and plural, when the path names a resource. */
  group?: string;
  plural?: string;
  namespace?: string;
  name?: string;
  /** The `Accept` header, when sent (`...;as=PartialObjectMetadata;...` asks for metadata only). */
  accept?: string;
  /** Milliseconds since the stand-in started, when the request arrived. */
  time: number;
  /** Milliseconds since the stand-in started, when the response was finished (undefined while pending/hung). */
  doneTime?: number;
  /** Status code answered (undefined while pending/hung). */
  status?: number;
}

/** Options of {@link startKubeApi}. */
export interface KubeApiOptions {
  /** Objects to serve, as kubectl prints them. `List`s are flattened. @default [] */
  objects?: readonly KubeObject[];
  /** Delay before every response, in ms (network + apiserver latency). @default 0 */
  latencyMs?: number;
  /**
   * Faults keyed by a path prefix (`/apis/metrics.k8s.io`), a resource (`cephobjectstores`), or a resource with
   * its group (`cephobjectstores.ceph.rook.io`). A path-prefix key must start with `/`. @default {}
   */
  faults?: Record<string, KubeApiFault>;
  /** Extra `group/version/plural` resources to serve even without objects or a CRD (`metrics.k8s.io/v1beta1/nodes`). */
  served?: readonly string[];
  /**
   * Handler tried before the built-in routes (after latency and faults). Return true when it answered.
   * `body` is the request body (empty for GET).
   */
  extraRoutes?: (
    req: http.IncomingMessage,
    res: http.ServerResponse,
    body: string,
  ) => boolean | Promise<boolean>;
  /** Identity named in 403 messages. @default "system:serviceaccount:lakehouse:preflight" */
  user?: string;
  /**
   * RBAC stand-in: called for every request that names a resource (verb, group, resource, namespace, name are
   * set on the record); returning false answers 403, as an apiserver whose identity lacks that permission.
   * @default every request is allowed
   */
  authorize?: (req: RecordedRequest) => boolean;
}

/** A running stand-in. */
export interface KubeApi {
  /** Base URL, e.g. `http://127.0.0.1:41234`. */
  readonly url: string;
  /** Every request received, in arrival order. Clear with `requests.length = 0`. */
  readonly requests: RecordedRequest[];
  /** A client-node KubeConfig pointing at the stand-in (plain HTTP, a dummy bearer token). */
  kubeConfig(): KubeConfig;
  /** Writes a kubeconfig file (context `stand-in`) into `dir` and returns its path. */
  writeKubeconfig(dir: string, fileName?: string): string;
  /** Sets (or with `undefined` clears) a fault; same keys as {@link KubeApiOptions.faults}. */
  setFault(key: string, fault: KubeApiFault | undefined): void;
  /** Sets the latency applied to every request. */
  setLatency(ms: number): void;
  /** Adds or replaces an object (matched on apiVersion, kind, namespace, name). */
  upsert(obj: KubeObject): void;
  /** Objects currently stored. */
  objects(): KubeObject[];
  /** Closes the server and every open (including hung) connection. */
  stop(): Promise<void>;
}

/** Static description of a resource type. */
export interface ResourceType {
  group: string;
  version: string;
  plural: string;
  kind: string;
  namespaced: boolean;
  /** Built-in types are always served; their list items carry no apiVersion/kind, as with a real apiserver. */
  builtin: boolean;
}

const rt = (
  gv: string,
  plural: string,
  kind: string,
  namespaced: boolean,
  builtin: boolean,
): ResourceType => {
  const [group, version] = gv.includes("/") ? gv.split("/") : ["", gv];
  return { group, version, plural, kind, namespaced, builtin };
};

/** Resource types the stand-in knows by name. Other kinds get a plural guessed from their kind or a CRD. */
export const KNOWN_TYPES: readonly ResourceType[] = [
  rt("v1", "nodes", "Node", false, true),
  rt("v1", "namespaces", "Namespace", false, true),
  rt("v1", "persistentvolumes", "PersistentVolume", false, true),
  rt("v1", "pods", "Pod", true, true),
  rt("v1", "persistentvolumeclaims", "PersistentVolumeClaim", true, true),
  rt("v1", "services", "Service", true, true),
  rt("v1", "secrets", "Secret", true, true),
  rt("v1", "configmaps", "ConfigMap", true, true),
  rt("v1", "serviceaccounts", "ServiceAccount", true, true),
  rt("v1", "endpoints", "Endpoints", true, true),
  rt("v1", "events", "Event", true, true),
  rt("v1", "resourcequotas", "ResourceQuota", true, true),
  rt("v1", "limitranges", "LimitRange", true, true),
  rt("apps/v1", "deployments", "Deployment", true, true),
  rt("apps/v1", "statefulsets", "StatefulSet", true, true),
  rt("apps/v1", "daemonsets", "DaemonSet", true, true),
  rt("apps/v1", "replicasets", "ReplicaSet", true, true),
  rt("batch/v1", "jobs", "Job", true, true),
  rt("batch/v1", "cronjobs", "CronJob", true, true),
  rt("storage.k8s.io/v1", "storageclasses", "StorageClass", false, true),
  rt("apiextensions.k8s.io/v1", "customresourcedefinitions", "CustomResourceDefinition", false, true),
  rt("rbac.authorization.k8s.io/v1", "clusterroles", "ClusterRole", false, true),
  rt("rbac.authorization.k8s.io/v1", "roles", "Role", true, true),
  rt("scheduling.k8s.io/v1", "priorityclasses", "PriorityClass", false, true),
  rt("policy/v1", "poddisruptionbudgets", "PodDisruptionBudget", true, true),
  rt("networking.k8s.io/v1", "networkpolicies", "NetworkPolicy", true, true),
  rt("ceph.rook.io/v1", "cephclusters", "CephCluster", true, false),
  rt("ceph.rook.io/v1", "cephobjectstores", "CephObjectStore", true, false),
  rt("ceph.rook.io/v1", "cephobjectstoreusers", "CephObjectStoreUser", true, false),
  rt("ceph.rook.io/v1", "cephblockpools", "CephBlockPool", true, false),
  rt("objectbucket.io/v1alpha1", "objectbucketclaims", "ObjectBucketClaim", true, false),
  rt("objectbucket.io/v1alpha1", "objectbuckets", "ObjectBucket", false, false),
  rt("helm.toolkit.fluxcd.io/v2", "helmreleases", "HelmRelease", true, false),
  rt("kustomize.toolkit.fluxcd.io/v1", "kustomizations", "Kustomization", true, false),
  rt("source.toolkit.fluxcd.io/v1", "gitrepositories", "GitRepository", true, false),
  rt("source.toolkit.fluxcd.io/v1", "helmrepositories", "HelmRepository", true, false),
  rt("external-secrets.io/v1beta1", "clustersecretstores", "ClusterSecretStore", false, false),
  rt("external-secrets.io/v1beta1", "externalsecrets", "ExternalSecret", true, false),
  rt("external-secrets.io/v1beta1", "secretstores", "SecretStore", true, false),
  rt("metrics.k8s.io/v1beta1", "nodes", "NodeMetrics", false, false),
  rt("metrics.k8s.io/v1beta1", "pods", "PodMetrics", true, false),
  rt("monitoring.coreos.com/v1", "prometheuses", "Prometheus", true, false),
  rt("monitoring.coreos.com/v1", "servicemonitors", "ServiceMonitor", true, false),
  rt("monitoring.coreos.com/v1", "podmonitors", "PodMonitor", true, false),
  rt("monitoring.coreos.com/v1", "prometheusrules", "PrometheusRule", true, false),
  rt("sparkoperator.k8s.io/v1beta2", "sparkapplications", "SparkApplication", true, false),
];

const gvOf = (t: { group: string; version: string }): string =>
  t.group ? `${t.group}/${t.version}` : t.version;
const rbacResource = (group: string, plural: string): string => (group ? `${plural}.${group}` : plural);

/**
 * Reads kubectl-format files (JSON or YAML, `List`s, `NodeMetricsList`s or single objects) from a directory or a
 * list of files and returns the objects flattened, with apiVersion/kind set on every item.
 */
export function loadObjects(dirOrFiles: string | readonly string[]): KubeObject[] {
  const files =
    typeof dirOrFiles === "string"
      ? fs
          .readdirSync(dirOrFiles)
          .filter((f) => /\.(json|ya?ml)$/.test(f))
          .sort()
          .map((f) => path.join(dirOrFiles, f))
      : dirOrFiles;
  const out: KubeObject[] = [];
  for (const file of files) {
    const text = fs.readFileSync(file, "utf8");
    const docs: unknown[] = file.endsWith(".json")
      ? [JSON.parse(text)]
      : parseAllDocuments(text).map((d) => d.toJSON() as unknown);
    for (const doc of docs) if (doc && typeof doc === "object") out.push(...flatten(doc as KubeObject));
  }
  return out;
}

/** Flattens `List` / `XList` objects into their items, filling in apiVersion/kind from the list. */
export function flatten(obj: KubeObject): KubeObject[] {
  if (Array.isArray(obj.items) && typeof obj.kind === "string" && obj.kind.endsWith("List")) {
    const itemKind = obj.kind === "List" ? undefined : obj.kind.slice(0, -"List".length);
    return (obj.items as KubeObject[]).flatMap((it) =>
      flatten({ ...it, apiVersion: it.apiVersion ?? obj.apiVersion, kind: it.kind ?? itemKind }),
    );
  }
  return [obj];
}

/** A URL on 127.0.0.1 where connections are refused (a port that was free a moment ago and is now closed). */
export async function refusedUrl(): Promise<string> {
  const srv = net.createServer();
  await new Promise<void>((resolve) => srv.listen(0, "127.0.0.1", resolve));
  const port = (srv.address() as net.AddressInfo).port;
  await new Promise<void>((resolve) => srv.close(() => resolve()));
  return `http://127.0.0.1:${port}`;
}

/** A client-node KubeConfig for a plain-HTTP server (the stand-in, or a refused URL). */
export function kubeConfigFor(url: string, context = "stand-in"): KubeConfig {
  const kc = new KubeConfig();
  kc.loadFromOptions({
    // client-node refuses http:// unless skipTLSVerify is set.
    clusters: [{ name: context, server: url, skipTLSVerify: true }],
    users: [{ name: context, token: "stand-in-token" }],
    contexts: [{ name: context, cluster: context, user: context }],
    currentContext: context,
  });
  return kc;
}

/** The kubeconfig YAML for a plain-HTTP server. */
export function kubeconfigYaml(url: string, context = "stand-in"): string {
  return [
    "apiVersion: v1",
    "kind: Config",
    "clusters:",
    `  - name: ${context}`,
    "    cluster:",
    `      server: ${url}`,
    "      insecure-skip-tls-verify: true",
    "users:",
    `  - name: ${context}`,
    "    user:",
    "      token: stand-in-token",
    "contexts:",
    `  - name: ${context}`,
    "    context:",
    `      cluster: ${context}`,
    `      user: ${context}`,
    `current-context: ${context}`,
    "",
  ].join("\n");
}

interface Route {
  type?: ResourceType;
  group: string;
  version: string;
  plural?: string;
  namespace?: string;
  name?: string;
  discovery?: "root" | "groups" | "group-version" | "version";
}

/** Kubernetes' version priority (`v2` > `v1` > `v2beta2` > `v2beta1` > `v1alpha1` > anything else, by name). */
export function compareKubeVersions(a: string, b: string): number {
  const rank = (v: string): [number, number, number] => {
    const m = /^v(\d+)(?:(alpha|beta)(\d+))?$/.exec(v);
    if (!m) return [3, 0, 0];
    const stage = m[2] === undefined ? 0 : m[2] === "beta" ? 1 : 2;
    return [stage, -Number(m[1]), -Number(m[3] ?? 0)];
  };
  const [x, y] = [rank(a), rank(b)];
  for (let i = 0; i < 3; i++) if (x[i] !== y[i]) return x[i] - y[i];
  return a.localeCompare(b);
}

/** Parses `/api/v1/...` and `/apis/{group}/{version}/...` into group, version, namespace, plural, name. */
function parsePath(p: string): Route | undefined {
  const seg = p.split("/").filter(Boolean).map(decodeURIComponent);
  if (seg.length === 1 && seg[0] === "version") return { group: "", version: "", discovery: "version" };
  let group: string;
  let version: string;
  let rest: string[];
  if (seg[0] === "api") {
    if (seg.length === 1) return { group: "", version: "", discovery: "root" };
    group = "";
    version = seg[1];
    rest = seg.slice(2);
  } else if (seg[0] === "apis") {
    if (seg.length === 1) return { group: "", version: "", discovery: "groups" };
    if (seg.length === 2) return { group: seg[1], version: "", discovery: "groups" };
    group = seg[1];
    version = seg[2];
    rest = seg.slice(3);
  } else return undefined;
  if (rest.length === 0) return { group, version, discovery: "group-version" };
  if (rest[0] === "namespaces" && rest.length >= 3) {
    return { group, version, namespace: rest[1], plural: rest[2], name: rest[3] };
  }
  return { group, version, plural: rest[0], name: rest[1] };
}

/** A label or field selector's terms: `k=v` / `k==v` (equal), `k!=v` (not equal), a bare `k` (value undefined). */
const selectorTerms = (selector: string): { key: string; neg: boolean; value: string | undefined }[] =>
  selector
    .split(",")
    .filter(Boolean)
    .map((term) => {
      const neg = term.includes("!=");
      const [key, value] = term.split(neg ? "!=" : /==?/).map((s) => s.trim());
      return { key, neg, value };
    });

const matchesLabels = (obj: KubeObject, selector: string | undefined): boolean =>
  !selector ||
  selectorTerms(selector).every(({ key, neg, value }) => {
    const actual = obj.metadata?.labels?.[key];
    if (value === undefined) return actual !== undefined;
    return neg ? actual !== value : actual === value;
  });

const matchesFields = (obj: KubeObject, selector: string | undefined): boolean =>
  !selector ||
  selectorTerms(selector).every(({ key, neg, value }) => {
    const actual =
      key === "metadata.name"
        ? obj.metadata?.name
        : key === "metadata.namespace"
          ? obj.metadata?.namespace
          : undefined;
    return neg ? actual !== value : actual === value;
  });

/** Starts the stand-in. Always `await api.stop()` in an `after` hook. */
export async function startKubeApi(options: KubeApiOptions = {}): Promise<KubeApi> {
  const faults = new Map<string, KubeApiFault>(Object.entries(options.faults ?? {}));
  let latencyMs = options.latencyMs ?? 0;
  const user = options.user ?? "system:serviceaccount:lakehouse:preflight";
  const requests: RecordedRequest[] = [];
  const timers = new Set<NodeJS.Timeout>();
  const started = performance.now();
  const now = () => Math.round((performance.now() - started) * 10) / 10;
  let resourceVersion = 1000;

  // Store keyed by apiVersion|kind|namespace|name, in insertion order. Derived views (served types, sorted
  // lists) are cached until the next change: the benchmark serves thousands of objects per page.
  const store = new Map<string, KubeObject>();
  const keyOf = (o: KubeObject) =>
    `${o.apiVersion}|${o.kind}|${o.metadata?.namespace ?? ""}|${o.metadata?.name ?? ""}`;
  let servedCache: ResourceType[] | undefined;
  const listCache = new Map<string, KubeObject[]>();
  const changed = () => {
    servedCache = undefined;
    listCache.clear();
  };
  const upsert = (o: KubeObject) => {
    store.set(keyOf(o), o);
    changed();
  };
  const remove = (o: KubeObject) => {
    store.delete(keyOf(o));
    changed();
  };
  for (const o of options.objects ?? []) for (const f of flatten(o)) upsert(f);

  /** All resource types currently served: built-ins, CRDs among the objects, kinds of the objects, `served`. */
  const servedTypes = (): ResourceType[] => (servedCache ??= computeServedTypes());
  const computeServedTypes = (): ResourceType[] => {
    const types = new Map<string, ResourceType>();
    const add = (t: ResourceType) => {
      const k = `${gvOf(t)}/${t.plural}`;
      if (!types.has(k)) types.set(k, t);
    };
    for (const t of KNOWN_TYPES) if (t.builtin) add(t);
    for (const o of store.values()) {
      if (o.kind === "CustomResourceDefinition") {
        const spec = (o.spec ?? {}) as {
          group?: string;
          names?: { plural?: string; kind?: string };
          scope?: string;
          versions?: { name?: string; served?: boolean }[];
        };
        for (const v of spec.versions ?? []) {
          if (v.served === false || !spec.group || !v.name || !spec.names?.plural) continue;
          add({
            group: spec.group,
            version: v.name,
            plural: spec.names.plural,
            kind: spec.names.kind ?? spec.names.plural,
            namespaced: spec.scope !== "Cluster",
            builtin: false,
          });
        }
      }
    }
    for (const o of store.values()) {
      if (!o.apiVersion || !o.kind) continue;
      const known = KNOWN_TYPES.find((t) => gvOf(t) === o.apiVersion && t.kind === o.kind);
      if (known) add(known);
      else {
        const [group, version] = o.apiVersion.includes("/") ? o.apiVersion.split("/") : ["", o.apiVersion];
        add({
          group,
          version,
          plural: `${o.kind.toLowerCase()}s`,
          kind: o.kind,
          namespaced: o.metadata?.namespace !== undefined,
          builtin: false,
        });
      }
    }
    for (const s of options.served ?? []) {
      const parts = s.split("/");
      const plural = parts.pop() as string;
      const gv = parts.join("/");
      const known = KNOWN_TYPES.find((t) => gvOf(t) === gv && t.plural === plural);
      add(known ?? { ...rt(gv, plural, plural, true, false) });
    }
    return [...types.values()];
  };

  const findFault = (rec: RecordedRequest): KubeApiFault | undefined => {
    let best: { len: number; fault: KubeApiFault } | undefined;
    for (const [key, fault] of faults) {
      if (key.startsWith("/")) {
        if (
          rec.path === key ||
          rec.path.startsWith(key.endsWith("/") ? key : `${key}/`) ||
          rec.path.startsWith(key)
        ) {
          if (!best || key.length > best.len) best = { len: key.length, fault };
        }
      } else if (rec.plural && (key === rec.plural || key === rec.resource)) {
        // A resource key beats any path prefix: it is the more specific way of naming what to break.
        return fault;
      }
    }
    return best?.fault;
  };

  const send = (res: http.ServerResponse, rec: RecordedRequest, status: number, body: unknown) => {
    const text = JSON.stringify(body);
    res.writeHead(status, { "content-type": "application/json", "content-length": Buffer.byteLength(text) });
    res.end(text);
    rec.status = status;
    rec.doneTime = now();
  };

  const statusBody = (code: number, reason: string, message: string, details?: Record<string, unknown>) => ({
    kind: "Status",
    apiVersion: "v1",
    metadata: {},
    status: "Failure",
    message,
    reason,
    ...(details ? { details } : {}),
    code,
  });

  const faultStatus = (rec: RecordedRequest, code: number) => {
    const what = rec.resource ?? rec.path;
    const scope = rec.namespace ? `in the namespace "${rec.namespace}"` : "at the cluster scope";
    switch (code) {
      case 403:
        return statusBody(
          403,
          "Forbidden",
          `${what}${rec.name ? ` "${rec.name}"` : ""} is forbidden: User "${user}" cannot ${rec.verb} resource "${rec.plural ?? rec.path}" in API group "${rec.group ?? ""}" ${scope}`,
          { ...(rec.name ? { name: rec.name } : {}), group: rec.group ?? "", kind: rec.plural ?? rec.path },
        );
      case 404:
        return statusBody(404, "NotFound", "the server could not find the requested resource", {});
      case 410:
        return statusBody(
          410,
          "Expired",
          "The provided continue parameter is too old to display a consistent list result.",
        );
      case 503:
        return statusBody(503, "ServiceUnavailable", "the server is currently unable to handle the request");
      default:
        return statusBody(
          code,
          "InternalError",
          `Internal error occurred: stand-in fault injected for ${what}`,
        );
    }
  };

  const serveDiscovery = (route: Route, res: http.ServerResponse, rec: RecordedRequest) => {
    const types = servedTypes();
    if (route.discovery === "version") {
      return send(res, rec, 200, {
        major: "1",
        minor: "31",
        gitVersion: "v1.31.0-stand-in",
        platform: "linux/amd64",
      });
    }
    if (route.discovery === "root") {
      return send(res, rec, 200, { kind: "APIVersions", versions: ["v1"], serverAddressByClientCIDRs: [] });
    }
    if (route.discovery === "groups") {
      const groups = new Map<string, Set<string>>();
      for (const t of types)
        if (t.group) groups.set(t.group, (groups.get(t.group) ?? new Set()).add(t.version));
      const list = [...groups].map(([name, versions]) => {
        // As an apiserver does: versions by priority (GA, then beta, then alpha; newest first), the first preferred.
        // kubectl lists a CRD kind at the preferred version, so v2beta2 before v2 would list no v2 objects.
        const vs = [...versions]
          .sort(compareKubeVersions)
          .map((v) => ({ groupVersion: `${name}/${v}`, version: v }));
        return { name, versions: vs, preferredVersion: vs[0] };
      });
      if (route.group) {
        const g = list.find((x) => x.name === route.group);
        if (!g) return send(res, rec, 404, faultStatus(rec, 404));
        return send(res, rec, 200, { kind: "APIGroup", apiVersion: "v1", ...g });
      }
      return send(res, rec, 200, { kind: "APIGroupList", apiVersion: "v1", groups: list });
    }
    const inGv = types.filter((t) => t.group === route.group && t.version === route.version);
    if (inGv.length === 0) return send(res, rec, 404, faultStatus(rec, 404));
    return send(res, rec, 200, {
      kind: "APIResourceList",
      apiVersion: "v1",
      groupVersion: gvOf(route),
      resources: inGv.map((t) => ({
        name: t.plural,
        singularName: t.kind.toLowerCase(),
        namespaced: t.namespaced,
        kind: t.kind,
        verbs: ["get", "list", "watch", "create", "update", "patch", "delete"],
      })),
    });
  };

  const serveResource = (
    route: Route,
    type: ResourceType,
    rec: RecordedRequest,
    res: http.ServerResponse,
    body: string,
  ) => {
    const gv = gvOf(type);
    const ofType = () => [...store.values()].filter((o) => o.apiVersion === gv && o.kind === type.kind);
    const stripForList = (o: KubeObject): KubeObject => {
      // A real apiserver omits apiVersion/kind on the items of built-in (and metrics) lists; clients must not rely on them.
      if (!type.builtin && type.group !== "metrics.k8s.io") return o;
      const { apiVersion: _a, kind: _k, ...rest } = o;
      return rest;
    };
    const notFound = () =>
      send(
        res,
        rec,
        404,
        statusBody(404, "NotFound", `${rbacResource(type.group, type.plural)} "${route.name}" not found`, {
          name: route.name,
          group: type.group,
          kind: type.plural,
        }),
      );
    const method = rec.method;
    if (method === "GET" && !route.name) {
      const cacheKey = [
        gv,
        type.kind,
        route.namespace,
        rec.query.labelSelector,
        rec.query.fieldSelector,
      ].join("|");
      let all = listCache.get(cacheKey);
      if (!all) {
        const sortKey = (o: KubeObject) => `${o.metadata?.namespace ?? ""}/${o.metadata?.name ?? ""}`;
        all = ofType()
          .filter((o) => !route.namespace || o.metadata?.namespace === route.namespace)
          .filter(
            (o) => matchesLabels(o, rec.query.labelSelector) && matchesFields(o, rec.query.fieldSelector),
          )
          .sort((a, b) => (sortKey(a) < sortKey(b) ? -1 : sortKey(a) > sortKey(b) ? 1 : 0));
        listCache.set(cacheKey, all);
      }
      let offset = 0;
      if (rec.query.continue) {
        try {
          const tok = JSON.parse(Buffer.from(rec.query.continue, "base64url").toString("utf8")) as {
            o?: unknown;
            p?: unknown;
          };
          if (typeof tok.o !== "number" || tok.p !== rec.path) throw new Error("bad token");
          offset = tok.o;
        } catch {
          return send(
            res,
            rec,
            400,
            statusBody(400, "BadRequest", "continue key is not valid: invalid continue token"),
          );
        }
      }
      const limit = rec.query.limit ? Number(rec.query.limit) : 0;
      const page = limit > 0 ? all.slice(offset, offset + limit) : all.slice(offset);
      const next = offset + page.length;
      const metadata: Record<string, unknown> = { resourceVersion: String(resourceVersion) };
      if (limit > 0 && next < all.length) {
        metadata.continue = Buffer.from(JSON.stringify({ o: next, p: rec.path })).toString("base64url");
        metadata.remainingItemCount = all.length - next;
      }
      return send(res, rec, 200, {
        apiVersion: gv,
        kind: `${type.kind}List`,
        metadata,
        items: page.map(stripForList),
      });
    }
    const find = () =>
      ofType().find(
        (o) =>
          o.metadata?.name === route.name && (!type.namespaced || o.metadata?.namespace === route.namespace),
      );
    if (method === "GET") {
      const o = find();
      if (!o) return notFound();
      // Like the API server: a metadata-only GET answers with the object's metadata and nothing else.
      if (/as=PartialObjectMetadata/.test(rec.accept ?? "")) {
        return send(res, rec, 200, {
          apiVersion: "meta.k8s.io/v1",
          kind: "PartialObjectMetadata",
          metadata: o.metadata,
        });
      }
      return send(res, rec, 200, o);
    }
    if (method === "DELETE" && route.name) {
      const o = find();
      if (!o) return notFound();
      remove(o);
      resourceVersion++;
      return send(res, rec, 200, o);
    }
    if (method === "POST" && !route.name) {
      let obj: KubeObject;
      try {
        obj = JSON.parse(body) as KubeObject;
      } catch {
        return send(res, rec, 400, statusBody(400, "BadRequest", "the request body is not valid JSON"));
      }
      obj = {
        ...obj,
        apiVersion: gv,
        kind: type.kind,
        metadata: {
          ...obj.metadata,
          ...(type.namespaced ? { namespace: route.namespace ?? obj.metadata?.namespace ?? "default" } : {}),
          resourceVersion: String(++resourceVersion),
          creationTimestamp: obj.metadata?.creationTimestamp ?? new Date().toISOString(),
        },
      };
      const exists = store.has(keyOf(obj));
      if (exists) {
        return send(
          res,
          rec,
          409,
          statusBody(
            409,
            "AlreadyExists",
            `${rbacResource(type.group, type.plural)} "${obj.metadata?.name}" already exists`,
          ),
        );
      }
      upsert(obj);
      return send(res, rec, 201, obj);
    }
    return send(
      res,
      rec,
      405,
      statusBody(405, "MethodNotAllowed", `the server does not allow this method (${method}) here`),
    );
  };

  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? "/", "http://stand-in");
    const query: Record<string, string> = {};
    url.searchParams.forEach((v, k) => (query[k] = v));
    const route = parsePath(url.pathname);
    const method = (req.method ?? "GET").toUpperCase();
    const rec: RecordedRequest = {
      method,
      path: url.pathname,
      query,
      verb: "discovery",
      ...(req.headers.accept ? { accept: String(req.headers.accept) } : {}),
      time: now(),
    };
    if (route?.plural) {
      rec.group = route.group;
      rec.plural = route.plural;
      rec.namespace = route.namespace;
      rec.name = route.name;
      rec.resource = rbacResource(route.group, route.plural);
      rec.verb =
        method === "GET"
          ? route.name
            ? "get"
            : query.watch === "true"
              ? "watch"
              : "list"
          : (({ POST: "create", PUT: "update", PATCH: "patch", DELETE: "delete" } as Record<string, string>)[
              method
            ] ?? method.toLowerCase());
    }
    requests.push(rec);

    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const body = Buffer.concat(chunks).toString("utf8");
      const denied = rec.plural !== undefined && options.authorize !== undefined && !options.authorize(rec);
      const fault = denied ? 403 : findFault(rec);
      if (fault === "hang") return; // never answer; stop() destroys the socket
      const delay = latencyMs + (typeof fault === "object" ? fault.delayMs : 0);
      const respond = async () => {
        if (typeof fault === "number") return send(res, rec, fault, faultStatus(rec, fault));
        if (options.extraRoutes && (await options.extraRoutes(req, res, body))) {
          rec.status = res.statusCode;
          rec.doneTime = now();
          return undefined;
        }
        if (!route) return send(res, rec, 404, faultStatus(rec, 404));
        if (route.discovery) return serveDiscovery(route, res, rec);
        const type = servedTypes().find(
          (t) => t.group === route.group && t.version === route.version && t.plural === route.plural,
        );
        if (!type) return send(res, rec, 404, faultStatus(rec, 404));
        return serveResource(route, type, rec, res, body);
      };
      const run = () => {
        respond().catch((e: unknown) => {
          if (!res.headersSent)
            send(res, rec, 500, statusBody(500, "InternalError", `stand-in error: ${String(e)}`));
        });
      };
      if (delay > 0) {
        const t = setTimeout(() => {
          timers.delete(t);
          run();
        }, delay);
        timers.add(t);
      } else run();
      return undefined;
    });
  });
  // Keep-alive sockets of finished tests must not hold the process open.
  server.keepAliveTimeout = 1000;

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve());
  });
  const url = `http://127.0.0.1:${(server.address() as net.AddressInfo).port}`;

  return {
    url,
    requests,
    kubeConfig: () => kubeConfigFor(url),
    writeKubeconfig: (dir: string, fileName = "kubeconfig") => {
      const file = path.join(dir, fileName);
      fs.writeFileSync(file, kubeconfigYaml(url), { mode: 0o600 });
      return file;
    },
    setFault: (key, fault) => {
      if (fault === undefined) faults.delete(key);
      else faults.set(key, fault);
    },
    setLatency: (ms) => {
      latencyMs = ms;
    },
    upsert: (obj) => {
      for (const f of flatten(obj)) upsert(f);
      resourceVersion++;
    },
    objects: () => [...store.values()],
    stop: async () => {
      for (const t of timers) clearTimeout(t);
      timers.clear();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
