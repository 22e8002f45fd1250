/**
 * Offline facts: kubectl `-o json`/YAML files (Lists, NodeMetricsList, single objects, capture files) -> Facts.
 *
 * Rules for a kind with no objects in the files (see docs/checks.md, "Offline input"):
 * - A capture file (`lakehouse.collections`) says how each kind's collection went; a non-`ok` state there
 *   (e.g. `forbidden` at capture time) is kept, so offline and live give the same verdict.
 * - A kind known to have been asked for -> `ok`, [] (the list came back empty: none exist). Asked for means:
 *   listed in a List's `lakehouse.requested` (capture writes it; a wrapper script can add it), a typed list of
 *   the kind (`ObjectBucketClaimList`, as `kubectl get --raw` prints), or a List in a file named after the kind
 *   (`objectbucketclaims.json`, `obc.yaml`) holding nothing but that kind, as the documented one-file-per-kind
 *   loop writes. A plain `kubectl get a,b,c -o json` List says nothing about what was asked for; the rules
 *   below apply to it exactly as before.
 * - CRD-backed kinds (Ceph, OBC, Flux, External Secrets): when the files contain CustomResourceDefinitions and
 *   the kind's CRD is not among them -> `absent` ("CephObjectStore CRD not installed"); CRD present -> `ok`, []
 *   for the kinds the documented command lists (cephclusters, cephobjectstores, helmreleases, kustomizations,
 *   gitrepositories), `not-collected` for the others (objectbucketclaims, clustersecretstores: not asked for).
 *   When the files contain no CRDs at all we cannot tell -> `not-collected`.
 * - Built-in kinds of the documented kubectl command (nodes, pods, pvc, storageclass, svc, deploy, crd) -> `ok`,
 *   [] (kubectl prints every kind it was asked for, so none means none), provided the files hold any cluster
 *   object at all; a metrics-only input leaves them `not-collected`.
 * - Other built-in kinds (statefulsets) -> `not-collected`.
 * - `nodemetrics`: `ok` when a NodeMetricsList (even empty) or NodeMetrics objects were given, else `not-collected`.
 */
import * as fs from "fs";
import * as path from "path";
import type * as YamlModule from "yaml";
import type { BandwidthObservation, Collection, Facts, Kind, KubeObject, S3Observation } from "../model";
import { InputError, KIND_INFO, KINDS } from "../model";

/** The YAML parser, loaded on first use: most runs read JSON only, and it is a tenth of a CLI's start-up. */
// eslint-disable-next-line @typescript-eslint/no-require-imports
const yaml = (): typeof YamlModule => require("yaml") as typeof YamlModule;

/** What offline facts say about S3: the API is only probed live, so `state.s3-api` is `skipped`. */
export const S3: S3Observation = { state: "skipped", reason: "offline: the S3 API is only probed live" };

/** Likewise `risk.storage-bandwidth`: the object store's rate is only measured live. */
const STORAGE_BANDWIDTH: BandwidthObservation = {
  state: "skipped",
  reason: "offline: the object store's bandwidth is only measured live",
};

/** A kind's CRD name and its Kind, for the kinds served by CustomResourceDefinitions. */
const CRD_BACKED: Partial<Record<Kind, { crd: string; kind: string }>> = Object.fromEntries(
  KINDS.filter((k) => KIND_INFO[k].crd).map((k) => [
    k,
    { crd: `${k}.${KIND_INFO[k].group}`, kind: KIND_INFO[k].itemKind },
  ]),
);

/** Built-in kinds the documented `kubectl get ... -A -o json` command asks for. */
const DOCUMENTED_BUILTIN: readonly Kind[] = [
  "nodes",
  "pods",
  "persistentvolumeclaims",
  "storageclasses",
  "services",
  "deployments",
  "customresourcedefinitions",
];

/** CRD-backed kinds the documented command asks for: with their CRD present, none in the files means none. */
const DOCUMENTED_CRD_KINDS: readonly Kind[] = [
  "cephclusters",
  "cephobjectstores",
  "helmreleases",
  "kustomizations",
  "gitrepositories",
];

/** kubectl's short names for the kinds we read (as `kubectl api-resources` lists them). */
const SHORT_NAMES: Partial<Record<Kind, readonly string[]>> = {
  nodes: ["no"],
  pods: ["po"],
  persistentvolumeclaims: ["pvc"],
  storageclasses: ["sc"],
  services: ["svc"],
  deployments: ["deploy"],
  statefulsets: ["sts"],
  customresourcedefinitions: ["crd", "crds"],
  cephclusters: ["cephcluster"],
  objectbucketclaims: ["obc", "obcs"],
  helmreleases: ["hr"],
  kustomizations: ["ks"],
  gitrepositories: ["gitrepo"],
  clustersecretstores: ["css"],
};

/** A resource name as typed to kubectl (plural, singular or short, any case, `x.group` too) -> our key. */
const BY_NAME: ReadonlyMap<string, Kind> = new Map(
  KINDS.flatMap((k) => {
    const { itemKind, group } = KIND_INFO[k];
    const names = [k, itemKind.toLowerCase(), ...(SHORT_NAMES[k] ?? [])];
    return [...names, ...(group ? names.map((n) => `${n}.${group}`) : [])].map((n) => [n, k] as const);
  }),
);

/** Our key for a resource name as kubectl takes it (`pvc`, `objectbucketclaims`, `Deployment`), if we read it. */
function kindOfName(name: string): Kind | undefined {
  return BY_NAME.get(name.trim().toLowerCase());
}

/** Kind (and, where a Kind name is ambiguous, API group) -> our key: custom kinds must match their group. */
const BY_KIND: Record<string, { key: Kind; group?: string }> = Object.fromEntries(
  KINDS.map((k) => {
    const { itemKind, group, crd } = KIND_INFO[k];
    return [itemKind, crd || k === "nodemetrics" ? { key: k, group } : { key: k }];
  }),
);

/** The Facts key of a Kubernetes object, or undefined for kinds the assessment does not read. */
function kindKey(obj: KubeObject): Kind | undefined {
  const entry = obj.kind ? BY_KIND[obj.kind] : undefined;
  if (!entry) return undefined;
  if (entry.group && obj.apiVersion) {
    const group = obj.apiVersion.includes("/") ? obj.apiVersion.split("/")[0] : "";
    if (group !== entry.group) return undefined;
  }
  return entry.key;
}

/** Collection state recorded by `capture` for one kind. */
export interface CapturedCollection {
  state: Collection["state"];
  message?: string;
  verb?: string;
  resource?: string;
}

/** The extra top-level field of a capture file (a `kind: List` otherwise). */
interface CaptureHeader {
  capturedAt: string;
  context: string;
  collections: Partial<Record<Kind, CapturedCollection>>;
  /** Kinds that were asked for (`lakehouse.requested`; kubectl names such as `pvc` are accepted). */
  requested: Kind[];
}

interface FactsFromObjectsOptions {
  origin: string;
  collectedAt: string;
  /** Collection states recorded at capture time; they win over the absence rules for kinds without items. */
  collections?: Partial<Record<Kind, CapturedCollection>>;
  /** Kinds known to have been asked for: with no items they are `ok`, [] (see the module comment). */
  requested?: ReadonlySet<Kind>;
  /** True when a NodeMetricsList (even empty) was among the inputs. */
  sawMetricsList?: boolean;
}

/**
 * Builds offline Facts from plain objects (already flattened: no Lists), applying the absence rules in the
 * module comment. Shared by the file loader and by tests/capture.
 */
export function factsFromObjects(objects: readonly KubeObject[], opts: FactsFromObjectsOptions): Facts {
  const byKind = new Map<Kind, Map<string, KubeObject>>();
  let clusterObjects = 0;
  for (const obj of objects) {
    const key = kindKey(obj);
    if (!key) continue;
    if (key !== "nodemetrics") clusterObjects++;
    let m = byKind.get(key);
    if (!m) byKind.set(key, (m = new Map()));
    // The same object in two files (overlapping exports) counts once; the later file wins.
    const id = `${obj.metadata?.namespace ?? ""}/${obj.metadata?.name ?? `#${m.size}`}`;
    m.set(id, obj);
  }
  const crdNames = new Set(
    [...(byKind.get("customresourcedefinitions")?.values() ?? [])].map((c) => c.metadata?.name ?? ""),
  );
  const crdsCollected = crdNames.size > 0 || opts.collections?.customresourcedefinitions?.state === "ok";

  const kinds = {} as Record<Kind, Collection>;
  for (const kind of KINDS) {
    const items = [...(byKind.get(kind)?.values() ?? [])];
    const captured = opts.collections?.[kind];
    if (items.length > 0) {
      kinds[kind] = { state: "ok", items };
    } else if (captured) {
      kinds[kind] = fromCaptured(kind, captured);
    } else if (opts.requested?.has(kind)) {
      kinds[kind] = { state: "ok", items: [] };
    } else if (kind === "nodemetrics") {
      kinds[kind] = opts.sawMetricsList
        ? { state: "ok", items: [] }
        : {
            state: "not-collected",
            message:
              "no NodeMetricsList among the input files; add the output of `kubectl get --raw /apis/metrics.k8s.io/v1beta1/nodes`",
          };
    } else if (CRD_BACKED[kind]) {
      const { crd, kind: k } = CRD_BACKED[kind]!;
      if (!crdsCollected) {
        kinds[kind] = {
          state: "not-collected",
          message: `no ${k} objects and no CustomResourceDefinitions in the input files, so whether ${k} exists is unknown; include \`crd\` in the kubectl command`,
        };
      } else if (!crdNames.has(crd)) {
        kinds[kind] = {
          state: "absent",
          message: `${k} CRD not installed (${crd} is not among the input's CRDs)`,
        };
      } else if (DOCUMENTED_CRD_KINDS.includes(kind)) {
        kinds[kind] = { state: "ok", items: [] };
      } else {
        // The CRD exists but a plain List cannot say whether this kind was asked for and none exist.
        kinds[kind] = {
          state: "not-collected",
          message: `the ${k} CRD is installed but the input files contain no ${kind}, and none of them says ${kind} were asked for; if there are none, save \`kubectl get ${kind} -A -o json\` as ${kind}.json and pass it too (see docs/preflight-cli.md)`,
        };
      }
    } else if (DOCUMENTED_BUILTIN.includes(kind) && clusterObjects > 0) {
      kinds[kind] = { state: "ok", items: [] };
    } else {
      kinds[kind] = {
        state: "not-collected",
        message: `the input files contain no ${kind}; add them to the kubectl command (e.g. \`kubectl get ${kind} -A -o json\`)`,
      };
    }
  }
  return {
    mode: "offline",
    collectedAt: opts.collectedAt,
    origin: opts.origin,
    kinds,
    s3: S3,
    storageBandwidth: STORAGE_BANDWIDTH,
  };
}

function fromCaptured(kind: Kind, c: CapturedCollection): Collection {
  switch (c.state) {
    case "ok":
      return { state: "ok", items: [] };
    case "forbidden":
      return {
        state: "forbidden",
        verb: c.verb ?? "list",
        resource: c.resource ?? kind,
        message:
          c.message ??
          `forbidden: cannot ${c.verb ?? "list"} ${c.resource ?? kind} (recorded at capture time)`,
      };
    case "absent":
      return {
        state: "absent",
        message: c.message ?? `${kind} is not served by the API (recorded at capture time)`,
      };
    case "error":
      return { state: "error", message: c.message ?? `collecting ${kind} failed at capture time` };
    default:
      return { state: "not-collected", message: c.message ?? `${kind} was not collected at capture time` };
  }
}

// ---------------------------------------------------------------------------------------------------------
// Files
// ---------------------------------------------------------------------------------------------------------

/** Line and column (1-based) of a character offset. */
export function lineColumn(text: string, offset: number): { line: number; column: number } {
  const before = text.slice(0, Math.max(0, Math.min(offset, text.length)));
  const lines = before.split("\n");
  return { line: lines.length, column: lines[lines.length - 1].length + 1 };
}

function parseJson(text: string, file: string): unknown {
  try {
    return JSON.parse(text);
  } catch (e) {
    const msg = (e as Error).message;
    const m = /position (\d+)/.exec(msg);
    const offset = m ? Number(m[1]) : text.length;
    const { line, column } = lineColumn(text, offset);
    throw new InputError(
      `${file}:${line}:${column}: malformed JSON (${msg.replace(/ in JSON at position \d+.*$/, "")}). Fix: regenerate the file with \`kubectl get ... -o json\` or correct the JSON at line ${line}, column ${column}.`,
    );
  }
}

function parseYamlDocs(text: string, file: string): unknown[] {
  const docs = yaml().parseAllDocuments(text, { prettyErrors: true });
  const list = Array.isArray(docs) ? docs : [docs];
  const out: unknown[] = [];
  for (const doc of list) {
    if (doc.errors.length > 0) {
      const e = doc.errors[0];
      const pos = e.linePos?.[0];
      const where = pos ? `${pos.line}:${pos.col}` : "1:1";
      throw new InputError(
        `${file}:${where}: malformed YAML (${e.message.split("\n")[0]}). Fix: regenerate the file with \`kubectl get ... -o yaml\` or correct the YAML at that position.`,
      );
    }
    const js = doc.toJS();
    if (js !== null && js !== undefined) out.push(js);
  }
  return out;
}

interface Parsed {
  objects: KubeObject[];
  sawMetricsList: boolean;
  /** True when the file held at least one List (kind List or a typed list). */
  sawList: boolean;
  /** Kinds the file says were asked for: typed lists and `lakehouse.requested`. */
  requested: Set<Kind>;
  capture?: CaptureHeader;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return !!v && typeof v === "object" && !Array.isArray(v);
}

/** Flattens one parsed document (List, XList, single object or JSON array) into objects. */
function flatten(doc: unknown, file: string, out: Parsed): void {
  if (Array.isArray(doc)) {
    for (const d of doc) flatten(d, file, out);
    return;
  }
  if (!isObject(doc)) {
    throw new InputError(
      `${file}: expected Kubernetes objects (a kind: List or single objects) but found ${JSON.stringify(doc)?.slice(0, 40)}. Fix: pass the output of \`kubectl get ... -o json\`.`,
    );
  }
  const kind = typeof doc.kind === "string" ? doc.kind : undefined;
  if (Array.isArray(doc.items) && (kind === undefined || kind.endsWith("List"))) {
    out.sawList = true;
    if (kind === "NodeMetricsList") out.sawMetricsList = true;
    if (isObject(doc.lakehouse)) {
      out.capture = readCaptureHeader(doc.lakehouse, file);
      for (const k of out.capture.requested) out.requested.add(k);
    }
    // Typed lists (PodList, NodeMetricsList) omit each item's kind; `kind: List` items carry their own.
    const itemKind = kind && kind !== "List" ? kind.slice(0, -"List".length) : undefined;
    const apiVersion = typeof doc.apiVersion === "string" ? doc.apiVersion : undefined;
    // A typed list is the answer to a request for exactly its kind (`kubectl get --raw /apis/.../<plural>`).
    const listed = itemKind ? kindKey({ kind: itemKind, apiVersion }) : undefined;
    if (listed) out.requested.add(listed);
    for (const item of doc.items) {
      if (!isObject(item)) continue;
      const o = item as KubeObject;
      out.objects.push(
        o.kind || !itemKind ? o : { ...o, kind: itemKind, apiVersion: o.apiVersion ?? apiVersion },
      );
    }
    return;
  }
  out.objects.push(doc as KubeObject);
}

function readCaptureHeader(h: Record<string, unknown>, file: string): CaptureHeader {
  const collections: CaptureHeader["collections"] = {};
  const states: readonly string[] = ["ok", "forbidden", "absent", "error", "not-collected"];
  if (isObject(h.collections)) {
    for (const [k, v] of Object.entries(h.collections)) {
      if (!(KINDS as readonly string[]).includes(k) || !isObject(v)) continue;
      if (typeof v.state !== "string" || !states.includes(v.state)) {
        throw new InputError(
          `${file}: lakehouse.collections.${k}.state is ${JSON.stringify(v.state)}; expected one of ${states.join(", ")}. Fix: recapture with \`npm run preflight -- capture\`.`,
        );
      }
      collections[k as Kind] = {
        state: v.state as Collection["state"],
        message: typeof v.message === "string" ? v.message : undefined,
        verb: typeof v.verb === "string" ? v.verb : undefined,
        resource: typeof v.resource === "string" ? v.resource : undefined,
      };
    }
  }
  const requested: Kind[] = [];
  if (h.requested !== undefined) {
    const fix =
      "Fix: list resource names as kubectl takes them, e.g. `requested: [nodes, pvc, objectbucketclaims]`.";
    if (!Array.isArray(h.requested)) {
      throw new InputError(
        `${file}: lakehouse.requested is ${JSON.stringify(h.requested)}; expected a list of resource names. ${fix}`,
      );
    }
    for (const [i, name] of h.requested.entries()) {
      const k = typeof name === "string" ? kindOfName(name) : undefined;
      // A kind the assessment does not read (configmaps) is fine to have asked for; a non-string is not.
      if (typeof name !== "string") {
        throw new InputError(
          `${file}: lakehouse.requested[${i}] is ${JSON.stringify(name)}; expected a resource name. ${fix}`,
        );
      }
      if (k) requested.push(k);
    }
  }
  return {
    capturedAt: typeof h.capturedAt === "string" ? h.capturedAt : "",
    context: typeof h.context === "string" ? h.context : "",
    collections,
    requested,
  };
}

/** Parses one file's text (JSON, or YAML with any number of documents). */
function parseSnapshotText(text: string, file: string): Parsed {
  const out: Parsed = { objects: [], sawMetricsList: false, sawList: false, requested: new Set() };
  const body = text.replace(/^\uFEFF/, "");
  const trimmed = body.trimStart();
  if (trimmed.length === 0) {
    throw new InputError(
      `${file}: the file is empty. Fix: pass the output of \`kubectl get ... -A -o json\` (did the command fail?).`,
    );
  }
  const docs =
    trimmed.startsWith("{") || trimmed.startsWith("[") ? [parseJson(body, file)] : parseYamlDocs(body, file);
  for (const d of docs) flatten(d, file, out);
  return out;
}

const SNAPSHOT_EXT = /\.(json|ya?ml)$/i;

/**
 * The files behind one `--from` path: the file itself, or for a folder its `.json`, `.yaml` and `.yml` files
 * (not recursive, sorted by name), as the one-file-per-kind kubectl loop writes them.
 */
function expandInput(p: string): string[] {
  let stat: fs.Stats;
  try {
    stat = fs.statSync(p);
  } catch {
    return [p]; // reported by the reader, with the file name
  }
  if (!stat.isDirectory()) return [p];
  const files = fs
    .readdirSync(p)
    .filter((f) => SNAPSHOT_EXT.test(f))
    .sort()
    .map((f) => path.join(p, f))
    .filter((f) => fs.statSync(f).isFile());
  if (files.length === 0) {
    throw new InputError(
      `${p}: the folder holds no .json or .yaml files. Fix: pass a folder of \`kubectl get ... -o json\` files, or the files themselves.`,
    );
  }
  return files;
}

/** The kind a file is named after (`objectbucketclaims.json`, `pvc.yaml`), if it is one we read. */
function kindOfFileName(file: string): Kind | undefined {
  return kindOfName(path.basename(file).replace(SNAPSHOT_EXT, ""));
}

/**
 * Loads offline facts from any number of kubectl JSON/YAML files or folders of them. Throws InputError naming
 * the file (and line:column for malformed input) when a file is missing or unreadable.
 */
export function loadOfflineFacts(inputs: readonly string[]): Facts {
  if (inputs.length === 0) {
    throw new InputError(
      "--from: no input files given. Fix: pass at least one file made with `kubectl get ... -o json`.",
    );
  }
  const files = inputs.flatMap(expandInput);
  const objects: KubeObject[] = [];
  let sawMetricsList = false;
  const collections: Partial<Record<Kind, CapturedCollection>> = {};
  const requested = new Set<Kind>();
  let capture: CaptureHeader | undefined;
  for (const file of files) {
    let text: string;
    try {
      text = fs.readFileSync(file, "utf8");
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      const why =
        code === "ENOENT"
          ? "does not exist"
          : code === "EISDIR"
            ? "is a directory"
            : `cannot be read (${code})`;
      throw new InputError(`${file}: the input file ${why}. Fix: check the path given to --from.`, {
        cause: e,
      });
    }
    const parsed = parseSnapshotText(text, file);
    objects.push(...parsed.objects);
    sawMetricsList ||= parsed.sawMetricsList;
    for (const k of parsed.requested) requested.add(k);
    // `kubectl get objectbucketclaims -A -o json > objectbucketclaims.json`: a List that holds only its kind.
    const named = kindOfFileName(file);
    if (named && parsed.sawList && parsed.objects.every((o) => kindKey(o) === named)) requested.add(named);
    if (parsed.capture) {
      capture ??= parsed.capture;
      Object.assign(collections, parsed.capture.collections);
    }
  }
  const names = inputs.join(", ");
  return factsFromObjects(objects, {
    origin: capture?.context ? `${names} (captured from context ${capture.context})` : names,
    collectedAt: capture?.capturedAt || new Date().toISOString(),
    collections: capture ? collections : undefined,
    requested,
    sawMetricsList,
  });
}
