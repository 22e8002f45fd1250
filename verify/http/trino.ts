/**
 * A small client of Trino's client protocol (https://trino.io/docs/current/develop/client-protocol.html), for
 * the analytics verification: POST /v1/statement with the SQL, follow `nextUri` until it is absent, collect
 * `columns` and `data`; `error` in any answer is the query's failure. 502/503/504 and connection resets are
 * retried (the coordinator restarting, a proxy in between); every HTTP call has a timeout and the whole query
 * has a deadline, after which the query is cancelled (DELETE nextUri) and the call fails.
 *
 * Works directly (`http://127.0.0.1:8080`) and through the Kubernetes API's service proxy
 * (`https://API/api/v1/namespaces/NS/services/trino:8080/proxy`): Trino builds `nextUri` from the Host it was
 * asked on, which behind the proxy is the API server without the proxy path, so only the path and query of
 * each `nextUri` are kept and re-based on the endpoint's base URL. I/O only: nothing here decides pass/fail.
 *
 * Values arrive as JSON: a bigint beyond 2^53 (an Iceberg snapshot id) loses digits in a JS number, so
 * queries that need one exactly select `CAST(x AS varchar)`.
 */
import { setTimeout as sleep } from "node:timers/promises";
import type * as https from "https";
import { httpRequest, type RawResponse } from "./request";

export interface TrinoEndpoint {
  /** Base URL without a trailing slash; `/v1/statement` is appended. */
  readonly baseUrl: string;
  /** TLS material and headers for the base URL (from the kubeconfig for the API proxy). */
  readonly requestOptions?: https.RequestOptions;
  /** How the endpoint is named in messages, e.g. "service lakehouse/trino:8080 via the Kubernetes API proxy". */
  readonly label: string;
}

interface TrinoClientOptions {
  /** X-Trino-User. @default "lakehouse-verify" */
  readonly user?: string;
  /** Timeout of each HTTP request. @default 30000 */
  readonly requestTimeoutMs?: number;
  /** Deadline of a whole query (all its requests). @default 600000 */
  readonly queryTimeoutMs?: number;
  /** Retries of one request on 502/503/504 or a reset connection. @default 5 */
  readonly retries?: number;
  /** Client tags / source shown in Trino's query UI. @default "lakehouse-verify" */
  readonly source?: string;
}

interface QueryOptions {
  readonly catalog?: string;
  readonly schema?: string;
  /** @default the client's queryTimeoutMs */
  readonly timeoutMs?: number;
}

export interface QueryResult {
  readonly queryId: string;
  readonly columns: readonly { readonly name: string; readonly type: string }[];
  readonly rows: readonly (readonly unknown[])[];
  /** Wall time of the query as the client saw it (submit to last page). */
  readonly wallMs: number;
  /** Trino's own elapsed time for the query, when reported. */
  readonly elapsedMs?: number;
  /** The final page's query statistics (what Trino reports of them; fields missing in older versions are absent). */
  readonly stats?: QueryStats;
  /** `UPDATE` type (e.g. "CREATE TABLE", "INSERT") and row count for writes, when reported. */
  readonly updateType?: string;
  readonly updateCount?: number;
}

/** The query ran and Trino reported an error (syntax, missing table, S3 failure, ...). */
export class TrinoQueryError extends Error {
  constructor(
    message: string,
    readonly errorName: string,
    readonly errorType: string,
    readonly queryId: string,
  ) {
    super(message);
    this.name = "TrinoQueryError";
  }
}

/** Trino could not be reached or did not answer in time: nothing was measured. */
export class TrinoUnreachableError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "TrinoUnreachableError";
  }
}

/**
 * A finished query's statistics from the client protocol's last page (`stats`). Trino 476 reports all of
 * these; `processedBytes` is the connector's raw input (for Iceberg, the Parquet bytes it read, before
 * decoding) and `internalNetworkInputBytes` what moved between stages over Trino's HTTP exchange.
 */
export interface QueryStats {
  readonly elapsedMs?: number;
  readonly cpuMs?: number;
  /** Nodes that ran the query's tasks. */
  readonly nodes?: number;
  readonly processedRows?: number;
  readonly processedBytes?: number;
  /** Bytes read from storage (here: radosgw). */
  readonly physicalInputBytes?: number;
  /** Time spent reading them, summed over every reading thread. */
  readonly physicalInputMs?: number;
  /** Bytes exchanged between stages (between workers on a multi-node cluster). */
  readonly internalNetworkInputBytes?: number;
  readonly peakMemoryBytes?: number;
}

const STAT_FIELDS: Record<keyof QueryStats, string> = {
  elapsedMs: "elapsedTimeMillis",
  cpuMs: "cpuTimeMillis",
  nodes: "nodes",
  processedRows: "processedRows",
  processedBytes: "processedBytes",
  physicalInputBytes: "physicalInputBytes",
  physicalInputMs: "physicalInputTimeMillis",
  internalNetworkInputBytes: "internalNetworkInputBytes",
  peakMemoryBytes: "peakMemoryBytes",
};

/** The numeric statistics of a statement page's `stats`, renamed; non-numbers are left out. Pure. */
export function queryStats(raw: Record<string, unknown> | undefined): QueryStats | undefined {
  if (!raw) return undefined;
  const out: Record<string, number> = {};
  for (const [ours, theirs] of Object.entries(STAT_FIELDS)) {
    const v = raw[theirs];
    if (typeof v === "number" && Number.isFinite(v)) out[ours] = v;
  }
  return Object.keys(out).length > 0 ? (out as QueryStats) : undefined;
}

interface StatementPage {
  id?: string;
  nextUri?: string;
  columns?: { name: string; type: string }[];
  data?: unknown[][];
  stats?: { state?: string; elapsedTimeMillis?: number } & Record<string, unknown>;
  error?: { message?: string; errorName?: string; errorType?: string };
  updateType?: string;
  updateCount?: number;
}

const RETRY_STATUS = new Set([502, 503, 504]);
/** Keeps only the path and query of a Trino-built URI and puts them under the endpoint's base URL. Pure. */
function rebase(baseUrl: string, uri: string): string {
  const u = new URL(uri, "http://placeholder");
  return `${baseUrl.replace(/\/+$/, "")}${u.pathname}${u.search}`;
}

export class TrinoClient {
  private readonly user: string;
  private readonly requestTimeoutMs: number;
  private readonly queryTimeoutMs: number;
  private readonly retries: number;
  private readonly source: string;

  constructor(
    readonly endpoint: TrinoEndpoint,
    opts: TrinoClientOptions = {},
  ) {
    this.user = opts.user ?? "lakehouse-verify";
    this.requestTimeoutMs = opts.requestTimeoutMs ?? 30_000;
    this.queryTimeoutMs = opts.queryTimeoutMs ?? 600_000;
    this.retries = opts.retries ?? 5;
    this.source = opts.source ?? "lakehouse-verify";
  }

  /** Async so that a malformed URL rejects like a network error instead of throwing. */
  private async request(
    method: "GET" | "POST" | "DELETE",
    url: string,
    body: string | undefined,
    headers: Record<string, string>,
    timeoutMs: number,
  ): Promise<RawResponse> {
    return httpRequest(new URL(url), {
      method,
      options: this.endpoint.requestOptions,
      headers,
      body,
      timeoutMs,
    });
  }

  /** One request with retries on 502/503/504 and network errors; rejects TrinoUnreachableError when exhausted. */
  private async call(
    method: "GET" | "POST" | "DELETE",
    url: string,
    body: string | undefined,
    headers: Record<string, string>,
    deadline: number,
  ): Promise<RawResponse> {
    let last = "";
    for (let attempt = 0; attempt <= this.retries; attempt++) {
      const left = deadline - Date.now();
      if (left <= 0) break;
      try {
        const res = await this.request(method, url, body, headers, Math.min(this.requestTimeoutMs, left));
        if (!RETRY_STATUS.has(res.status)) return res;
        last = `HTTP ${res.status}: ${res.body.slice(0, 200).replace(/\s+/g, " ")}`;
      } catch (e) {
        last = (e as Error).message;
        // A refused connection will not heal within a query's retries; anything else (reset, timeout) might.
        if (/ECONNREFUSED|ENOTFOUND|EAI_AGAIN/.test(last) && attempt >= 1) break;
      }
      await sleep(Math.min(200 * 2 ** attempt, 3_000, Math.max(0, deadline - Date.now())));
    }
    throw new TrinoUnreachableError(
      `Trino at ${this.endpoint.label} did not answer: ${last || "deadline passed"}`,
    );
  }

  private headers(opts: QueryOptions): Record<string, string> {
    return {
      "X-Trino-User": this.user,
      "X-Trino-Source": this.source,
      ...(opts.catalog ? { "X-Trino-Catalog": opts.catalog } : {}),
      ...(opts.schema ? { "X-Trino-Schema": opts.schema } : {}),
      "Content-Type": "text/plain; charset=utf-8",
      Accept: "application/json",
    };
  }

  private parse(res: RawResponse, what: string): StatementPage {
    if (res.status !== 200) {
      throw new TrinoUnreachableError(
        `Trino at ${this.endpoint.label} answered ${what} with HTTP ${res.status}: ${res.body.slice(0, 300).replace(/\s+/g, " ")}`,
      );
    }
    try {
      return JSON.parse(res.body) as StatementPage;
    } catch {
      throw new TrinoUnreachableError(
        `Trino at ${this.endpoint.label} answered ${what} with something that is not JSON (is this Trino?): ${res.body.slice(0, 120).replace(/\s+/g, " ")}`,
      );
    }
  }

  /** Runs one statement to completion. Rejects TrinoQueryError (Trino said no) or TrinoUnreachableError. */
  async query(sql: string, opts: QueryOptions = {}): Promise<QueryResult> {
    const started = Date.now();
    const deadline = started + (opts.timeoutMs ?? this.queryTimeoutMs);
    const headers = this.headers(opts);
    let page = this.parse(
      await this.call("POST", `${this.endpoint.baseUrl}/v1/statement`, sql, headers, deadline),
      "POST /v1/statement",
    );
    let columns: QueryResult["columns"] = [];
    const rows: unknown[][] = [];
    for (;;) {
      if (page.columns) columns = page.columns.map((c) => ({ name: c.name, type: c.type }));
      if (page.data) rows.push(...page.data);
      if (page.error) {
        throw new TrinoQueryError(
          page.error.message ?? "query failed",
          page.error.errorName ?? "UNKNOWN",
          page.error.errorType ?? "UNKNOWN",
          page.id ?? "",
        );
      }
      if (!page.nextUri) break;
      const next = rebase(this.endpoint.baseUrl, page.nextUri);
      if (Date.now() >= deadline) {
        // Best effort: free the cluster's resources; the caller learns of the timeout either way.
        await this.request("DELETE", next, undefined, headers, 5_000).catch(() => undefined);
        throw new TrinoUnreachableError(
          `Query ${page.id ?? ""} did not finish within ${Math.round((opts.timeoutMs ?? this.queryTimeoutMs) / 1000)} s on ${this.endpoint.label}; it was cancelled.`,
        );
      }
      try {
        page = this.parse(await this.call("GET", next, undefined, headers, deadline), "GET nextUri");
      } catch (e) {
        if (e instanceof TrinoUnreachableError && Date.now() >= deadline) {
          await this.request("DELETE", next, undefined, headers, 5_000).catch(() => undefined);
        }
        throw e;
      }
    }
    const stats = queryStats(page.stats);
    return {
      queryId: page.id ?? "",
      columns,
      rows,
      wallMs: Date.now() - started,
      ...(page.stats?.elapsedTimeMillis !== undefined ? { elapsedMs: page.stats.elapsedTimeMillis } : {}),
      ...(stats ? { stats } : {}),
      ...(page.updateType ? { updateType: page.updateType } : {}),
      ...(page.updateCount !== undefined ? { updateCount: page.updateCount } : {}),
    };
  }

  /** GET /v1/info: version and whether the coordinator is still starting. */
  async info(
    timeoutMs = this.requestTimeoutMs,
  ): Promise<{ version: string; starting: boolean; uptime?: string }> {
    const res = await this.call(
      "GET",
      `${this.endpoint.baseUrl}/v1/info`,
      undefined,
      { Accept: "application/json" },
      Date.now() + timeoutMs,
    );
    if (res.status !== 200) {
      throw new TrinoUnreachableError(
        `Trino at ${this.endpoint.label} answered GET /v1/info with HTTP ${res.status}: ${res.body.slice(0, 200).replace(/\s+/g, " ")}`,
      );
    }
    let j: { nodeVersion?: { version?: string }; starting?: boolean; uptime?: string };
    try {
      j = JSON.parse(res.body) as typeof j;
    } catch {
      throw new TrinoUnreachableError(
        `Trino at ${this.endpoint.label} answered GET /v1/info with something that is not JSON (is this Trino?).`,
      );
    }
    return {
      version: j.nodeVersion?.version ?? "unknown",
      starting: j.starting === true,
      ...(j.uptime ? { uptime: j.uptime } : {}),
    };
  }
}
