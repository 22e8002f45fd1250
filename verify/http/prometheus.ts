/**
 * Measured availability of the metastore from Prometheus: a direct URL, or Prometheus's Service through the
 * Kubernetes API's service proxy (so it works from a laptop with nothing but a kubeconfig). I/O only: the
 * check compares the number with the objective.
 */
import type * as https from "https";
import type { KubeConfig } from "@kubernetes/client-node";
import type { PrometheusObservation } from "../types";
import { httpRequest } from "./request";
import { SLO_RECORDS } from "../../stacks/foundation/names";

/**
 * Availability over 30 days as the foundation's SLO defines it (the service is up while ANY replica answers):
 * the phase's recording rule, or, where the rules are not loaded, the same computed from `up` by a subquery.
 */
export const AVAILABILITY_QUERY = `${SLO_RECORDS.ratio("30d")} or avg_over_time((max(up{job=~".*metastore.*"}))[30d:1m])`;

export type PrometheusSource =
  | { kind: "url"; url: string }
  | { kind: "service"; namespace: string; service: string; port: number }
  | { kind: "none"; reason: string };

/** Parses `NAMESPACE/SERVICE:PORT` (the --prometheus-service flag). Returns undefined when malformed. */
export function parseServiceRef(
  ref: string,
): { namespace: string; service: string; port: number } | undefined {
  const m = /^([a-z0-9-]+)\/([a-z0-9-]+):(\d{1,5})$/.exec(ref);
  return m ? { namespace: m[1], service: m[2], port: Number(m[3]) } : undefined;
}

/** Interprets a Prometheus instant-query answer. Pure. */
export function interpretQuery(
  status: number,
  body: string,
  source: string,
  window = "30d",
): PrometheusObservation {
  if (status !== 200) {
    return { state: "error", source, message: `HTTP ${status}: ${body.slice(0, 200).replace(/\s+/g, " ")}` };
  }
  let parsed: { status?: string; error?: string; data?: { result?: { value?: [number, string] }[] } };
  try {
    parsed = JSON.parse(body) as typeof parsed;
  } catch {
    return { state: "error", source, message: "the answer is not JSON (is this Prometheus?)" };
  }
  if (parsed.status !== "success") return { state: "error", source, message: parsed.error ?? "query failed" };
  const v = parsed.data?.result?.[0]?.value?.[1];
  if (v === undefined) {
    return {
      state: "no-data",
      query: AVAILABILITY_QUERY,
      source,
      message: 'Prometheus has no up{job=~".*metastore.*"} series (is the metastore scraped?).',
    };
  }
  const availability = Number(v);
  if (!Number.isFinite(availability)) return { state: "error", source, message: `unexpected value "${v}"` };
  return { state: "ok", query: AVAILABILITY_QUERY, window, availability, source };
}

/** Queries the availability. Never throws. */
export async function queryAvailability(
  kc: KubeConfig | undefined,
  source: PrometheusSource,
  timeoutMs: number,
): Promise<PrometheusObservation> {
  if (source.kind === "none") return { state: "skipped", reason: source.reason };
  const q = `api/v1/query?query=${encodeURIComponent(AVAILABILITY_QUERY)}`;
  let label: string;
  try {
    if (source.kind === "url") {
      label = source.url;
      const res = await httpRequest(new URL(`${source.url.replace(/\/+$/, "")}/${q}`), {
        method: "GET",
        timeoutMs,
      });
      return interpretQuery(res.status, res.body, label);
    }
    label = `service ${source.namespace}/${source.service}:${source.port} via the Kubernetes API proxy`;
    const server = kc?.getCurrentCluster()?.server;
    if (!kc || !server)
      return { state: "error", source: label, message: "no Kubernetes API server in the kubeconfig" };
    const opts: https.RequestOptions = {};
    await kc.applyToHTTPSOptions(opts);
    const url = new URL(
      `${server.replace(/\/+$/, "")}/api/v1/namespaces/${source.namespace}/services/${source.service}:${source.port}/proxy/${q}`,
    );
    const res = await httpRequest(url, { method: "GET", options: opts, timeoutMs });
    return interpretQuery(res.status, res.body, label);
  } catch (e) {
    return {
      state: "error",
      source:
        source.kind === "url" ? source.url : `service ${source.namespace}/${source.service}:${source.port}`,
      message: (e as Error).message,
    };
  }
}
