/**
 * A minimal Trino client over the HTTP protocol (`POST /v1/statement`, follow `nextUri`), enough for the
 * benchmarks: rows, column names and the query's final stats (wall time, bytes read from storage). Every
 * request has a timeout and the whole query has a deadline, so a stuck coordinator fails the bench instead of
 * hanging it. Requests go through a caller's http.Agent so bytes on the wire can be counted.
 */
import * as http from "node:http";

export interface TrinoStats {
  state: string;
  elapsedTimeMillis: number;
  /** Bytes the connector read from storage (S3) for this query. */
  physicalInputBytes: number;
  processedRows: number;
  processedBytes: number;
}

export interface TrinoResult {
  id: string;
  columns: string[];
  rows: unknown[][];
  stats: TrinoStats;
  /** Client-side wall time from the first POST to the last page, ms. */
  wallMs: number;
  /** Result row count for DML/CTAS (`update_count`), when Trino reports one. */
  updateCount?: number;
}

export interface TrinoClientOptions {
  /** Coordinator URL, `http://127.0.0.1:PORT`. */
  url: string;
  /** @default "lakehouse-bench" */
  user?: string;
  /** Per HTTP request. @default 30000 */
  requestTimeoutMs?: number;
  /** Whole query. @default 600000 */
  queryTimeoutMs?: number;
  agent?: http.Agent;
  /** Session properties sent as `X-Trino-Session` on every query. */
  session?: Record<string, string>;
}

interface Page {
  id: string;
  nextUri?: string;
  columns?: { name: string }[];
  data?: unknown[][];
  stats?: Partial<TrinoStats>;
  updateCount?: number;
  error?: { message?: string; errorName?: string; errorType?: string };
}

export class TrinoQueryError extends Error {
  constructor(
    message: string,
    readonly errorName?: string,
  ) {
    super(message);
    this.name = "TrinoQueryError";
  }
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

function request(
  method: "GET" | "POST" | "DELETE",
  url: string,
  headers: Record<string, string>,
  body: string | undefined,
  timeoutMs: number,
  agent: http.Agent | undefined,
): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method, headers, agent, timeout: timeoutMs }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () =>
        resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString("utf8") }),
      );
      res.on("error", reject);
    });
    req.on("timeout", () =>
      req.destroy(new Error(`no answer from Trino within ${timeoutMs} ms (${method} ${url})`)),
    );
    req.on("error", reject);
    req.end(body);
  });
}

export class TrinoClient {
  private readonly user: string;
  private readonly requestTimeoutMs: number;
  private readonly queryTimeoutMs: number;

  constructor(private readonly opts: TrinoClientOptions) {
    this.user = opts.user ?? "lakehouse-bench";
    this.requestTimeoutMs = opts.requestTimeoutMs ?? 30_000;
    this.queryTimeoutMs = opts.queryTimeoutMs ?? 600_000;
  }

  /** Runs one statement to completion; throws TrinoQueryError with Trino's message when it fails. */
  async query(sql: string): Promise<TrinoResult> {
    const headers: Record<string, string> = { "X-Trino-User": this.user, "Content-Type": "text/plain" };
    if (this.opts.session && Object.keys(this.opts.session).length > 0) {
      headers["X-Trino-Session"] = Object.entries(this.opts.session)
        .map(([k, v]) => `${k}=${encodeURIComponent(v)}`)
        .join(",");
    }
    const t0 = performance.now();
    const deadline = Date.now() + this.queryTimeoutMs;
    let page = await this.fetchPage("POST", `${this.opts.url}/v1/statement`, headers, sql, deadline);
    const columns: string[] = [];
    const rows: unknown[][] = [];
    for (;;) {
      if (page.columns && columns.length === 0) columns.push(...page.columns.map((c) => c.name));
      if (page.data) rows.push(...page.data);
      if (page.error) {
        throw new TrinoQueryError(
          `Trino query ${page.id} failed: ${page.error.message ?? page.error.errorName ?? "unknown error"}`,
          page.error.errorName,
        );
      }
      if (!page.nextUri) break;
      if (Date.now() > deadline) {
        await request("DELETE", page.nextUri, headers, undefined, 5_000, this.opts.agent).catch(
          () => undefined,
        );
        throw new TrinoQueryError(
          `Trino query ${page.id} did not finish within ${this.queryTimeoutMs} ms; cancelled.`,
        );
      }
      page = await this.fetchPage("GET", page.nextUri, headers, undefined, deadline);
    }
    const s = page.stats ?? {};
    return {
      id: page.id,
      columns,
      rows,
      wallMs: performance.now() - t0,
      updateCount: page.updateCount,
      stats: {
        state: s.state ?? "UNKNOWN",
        elapsedTimeMillis: s.elapsedTimeMillis ?? 0,
        physicalInputBytes: s.physicalInputBytes ?? 0,
        processedRows: s.processedRows ?? 0,
        processedBytes: s.processedBytes ?? 0,
      },
    };
  }

  /** One page; retries 502/503/504 (Trino's protocol asks for that) and, for nextUri GETs, broken connections. */
  private async fetchPage(
    method: "GET" | "POST",
    url: string,
    headers: Record<string, string>,
    body: string | undefined,
    deadline: number,
  ): Promise<Page> {
    let attempt = 0;
    for (;;) {
      attempt++;
      let last: string;
      try {
        const res = await request(method, url, headers, body, this.requestTimeoutMs, this.opts.agent);
        if (res.status === 200) return JSON.parse(res.text) as Page;
        last = `HTTP ${res.status}: ${res.text.slice(0, 300)}`;
        if (![502, 503, 504].includes(res.status)) {
          throw new TrinoQueryError(`Trino answered ${method} ${url} with ${last}`);
        }
      } catch (e) {
        if (e instanceof TrinoQueryError) throw e;
        last = (e as Error).message;
        // A nextUri GET is idempotent (its token names the page); a POST that broke may have started a query.
        if (method === "POST") throw new TrinoQueryError(`Trino at ${this.opts.url}: ${last}`);
      }
      if (Date.now() > deadline || attempt >= 10) {
        throw new TrinoQueryError(`Trino at ${this.opts.url} kept failing (${attempt} attempts): ${last}`);
      }
      await sleep(Math.min(2_000, 100 * 2 ** attempt));
    }
  }
}

/** SQL string literal. */
export function sqlString(s: string): string {
  return `'${s.replace(/'/g, "''")}'`;
}
