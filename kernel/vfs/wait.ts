/**
 * Waiting without blocking the kernel. A file that cannot make progress
 * throws `WouldBlock` naming the queues that will be notified when it can;
 * the platform either waits for them synchronously (inline) or parks the
 * request and retries it on notification (sentry). Handlers are therefore
 * restartable: they must not change state before throwing WouldBlock.
 */

/** A set of waiters notified when some object (pipe, console, timer) changes state. */
export class WaitQueue {
  private readonly waiters = new Set<() => void>();
  /**
   * Synchronous pump for the inline platform: when set, a thread that must
   * wait on this queue calls it (e.g. a blocking read of the host's stdin
   * that feeds a pipe) instead of sleeping. Returns true if it made progress.
   */
  syncPump?: (timeoutNs: bigint | null) => boolean;

  /** Register `fn`; returns a function that unregisters it. */
  subscribe(fn: () => void): () => void {
    this.waiters.add(fn);
    return () => this.waiters.delete(fn);
  }

  /** Wake every current waiter (each is called once and should resubscribe if needed). */
  notify(): void {
    if (this.waiters.size === 0) return;
    for (const fn of [...this.waiters]) fn();
  }

  /** Number of waiters, for tests and invariants. */
  get size(): number {
    return this.waiters.size;
  }
}

/** Thrown by a restartable operation that must wait for one of `queues` or until `deadlineNs` (monotonic). */
export class WouldBlock {
  constructor(
    readonly queues: readonly WaitQueue[],
    readonly deadlineNs: bigint | null = null,
  ) {}
}
