/**
 * The verification runner against the Kubernetes API stand-in (harness/kube-api.ts) with the real
 * client-node: Jobs and the scripts ConfigMap are really created, polled, their pods' logs read and deleted.
 * A small "job controller" in `extraRoutes` plays the cluster: it gives each Job a pod that ends with the exit
 * code and log a scenario says. Pass, fail, timeout, unstartable pod, 403, hung and unreachable API.
 */
import { strict as assert } from "node:assert";
import { configSchema } from "../../preflight/config/schema";
import type { Phase } from "../../preflight/model";
import { runVerification } from "../../verify/runner";
import { kubeConfigFor, refusedUrl, startKubeApi, type KubeApi } from "../../harness/kube-api";
import { controller, PASS, PROM_OK, type Scenario } from "./cluster";
import { RESTORE_CORRUPT } from "./fixtures";

const config = configSchema.parse({});
const now = new Date("2026-11-25T14:00:00Z");

describe("verify runner against the Kubernetes API stand-in", function () {
  this.timeout(30_000);
  let api: KubeApi | undefined;
  afterEach(async () => {
    await api?.stop();
    api = undefined;
  });

  const start = async (scenarios: Record<string, Scenario>, prom = PROM_OK, faults = {}) => {
    const a = await startKubeApi({ faults, extraRoutes: controller(() => a, scenarios, prom) });
    api = a;
    return a;
  };
  const verify = (a: KubeApi, extra: Partial<Parameters<typeof runVerification>[0]> = {}) =>
    runVerification({
      config,
      phase: "foundation",
      kc: a.kubeConfig(),
      pollMs: 20,
      jobTimeoutMs: 5_000,
      requestTimeoutMs: 2_000,
      runId: "t1",
      now: () => now,
      ...extra,
    });

  it("pass: creates the ConfigMap and five Jobs, reads their results, measures availability, deletes everything", async () => {
    const a = await start(PASS);
    const r = await verify(a);
    assert.equal(r.status, "pass", `${r.summary} ${JSON.stringify(r.results.map((x) => x.observed))}`);
    assert.deepEqual(
      r.results.map((x) => [x.id, x.status]),
      [
        ["verify.metastore-available", "pass"],
        ["verify.iceberg-roundtrip", "pass"],
        ["verify.metadata-backup-restore", "pass"],
        ["verify.artifact-cache", "pass"],
        ["verify.metastore-lock-timeout", "pass"],
      ],
    );
    assert.match(
      r.results[0].observed,
      /availability 99\.970 % over 30d \(service monitoring\/prometheus-operated:9090 via the Kubernetes API proxy\)/,
    );
    assert.deepEqual(r.leftovers, []);
    const posts = a.requests.filter((q) => q.method === "POST").map((q) => `${q.plural}/${q.namespace}`);
    assert.deepEqual(posts.sort(), [
      "configmaps/lakehouse",
      "jobs/lakehouse",
      "jobs/lakehouse",
      "jobs/lakehouse",
      "jobs/lakehouse",
      "jobs/lakehouse",
    ]);
    const deletes = a.requests
      .filter((q) => q.method === "DELETE")
      .map((q) => q.name)
      .sort();
    assert.deepEqual(deletes, [
      "lakehouse-verify-artifacts-t1",
      "lakehouse-verify-iceberg-t1",
      "lakehouse-verify-lock-t1",
      "lakehouse-verify-ping-t1",
      "lakehouse-verify-restore-t1",
      "lakehouse-verify-scripts-t1",
    ]);
    assert.ok(
      !a.objects().some((o) => o.kind === "Job" || o.kind === "ConfigMap"),
      "no Job or ConfigMap is left",
    );
    assert.equal(r.summary, "The foundation phase is verified: 5 of 5 checks pass.");
  });

  it("fail: a corrupt backup fails its check and the verification, the others still pass", async () => {
    const a = await start({
      ...PASS,
      "verify.metadata-backup-restore": { polls: 1, exitCode: 4, log: JSON.stringify(RESTORE_CORRUPT) },
    });
    const r = await verify(a);
    assert.equal(r.status, "fail");
    const byId = Object.fromEntries(r.results.map((x) => [x.id, x]));
    assert.equal(byId["verify.metadata-backup-restore"].status, "fail");
    assert.match(byId["verify.metadata-backup-restore"].observed, /corrupt/);
    assert.equal(byId["verify.iceberg-roundtrip"].status, "pass");
    assert.equal(r.summary, "The foundation phase is not verified: verify.metadata-backup-restore is fail.");
  });

  it("a Job that never finishes is unknown after the timeout, and is still deleted", async () => {
    const a = await start({
      ...PASS,
      "verify.iceberg-roundtrip": { polls: Infinity, exitCode: 0, log: "Collecting pyarrow\n" },
    });
    const t0 = Date.now();
    const r = await verify(a, { jobTimeoutMs: 800 });
    assert.ok(Date.now() - t0 < 8_000);
    const rt = r.results.find((x) => x.id === "verify.iceberg-roundtrip")!;
    assert.equal(rt.status, "unknown");
    assert.match(rt.observed, /did not finish within 1 s \(pod Running\); last log line: Collecting pyarrow/);
    assert.equal(r.status, "fail");
    assert.ok(a.requests.some((q) => q.method === "DELETE" && q.name === "lakehouse-verify-iceberg-t1"));
  });

  it("a pod that cannot pull its image is unknown at once, naming the reason", async () => {
    const a = await start({
      ...PASS,
      "verify.metastore-available": { polls: Infinity, exitCode: 0, log: "", waiting: "ImagePullBackOff" },
    });
    const t0 = Date.now();
    const r = await verify(a, { jobTimeoutMs: 40_000 });
    assert.ok(Date.now() - t0 < 20_000, "does not wait for the timeout");
    const ping = r.results.find((x) => x.id === "verify.metastore-available")!;
    assert.equal(ping.status, "unknown");
    assert.match(ping.observed, /cannot start: ImagePullBackOff: Back-off pulling image/);
  });

  it("a wheel missing from the artifact cache: the Job's init container line is shown, not taken for a result", async () => {
    const missing =
      "artifact-cache: pyarrow-21.0.0-cp311-cp311-manylinux_2_28_x86_64.whl (pyarrow==21.0.0) is not in the " +
      "artifact cache (s3://lakehouse-artifacts/pypi/packages/x/pyarrow.whl at http://rgw.svc:80); stage it with " +
      "the Job artifact-cache-stage (pulumi up), see docs/runbooks/foundation.md#artifact-cache.";
    const a = await start({
      ...PASS,
      "verify.iceberg-roundtrip": {
        polls: 1,
        exitCode: 1,
        log: "",
        initFailure: {
          name: "fetch-wheels",
          log: `{"event":"artifact-cache","ok":false,"mode":"fetch","error":"..."}\n${missing}\n`,
        },
      },
    });
    const r = await verify(a);
    const rt = r.results.find((x) => x.id === "verify.iceberg-roundtrip")!;
    assert.equal(rt.status, "unknown");
    assert.match(
      rt.observed,
      /without printing its result line; last log line: artifact-cache: pyarrow-21\.0\.0-.* is not in the artifact cache/,
    );
    assert.equal(r.status, "fail");
  });

  it("Prometheus answering 503 through the proxy makes availability a warning, not a failure", async () => {
    const a = await start(PASS, { status: 503, body: "no endpoints available for service" });
    const r = await verify(a);
    assert.equal(r.status, "warn");
    assert.match(r.results[0].observed, /could not be queried: HTTP 503: no endpoints available/);
  });

  it("403 on creating Jobs: every check is unknown with the RBAC it needs", async () => {
    const a = await start(PASS, PROM_OK, { "jobs.batch": 403 });
    const r = await verify(a);
    assert.equal(r.status, "fail");
    for (const x of r.results) {
      assert.equal(x.status, "unknown", x.id);
      assert.match(
        x.observed,
        /could not be created: creating Job lakehouse\/lakehouse-verify-.*: HTTP 403: .*cannot create resource "jobs"/,
      );
      assert.match(x.remediation, /create and delete jobs and configmaps/);
    }
  });

  it("an API that never answers: unknown within the request timeouts, no hang", async () => {
    const a = await start(PASS, PROM_OK, { "/": "hang" });
    const t0 = Date.now();
    const r = await verify(a, { requestTimeoutMs: 300 });
    assert.ok(Date.now() - t0 < 5_000, `took ${Date.now() - t0} ms`);
    assert.ok(r.results.every((x) => x.status === "unknown" || x.id === "verify.metastore-available"));
    assert.match(
      r.results[1].observed,
      /creating ConfigMap lakehouse\/lakehouse-verify-scripts-t1: creating the scripts ConfigMap got no answer within 300 ms/,
    );
  });

  it("an unreachable API server (connection refused): unknown, fast", async () => {
    const kc = kubeConfigFor(await refusedUrl());
    const t0 = Date.now();
    const r = await runVerification({
      config,
      phase: "foundation",
      kc,
      pollMs: 20,
      requestTimeoutMs: 2_000,
      runId: "t2",
      now: () => now,
    });
    assert.ok(Date.now() - t0 < 5_000);
    assert.equal(r.status, "fail");
    assert.ok(r.results.every((x) => x.status === "unknown"));
    assert.match(
      r.results[2].observed,
      /could not be created: creating ConfigMap .*(ECONNREFUSED|fetch failed|connect)/i,
    );
  });

  it("refuses a phase without checks as invalid input", async () => {
    await assert.rejects(
      runVerification({ config, phase: "lakehouse" as Phase, kc: kubeConfigFor("http://127.0.0.1:1") }),
      /The lakehouse phase has no post-deploy checks yet; verifiable phases: foundation, compute, analytics\./,
    );
  });
});
