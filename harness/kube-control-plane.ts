/**
 * A real Kubernetes control plane for the e2e tests: etcd, kube-apiserver, kube-controller-manager,
 * kube-scheduler (v1.34.2) and kwok fake nodes (no kubelet, no containers: kwok plays the kubelet, its "fast"
 * pod stages turn scheduled pods Running/Ready and Job pods Succeeded at once). Everything binds 127.0.0.1 on
 * ports the kernel hands out, keeps its state in one temp dir, and is stopped by pid.
 *
 * - TLS: one self-signed serving certificate (openssl, SAN 127.0.0.1/localhost) that is also the clients' CA.
 * - Authentication: `--token-auth-file` (the admin, the controller-manager, the scheduler and kwok, all in
 *   system:masters) plus real ServiceAccount tokens from the TokenRequest API (signed with an openssl key pair):
 *   {@link ControlPlane.serviceAccountToken} makes the least-privilege identities the RBAC tests need.
 * - Authorization: `--authorization-mode=Node,RBAC`, so a token without a binding gets real 403s.
 * - Admission: the API server's default plugins (ResourceQuota, LimitRanger, Priority, PodSecurity,
 *   DefaultStorageClass, ...) and CRD structural-schema validation.
 * - kube-controller-manager runs every controller except node-lifecycle (which would mark kwok's pods NotReady):
 *   Deployments, ReplicaSets, StatefulSets, Jobs, the PersistentVolume binder, ResourceQuota status, namespace
 *   deletion, the garbage collector, ServiceAccounts, endpoints.
 *
 * Binaries come from `${LAKEHOUSE_CACHE:-~/.cache/lakehouse}/bin` (built by .ci/setup.d/55-kube.sh). Start ~3-6 s.
 * The e2e suite starts it ONCE per test run with {@link sharedControlPlane} and stops it in a root `after` hook.
 */
import { setTimeout as sleep } from "node:timers/promises";
import type { ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import * as fs from "node:fs";
import * as https from "node:https";
import * as os from "node:os";
import * as path from "node:path";
import { freePort, isAlive, run, spawnDaemon, stopPid, StopWaiting, tail, waitFor } from "./proc";

/** The cache folder the setup scripts build into. */
export const CACHE_DIR = process.env.LAKEHOUSE_CACHE || path.join(os.homedir(), ".cache", "lakehouse");
/** Where .ci/setup.d/50-pulumi.sh and 55-kube.sh install their binaries. */
export const CACHE_BIN = path.join(CACHE_DIR, "bin");
/** kwok's stage files, copied from the kwok module by 55-kube.sh. */
export const KWOK_STAGES = path.join(CACHE_DIR, "kwok-stages");

export const CONTROL_PLANE_BINARIES = [
  "etcd",
  "kube-apiserver",
  "kube-controller-manager",
  "kube-scheduler",
  "kwok",
];
const INSTALL_HINT =
  "run `bash .ci/setup.d/55-kube.sh` (builds them from Go modules into the cache, ~7 min cold)";

/** Which control-plane binaries (and kwok's stage files) are missing; empty when all are there. */
export function missingControlPlane(): string[] {
  const missing = CONTROL_PLANE_BINARIES.filter((b) => !isExecutable(path.join(CACHE_BIN, b)));
  if (!fs.existsSync(path.join(KWOK_STAGES, "pod-fast"))) missing.push("kwok-stages/pod-fast");
  if (!openssl()) missing.push("openssl");
  return missing;
}

/** One sentence for a skipped or failed suite: what is missing and the command that installs it. */
export function controlPlaneHint(): string {
  const m = missingControlPlane();
  return m.length === 0
    ? ""
    : `Kubernetes control plane not installed in ${CACHE_BIN}: ${INSTALL_HINT} (missing: ${m.join(", ")}).`;
}

function isExecutable(p: string): boolean {
  try {
    fs.accessSync(p, fs.constants.X_OK);
    return fs.statSync(p).isFile();
  } catch {
    return false;
  }
}

function openssl(): string | undefined {
  for (const d of (process.env.PATH ?? "/usr/bin:/bin").split(":")) {
    if (d && isExecutable(path.join(d, "openssl"))) return path.join(d, "openssl");
  }
  return undefined;
}

/** A Kubernetes object as JSON. */
export type Obj = Record<string, unknown> & {
  apiVersion?: string;
  kind?: string;
  metadata?: { name?: string; namespace?: string; [k: string]: unknown };
};

export class ApiError extends Error {
  constructor(
    message: string,
    readonly code: number,
    readonly body: string,
  ) {
    super(message);
  }
}

export interface ControlPlane {
  /** `https://127.0.0.1:PORT` */
  server: string;
  /** The serving certificate, also the CA clients trust (PEM file). */
  caFile: string;
  /** The admin's bearer token (system:masters). */
  adminToken: string;
  /** A kubeconfig file for the admin, context `admin`. */
  adminKubeconfig: string;
  /** The temp dir holding certs, tokens, logs and etcd's data. Removed by `stop()`. */
  base: string;
  pids: Record<"etcd" | "apiserver" | "controllerManager" | "scheduler" | "kwok", number>;
  /** Raw API call as the admin (or `token`); resolves the parsed JSON body, rejects with {@link ApiError}. */
  request(
    method: string,
    apiPath: string,
    body?: unknown,
    opts?: { token?: string; contentType?: string },
  ): Promise<Obj>;
  /** Creates the object, or (409) replaces its spec/data/labels with a server-side apply (field manager `e2e`). */
  apply(obj: Obj): Promise<Obj>;
  /** Merges `status` into the object's status subresource (what a controller would report). */
  setStatus(obj: Obj, status: Record<string, unknown>): Promise<Obj>;
  /** GET the object; undefined on 404. */
  get(apiVersion: string, kind: string, name: string, namespace?: string): Promise<Obj | undefined>;
  /** Lists a kind (all namespaces, or one). */
  list(apiVersion: string, kind: string, namespace?: string): Promise<Obj[]>;
  /** Deletes the object (ignores 404). */
  remove(apiVersion: string, kind: string, name: string, namespace?: string): Promise<void>;
  /** The REST path of a kind (`/apis/group/v/namespaces/ns/plural[/name]`), from discovery. */
  pathOf(apiVersion: string, kind: string, namespace?: string, name?: string): Promise<string>;
  /** Adds kwok-managed nodes; resolves once each is Ready and untainted (so pods schedule). */
  addNodes(nodes: Obj[]): Promise<void>;
  /** A real ServiceAccount token (TokenRequest API) for `namespace/name`, creating the ServiceAccount. */
  serviceAccountToken(namespace: string, name: string): Promise<string>;
  /** Writes a kubeconfig for `token` (context `context`) to `file`. */
  writeKubeconfig(file: string, token: string, context: string): void;
  /** Waits until `check` of the object is true. */
  waitForObject(
    apiVersion: string,
    kind: string,
    name: string,
    namespace: string | undefined,
    what: string,
    check: (o: Obj) => boolean,
    timeoutMs?: number,
  ): Promise<Obj>;
  /** Last lines of each daemon's log, for failure messages. */
  logs(lines?: number): string;
  /** Stops kwok, the scheduler, the controller-manager, the API server and etcd by pid; removes `base`. Idempotent. */
  stop(): Promise<void>;
}

function kubeconfigYaml(server: string, caFile: string, token: string, context: string): string {
  return [
    "apiVersion: v1",
    "kind: Config",
    `current-context: ${context}`,
    "clusters:",
    `- name: ${context}`,
    "  cluster:",
    `    server: ${server}`,
    `    certificate-authority: ${caFile}`,
    "contexts:",
    `- name: ${context}`,
    "  context:",
    `    cluster: ${context}`,
    `    user: ${context}`,
    "users:",
    `- name: ${context}`,
    "  user:",
    `    token: ${token}`,
    "",
  ].join("\n");
}

/** Concatenates kwok's stage YAML files (not the kustomization files) into one config file. */
function kwokConfig(file: string): void {
  const docs: string[] = [];
  const walk = (dir: string): void => {
    for (const e of fs
      .readdirSync(dir, { withFileTypes: true })
      .sort((a, b) => a.name.localeCompare(b.name))) {
      const p = path.join(dir, e.name);
      if (e.isDirectory()) {
        if (e.name !== "testdata") walk(p);
      } else if (/\.ya?ml$/.test(e.name) && !/^kustomization\.ya?ml$/.test(e.name))
        docs.push(fs.readFileSync(p, "utf8"));
    }
  };
  for (const d of fs.readdirSync(KWOK_STAGES)) {
    const p = path.join(KWOK_STAGES, d);
    if (fs.statSync(p).isDirectory()) walk(p);
  }
  if (docs.length === 0) throw new Error(`No kwok stage files under ${KWOK_STAGES}: ${INSTALL_HINT}.`);
  fs.writeFileSync(file, docs.map((d) => d.trim()).join("\n---\n") + "\n");
}

/** Starts etcd + kube-apiserver + kube-controller-manager + kube-scheduler + kwok. */
export async function startControlPlane(): Promise<ControlPlane> {
  const hint = controlPlaneHint();
  if (hint) throw new Error(hint);
  const bin = (b: string): string => path.join(CACHE_BIN, b);
  const base = fs.mkdtempSync(path.join(os.tmpdir(), "lakehouse-kube-"));
  const children: { name: keyof ControlPlane["pids"]; child: ChildProcess; log: string }[] = [];
  const logOf = (n: string): string => path.join(base, `${n}.log`);
  const stopAll = async (): Promise<void> => {
    for (const c of [...children].reverse()) if (c.child.pid) await stopPid(c.child.pid, 10_000);
    children.length = 0;
  };
  const spawnNamed = async (name: keyof ControlPlane["pids"], cmd: string, args: string[]): Promise<void> => {
    const child = await spawnDaemon(cmd, args, logOf(name));
    children.push({ name, child, log: logOf(name) });
  };
  const logs = (lines = 15): string =>
    children.map((c) => `--- ${c.name} (${c.log}):\n${tail(c.log, lines)}`).join("\n");

  try {
    // ---- certificates and keys (openssl) ----
    const ssl = openssl()!;
    const cert = path.join(base, "apiserver.crt");
    const key = path.join(base, "apiserver.key");
    await run(ssl, [
      "req",
      "-x509",
      "-newkey",
      "rsa:2048",
      "-nodes",
      "-days",
      "2",
      "-keyout",
      key,
      "-out",
      cert,
      "-subj",
      "/CN=lakehouse-e2e-apiserver",
      "-addext",
      "subjectAltName=IP:127.0.0.1,DNS:localhost,DNS:kubernetes.default.svc",
    ]);
    const saKey = path.join(base, "sa.key");
    const saPub = path.join(base, "sa.pub");
    await run(ssl, ["genrsa", "-out", saKey, "2048"]);
    await run(ssl, ["rsa", "-in", saKey, "-pubout", "-out", saPub]);
    const token = (): string => randomBytes(24).toString("hex");
    const tokens = { admin: token(), cm: token(), scheduler: token(), kwok: token() };
    fs.writeFileSync(
      path.join(base, "tokens.csv"),
      [
        `${tokens.admin},e2e-admin,e2e-admin,"system:masters"`,
        `${tokens.cm},system:kube-controller-manager,system:kube-controller-manager,"system:masters"`,
        `${tokens.scheduler},system:kube-scheduler,system:kube-scheduler,"system:masters"`,
        `${tokens.kwok},kwok,kwok,"system:masters"`,
      ].join("\n") + "\n",
      { mode: 0o600 },
    );

    // ---- etcd ----
    const [etcdClient, etcdPeer, apiPort] = [await freePort(), await freePort(), await freePort()];
    await spawnNamed("etcd", bin("etcd"), [
      "--name",
      "e2e",
      "--data-dir",
      path.join(base, "etcd"),
      "--listen-client-urls",
      `http://127.0.0.1:${etcdClient}`,
      "--advertise-client-urls",
      `http://127.0.0.1:${etcdClient}`,
      "--listen-peer-urls",
      `http://127.0.0.1:${etcdPeer}`,
      "--initial-advertise-peer-urls",
      `http://127.0.0.1:${etcdPeer}`,
      "--initial-cluster",
      `e2e=http://127.0.0.1:${etcdPeer}`,
      "--unsafe-no-fsync",
      "--log-level",
      "warn",
    ]);

    // ---- kube-apiserver ----
    const server = `https://127.0.0.1:${apiPort}`;
    await spawnNamed("apiserver", bin("kube-apiserver"), [
      `--etcd-servers=http://127.0.0.1:${etcdClient}`,
      "--bind-address=127.0.0.1",
      "--advertise-address=127.0.0.1",
      `--secure-port=${apiPort}`,
      `--cert-dir=${path.join(base, "apiserver-certs")}`,
      `--tls-cert-file=${cert}`,
      `--tls-private-key-file=${key}`,
      `--token-auth-file=${path.join(base, "tokens.csv")}`,
      "--authorization-mode=Node,RBAC",
      "--service-account-issuer=https://kubernetes.default.svc.cluster.local",
      `--service-account-key-file=${saPub}`,
      `--service-account-signing-key-file=${saKey}`,
      "--service-cluster-ip-range=10.96.0.0/16",
      "--enable-priority-and-fairness=false",
      "--profiling=false",
      "--v=0",
    ]);
    const adminKubeconfig = path.join(base, "admin.kubeconfig");
    const write = (file: string, tok: string, ctx: string): void =>
      fs.writeFileSync(file, kubeconfigYaml(server, cert, tok, ctx), { mode: 0o600 });
    write(adminKubeconfig, tokens.admin, "admin");
    const ca = fs.readFileSync(cert);

    const request = (
      method: string,
      apiPath: string,
      body?: unknown,
      opts: { token?: string; contentType?: string } = {},
    ): Promise<Obj> =>
      new Promise((resolve, reject) => {
        const data = body === undefined ? undefined : typeof body === "string" ? body : JSON.stringify(body);
        const req = https.request(
          `${server}${apiPath}`,
          {
            method,
            ca,
            timeout: 30_000,
            headers: {
              authorization: `Bearer ${opts.token ?? tokens.admin}`,
              accept: "application/json",
              ...(data !== undefined
                ? {
                    "content-type": opts.contentType ?? "application/json",
                    "content-length": Buffer.byteLength(data),
                  }
                : {}),
            },
          },
          (res) => {
            let text = "";
            res.setEncoding("utf8");
            res.on("data", (c: string) => (text += c));
            res.on("end", () => {
              const code = res.statusCode ?? 0;
              if (code >= 200 && code < 300) {
                try {
                  resolve(text ? (JSON.parse(text) as Obj) : {});
                } catch {
                  resolve({ raw: text });
                }
              } else {
                let msg = text;
                try {
                  msg = (JSON.parse(text) as { message?: string }).message ?? text;
                } catch {
                  // not JSON
                }
                reject(new ApiError(`${method} ${apiPath}: HTTP ${code}: ${msg}`, code, text));
              }
            });
          },
        );
        req.on("timeout", () => req.destroy(new Error(`${method} ${apiPath}: timed out after 30 s`)));
        req.on("error", reject);
        if (data !== undefined) req.write(data);
        req.end();
      });

    await waitFor(
      "kube-apiserver /readyz",
      async () => {
        if (!children.every((c) => c.child.pid && isAlive(c.child.pid)))
          throw new StopWaiting("a daemon exited");
        await request("GET", "/readyz");
        return true;
      },
      180_000,
      200,
      () => logs(),
    ).catch((e) => {
      throw new Error(`${(e as Error).message}\n${logs()}`);
    });

    // ---- controller-manager, scheduler, kwok ----
    const cmConfig = path.join(base, "cm.kubeconfig");
    const schedConfig = path.join(base, "scheduler.kubeconfig");
    const kwokKubeconfig = path.join(base, "kwok.kubeconfig");
    write(cmConfig, tokens.cm, "controller-manager");
    write(schedConfig, tokens.scheduler, "scheduler");
    write(kwokKubeconfig, tokens.kwok, "kwok");
    await spawnNamed("controllerManager", bin("kube-controller-manager"), [
      `--kubeconfig=${cmConfig}`,
      `--authentication-kubeconfig=${cmConfig}`,
      `--authorization-kubeconfig=${cmConfig}`,
      // node-lifecycle would mark kwok's pods NotReady (kwok keeps node heartbeats in leases it does not own).
      "--controllers=*,-node-lifecycle-controller",
      `--service-account-private-key-file=${saKey}`,
      `--root-ca-file=${cert}`,
      "--use-service-account-credentials=false",
      "--leader-elect=false",
      "--bind-address=127.0.0.1",
      `--secure-port=${await freePort()}`,
      `--cert-dir=${path.join(base, "cm-certs")}`,
      "--concurrent-deployment-syncs=10",
      "--concurrent-statefulset-syncs=10",
      "--pvclaimbinder-sync-period=2s",
      "--v=0",
    ]);
    await spawnNamed("scheduler", bin("kube-scheduler"), [
      `--kubeconfig=${schedConfig}`,
      `--authentication-kubeconfig=${schedConfig}`,
      `--authorization-kubeconfig=${schedConfig}`,
      "--leader-elect=false",
      "--bind-address=127.0.0.1",
      `--secure-port=${await freePort()}`,
      `--cert-dir=${path.join(base, "scheduler-certs")}`,
      "--v=0",
    ]);
    const stages = path.join(base, "kwok-stages.yaml");
    kwokConfig(stages);
    await spawnNamed("kwok", bin("kwok"), [
      `--kubeconfig=${kwokKubeconfig}`,
      `--config=${stages}`,
      "--manage-nodes-with-annotation-selector=kwok.x-k8s.io/node=fake",
      "--cidr=10.244.0.0/16",
      "--node-ip=10.0.0.1",
      "--node-lease-duration-seconds=40",
      `--server-address=127.0.0.1:${await freePort()}`,
    ]);

    // The default ServiceAccount appears once the controller-manager runs: pods need it (ServiceAccount admission).
    await waitFor(
      "the controller-manager (ServiceAccount default/default)",
      async () => {
        if (!children.every((c) => c.child.pid && isAlive(c.child.pid)))
          throw new StopWaiting("a daemon exited");
        await request("GET", "/api/v1/namespaces/default/serviceaccounts/default");
        return true;
      },
      180_000,
      250,
      () => logs(),
    );

    // ---- discovery: kind -> REST path ----
    const resources = new Map<string, { plural: string; namespaced: boolean }>();
    const discover = async (apiVersion: string): Promise<void> => {
      const p = apiVersion.includes("/") ? `/apis/${apiVersion}` : `/api/${apiVersion}`;
      const list = (await request("GET", p)) as {
        resources?: { name: string; kind: string; namespaced: boolean }[];
      };
      for (const r of list.resources ?? []) {
        if (!r.name.includes("/"))
          resources.set(`${apiVersion}/${r.kind}`, { plural: r.name, namespaced: r.namespaced });
      }
    };
    const pathOf = async (
      apiVersion: string,
      kind: string,
      namespace?: string,
      name?: string,
    ): Promise<string> => {
      const k = `${apiVersion}/${kind}`;
      if (!resources.has(k)) await discover(apiVersion).catch(() => undefined);
      const r = resources.get(k);
      if (!r) throw new Error(`The API server does not serve ${apiVersion} ${kind} (is its CRD applied?).`);
      const root = apiVersion.includes("/") ? `/apis/${apiVersion}` : `/api/${apiVersion}`;
      const ns = r.namespaced && namespace ? `/namespaces/${namespace}` : "";
      return `${root}${ns}/${r.plural}${name ? `/${name}` : ""}`;
    };
    const get = async (
      apiVersion: string,
      kind: string,
      name: string,
      namespace?: string,
    ): Promise<Obj | undefined> => {
      try {
        return await request("GET", await pathOf(apiVersion, kind, namespace, name));
      } catch (e) {
        if (e instanceof ApiError && e.code === 404) return undefined;
        throw e;
      }
    };
    const apply = async (obj: Obj): Promise<Obj> => {
      const { apiVersion = "", kind = "", metadata = {} } = obj;
      const p = await pathOf(apiVersion, kind, metadata.namespace, metadata.name);
      return request("PATCH", `${p}?fieldManager=e2e&force=true`, obj, {
        contentType: "application/apply-patch+yaml",
      });
    };
    const cp: ControlPlane = {
      server,
      caFile: cert,
      adminToken: tokens.admin,
      adminKubeconfig,
      base,
      pids: Object.fromEntries(children.map((c) => [c.name, c.child.pid ?? 0])) as ControlPlane["pids"],
      request,
      apply,
      pathOf,
      get,
      async setStatus(obj, status) {
        const { apiVersion = "", kind = "", metadata = {} } = obj;
        const p = await pathOf(apiVersion, kind, metadata.namespace, metadata.name);
        return request("PATCH", `${p}/status`, { status }, { contentType: "application/merge-patch+json" });
      },
      async list(apiVersion, kind, namespace) {
        const r = (await request("GET", await pathOf(apiVersion, kind, namespace))) as { items?: Obj[] };
        return r.items ?? [];
      },
      async remove(apiVersion, kind, name, namespace) {
        try {
          await request("DELETE", await pathOf(apiVersion, kind, namespace, name));
        } catch (e) {
          if (!(e instanceof ApiError && e.code === 404)) throw e;
        }
      },
      async addNodes(nodes) {
        for (const n of nodes) {
          const md = (n.metadata ?? {}) as Record<string, unknown>;
          await apply({
            ...n,
            apiVersion: "v1",
            kind: "Node",
            metadata: {
              ...md,
              annotations: { ...((md.annotations as object) ?? {}), "kwok.x-k8s.io/node": "fake" },
              labels: { ...((md.labels as object) ?? {}), type: "kwok" },
            },
          });
          const status = (n.status ?? {}) as Record<string, unknown>;
          if (status.capacity || status.allocatable) {
            await cp.setStatus(
              { apiVersion: "v1", kind: "Node", metadata: { name: md.name as string } },
              { capacity: status.capacity, allocatable: status.allocatable ?? status.capacity },
            );
          }
        }
        for (const n of nodes) {
          const name = (n.metadata as { name: string }).name;
          await cp.waitForObject("v1", "Node", name, undefined, `node ${name} Ready (kwok)`, (o) =>
            ((o.status as { conditions?: { type: string; status: string }[] })?.conditions ?? []).some(
              (c) => c.type === "Ready" && c.status === "True",
            ),
          );
          // With node-lifecycle off nothing lifts the not-ready taint that node admission adds: lift it here.
          const node = (await get("v1", "Node", name))!;
          const taints = ((node.spec as { taints?: { key: string }[] })?.taints ?? []).filter(
            (t) => !t.key.startsWith("node.kubernetes.io/"),
          );
          await request(
            "PATCH",
            `/api/v1/nodes/${name}`,
            { spec: { taints: taints.length ? taints : null } },
            { contentType: "application/merge-patch+json" },
          );
        }
      },
      async serviceAccountToken(namespace, name) {
        await apply({ apiVersion: "v1", kind: "Namespace", metadata: { name: namespace } });
        await apply({ apiVersion: "v1", kind: "ServiceAccount", metadata: { name, namespace } });
        const r = (await request("POST", `/api/v1/namespaces/${namespace}/serviceaccounts/${name}/token`, {
          apiVersion: "authentication.k8s.io/v1",
          kind: "TokenRequest",
          spec: { expirationSeconds: 7200 },
        })) as { status?: { token?: string } };
        if (!r.status?.token) throw new Error(`TokenRequest for ${namespace}/${name} returned no token.`);
        return r.status.token;
      },
      writeKubeconfig: write,
      async waitForObject(apiVersion, kind, name, namespace, what, check, timeoutMs = 60_000) {
        let last: Obj | undefined;
        await waitFor(
          what,
          async () => {
            last = await get(apiVersion, kind, name, namespace);
            return last !== undefined && check(last);
          },
          timeoutMs,
          250,
          () => `Last seen: ${JSON.stringify(last?.status ?? last ?? null).slice(0, 800)}`,
        );
        return last!;
      },
      logs,
      async stop() {
        await stopAll();
        fs.rmSync(base, { recursive: true, force: true });
      },
    };
    return cp;
  } catch (e) {
    const detail = logs();
    await stopAll();
    fs.rmSync(base, { recursive: true, force: true });
    throw new Error(`The control plane did not start: ${(e as Error).message}\n${detail}`, { cause: e });
  }
}

let shared: Promise<ControlPlane> | undefined;

/** The control plane of this test run: started on first use, shared by every e2e test. */
export function sharedControlPlane(): Promise<ControlPlane> {
  shared ??= startControlPlane();
  return shared;
}

/** Stops the shared control plane if it was started (root `after` hook). Idempotent. */
export async function stopSharedControlPlane(): Promise<void> {
  if (!shared) return;
  const p = shared;
  shared = undefined;
  try {
    await (await p).stop();
  } catch {
    // it never started: nothing to stop
  }
}

export { sleep };
