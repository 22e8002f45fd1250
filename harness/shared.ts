/**
 * Engines started once per test run and shared by every test file that asks for them (Trino takes 20-80 s to
 * start; the analytics tests, the verification tests and the benchmarks all want the same one).
 *
 * `shared(key, start)` memoises the start; the first caller pays, later callers get the same instance (or
 * the same start-up error, at once). Mocha loads this file through .mocharc (`require`), so the root
 * `afterAll` hook below stops every shared engine once, after the last test file, newest first. A run that
 * dies without it still leaves no process: ./proc kills its daemons on exit.
 *
 * Harnesses that a test starts and stops itself (startRadosgw, startHiveMetastore, ...) are unaffected.
 */

export interface Stoppable {
  stop(): Promise<void>;
}

const engines = new Map<string, Promise<Stoppable>>();
/** Keys in start order, for stopping newest first. */
const order: string[] = [];

/** Starts the engine named `key` on first use and returns the same promise on every later call. */
export function shared<T extends Stoppable>(key: string, start: () => Promise<T>): Promise<T> {
  let p = engines.get(key);
  if (!p) {
    p = start();
    engines.set(key, p);
    order.push(key);
  }
  return p as Promise<T>;
}

/** Stops every shared engine, newest first; an engine whose start failed has nothing to stop. */
export async function stopShared(): Promise<void> {
  const errors: string[] = [];
  for (const key of order.splice(0).reverse()) {
    const p = engines.get(key);
    engines.delete(key);
    try {
      await (await p)?.stop();
    } catch (e) {
      errors.push(`${key}: ${(e as Error).message}`);
    }
  }
  if (errors.length > 0) throw new Error(`Stopping shared test engines failed: ${errors.join("; ")}`);
}

/** Mocha root hooks (this file is in .mocharc's `require`). */
export const mochaHooks = {
  async afterAll(this: { timeout(ms: number): void }): Promise<void> {
    this.timeout(120_000);
    await stopShared();
  },
};
