import { strict as assert } from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import {
  captureSummary,
  checkCaptureTarget,
  KIND_META,
  sanitizeObject,
  toCaptureDocument,
  writeCapture,
} from "../../../preflight/capture";
import type { Collection, Facts, Kind } from "../../../preflight/model";
import { InputError, KINDS } from "../../../preflight/model";
import { CHECKS } from "../../../preflight/checks";
import { parseConfig } from "../../../preflight/config/load";
import { runCheck } from "../../../preflight/evaluate";
import { loadOfflineFacts } from "../../../preflight/offline/load";

/** Live-shaped facts: API list items without kind/apiVersion, a forbidden kind, an absent CRD, metrics. */
function liveFacts(): Facts {
  const kinds = {} as Record<Kind, Collection>;
  for (const k of KINDS) kinds[k] = { state: "ok", items: [] };
  kinds.nodes = {
    state: "ok",
    items: [
      {
        metadata: { name: "anton-1", managedFields: [{ manager: "kubelet" }] },
        status: { allocatable: { cpu: "8", memory: "32Gi" } },
      },
    ],
  };
  kinds.pods = {
    state: "ok",
    items: [
      {
        apiVersion: "v1",
        kind: "Pod",
        metadata: {
          name: "airflow-web-0",
          namespace: "airflow",
          annotations: { "kubectl.kubernetes.io/last-applied-configuration": '{"password":"x"}', keep: "me" },
        },
        spec: {
          nodeName: "anton-1",
          containers: [
            {
              name: "web",
              env: [
                { name: "DB_PASSWORD", value: "hunter2-literal" },
                { name: "FROM_SECRET", valueFrom: { secretKeyRef: { name: "db", key: "pw" } } },
              ],
              resources: { requests: { cpu: "500m", memory: "1Gi" } },
            },
          ],
        },
        status: { phase: "Running" },
      },
      // A Secret must never reach the file, even if a collector returned one by mistake.
      {
        apiVersion: "v1",
        kind: "Secret",
        metadata: { name: "db", namespace: "airflow" },
        data: { pw: "c2VjcmV0" },
      },
    ],
  };
  kinds.deployments = {
    state: "ok",
    items: [
      {
        metadata: { name: "grafana", namespace: "monitoring" },
        spec: {
          template: { spec: { containers: [{ name: "g", env: [{ name: "ADMIN_PW", value: "s3cr3t" }] }] } },
        },
      },
    ],
  };
  kinds.helmreleases = {
    state: "forbidden",
    verb: "list",
    resource: "helmreleases.helm.toolkit.fluxcd.io",
    message: 'helmreleases.helm.toolkit.fluxcd.io is forbidden: User "preflight" cannot list resource',
  };
  kinds.cephobjectstores = { state: "absent", message: "CephObjectStore CRD not installed" };
  kinds.clustersecretstores = { state: "error", message: "HTTP 500 from the API server" };
  kinds.nodemetrics = {
    state: "ok",
    items: [{ metadata: { name: "anton-1" }, usage: { cpu: "2", memory: "10Gi" } }],
  };
  return {
    mode: "live",
    collectedAt: "2026-11-25T18:00:00.000Z",
    origin: "anton",
    kinds,
    s3: { state: "skipped", reason: "capture" },
    storageBandwidth: { state: "skipped", reason: "capture" },
  };
}

describe("capture: document", () => {
  const doc = toCaptureDocument(liveFacts());

  it("is a kind: List with the collection states in a top-level lakehouse block", () => {
    assert.equal(doc.apiVersion, "v1");
    assert.equal(doc.kind, "List");
    assert.equal(doc.lakehouse.capturedAt, "2026-11-25T18:00:00.000Z");
    assert.equal(doc.lakehouse.context, "anton");
    assert.deepEqual(Object.keys(doc.lakehouse.collections).sort(), [...KINDS].sort());
    assert.deepEqual(doc.lakehouse.collections.helmreleases, {
      state: "forbidden",
      verb: "list",
      resource: "helmreleases.helm.toolkit.fluxcd.io",
      message: 'helmreleases.helm.toolkit.fluxcd.io is forbidden: User "preflight" cannot list resource',
    });
    assert.deepEqual(doc.lakehouse.collections.cephobjectstores, {
      state: "absent",
      message: "CephObjectStore CRD not installed",
    });
    assert.deepEqual(doc.lakehouse.collections.pods, { state: "ok", count: 1 });
  });

  it("gives every item its kind and apiVersion, NodeMetrics included", () => {
    const node = doc.items.find((o) => o.metadata?.name === "anton-1" && o.kind === "Node");
    assert.equal(node?.apiVersion, "v1");
    const nm = doc.items.find((o) => o.kind === "NodeMetrics");
    assert.equal(nm?.apiVersion, "metrics.k8s.io/v1beta1");
    assert.ok(doc.items.every((o) => o.kind && o.apiVersion));
  });

  it("leaves out Secrets, literal env values, managedFields and last-applied-configuration", () => {
    const text = JSON.stringify(doc);
    assert.ok(!doc.items.some((o) => o.kind === "Secret"));
    for (const secret of ["hunter2-literal", "s3cr3t", "c2VjcmV0", '\\"password\\"']) {
      assert.ok(!text.includes(secret), `${secret} not in the capture`);
    }
    assert.ok(!text.includes("managedFields"));
    assert.ok(text.includes('"secretKeyRef"'), "references to Secrets are kept (they hold no value)");
    const pod = doc.items.find((o) => o.kind === "Pod")!;
    assert.deepEqual(pod.metadata?.annotations, { keep: "me" });
  });

  it("does not modify the facts it was given", () => {
    const facts = liveFacts();
    const before = JSON.stringify(facts);
    toCaptureDocument(facts);
    const pods = facts.kinds.pods;
    if (pods.state === "ok") sanitizeObject(pods.items[0], "pods");
    assert.equal(JSON.stringify(facts), before);
  });

  it("round-trips through the offline loader to the same collections", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "lakehouse-capture-"));
    try {
      const file = path.join(dir, "snapshot.json");
      writeCapture(file, doc);
      assert.equal(fs.statSync(file).mode & 0o777, 0o600, "the file is private to its owner");
      const back = loadOfflineFacts([file]);
      assert.equal(back.collectedAt, "2026-11-25T18:00:00.000Z");
      assert.match(back.origin, /anton/);
      const original = liveFacts();
      for (const k of KINDS) {
        const a = original.kinds[k];
        const b = back.kinds[k];
        assert.equal(b.state, a.state, `${k}: ${b.state} vs ${a.state}`);
        if (a.state === "ok" && b.state === "ok") {
          const names = (c: { items: { metadata?: { name?: string }; kind?: string }[] }) =>
            c.items.filter((o) => o.kind !== "Secret").map((o) => o.metadata?.name);
          assert.deepEqual(names(b), names(a), k);
        }
        if (a.state === "forbidden" && b.state === "forbidden") {
          assert.equal(b.verb, a.verb);
          assert.equal(b.resource, a.resource);
        }
      }
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it("records which kinds were asked for; one asked for and empty (no claims yet) stays 'ok, none' offline", () => {
    // Every kind capture collects, whatever came back: none of them is 'not asked for'.
    assert.deepEqual([...doc.lakehouse.requested].sort(), [...KINDS].sort());
    assert.deepEqual(doc.lakehouse.collections.objectbucketclaims, { state: "ok", count: 0 });
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "lakehouse-capture-"));
    try {
      const file = path.join(dir, "snapshot.json");
      writeCapture(file, doc);
      const onDisk = JSON.parse(fs.readFileSync(file, "utf8")) as { lakehouse: { requested: string[] } };
      assert.ok(onDisk.lakehouse.requested.includes("objectbucketclaims"));
      const back = loadOfflineFacts([file]);
      const obc = back.kinds.objectbucketclaims;
      assert.ok(obc.state === "ok" && obc.items.length === 0, `objectbucketclaims: ${obc.state}`);
      const t = runCheck(
        CHECKS.find((c) => c.id === "trigger.s3-storage")!,
        back,
        parseConfig({}, "test"),
        new Date(),
      );
      assert.equal(t.met, false, t.observed);
      assert.notEqual(t.status, "unknown");
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it("summarises what was read and what was not", () => {
    const s = captureSummary(doc, "snapshot.json");
    assert.match(s, /^Captured 4 objects \(13 of 16 kinds read\) from context "anton" to snapshot\.json/);
    assert.match(s, /forbidden: helmreleases/);
    assert.match(s, /absent: cephobjectstores/);
    assert.match(s, /error: clustersecretstores/);
  });

  it("knows the kind and apiVersion of every collected kind", () => {
    for (const k of KINDS) assert.ok(KIND_META[k].kind && KIND_META[k].apiVersion, k);
  });
});

describe("capture: target file", () => {
  let dir: string;
  before(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), "lakehouse-capture-"))));
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it("refuses a directory and a missing folder, naming the path", () => {
    assert.throws(
      () => checkCaptureTarget(dir),
      (e: unknown) => e instanceof InputError && e.message.includes(dir),
    );
    const missing = path.join(dir, "nope", "x.json");
    assert.throws(
      () => checkCaptureTarget(missing),
      (e: unknown) => e instanceof InputError && /does not exist/.test(e.message),
    );
  });

  it("overwrites an existing file", () => {
    const file = path.join(dir, "old.json");
    fs.writeFileSync(file, "old");
    writeCapture(file, toCaptureDocument(liveFacts()));
    assert.equal(JSON.parse(fs.readFileSync(file, "utf8")).kind, "List");
  });
});
