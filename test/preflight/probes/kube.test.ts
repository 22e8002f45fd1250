/**
 * The live Kubernetes probe through the real @kubernetes/client-node against the API stand-in
 * (harness/kube-api.ts), fed with the healthy homelab fixtures.
 */
import { strict as assert } from "assert";
import { spawn } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { parseConfig } from "../../../preflight/config/load";
import { InputError, KINDS, type Facts, type Kind, type KubeObject } from "../../../preflight/model";
import { evaluate } from "../../../preflight/evaluate";
import { loadOfflineFacts } from "../../../preflight/offline/load";
import { collectLiveFacts } from "../../../preflight/probes";
import { KIND_SPECS, loadKubeConfig, readSecretData, secretPresence } from "../../../preflight/probes/kube";
import {
  loadObjects,
  refusedUrl,
  startKubeApi,
  kubeconfigYaml,
  type KubeApi,
} from "../../../harness/kube-api";

const FIXTURES = path.resolve(__dirname, "..", "..", "fixtures", "healthy");
const ROOT = path.resolve(__dirname, "..", "..", "..");

const config = (probe: { pageSize?: number; requestTimeoutMs?: number } = {}) =>
  parseConfig({ probe: { pageSize: 500, requestTimeoutMs: 5000, ...probe } }, "test");

/** Which fixture objects belong to a kind (by apiVersion group and item kind). */
const ofKind = (objects: KubeObject[], kind: Kind) => {
  const spec = KIND_SPECS[kind];
  return objects.filter(
    (o) =>
      o.kind === spec.itemKind &&
      (o.apiVersion ?? "").split("/").length === (spec.group ? 2 : 1) &&
      (spec.group ? (o.apiVersion ?? "").startsWith(`${spec.group}/`) : true),
  );
};

const SECRET_VALUE = "s3cr3t-Value-never-in-facts";
const SECRET: KubeObject = {
  apiVersion: "v1",
  kind: "Secret",
  metadata: { name: "rgw-admin", namespace: "storage" },
  type: "Opaque",
  data: {
    AccessKey: Buffer.from("AKIASTANDIN").toString("base64"),
    SecretKey: Buffer.from(SECRET_VALUE).toString("base64"),
  },
};

describe("live Kubernetes probe (client-node against the API stand-in)", function () {
  const objects = loadObjects(FIXTURES);
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "kube-probe-"));
  const started: KubeApi[] = [];
  const start = async (opts: Parameters<typeof startKubeApi>[0]) => {
    const api = await startKubeApi(opts);
    started.push(api);
    return { api, kubeconfig: api.writeKubeconfig(fs.mkdtempSync(path.join(tmp, "kc-"))) };
  };

  after(async () => {
    await Promise.all(started.map((a) => a.stop()));
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  it("has fixtures to serve", () => {
    assert.ok(objects.length > 100, `expected the healthy fixtures in ${FIXTURES}`);
  });

  describe("a healthy cluster", () => {
    let api: KubeApi;
    let facts: Facts;
    before(async () => {
      const s = await start({ objects: [...objects, SECRET] });
      api = s.api;
      facts = await collectLiveFacts(config(), { kubeconfig: s.kubeconfig, skipS3: true });
    });

    it("collects every kind with exactly the fixture's objects", () => {
      assert.equal(facts.mode, "live");
      assert.match(facts.origin, /stand-in/);
      for (const kind of KINDS) {
        const c = facts.kinds[kind];
        assert.equal(c.state, "ok", `${kind}: ${JSON.stringify(c)}`);
        if (c.state !== "ok") continue;
        const expected = ofKind(objects, kind).map(
          (o) => `${o.metadata?.namespace ?? ""}/${o.metadata?.name}`,
        );
        assert.ok(expected.length > 0, `fixture has ${kind}`);
        assert.deepEqual(
          c.items.map((o) => `${o.metadata?.namespace ?? ""}/${o.metadata?.name}`).sort(),
          expected.sort(),
        );
      }
    });

    it("returns kubectl JSON: apiVersion and kind on every item, timestamps and quantities as the API sent them", () => {
      for (const kind of KINDS) {
        const c = facts.kinds[kind];
        if (c.state !== "ok") continue;
        for (const it of c.items) {
          assert.equal(it.kind, KIND_SPECS[kind].itemKind, kind);
          assert.ok(it.apiVersion, kind);
        }
      }
      const node = facts.kinds.nodes.state === "ok" ? facts.kinds.nodes.items[0] : undefined;
      const fixtureNode = objects.find((o) => o.kind === "Node" && o.metadata?.name === node?.metadata?.name);
      assert.ok(node && fixtureNode);
      assert.deepEqual(node, fixtureNode);
      const metrics = facts.kinds.nodemetrics.state === "ok" ? facts.kinds.nodemetrics.items[0] : undefined;
      assert.equal(metrics?.apiVersion, "metrics.k8s.io/v1beta1");
      assert.equal(typeof (metrics?.usage as { cpu?: unknown })?.cpu, "string");
    });

    it("makes one list call per kind (pageSize above every count) and nothing else", () => {
      const lists = api.requests.filter((r) => r.verb === "list");
      assert.equal(lists.length, KINDS.length, JSON.stringify(api.requests.map((r) => r.path)));
      assert.equal(api.requests.length, KINDS.length, "no discovery, no gets, no retries");
      assert.deepEqual(new Set(lists.map((r) => r.path)).size, KINDS.length);
      for (const r of lists) assert.equal(r.query.limit, "500");
      assert.ok(!api.requests.some((r) => r.plural === "secrets"), "secrets are never listed");
    });

    it("gives the same objects and the same verdict as offline mode on the same kubectl files", () => {
      const files = fs.readdirSync(FIXTURES).map((f) => path.join(FIXTURES, f));
      const offline = loadOfflineFacts(files);
      const key = (o: KubeObject) => `${o.metadata?.namespace ?? ""}/${o.metadata?.name ?? ""}`;
      for (const kind of KINDS) {
        const [l, o] = [facts.kinds[kind], offline.kinds[kind]];
        assert.equal(l.state, o.state, kind);
        if (l.state === "ok" && o.state === "ok") {
          const sort = (xs: KubeObject[]) => [...xs].sort((a, b) => key(a).localeCompare(key(b)));
          assert.deepEqual(sort(l.items), sort(o.items), kind);
        }
      }
      const now = new Date("2026-11-25T18:05:00Z");
      const cfg = config();
      // The two S3 checks are skipped on both sides, for different reasons (skipS3 here, offline there).
      const s3 = ["state.s3-api", "risk.storage-bandwidth"];
      const strip = (r: ReturnType<typeof evaluate>) =>
        r.checks.filter((c) => !s3.includes(c.id)).map((c) => [c.id, c.status, c.observed]);
      const live = evaluate(facts, { config: cfg, stack: null, now });
      const off = evaluate(offline, { config: cfg, stack: null, now });
      assert.deepEqual(strip(live), strip(off));
    });

    it("puts no Secret value anywhere in the facts", () => {
      const text = JSON.stringify(facts);
      assert.ok(!text.includes(SECRET_VALUE));
      assert.ok(!text.includes(Buffer.from(SECRET_VALUE).toString("base64")));
    });
  });

  it("pages with limit and continue: one request per page, every item once", async () => {
    const { api, kubeconfig } = await start({ objects });
    const facts = await collectLiveFacts(config({ pageSize: 5 }), { kubeconfig, skipS3: true });
    let expectedRequests = 0;
    for (const kind of KINDS) {
      const n = ofKind(objects, kind).length;
      const pages = Math.max(1, Math.ceil(n / 5));
      expectedRequests += pages;
      const spec = KIND_SPECS[kind];
      const reqs = api.requests.filter((r) => r.plural === spec.plural && r.group === spec.group);
      assert.equal(reqs.length, pages, `${kind}: ${n} objects in pages of 5`);
      assert.equal(reqs[0].query.continue, undefined);
      for (const r of reqs.slice(1))
        assert.ok(r.query.continue, `${kind}: later pages carry the continue token`);
      assert.ok(reqs.every((r) => r.query.limit === "5"));
      const c = facts.kinds[kind];
      assert.equal(c.state, "ok");
      if (c.state === "ok") {
        const keys = c.items.map((o) => `${o.metadata?.namespace}/${o.metadata?.name}`);
        assert.equal(new Set(keys).size, n, `${kind}: no duplicates, nothing lost`);
      }
    }
    assert.equal(api.requests.length, expectedRequests);
    assert.ok(expectedRequests > KINDS.length + 10, "the fixtures really page");
  });

  it("starts every kind before any answer comes back (concurrent, not one after another)", async () => {
    const { api, kubeconfig } = await start({ objects, latencyMs: 400 });
    await collectLiveFacts(config(), { kubeconfig, skipS3: true });
    const firstAnswer = Math.min(...api.requests.map((r) => r.doneTime ?? Infinity));
    const started = api.requests.filter((r) => r.time < firstAnswer).map((r) => r.path);
    assert.equal(
      new Set(started).size,
      KINDS.length,
      `started before the first answer: ${started.join(", ")}`,
    );
  });

  it("an expired continue token (410) -> one unpaged list of that kind, like client-go's pager", async () => {
    const { api, kubeconfig } = await start({
      objects,
      extraRoutes: (req, res) => {
        const url = new URL(req.url ?? "/", "http://x");
        if (url.pathname !== "/api/v1/pods" || !url.searchParams.has("continue")) return false;
        res.writeHead(410, { "content-type": "application/json" });
        res.end(
          JSON.stringify({
            kind: "Status",
            apiVersion: "v1",
            status: "Failure",
            reason: "Expired",
            code: 410,
          }),
        );
        return true;
      },
    });
    const facts = await collectLiveFacts(config({ pageSize: 20 }), { kubeconfig, skipS3: true });
    const pods = facts.kinds.pods;
    assert.equal(pods.state, "ok");
    if (pods.state === "ok") assert.equal(pods.items.length, ofKind(objects, "pods").length);
    assert.deepEqual(
      api.requests
        .filter((r) => r.plural === "pods")
        .map((r) => [r.query.limit, r.query.continue !== undefined, r.status]),
      [
        ["20", false, 200],
        ["20", true, 410],
        [undefined, false, 200],
      ],
    );
  });

  it("403 on one kind -> forbidden naming verb and resource; the other kinds still ok", async () => {
    const { kubeconfig } = await start({ objects, faults: { cephobjectstores: 403 } });
    const facts = await collectLiveFacts(config(), { kubeconfig, skipS3: true });
    const c = facts.kinds.cephobjectstores;
    assert.equal(c.state, "forbidden");
    if (c.state === "forbidden") {
      assert.equal(c.verb, "list");
      assert.equal(c.resource, "cephobjectstores.ceph.rook.io");
      assert.match(c.message, /may not list cephobjectstores\.ceph\.rook\.io/);
      assert.match(
        c.message,
        /cannot list resource "cephobjectstores"/,
        "the API's own Status message is kept",
      );
    }
    for (const kind of KINDS.filter((k) => k !== "cephobjectstores"))
      assert.equal(facts.kinds[kind].state, "ok", kind);
  });

  it("403 on a core kind names the core resource without a group", async () => {
    const { kubeconfig } = await start({ objects, faults: { "/api/v1/nodes": 403 } });
    const facts = await collectLiveFacts(config(), { kubeconfig, skipS3: true });
    assert.deepEqual(
      facts.kinds.nodes.state === "forbidden" && [facts.kinds.nodes.verb, facts.kinds.nodes.resource],
      ["list", "nodes"],
    );
    assert.equal(facts.kinds.nodemetrics.state, "ok", "metrics nodes are another resource");
  });

  it("404 -> absent: CRD not installed, metrics-server missing; an installed CRD with no objects is ok and empty", async () => {
    const noCephNoMetrics = objects.filter(
      (o) =>
        !(o.apiVersion ?? "").startsWith("ceph.rook.io/") &&
        !(o.kind === "CustomResourceDefinition" && String(o.metadata?.name).endsWith(".ceph.rook.io")) &&
        !(o.apiVersion ?? "").startsWith("metrics.k8s.io/") &&
        !(o.apiVersion ?? "").startsWith("objectbucket.io/"),
    );
    const { kubeconfig } = await start({ objects: noCephNoMetrics });
    const facts = await collectLiveFacts(config(), { kubeconfig, skipS3: true });
    assert.deepEqual(facts.kinds.cephobjectstores, {
      state: "absent",
      message: "CephObjectStore CRD not installed (the API does not serve cephobjectstores.ceph.rook.io)",
    });
    assert.equal(facts.kinds.cephclusters.state, "absent");
    assert.deepEqual(facts.kinds.nodemetrics, {
      state: "absent",
      message: "metrics.k8s.io not served (metrics-server missing)",
    });
    // objectbucket.io CRDs are still installed: served, no objects.
    assert.deepEqual(facts.kinds.objectbucketclaims, { state: "ok", items: [] });
  });

  it("falls back to an older served version (External Secrets v1beta1 only)", async () => {
    const old = objects
      .filter(
        (o) =>
          !(
            o.kind === "CustomResourceDefinition" && String(o.metadata?.name).endsWith("external-secrets.io")
          ),
      )
      .map((o) =>
        o.kind === "ClusterSecretStore" ? { ...o, apiVersion: "external-secrets.io/v1beta1" } : o,
      );
    const { api, kubeconfig } = await start({ objects: old });
    const facts = await collectLiveFacts(config(), { kubeconfig, skipS3: true });
    const c = facts.kinds.clustersecretstores;
    assert.equal(c.state, "ok");
    if (c.state === "ok") assert.equal(c.items[0].apiVersion, "external-secrets.io/v1beta1");
    assert.deepEqual(
      api.requests.filter((r) => r.plural === "clustersecretstores").map((r) => [r.path, r.status]),
      [
        ["/apis/external-secrets.io/v1/clustersecretstores", 404],
        ["/apis/external-secrets.io/v1beta1/clustersecretstores", 200],
      ],
    );
  });

  it("500 -> error with the status and the API's message", async () => {
    const { kubeconfig } = await start({ objects, faults: { "helmreleases.helm.toolkit.fluxcd.io": 500 } });
    const facts = await collectLiveFacts(config(), { kubeconfig, skipS3: true });
    const c = facts.kinds.helmreleases;
    assert.equal(c.state, "error");
    if (c.state === "error") {
      assert.match(c.message, /helmreleases\.helm\.toolkit\.fluxcd\.io/);
      assert.match(c.message, /HTTP 500/);
      assert.match(c.message, /Internal error occurred/);
    }
    assert.equal(facts.kinds.kustomizations.state, "ok");
  });

  it("a hung or too slow kind -> error naming the timeout; the others are ok", async () => {
    const { kubeconfig } = await start({
      objects,
      faults: { "/api/v1/pods": "hang", persistentvolumeclaims: { delayMs: 5000 } },
    });
    const facts = await collectLiveFacts(config({ requestTimeoutMs: 300 }), { kubeconfig, skipS3: true });
    for (const kind of ["pods", "persistentvolumeclaims"] as const) {
      const c = facts.kinds[kind];
      assert.equal(c.state, "error", kind);
      if (c.state === "error") assert.match(c.message, /did not answer the list of .* within 300 ms/);
    }
    assert.equal(facts.kinds.nodes.state, "ok");
  });

  it("a hang never keeps the process alive: a child process collecting against a hung API exits by itself", async function () {
    this.timeout(180_000);
    const { kubeconfig } = await start({ objects, faults: { "/api": "hang", "/apis": "hang" } });
    const script = `
      const { collectLiveFacts } = require("./preflight/probes");
      const { parseConfig } = require("./preflight/config/load");
      collectLiveFacts(parseConfig({ probe: { requestTimeoutMs: 300 } }, "t"), { kubeconfig: ${JSON.stringify(kubeconfig)}, skipS3: true })
        .then((f) => console.log(JSON.stringify(Object.values(f.kinds).map((c) => c.state))));`;
    const child = spawn(process.execPath, ["-r", "ts-node/register/transpile-only", "-e", script], {
      cwd: ROOT,
      stdio: ["ignore", "pipe", "pipe"],
    });
    let out = "";
    let err = "";
    child.stdout.on("data", (d: Buffer) => (out += d.toString()));
    child.stderr.on("data", (d: Buffer) => (err += d.toString()));
    // The bound only catches a process that never exits: ts-node's start alone took 19 s at load 20, so it is
    // far above that; exiting by itself is the assertion, not how fast.
    const code = await new Promise<number | null>((resolve) => {
      const killer = setTimeout(() => {
        child.kill("SIGKILL");
        resolve(null);
      }, 150_000);
      child.once("close", (c) => {
        clearTimeout(killer);
        resolve(c);
      });
    });
    assert.equal(code, 0, `child did not exit on its own (stderr: ${err})`);
    assert.deepEqual(
      JSON.parse(out),
      KINDS.map(() => "error"),
    );
  });

  it("a refused connection -> every kind error, no throw", async () => {
    const url = await refusedUrl();
    const dir = fs.mkdtempSync(path.join(tmp, "refused-"));
    const kubeconfig = path.join(dir, "kubeconfig");
    fs.writeFileSync(kubeconfig, kubeconfigYaml(url));
    const facts = await collectLiveFacts(config(), { kubeconfig, skipS3: true });
    for (const kind of KINDS) {
      const c = facts.kinds[kind];
      assert.equal(c.state, "error", kind);
      if (c.state === "error")
        assert.match(c.message, new RegExp(`Cannot connect to the API server ${url}: connection refused`));
    }
  });

  describe("kubeconfig loading", () => {
    it("a missing --kubeconfig file -> InputError naming the file and the fix", async () => {
      const missing = path.join(tmp, "nope", "kubeconfig");
      await assert.rejects(collectLiveFacts(config(), { kubeconfig: missing }), (e: unknown) => {
        assert.ok(e instanceof InputError);
        assert.match(e.message, new RegExp(`kubeconfig file ${missing.replace(/[/\\.]/g, "\\$&")}`));
        assert.match(e.message, /--kubeconfig/);
        return true;
      });
    });

    it("an unparsable kubeconfig -> InputError naming the file", () => {
      const bad = path.join(tmp, "bad-kubeconfig");
      fs.writeFileSync(bad, "clusters: [unclosed\n");
      assert.throws(
        () => loadKubeConfig(bad),
        (e: unknown) => e instanceof InputError && e.message.includes(bad),
      );
    });

    it("KUBECONFIG naming no existing file, or nothing at all -> InputError", () => {
      assert.throws(
        () => loadKubeConfig(undefined, undefined, { KUBECONFIG: path.join(tmp, "absent") }),
        (e: unknown) => e instanceof InputError && /KUBECONFIG names .*absent/.test(e.message),
      );
      assert.throws(
        () => loadKubeConfig(undefined, undefined, { HOME: tmp }),
        (e: unknown) => e instanceof InputError && /No kubeconfig found/.test(e.message),
      );
    });

    it("a plain-HTTP server without insecure-skip-tls-verify (kubectl proxy) works, as with kubectl", async () => {
      const { api } = await start({ objects });
      const file = path.join(fs.mkdtempSync(path.join(tmp, "proxy-")), "kubeconfig");
      fs.writeFileSync(
        file,
        kubeconfigYaml(api.url, "proxy").replace(/^\s*insecure-skip-tls-verify: true\n/m, ""),
      );
      assert.ok(!fs.readFileSync(file, "utf8").includes("insecure-skip-tls-verify"));
      const facts = await collectLiveFacts(config(), { kubeconfig: file, skipS3: true });
      assert.equal(facts.kinds.nodes.state, "ok", JSON.stringify(facts.kinds.nodes));
    });

    it("an unknown --context -> InputError listing the contexts; a known one is used", async () => {
      const { kubeconfig } = await start({ objects: [] });
      assert.throws(
        () => loadKubeConfig(kubeconfig, "prod"),
        (e: unknown) =>
          e instanceof InputError && /Context "prod" is not in .* it has stand-in/.test(e.message),
      );
      assert.equal(loadKubeConfig(kubeconfig, "stand-in").context, "stand-in");
      assert.equal(loadKubeConfig(undefined, undefined, { KUBECONFIG: kubeconfig }).context, "stand-in");
      // KUBECONFIG with several files, like kubectl: missing ones skipped, merged, the first current-context wins.
      const second = path.join(tmp, "second-kubeconfig");
      fs.writeFileSync(second, kubeconfigYaml("http://127.0.0.1:9", "second"));
      const KUBECONFIG = [path.join(tmp, "missing"), kubeconfig, second].join(path.delimiter);
      assert.equal(loadKubeConfig(undefined, undefined, { KUBECONFIG }).context, "stand-in");
      assert.deepEqual(
        [
          loadKubeConfig(undefined, "second", { KUBECONFIG }).server,
          loadKubeConfig(undefined, "second", { KUBECONFIG }).context,
        ],
        ["http://127.0.0.1:9", "second"],
      );
    });
  });

  describe("readSecretData", () => {
    it("reads one Secret with a single GET; missing -> undefined; forbidden -> a reason naming verb and secret", async () => {
      const { api, kubeconfig } = await start({
        objects: [SECRET],
        faults: { "/api/v1/namespaces/other": 403 },
      });
      const loaded = loadKubeConfig(kubeconfig);
      assert.deepEqual(await readSecretData(loaded, "storage", "rgw-admin", 2000), SECRET.data);
      assert.deepEqual(
        api.requests.map((r) => [r.method, r.path, r.verb]),
        [["GET", "/api/v1/namespaces/storage/secrets/rgw-admin", "get"]],
      );
      assert.equal(await readSecretData(loaded, "storage", "missing", 2000), undefined);
      await assert.rejects(
        readSecretData(loaded, "other", "rgw-admin", 2000),
        /may not get secrets "rgw-admin" in namespace other \(HTTP 403\)/,
      );
    });

    it("a hung GET rejects with the timeout", async () => {
      const { kubeconfig } = await start({ objects: [SECRET], faults: { secrets: "hang" } });
      await assert.rejects(
        readSecretData(loadKubeConfig(kubeconfig), "storage", "rgw-admin", 200),
        /did not answer within 200 ms/,
      );
    });
  });

  describe("secretPresence", () => {
    it("asks for metadata only, so no secret value reaches the process; present (with uid), absent, or unknown with the reason", async () => {
      const withUid = { ...SECRET, metadata: { ...SECRET.metadata, uid: "0d9c-kept" } };
      const { api, kubeconfig } = await start({
        objects: [withUid],
        faults: { "/api/v1/namespaces/other": 403 },
      });
      const loaded = loadKubeConfig(kubeconfig);
      const seen = await secretPresence(loaded, "storage", "rgw-admin", 2000);
      assert.deepEqual(seen, { state: "present", uid: "0d9c-kept" });
      assert.equal(api.requests.length, 1);
      assert.equal(api.requests[0].path, "/api/v1/namespaces/storage/secrets/rgw-admin");
      assert.match(api.requests[0].accept ?? "", /as=PartialObjectMetadata;g=meta\.k8s\.io;v=v1/);
      assert.deepEqual(await secretPresence(loaded, "storage", "missing", 2000), { state: "absent" });
      assert.deepEqual(await secretPresence(loaded, "other", "rgw-admin", 2000), {
        state: "unknown",
        reason: 'the identity may not get secrets "rgw-admin" in namespace other (HTTP 403)',
      });
    });

    it("a hung GET is unknown after the timeout, never a hang", async () => {
      const { kubeconfig } = await start({ objects: [SECRET], faults: { secrets: "hang" } });
      const seen = await secretPresence(loadKubeConfig(kubeconfig), "storage", "rgw-admin", 200);
      assert.equal(seen.state, "unknown");
      assert.match((seen as { reason: string }).reason, /did not answer within 200 ms/);
    });
  });
});
