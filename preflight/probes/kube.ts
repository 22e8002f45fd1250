/**
 * The Kubernetes probe: reads every kind the assessment needs through `@kubernetes/client-node`, concurrently,
 * page by page, each request with its own timeout, and returns plain kubectl-like JSON per kind.
 *
 * It observes and never decides: a 403 becomes `forbidden` (with the verb and resource the identity lacks), a 404
 * becomes `absent` (CRD not installed, metrics-server missing), anything else `error`; the checks turn those into
 * `unknown` or `fail`.
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import {
  ApiException,
  ApiextensionsV1Api,
  AppsV1Api,
  CoreV1Api,
  CustomObjectsApi,
  KubeConfig,
  Observable,
  ResponseContext,
  StorageV1Api,
  type RequestContext,
  type V1Secret,
} from "@kubernetes/client-node";
import {
  InputError,
  KIND_INFO,
  KINDS,
  type Collection,
  type Kind,
  type KubeObject,
  type Presence,
} from "../model";
import { untilAborted } from "../deadline";

/** Where one kind lives in the API. */
interface KindSpec {
  kind: Kind;
  /** API group, "" for core. */
  group: string;
  /** Versions to try, preferred first; the next is tried only when the previous one is not served (404). */
  versions: readonly string[];
  /** Plural resource name at the API path. */
  plural: string;
  /** `kind` of one item (set on items, since list items of built-in types carry none). */
  itemKind: string;
  /** Said when the API does not serve the kind (HTTP 404). */
  absentMessage: string;
}

function spec(kind: Kind): KindSpec {
  const { group, versions, itemKind, crd, plural = kind } = KIND_INFO[kind];
  const absentMessage =
    kind === "nodemetrics"
      ? "metrics.k8s.io not served (metrics-server missing)"
      : crd
        ? `${itemKind} CRD not installed (the API does not serve ${kind}.${group})`
        : `the API does not serve ${group ? `${group}/` : ""}${versions[0]} ${kind}`;
  return { kind, group, versions: [...versions], plural, itemKind, absentMessage };
}

/** The API location of every kind in KINDS (from the one table, KIND_INFO). */
export const KIND_SPECS: Readonly<Record<Kind, KindSpec>> = Object.fromEntries(
  KINDS.map((k) => [k, spec(k)]),
) as Record<Kind, KindSpec>;

/** The RBAC resource name of a kind: `plural` for core, else `plural.group` (as `kubectl auth can-i` spells it). */
export const rbacResource = (spec: Pick<KindSpec, "group" | "plural">): string =>
  spec.group ? `${spec.plural}.${spec.group}` : spec.plural;

/** Options of the Kubernetes probe. */
interface KubeProbeOptions {
  /** Page size (`limit`) of list calls. */
  pageSize: number;
  /** Timeout of each request, in ms. */
  requestTimeoutMs: number;
  /** Called once a kind is done (used to start S3 discovery as soon as cephobjectstores is known). */
  onKind?: (kind: Kind, collection: Collection) => void;
}

/** Per-kind timing, for the benchmark and debug logs. */
export interface KindTiming {
  kind: Kind;
  pages: number;
  ms: number;
}

/** The kubeconfig loaded for live mode. */
export interface LoadedKubeConfig {
  kc: KubeConfig;
  /** Context name. */
  context: string;
  /** API server URL. */
  server: string;
}

/**
 * Loads the kubeconfig: `file` when given, else KUBECONFIG, else ~/.kube/config, else the in-cluster service
 * account. Throws InputError naming the file and the fix when none can be used.
 */
export function loadKubeConfig(
  file?: string,
  context?: string,
  env: NodeJS.ProcessEnv = process.env,
): LoadedKubeConfig {
  const kc = new KubeConfig();
  const fromFile = (f: string, how: string) => {
    if (!fs.existsSync(f)) {
      throw new InputError(
        `The kubeconfig file ${f} (${how}) does not exist. Pass --kubeconfig with the path of a readable kubeconfig, ` +
          `set KUBECONFIG, or evaluate kubectl output offline with --from.`,
      );
    }
    try {
      kc.loadFromFile(f);
    } catch (e) {
      throw new InputError(
        `The kubeconfig file ${f} (${how}) could not be read: ${(e as Error).message}. ` +
          `Fix the file (kubectl config view --kubeconfig ${f} shows the problem) or pass another with --kubeconfig.`,
        { cause: e },
      );
    }
    return f;
  };
  let source: string;
  if (file) source = fromFile(path.resolve(file), "from --kubeconfig");
  else if (env.KUBECONFIG) {
    const files = env.KUBECONFIG.split(path.delimiter).filter(Boolean);
    const existing = files.filter((f) => fs.existsSync(f));
    if (existing.length === 0) {
      throw new InputError(
        `KUBECONFIG names ${files.join(", ")}, but no such file exists. Set KUBECONFIG to a readable kubeconfig, ` +
          `pass --kubeconfig, or evaluate kubectl output offline with --from.`,
      );
    }
    // Like kubectl, skip listed files that do not exist; the first file that sets current-context wins.
    fromFile(existing[0], "from KUBECONFIG");
    for (const f of existing.slice(1)) {
      const more = new KubeConfig();
      try {
        more.loadFromFile(f);
        kc.mergeConfig(more, Boolean(kc.getCurrentContext()));
      } catch (e) {
        throw new InputError(
          `The kubeconfig file ${f} (from KUBECONFIG) could not be merged: ${(e as Error).message}. ` +
            `Fix it, remove it from KUBECONFIG, or pass one file with --kubeconfig.`,
          { cause: e },
        );
      }
    }
    source = existing.join(path.delimiter);
  } else {
    const home = path.join(env.HOME ?? os.homedir(), ".kube", "config");
    if (fs.existsSync(home)) source = fromFile(home, "the default");
    else if (env.KUBERNETES_SERVICE_HOST && env.KUBERNETES_SERVICE_PORT) {
      kc.loadFromCluster();
      source = "the in-cluster service account";
    } else {
      throw new InputError(
        `No kubeconfig found: --kubeconfig was not given, KUBECONFIG is unset, ${home} does not exist and this is not ` +
          `a pod. Pass --kubeconfig FILE (or set KUBECONFIG), or evaluate kubectl output offline with --from.`,
      );
    }
  }
  if (context) {
    if (!kc.getContextObject(context)) {
      const names = kc.getContexts().map((c) => c.name);
      throw new InputError(
        `Context "${context}" is not in ${source}; it has ${names.length ? names.join(", ") : "no contexts"}. ` +
          `Pass one of those with --context, or omit --context to use the current one.`,
      );
    }
    kc.setCurrentContext(context);
  }
  const cluster = kc.getCurrentCluster();
  if (!kc.getCurrentContext() || !cluster) {
    throw new InputError(
      `The kubeconfig ${source} has no usable current context (current-context is ` +
        `"${kc.getCurrentContext() ?? ""}"). Pass --context NAME or run kubectl config use-context NAME.`,
    );
  }
  if (cluster.server.startsWith("http:") && !cluster.skipTLSVerify) {
    // Plain HTTP (e.g. `kubectl proxy` on http://127.0.0.1:8001) has no TLS to verify, and kubectl accepts it;
    // client-node refuses such a cluster unless skipTLSVerify is set, so set it for that cluster only.
    kc.loadFromOptions({
      clusters: kc.clusters.map((c) => (c.name === cluster.name ? { ...c, skipTLSVerify: true } : c)),
      users: kc.users,
      contexts: kc.contexts,
      currentContext: kc.getCurrentContext(),
    });
  }
  return { kc, context: kc.getCurrentContext(), server: cluster.server };
}

/** API clients made once per run; per-request behaviour (timeout, raw body) goes in per-call middleware. */
interface Clients {
  core: CoreV1Api;
  apps: AppsV1Api;
  storage: StorageV1Api;
  apiext: ApiextensionsV1Api;
  custom: CustomObjectsApi;
}

interface PageResult {
  items: KubeObject[];
  continueToken?: string;
}

/** Thrown when a request does not answer within the timeout. */
class RequestTimeout extends Error {}

/** The request itself was cancelled by its AbortSignal (AbortSignal.timeout's reason is a TimeoutError). */
const isAbort = (e: unknown): boolean =>
  ["AbortError", "TimeoutError"].includes((e as { name?: string })?.name ?? "");

/**
 * Performs one list call with a timeout and returns the raw JSON body.
 *
 * Why middleware: client-node 1.x deserialises into typed classes (Dates, dropped unknown fields), but facts are
 * kubectl JSON. A per-call post middleware keeps the raw body and hands the typed layer an empty object, so the
 * typed path does no work; the pre middleware attaches the AbortSignal that ends a hung request.
 */
async function listPage(
  clients: Clients,
  spec: KindSpec,
  version: string,
  opts: { limit?: number; continueToken?: string; timeoutMs: number },
): Promise<PageResult> {
  const signal = AbortSignal.timeout(opts.timeoutMs);
  let raw: string | undefined;
  const options = {
    middleware: [
      {
        pre: (ctx: RequestContext) => {
          ctx.setSignal(signal);
          return new Observable(Promise.resolve(ctx));
        },
        post: (rsp: ResponseContext) =>
          new Observable(
            (async () => {
              if (rsp.httpStatusCode < 200 || rsp.httpStatusCode > 299) return rsp;
              raw = await rsp.body.text();
              const empty = "{}";
              return new ResponseContext(rsp.httpStatusCode, rsp.headers, {
                text: async () => empty,
                binary: async () => Buffer.from(empty),
              });
            })(),
          ),
      },
    ],
    middlewareMergeStrategy: "append" as const,
  };
  const params = { limit: opts.limit, _continue: opts.continueToken };
  let call: Promise<unknown>;
  switch (spec.kind) {
    case "nodes":
      call = clients.core.listNode(params, options);
      break;
    case "pods":
      call = clients.core.listPodForAllNamespaces(params, options);
      break;
    case "persistentvolumeclaims":
      call = clients.core.listPersistentVolumeClaimForAllNamespaces(params, options);
      break;
    case "services":
      call = clients.core.listServiceForAllNamespaces(params, options);
      break;
    case "deployments":
      call = clients.apps.listDeploymentForAllNamespaces(params, options);
      break;
    case "statefulsets":
      call = clients.apps.listStatefulSetForAllNamespaces(params, options);
      break;
    case "storageclasses":
      call = clients.storage.listStorageClass(params, options);
      break;
    case "customresourcedefinitions":
      call = clients.apiext.listCustomResourceDefinition(params, options);
      break;
    default:
      call = clients.custom.listClusterCustomObject(
        { group: spec.group, version, plural: spec.plural, ...params },
        options,
      );
  }
  // The signal aborts the HTTP request; the race makes sure the caller is released even if something before
  // the request (an exec credential plugin, say) is what hangs.
  await untilAborted(call, signal, () => new RequestTimeout(`no answer within ${opts.timeoutMs} ms`));
  if (raw === undefined) throw new Error("the API answered without a body");
  let body: { apiVersion?: string; items?: unknown; metadata?: { continue?: string } };
  try {
    body = JSON.parse(raw) as typeof body;
  } catch (e) {
    throw new Error(`the API answered with something that is not JSON (${raw.slice(0, 80)})`, { cause: e });
  }
  const apiVersion = spec.group ? `${spec.group}/${version}` : version;
  const items = (Array.isArray(body.items) ? (body.items as KubeObject[]) : []).map((it) => ({
    // kubectl prints apiVersion and kind on every item; the API omits them on items of built-in lists.
    apiVersion: it.apiVersion ?? apiVersion,
    kind: it.kind ?? spec.itemKind,
    ...it,
  }));
  return { items, continueToken: body.metadata?.continue || undefined };
}

/** The Status message of an ApiException body, if there is one. */
function statusMessage(e: ApiException<unknown>): string | undefined {
  let body: unknown = e.body;
  if (typeof body === "string") {
    const text = body;
    try {
      body = JSON.parse(text);
    } catch {
      return text.trim().slice(0, 200) || undefined;
    }
  }
  const m = (body as { message?: unknown } | undefined)?.message;
  return typeof m === "string" ? m : undefined;
}

/** Turns a failed request into the Collection the checks understand. */
function classifyError(
  e: unknown,
  spec: KindSpec,
  server: string,
  timeoutMs: number,
  page: number,
): Collection {
  const resource = rbacResource(spec);
  const where = page > 1 ? ` (page ${page})` : "";
  if (e instanceof ApiException) {
    const msg = statusMessage(e);
    if (e.code === 403) {
      return {
        state: "forbidden",
        verb: "list",
        resource,
        message:
          `The identity may not list ${resource} (HTTP 403${msg ? `: ${msg}` : ""}). ` +
          `Apply deploy/rbac/preflight-clusterrole.yaml and bind it to this identity.`,
      };
    }
    if (e.code === 404) return { state: "absent", message: spec.absentMessage };
    if (e.code === 401) {
      return {
        state: "error",
        message: `The API server ${server} rejected the credentials while listing ${resource} (HTTP 401). Refresh the kubeconfig's token or certificate.`,
      };
    }
    return {
      state: "error",
      message: `Listing ${resource}${where} failed with HTTP ${e.code}${msg ? `: ${msg}` : ""}.`,
    };
  }
  if (e instanceof RequestTimeout || isAbort(e)) {
    return {
      state: "error",
      message: `The API server ${server} did not answer the list of ${resource}${where} within ${timeoutMs} ms (probe.requestTimeoutMs).`,
    };
  }
  const err = e as { code?: string; message?: string; cause?: { code?: string } };
  const code = err?.code ?? err?.cause?.code;
  if (code === "ECONNREFUSED") {
    return {
      state: "error",
      message: `Cannot connect to the API server ${server}: connection refused while listing ${resource}. Check that the cluster is up and the kubeconfig's server address is right.`,
    };
  }
  return {
    state: "error",
    message: `Listing ${resource}${where} from ${server} failed: ${err?.message ?? String(e)}.`,
  };
}

/**
 * Collects one kind: every page, in order (each page needs the previous page's continue token), the next
 * version only when the preferred one is not served.
 */
async function collectKind(
  clients: Clients,
  spec: KindSpec,
  server: string,
  opts: KubeProbeOptions,
): Promise<{ collection: Collection; pages: number }> {
  let pages = 0;
  for (let v = 0; v < spec.versions.length; v++) {
    let limit: number | undefined = opts.pageSize;
    for (;;) {
      const items: KubeObject[] = [];
      let continueToken: string | undefined;
      try {
        do {
          pages++;
          const page = await listPage(clients, spec, spec.versions[v], {
            limit,
            continueToken,
            timeoutMs: opts.requestTimeoutMs,
          });
          items.push(...page.items);
          continueToken = page.continueToken;
        } while (continueToken);
        return { collection: { state: "ok", items }, pages };
      } catch (e) {
        // A continue token expires after a few minutes (HTTP 410). Like client-go's pager, fall back once to
        // one unpaged list instead of stitching pages from two different snapshots.
        if (e instanceof ApiException && e.code === 410 && continueToken && limit !== undefined) {
          limit = undefined;
          continue;
        }
        const collection = classifyError(e, spec, server, opts.requestTimeoutMs, pages);
        if (collection.state === "absent" && v + 1 < spec.versions.length) break;
        return { collection, pages };
      }
    }
  }
  return { collection: { state: "absent", message: spec.absentMessage }, pages };
}

/** Makes the API clients for a loaded kubeconfig. */
function makeClients(kc: KubeConfig): Clients {
  return {
    core: kc.makeApiClient(CoreV1Api),
    apps: kc.makeApiClient(AppsV1Api),
    storage: kc.makeApiClient(StorageV1Api),
    apiext: kc.makeApiClient(ApiextensionsV1Api),
    custom: kc.makeApiClient(CustomObjectsApi),
  };
}

/**
 * Lists every kind in KINDS concurrently. Never throws for an unreachable or partly forbidden cluster: every
 * kind gets a Collection.
 */
export async function collectKinds(
  loaded: LoadedKubeConfig,
  opts: KubeProbeOptions,
): Promise<{ kinds: Record<Kind, Collection>; timings: KindTiming[] }> {
  const clients = makeClients(loaded.kc);
  const timings: KindTiming[] = [];
  const results = await Promise.all(
    KINDS.map(async (kind) => {
      const t0 = performance.now();
      const { collection, pages } = await collectKind(clients, KIND_SPECS[kind], loaded.server, opts);
      timings.push({ kind, pages, ms: Math.round(performance.now() - t0) });
      opts.onKind?.(kind, collection);
      return [kind, collection] as const;
    }),
  );
  return { kinds: Object.fromEntries(results) as Record<Kind, Collection>, timings };
}

/**
 * Reads one Secret's `data` (values base64-encoded, exactly as the API returns them) with a single GET.
 * Resolves undefined when the Secret does not exist; rejects with a one-line reason when it cannot be read
 * (403, timeout, ...). The values go to the caller only: never logged, never put in facts.
 */
export async function readSecretData(
  loaded: LoadedKubeConfig,
  namespace: string,
  name: string,
  timeoutMs: number,
): Promise<Record<string, string> | undefined> {
  const secret = await getSecret(loaded, namespace, name, timeoutMs, false);
  return secret ? { ...(secret.data ?? {}) } : undefined;
}

/**
 * Whether a Secret exists, asked as metadata only (`PartialObjectMetadata`): the API server sends no `data`,
 * so no secret value reaches this process. Still needs `get` on the Secret (RBAC has no metadata-only verb).
 * Never rejects: 404 is `absent`, anything else that is not an answer is `unknown` with the reason.
 */
export async function secretPresence(
  loaded: LoadedKubeConfig,
  namespace: string,
  name: string,
  timeoutMs: number,
): Promise<Presence> {
  try {
    const meta = await getSecret(loaded, namespace, name, timeoutMs, true);
    return meta ? { state: "present", uid: meta.metadata?.uid ?? "" } : { state: "absent" };
  } catch (e) {
    return { state: "unknown", reason: (e as Error).message };
  }
}

/** `Accept` for a metadata-only GET (the API server strips spec/data/status). */
const METADATA_ONLY = "application/json;as=PartialObjectMetadata;g=meta.k8s.io;v=v1";

async function getSecret(
  loaded: LoadedKubeConfig,
  namespace: string,
  name: string,
  timeoutMs: number,
  metadataOnly: boolean,
): Promise<V1Secret | undefined> {
  const core = loaded.kc.makeApiClient(CoreV1Api);
  const signal = AbortSignal.timeout(timeoutMs);
  const options = {
    middleware: [
      {
        pre: (ctx: RequestContext) => {
          ctx.setSignal(signal);
          if (metadataOnly) ctx.setHeaderParam("Accept", METADATA_ONLY);
          return new Observable(Promise.resolve(ctx));
        },
        post: (rsp: ResponseContext) => new Observable(Promise.resolve(rsp)),
      },
    ],
    middlewareMergeStrategy: "append" as const,
  };
  const call = core.readNamespacedSecret({ namespace, name }, options);
  try {
    return await untilAborted(call, signal, () => new RequestTimeout(`no answer within ${timeoutMs} ms`));
  } catch (e) {
    if (e instanceof ApiException && e.code === 404) return undefined;
    if (e instanceof ApiException && e.code === 403) {
      throw new Error(`the identity may not get secrets "${name}" in namespace ${namespace} (HTTP 403)`, {
        cause: e,
      });
    }
    if (e instanceof ApiException)
      throw new Error(`HTTP ${e.code}${statusMessage(e) ? `: ${statusMessage(e)}` : ""}`);
    if (e instanceof RequestTimeout || isAbort(e)) {
      throw new Error(`the API server ${loaded.server} did not answer within ${timeoutMs} ms`, { cause: e });
    }
    throw new Error(`reading it from ${loaded.server} failed: ${(e as Error)?.message ?? String(e)}`, {
      cause: e,
    });
  }
}
