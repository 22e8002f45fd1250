/**
 * The availability query run by the real PromQL engine (`promtool test rules`, promql_expr_test) over
 * synthetic `up` series, and the interpretation of Prometheus answers (pure).
 */
import { strict as assert } from "node:assert";
import { execFile } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { stringify } from "yaml";
import { AVAILABILITY_QUERY, interpretQuery, parseServiceRef } from "../../verify/http/prometheus";

function promtool(args: string[]): Promise<{ code: number; out: string }> {
  return new Promise((resolve) => {
    execFile("promtool", args, { timeout: 60_000 }, (err, stdout, stderr) =>
      resolve({ code: err ? (typeof err.code === "number" ? err.code : 1) : 0, out: `${stdout}${stderr}` }),
    );
  });
}

describe("verify: Prometheus availability", function () {
  this.timeout(60_000);
  let dir: string;
  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "lakehouse-verify-prom-"));
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  const up = (instance: string, values: string) => ({
    series: `up{job="hive-metastore",namespace="lakehouse",instance="${instance}"}`,
    values,
  });
  const expect = (
    name: string,
    series: { series: string; values: string }[],
    value: number,
    labels = "{}",
  ) => ({
    name,
    interval: "1m",
    input_series: series,
    promql_expr_test: [{ expr: AVAILABILITY_QUERY, eval_time: "59m", exp_samples: [{ labels, value }] }],
  });

  it("measures service availability (any replica up) from up, and prefers the SLO recording rule", async () => {
    const file = path.join(dir, "availability-test.yaml");
    fs.writeFileSync(
      file,
      stringify({
        rule_files: [],
        evaluation_interval: "1m",
        tests: [
          // One replica down the whole hour: the service stayed up (the PDB/2 replicas did their job).
          expect("one replica down", [up("a", "1x59"), up("b", "0x59")], 1),
          // Both down for the first 15 of 60 minutes: 45/60.
          expect("both down 15 min", [up("a", "0x14 1x44"), up("b", "0x14 1x44")], 0.75),
          // The phase's recording rule wins when it exists.
          expect(
            "recording rule",
            [{ series: "lakehouse:metastore_up:ratio_rate30d", values: "0.9995x59" }, up("a", "0x59")],
            0.9995,
            '{__name__="lakehouse:metastore_up:ratio_rate30d"}',
          ),
        ],
      }),
    );
    const r = await promtool(["test", "rules", file]);
    assert.equal(r.code, 0, r.out);
    assert.match(r.out, /SUCCESS/);
  });

  it("interprets answers: a value, no series, a Prometheus error, a non-200, not JSON", () => {
    const ok = JSON.stringify({ status: "success", data: { result: [{ metric: {}, value: [1, "0.999"] }] } });
    assert.deepEqual(interpretQuery(200, ok, "s"), {
      state: "ok",
      query: AVAILABILITY_QUERY,
      window: "30d",
      availability: 0.999,
      source: "s",
    });
    const none = interpretQuery(200, JSON.stringify({ status: "success", data: { result: [] } }), "s");
    assert.equal(none.state, "no-data");
    const bad = interpretQuery(200, JSON.stringify({ status: "error", error: "parse error" }), "s");
    assert.deepEqual(bad, { state: "error", source: "s", message: "parse error" });
    assert.deepEqual(interpretQuery(503, "no endpoints\n available", "s"), {
      state: "error",
      source: "s",
      message: "HTTP 503: no endpoints available",
    });
    assert.equal(interpretQuery(200, "<html>", "s").state, "error");
  });

  it("parses NAMESPACE/SERVICE:PORT", () => {
    assert.deepEqual(parseServiceRef("monitoring/prometheus-operated:9090"), {
      namespace: "monitoring",
      service: "prometheus-operated",
      port: 9090,
    });
    assert.equal(parseServiceRef("prometheus:9090"), undefined);
    assert.equal(parseServiceRef("a/b"), undefined);
  });
});
