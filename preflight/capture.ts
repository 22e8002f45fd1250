/**
 * `preflight capture`: saves what the live collection saw as one file that `--from` (the offline loader)
 * reads back to the same facts, so a cluster can be assessed later, elsewhere, or attached to an issue.
 *
 * The file is a kubectl-style `List` (`apiVersion: v1`, `kind: List`) of every collected object, NodeMetrics
 * included, plus a top-level `lakehouse` block recording which kinds were asked for and how each kind's
 * collection went, so that "none exist", "forbidden" and "absent" survive the trip (a plain kubectl dump cannot
 * tell "no ObjectBucketClaims" from "not asked for", nor "no CephObjectStores" from "no CRD").
 *
 * What is left out, on purpose: Secrets (never collected, and dropped here if one slips in), the S3 probe
 * (capture skips it: offline mode cannot replay a live endpoint), `managedFields` and
 * `last-applied-configuration` (bulk, and the latter can echo whatever was applied), and literal `env[].value`s
 * of pod templates (they sometimes carry passwords; no check reads them).
 */
import * as fs from "fs";
import * as path from "path";
import type { LakehouseConfig } from "./config/schema";
import type { Collection, Facts, Kind, KubeObject } from "./model";
import type { CapturedCollection as LoadedCapturedCollection } from "./offline/load";
import { apiVersionOf, InputError, KIND_INFO, KINDS } from "./model";
import type { LiveOptions } from "./probes";
import { collectFacts } from "./runner";

/** The API group/version and kind of each collected resource, for items the API lists without them. */
export const KIND_META: Record<Kind, { apiVersion: string; kind: string }> = Object.fromEntries(
  KINDS.map((k) => [k, { apiVersion: apiVersionOf(k), kind: KIND_INFO[k].itemKind }]),
) as Record<Kind, { apiVersion: string; kind: string }>;

/** How one kind's collection went, as recorded in a capture file (items live in the List): what the offline
 * loader reads back, plus a count for people reading the file. */
interface CapturedCollection extends LoadedCapturedCollection {
  /** Objects of this kind in the file (state `ok`). */
  count?: number;
}

/** The `lakehouse` block of a capture file. */
interface CaptureMeta {
  /** Format marker, so the loader can tell a capture from any other List. */
  format: "lakehouse-capture/v1";
  capturedAt: string;
  /** Kube context the facts came from. */
  context: string;
  /** The kinds capture asked the API for (every kind it reads): with no items, they are known to be none. */
  requested: Kind[];
  collections: Record<Kind, CapturedCollection>;
}

interface CaptureDocument {
  apiVersion: "v1";
  kind: "List";
  items: KubeObject[];
  lakehouse: CaptureMeta;
}

const LAST_APPLIED = "kubectl.kubernetes.io/last-applied-configuration";

/** Literal env values in containers of a pod spec are replaced; references (`valueFrom`) are kept. */
function scrubPodSpec(spec: unknown): void {
  if (!spec || typeof spec !== "object") return;
  const s = spec as Record<string, unknown>;
  for (const key of ["containers", "initContainers", "ephemeralContainers"]) {
    const list = s[key];
    if (!Array.isArray(list)) continue;
    for (const c of list as Record<string, unknown>[]) {
      if (!Array.isArray(c?.env)) continue;
      for (const e of c.env as Record<string, unknown>[]) {
        if (e && typeof e.value === "string") e.value = "<redacted by lakehouse capture>";
      }
    }
  }
}

/** A copy of `obj` fit for a capture file (see the module comment for what goes and why). */
export function sanitizeObject(obj: KubeObject, kind: Kind): KubeObject {
  const copy = structuredClone(obj) as KubeObject;
  if (!copy.kind) copy.kind = KIND_META[kind].kind;
  if (!copy.apiVersion) copy.apiVersion = KIND_META[kind].apiVersion;
  if (copy.metadata) {
    delete copy.metadata.managedFields;
    if (copy.metadata.annotations && LAST_APPLIED in copy.metadata.annotations) {
      const { [LAST_APPLIED]: _dropped, ...rest } = copy.metadata.annotations;
      copy.metadata.annotations = rest;
    }
  }
  if (kind === "pods") scrubPodSpec(copy.spec);
  if (kind === "deployments" || kind === "statefulsets") {
    scrubPodSpec((copy.spec?.template as { spec?: unknown } | undefined)?.spec);
  }
  return copy;
}

/** Facts -> capture document. Pure. */
export function toCaptureDocument(facts: Facts): CaptureDocument {
  const items: KubeObject[] = [];
  const collections = {} as Record<Kind, CapturedCollection>;
  for (const kind of KINDS) {
    const c = facts.kinds[kind] ?? { state: "not-collected", message: "not collected" };
    if (c.state === "ok") {
      const kept = c.items.filter((o) => o.kind !== "Secret").map((o) => sanitizeObject(o, kind));
      items.push(...kept);
      collections[kind] = { state: "ok", count: kept.length };
    } else if (c.state === "forbidden") {
      collections[kind] = { state: c.state, verb: c.verb, resource: c.resource, message: c.message };
    } else {
      collections[kind] = { state: c.state, message: c.message };
    }
  }
  return {
    apiVersion: "v1",
    kind: "List",
    items,
    lakehouse: {
      format: "lakehouse-capture/v1",
      capturedAt: facts.collectedAt,
      context: facts.origin,
      requested: KINDS.filter((k) => collections[k].state !== "not-collected"),
      collections,
    },
  };
}

/** One line for stderr: what was written, and which kinds could not be read. */
export function captureSummary(doc: CaptureDocument, file: string): string {
  const by = (state: Collection["state"]) =>
    KINDS.filter((k) => doc.lakehouse.collections[k].state === state).join(", ");
  const ok = KINDS.filter((k) => doc.lakehouse.collections[k].state === "ok").length;
  const notes = (["forbidden", "absent", "error", "not-collected"] as const)
    .map((s) => [s, by(s)] as const)
    .filter(([, kinds]) => kinds.length > 0)
    .map(([s, kinds]) => `${s}: ${kinds}`);
  return `Captured ${doc.items.length} objects (${ok} of ${KINDS.length} kinds read) from context "${doc.lakehouse.context}" to ${file}${notes.length ? `; ${notes.join("; ")}` : ""}.`;
}

/**
 * Checks that `file` can be written: not a directory, its folder exists. Called before collecting so that a
 * typo fails in milliseconds, not after a round of API calls.
 */
export function checkCaptureTarget(file: string): void {
  let stat: fs.Stats | undefined;
  try {
    stat = fs.statSync(file);
  } catch {
    stat = undefined;
  }
  if (stat?.isDirectory()) {
    throw new InputError(
      `--out ${file} is a directory; expected a file path such as ${path.join(file, "snapshot.json")}.`,
    );
  }
  const dir = path.dirname(path.resolve(file));
  if (!fs.existsSync(dir) || !fs.statSync(dir).isDirectory()) {
    throw new InputError(
      `--out ${file}: folder ${dir} does not exist. Fix: create it first or choose another path.`,
    );
  }
}

/** Writes the document (overwriting an existing file). */
export function writeCapture(file: string, doc: CaptureDocument): void {
  checkCaptureTarget(file);
  fs.writeFileSync(file, `${JSON.stringify(doc, null, 2)}\n`, { mode: 0o600 });
}

/** Live collection only (no S3 round trip), as a capture document. */
export async function captureLive(config: LakehouseConfig, live: LiveOptions): Promise<CaptureDocument> {
  const facts = await collectFacts(config, { mode: "live", ...live, skipS3: true });
  return toCaptureDocument(facts);
}
