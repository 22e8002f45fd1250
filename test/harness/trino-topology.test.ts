/**
 * The Trino the engine tests run, as derived from the product (pure, no engine): a coordinator and one worker
 * whose files are the chart's rendering of the product's values with the memory divided by the test suite's
 * factor, and the harness's own differences, exactly those and nothing else.
 */
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { JVMKILL_AGENT_LINE } from "../../stacks/analytics/trinoNodeConfig";
import type { Recorded } from "../fixtures/trino-chart/record";
import {
  harnessJvmLines,
  harnessNodeFiles,
  harnessTopology,
  scaleTrinoMemory,
  TEST_MEMORY_SCALE,
} from "../../harness/trino-topology";

const MiB = 2 ** 20;
const node = { port: 41001, coordinatorPort: 41000, tmpDir: "/tmp/x/tmp", sharedArchive: "/c/a.jsa" };

describe("Trino harness topology (pure)", () => {
  it(`divides every memory setting of the product by the stated factor (${TEST_MEMORY_SCALE}): 6Gi/16Gi pods -> 614 MB and 1.6 GB heaps`, () => {
    assert.equal(TEST_MEMORY_SCALE, 8);
    const t = harnessTopology();
    assert.equal(t.memoryScale, 8);
    // The product's own numbers for a coordinator and one 16Gi worker (trinoMemory).
    assert.equal(t.productMemory.coordinator.maxHeapSize, "4915M");
    assert.equal(t.productMemory.worker.maxHeapSize, "13107M");
    assert.equal(t.productMemory.maxMemory, "3932MB", "one worker's per-node limit");
    assert.equal(t.productMemory.includeCoordinator, false);
    for (const role of ["coordinator", "worker"] as const) {
      const p = t.productMemory[role];
      const m = t.memory[role];
      for (const k of ["heapBytes", "heapHeadroomBytes", "maxMemoryPerNodeBytes"] as const) {
        assert.equal(m[k], Math.floor(p[k] / 8 / MiB) * MiB, `${role}.${k}`);
      }
      assert.ok(m.heapHeadroomBytes + m.maxMemoryPerNodeBytes <= m.heapBytes, "Trino's start-up rule holds");
    }
    assert.deepEqual(
      [t.memory.coordinator.maxHeapSize, t.memory.worker.maxHeapSize, t.memory.worker.maxMemoryPerNode],
      ["614M", "1638M", "491MB"],
    );
    assert.equal(t.memory.maxMemory, "491MB");
    assert.equal(t.values.coordinator.config.nodeScheduler.includeCoordinator, false);
    assert.equal(t.values.server.workers, 1);
  });

  it("renders the files the real chart renders from the harness's values (recorded with helm template)", () => {
    const recorded = JSON.parse(
      fs.readFileSync(path.join(__dirname, "../fixtures/trino-chart/rendered.json"), "utf8"),
    ) as Recorded;
    const harnessCase = recorded.cases.find((c) => c.name.startsWith("the test harness"));
    assert.ok(harnessCase);
    const t = harnessTopology();
    assert.deepEqual(t.values, harnessCase.values);
    assert.deepEqual(t.coordinator, harnessCase.coordinator);
    assert.deepEqual(t.worker, harnessCase.worker);
  });

  it("runs the product's sizes unscaled at factor 1, and refuses a factor below 1 or above 16", () => {
    const full = harnessTopology({ memoryScale: 1 });
    assert.deepEqual(full.memory, full.productMemory);
    assert.throws(() => scaleTrinoMemory(full.productMemory, 0.5), /memory scale is 0\.5; expected 1\.\.16/);
    assert.throws(() => harnessTopology({ memoryScale: 17 }), /memory scale is 17; expected 1\.\.16/);
  });

  it("differs from the chart's files only in the port, the discovery URI, the jvmkill agent and three appended JVM lines", () => {
    const t = harnessTopology();
    for (const role of ["coordinator", "worker"] as const) {
      const chart = t[role];
      const mine = harnessNodeFiles(chart, { ...node, port: role === "coordinator" ? 41000 : 41001 });
      const cLines = chart.configProperties.split("\n");
      const hLines = mine.configProperties.split("\n");
      assert.equal(hLines.length, cLines.length);
      const changed = cLines.filter((l, i) => l !== hLines[i]).map((l) => l.split("=")[0]);
      assert.deepEqual(changed, ["http-server.http.port", "discovery.uri"], role);
      assert.ok(hLines.includes("discovery.uri=http://127.0.0.1:41000"));
      assert.ok(hLines.includes(`http-server.http.port=${role === "coordinator" ? 41000 : 41001}`));
      const expectedJvm = chart.jvmConfig
        .split("\n")
        .filter((l) => l !== JVMKILL_AGENT_LINE)
        .slice(0, -1)
        .concat(harnessJvmLines(node), [""])
        .join("\n");
      assert.equal(mine.jvmConfig, expectedJvm, role);
      assert.ok(!mine.jvmConfig.includes("libjvmkill"));
    }
  });

  it("refuses chart files without the lines it replaces (a changed chart mirror cannot slip by)", () => {
    const t = harnessTopology();
    assert.throws(
      () => harnessNodeFiles({ ...t.worker, configProperties: "coordinator=false\n" }, node),
      /has no http-server\.http\.port line/,
    );
    assert.throws(
      () => harnessNodeFiles({ ...t.worker, jvmConfig: "-server\n" }, node),
      /has no -agentpath:\/usr\/lib\/trino\/bin\/libjvmkill\.so line/,
    );
  });
});
