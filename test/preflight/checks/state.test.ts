import * as assert from "assert/strict";
import type { Facts, KubeObject, S3Step } from "../../../preflight/model";
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

const pods = (f: Facts, prefix: string): KubeObject[] =>
  items(f, "pods").filter((p) => p.metadata?.name?.startsWith(prefix));
const cephStatus = (f: Facts) => find(f, "cephclusters", "storage").status!.ceph as Record<string, unknown>;

function notReady(p: KubeObject, phase = "Running"): void {
  p.status!.phase = phase;
  setCondition(p, "Ready", "False", "ContainersNotReady");
}

const step = (name: S3Step["name"], ok = true, detail = "ok"): S3Step => ({ name, ok, ms: 12, detail });
const ALL_OK = [
  step("list-buckets"),
  step("create-bucket"),
  step("put-object"),
  step("get-object"),
  step("delete-object"),
  step("cleanup"),
];

describe("state", () => {
  table("state.ceph-health", [
    { name: "HEALTH_OK", status: "pass", observed: /HEALTH_OK; raw capacity 26\.6% used/ },
    {
      name: "HEALTH_WARN with details",
      mutate: (f) =>
        Object.assign(cephStatus(f), {
          health: "HEALTH_WARN",
          details: { OSD_NEARFULL: { message: "1 nearfull osd(s)" } },
        }),
      status: "warn",
      observed: /HEALTH_WARN \(OSD_NEARFULL: 1 nearfull osd\(s\)\)/,
      remediation: /ceph status/,
    },
    {
      name: "HEALTH_ERR blocks",
      mutate: (f) => (cephStatus(f).health = "HEALTH_ERR"),
      status: "fail",
      observed: /HEALTH_ERR/,
      remediation: /rook-ceph-tools -- ceph status/,
    },
    {
      name: "HEALTH_OK but above Ceph's nearfull ratio",
      mutate: (f) => Object.assign(cephStatus(f), { capacity: { bytesTotal: 1000, bytesUsed: 900 } }),
      status: "warn",
      observed: /90% used/,
    },
    {
      name: "no health reported yet",
      mutate: (f) => delete cephStatus(f).health,
      status: "unknown",
      observed: /no health yet/,
    },
    {
      name: "no CephCluster in the namespace",
      config: { cluster: { cephNamespace: "rook-ceph" } },
      status: "fail",
      observed: /No CephCluster in namespace rook-ceph \(found: storage\/storage\)/,
    },
    {
      name: "CRD absent",
      mutate: (f) =>
        setCollection(f, "cephclusters", { state: "absent", message: "CephCluster CRD not installed" }),
      status: "fail",
      observed: /CephCluster CRD not installed/,
    },
  ]);

  table("state.rgw-service", [
    {
      name: "service with cluster IP",
      status: "pass",
      observed: /rook-ceph-rgw-storage at 10\.96\.80\.20:80/,
    },
    {
      name: "renamed service: suggests the one that exists",
      mutate: (f) => (find(f, "services", "rook-ceph-rgw-storage").metadata!.name = "rook-ceph-rgw-objects"),
      status: "fail",
      observed: /RGW services in storage: rook-ceph-rgw-objects/,
      remediation: /rgwService to rook-ceph-rgw-objects/,
    },
    {
      name: "no rgw service at all",
      mutate: (f) => remove(f, "services", (s) => s.metadata?.name?.includes("rgw") ?? false),
      status: "fail",
      observed: /no \*rgw\* service in storage/,
    },
    {
      name: "headless service",
      mutate: (f) => (find(f, "services", "rook-ceph-rgw-storage").spec!.clusterIP = "None"),
      status: "fail",
      observed: /headless/,
    },
    {
      name: "services forbidden",
      mutate: (f) => setCollection(f, "services", forbidden("list", "services")),
      status: "unknown",
      observed: /may not list services/,
    },
  ]);

  table("state.s3-api", [
    { name: "offline: skipped, no remediation", status: "skipped", observed: /only probed live/ },
    {
      name: "live, all steps ok",
      mutate: (f) =>
        (f.s3 = {
          state: "done",
          endpoint: "http://10.96.80.20:80",
          discoveredFrom: "CephObjectStore storage/storage",
          steps: ALL_OK,
        }),
      status: "pass",
      observed:
        /list-buckets, create-bucket, put-object, get-object, delete-object, cleanup succeeded in 72 ms/,
    },
    {
      name: "list-buckets denied",
      mutate: (f) =>
        (f.s3 = {
          state: "done",
          endpoint: "http://10.96.80.20:80",
          discoveredFrom: "config",
          steps: [step("list-buckets", false, "AccessDenied: Access Denied")],
        }),
      status: "fail",
      observed: /list-buckets failed: AccessDenied/,
      remediation: /credentials/,
    },
    {
      name: "put fails",
      mutate: (f) =>
        (f.s3 = {
          state: "done",
          endpoint: "http://10.96.80.20:80",
          discoveredFrom: "config",
          steps: [
            step("list-buckets"),
            step("create-bucket"),
            step("put-object", false, "MissingContentLength"),
          ],
        }),
      status: "fail",
      observed: /put-object failed: MissingContentLength/,
    },
    {
      name: "only cleanup failed: warn",
      mutate: (f) =>
        (f.s3 = {
          state: "done",
          endpoint: "http://x",
          discoveredFrom: "env",
          steps: [...ALL_OK.slice(0, 5), step("cleanup", false, "BucketNotEmpty")],
        }),
      status: "warn",
      observed: /cleaning up the probe failed: BucketNotEmpty/,
    },
    {
      name: "live without endpoint/credentials: unknown",
      mutate: (f) =>
        (f.s3 = { state: "unconfigured", reason: "no S3 credentials in config, env or a referenced Secret" }),
      status: "unknown",
      observed: /not probed: no S3 credentials/,
      remediation: /lakehouse:s3\.endpoint/,
    },
  ]);

  table("state.storage-classes", [
    {
      name: "default, block and Retain bucket class",
      status: "pass",
      observed: /Default ceph-block, block class ceph-block, bucket class ceph-bucket \(Retain\)/,
    },
    {
      name: "bucket class deletes data",
      mutate: (f) => (find(f, "storageclasses", "ceph-bucket").reclaimPolicy = "Delete"),
      status: "fail",
      observed: /reclaimPolicy Delete, which deletes the bucket/,
      remediation: /reclaimPolicy: Retain/,
    },
    {
      name: "no bucket class",
      mutate: (f) => remove(f, "storageclasses", (s) => s.metadata?.name === "ceph-bucket"),
      status: "fail",
      observed: /bucket class ceph-bucket missing/,
    },
    {
      name: "bucket class not needed with bucketMode s3-user",
      mutate: (f) => remove(f, "storageclasses", (s) => s.metadata?.name === "ceph-bucket"),
      config: { foundation: { bucketMode: "s3-user" } },
      status: "pass",
    },
    {
      name: "bucket class with a non-Rook provisioner",
      mutate: (f) => (find(f, "storageclasses", "ceph-bucket").provisioner = "openebs.io/local"),
      status: "fail",
      observed: /not Rook's bucket provisioner/,
    },
    {
      name: "no block class",
      config: { platform: { blockStorageClass: "longhorn" } },
      status: "fail",
      observed: /block class longhorn missing/,
    },
    {
      name: "no default class: warn",
      mutate: (f) => (find(f, "storageclasses", "ceph-block").metadata!.annotations = {}),
      status: "warn",
      observed: /No default StorageClass/,
      remediation: /is-default-class=true/,
    },
    {
      name: "two default classes: warn",
      mutate: (f) =>
        (find(f, "storageclasses", "ceph-filesystem").metadata!.annotations = {
          "storageclass.kubernetes.io/is-default-class": "true",
        }),
      status: "warn",
      observed: /2 default StorageClasses/,
    },
  ]);

  table("state.pvc-usage", [
    {
      name: "all Bound, per class",
      status: "pass",
      observed: /816Gi \(ceph-block 801Gi, ceph-filesystem 15Gi\); all Bound/,
    },
    {
      name: "a Pending claim",
      mutate: (f) => (find(f, "persistentvolumeclaims", "gitea-data").status!.phase = "Pending"),
      status: "warn",
      observed: /not Bound: dev\/gitea-data \(Pending\)/,
    },
  ]);

  table("state.node-resources", [
    { name: "4 nodes Ready", status: "pass", observed: /4 nodes Ready without pressure: anton-01/ },
    {
      name: "memory pressure on one node",
      mutate: (f) =>
        setCondition(find(f, "nodes", "anton-03"), "MemoryPressure", "True", "KubeletHasInsufficientMemory"),
      status: "warn",
      observed: /anton-03 MemoryPressure/,
    },
    {
      name: "one node over the line",
      mutate: (f) =>
        ((find(f, "nodemetrics", "anton-02") as { usage: Record<string, string> }).usage.memory = "50Gi"),
      status: "warn",
      observed: /anton-02 memory 80\.6%/,
    },
    {
      name: "tainted NoSchedule node is called out",
      mutate: (f) =>
        (find(f, "nodes", "anton-01").spec!.taints = [
          { key: "node-role.kubernetes.io/control-plane", effect: "NoSchedule" },
        ]),
      status: "warn",
      observed: /anton-01 tainted node-role\.kubernetes\.io\/control-plane:NoSchedule/,
    },
    {
      name: "no metrics: says utilisation was not checked",
      mutate: (f) =>
        setCollection(f, "nodemetrics", { state: "absent", message: "metrics-server not installed" }),
      status: "pass",
      observed: /no metrics: utilisation not checked/,
    },
  ]);

  table("state.flux", [
    { name: "16 Flux objects Ready", status: "pass", observed: /All 16 Flux objects Ready/ },
    {
      name: "GitRepository failing to fetch",
      mutate: (f) =>
        setCondition(
          find(f, "gitrepositories", "flux-system"),
          "Ready",
          "False",
          "GitOperationFailed",
          "ssh: handshake failed",
        ),
      status: "warn",
      observed: /GitRepository flux-system\/flux-system \(GitOperationFailed: ssh: handshake failed\)/,
      remediation: /flux get all -A \| grep -v True/,
    },
    {
      name: "live lists omit each item's kind: messages still name it",
      mutate: (f) => {
        for (const k of ["gitrepositories", "kustomizations", "helmreleases"] as const)
          items(f, k).forEach((o) => delete o.kind);
        setCondition(find(f, "helmreleases", "nextcloud"), "Ready", "False", "UpgradeFailed");
      },
      status: "warn",
      observed: /HelmRelease home\/nextcloud \(UpgradeFailed\)/,
    },
    {
      name: "suspended object",
      mutate: (f) => (find(f, "kustomizations", "airflow").spec!.suspend = true),
      status: "warn",
      observed: /suspended: Kustomization flux-system\/airflow/,
    },
  ]);

  table("state.airflow-pods", [
    {
      name: "8 Airflow pods (the Succeeded cleanup job ignored)",
      status: "pass",
      observed: /8 Airflow pods Running and Ready in airflow/,
    },
    {
      name: "scheduler CrashLoopBackOff",
      mutate: (f) => notReady(pods(f, "airflow-scheduler")[0]),
      status: "fail",
      observed: /scheduler not running/,
    },
    {
      name: "one worker Pending",
      mutate: (f) => notReady(find(f, "pods", "airflow-worker-1"), "Pending"),
      status: "warn",
      observed: /7\/8 Airflow pods Ready; not ready: airflow-worker-1 \(Pending\)/,
    },
    {
      name: "no Airflow",
      mutate: (f) => remove(f, "pods", (p) => p.metadata?.namespace === "airflow"),
      status: "fail",
      observed: /No Airflow pods/,
    },
  ]);

  table("state.prometheus-pods", [
    { name: "all prometheus pods Ready", status: "pass" },
    {
      name: "a node-exporter not ready: warn",
      mutate: (f) => notReady(pods(f, "kube-prometheus-stack-prometheus-node-exporter")[0]),
      status: "warn",
      observed: /Prometheus server Ready, but not ready: kube-prometheus-stack-prometheus-node-exporter/,
    },
    {
      name: "server pod Pending",
      mutate: (f) => notReady(find(f, "pods", "prometheus-kube-prometheus-stack-prometheus-0"), "Pending"),
      status: "fail",
      observed: /No Prometheus server pod Ready in monitoring/,
    },
  ]);

  it("critical state checks gate every phase; airflow pods gate compute and analytics only", () => {
    const f = healthy();
    for (const id of ["state.ceph-health", "state.rgw-service", "state.s3-api", "state.storage-classes"]) {
      assert.equal(run(id, f).critical, true, id);
      assert.deepEqual(run(id, f).gates, ["foundation", "compute", "analytics"]);
    }
    assert.equal(run("state.airflow-pods", f).critical, false);
    assert.deepEqual(run("state.airflow-pods", f).gates, ["compute", "analytics"]);
    assert.equal(config().cluster.cephNamespace, "storage");
  });
});
