import * as assert from "assert/strict";
import type { Facts, KubeObject } from "../../../preflight/model";
import { GiB } from "../../../preflight/quantity";
import {
  config,
  find,
  forbidden,
  healthy,
  items,
  remove,
  run,
  setCollection,
  setCondition,
  table,
} from "./helpers";

const pods = (f: Facts, prefix: string, ns?: string): KubeObject[] =>
  items(f, "pods").filter(
    (p) => p.metadata?.name?.startsWith(prefix) && (!ns || p.metadata.namespace === ns),
  );

function notReady(p: KubeObject, phase = "Running"): void {
  p.status!.phase = phase;
  setCondition(p, "Ready", "False", "ContainersNotReady");
}

/** Adds a Running pod with the given requests on `node`. */
function addPod(f: Facts, node: string, cpu: string, memory: string, phase = "Running"): void {
  items(f, "pods").push({
    apiVersion: "v1",
    kind: "Pod",
    metadata: { name: `hog-${items(f, "pods").length}`, namespace: "default" },
    spec: { nodeName: node, containers: [{ name: "hog", resources: { requests: { cpu, memory } } }] },
    status: { phase },
  });
}

function setUsage(f: Facts, cpu: string, memory: string): void {
  for (const m of items(f, "nodemetrics")) (m as { usage: Record<string, string> }).usage = { cpu, memory };
}

describe("prerequisites", () => {
  table("prereq.ceph-object-store", [
    { name: "store storage/storage Ready", status: "pass", observed: /storage\/storage is Ready/ },
    {
      name: "phase Progressing",
      mutate: (f) => (find(f, "cephobjectstores", "storage").status!.phase = "Progressing"),
      status: "fail",
      observed: /phase Progressing/,
      remediation: /describe cephobjectstore storage/,
    },
    {
      name: "no status yet",
      mutate: (f) => delete find(f, "cephobjectstores", "storage").status,
      status: "fail",
      observed: /phase \(none\)/,
    },
    {
      name: "store has another name: points at it",
      mutate: (f) => (find(f, "cephobjectstores", "storage").metadata!.name = "objects"),
      status: "fail",
      observed: /No CephObjectStore storage\/storage \(found: storage\/objects\)/,
      remediation: /lakehouse:cluster\.objectStore/,
    },
    {
      name: "configured name follows the stack config",
      mutate: (f) => (find(f, "cephobjectstores", "storage").metadata!.name = "objects"),
      config: { cluster: { objectStore: "objects" } },
      status: "pass",
    },
    {
      name: "CRD not installed: clear fail",
      mutate: (f) =>
        setCollection(f, "cephobjectstores", {
          state: "absent",
          message: "CephObjectStore CRD not installed",
        }),
      status: "fail",
      observed: /CephObjectStore CRD not installed/,
      remediation: /Rook-Ceph operator/,
    },
    {
      name: "forbidden: unknown naming verb and resource",
      mutate: (f) => setCollection(f, "cephobjectstores", forbidden("list", "cephobjectstores.ceph.rook.io")),
      status: "unknown",
      observed: /may not list cephobjectstores\.ceph\.rook\.io/,
      remediation: /Grant/,
    },
    {
      name: "API error: unknown with the message",
      mutate: (f) =>
        setCollection(f, "cephobjectstores", { state: "error", message: "timeout after 10000 ms" }),
      status: "unknown",
      observed: /timeout after 10000 ms/,
    },
  ]);

  table("prereq.cluster-capacity", [
    {
      name: "200Gi and 48 CPU free, utilisation ~25/30 %",
      status: "pass",
      observed:
        /200\.71Gi memory and 48\.41 CPU free on 4 schedulable nodes; utilisation 24\.9% CPU, 29\.8% memory/,
    },
    {
      name: "not enough free memory",
      mutate: (f) =>
        ["anton-01", "anton-02", "anton-03", "anton-04"].forEach((n) => addPod(f, n, "100m", "36Gi")),
      status: "fail",
      observed: /Only 56\.71Gi memory/,
      remediation: /Free or add 3\.29Gi memory/,
    },
    {
      name: "not enough free CPU",
      mutate: (f) =>
        ["anton-01", "anton-02", "anton-03", "anton-04"].forEach((n) => addPod(f, n, "11", "1Gi")),
      status: "fail",
      remediation: /CPU/,
    },
    {
      name: "Succeeded and Failed pods hold nothing",
      mutate: (f) => {
        addPod(f, "anton-01", "40", "150Gi", "Succeeded");
        addPod(f, "anton-02", "40", "150Gi", "Failed");
      },
      status: "pass",
      observed: /200\.71Gi memory and 48\.41 CPU/,
    },
    {
      name: "Pending-but-scheduled pods hold their requests",
      mutate: (f) =>
        ["anton-01", "anton-02", "anton-03", "anton-04"].forEach((n) =>
          addPod(f, n, "100m", "36Gi", "Pending"),
        ),
      status: "fail",
      observed: /Only 56\.71Gi/,
    },
    {
      name: "a cordoned node is not counted, and the result says so",
      mutate: (f) => (find(f, "nodes", "anton-04").spec!.unschedulable = true),
      status: "pass",
      observed: /on 3 schedulable nodes; not counted: anton-04 \(cordoned\)/,
    },
    {
      name: "NotReady nodes are not counted; three down is not enough",
      mutate: (f) =>
        ["anton-02", "anton-03", "anton-04"].forEach((n) =>
          setCondition(find(f, "nodes", n), "Ready", "Unknown", "NodeStatusUnknown"),
        ),
      status: "fail",
      observed:
        /on 1 schedulable node; not counted: anton-02 \(NotReady\), anton-03 \(NotReady\), anton-04 \(NotReady\)/,
    },
    {
      name: "memory utilisation at 70 % fails",
      mutate: (f) => setUsage(f, "2", `${Math.ceil(0.7 * 62 * 1024)}Mi`),
      status: "fail",
      observed: /memory 70(\.\d)?% is at or above 70%/,
      remediation: /under 70%/,
    },
    {
      name: "CPU utilisation over the configured line fails",
      mutate: (f) => setUsage(f, "9", "20Gi"),
      config: { thresholds: { maxUtilizationPercent: 50 } },
      status: "fail",
      observed: /CPU 57% is at or above 50%/,
    },
    {
      name: "no metrics input: cannot pass",
      mutate: (f) =>
        setCollection(f, "nodemetrics", {
          state: "not-collected",
          message: "no NodeMetricsList among the input files",
        }),
      status: "unknown",
      observed: /utilisation is unknown: NodeMetricss? were not collected/,
      remediation: /metrics-server/,
    },
    {
      name: "metrics API absent: unknown",
      mutate: (f) =>
        setCollection(f, "nodemetrics", {
          state: "absent",
          message: "metrics.k8s.io is not served (metrics-server not installed)",
        }),
      status: "unknown",
      observed: /metrics-server not installed/,
    },
    {
      name: "one node without metrics: unknown naming it",
      mutate: (f) => remove(f, "nodemetrics", (m) => m.metadata?.name === "anton-02"),
      status: "unknown",
      observed: /no metrics for anton-02/,
    },
    {
      name: "too little free capacity fails even without metrics",
      mutate: (f) => {
        setCollection(f, "nodemetrics", { state: "not-collected", message: "none" });
        ["anton-01", "anton-02", "anton-03", "anton-04"].forEach((n) => addPod(f, n, "100m", "40Gi"));
      },
      status: "fail",
    },
    {
      name: "nodes forbidden: unknown",
      mutate: (f) => setCollection(f, "nodes", forbidden("list", "nodes")),
      status: "unknown",
      observed: /may not list nodes/,
    },
    {
      name: "every node cordoned",
      mutate: (f) => items(f, "nodes").forEach((n) => (n.spec!.unschedulable = true)),
      status: "fail",
      observed: /No schedulable nodes/,
    },
  ]);

  it("prereq.cluster-capacity puts a CapacitySummary in data.capacity", () => {
    const r = run("prereq.cluster-capacity", healthy());
    const cap = r.data?.capacity as Record<string, number>;
    assert.equal(cap.nodes, 4);
    assert.equal(cap.allocatableCpu, 63.2);
    assert.equal(cap.freeCpu, 48.41);
    assert.equal(Math.round(cap.freeMemory / GiB), 201);
    assert.ok(cap.usedCpu > 15 && cap.usedCpu < 16);
    assert.equal(cap.maxUtilizationPercent, 70);
  });

  table("prereq.airflow", [
    { name: "HelmRelease airflow/airflow Ready", status: "pass" },
    {
      name: "install failed",
      mutate: (f) =>
        setCondition(
          find(f, "helmreleases", "airflow", "airflow"),
          "Ready",
          "False",
          "InstallFailed",
          "context deadline exceeded",
        ),
      status: "fail",
      observed: /not Ready \(InstallFailed: context deadline exceeded\)/,
      remediation: /flux -n airflow get helmrelease airflow/,
    },
    {
      name: "missing release",
      mutate: (f) => remove(f, "helmreleases", (h) => h.metadata?.namespace === "airflow"),
      status: "fail",
      observed: /No HelmRelease airflow\/airflow/,
    },
    {
      name: "HelmRelease CRD absent (no Flux)",
      mutate: (f) =>
        setCollection(f, "helmreleases", { state: "absent", message: "HelmRelease CRD not installed" }),
      status: "fail",
      observed: /HelmRelease CRD not installed/,
      remediation: /install Flux/i,
    },
  ]);

  table("prereq.monitoring", [
    {
      name: "Prometheus and Grafana Running",
      status: "pass",
      observed: /Prometheus \(1\) and Grafana \(1\)/,
    },
    {
      name: "Grafana CrashLoop",
      mutate: (f) => notReady(pods(f, "kube-prometheus-stack-grafana")[0]),
      status: "fail",
      observed: /Grafana \(1 pod\(s\), none Ready\)/,
    },
    {
      name: "no Prometheus server pod (node-exporter does not count)",
      mutate: (f) => remove(f, "pods", (p) => p.metadata?.name?.startsWith("prometheus-") ?? false),
      status: "fail",
      observed: /Prometheus \(no pod\)/,
    },
    {
      name: "an unlabelled prometheus-node-exporter pod is not a Prometheus server",
      mutate: (f) => {
        remove(f, "pods", (p) => p.metadata?.name?.startsWith("prometheus-") ?? false);
        const exporter = structuredClone(pods(f, "kube-prometheus-stack-prometheus-node-exporter")[0]);
        exporter.metadata = { name: "prometheus-node-exporter-x2v9k", namespace: "monitoring" };
        items(f, "pods").push(exporter);
      },
      status: "fail",
      observed: /Prometheus \(no pod\)/,
    },
    {
      name: "monitoring in another namespace via config",
      config: { cluster: { monitoringNamespace: "observability" } },
      status: "fail",
      observed: /in observability/,
      remediation: /monitoringNamespace/,
    },
  ]);

  table("prereq.gitops", [
    {
      name: "controllers available, everything Ready",
      status: "pass",
      observed: /6 Kustomizations and 9 HelmReleases Ready/,
    },
    {
      name: "helm-controller down",
      mutate: (f) => (find(f, "deployments", "helm-controller", "flux-system").status!.availableReplicas = 0),
      status: "fail",
      observed: /not available in flux-system: helm-controller/,
      remediation: /flux check/,
    },
    {
      name: "a Kustomization failing",
      mutate: (f) =>
        setCondition(
          find(f, "kustomizations", "cluster-apps"),
          "Ready",
          "False",
          "BuildFailed",
          "kustomization path not found",
        ),
      status: "fail",
      observed: /1 Flux object not Ready: Kustomization flux-system\/cluster-apps \(BuildFailed/,
      remediation: /flux get all -A/,
    },
    {
      name: "a suspended HelmRelease does not fail",
      mutate: (f) => {
        const h = find(f, "helmreleases", "jellyfin");
        h.spec!.suspend = true;
        setCondition(h, "Ready", "False", "Suspended");
      },
      status: "pass",
      observed: /1 suspended/,
    },
    {
      name: "no Kustomizations: Flux not bootstrapped",
      mutate: (f) => remove(f, "kustomizations", () => true),
      status: "fail",
      remediation: /flux bootstrap/,
    },
    {
      name: "Kustomization CRD absent",
      mutate: (f) =>
        setCollection(f, "kustomizations", { state: "absent", message: "Kustomization CRD not installed" }),
      status: "fail",
      observed: /Kustomization CRD not installed/,
    },
  ]);

  table("prereq.secret-management", [
    {
      name: "ESO CRDs and controller",
      status: "pass",
      observed: /controller external-secrets\/external-secrets available; 1 ClusterSecretStore Ready/,
    },
    {
      name: "ESO not installed",
      mutate: (f) =>
        remove(
          f,
          "customresourcedefinitions",
          (c) => c.metadata?.name?.endsWith("external-secrets.io") ?? false,
        ),
      status: "fail",
      observed: /External Secrets CRDs not installed/,
      remediation: /secretManagement\.provider/,
    },
    {
      name: "controller without available replicas",
      mutate: (f) =>
        (find(f, "deployments", "external-secrets", "external-secrets").status!.availableReplicas = 0),
      status: "fail",
      observed: /has no available replicas/,
    },
    {
      name: "configured ClusterSecretStore missing",
      config: { foundation: { dbCredentials: "external-secrets", externalSecretStore: "vault" } },
      status: "fail",
      observed: /ClusterSecretStore vault does not exist/,
    },
    {
      name: "configured ClusterSecretStore Ready",
      config: { foundation: { dbCredentials: "external-secrets", externalSecretStore: "onepassword" } },
      status: "pass",
    },
    {
      name: "provider other: vouched for, warn",
      config: { secretManagement: { provider: "other" } },
      status: "warn",
      observed: /not verified/,
    },
    {
      name: "provider sealed-secrets without it installed",
      config: { secretManagement: { provider: "sealed-secrets" } },
      status: "fail",
      observed: /SealedSecret CRD not installed; no sealed-secrets controller in kube-system/,
    },
    {
      name: "CRDs forbidden",
      mutate: (f) =>
        setCollection(
          f,
          "customresourcedefinitions",
          forbidden("list", "customresourcedefinitions.apiextensions.k8s.io"),
        ),
      status: "unknown",
      observed: /may not list customresourcedefinitions/,
    },
  ]);

  table("prereq.team-sql", [
    {
      name: "not attested: advisory warn",
      status: "warn",
      observed: /knowledge\.teamSql is false/,
      remediation: /--path lakehouse:knowledge\.teamSql true/,
    },
    { name: "attested", config: { knowledge: { teamSql: true } }, status: "pass" },
    {
      name: "not attested and enforced: fail",
      config: { knowledge: { enforce: true } },
      status: "fail",
      observed: /enforce is true/,
    },
  ]);
  table("prereq.team-kubernetes", [
    { name: "not attested", status: "warn" },
    { name: "attested", config: { knowledge: { teamKubernetes: true } }, status: "pass" },
  ]);
  table("prereq.backup-strategy", [
    { name: "not attested", status: "warn", remediation: /backed up and restored/ },
    { name: "attested", config: { knowledge: { backupStrategy: true } }, status: "pass" },
  ]);

  it("knowledge checks are critical only when enforced", () => {
    assert.equal(run("prereq.team-sql", healthy()).critical, false);
    assert.equal(run("prereq.team-sql", healthy(), config({ knowledge: { enforce: true } })).critical, true);
  });

  it("infrastructure prerequisites are critical; airflow gates only compute and analytics", () => {
    const f = healthy();
    for (const id of [
      "prereq.ceph-object-store",
      "prereq.cluster-capacity",
      "prereq.monitoring",
      "prereq.gitops",
      "prereq.secret-management",
    ]) {
      const r = run(id, f);
      assert.equal(r.critical, true, id);
      assert.deepEqual(r.gates, ["foundation", "compute", "analytics"], id);
    }
    assert.deepEqual(run("prereq.airflow", f).gates, ["compute", "analytics"]);
    assert.equal(run("prereq.airflow", f).critical, true);
  });
});
