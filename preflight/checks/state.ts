/**
 * Current state of the cluster (the assessment's "Current State Assessment" commands). Ceph health, the RGW
 * service, the S3 API and the storage classes are critical (the foundation phase stands on them); the rest
 * warn and, for Airflow, close the phases that use it.
 */
import type { KubeObject } from "../model";
import { PHASES } from "../model";
import { formatBytes, formatCpu, parseBytes } from "../quantity";
import { nodeCapacities } from "./capacity";
import { isPrometheusServer } from "./prerequisites";
import type { CheckDefinition, CheckOutcome } from "./types";
import {
  condition,
  findNamed,
  inNamespace,
  isReady,
  isRunningReady,
  isTerminated,
  listSome,
  need,
  notReadyReason,
  percent,
  plural,
  podPhase,
  ref,
  withKind,
} from "./util";

/** Ceph capacities are terabytes: "7Ti" reads better than "7153.96Gi". */
function bigBytes(n: number): string {
  return n >= 2 ** 40 ? `${Math.round((n / 2 ** 40) * 100) / 100}Ti` : formatBytes(n);
}

/** Ceph's default nearfull ratio: above it Ceph itself starts warning. */
const CEPH_NEARFULL_PERCENT = 85;

const cephHealth: CheckDefinition = {
  id: "state.ceph-health",
  title: "Ceph cluster health",
  category: "state",
  severity: "critical",
  critical: true,
  gates: PHASES,
  evaluate(facts, { config }) {
    const { cephNamespace: ns, cephCluster: name } = config.cluster;
    const expected = `CephCluster ${name ? `${ns}/${name}` : `in ${ns}`} reports HEALTH_OK (HEALTH_WARN is a warning, HEALTH_ERR blocks).`;
    const n = need(facts, "cephclusters", expected);
    if ("outcome" in n) return n.outcome;
    const cluster = name ? findNamed(n.items, ns, name) : inNamespace(n.items, ns)[0];
    if (!cluster) {
      return {
        status: "fail",
        observed: `No CephCluster ${name ? `${ns}/${name}` : `in namespace ${ns}`}${n.items.length ? ` (found: ${listSome(n.items.map(ref))})` : ""}.`,
        expected,
        remediation:
          "Deploy Rook-Ceph's CephCluster, or set lakehouse:cluster.cephNamespace/cephCluster to where it runs.",
      };
    }
    const ceph = (cluster.status?.ceph ?? {}) as {
      health?: string;
      capacity?: { bytesTotal?: number; bytesUsed?: number };
      details?: Record<string, { message?: string }>;
    };
    const health = ceph.health;
    const total = Number(ceph.capacity?.bytesTotal ?? 0);
    const used = Number(ceph.capacity?.bytesUsed ?? 0);
    const usedPct = total > 0 ? percent(used, total) : undefined;
    const usage =
      usedPct === undefined
        ? ""
        : `; raw capacity ${usedPct}% used (${bigBytes(used)} of ${bigBytes(total)})`;
    const details = Object.entries(ceph.details ?? {})
      .map(([k, v]) => `${k}${v?.message ? `: ${v.message}` : ""}`)
      .slice(0, 2);
    const detail = details.length ? ` (${details.join("; ")})` : "";
    const tools = `kubectl -n ${ns} exec deploy/rook-ceph-tools -- ceph status`;
    const data = { health: health ?? null, usedPercent: usedPct ?? null };
    if (health === "HEALTH_OK") {
      if (usedPct !== undefined && usedPct >= CEPH_NEARFULL_PERCENT) {
        return {
          status: "warn",
          observed: `CephCluster ${ref(cluster)} is HEALTH_OK${usage}.`,
          expected,
          remediation: `Add OSD capacity or free space: Ceph goes read-only near full and the lakehouse will add data (${tools}).`,
          data,
        };
      }
      return {
        status: "pass",
        observed: `CephCluster ${ref(cluster)} is HEALTH_OK${usage}.`,
        expected,
        remediation: "",
        data,
      };
    }
    if (health === "HEALTH_WARN") {
      return {
        status: "warn",
        observed: `CephCluster ${ref(cluster)} is HEALTH_WARN${detail}${usage}.`,
        expected,
        remediation: `Run \`${tools}\` and clear the warnings before adding load.`,
        data,
      };
    }
    if (health === "HEALTH_ERR") {
      return {
        status: "fail",
        observed: `CephCluster ${ref(cluster)} is HEALTH_ERR${detail}${usage}.`,
        expected,
        remediation: `Run \`${tools}\` and resolve the errors; do not add a data platform to an unhealthy Ceph.`,
        data,
      };
    }
    return {
      status: "unknown",
      observed: `CephCluster ${ref(cluster)} reports no health yet (status.ceph.health is ${health ?? "missing"}).`,
      expected,
      remediation: `Wait for the Rook operator to report health, or run \`${tools}\`.`,
      data,
    };
  },
};

const rgwService: CheckDefinition = {
  id: "state.rgw-service",
  title: "RADOS Gateway service",
  category: "state",
  severity: "critical",
  critical: true,
  gates: PHASES,
  evaluate(facts, { config }) {
    const { cephNamespace: ns, rgwService: name } = config.cluster;
    const expected = `Service ${ns}/${name} exists with a cluster IP and a port.`;
    const n = need(facts, "services", expected);
    if ("outcome" in n) return n.outcome;
    const svc = findNamed(n.items, ns, name);
    if (!svc) {
      const rgw = inNamespace(n.items, ns)
        .map((s) => s.metadata?.name ?? "")
        .filter((s) => s.includes("rgw"));
      return {
        status: "fail",
        observed: `No Service ${ns}/${name}${rgw.length ? ` (RGW services in ${ns}: ${rgw.join(", ")})` : ` and no *rgw* service in ${ns}`}.`,
        expected,
        remediation: rgw.length
          ? `Set lakehouse:cluster.rgwService to ${rgw[0]}, or rename the object store so Rook creates ${name}.`
          : `Create the CephObjectStore (Rook then creates Service ${name}) or set lakehouse:cluster.rgwService.`,
      };
    }
    const ip = svc.spec?.clusterIP;
    const ports = Array.isArray(svc.spec?.ports) ? (svc.spec.ports as { port?: number }[]) : [];
    if (!ports.length || (svc.spec?.type !== "ExternalName" && (!ip || ip === "None"))) {
      return {
        status: "fail",
        observed: `Service ${ns}/${name} has ${!ports.length ? "no ports" : "no cluster IP (headless)"}.`,
        expected,
        remediation: `Let Rook manage Service ${name} (delete it so the operator recreates it) or fix its spec.`,
      };
    }
    return {
      status: "pass",
      observed: `Service ${ns}/${name} at ${ip}:${ports.map((p) => p.port).join(",")}.`,
      expected,
      remediation: "",
      data: { clusterIP: ip, ports: ports.map((p) => p.port) },
    };
  },
};

const s3Api: CheckDefinition = {
  id: "state.s3-api",
  title: "S3 API round trip (list, put, get, delete)",
  category: "state",
  severity: "critical",
  critical: true,
  gates: PHASES,
  evaluate(facts, { config }) {
    const expected = `List buckets, then put, get and delete a probe object in scratch bucket ${config.s3.scratchBucket}, all succeeding.`;
    const s3 = facts.s3;
    if (s3.state === "skipped") {
      return {
        status: "skipped",
        observed: `Skipped: ${s3.reason}.`.replace(/\.\.$/, "."),
        expected,
        remediation: "",
      };
    }
    if (s3.state === "unconfigured") {
      return {
        status: "unknown",
        observed: `The S3 API was not probed: ${s3.reason.replace(/\.$/, "")}.`,
        expected,
        remediation:
          "Set lakehouse:s3.endpoint and lakehouse:s3.credentialsSecret (or AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY) so the preflight can test S3.",
      };
    }
    const failed = s3.steps.filter((s) => !s.ok);
    const data = { endpoint: s3.endpoint, discoveredFrom: s3.discoveredFrom, steps: s3.steps };
    const total = s3.steps.reduce((a, s) => a + s.ms, 0);
    const hard = failed.filter((s) => s.name !== "cleanup");
    if (hard.length) {
      const f = hard[0];
      return {
        status: "fail",
        observed: `S3 at ${s3.endpoint} (${s3.discoveredFrom}): ${f.name} failed: ${f.detail.replace(/\.$/, "")}.`,
        expected,
        remediation:
          f.name === "list-buckets"
            ? "Check the RGW endpoint and the credentials (a CephObjectStoreUser's keys) with `aws s3 --endpoint-url ... ls`."
            : `Give the S3 user permission to create and write bucket ${config.s3.scratchBucket}, or check RGW logs for the ${f.name} error.`,
        data,
      };
    }
    if (failed.length) {
      return {
        status: "warn",
        observed: `S3 at ${s3.endpoint} works, but cleaning up the probe failed: ${failed[0].detail.replace(/\.$/, "")}.`,
        expected,
        remediation: `Delete the scratch bucket ${config.s3.scratchBucket} by hand if it is left behind.`,
        data,
      };
    }
    return {
      status: "pass",
      observed: `S3 at ${s3.endpoint} (${s3.discoveredFrom}): ${s3.steps.map((s) => s.name).join(", ")} succeeded in ${total} ms.`,
      expected,
      remediation: "",
      data,
    };
  },
};

function isDefaultClass(sc: KubeObject): boolean {
  const a = sc.metadata?.annotations ?? {};
  return (
    a["storageclass.kubernetes.io/is-default-class"] === "true" ||
    a["storageclass.beta.kubernetes.io/is-default-class"] === "true"
  );
}

const storageClasses: CheckDefinition = {
  id: "state.storage-classes",
  title: "Storage classes: a default, the block class, a bucket class that retains data",
  category: "state",
  severity: "critical",
  critical: true,
  gates: PHASES,
  evaluate(facts, { config }) {
    const { blockStorageClass: block, bucketStorageClass: bucket } = config.platform;
    const obc = config.foundation.bucketMode === "obc";
    const expected = `A default StorageClass, block class ${block}${obc ? `, and bucket class ${bucket} (Rook bucket provisioner) with reclaimPolicy Retain` : ""}.`;
    const n = need(facts, "storageclasses", expected);
    if ("outcome" in n) return n.outcome;
    const names = n.items.map((s) => s.metadata?.name ?? "?");
    const problems: string[] = [];
    const fixes: string[] = [];
    const defaults = n.items.filter(isDefaultClass);
    if (!findNamed(n.items, undefined, block)) {
      problems.push(`block class ${block} missing`);
      fixes.push(`create a Ceph RBD StorageClass ${block} or set lakehouse:platform.blockStorageClass`);
    }
    let bucketNote = "";
    if (obc) {
      const b = findNamed(n.items, undefined, bucket);
      const prov = typeof b?.provisioner === "string" ? b.provisioner : "";
      if (!b) {
        problems.push(`bucket class ${bucket} missing`);
        fixes.push(
          `create a StorageClass ${bucket} with provisioner <rook-namespace>.ceph.rook.io/bucket and reclaimPolicy Retain`,
        );
      } else if (!prov.endsWith(".ceph.rook.io/bucket")) {
        problems.push(`${bucket} uses provisioner ${prov || "(none)"}, not Rook's bucket provisioner`);
        fixes.push(`point lakehouse:platform.bucketStorageClass at a Rook bucket StorageClass`);
      } else if (b.reclaimPolicy !== "Retain") {
        problems.push(
          `bucket class ${bucket} has reclaimPolicy ${String(b.reclaimPolicy ?? "Delete")}, which deletes the bucket and its data with the claim`,
        );
        fixes.push(`recreate ${bucket} with reclaimPolicy: Retain (the field is immutable)`);
      } else bucketNote = `, bucket class ${bucket} (Retain)`;
    }
    if (problems.length) {
      return {
        status: "fail",
        observed: `StorageClasses ${listSome(names, 5)}: ${problems.join("; ")}.`,
        expected,
        remediation: `${fixes.join("; ").replace(/^./, (c) => c.toUpperCase())}.`,
      };
    }
    if (defaults.length !== 1) {
      return {
        status: "warn",
        observed:
          defaults.length === 0
            ? `No default StorageClass among ${listSome(names, 5)}.`
            : `${defaults.length} default StorageClasses (${defaults.map((d) => d.metadata?.name).join(", ")}).`,
        expected,
        remediation: `Mark exactly one class default: kubectl annotate storageclass ${block} storageclass.kubernetes.io/is-default-class=true --overwrite.`,
      };
    }
    return {
      status: "pass",
      observed: `Default ${defaults[0].metadata?.name}, block class ${block}${bucketNote}.`,
      expected,
      remediation: "",
    };
  },
};

const pvcUsage: CheckDefinition = {
  id: "state.pvc-usage",
  title: "PVC usage by storage class; no Pending or Lost claims",
  category: "state",
  severity: "low",
  critical: false,
  gates: [],
  evaluate(facts) {
    const expected = "Every PVC Bound; requests summed per storage class.";
    const n = need(facts, "persistentvolumeclaims", expected);
    if ("outcome" in n) return n.outcome;
    const byClass: Record<string, number> = {};
    let total = 0;
    const unbound: string[] = [];
    for (const p of n.items) {
      const req =
        parseBytes((p.spec?.resources as { requests?: { storage?: string } })?.requests?.storage) ?? 0;
      const sc = typeof p.spec?.storageClassName === "string" ? p.spec.storageClassName : "(default)";
      byClass[sc] = (byClass[sc] ?? 0) + req;
      total += req;
      const phase = typeof p.status?.phase === "string" ? p.status.phase : "Unknown";
      if (phase !== "Bound") unbound.push(`${ref(p)} (${phase})`);
    }
    const classes = Object.entries(byClass)
      .sort((a, b) => b[1] - a[1])
      .map(([k, v]) => `${k} ${formatBytes(v)}`)
      .join(", ");
    const data = { totalBytes: total, byClass };
    const observed = `${plural(n.items.length, "PVC")} request ${formatBytes(total)}${classes ? ` (${classes})` : ""}`;
    if (unbound.length) {
      return {
        status: "warn",
        observed: `${observed}; not Bound: ${listSome(unbound)}.`,
        expected,
        remediation:
          "Describe the unbound claims (kubectl describe pvc) and fix their storage class or provisioner.",
        data,
      };
    }
    return { status: "pass", observed: `${observed}; all Bound.`, expected, remediation: "", data };
  },
};

const PRESSURE = ["MemoryPressure", "DiskPressure", "PIDPressure"];

const nodeResources: CheckDefinition = {
  id: "state.node-resources",
  title: "Node resources: nodes Ready, no pressure, each under the utilisation line",
  category: "state",
  severity: "high",
  critical: false,
  gates: [],
  evaluate(facts, { config }) {
    const line = config.thresholds.maxUtilizationPercent;
    const expected = `Every node Ready and schedulable, without pressure conditions, CPU and memory below ${line}%.`;
    const nodes = need(facts, "nodes", expected);
    if ("outcome" in nodes) return nodes.outcome;
    if (nodes.items.length === 0) {
      return {
        status: "fail",
        observed: "No nodes.",
        expected,
        remediation: "Check that the input or the API really is the anton cluster.",
      };
    }
    const pods = need(facts, "pods", expected);
    const m = facts.kinds.nodemetrics;
    const per = nodeCapacities(
      nodes.items,
      "items" in pods ? pods.items : [],
      m?.state === "ok" ? m.items : null,
    );
    const issues: string[] = [];
    for (const node of nodes.items) {
      const name = node.metadata?.name ?? "?";
      const c = per.find((x) => x.name === name)!;
      const pressure = PRESSURE.filter((t) => condition(node, t)?.status === "True");
      if (c.unschedulable) issues.push(`${name} ${c.unschedulable}`);
      if (pressure.length) issues.push(`${name} ${pressure.join("+")}`);
      if (c.usedCpu !== null && percent(c.usedCpu, c.allocatableCpu) >= line) {
        issues.push(`${name} CPU ${percent(c.usedCpu, c.allocatableCpu)}%`);
      }
      if (c.usedMemory !== null && percent(c.usedMemory, c.allocatableMemory) >= line) {
        issues.push(`${name} memory ${percent(c.usedMemory, c.allocatableMemory)}%`);
      }
    }
    const data = {
      nodes: per.map((c) => ({
        ...c,
        requestedCpuPercent: percent(c.requestedCpu, c.allocatableCpu),
        requestedMemoryPercent: percent(c.requestedMemory, c.allocatableMemory),
      })),
    };
    const line1 = per
      .map(
        (c) =>
          `${c.name} ${formatCpu(c.requestedCpu)}/${formatCpu(c.allocatableCpu)} CPU, ${formatBytes(c.requestedMemory)}/${formatBytes(c.allocatableMemory)} requested`,
      )
      .slice(0, 4)
      .join("; ");
    const metricsNote = m?.state === "ok" ? "" : " (no metrics: utilisation not checked)";
    if (issues.length) {
      return {
        status: "warn",
        observed: `${plural(nodes.items.length, "node")}: ${listSome(issues, 4)}${metricsNote}.`,
        expected,
        remediation:
          "Repair, uncordon or relieve the listed nodes (kubectl describe node NAME) before adding load.",
        data,
      };
    }
    return {
      status: "pass",
      observed: `${plural(nodes.items.length, "node")} Ready without pressure${metricsNote}: ${line1}${per.length > 4 ? "; ..." : ""}.`,
      expected,
      remediation: "",
      data,
    };
  },
};

const flux: CheckDefinition = {
  id: "state.flux",
  title: "Flux: every source, Kustomization and HelmRelease Ready",
  category: "state",
  severity: "high",
  critical: false,
  gates: [],
  evaluate(facts) {
    const expected = "`flux get all -A` shows every GitRepository, Kustomization and HelmRelease Ready=True.";
    const all: KubeObject[] = [];
    for (const kind of ["gitrepositories", "kustomizations", "helmreleases"] as const) {
      const n = need(facts, kind, expected);
      if ("outcome" in n) return n.outcome;
      all.push(...withKind(n.items, kind));
    }
    const suspended = all.filter((o) => o.spec?.suspend === true);
    const bad = all.filter((o) => o.spec?.suspend !== true && !isReady(o));
    if (bad.length) {
      return {
        status: "warn",
        observed: `${plural(bad.length, "Flux object")} of ${all.length} not Ready: ${listSome(
          bad.map((o) => `${o.kind} ${ref(o)} (${notReadyReason(o)})`),
          3,
        )}.`,
        expected,
        remediation: "Run `flux get all -A | grep -v True`, read the messages and fix each reconciliation.",
        data: { notReady: bad.map(ref) },
      };
    }
    if (suspended.length) {
      return {
        status: "warn",
        observed: `${plural(suspended.length, "Flux object")} suspended: ${listSome(suspended.map((o) => `${o.kind} ${ref(o)}`))}.`,
        expected,
        remediation: "Resume them (`flux resume ...`) or remove them, so Git stays the source of truth.",
      };
    }
    return {
      status: "pass",
      observed: `All ${plural(all.length, "Flux object")} Ready.`,
      expected,
      remediation: "",
    };
  },
};

const airflowPods: CheckDefinition = {
  id: "state.airflow-pods",
  title: "Airflow pods running",
  category: "state",
  severity: "high",
  critical: false,
  gates: ["compute", "analytics"],
  evaluate(facts, { config }) {
    const ns = config.cluster.airflowNamespace;
    const expected = `Airflow pods in ${ns} Running and Ready, including the scheduler.`;
    const n = need(facts, "pods", expected);
    if ("outcome" in n) return n.outcome;
    const pods = inNamespace(n.items, ns).filter(
      (p) => /airflow/.test(p.metadata?.name ?? "") && !isTerminated(p),
    );
    if (pods.length === 0) {
      return {
        status: "fail",
        observed: `No Airflow pods in namespace ${ns}.`,
        expected,
        remediation: `Deploy Airflow in ${ns} (HelmRelease ${config.cluster.airflowRelease}) or set lakehouse:cluster.airflowNamespace.`,
      };
    }
    const notReady = pods.filter((p) => !isRunningReady(p));
    const scheduler = pods.filter((p) => /scheduler/.test(p.metadata?.name ?? ""));
    const schedulerOk = scheduler.some(isRunningReady);
    const desc = notReady.map((p) => `${p.metadata?.name} (${podPhase(p)})`);
    if (!schedulerOk) {
      return {
        status: "fail",
        observed: `Airflow scheduler not running in ${ns}${desc.length ? `; not ready: ${listSome(desc)}` : ""}.`,
        expected,
        remediation: `Check \`kubectl -n ${ns} get pods\` and the scheduler's logs; without it no DAG (and no Spark job) runs.`,
      };
    }
    if (notReady.length) {
      return {
        status: "warn",
        observed: `${pods.length - notReady.length}/${pods.length} Airflow pods Ready; not ready: ${listSome(desc)}.`,
        expected,
        remediation: `Run \`kubectl -n ${ns} describe pod\` on the listed pods and fix them.`,
      };
    }
    return {
      status: "pass",
      observed: `${plural(pods.length, "Airflow pod")} Running and Ready in ${ns}.`,
      expected,
      remediation: "",
    };
  },
};

const prometheusPods: CheckDefinition = {
  id: "state.prometheus-pods",
  title: "Prometheus pods running",
  category: "state",
  severity: "medium",
  critical: false,
  gates: [],
  evaluate(facts, { config }): CheckOutcome {
    const ns = config.cluster.monitoringNamespace;
    const expected = `Prometheus server pod(s) in ${ns} Running and Ready; the other prometheus pods (operator, exporters) too.`;
    const n = need(facts, "pods", expected);
    if ("outcome" in n) return n.outcome;
    const pods = inNamespace(n.items, ns).filter(
      (p) => /prometheus/.test(p.metadata?.name ?? "") && !isTerminated(p),
    );
    const servers = pods.filter(isPrometheusServer);
    const notReady = pods
      .filter((p) => !isRunningReady(p))
      .map((p) => `${p.metadata?.name} (${podPhase(p)})`);
    if (!servers.some(isRunningReady)) {
      return {
        status: "fail",
        observed: servers.length
          ? `No Prometheus server pod Ready in ${ns} (${listSome(notReady)}).`
          : `No Prometheus server pod in ${ns}${pods.length ? ` (other prometheus pods: ${pods.length})` : ""}.`,
        expected,
        remediation: `Check \`kubectl -n ${ns} get pods | grep prometheus\` and the Prometheus custom resource; the platform's alerts need it.`,
      };
    }
    if (notReady.length) {
      return {
        status: "warn",
        observed: `Prometheus server Ready, but not ready: ${listSome(notReady)}.`,
        expected,
        remediation: `Run \`kubectl -n ${ns} describe pod\` on the listed pods and fix them.`,
      };
    }
    return {
      status: "pass",
      observed: `${plural(pods.length, "prometheus pod")} Running and Ready in ${ns}.`,
      expected,
      remediation: "",
    };
  },
};

export const STATE_CHECKS: readonly CheckDefinition[] = [
  cephHealth,
  rgwService,
  s3Api,
  storageClasses,
  pvcUsage,
  nodeResources,
  flux,
  airflowPods,
  prometheusPods,
];
