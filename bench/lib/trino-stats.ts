/**
 * Bytes a finished query read from storage, from the coordinator's query info (`GET /v1/query/{id}`,
 * `queryStats.physicalInputDataSize`): the figure that shows Parquet column pruning and predicate pushdown at
 * work. The statement protocol's final page carries it too, but verify/http/trino.ts (the product's client)
 * keeps only what the verification needs, so the bench asks once more after the query.
 */
import * as http from "node:http";

/** `"1.23MB"`, `"456B"`, `"2GB"` (airlift DataSize, binary units) -> bytes. Pure. */
export function parseDataSize(text: string): number {
  const m = /^\s*([\d.]+)\s*(B|kB|KB|MB|GB|TB|PB)\s*$/.exec(text);
  if (!m) throw new Error(`"${text}" is not a Trino data size such as 12.5MB.`);
  const pow = { B: 0, kB: 1, KB: 1, MB: 2, GB: 3, TB: 4, PB: 5 }[m[2] as "B"];
  return Math.round(Number(m[1]) * 1024 ** pow);
}

/** physicalInputDataSize of query `id`, in bytes; rejects on HTTP errors or after `timeoutMs`. */
export function physicalInputBytes(
  baseUrl: string,
  id: string,
  opts: { user?: string; timeoutMs?: number; agent?: http.Agent } = {},
): Promise<number> {
  const timeoutMs = opts.timeoutMs ?? 30_000;
  return new Promise((resolve, reject) => {
    const req = http.get(
      `${baseUrl}/v1/query/${encodeURIComponent(id)}`,
      { headers: { "X-Trino-User": opts.user ?? "lakehouse-bench" }, timeout: timeoutMs, agent: opts.agent },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("error", reject);
        res.on("end", () => {
          const text = Buffer.concat(chunks).toString("utf8");
          if (res.statusCode !== 200) {
            reject(
              new Error(
                `Trino answered GET /v1/query/${id} with HTTP ${res.statusCode}: ${text.slice(0, 200)}`,
              ),
            );
            return;
          }
          try {
            const info = JSON.parse(text) as { queryStats?: { physicalInputDataSize?: string | number } };
            const size = info.queryStats?.physicalInputDataSize;
            resolve(typeof size === "number" ? size : parseDataSize(String(size ?? "0B")));
          } catch (e) {
            reject(
              new Error(
                `Trino's query info for ${id} has no readable physicalInputDataSize: ${(e as Error).message}`,
              ),
            );
          }
        });
      },
    );
    req.on("timeout", () =>
      req.destroy(new Error(`no answer from Trino within ${timeoutMs} ms (GET /v1/query/${id})`)),
    );
    req.on("error", reject);
  });
}
