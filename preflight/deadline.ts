/**
 * A deadline for a promise that may never settle: `untilAborted(p, AbortSignal.timeout(ms), ...)` settles with
 * `p`, or rejects with `reason()` once the signal aborts, whichever comes first. The same signal can be handed
 * to the request itself (fetch, the Kubernetes client's middleware) so that the request is cancelled too; the
 * race still releases the caller when what hangs is not the request (an exec credential plugin, say).
 * AbortSignal.timeout's timer never keeps Node alive.
 */
export function untilAborted<T>(p: Promise<T>, signal: AbortSignal, reason: () => Error): Promise<T> {
  // Subscribed either way, so a late rejection of `p` after the deadline is never an unhandled rejection.
  if (signal.aborted) {
    p.catch(() => undefined);
    return Promise.reject(reason());
  }
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(reason());
    signal.addEventListener("abort", onAbort, { once: true });
    p.then(resolve, reject).finally(() => signal.removeEventListener("abort", onAbort));
  });
}
