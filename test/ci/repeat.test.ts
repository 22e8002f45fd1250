/**
 * `bash .ci/repeat [RUNS] [--busy N]` (README, "Run the tests"), run the way a user types it, with each clone's
 * `bash .ci/run` replaced by a seconds-long stand-in through LAKEHOUSE_REPEAT_RUN: a whole CI run takes 25-45
 * minutes, and the real one is what the closing notes report. What is checked here is the script's own work:
 * a fresh clone per run, one busy loop per core during the busy run only (counted from the run itself), the
 * burners gone afterwards, one line per run with the run's test summary, and the exit status.
 */
import * as assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

const REPO = path.join(__dirname, "..", "..");

/** Stands in for `bash .ci/run` inside a clone: records the clone's state and how many of repeat's children are
 * busy (state R: the burners; the run's own subshell waits), prints a summary line like .ci/run's, and exits with
 * the run's entry of FAKE_EXITS ("0,3": run 2 exits 3). */
const FAKE_RUN = `#!/usr/bin/env bash
repeat=$1
busy=$(ps -o stat= --ppid "$repeat" | grep -c '^R' || true)
printf '%s %s %s\\n' "$(pwd)" "$busy" "$(git rev-parse HEAD)" >>"$FAKE_OUT"
echo "tests: 3 passed, 0 failed"
n=$(basename "$(pwd)"); n=\${n#run-}
code=$(echo "$FAKE_EXITS" | cut -d, -f"$n")
exit "\${code:-0}"
`;

function repeat(
  args: string[],
  exitCodes = "0",
): { status: number | null; out: string; err: string; records: string[]; dir: string; cloned: boolean } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "repeat-test-"));
  fs.writeFileSync(path.join(dir, "fake-run.sh"), FAKE_RUN);
  const record = path.join(dir, "records");
  // $$ is expanded by repeat's eval in the run's subshell: the repeat script's own pid.
  const run = `bash ${path.join(dir, "fake-run.sh")} $$`;
  const res = spawnSync("bash", [".ci/repeat", ...args], {
    cwd: REPO,
    encoding: "utf8",
    timeout: 120_000,
    env: {
      ...process.env,
      REPEAT_DIR: path.join(dir, "clones"),
      LAKEHOUSE_REPEAT_RUN: run,
      FAKE_OUT: record,
      FAKE_EXITS: exitCodes,
    },
  });
  const records = fs.existsSync(record) ? fs.readFileSync(record, "utf8").trim().split("\n") : [];
  const cloned = fs.existsSync(path.join(dir, "clones", "run-1"));
  fs.rmSync(dir, { recursive: true, force: true });
  return { status: res.status, out: res.stdout, err: res.stderr, records, dir, cloned };
}

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

describe("bash .ci/repeat (the flake check the README shows)", function () {
  this.timeout(180_000);
  const head = spawnSync("git", ["rev-parse", "HEAD"], { cwd: REPO, encoding: "utf8" }).stdout.trim();

  it("3 --busy 2: three fresh clones of HEAD, the second one sharing every core with a burner that is gone after it", () => {
    const r = repeat(["3", "--busy", "2"]);
    assert.equal(r.status, 0, r.out + r.err);
    assert.equal(r.records.length, 3, r.out);
    const cores = os.cpus().length;
    r.records.forEach((line, i) => {
      const [clone, busy, commit] = line.split(" ");
      assert.equal(clone, path.join(r.dir, "clones", `run-${i + 1}`), "each run in its own clone");
      assert.equal(commit, head, "the clone is HEAD");
      assert.equal(Number(busy), i === 1 ? cores : 0, `busy loops during run ${i + 1}`);
    });
    const m = /^run 2 \(busy: (\d+) burners, pids ([\d ]+)\): exit 0, tests: 3 passed, 0 failed, /m.exec(
      r.out,
    );
    assert.ok(m, r.out);
    assert.equal(Number(m[1]), cores);
    for (const pid of m[2].trim().split(" ").map(Number)) assert.ok(!alive(pid), `burner ${pid} stopped`);
    assert.match(r.out, /^run 1: exit 0, tests: 3 passed, 0 failed, \d+ min \d+ s, log .*run-1\.log$/m);
    assert.match(r.out, /^run 3: exit 0, tests: 3 passed, 0 failed, /m);
    assert.match(r.out, /== repeat: summary\n(run \d.*\n){3}$/);
  });

  it("a failed run makes the whole exit non-zero, and its line says which run and its exit", () => {
    const r = repeat(["2"], "0,3");
    assert.equal(r.status, 1, r.out + r.err);
    assert.match(r.out, /^run 1: exit 0, /m);
    assert.match(r.out, /^run 2: exit 3, tests: 3 passed, 0 failed, /m);
  });

  it("a wrong argument is refused with the usage, before anything is cloned", () => {
    const r = repeat(["--fast"]);
    assert.equal(r.status, 2);
    assert.match(r.err, /repeat: unknown argument '--fast'\. Usage: bash \.ci\/repeat \[RUNS\] \[--busy N\]/);
    assert.equal(r.records.length, 0);
    assert.ok(!r.cloned, "nothing cloned");
  });
});
