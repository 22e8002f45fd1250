/**
 * `npm run bench:preflight` once as a user types it, with one run and one timed start each (BENCH_RUNS=1,
 * BENCH_STARTS=1, through the environment as docs/performance.md says): the output's shape (the live path's wall
 * time against its slowest page chain, in-process and as a whole CLI process, one list call per kind per page, every CLI's start beside `node -e 0`)
 * and that the exit status says whether a target was missed. Never the speed: on a busy machine a start-up
 * target may be missed, and then the bench must exit 1 and say which.
 */
import { strict as assert } from "node:assert";
import { npmRun } from "../npm";

describe("bench: preflight (as a user runs it)", function () {
  this.timeout(300_000);

  it("prints the live path's figures (in-process and as a whole process) and each CLI start beside node -e 0; exits 1 exactly when a target is missed", async () => {
    const r = await npmRun(["bench:preflight"], {
      env: { BENCH_RUNS: "1", BENCH_STARTS: "1", NO_COLOR: "1" },
      timeoutMs: 280_000,
    });
    const out = r.stdout;
    assert.match(out, /100 nodes, 5000 PVCs, 3000 pods, \d+ objects in all; 50 ms latency per request/);
    assert.match(
      out,
      /^run 1: wall \d+ ms \(collect \d+ ms \+ evaluate \d+ ms\), \d+ requests, decision ready$/m,
    );
    assert.match(
      out,
      /slowest chain: persistentvolumeclaims: 10 pages x ~\d+ ms .* wall \/ slowest chain = [\d.]+ \(target <= 1\.5\) (OK|MISSED)/,
    );
    assert.match(out, /list calls per kind = pages: OK; other requests: 0/);
    assert.match(
      out,
      /^ {2}run 1: process \d+ ms {2}vs {2}slowest chain persistentvolumeclaims 10p\/\d+ ms {2}\(x 2: \d+ ms\); ratio [\d.]+; exit 3, decision blocked$/m,
    );
    assert.match(out, /^ {2}median ratio [\d.]+ \(target <= 2\) (OK|MISSED)$/m);
    assert.match(out, /^ {2}node -e 0 +\d+ ms$/m);
    for (const cli of [
      "preflight --help",
      "preflight --from anton \\(offline run\\)",
      "verify --help",
      "plan --help",
    ])
      assert.match(
        out,
        new RegExp(`^  ${cli} +\\d+ ms  \\(\\+-?\\d+ ms over node -e 0, target <= 300\\) (OK|MISSED)$`, "m"),
      );
    assert.match(out, /^ {2}\(before\) ts-node preflight --help +\d+ ms/m);
    const missed = /\bMISSED\b/.test(out) || /target(s)? (was |were )?missed/i.test(out);
    assert.equal(r.code, missed ? 1 : 0, `exit ${r.code}; output:\n${out}\n${r.stderr}`);
  });
});
