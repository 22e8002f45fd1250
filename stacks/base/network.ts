/**
 * The platform namespace's NetworkPolicies as plain specs: deny everything, then allow exactly what the
 * platform needs. Pure, so tests assert every rule.
 */
import type { LakehouseConfig } from "../../preflight/config/schema";
import { ARTIFACT_STAGER_LABEL } from "../foundation/names";

/** Namespaces are selected by the label the API server sets on every namespace (Kubernetes >= 1.21). */
const NS_LABEL = "kubernetes.io/metadata.name";

type Port = { protocol: "TCP" | "UDP"; port: number };
interface Peer {
  namespaceSelector?: { matchLabels: Record<string, string> };
  podSelector?: { matchLabels: Record<string, string> };
}
interface NetworkPolicySpec {
  /** `{}` = every pod of the namespace. */
  podSelector: { matchLabels?: Record<string, string> };
  policyTypes: ("Ingress" | "Egress")[];
  ingress?: { from?: Peer[]; ports?: Port[] }[];
  egress?: { to?: Peer[]; ports?: Port[] }[];
}

/** The policies by short name (`metadata.name` is `lakehouse-<short name>`). */
export function networkPolicies(config: LakehouseConfig): Record<string, NetworkPolicySpec> {
  const c = config.cluster;
  const ns = (name: string) => ({ matchLabels: { [NS_LABEL]: name } });
  const all: Record<string, never> = {};
  return {
    // Everything not allowed below is dropped, both ways.
    "default-deny": { podSelector: all, policyTypes: ["Ingress", "Egress"] },
    // Metastore <-> its database, Spark driver <-> executors, Trino coordinator <-> workers.
    "allow-same-namespace": {
      podSelector: all,
      policyTypes: ["Ingress", "Egress"],
      ingress: [{ from: [{ podSelector: { matchLabels: {} } }] }],
      egress: [{ to: [{ podSelector: { matchLabels: {} } }] }],
    },
    "allow-dns": {
      podSelector: all,
      policyTypes: ["Egress"],
      egress: [
        {
          to: [
            { namespaceSelector: ns("kube-system"), podSelector: { matchLabels: { "k8s-app": "kube-dns" } } },
          ],
          ports: [
            { protocol: "UDP", port: 53 },
            { protocol: "TCP", port: 53 },
          ],
        },
      ],
    },
    // The warehouse and backups live on Ceph RGW. Policies match pods after the Service's DNAT, so the rule
    // selects Rook's RGW pods of this object store (labels Rook sets) on the ports RGW listens on: Rook maps
    // the Service's 80/443 to the pod's 8080/8443.
    "allow-object-store": {
      podSelector: all,
      policyTypes: ["Egress"],
      egress: [
        {
          to: [
            {
              namespaceSelector: ns(c.cephNamespace),
              podSelector: { matchLabels: { app: "rook-ceph-rgw", rook_object_store: c.objectStore } },
            },
          ],
          ports: [
            { protocol: "TCP", port: 8080 },
            { protocol: "TCP", port: 8443 },
            { protocol: "TCP", port: 80 },
            { protocol: "TCP", port: 443 },
          ],
        },
      ],
    },
    // The Spark Operator and Spark drivers create pods through the Kubernetes API. The API server is not a pod a
    // selector can name and its address differs per cluster, so this allows its ports only (443 through the
    // `kubernetes` Service, 6443 on the control-plane nodes); tighten with an ipBlock for your API endpoint.
    "allow-kube-api": {
      podSelector: all,
      policyTypes: ["Egress"],
      egress: [
        {
          ports: [
            { protocol: "TCP", port: 443 },
            { protocol: "TCP", port: 6443 },
          ],
        },
      ],
    },
    // The artifact cache's staging Job, and only it, fetches from lakehouse:artifacts.source (Maven Central and
    // PyPI, or a mirror on any port). Every other pod reads the cache through allow-object-store.
    "allow-artifact-source": {
      podSelector: { matchLabels: { ...ARTIFACT_STAGER_LABEL } },
      policyTypes: ["Egress"],
      egress: [{ ports: sourcePorts(config) }],
    },
    // Prometheus scrapes the platform's metrics endpoints (ports differ per component).
    "allow-monitoring": {
      podSelector: all,
      policyTypes: ["Ingress"],
      ingress: [{ from: [{ namespaceSelector: ns(c.monitoringNamespace) }] }],
    },
    // Airflow's workers query Trino and the metastore and watch the Spark jobs they submit.
    "allow-airflow": {
      podSelector: all,
      policyTypes: ["Ingress"],
      ingress: [{ from: [{ namespaceSelector: ns(c.airflowNamespace) }] }],
    },
  };
}

/** The TCP ports of the artifact sources' URLs (explicit, else 443 for https and 80 for http), each once. */
function sourcePorts(config: LakehouseConfig): Port[] {
  const ports = new Set<number>();
  for (const u of Object.values(config.artifacts.source)) {
    const url = new URL(u);
    ports.add(url.port ? Number(url.port) : url.protocol === "http:" ? 80 : 443);
  }
  return [...ports].sort((a, b) => a - b).map((port) => ({ protocol: "TCP" as const, port }));
}
