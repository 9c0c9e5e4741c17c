/**
 * A next-turn scheduler for a Sentry running in a Web Worker: callbacks run
 * on the next MessageChannel turn, in order, without the clamping that nested
 * `setTimeout(0)` suffers. Used by the runtime's and the playground's workers.
 */

/** A `defer` for SentryCore: `fn` runs on the next turn; one message per batch. */
export function messageChannelDefer(): (fn: () => void) => void {
  const mc = new MessageChannel();
  const q: (() => void)[] = [];
  mc.port1.onmessage = () => {
    const fns = q.splice(0);
    for (const fn of fns) fn();
  };
  return (fn) => {
    q.push(fn);
    if (q.length === 1) mc.port2.postMessage(0);
  };
}
