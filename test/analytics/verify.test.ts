/**
 * `npm run verify -- --phase analytics` against the real Trino 476 of the test run (rendered catalogs, real
 * HMS 4.0.0 + Ceph radosgw), reached the way a laptop reaches it: through the Kubernetes API's service proxy
 * (the API stand-in forwards /api/v1/namespaces/NS/services/trino:8080/proxy/... to Trino, as kube-apiserver
 * does). TPC-H at scale 0.01 (tpch.tiny) via config, so the build is quick.
 */
import { strict as assert } from "node:assert";
import * as http from "node:http";
import { configSchema, type LakehouseConfig } from "../../preflight/config/schema";
import { observeAnalytics } from "../../verify/analytics/observe";
import { evaluateChecks } from "../../verify/checks";
import { ANALYTICS_CHECKS } from "../../verify/analytics/checks";
import { INGEST_UNAVAILABLE } from "../../verify/analytics/verification";
import { runVerification } from "../../verify/runner";
import { TrinoClient } from "../../verify/http/trino";
import { kubeConfigFor, refusedUrl, startKubeApi, type KubeApi } from "../../harness/kube-api";
import { sharedLakehouse, type Lakehouse } from "../../harness/lakehouse";
import { controller, PROM_OK, sparkOperator } from "../verify/cluster";

const SCHEMA = "it_verify";

function testConfig(over: { replicas?: number; latency?: number; schema?: string } = {}): LakehouseConfig {
  return configSchema.parse({
    // The harness runs the product's topology: a coordinator and one worker (harness/trino-topology.ts).
    sizing: { trinoWorker: { replicas: over.replicas ?? 1, cpu: "1", memory: "4Gi" } },
    thresholds: { queryLatencySeconds: over.latency ?? 600 },
    analytics: { verifyScaleFactor: 0.01, verifySchema: over.schema ?? SCHEMA },
  });
}

const byId = (results: { id: string }[]) =>
  Object.fromEntries(results.map((r) => [r.id, r])) as Record<
    string,
    (typeof results)[number] & { status: string; observed: string; data?: Record<string, unknown> }
  >;

describe("verify --phase analytics against the real Trino (through the Kubernetes API service proxy)", function () {
  this.timeout(900_000);
  let lh: Lakehouse;
  let api: KubeApi;
  let trino: TrinoClient;
  let compute:
    { operator: ReturnType<typeof sparkOperator>; jobs: ReturnType<typeof controller> } | undefined;

  before(async () => {
    lh = await sharedLakehouse();
    const target = new URL(lh.trino.url);
    // kube-apiserver's service proxy: strip the prefix, forward method, headers and body to the Service.
    api = await startKubeApi({
      extraRoutes: (req, res, body) => {
        // With the compute phase "deployed": the fake Spark Operator and the helper Jobs' controller.
        if (compute && (compute.operator(req, res) || compute.jobs(req, res))) return true;
        const m = /^\/api\/v1\/namespaces\/lakehouse\/services\/trino:8080\/proxy(\/.*)$/.exec(req.url ?? "");
        if (!m) return false;
        const fwd = http.request(
          {
            host: target.hostname,
            port: target.port,
            path: m[1],
            method: req.method,
            headers: { ...req.headers, host: req.headers.host },
          },
          (up) => {
            res.writeHead(up.statusCode ?? 502, up.headers);
            up.pipe(res);
          },
        );
        fwd.on("error", (e) => {
          res.writeHead(503);
          res.end(e.message);
        });
        fwd.end(body);
        return true;
      },
    });
    trino = new TrinoClient({ baseUrl: lh.trino.url, label: lh.trino.url }, { queryTimeoutMs: 300_000 });
    for (const s of [SCHEMA, "it_verify_pipe", "it_verify_bad"]) {
      await trino.query(`DROP SCHEMA IF EXISTS iceberg.${s} CASCADE`);
    }
    // A pipeline table with a DELETE behind it: its snapshot counts 25 records minus 5 position deletes.
    await trino.query("CREATE SCHEMA iceberg.it_verify_pipe");
    await trino.query("CREATE TABLE iceberg.it_verify_pipe.events AS SELECT * FROM tpch.tiny.nation");
    await trino.query("DELETE FROM iceberg.it_verify_pipe.events WHERE regionkey = 0");
  });
  after(async () => {
    await api?.stop();
  });

  it("passes every check it can measure, reports each latency figure, and fails closed on the unrunnable end-to-end", async () => {
    const logs: string[] = [];
    const r = await runVerification({
      config: testConfig(),
      phase: "analytics",
      kc: api.kubeConfig(),
      pipelineTable: "it_verify_pipe.events",
      queryRuns: 2,
      log: (m) => logs.push(m),
    });
    const c = byId(r.results);
    assert.deepEqual(
      r.results.map((x) => `${x.id}:${x.status}`),
      [
        "verify.trino-available:pass",
        "verify.iceberg-catalog:pass",
        "verify.multi-table-join:pass",
        "verify.query-latency:pass",
        "verify.end-to-end:unknown",
      ],
      JSON.stringify(r.results, null, 1).slice(0, 3000),
    );
    assert.match(
      c["verify.trino-available"].observed,
      /Trino 476 at service lakehouse\/trino:8080 via the Kubernetes API proxy: 1 active coordinator, 1 of 1 workers active/,
    );
    assert.match(
      c["verify.iceberg-catalog"].observed,
      /iceberg\.it_verify_pipe\.events .* reads 20 rows, as its snapshot \d+ records 25 rows minus 5 deleted/,
    );
    assert.match(
      c["verify.multi-table-join"].observed,
      /TPC-H Q5.* over 6 Iceberg tables returned the known answer \(5 rows/,
    );
    // Each query's scan figure from Trino's own statistics, and the heaviest exchange between stages.
    for (const q of ["q1", "q3", "q5", "q6", "q10", "time-travel"]) {
      assert.match(
        c["verify.query-latency"].observed,
        new RegExp(`\\b${q} \\d+\\.\\d s \\(scanned [\\d.]+ [kMG]?B at [\\d.]+ [kMG]?B/s\\)`),
        q,
      );
    }
    assert.match(
      c["verify.query-latency"].observed,
      /; heaviest exchange (q3|q5|q10): [\d.]+ [kMG]?B between stages (on 1 node \(it stayed on that node: no network measured\)|across \d+ nodes), [\d.]+ [kMG]?B\/s averaged over its \d+\.\d s/,
    );
    const lat = c["verify.query-latency"].data as {
      scan: { query: string; processedBytes: number; physicalInputBytes: number }[];
      exchange: { bytes: number; nodes: number };
    };
    for (const q of lat.scan) assert.ok(q.processedBytes > 0 && q.physicalInputBytes > 0, JSON.stringify(q));
    assert.ok(lat.exchange.bytes > 0 && lat.exchange.nodes >= 1, JSON.stringify(lat.exchange));
    assert.deepEqual((c["verify.query-latency"].data?.built as string[]).length, 6, "built on the first run");
    // No SparkApplication CRD in this stand-in: the driver is not made, and the reason says why.
    assert.equal(
      c["verify.end-to-end"].observed,
      `The pipeline was not run: ${INGEST_UNAVAILABLE}: the CRD sparkapplications.sparkoperator.k8s.io is not installed (the compute phase, with the Spark Operator, is not deployed).`,
    );
    assert.equal(r.status, "fail", "an unproven end-to-end criterion fails the verification");
    assert.ok(
      api.requests.some((q) =>
        q.path.startsWith("/api/v1/namespaces/lakehouse/services/trino:8080/proxy/v1/statement"),
      ),
      "Trino was reached through the service proxy",
    );
    assert.ok(logs.some((l) => /building iceberg\.it_verify\.sf0_01_lineitem/.test(l)));

    // Second run: the dataset is reused, not rebuilt.
    const again = byId(
      (
        await runVerification({
          config: testConfig(),
          phase: "analytics",
          kc: api.kubeConfig(),
          queryRuns: 1,
        })
      ).results,
    );
    assert.equal(again["verify.query-latency"].status, "pass");
    assert.deepEqual(again["verify.query-latency"].data?.built, []);
    assert.match(again["verify.query-latency"].observed, /dataset reused/);
    assert.equal(
      again["verify.iceberg-catalog"].status,
      "warn",
      "no pipeline table named and no end-to-end run",
    );
  });

  it("with the SparkApplication CRD served, verify.end-to-end runs the compute phase's sample job: a FAILED run fails it naming the driver pod and its log tail", async () => {
    const crd = {
      apiVersion: "apiextensions.k8s.io/v1",
      kind: "CustomResourceDefinition",
      metadata: { name: "sparkapplications.sparkoperator.k8s.io" },
      spec: {
        group: "sparkoperator.k8s.io",
        names: { plural: "sparkapplications", kind: "SparkApplication" },
        scope: "Namespaced",
        versions: [{ name: "v1beta2", served: true, storage: true }],
      },
    };
    const ok = (event: string) => `${JSON.stringify({ event, ok: true, errors: [] })}\n`;
    api.upsert(crd);
    compute = {
      operator: sparkOperator(
        () => api,
        "FAILED",
        "lakehouse_ingest: failed: Py4JJavaError: java.nio.file.AccessDeniedException: s3a://lakehouse-warehouse/landing\n",
      ),
      jobs: controller(
        () => api,
        {
          "lakehouse-verify-e2e-stage-wired": { polls: 1, exitCode: 0, log: ok("sample-job-stage") },
          "lakehouse-verify-e2e-cleanup-wired": { polls: 0, exitCode: 0, log: ok("sample-job-cleanup") },
        },
        PROM_OK,
      ),
    };
    try {
      const logs: string[] = [];
      const r = await runVerification({
        config: testConfig(),
        phase: "analytics",
        kc: api.kubeConfig(),
        runId: "wired",
        pollMs: 20,
        queryRuns: 1,
        log: (m) => logs.push(m),
      });
      const e2e = byId(r.results)["verify.end-to-end"];
      assert.equal(e2e.status, "fail", e2e.observed);
      assert.match(
        e2e.observed,
        /The sample job did not ingest the landing file: SparkApplication lakehouse\/lakehouse-verify-e2e-wired ended FAILED \(driver container failed with ExitCode: 1, Reason: Error\); driver pod lakehouse-verify-e2e-wired-driver; driver log tail:\nlakehouse_ingest: failed: Py4JJavaError/,
      );
      assert.ok(
        logs.some((l) => /verify\.end-to-end runs the compute phase's sample SparkApplication/.test(l)),
      );
      const submitted = api.requests.find((q) => q.method === "POST" && q.plural === "sparkapplications");
      assert.ok(submitted, "the SparkApplication was submitted");
      assert.deepEqual(
        api
          .objects()
          .filter((o) => ["SparkApplication", "Job", "ConfigMap"].includes(o.kind ?? ""))
          .map((o) => o.metadata?.name),
        [],
        "the run's objects are removed",
      );
      assert.deepEqual(r.leftovers, []);
    } finally {
      compute = undefined;
    }
  });

  it("rebuilds a dataset table kept from an earlier version whose columns differ from the connector's (DOUBLE money), reuses the rest", async () => {
    const client = new TrinoClient({ baseUrl: lh.trino.url, label: lh.trino.url });
    const config = testConfig({ schema: "it_verify_stale" });
    const logs: string[] = [];
    const observe = () =>
      observeAnalytics({
        client,
        config,
        runId: "stale",
        now: new Date(),
        runs: 1,
        log: (m) => logs.push(m),
      });
    await trino.query("DROP SCHEMA IF EXISTS iceberg.it_verify_stale CASCADE");
    const first = await observe();
    assert.equal(first.dataset.state, "ok");
    // The copy as versions before the DECIMAL mapping built it: acctbal DOUBLE.
    const customer = "iceberg.it_verify_stale.sf0_01_customer";
    await trino.query(`DROP TABLE ${customer}`);
    await trino.query(
      `CREATE TABLE ${customer} AS SELECT custkey, name, address, nationkey, phone, CAST(acctbal AS double) AS acctbal, mktsegment, comment FROM tpch.tiny.customer`,
    );
    logs.length = 0;
    const again = await observe();
    assert.equal(again.dataset.state, "ok");
    assert.deepEqual((again.dataset as { built: string[] }).built, [customer]);
    assert.ok(
      logs.some((l) =>
        /rebuilding iceberg\.it_verify_stale\.sf0_01_customer: its columns differ from tpch\.tiny\.customer: acctbal is double, the connector's is decimal\(12,2\)/.test(
          l,
        ),
      ),
      logs.join("\n"),
    );
    const [[type]] = (
      await trino.query(
        "SELECT data_type FROM iceberg.information_schema.columns WHERE table_schema = 'it_verify_stale' AND table_name = 'sf0_01_customer' AND column_name = 'acctbal'",
      )
    ).rows;
    assert.equal(type, "decimal(12,2)");
    assert.equal(again.join.state, "ok");
    await trino.query("DROP SCHEMA iceberg.it_verify_stale CASCADE");
  });

  it("fails when fewer workers are active than configured, a median is over the threshold, or the Iceberg copy differs", async () => {
    const client = new TrinoClient({ baseUrl: lh.trino.url, label: lh.trino.url });
    const observe = (config: LakehouseConfig) =>
      observeAnalytics({ client, config, runId: "bad", now: new Date(), runs: 1 });
    const bad = testConfig({ schema: "it_verify_bad" });
    await observe(bad); // builds the dataset
    // Damage the Iceberg copy: the join must notice.
    await trino.query("DELETE FROM iceberg.it_verify_bad.sf0_01_lineitem WHERE orderkey % 7 = 0");
    const obs = await observe(bad);
    const judge = (config: LakehouseConfig) =>
      byId(evaluateChecks(ANALYTICS_CHECKS, obs, { config, now: new Date() }));
    const join = judge(bad)["verify.multi-table-join"];
    assert.equal(join.status, "fail");
    assert.match(join.observed, /returned 5 rows .*; the known answer has 5 \(/);
    const workers = judge(testConfig({ replicas: 2, schema: "it_verify_bad" }))["verify.trino-available"];
    assert.equal(workers.status, "fail");
    assert.match(workers.observed, /1 of 2 workers active/);
    const slow = judge(testConfig({ latency: 0.001, schema: "it_verify_bad" }))["verify.query-latency"];
    assert.equal(slow.status, "fail");
    assert.match(slow.observed, /over 0\.001 s: q1, q3, q5, q6, q10, time-travel/);
  });

  it("reports every check unknown (never pass) when Trino does not answer, quickly", async () => {
    const t0 = Date.now();
    const r = await runVerification({
      config: testConfig(),
      phase: "analytics",
      kc: kubeConfigFor(await refusedUrl()),
      requestTimeoutMs: 2_000,
    });
    assert.ok(Date.now() - t0 < 30_000, `took ${Date.now() - t0} ms`);
    assert.deepEqual(
      r.results.map((x) => x.status),
      ["unknown", "unknown", "unknown", "unknown", "unknown"],
    );
    assert.equal(r.status, "fail");
    assert.match(r.results[0].observed, /did not answer: .*(ECONNREFUSED|connect)/);
    assert.match(r.summary, /verify\.trino-available is unknown/);
  });
});
