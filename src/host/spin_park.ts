/**
 * Adaptive spin-then-park. Parking a thread in `Atomics.wait` and waking it
 * costs a few microseconds each way (NOTES.md: ~3.4 µs per round trip);
 * spinning on `Atomics.load` for a bounded count costs ~0.1–0.3 µs when the
 * answer comes fast, but burns a core when it does not. So each waiter
 * keeps a spin budget that grows while waits end inside it (calls are
 * coming fast) and shrinks when they do not (a blocking read, an idle task).
 *
 * A spin is counted in rounds: one load of the shared word, then a short
 * pause (`relax`, about 0.15 µs on the machines of NOTES.md). Loading back
 * to back, as a bare ping-pong does, is fine when the other side writes one
 * word; a channel message is several words on the same cache line, and a
 * waiter that loads that line without pause takes it away from the writer
 * between its stores. Measured (bench/sandbox [1]): the pause brings the
 * channel round trip from about 0.55 to 0.39 µs.
 */

/** Longest spin before parking, in rounds: about 150 µs. */
export const SPIN_MAX = 1000;

/**
 * Rounds every waiter spins at least (unless spinning is off): about 15 µs,
 * as the 2,000 bare loads of the spin before rounds had pauses. With a floor
 * of 0 a budget that shrank there could never grow again (a zero spin never
 * sees the answer arrive), and every later call would pay a park and a
 * wake-up (NOTES.md: ~3.4 µs; 27–31 µs on the KVM machines of bench/README).
 */
export const SPIN_FLOOR = 96;

/** Milliseconds on a clock that every thread of the process shares (a task's CPU clock words use it). */
export function processClockMs(): number {
  return performance.timeOrigin + performance.now();
}

/** Steps of arithmetic in one `relax`; their result is kept so the compiler cannot drop them. */
const RELAX_STEPS = 32;
let relaxSink = 0;

/**
 * Pause a spinning thread briefly between two loads of a shared word, as
 * x86's PAUSE does for native spin loops (JS has none): a dependent chain
 * of multiplications that touches no shared memory.
 */
export function relax(): void {
  let x = relaxSink;
  for (let j = 0; j < RELAX_STEPS; j++) x = (x * 31 + j) | 0;
  relaxSink = x;
}

/** A spin budget that adapts to how quickly waits have ended lately. */
export class SpinBudget {
  /** Rounds to spin before parking on the next wait. */
  current: number;

  constructor(
    readonly min = 0,
    readonly max = SPIN_MAX,
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
 * Spin on `a[i]` for at most `n` rounds; true as soon as it differs from
 * `v`, false if it still equals `v` after the budget.
 */
export function spinWhileEqual(a: Int32Array, i: number, v: number, n: number): boolean {
  for (let k = 0; k < n; k++) {
    if (Atomics.load(a, i) !== v) return true;
    relax();
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
