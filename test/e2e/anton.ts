/**
 * Makes the e2e control plane look like a ready "anton" (examples/anton/, the homelab the offline snapshot
 * records): the same four nodes (kwok, with anton's capacity), storage classes, namespaces, Services,
 * Deployments and StatefulSets (their pods are created by the real controllers, placed by the real scheduler
 * and turned Running/Ready by kwok), claims, and Rook / Flux / External Secrets objects with the status their
 * controllers would report (written through the status subresource, since those controllers do not run here).
 *
 * Storage: no CSI driver runs here, so nothing provisions volumes. Every claim binds to a PersistentVolume
 * created up front (hostPath, reclaimPolicy Retain), pre-bound to that claim by `claimRef` - including the
 * lakehouse database claim the program creates later (`lakehouse/<db>-data`). The real PV controller does the
 * binding.
 *
 * Node metrics: metrics-server needs kubelets, which kwok does not have. A small HTTPS server in this process
 * serves anton's recorded NodeMetricsList as the aggregated API `metrics.k8s.io/v1beta1` (a real APIService,
 * proxied by the real API server, authorized by real RBAC); it is the one stand-in of the e2e suite.
 */
import * as fs from "node:fs";
import * as https from "node:https";
import type { AddressInfo } from "node:net";
import * as path from "node:path";
import type { ControlPlane, Obj } from "../../harness/kube-control-plane";
import { waitFor } from "../../harness/proc";
import { e2eCrds } from "./fixtures/crds";

const ROOT = path.resolve(__dirname, "../..");
export const ANTON_CLUSTER = path.join(ROOT, "examples/anton/cluster.json");
export const ANTON_METRICS = path.join(ROOT, "examples/anton/metrics.json");

type Item = Obj & { spec?: Record<string, unknown>; status?: Record<string, unknown> };

const items = (file: string): Item[] =>
  (JSON.parse(fs.readFileSync(file, "utf8")) as { items: Item[] }).items;

/** The object as a user would apply it: no server-set metadata, no status. */
function clean(o: Item): Item {
  const md = (o.metadata ?? {}) as Record<string, unknown>;
  const annotations = Object.fromEntries(
    Object.entries((md.annotations as Record<string, string>) ?? {}).filter(
      ([k]) => !/^(pv\.kubernetes\.io|volume\.|deployment\.kubernetes\.io|kubectl\.kubernetes\.io)/.test(k),
    ),
  );
  const out: Item = {
    apiVersion: o.apiVersion,
    kind: o.kind,
    metadata: {
      name: md.name as string,
      ...(md.namespace ? { namespace: md.namespace as string } : {}),
      ...(md.labels ? { labels: md.labels } : {}),
      ...(Object.keys(annotations).length ? { annotations } : {}),
    },
  };
  for (const [k, v] of Object.entries(o)) {
    if (!["apiVersion", "kind", "metadata", "status"].includes(k)) (out as Record<string, unknown>)[k] = v;
  }
  return out;
}

export interface SeedOptions {
  /** The lakehouse database claim (namespace/name) to pre-create a Retain PersistentVolume for. */
  databaseClaim: { namespace: string; name: string; size: string; storageClass: string };
  /** The S3 credentials Secret (namespace/name) the preflight reads, with these keys. */
  s3Secret: { namespace: string; name: string; accessKeyId: string; secretAccessKey: string };
}

export interface SeededAnton {
  /** Stops the metrics server. */
  stop(): Promise<void>;
  /** PersistentVolume name bound to the lakehouse database claim. */
  databaseVolume: string;
}

/** Seeds the control plane with anton; resolves once every seeded pod is Running and Ready. */
export async function seedAnton(cp: ControlPlane, opts: SeedOptions): Promise<SeededAnton> {
  const all = items(ANTON_CLUSTER);
  const of = (kind: string): Item[] => all.filter((o) => o.kind === kind);

  // CRDs first; a custom object can only be created once its CRD is Established.
  for (const crd of e2eCrds()) await cp.apply(crd as Obj);
  for (const crd of e2eCrds()) {
    const name = (crd.metadata as { name: string }).name;
    await cp.waitForObject(
      "apiextensions.k8s.io/v1",
      "CustomResourceDefinition",
      name,
      undefined,
      `CRD ${name} Established`,
      (o) =>
        ((o.status as { conditions?: { type: string; status: string }[] })?.conditions ?? []).some(
          (c) => c.type === "Established" && c.status === "True",
        ),
    );
  }

  const namespaces = new Set(all.map((o) => o.metadata?.namespace).filter((n): n is string => !!n));
  namespaces.add(opts.s3Secret.namespace);
  for (const ns of namespaces)
    await cp.apply({ apiVersion: "v1", kind: "Namespace", metadata: { name: ns } });
  for (const sc of of("StorageClass")) await cp.apply(clean(sc));
  await cp.addNodes(of("Node").map((n) => ({ ...clean(n), status: n.status })));

  // Claims and the volumes they bind to.
  const pv = (
    name: string,
    claim: { namespace: string; name: string },
    size: string,
    cls: string,
    modes: string[],
  ): Obj => ({
    apiVersion: "v1",
    kind: "PersistentVolume",
    metadata: { name, labels: { "lakehouse.dev/e2e": "seed" } },
    spec: {
      capacity: { storage: size },
      accessModes: modes,
      storageClassName: cls,
      persistentVolumeReclaimPolicy: "Retain",
      hostPath: { path: `/var/lib/e2e-volumes/${name}` },
      claimRef: { namespace: claim.namespace, name: claim.name },
    },
  });
  for (const c of of("PersistentVolumeClaim")) {
    const spec = c.spec as {
      storageClassName: string;
      accessModes: string[];
      resources: { requests: { storage: string } };
    };
    const md = c.metadata as { name: string; namespace: string };
    const name = `pv-${md.namespace}-${md.name}`.slice(0, 63).replace(/-+$/, "");
    await cp.apply(pv(name, md, spec.resources.requests.storage, spec.storageClassName, spec.accessModes));
    const claim = clean(c);
    delete (claim.spec as Record<string, unknown>).volumeName;
    await cp.apply(claim);
  }
  const db = opts.databaseClaim;
  const databaseVolume = `pv-${db.namespace}-${db.name}`.slice(0, 63);
  await cp.apply(pv(databaseVolume, db, db.size, db.storageClass, ["ReadWriteOnce"]));

  // Workloads: ServiceAccounts they name, Services, Deployments, StatefulSets.
  for (const w of [...of("Deployment"), ...of("StatefulSet")]) {
    const sa = (w.spec as { template: { spec: { serviceAccountName?: string } } }).template.spec
      .serviceAccountName;
    if (sa)
      await cp.apply({
        apiVersion: "v1",
        kind: "ServiceAccount",
        metadata: { name: sa, namespace: w.metadata!.namespace },
      });
  }
  for (const s of of("Service")) {
    if (s.metadata?.namespace === "default" && s.metadata.name === "kubernetes") continue;
    const svc = clean(s);
    const spec = svc.spec as Record<string, unknown>;
    delete spec.clusterIP;
    delete spec.clusterIPs;
    delete spec.healthCheckNodePort;
    if (Array.isArray(spec.ports))
      spec.ports = (spec.ports as Record<string, unknown>[]).map(({ nodePort: _n, ...p }) => p);
    await cp.apply(svc);
  }
  for (const w of [...of("Deployment"), ...of("StatefulSet")]) await cp.apply(clean(w));

  // What Rook, Flux and External Secrets would have reported.
  const custom = all.filter(
    (o) =>
      (o.apiVersion ?? "").includes(".") &&
      !["StorageClass", "CustomResourceDefinition"].includes(o.kind ?? ""),
  );
  for (const o of custom) {
    const created = await cp.apply(clean(o));
    if (o.status) await cp.setStatus(created, o.status);
  }

  // The S3 credentials Secret (what Rook's CephObjectStoreUser or External Secrets would have made).
  await cp.apply({
    apiVersion: "v1",
    kind: "Secret",
    metadata: { name: opts.s3Secret.name, namespace: opts.s3Secret.namespace },
    type: "Opaque",
    stringData: { AccessKey: opts.s3Secret.accessKeyId, SecretKey: opts.s3Secret.secretAccessKey },
  });

  const metrics = await serveNodeMetrics(cp);

  // Every seeded workload's pods Running and Ready on the kwok nodes.
  const expected =
    of("Deployment").reduce((n, d) => n + Number((d.spec as { replicas?: number }).replicas ?? 1), 0) +
    of("StatefulSet").reduce((n, d) => n + Number((d.spec as { replicas?: number }).replicas ?? 1), 0);
  let ready = 0;
  await waitFor(
    `${expected} seeded pods Running and Ready on kwok nodes`,
    async () => {
      const pods = await cp.list("v1", "Pod");
      ready = pods.filter((p) =>
        ((p.status as { conditions?: { type: string; status: string }[] })?.conditions ?? []).some(
          (c) => c.type === "Ready" && c.status === "True",
        ),
      ).length;
      return ready >= expected;
    },
    300_000,
    500,
    () => `${ready} of ${expected} Ready.\n${cp.logs(5)}`,
  );
  // ... and their controllers saw it: Deployments available, StatefulSets ready (what the checks read).
  let pending: string[] = [];
  await waitFor(
    "seeded Deployments available and StatefulSets ready",
    async () => {
      pending = [];
      for (const [kind, field] of [
        ["Deployment", "availableReplicas"],
        ["StatefulSet", "readyReplicas"],
      ] as const) {
        for (const w of await cp.list("apps/v1", kind)) {
          const want = Number((w.spec as { replicas?: number }).replicas ?? 1);
          const have = Number((w.status as Record<string, number> | undefined)?.[field] ?? 0);
          if (have < want)
            pending.push(`${kind} ${w.metadata?.namespace}/${w.metadata?.name} ${have}/${want}`);
        }
      }
      return pending.length === 0;
    },
    300_000,
    500,
    () => `Still waiting for: ${pending.join(", ")}`,
  );
  return { stop: metrics.stop, databaseVolume };
}

/**
 * Serves anton's recorded node metrics as `metrics.k8s.io/v1beta1` through the API server's aggregation layer:
 * an APIService pointing at an ExternalName Service (`localhost`, this server's port).
 */
async function serveNodeMetrics(cp: ControlPlane): Promise<{ stop(): Promise<void> }> {
  const recorded = JSON.parse(fs.readFileSync(ANTON_METRICS, "utf8")) as { items: Record<string, unknown>[] };
  const cert = fs.readFileSync(cp.caFile);
  const key = fs.readFileSync(path.join(cp.base, "apiserver.key"));
  const json = (res: import("node:http").ServerResponse, code: number, body: unknown): void => {
    res.writeHead(code, { "content-type": "application/json" });
    res.end(JSON.stringify(body));
  };
  const server = https.createServer({ cert, key }, (req, res) => {
    const url = (req.url ?? "").split("?")[0];
    if (url === "/apis/metrics.k8s.io/v1beta1") {
      json(res, 200, {
        kind: "APIResourceList",
        apiVersion: "v1",
        groupVersion: "metrics.k8s.io/v1beta1",
        resources: [
          { name: "nodes", singularName: "", namespaced: false, kind: "NodeMetrics", verbs: ["get", "list"] },
        ],
      });
    } else if (url === "/apis/metrics.k8s.io/v1beta1/nodes") {
      const now = new Date().toISOString();
      json(res, 200, {
        kind: "NodeMetricsList",
        apiVersion: "metrics.k8s.io/v1beta1",
        metadata: {},
        items: recorded.items.map((i) => ({ ...i, timestamp: now })),
      });
    } else {
      json(res, 404, { kind: "Status", apiVersion: "v1", status: "Failure", code: 404, reason: "NotFound" });
    }
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
  const port = (server.address() as AddressInfo).port;
  await cp.apply({
    apiVersion: "v1",
    kind: "Service",
    metadata: { name: "e2e-metrics", namespace: "kube-system" },
    spec: {
      type: "ExternalName",
      externalName: "localhost",
      ports: [{ name: "https", port, protocol: "TCP" }],
    },
  });
  await cp.apply({
    apiVersion: "apiregistration.k8s.io/v1",
    kind: "APIService",
    metadata: { name: "v1beta1.metrics.k8s.io" },
    spec: {
      group: "metrics.k8s.io",
      version: "v1beta1",
      service: { namespace: "kube-system", name: "e2e-metrics", port },
      insecureSkipTLSVerify: true,
      groupPriorityMinimum: 100,
      versionPriority: 100,
    },
  });
  await waitFor(
    "metrics.k8s.io/v1beta1 served through the aggregation layer",
    async () => {
      const r = (await cp.request("GET", "/apis/metrics.k8s.io/v1beta1/nodes")) as { items?: unknown[] };
      return (r.items?.length ?? 0) > 0;
    },
    60_000,
    500,
  );
  return {
    stop: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}
