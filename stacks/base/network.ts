/**
 * The platform namespace's NetworkPolicies as plain specs: deny everything, then allow exactly what the
 * platform needs. Pure, so tests assert every rule.
 */
import type { LakehouseConfig } from "../../preflight/config/schema";

/** Namespaces are selected by the label the API server sets on every namespace (Kubernetes >= 1.21). */
const NS_LABEL = "kubernetes.io/metadata.name";

type Port = { protocol: "TCP" | "UDP"; port: number };
interface Peer {
  namespaceSelector?: { matchLabels: Record<string, string> };
  podSelector?: { matchLabels: Record<string, string> };
}
export interface NetworkPolicySpec {
  podSelector: Record<string, never>;
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
