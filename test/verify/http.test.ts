/**
 * verify/http/: the one HTTP request under the Prometheus and Trino clients (headers, body, timeout that
 * cancels), and both clients through it against a local server standing in for Prometheus and Trino. Fast.
 */
import * as assert from "assert";
import * as http from "http";
import type { AddressInfo } from "net";
import { httpRequest } from "../../verify/http/request";
import { AVAILABILITY_QUERY, queryAvailability } from "../../verify/http/prometheus";
import { TrinoClient } from "../../verify/http/trino";

describe("verify/http: the shared request and the clients on it", () => {
  let server: http.Server;
  let base: string;
  const seen: { method?: string; url?: string; headers: http.IncomingHttpHeaders; body: string }[] = [];
  let trinoPolls = 0;

  before(async () => {
    server = http.createServer((req, res) => {
      let body = "";
      req.on("data", (c: Buffer) => (body += c.toString("utf8")));
      req.on("end", () => {
        seen.push({ method: req.method, url: req.url, headers: req.headers, body });
        if (req.url === "/silent") return; // never answers: the timeout must cancel the request
        if (req.url?.startsWith("/api/v1/query")) {
          res.end(JSON.stringify({ status: "success", data: { result: [{ value: [0, "0.9995"] }] } }));
        } else if (req.url === "/v1/statement") {
          res.end(
            JSON.stringify({ id: "q1", nextUri: "http://elsewhere:8080/v1/statement/q1/1", stats: {} }),
          );
        } else if (req.url === "/v1/statement/q1/1") {
          // One 503 first: the client retries it.
          if (trinoPolls++ === 0) {
            res.statusCode = 503;
            res.end("busy");
            return;
          }
          res.end(
            JSON.stringify({
              id: "q1",
              columns: [{ name: "n", type: "integer" }],
              data: [[1], [2]],
              stats: { state: "FINISHED", elapsedTimeMillis: 5 },
            }),
          );
        } else {
          res.end(JSON.stringify({ echo: req.url }));
        }
      });
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  after(() => {
    server.closeAllConnections();
    server.close();
  });

  it("sends the method, the option headers with the request's own, and the body with its Content-Length", async () => {
    const res = await httpRequest(new URL(`${base}/echo`), {
      method: "POST",
      options: { headers: { authorization: "Bearer t" } },
      headers: { "X-Trino-User": "u" },
      body: "SELECT 1",
      timeoutMs: 5_000,
    });
    assert.equal(res.status, 200);
    assert.deepEqual(JSON.parse(res.body), { echo: "/echo" });
    const got = seen[seen.length - 1];
    assert.equal(got.method, "POST");
    assert.equal(got.headers.authorization, "Bearer t");
    assert.equal(got.headers["x-trino-user"], "u");
    assert.equal(got.headers["content-length"], "8");
    assert.equal(got.body, "SELECT 1");
  });

  it("cancels a request that gets no answer within its timeout and rejects naming the timeout", async () => {
    const started = Date.now();
    await assert.rejects(httpRequest(new URL(`${base}/silent`), { method: "GET", timeoutMs: 200 }), {
      message: "no answer within 200 ms",
    });
    assert.ok(Date.now() - started < 5_000);
  });

  it("Prometheus: the availability query through a direct URL", async () => {
    const obs = await queryAvailability(undefined, { kind: "url", url: `${base}/` }, 5_000);
    assert.equal(obs.state, "ok");
    assert.equal(obs.state === "ok" && obs.availability, 0.9995);
    const got = seen.find((s) => s.url?.startsWith("/api/v1/query"));
    assert.equal(got?.url, `/api/v1/query?query=${encodeURIComponent(AVAILABILITY_QUERY)}`);
  });

  it("Trino: a query posted, nextUri re-based on the endpoint and followed through a retried 503", async () => {
    const client = new TrinoClient({ baseUrl: base, label: "stub" }, { requestTimeoutMs: 5_000 });
    const r = await client.query("SELECT n");
    assert.deepEqual(r.rows, [[1], [2]]);
    assert.deepEqual(
      r.columns.map((c) => c.name),
      ["n"],
    );
    assert.equal(trinoPolls, 2);
    assert.equal(seen.find((s) => s.url === "/v1/statement")?.body, "SELECT n");
  });
});
