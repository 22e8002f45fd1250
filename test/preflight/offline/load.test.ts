import * as assert from "assert/strict";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { toCaptureDocument } from "../../../preflight/capture";
import { InputError, KINDS, type Facts } from "../../../preflight/model";
import { factsFromObjects, lineColumn, loadOfflineFacts, S3 } from "../../../preflight/offline/load";
import { HEALTHY_FILES } from "../checks/helpers";

let dir: string;
before(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), "h1-offline-"))));
after(() => fs.rmSync(dir, { recursive: true, force: true }));

function file(name: string, content: unknown): string {
  const p = path.join(dir, name);
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
    inputError(() => loadOfflineFacts([dir]), /is a directory/);
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
