/**
 * Each Trino node's config.properties and jvm.config: the product's chart values for the server
 * (trinoServerValues, what trinoValues hands the chart) and the chart's rendering of them (renderTrinoNodeFiles),
 * checked against what the real trino chart 1.42.2 rendered with `helm template` for the same values
 * (test/fixtures/trino-chart/rendered.json, recorded by record.ts in that folder), never against a copy of the
 * template.
 */
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { configSchema } from "../../../preflight/config/schema";
import { renderCatalogs } from "../../../stacks/analytics/catalogs";
import { chartNames } from "../../../stacks/analytics/names";
import {
  JDK_8329528_FLAGS,
  JVMKILL_AGENT_LINE,
  renderTrinoNodeFiles,
  trinoServerValues,
} from "../../../stacks/analytics/trinoNodeConfig";
import { trinoMemory } from "../../../stacks/analytics/trinoMemory";
import { trinoValues } from "../../../stacks/analytics/trinoValues";
import type { Recorded } from "../../fixtures/trino-chart/record";

const recorded = JSON.parse(
  fs.readFileSync(path.join(__dirname, "../../fixtures/trino-chart/rendered.json"), "utf8"),
) as Recorded;

/** `key=value` lines of a properties text. */
const props = (text: string): Record<string, string> =>
  Object.fromEntries(
    text
      .split("\n")
      .filter((l) => l.includes("="))
      .map((l) => [l.slice(0, l.indexOf("=")), l.slice(l.indexOf("=") + 1)]),
  );

describe("Trino node files: the chart's config.properties and jvm.config from the product's values", () => {
  it("were recorded from the real chart 1.42.2 for five value sets (anton, single node, 4 large workers, no extra flags, the test harness)", () => {
    assert.match(recorded.chart, /^trino 1\.42\.2 /);
    assert.equal(recorded.cases.length, 5);
  });

  for (const c of recorded.cases) {
    it(`renders exactly what the chart rendered: ${c.name}`, () => {
      const files = renderTrinoNodeFiles(c.values, c.fullname);
      assert.deepEqual(files.coordinator, c.coordinator);
      assert.deepEqual(files.worker, c.worker);
    });
  }

  it("hands the chart the server values trinoServerValues derives (anton: coordinator 4.8 GiB heap, 2 workers of 12.8 GiB, include-coordinator=false)", () => {
    const config = configSchema.parse({});
    const { values, memory } = trinoValues({
      config,
      priorityClassCritical: "c",
      priorityClassBatch: "b",
      catalogs: renderCatalogs({
        metastoreUri: "thrift://m:9083",
        s3Endpoint: "http://s3:80",
        s3Region: "r",
      }),
      credentials: { secret: "s", accessKeyIdKey: "a", secretAccessKeyKey: "k" },
    });
    const server = trinoServerValues({
      memory: trinoMemory({ coordinator: config.sizing.trinoCoordinator, worker: config.sizing.trinoWorker }),
      environment: config.analytics.environment,
      workers: config.sizing.trinoWorker.replicas,
      shutdownGracePeriodSeconds: config.analytics.shutdownGracePeriodSeconds,
    });
    assert.deepEqual(values.server, server.server);
    for (const role of ["coordinator", "worker"] as const) {
      const v = values[role] as Record<string, unknown>;
      for (const [k, want] of Object.entries(server[role])) assert.deepEqual(v[k], want, `${role}.${k}`);
    }
    const files = renderTrinoNodeFiles(server, chartNames(config.analytics.releaseName).fullname);
    const coordinator = props(files.coordinator.configProperties);
    const worker = props(files.worker!.configProperties);
    assert.equal(coordinator["node-scheduler.include-coordinator"], "false");
    assert.equal(coordinator["query.max-memory-per-node"], memory.coordinator.maxMemoryPerNode);
    assert.equal(worker["query.max-memory-per-node"], memory.worker.maxMemoryPerNode);
    assert.equal(worker["memory.heap-headroom-per-node"], memory.worker.heapHeadroomPerNode);
    assert.equal(worker["query.max-memory"], memory.maxMemory);
    assert.equal(worker["discovery.uri"], "http://trino:8080");
    assert.equal(worker["shutdown.grace-period"], "120s");
    assert.ok(files.worker!.jvmConfig.split("\n").includes(`-Xmx${memory.worker.maxHeapSize}`));
    for (const flag of [...JDK_8329528_FLAGS, JVMKILL_AGENT_LINE]) {
      assert.ok(files.coordinator.jvmConfig.split("\n").includes(flag), flag);
    }
  });

  it("renders no worker files for a single-node Trino (the chart renders no worker ConfigMap)", () => {
    const single = recorded.cases.find((c) => c.values.server.workers === 0);
    assert.ok(single && single.worker === undefined);
    assert.equal(renderTrinoNodeFiles(single.values, single.fullname).worker, undefined);
  });
});
