/**
 * The outputs users and other tools read, pinned byte for byte (timestamps aside) across a restructuring
 * (issue 17): `npm run plan -- --output json` for the anton example and for two blocked snapshots (anton's
 * with 8 GiB nodes, and with its Ceph cluster in HEALTH_ERR), and
 * `npm run preflight -- --output json` for both examples. Every command is run the way a user types it.
 *
 * The expected files under test/golden/ were recorded from the tree before the first move. A change of
 * behaviour that is meant (a new check, a new resource) re-records them on purpose:
 *
 *   LAKEHOUSE_GOLDEN_RECORD=1 npx mocha test/golden/outputs.test.ts
 *
 * and the diff of the recorded files is then part of that change's review.
 */
import { strict as assert } from "node:assert";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { npmRun, ROOT } from "../npm";

const GOLDEN = __dirname;
const RECORD = process.env.LAKEHOUSE_GOLDEN_RECORD === "1";

/** The flags of an offline run on CLUSTER with anton's node metrics, JSON output. */
const antonJson = (cluster: string): string[] => [
  "--from",
  cluster,
  "--from",
  "examples/anton/metrics.json",
  "--output",
  "json",
];

/**
 * The document with every ISO-8601 timestamp, the temp dir the test used and the checkout's path replaced by
 * fixed tokens (a fresh clone lives elsewhere).
 */
export function normalise(stdout: string, tmp: string): string {
  return stdout
    .split(tmp)
    .join("<tmp>")
    .split(ROOT)
    .join("<root>")
    .replace(/\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})/g, "<time>");
}

describe("outputs pinned across restructuring: plan and preflight JSON, byte for byte", function () {
  this.timeout(600_000);
  let tmp: string;
  before(() => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), "lakehouse-golden-"));
    // anton's snapshot with its Ceph cluster in HEALTH_ERR: a critical prerequisite fails.
    const list = JSON.parse(fs.readFileSync(path.join(ROOT, "examples/anton/cluster.json"), "utf8")) as {
      items: { kind: string; status?: { ceph?: { health?: string } } }[];
    };
    const ceph = list.items.filter((o) => o.kind === "CephCluster");
    assert.ok(ceph.length > 0 && ceph.every((o) => o.status?.ceph), "the example has a CephCluster status");
    for (const o of ceph) o.status!.ceph!.health = "HEALTH_ERR";
    fs.writeFileSync(path.join(tmp, "ceph-error.json"), `${JSON.stringify(list, null, 2)}\n`);
    // anton's snapshot with 8 GiB nodes: the cluster's capacity is far below what the platform needs.
    const small = JSON.parse(fs.readFileSync(path.join(ROOT, "examples/anton/cluster.json"), "utf8")) as {
      items: {
        kind: string;
        status?: { allocatable?: Record<string, string>; capacity?: Record<string, string> };
      }[];
    };
    const nodes = small.items.filter((o) => o.kind === "Node");
    assert.ok(nodes.length > 0 && nodes.every((o) => o.status?.allocatable && o.status.capacity));
    for (const o of nodes) o.status!.allocatable!.memory = o.status!.capacity!.memory = "8Gi";
    fs.writeFileSync(path.join(tmp, "small-nodes.json"), `${JSON.stringify(small, null, 2)}\n`);
  });
  after(() => fs.rmSync(tmp, { recursive: true, force: true }));

  const cases: {
    file: string;
    script: string;
    args: (tmp: string) => string[];
    code: number;
  }[] = [
    {
      file: "plan-anton.json",
      script: "plan",
      args: () => ["--stack", "anton", ...antonJson("examples/anton/cluster.json")],
      code: 0,
    },
    {
      file: "plan-small-nodes.json",
      script: "plan",
      args: (t) => ["--stack", "anton", ...antonJson(path.join(t, "small-nodes.json"))],
      code: 5,
    },
    {
      file: "plan-ceph-error.json",
      script: "plan",
      args: (t) => ["--stack", "anton", ...antonJson(path.join(t, "ceph-error.json"))],
      code: 5,
    },
    {
      file: "preflight-anton.json",
      script: "preflight",
      args: () => antonJson("examples/anton/cluster.json"),
      code: 0,
    },
    {
      file: "preflight-small-homelab.json",
      script: "preflight",
      args: () => [
        "--from",
        "examples/small-homelab/cluster.yaml",
        "--from",
        "examples/small-homelab/metrics.yaml",
        "--output",
        "json",
      ],
      code: 4,
    },
  ];

  for (const c of cases) {
    it(`${c.file}: \`npm run ${c.script}\` prints exactly the recorded document (exit ${c.code})`, async () => {
      // A clean environment: no colour, no stray KUBECONFIG.
      const r = await npmRun([c.script, "--", ...c.args(tmp)], {
        cleanEnv: true,
        env: { NO_COLOR: "1" },
        timeoutMs: 280_000,
      });
      assert.equal(r.code, c.code, r.stderr);
      const got = normalise(r.stdout, tmp);
      JSON.parse(got);
      const file = path.join(GOLDEN, c.file);
      if (RECORD) fs.writeFileSync(file, got);
      assert.ok(fs.existsSync(file), `${file} is missing: record it with LAKEHOUSE_GOLDEN_RECORD=1`);
      assert.equal(got, fs.readFileSync(file, "utf8"), `${c.file} differs from the recorded output`);
    });
  }
});
