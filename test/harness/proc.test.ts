/**
 * The process helpers every harness and test that spawns a child relies on (fast: plain `node` children).
 */
import { strict as assert } from "node:assert";
import { spawn } from "node:child_process";
import { isAlive, stopPid, StopWaiting, waitFor, waitForOutput } from "../../harness/proc";

const node = (script: string) =>
  spawn(process.execPath, ["-e", script], { stdio: ["ignore", "pipe", "pipe"] });

describe("test harness: waitForOutput settles once", () => {
  it("resolves the line even when the child prints it and exits at once", async () => {
    for (let i = 0; i < 8; i++) {
      const m = await waitForOutput(node("console.log(4242)"), /^(\d+)\s*$/m, "the port", 30_000);
      assert.equal(m[1], "4242");
    }
  });

  it("the exit that follows the caller's own stop is expected: the wait has resolved, nothing rejects", async () => {
    const child = node("console.log(7); setInterval(() => {}, 1000)");
    const rejections: unknown[] = [];
    const onRejection = (e: unknown): number => rejections.push(e);
    process.on("unhandledRejection", onRejection);
    try {
      const m = await waitForOutput(child, /^(\d+)\s*$/m, "the port", 30_000);
      assert.equal(m[1], "7");
      assert.equal(await stopPid(child.pid ?? 0), true);
      await new Promise((r) => (child.exitCode !== null || child.signalCode ? r(0) : child.once("close", r)));
      assert.equal(isAlive(child.pid ?? 0), false);
      assert.equal(child.listenerCount("close") + child.listenerCount("exit"), 0, "no listener left behind");
      assert.deepEqual(rejections, []);
    } finally {
      process.off("unhandledRejection", onRejection);
    }
  });

  it("rejects naming the exit code and the child's stderr when it ends before the line", async () => {
    await assert.rejects(
      waitForOutput(node("console.error('TS2345: bad'); process.exit(3)"), /^\d+$/m, "the port", 30_000),
      /the port: the process exited \(3\) before it:\nTS2345: bad/,
    );
  });

  it("rejects after the bound when the line never comes, and the child can still be stopped", async () => {
    const child = node("setInterval(() => {}, 1000)");
    await assert.rejects(waitForOutput(child, /^\d+$/m, "the port", 300), /the port: not seen within 300 ms/);
    assert.equal(await stopPid(child.pid ?? 0), true);
  });
});

describe("test harness: waitFor waits on the condition, and gives up when it can no longer come true", () => {
  it("retries a probe that throws an ordinary error (not ready yet) until it passes", async () => {
    let calls = 0;
    await waitFor(
      "the third call",
      () => {
        calls++;
        if (calls < 3) throw new Error("connection refused");
        return true;
      },
      30_000,
      1,
    );
    assert.equal(calls, 3);
  });

  it("a probe throwing StopWaiting (the daemon exited) ends the wait at once, with the reason and the log", async () => {
    let calls = 0;
    await assert.rejects(
      waitFor(
        "the metastore",
        () => {
          calls++;
          throw new StopWaiting("it exited");
        },
        600_000,
        1,
        () => "Log: boom",
      ),
      /^Error: Gave up waiting for the metastore: it exited\. Log: boom$/,
    );
    assert.equal(calls, 1, "no retry after StopWaiting");
  });
});
