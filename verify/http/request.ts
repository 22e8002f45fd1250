/**
 * The one HTTP request under the verification's HTTP clients (Prometheus, Trino): plain node:http(s), the TLS
 * material and headers of a kubeconfig when the request goes through the Kubernetes API proxy, and a timeout
 * after which the request is destroyed (cancelled) and the promise rejects naming it. Retries, deadlines over
 * several requests and protocol-level cancellation (Trino's DELETE nextUri) are the clients'. Never logs.
 */
import * as http from "http";
import * as https from "https";

export interface RawResponse {
  status: number;
  body: string;
}

interface HttpRequest {
  method: "GET" | "POST" | "DELETE";
  /** TLS material and headers (from the kubeconfig for the API proxy). */
  options?: https.RequestOptions;
  /** Headers added to `options.headers`. */
  headers?: Record<string, string>;
  /** Request body (sent with its Content-Length). */
  body?: string;
  /** The socket may stay silent this long; then the request is destroyed and rejects. */
  timeoutMs: number;
}

/** Sends one request and reads the whole answer; rejects on a network error or after `timeoutMs` of silence. */
export function httpRequest(url: URL, r: HttpRequest): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const mod = url.protocol === "https:" ? https : http;
    const base = r.options ?? {};
    const req = mod.request(
      url,
      {
        ...base,
        method: r.method,
        timeout: r.timeoutMs,
        headers: {
          ...(base.headers as Record<string, string> | undefined),
          ...r.headers,
          ...(r.body !== undefined ? { "Content-Length": String(Buffer.byteLength(r.body)) } : {}),
        },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () =>
          resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString("utf8") }),
        );
        res.on("error", reject);
      },
    );
    req.on("timeout", () => req.destroy(new Error(`no answer within ${r.timeoutMs} ms`)));
    req.on("error", reject);
    req.end(r.body);
  });
}
