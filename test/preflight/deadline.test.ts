import { strict as assert } from "node:assert";
import { setTimeout as sleep } from "node:timers/promises";
import { untilAborted } from "../../preflight/deadline";

describe("untilAborted (a deadline for a promise that may never settle)", () => {
  const reason = (): Error => new Error("no answer within 20 ms");

  it("settles with the promise when it is first", async () => {
    assert.equal(await untilAborted(Promise.resolve(7), AbortSignal.timeout(1_000), reason), 7);
    await assert.rejects(
      untilAborted(Promise.reject(new Error("refused")), AbortSignal.timeout(1_000), reason),
      /refused/,
    );
  });

  it("rejects with the reason when the signal aborts first, even if the promise never settles", async () => {
    await assert.rejects(
      untilAborted(new Promise(() => undefined), AbortSignal.timeout(20), reason),
      /within 20 ms/,
    );
  });

  it("an already aborted signal rejects at once; a late rejection of the promise is not unhandled", async () => {
    const unhandled: unknown[] = [];
    const onUnhandled = (e: unknown): number => unhandled.push(e);
    process.on("unhandledRejection", onUnhandled);
    try {
      const late = sleep(10).then(() => Promise.reject(new Error("late")));
      await assert.rejects(untilAborted(late, AbortSignal.abort(), reason), /within 20 ms/);
      const late2 = sleep(30).then(() => Promise.reject(new Error("late")));
      await assert.rejects(untilAborted(late2, AbortSignal.timeout(5), reason), /within 20 ms/);
      await sleep(60);
      assert.deepEqual(unhandled, []);
    } finally {
      process.off("unhandledRejection", onUnhandled);
    }
  });
});
