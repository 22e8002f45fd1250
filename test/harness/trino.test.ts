/**
 * The Trino harness itself: refuses clearly when the server is not installed or the memory factor is out of
 * range, and the shared instance is the product's topology on loopback: Trino 476, a coordinator and a worker with
 * exactly the catalogs it was given and the files derived from the product's (./trino-topology.ts), the worker
 * running every task, each JVM's heap and memory pool the product's divided by TEST_MEMORY_SCALE.
 */
import { strict as assert } from "node:assert";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { TrinoClient } from "../../verify/http/trino";
import { sharedLakehouse } from "../../harness/lakehouse";
import { isAlive } from "../../harness/proc";
import { requireTrino, startTrino, trinoHome } from "../../harness/trino";
import { harnessNodeFiles, TEST_MEMORY_SCALE } from "../../harness/trino-topology";

describe("test harness: real Trino 476", function () {
  this.timeout(600_000);

  it("names the setup script when the server is not installed", () => {
    const empty = fs.mkdtempSync(path.join(os.tmpdir(), "lakehouse-no-trino-"));
    try {
      assert.equal(trinoHome({ LAKEHOUSE_TRINO_HOME: empty }), empty);
      assert.throws(
        () => requireTrino({ LAKEHOUSE_TRINO_HOME: empty }),
        /Trino 476 not installed: run bash \.ci\/setup\.d\/60-trino\.sh \(expected it in .*lakehouse-no-trino-/,
      );
    } finally {
      fs.rmSync(empty, { recursive: true, force: true });
    }
  });

  it("refuses a memory factor out of range (below 1 would exceed the product's sizes) and a catalog name Trino cannot have", async () => {
    await assert.rejects(
      startTrino({ catalogs: {}, env: {}, memoryScale: 0.5 }),
      /memory scale is 0\.5; expected 1\.\.16/,
    );
    // 13 GB of worker heap is more than the product's 12.8 GiB.
    await assert.rejects(
      startTrino({ catalogs: {}, env: {}, heapGb: 13 }),
      /memory scale is 0\.98\d*; expected 1\.\.16/,
    );
    await assert.rejects(
      startTrino({ catalogs: { "Bad-Name": "connector.name=tpch\n" }, env: {} }),
      /catalog name "Bad-Name" is not a Trino catalog name/,
    );
  });

  it(`runs Trino 476 as a coordinator and a worker on 127.0.0.1: the product's files and catalogs, memory / ${TEST_MEMORY_SCALE}, tasks only on the worker`, async () => {
    const { trino, catalogs } = await sharedLakehouse();
    assert.match(trino.url, /^http:\/\/127\.0\.0\.1:\d+$/);
    const { coordinator, worker } = trino.nodes;
    assert.equal(trino.pid, coordinator.pid);
    assert.ok(isAlive(coordinator.pid) && isAlive(worker.pid) && coordinator.pid !== worker.pid);
    assert.equal(trino.topology.memoryScale, TEST_MEMORY_SCALE);
    for (const n of [coordinator, worker]) {
      const dir = path.join(n.etcDir, "catalog");
      const files = fs.readdirSync(dir).sort();
      assert.deepEqual(
        files,
        Object.keys(catalogs)
          .map((c) => `${c}.properties`)
          .sort(),
        n.role,
      );
      for (const f of files) {
        assert.equal(fs.readFileSync(path.join(dir, f), "utf8"), catalogs[f.replace(/\.properties$/, "")]);
      }
      // On disk: the chart's files from the product's values, with only the harness's documented differences.
      const base = path.dirname(n.etcDir);
      const expected = harnessNodeFiles(trino.topology[n.role], {
        port: Number(new URL(n.url).port),
        coordinatorPort: trino.port,
        tmpDir: path.join(base, "tmp"),
        sharedArchive: /^-XX:SharedArchiveFile=(.*)$/m.exec(
          fs.readFileSync(path.join(n.etcDir, "jvm.config"), "utf8"),
        )![1],
      });
      assert.equal(
        fs.readFileSync(path.join(n.etcDir, "config.properties"), "utf8"),
        expected.configProperties,
      );
      assert.equal(fs.readFileSync(path.join(n.etcDir, "jvm.config"), "utf8"), expected.jvmConfig);
    }
    const client = new TrinoClient({ baseUrl: trino.url, label: trino.url });
    assert.equal((await client.info()).version, "476");
    const cat = await client.query("SHOW CATALOGS");
    assert.deepEqual(cat.rows.map((r) => r[0]).sort(), ["iceberg", "system", "tpch"]);
    const nodes = await client.query(
      "SELECT node_id, coordinator FROM system.runtime.nodes WHERE state = 'active' ORDER BY coordinator DESC",
    );
    assert.deepEqual(nodes.rows, [
      [coordinator.nodeId, true],
      [worker.nodeId, false],
    ]);

    // node-scheduler.include-coordinator=false is live: every task of a query runs on the worker.
    const q = await client.query("SELECT returnflag, count(*) FROM tpch.tiny.lineitem GROUP BY returnflag");
    assert.equal(q.rows.length, 3);
    const tasks = await client.query(
      `SELECT DISTINCT node_id FROM system.runtime.tasks WHERE query_id = '${q.queryId}'`,
    );
    assert.deepEqual(tasks.rows, [[worker.nodeId]]);

    // Each JVM's heap and memory pool are the product's settings divided by the factor: G1 rounds -Xmx up to whole
    // regions (the chart's -XX:G1HeapRegionSize=32M), and the pool Trino tracks is that heap minus
    // memory.heap-headroom-per-node.
    const region = 32 * 2 ** 20;
    for (const n of [coordinator, worker]) {
      const res = await fetch(`${n.url}/v1/status`, {
        headers: { "X-Trino-User": "test" },
        signal: AbortSignal.timeout(10_000),
      });
      assert.equal(res.status, 200);
      const status = (await res.json()) as {
        nodeId: string;
        coordinator: boolean;
        heapAvailable: number;
        memoryInfo: { pool: { maxBytes: number } };
      };
      const m = trino.topology.memory[n.role];
      const heap = Math.ceil(m.heapBytes / region) * region;
      assert.equal(status.nodeId, n.nodeId);
      assert.equal(status.coordinator, n.role === "coordinator");
      assert.equal(status.heapAvailable, heap, `${n.role} -Xmx${m.maxHeapSize} in 32 MB regions`);
      assert.equal(
        status.memoryInfo.pool.maxBytes,
        heap - m.heapHeadroomBytes,
        `${n.role} pool = heap - memory.heap-headroom-per-node (${m.heapHeadroomPerNode})`,
      );
    }
  });
});
