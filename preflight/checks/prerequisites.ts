/**
 * Infrastructure and operational prerequisites. All critical: `fail` or `unknown` blocks the verdict (fail
 * closed). Airflow only gates the phases that use it (compute, analytics).
 */
import type { KubeObject, Phase } from "../model";
import { PHASES } from "../model";
import { formatBytes, formatCpu, parseBytes, parseCpu } from "../quantity";
import { nodeCapacities, summarise } from "./capacity";
import type { CheckDefinition, CheckOutcome } from "./types";
import {
  findNamed,
  inNamespace,
  isReady,
  isRunningReady,
  listSome,
  need,
  notReadyReason,
  percent,
  withKind,
  plural,
  ref,
} from "./util";

function prereq(
  id: string,
  title: string,
  evaluate: CheckDefinition["evaluate"],
  gates: readonly Phase[] = PHASES,
): CheckDefinition {
  return { id, title, category: "prerequisite", severity: "critical", critical: true, gates, evaluate };
}

const cephObjectStore = prereq(
  "prereq.ceph-object-store",
  "Ceph object store (RADOS Gateway) is Ready",
  (facts, { config }) => {
    const { cephNamespace: ns, objectStore: name } = config.cluster;
    const expected = `CephObjectStore ${ns}/${name} reports status.phase Ready.`;
    const n = need(facts, "cephobjectstores", expected);
    if ("outcome" in n) return n.outcome;
    const store = findNamed(n.items, ns, name);
    if (!store) {
      const others = n.items.map(ref);
      return {
        status: "fail",
        observed: `No CephObjectStore ${ns}/${name}${others.length ? ` (found: ${listSome(others)})` : " (none in the cluster)"}.`,
        expected,
        remediation: others.length
          ? `Point lakehouse:cluster.objectStore/cephNamespace at the existing store, or create CephObjectStore ${name} in namespace ${ns}.`
          : `Create a CephObjectStore named ${name} in namespace ${ns} (Rook's rook-ceph-cluster chart, cephObjectStores).`,
      };
    }
    const phase = typeof store.status?.phase === "string" ? store.status.phase : "(none)";
    if (phase === "Ready") {
      return {
        status: "pass",
        observed: `CephObjectStore ${ns}/${name} is Ready.`,
        expected,
        remediation: "",
      };
    }
    return {
      status: "fail",
      observed: `CephObjectStore ${ns}/${name} has phase ${phase}.`,
      expected,
      remediation: `Inspect \`kubectl -n ${ns} describe cephobjectstore ${name}\` and the rook-ceph-operator logs, and fix the RGW until the phase is Ready.`,
    };
  },
);

/** Capacity measurement shared with the evaluate step (Report.capacity). */
const clusterCapacity = prereq(
  "prereq.cluster-capacity",
  "Cluster capacity: free CPU and memory, utilisation under the line",
  (facts, { config }) => {
    const t = config.thresholds;
    const minMem = parseBytes(t.minFreeMemory) ?? 0;
    const minCpu = parseCpu(t.minFreeCpu) ?? 0;
    const line = t.maxUtilizationPercent;
    const expected = `At least ${formatBytes(minMem)} memory and ${formatCpu(minCpu)} CPU free (allocatable - requests) on schedulable nodes, and CPU and memory utilisation below ${line}%.`;
    const nodes = need(facts, "nodes", expected);
    if ("outcome" in nodes) return nodes.outcome;
    const pods = need(facts, "pods", expected);
    if ("outcome" in pods) return pods.outcome;
    const m = need(facts, "nodemetrics", expected);
    const metrics = "items" in m ? m.items : null;
    const per = nodeCapacities(nodes.items, pods.items, metrics);
    const cap = summarise(per, line);
    const skipped = per.filter((n) => n.unschedulable).map((n) => `${n.name} (${n.unschedulable})`);
    const skippedNote = skipped.length ? `; not counted: ${listSome(skipped)}` : "";
    const data = { capacity: cap, nodes: per };
    if (cap.nodes === 0) {
      return {
        status: "fail",
        observed: `No schedulable nodes${skippedNote}.`,
        expected,
        remediation: "Uncordon or repair the nodes (kubectl get nodes; kubectl uncordon NODE) and rerun.",
        data,
      };
    }
    const free = `${formatBytes(cap.freeMemory)} memory and ${formatCpu(cap.freeCpu)} CPU free on ${plural(cap.nodes, "schedulable node")}`;
    const short: string[] = [];
    if (cap.freeMemory < minMem) short.push(`${formatBytes(minMem - cap.freeMemory)} memory`);
    if (cap.freeCpu < minCpu) short.push(`${formatCpu(minCpu - cap.freeCpu)} CPU`);
    if (short.length) {
      return {
        status: "fail",
        observed: `Only ${free}${skippedNote}.`,
        expected,
        remediation: `Free or add ${short.join(" and ")} (lower requests of idle workloads, uncordon or add a node) before bootstrapping.`,
        data,
      };
    }
    if (cap.usedCpu === null || cap.usedMemory === null) {
      const why =
        "outcome" in m
          ? m.outcome.observed.replace(/\.$/, "")
          : `no metrics for ${listSome(per.filter((n) => !n.unschedulable && n.usedCpu === null).map((n) => n.name))}`;
      return {
        status: "unknown",
        observed: `${free}, but utilisation is unknown: ${why}.`,
        expected,
        remediation:
          "Install metrics-server (or pass `kubectl get --raw /apis/metrics.k8s.io/v1beta1/nodes` output offline) so utilisation can be verified.",
        data,
      };
    }
    const cpuPct = percent(cap.usedCpu, cap.allocatableCpu);
    const memPct = percent(cap.usedMemory, cap.allocatableMemory);
    const util = `utilisation ${cpuPct}% CPU, ${memPct}% memory`;
    const over: string[] = [];
    if (cpuPct >= line) over.push(`CPU ${cpuPct}%`);
    if (memPct >= line) over.push(`memory ${memPct}%`);
    if (over.length) {
      return {
        status: "fail",
        observed: `${free}${skippedNote}, but ${over.join(" and ")} is at or above ${line}%.`,
        expected,
        remediation: `Bring utilisation under ${line}% (scale down or move busy workloads, add a node) before bootstrapping.`,
        data,
      };
    }
    return { status: "pass", observed: `${free}${skippedNote}; ${util}.`, expected, remediation: "", data };
  },
);

const airflow = prereq(
  "prereq.airflow",
  "Airflow orchestration: HelmRelease Ready",
  (facts, { config }) => {
    const { airflowNamespace: ns, airflowRelease: name } = config.cluster;
    const expected = `HelmRelease ${ns}/${name} has condition Ready=True.`;
    const n = need(facts, "helmreleases", expected);
    if ("outcome" in n) return n.outcome;
    const hr = findNamed(n.items, ns, name);
    if (!hr) {
      return {
        status: "fail",
        observed: `No HelmRelease ${ns}/${name}${inNamespace(n.items, ns).length ? ` (in ${ns}: ${listSome(inNamespace(n.items, ns).map((o) => o.metadata?.name ?? "?"))})` : ""}.`,
        expected,
        remediation: `Deploy Airflow as Flux HelmRelease ${name} in namespace ${ns}, or set lakehouse:cluster.airflowNamespace/airflowRelease to yours.`,
      };
    }
    if (isReady(hr)) {
      return { status: "pass", observed: `HelmRelease ${ns}/${name} is Ready.`, expected, remediation: "" };
    }
    return {
      status: "fail",
      observed: `HelmRelease ${ns}/${name} is not Ready (${notReadyReason(hr)}).`,
      expected,
      remediation: `Run \`flux -n ${ns} get helmrelease ${name}\` and \`flux -n ${ns} logs\` and fix the release until it is Ready.`,
    };
  },
  ["compute", "analytics"],
);

/** Prometheus server pods (not the operator, node-exporter or kube-state-metrics). */
export function isPrometheusServer(p: KubeObject): boolean {
  const label = p.metadata?.labels?.["app.kubernetes.io/name"] ?? p.metadata?.labels?.app;
  if (label !== undefined) return label === "prometheus";
  // Unlabelled: the operator names server pods prometheus-<name>-N; exporters and helpers carry a suffix.
  const name = p.metadata?.name ?? "";
  return /^prometheus-/.test(name) && !/(node-exporter|operator|pushgateway|adapter|blackbox)/.test(name);
}
function isGrafana(p: KubeObject): boolean {
  const label = p.metadata?.labels?.["app.kubernetes.io/name"] ?? p.metadata?.labels?.app;
  return label === "grafana" || /grafana/.test(p.metadata?.name ?? "");
}

const monitoring = prereq(
  "prereq.monitoring",
  "Monitoring: Prometheus and Grafana running",
  (facts, { config }) => {
    const ns = config.cluster.monitoringNamespace;
    const expected = `A Prometheus and a Grafana pod Running and Ready in namespace ${ns}.`;
    const n = need(facts, "pods", expected);
    if ("outcome" in n) return n.outcome;
    const pods = inNamespace(n.items, ns);
    const prom = pods.filter(isPrometheusServer);
    const graf = pods.filter(isGrafana);
    const promOk = prom.filter(isRunningReady);
    const grafOk = graf.filter(isRunningReady);
    const missing: string[] = [];
    if (promOk.length === 0)
      missing.push(prom.length ? `Prometheus (${prom.length} pod(s), none Ready)` : "Prometheus (no pod)");
    if (grafOk.length === 0)
      missing.push(graf.length ? `Grafana (${graf.length} pod(s), none Ready)` : "Grafana (no pod)");
    if (missing.length === 0) {
      return {
        status: "pass",
        observed: `Prometheus (${promOk.length}) and Grafana (${grafOk.length}) pods are Running and Ready in ${ns}.`,
        expected,
        remediation: "",
      };
    }
    return {
      status: "fail",
      observed: `Not running in ${ns}: ${missing.join("; ")}.`,
      expected,
      remediation: `Deploy or repair kube-prometheus-stack in namespace ${ns} (kubectl -n ${ns} get pods), or set lakehouse:cluster.monitoringNamespace.`,
    };
  },
);

const FLUX_CONTROLLERS = ["source-controller", "kustomize-controller", "helm-controller"];

function deploymentAvailable(d: KubeObject): boolean {
  const avail = Number(d.status?.availableReplicas ?? 0);
  return avail > 0;
}

const gitops = prereq("prereq.gitops", "GitOps: Flux controllers up and reconciling", (facts, { config }) => {
  const ns = config.cluster.fluxNamespace;
  const expected = `Flux ${FLUX_CONTROLLERS.join(", ")} available in ${ns}; every Kustomization and HelmRelease Ready.`;
  const deps = need(facts, "deployments", expected);
  if ("outcome" in deps) return deps.outcome;
  const ks = need(facts, "kustomizations", expected);
  if ("outcome" in ks) return ks.outcome;
  const hrs = need(facts, "helmreleases", expected);
  if ("outcome" in hrs) return hrs.outcome;
  const down = FLUX_CONTROLLERS.filter((c) => {
    const d = findNamed(deps.items, ns, c);
    return !d || !deploymentAvailable(d);
  });
  if (down.length) {
    return {
      status: "fail",
      observed: `Flux controller(s) not available in ${ns}: ${down.join(", ")}.`,
      expected,
      remediation: `Run \`flux check\` and repair the controllers (kubectl -n ${ns} get deploy), or set lakehouse:cluster.fluxNamespace.`,
    };
  }
  if (ks.items.length === 0) {
    return {
      status: "fail",
      observed: "Flux controllers run but there are no Kustomizations: nothing is reconciled from Git.",
      expected,
      remediation: "Bootstrap Flux against your Git repository (`flux bootstrap ...`).",
    };
  }
  const notReady = [...withKind(ks.items, "kustomizations"), ...withKind(hrs.items, "helmreleases")]
    .filter((o) => o.spec?.suspend !== true && !isReady(o))
    .map((o) => `${o.kind} ${ref(o)} (${notReadyReason(o)})`);
  if (notReady.length) {
    return {
      status: "fail",
      observed: `${plural(notReady.length, "Flux object")} not Ready: ${listSome(notReady, 2)}.`,
      expected,
      remediation: "Run `flux get all -A | grep -v True` and fix the failing reconciliations.",
    };
  }
  const suspended = [...ks.items, ...hrs.items].filter((o) => o.spec?.suspend === true).length;
  return {
    status: "pass",
    observed: `Flux controllers available; ${plural(ks.items.length, "Kustomization")} and ${plural(hrs.items.length, "HelmRelease")} Ready${suspended ? ` (${suspended} suspended)` : ""}.`,
    expected,
    remediation: "",
  };
});

const ESO_CRDS = [
  "externalsecrets.external-secrets.io",
  "secretstores.external-secrets.io",
  "clustersecretstores.external-secrets.io",
];

const secretManagement = prereq(
  "prereq.secret-management",
  "Secret management: External Secrets Operator or an alternative",
  (facts, { config }): CheckOutcome => {
    const sm = config.secretManagement;
    if (sm.provider === "other") {
      return {
        status: "warn",
        observed:
          "lakehouse:secretManagement.provider is `other`: an alternative the operator vouches for; not verified.",
        expected: "External Secrets Operator or sealed-secrets running, or an alternative you vouch for.",
        remediation:
          "Make sure your secret tool can deliver the metastore database credentials before bootstrapping.",
      };
    }
    const deps = need(facts, "deployments", "");
    const crds = need(facts, "customresourcedefinitions", "");
    if (sm.provider === "sealed-secrets") {
      const ns = sm.sealedSecretsNamespace;
      const expected = `The sealedsecrets.bitnami.com CRD and a sealed-secrets controller available in ${ns}.`;
      if ("outcome" in deps) return { ...deps.outcome, expected };
      if ("outcome" in crds) return { ...crds.outcome, expected };
      const crd = crds.items.some((c) => c.metadata?.name === "sealedsecrets.bitnami.com");
      const ctl = inNamespace(deps.items, ns).find((d) => /sealed-secrets/.test(d.metadata?.name ?? ""));
      if (crd && ctl && deploymentAvailable(ctl)) {
        return {
          status: "pass",
          observed: `sealed-secrets controller ${ref(ctl)} is available.`,
          expected,
          remediation: "",
        };
      }
      return {
        status: "fail",
        observed: `${crd ? "" : "SealedSecret CRD not installed; "}${ctl ? `controller ${ref(ctl)} not available` : `no sealed-secrets controller in ${ns}`}.`,
        expected,
        remediation: `Install sealed-secrets in ${ns} (or set lakehouse:secretManagement.sealedSecretsNamespace).`,
      };
    }
    const ns = config.cluster.externalSecretsNamespace;
    const expected = `External Secrets CRDs installed and the external-secrets controller available (namespace ${ns}).`;
    if ("outcome" in crds) return { ...crds.outcome, expected };
    if ("outcome" in deps) return { ...deps.outcome, expected };
    const have = new Set(crds.items.map((c) => c.metadata?.name ?? ""));
    const missingCrds = ESO_CRDS.filter((c) => !have.has(c));
    // The chart names the controller after the release; prefer the configured namespace, accept any.
    const candidates = deps.items.filter(
      (d) =>
        d.metadata?.name === "external-secrets" ||
        d.metadata?.labels?.["app.kubernetes.io/name"] === "external-secrets",
    );
    const ctl = candidates.find((d) => d.metadata?.namespace === ns) ?? candidates[0];
    if (missingCrds.length === ESO_CRDS.length) {
      return {
        status: "fail",
        observed: "External Secrets CRDs not installed (no *.external-secrets.io CRDs).",
        expected,
        remediation:
          "Install External Secrets Operator (helm chart external-secrets) or set lakehouse:secretManagement.provider to your alternative.",
      };
    }
    if (missingCrds.length || !ctl || !deploymentAvailable(ctl)) {
      const what = [
        missingCrds.length ? `missing CRD(s) ${missingCrds.join(", ")}` : "",
        !ctl
          ? "no external-secrets controller Deployment"
          : !deploymentAvailable(ctl)
            ? `controller ${ref(ctl)} has no available replicas`
            : "",
      ].filter(Boolean);
      return {
        status: "fail",
        observed: `External Secrets incomplete: ${what.join("; ")}.`,
        expected,
        remediation: `Repair the External Secrets installation (kubectl -n ${ns} get deploy,pods) until the controller is available.`,
      };
    }
    const stores = facts.kinds.clustersecretstores;
    const wanted =
      config.foundation.dbCredentials === "external-secrets" ? config.foundation.externalSecretStore : "";
    if (wanted && stores?.state === "ok") {
      const s = findNamed(stores.items, undefined, wanted);
      if (!s || !isReady(s)) {
        return {
          status: "fail",
          observed: `Controller ${ref(ctl)} is available, but ClusterSecretStore ${wanted} ${s ? `is not Ready (${notReadyReason(s)})` : "does not exist"}.`,
          expected: `${expected} ClusterSecretStore ${wanted} Ready (lakehouse:foundation.externalSecretStore).`,
          remediation: `Create or repair ClusterSecretStore ${wanted}, or change lakehouse:foundation.externalSecretStore.`,
        };
      }
    }
    const ready = stores?.state === "ok" ? stores.items.filter(isReady).length : undefined;
    return {
      status: "pass",
      observed: `External Secrets CRDs installed and controller ${ref(ctl)} available${ready === undefined ? "" : `; ${plural(ready, "ClusterSecretStore")} Ready`}.`,
      expected,
      remediation: "",
    };
  },
);

export const PREREQUISITE_CHECKS: readonly CheckDefinition[] = [
  cephObjectStore,
  clusterCapacity,
  airflow,
  monitoring,
  gitops,
  secretManagement,
];
