/**
 * The Trino harness itself: refuses clearly when the server is not installed or the heap is too big for the
 * shared machine, and the shared instance runs with exactly the catalogs it was given, on loopback, Trino 476.
 */
import { strict as assert } from "node:assert";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { TrinoClient } from "../../verify/trino";
import { sharedLakehouse } from "./lakehouse";
import { isAlive } from "./proc";
import { requireTrino, startTrino, trinoHome } from "./trino";

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

  it("refuses a heap above 12 GB (tests use 1-3, the scale-10 bench up to 12) and a catalog name Trino cannot have", async () => {
    await assert.rejects(startTrino({ catalogs: {}, env: {}, heapGb: 13 }), /heapGb is 13; expected 1\.\.12/);
    await assert.rejects(
      startTrino({ catalogs: {}, env: {}, heapGb: 0.5 }),
      /heapGb is 0\.5; expected 1\.\.12/,
    );
    await assert.rejects(
      startTrino({ catalogs: { "Bad-Name": "connector.name=tpch\n" }, env: {} }),
      /catalog name "Bad-Name" is not a Trino catalog name/,
    );
  });

  it("runs Trino 476 on 127.0.0.1 with exactly the rendered catalog files", async () => {
    const { trino, catalogs } = await sharedLakehouse();
    assert.match(trino.url, /^http:\/\/127\.0\.0\.1:\d+$/);
    assert.ok(isAlive(trino.pid));
    const files = fs.readdirSync(trino.catalogDir).sort();
    assert.deepEqual(
      files,
      Object.keys(catalogs)
        .map((c) => `${c}.properties`)
        .sort(),
    );
    for (const f of files) {
      assert.equal(
        fs.readFileSync(path.join(trino.catalogDir, f), "utf8"),
        catalogs[f.replace(/\.properties$/, "")],
      );
    }
    const client = new TrinoClient({ baseUrl: trino.url, label: trino.url });
    assert.equal((await client.info()).version, "476");
    const cat = await client.query("SHOW CATALOGS");
    assert.deepEqual(cat.rows.map((r) => r[0]).sort(), ["iceberg", "system", "tpch"]);
    const nodes = await client.query("SELECT count(*) FROM system.runtime.nodes WHERE state = 'active'");
    assert.equal(nodes.rows[0][0], 1);
  });
});
