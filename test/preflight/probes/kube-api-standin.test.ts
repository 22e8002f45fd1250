/**
 * The Kubernetes API stand-in itself (harness/kube-api.ts), through the real client-node where a client
 * method exists: other suites (probes, CLI, verify) trust its paging, errors and routes.
 */
import { strict as assert } from "assert";
import * as http from "http";
import { ApiException, BatchV1Api, CoreV1Api, CustomObjectsApi } from "@kubernetes/client-node";
import {
  compareKubeVersions,
  flatten,
  refusedUrl,
  startKubeApi,
  type KubeApi,
} from "../../../harness/kube-api";
import { waitFor } from "../../../harness/proc";

const pod = (ns: string, name: string, labels: Record<string, string> = {}) => ({
  apiVersion: "v1",
  kind: "Pod",
  metadata: { name, namespace: ns, labels },
  spec: { containers: [{ name: "c", image: "busybox:1.36" }] },
});

/** Plain GET returning status and parsed body (for paths client-node has no method for). */
const get = (url: string) =>
  new Promise<{ status: number; body: Record<string, unknown> }>((resolve, reject) => {
    http
      .get(url, (res) => {
        let text = "";
        res.on("data", (d: Buffer) => (text += d.toString()));
        res.on("end", () =>
          resolve({ status: res.statusCode ?? 0, body: JSON.parse(text) as Record<string, unknown> }),
        );
      })
      .on("error", reject);
  });

describe("Kubernetes API stand-in", () => {
  const apis: KubeApi[] = [];
  const start = async (opts: Parameters<typeof startKubeApi>[0]) => {
    const api = await startKubeApi(opts);
    apis.push(api);
    return api;
  };
  after(async () => {
    await Promise.all(apis.map((a) => a.stop()));
  });

  it("flattens kubectl Lists, filling apiVersion/kind from the list", () => {
    const items = flatten({
      apiVersion: "metrics.k8s.io/v1beta1",
      kind: "NodeMetricsList",
      items: [{ metadata: { name: "n1" }, usage: { cpu: "1" } }],
    });
    assert.deepEqual(items, [
      {
        apiVersion: "metrics.k8s.io/v1beta1",
        kind: "NodeMetrics",
        metadata: { name: "n1" },
        usage: { cpu: "1" },
      },
    ]);
  });

  it("lists per namespace and across namespaces, with label selectors, paging and a rejected bad token", async () => {
    const api = await start({
      objects: [pod("a", "p1", { app: "x" }), pod("a", "p2", { app: "y" }), pod("b", "p3", { app: "x" })],
    });
    const core = api.kubeConfig().makeApiClient(CoreV1Api);
    assert.deepEqual(
      (await core.listNamespacedPod({ namespace: "a" })).items.map((p) => p.metadata?.name),
      ["p1", "p2"],
    );
    assert.deepEqual(
      (await core.listPodForAllNamespaces({ labelSelector: "app=x" })).items.map((p) => p.metadata?.name),
      ["p1", "p3"],
    );
    const page1 = await core.listPodForAllNamespaces({ limit: 2 });
    assert.equal(page1.items.length, 2);
    assert.equal(page1.metadata?.remainingItemCount, 1);
    const page2 = await core.listPodForAllNamespaces({ limit: 2, _continue: page1.metadata?._continue });
    assert.deepEqual(
      page2.items.map((p) => p.metadata?.name),
      ["p3"],
    );
    assert.equal(page2.metadata?._continue, undefined);
    await assert.rejects(core.listPodForAllNamespaces({ limit: 2, _continue: "garbage" }), (e: unknown) => {
      return e instanceof ApiException && e.code === 400;
    });
  });

  it("creates, reads and deletes objects; 404 and 409 carry Status bodies", async () => {
    const api = await start({});
    const batch = api.kubeConfig().makeApiClient(BatchV1Api);
    const job = {
      apiVersion: "batch/v1",
      kind: "Job",
      metadata: { name: "j1" },
      spec: {
        template: { spec: { containers: [{ name: "c", image: "busybox:1.36" }], restartPolicy: "Never" } },
      },
    };
    const created = await batch.createNamespacedJob({ namespace: "lakehouse", body: job });
    assert.equal(created.metadata?.namespace, "lakehouse");
    await assert.rejects(batch.createNamespacedJob({ namespace: "lakehouse", body: job }), (e: unknown) => {
      return e instanceof ApiException && e.code === 409;
    });
    assert.equal(
      (await batch.readNamespacedJob({ namespace: "lakehouse", name: "j1" })).metadata?.name,
      "j1",
    );
    await batch.deleteNamespacedJob({ namespace: "lakehouse", name: "j1" });
    await assert.rejects(batch.readNamespacedJob({ namespace: "lakehouse", name: "j1" }), (e: unknown) => {
      return (
        e instanceof ApiException &&
        e.code === 404 &&
        String(e.body).includes('jobs.batch \\"j1\\" not found')
      );
    });
    assert.deepEqual(
      api.requests.map((r) => [r.method, r.verb, r.resource]),
      [
        ["POST", "create", "jobs.batch"],
        ["POST", "create", "jobs.batch"],
        ["GET", "get", "jobs.batch"],
        ["DELETE", "delete", "jobs.batch"],
        ["GET", "get", "jobs.batch"],
      ],
    );
  });

  it("serves custom resources only when a CRD, an object or `served` says so; discovery lists them", async () => {
    const api = await start({
      objects: [
        {
          apiVersion: "apiextensions.k8s.io/v1",
          kind: "CustomResourceDefinition",
          metadata: { name: "sparkapplications.sparkoperator.k8s.io" },
          spec: {
            group: "sparkoperator.k8s.io",
            names: { plural: "sparkapplications", kind: "SparkApplication" },
            scope: "Namespaced",
            versions: [{ name: "v1beta2", served: true }],
          },
        },
      ],
      served: ["metrics.k8s.io/v1beta1/nodes"],
    });
    const custom = api.kubeConfig().makeApiClient(CustomObjectsApi);
    const list = (group: string, version: string, plural: string) =>
      custom.listClusterCustomObject({ group, version, plural }) as Promise<{ items: unknown[] }>;
    assert.deepEqual((await list("sparkoperator.k8s.io", "v1beta2", "sparkapplications")).items, []);
    assert.deepEqual((await list("metrics.k8s.io", "v1beta1", "nodes")).items, []);
    await assert.rejects(list("ceph.rook.io", "v1", "cephclusters"), (e: unknown) => {
      return e instanceof ApiException && e.code === 404;
    });
    const disc = await get(`${api.url}/apis/sparkoperator.k8s.io/v1beta2`);
    assert.equal(disc.status, 200);
    assert.deepEqual(
      (disc.body.resources as { name: string; kind: string; namespaced: boolean }[]).map((r) => [
        r.name,
        r.kind,
        r.namespaced,
      ]),
      [["sparkapplications", "SparkApplication", true]],
    );
    const groups = await get(`${api.url}/apis`);
    assert.ok((groups.body.groups as { name: string }[]).some((g) => g.name === "metrics.k8s.io"));
  });

  it("discovery prefers a group's highest-priority version (v2 over v2beta2), as kubectl relies on", async () => {
    const api = await start({
      objects: [
        {
          apiVersion: "apiextensions.k8s.io/v1",
          kind: "CustomResourceDefinition",
          metadata: { name: "helmreleases.helm.toolkit.fluxcd.io" },
          spec: {
            group: "helm.toolkit.fluxcd.io",
            names: { plural: "helmreleases", kind: "HelmRelease" },
            scope: "Namespaced",
            versions: [
              { name: "v2beta1", served: true },
              { name: "v2beta2", served: true },
              { name: "v2", served: true },
            ],
          },
        },
      ],
    });
    const g = await get(`${api.url}/apis/helm.toolkit.fluxcd.io`);
    assert.deepEqual(g.body.preferredVersion, { groupVersion: "helm.toolkit.fluxcd.io/v2", version: "v2" });
    assert.deepEqual(
      (g.body.versions as { version: string }[]).map((v) => v.version),
      ["v2", "v2beta2", "v2beta1"],
    );
    assert.deepEqual(["v1alpha1", "v1", "foo", "v2beta1", "v2", "v1beta1"].sort(compareKubeVersions), [
      "v2",
      "v1",
      "v2beta1",
      "v1beta1",
      "v1alpha1",
      "foo",
    ]);
  });

  it("faults by resource or path prefix can be set and cleared; 403 names user, verb, resource and scope", async () => {
    const api = await start({ objects: [pod("a", "p1")], user: "jane" });
    const core = api.kubeConfig().makeApiClient(CoreV1Api);
    api.setFault("pods", 403);
    await assert.rejects(core.listNamespacedPod({ namespace: "a" }), (e: unknown) => {
      assert.ok(e instanceof ApiException && e.code === 403);
      assert.match(
        String(e.body),
        /pods is forbidden: User \\"jane\\" cannot list resource \\"pods\\" in API group \\"\\" in the namespace \\"a\\"/,
      );
      return true;
    });
    api.setFault("pods", undefined);
    api.setFault("/api/v1/namespaces/a", 500);
    await assert.rejects(core.listNamespacedPod({ namespace: "a" }), (e: unknown) => {
      return e instanceof ApiException && e.code === 500;
    });
    assert.equal(
      (await core.listPodForAllNamespaces()).items.length,
      1,
      "a prefix fault leaves other paths alone",
    );
    api.setFault("/api/v1/namespaces/a", undefined);
    api.setLatency(120);
    await core.listNamespacedPod({ namespace: "a" });
    const last = api.requests[api.requests.length - 1];
    assert.ok((last.doneTime as number) - last.time >= 100, "latency is applied");
  });

  it("stop() ends hung requests; a refused URL refuses", async () => {
    const api = await startKubeApi({ faults: { "/api": "hang" } });
    const core = api.kubeConfig().makeApiClient(CoreV1Api);
    const pending = core.listNode().then(
      () => "answered",
      () => "failed",
    );
    // Wait for the request to arrive (a condition, not a fixed pause that only holds on an idle machine).
    await waitFor("the request to reach the stand-in", () => api.requests.length > 0, 30_000, 10);
    assert.equal(api.requests.length, 1);
    assert.equal(api.requests[0].status, undefined, "still hanging");
    await api.stop();
    assert.equal(await pending, "failed");
    await assert.rejects(get(`${await refusedUrl()}/api/v1/nodes`), /ECONNREFUSED/);
  });

  it("an authorize hook answers 403 for what it denies", async () => {
    const api = await start({
      objects: [pod("a", "p1")],
      authorize: (r) => r.verb === "list" && r.resource === "pods",
    });
    const core = api.kubeConfig().makeApiClient(CoreV1Api);
    assert.equal((await core.listPodForAllNamespaces()).items.length, 1);
    await assert.rejects(core.readNamespacedPod({ namespace: "a", name: "p1" }), (e: unknown) => {
      return e instanceof ApiException && e.code === 403;
    });
  });
});
