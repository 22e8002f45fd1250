import * as assert from "assert/strict";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { toCaptureDocument } from "../../../preflight/capture";
import { InputError, KINDS, type Facts } from "../../../preflight/model";
import { factsFromObjects, lineColumn, loadOfflineFacts, S3 } from "../../../preflight/offline/load";
import { HEALTHY_FILES, run } from "../checks/helpers";

let dir: string;
before(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), "h1-offline-"))));
after(() => fs.rmSync(dir, { recursive: true, force: true }));

function file(name: string, content: unknown): string {
  const p = path.join(dir, name);
  fs.mkdirSync(path.dirname(p), { recursive: true });
  fs.writeFileSync(p, typeof content === "string" ? content : JSON.stringify(content, null, 4));
  return p;
}

const node = (name: string) => ({
  apiVersion: "v1",
  kind: "Node",
  metadata: { name },
  status: { allocatable: { cpu: "4", memory: "8Gi" } },
});
const crd = (name: string) => ({
  apiVersion: "apiextensions.k8s.io/v1",
  kind: "CustomResourceDefinition",
  metadata: { name },
});

function inputError(fn: () => unknown, re: RegExp): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof InputError, `expected InputError, got ${String(e)}`);
    assert.match(e.message, re);
    return true;
  });
}

const state = (f: Facts, k: (typeof KINDS)[number]) => f.kinds[k].state;
const count = (f: Facts, k: (typeof KINDS)[number]) => {
  const c = f.kinds[k];
  return c.state === "ok" ? c.items.length : -1;
};

describe("offline loader", () => {
  it("loads the healthy kubectl List and NodeMetricsList: every kind ok", () => {
    const f = loadOfflineFacts(HEALTHY_FILES);
    assert.equal(f.mode, "offline");
    for (const k of KINDS) assert.equal(state(f, k), "ok", k);
    assert.equal(count(f, "nodes"), 4);
    assert.equal(count(f, "nodemetrics"), 4);
    assert.equal(count(f, "cephobjectstores"), 1);
    // NodeMetricsList items carry no kind: the loader gives them one.
    const m = f.kinds.nodemetrics;
    assert.ok(m.state === "ok" && m.items.every((i) => i.kind === "NodeMetrics"));
    assert.deepEqual(f.s3, S3);
    assert.equal(f.s3.state, "skipped");
    assert.match(f.origin, /cluster\.json, .*metrics\.json/);
  });

  it("a single object: documented built-ins ok, CRD kinds and metrics not-collected", () => {
    const f = loadOfflineFacts([file("node.json", node("n1"))]);
    assert.equal(count(f, "nodes"), 1);
    assert.equal(count(f, "pods"), 0);
    assert.equal(state(f, "persistentvolumeclaims"), "ok");
    assert.equal(state(f, "statefulsets"), "not-collected");
    assert.equal(state(f, "cephobjectstores"), "not-collected");
    assert.equal(state(f, "nodemetrics"), "not-collected");
    const c = f.kinds.nodemetrics;
    assert.ok(c.state === "not-collected" && /metrics\.k8s\.io\/v1beta1\/nodes/.test(c.message));
  });

  it("CRDs collected without the kind's CRD: absent, 'CephObjectStore CRD not installed'", () => {
    const f = loadOfflineFacts([
      file("crds.json", {
        apiVersion: "v1",
        kind: "List",
        items: [crd("cephclusters.ceph.rook.io"), crd("helmreleases.helm.toolkit.fluxcd.io")],
      }),
    ]);
    const c = f.kinds.cephobjectstores;
    assert.equal(c.state, "absent");
    assert.ok(c.state === "absent" && /CephObjectStore CRD not installed/.test(c.message));
    assert.equal(state(f, "kustomizations"), "absent");
    // CRD present, no objects: ok and empty.
    assert.equal(count(f, "cephclusters"), 0);
    assert.equal(count(f, "helmreleases"), 0);
  });

  it("CRD present but the kind not in the documented command (OBCs): not-collected, not 'none'", () => {
    const f = loadOfflineFacts([
      file("crd-only.json", {
        apiVersion: "v1",
        kind: "List",
        items: [crd("objectbucketclaims.objectbucket.io"), node("o1")],
      }),
    ]);
    const c = f.kinds.objectbucketclaims;
    assert.ok(
      c.state === "not-collected" &&
        /CRD is installed but the input files contain no objectbucketclaims/.test(c.message),
    );
  });

  it("a UTF-8 byte order mark does not break JSON", () => {
    const f = loadOfflineFacts([file("bom.json", "\uFEFF" + JSON.stringify(node("b1")))]);
    assert.equal(count(f, "nodes"), 1);
  });

  it("YAML with several documents, a kubectl -o yaml List and unknown kinds", () => {
    const yaml = [
      "apiVersion: v1\nkind: Node\nmetadata:\n  name: y1\n",
      "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ignored\n  namespace: default\n",
      "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources: []\n",
      "apiVersion: v1\nkind: List\nitems:\n- apiVersion: ceph.rook.io/v1\n  kind: CephObjectStore\n  metadata: {name: storage, namespace: storage}\n  status: {phase: Ready}\n- apiVersion: v1\n  kind: Node\n  metadata: {name: y2}\n",
    ].join("---\n");
    const f = loadOfflineFacts([file("multi.yaml", yaml)]);
    assert.equal(count(f, "nodes"), 2);
    assert.equal(count(f, "cephobjectstores"), 1);
    // A kustomize.config.k8s.io Kustomization is a build file, not Flux's: ignored.
    assert.equal(state(f, "kustomizations"), "not-collected");
  });

  it("typed lists (PodList) and JSON arrays of objects", () => {
    const f = loadOfflineFacts([
      file("pods.json", {
        apiVersion: "v1",
        kind: "PodList",
        items: [{ metadata: { name: "p1", namespace: "a" } }],
      }),
      file("arr.json", [node("a1"), node("a2")]),
    ]);
    assert.equal(count(f, "pods"), 1);
    assert.equal(count(f, "nodes"), 2);
  });

  it("an empty NodeMetricsList is ok with no items; metrics alone leave cluster kinds not-collected", () => {
    const f = loadOfflineFacts([
      file("m.json", { kind: "NodeMetricsList", apiVersion: "metrics.k8s.io/v1beta1", items: [] }),
    ]);
    assert.equal(count(f, "nodemetrics"), 0);
    assert.equal(state(f, "nodes"), "not-collected");
  });

  it("the same object in two files counts once", () => {
    const f = loadOfflineFacts([
      file("a.json", node("dup")),
      file("b.json", { kind: "List", apiVersion: "v1", items: [node("dup")] }),
    ]);
    assert.equal(count(f, "nodes"), 1);
  });

  it("malformed JSON names the file, line and column", () => {
    const text = '{\n    "kind": "List",\n    "items": [\n        {"kind": "Node",}\n    ]\n}\n';
    const p = file("bad.json", text);
    inputError(() => loadOfflineFacts([p]), new RegExp(`${p.replace(/[.]/g, "\\.")}:4:25: malformed JSON`));
  });

  it("truncated JSON points at the end", () => {
    const p = file("trunc.json", '{\n  "kind": "List",\n  "items": [\n');
    inputError(
      () => loadOfflineFacts([p]),
      /trunc\.json:4:1: malformed JSON \(Unexpected end of JSON input\)/,
    );
  });

  it("malformed YAML names the file, line and column", () => {
    const p = file("bad.yaml", "apiVersion: v1\nkind: Node\nmetadata:\n  name: [unclosed\n");
    inputError(() => loadOfflineFacts([p]), /bad\.yaml:\d+:\d+: malformed YAML/);
  });

  it("missing, empty and non-object inputs are InputErrors naming the file", () => {
    inputError(
      () => loadOfflineFacts([path.join(dir, "nope.json")]),
      /nope\.json: the input file does not exist/,
    );
    inputError(() => loadOfflineFacts([file("empty.json", "  \n")]), /empty\.json: the file is empty/);
    inputError(
      () => loadOfflineFacts([file("scalar.yaml", "just a string\n")]),
      /scalar\.yaml: expected Kubernetes objects/,
    );
    const empty = fs.mkdtempSync(path.join(dir, "empty-"));
    inputError(() => loadOfflineFacts([empty]), /empty-\w+: the folder holds no \.json or \.yaml files/);
    inputError(() => loadOfflineFacts([]), /no input files/);
  });

  it("a capture file keeps collection states: forbidden stays forbidden offline", () => {
    const p = file("capture.json", {
      apiVersion: "v1",
      kind: "List",
      items: [node("c1")],
      lakehouse: {
        format: "lakehouse-capture/v1",
        capturedAt: "2026-11-20T10:00:00.000Z",
        context: "admin@anton",
        collections: {
          nodes: { state: "ok", count: 1 },
          cephobjectstores: {
            state: "forbidden",
            verb: "list",
            resource: "cephobjectstores.ceph.rook.io",
            message: "403",
          },
          nodemetrics: { state: "absent", message: "metrics.k8s.io not served" },
          helmreleases: { state: "ok", count: 0 },
        },
      },
    });
    const f = loadOfflineFacts([p]);
    assert.equal(f.collectedAt, "2026-11-20T10:00:00.000Z");
    assert.match(f.origin, /captured from context admin@anton/);
    const c = f.kinds.cephobjectstores;
    assert.ok(c.state === "forbidden" && c.verb === "list" && c.resource === "cephobjectstores.ceph.rook.io");
    assert.equal(state(f, "nodemetrics"), "absent");
    assert.equal(count(f, "helmreleases"), 0);
  });

  it("a capture made by `capture` round-trips to the same collection states", () => {
    const live = factsFromObjects([node("r1"), crd("cephclusters.ceph.rook.io")], {
      origin: "ctx",
      collectedAt: "2026-11-25T00:00:00.000Z",
    });
    live.mode = "live";
    live.kinds.pods = { state: "forbidden", verb: "list", resource: "pods", message: "forbidden" };
    live.kinds.deployments = { state: "error", message: "timeout after 10000 ms" };
    const p = file("roundtrip.json", toCaptureDocument(live));
    const back = loadOfflineFacts([p]);
    for (const k of KINDS) assert.equal(back.kinds[k].state, live.kinds[k].state, k);
    assert.equal(back.collectedAt, live.collectedAt);
  });

  it("a capture with an invalid state is an InputError naming the field", () => {
    const p = file("badcap.json", {
      apiVersion: "v1",
      kind: "List",
      items: [],
      lakehouse: { collections: { nodes: { state: "maybe" } } },
    });
    inputError(() => loadOfflineFacts([p]), /lakehouse\.collections\.nodes\.state is "maybe"/);
  });

  it("lineColumn counts from 1", () => {
    assert.deepEqual(lineColumn("ab\ncd", 0), { line: 1, column: 1 });
    assert.deepEqual(lineColumn("ab\ncd", 4), { line: 2, column: 2 });
  });
});

describe("offline loader: which kinds were asked for", () => {
  /** The healthy cluster List without its ObjectBucketClaims: the claim CRD is installed, no claim exists. */
  const noClaims = () => {
    const list = JSON.parse(fs.readFileSync(HEALTHY_FILES[0], "utf8")) as { items: { kind: string }[] };
    list.items = list.items.filter((i) => i.kind !== "ObjectBucketClaim");
    return list;
  };
  const emptyList = { apiVersion: "v1", kind: "List", items: [], metadata: { resourceVersion: "" } };
  const s3Trigger = (files: string[]) => run("trigger.s3-storage", loadOfflineFacts(files));

  it("old-style kubectl List, no claims: objectbucketclaims not-collected, trigger.s3-storage unknown (as before)", () => {
    const f = loadOfflineFacts([file("old/cluster.json", noClaims()), HEALTHY_FILES[1]]);
    assert.equal(state(f, "objectbucketclaims"), "not-collected");
    const c = f.kinds.objectbucketclaims;
    assert.ok(
      c.state === "not-collected" &&
        /save `kubectl get objectbucketclaims -A -o json` as objectbucketclaims\.json/.test(c.message),
    );
    const t = s3Trigger([file("old/cluster.json", noClaims())]);
    assert.equal(t.status, "unknown");
    assert.equal(t.met, null);
  });

  it("an empty List in objectbucketclaims.json (asked for, none exist): ok, no items; the trigger is determined", () => {
    const files = [file("asked/cluster.json", noClaims()), file("asked/objectbucketclaims.json", emptyList)];
    const f = loadOfflineFacts(files);
    assert.equal(count(f, "objectbucketclaims"), 0);
    const t = s3Trigger(files);
    assert.notEqual(t.status, "unknown");
    assert.equal(t.met, false);
    assert.match(t.observed, /No ObjectBucketClaims exist/);
  });

  it("kubectl short names and YAML count too (obc.yaml, crd.json); a folder loads its snapshot files", () => {
    file("perkind/nodes.json", { ...emptyList, items: [node("k1")] });
    file("perkind/crd.json", { ...emptyList, items: [crd("objectbucketclaims.objectbucket.io")] });
    file("perkind/obc.yaml", "apiVersion: v1\nkind: List\nitems: []\nmetadata:\n  resourceVersion: ''\n");
    file("perkind/statefulsets.json", emptyList);
    file("perkind/notes.txt", "not a snapshot");
    const f = loadOfflineFacts([path.join(dir, "perkind")]);
    assert.equal(count(f, "nodes"), 1);
    assert.equal(count(f, "objectbucketclaims"), 0);
    // statefulsets are not-collected from a plain List; asked for, they are known to be none.
    assert.equal(count(f, "statefulsets"), 0);
    // The folder's CRDs hold only the claims' CRD: the other CRD-backed kinds are not installed.
    assert.equal(state(f, "clustersecretstores"), "absent");
    assert.equal(state(f, "gitrepositories"), "absent");
  });

  it("a typed list (kubectl get --raw .../objectbucketclaims) says what was asked for, whatever the file name", () => {
    const f = loadOfflineFacts([
      file("typed/cluster.json", noClaims()),
      file("typed/raw.json", {
        apiVersion: "objectbucket.io/v1alpha1",
        kind: "ObjectBucketClaimList",
        items: [],
      }),
    ]);
    assert.equal(count(f, "objectbucketclaims"), 0);
  });

  it("lakehouse.requested on a List (a wrapper script's header) marks the kinds asked for, kubectl names allowed", () => {
    const f = loadOfflineFacts([
      file("wrapped.json", {
        ...noClaims(),
        lakehouse: { requested: ["nodes", "pvc", "obc", "css", "configmaps"] },
      }),
    ]);
    assert.equal(count(f, "objectbucketclaims"), 0);
    assert.equal(count(f, "clustersecretstores"), 1);
    // statefulsets were not requested here: a plain List's rules still apply.
    assert.equal(count(f, "statefulsets"), 7);
    assert.equal(state(f, "nodemetrics"), "not-collected");
  });

  it("a file named after a kind that holds other kinds is a plain List (no claim that OBCs were asked for)", () => {
    const f = loadOfflineFacts([file("misnamed/objectbucketclaims.json", noClaims())]);
    assert.equal(state(f, "objectbucketclaims"), "not-collected");
  });

  it("an invalid lakehouse.requested is an InputError naming the field", () => {
    inputError(
      () => loadOfflineFacts([file("badreq.json", { ...emptyList, lakehouse: { requested: "nodes" } })]),
      /badreq\.json: lakehouse\.requested is "nodes"; expected a list of resource names/,
    );
    inputError(
      () => loadOfflineFacts([file("badreq2.json", { ...emptyList, lakehouse: { requested: [1] } })]),
      /lakehouse\.requested\[0\] is 1; expected a resource name/,
    );
  });
});
