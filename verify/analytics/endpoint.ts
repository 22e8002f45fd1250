/**
 * Where the analytics verification reaches Trino: a URL given by the user, or the coordinator's Service through
 * the Kubernetes API's service proxy (so it works from a laptop with nothing but a kubeconfig, like the
 * foundation's checks reach Prometheus). I/O only in `trinoEndpoint` (reads the kubeconfig's TLS material).
 */
import type * as https from "https";
import type { KubeConfig } from "@kubernetes/client-node";
import type { LakehouseConfig } from "../../preflight/config/schema";
import type { TrinoEndpoint } from "../http/trino";

export type TrinoSource =
  { kind: "url"; url: string } | { kind: "service"; namespace: string; service: string; port: number };

/** Trino's HTTP port in the trino chart (`service.port`). */
const TRINO_HTTP_PORT = 8080;

/** The coordinator Service the analytics phase deploys: `<releaseName>` in the platform namespace. Pure. */
export function defaultTrinoSource(config: LakehouseConfig): TrinoSource {
  return {
    kind: "service",
    namespace: config.platform.namespace,
    service: config.analytics.releaseName,
    port: TRINO_HTTP_PORT,
  };
}

/** The endpoint for a source; for a Service, the API server's proxy path with the kubeconfig's credentials. */
export async function trinoEndpoint(kc: KubeConfig | undefined, source: TrinoSource): Promise<TrinoEndpoint> {
  if (source.kind === "url") return { baseUrl: source.url.replace(/\/+$/, ""), label: source.url };
  const label = `service ${source.namespace}/${source.service}:${source.port} via the Kubernetes API proxy`;
  const server = kc?.getCurrentCluster()?.server;
  if (!kc || !server) {
    // An endpoint that cannot answer: the checks then report unknown with this label, never pass.
    return { baseUrl: "http://127.0.0.1:1", label: `${label} (no Kubernetes API server in the kubeconfig)` };
  }
  const requestOptions: https.RequestOptions = {};
  await kc.applyToHTTPSOptions(requestOptions);
  return {
    baseUrl: `${server.replace(/\/+$/, "")}/api/v1/namespaces/${source.namespace}/services/${source.service}:${source.port}/proxy`,
    requestOptions,
    label,
  };
}
