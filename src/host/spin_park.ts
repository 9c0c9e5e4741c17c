/**
 * Adaptive spin-then-park. Parking a thread in `Atomics.wait` and waking it
 * costs a few microseconds each way (NOTES.md: ~3.4 µs per round trip);
 * spinning on `Atomics.load` for a bounded count costs ~0.1–0.3 µs when the
 * answer comes fast, but burns a core when it does not. So each waiter
 * keeps a spin budget that grows while waits end inside it (calls are
 * coming fast) and shrinks when they do not (a blocking read, an idle task).
 */

/**
 * Loads every waiter spins at least (unless spinning is off): about 2 µs.
 * With a floor of 0 a budget that shrank there could never grow again (a
 * zero spin never sees the answer arrive), and every later call would pay a
 * park and a wake-up (NOTES.md: ~3.4 µs, far more on a busy machine).
 */
export const SPIN_FLOOR = 2000;

/** Milliseconds on a clock that every thread of the process shares (a task's CPU clock words use it). */
export function processClockMs(): number {
  return performance.timeOrigin + performance.now();
}

/** A spin budget that adapts to how quickly waits have ended lately. */
export class SpinBudget {
  /** Loads to spin before parking on the next wait. */
  current: number;

  constructor(
    readonly min = 0,
    readonly max = 20_000,
    initial = max,
  ) {
    this.current = initial;
  }

  /** The last wait ended while spinning: spin longer next time. */
  hit(): void {
    const n = this.current * 2;
    this.current = n > this.max ? this.max : n < 64 ? 64 : n;
  }

  /** The last wait had to park: spin less next time. */
  miss(): void {
    const n = this.current >> 2;
    this.current = n < this.min ? this.min : n;
  }
}

/**
 * Spin on `a[i]` for at most `n` loads; true as soon as it differs from
 * `v`, false if it still equals `v` after the budget.
 */
export function spinWhileEqual(a: Int32Array, i: number, v: number, n: number): boolean {
  for (let k = 0; k < n; k++) {
    if (Atomics.load(a, i) !== v) return true;
  }
  return Atomics.load(a, i) !== v;
}

/**
 * Block the calling thread until `a[i]` differs from `v`: spin first with
 * `budget`, then park in `Atomics.wait`, setting `a[parkedIndex]` to 1
 * while parked so the other side knows a notify is needed. Adapts the budget.
 * With `clock` (BASE, PARK: a task's CPU clock words, channel.ts), the time
 * parked is kept out of the task's CPU time: PARK holds when the park began
 * while it lasts, and BASE moves forward by its length after.
 */
export function spinThenPark(a: Int32Array, i: number, v: number, budget: SpinBudget, parkedIndex: number, clock?: Float64Array): void {
  if (spinWhileEqual(a, i, v, budget.current)) {
    budget.hit();
    return;
  }
  budget.miss();
  const t0 = clock ? processClockMs() : 0;
  if (clock) clock[1] = t0;
  Atomics.store(a, parkedIndex, 1);
  while (Atomics.load(a, i) === v) Atomics.wait(a, i, v);
  Atomics.store(a, parkedIndex, 0);
  if (clock) {
    clock[0] = clock[0]! + (processClockMs() - t0);
    clock[1] = 0;
  }
}

/** `Atomics.waitAsync`, present in Node ≥ 16 and Chromium, absent from TypeScript's ES2022 lib. */
export interface WaitAsyncResult {
  async: boolean;
  value: Promise<'ok' | 'timed-out'> | 'not-equal' | 'timed-out';
}

/** Call `Atomics.waitAsync(a, i, v, timeout)`. */
export function waitAsync(a: Int32Array, i: number, v: number, timeoutMs?: number): WaitAsyncResult {
  const wa = (Atomics as unknown as { waitAsync?: (a: Int32Array, i: number, v: number, t?: number) => WaitAsyncResult }).waitAsync;
  if (!wa) throw new Error('Atomics.waitAsync is not available: use Node >= 20 or a Chromium-based browser');
  return wa(a, i, v, timeoutMs);
}
