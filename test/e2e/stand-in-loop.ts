/**
 * The loop of the e2e controller stand-ins (./flux.ts, ./spark-operator.ts): run `pass` every `intervalMs` until
 * stopped. A failed pass is kept as `lastError` and retried on the next one (an object deleted between list and
 * patch, or the API server busy).
 */
import { setTimeout as sleep } from "node:timers/promises";

export interface StandInLoop {
  lastError(): string | undefined;
  /** Stops after the pass under way. */
  stop(): Promise<void>;
}

export function standInLoop(pass: () => Promise<void>, intervalMs: number): StandInLoop {
  let error: string | undefined;
  let stopped = false;
  const loop = (async () => {
    while (!stopped) {
      try {
        await pass();
        error = undefined;
      } catch (e) {
        error = (e as Error).message;
      }
      await sleep(intervalMs);
    }
  })();
  return {
    lastError: () => error,
    async stop() {
      stopped = true;
      await loop;
    },
  };
}
