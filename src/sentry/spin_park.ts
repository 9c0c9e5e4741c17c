/**
 * Adaptive spin-then-park. Parking a thread in `Atomics.wait` and waking it
 * costs a few microseconds each way (NOTES.md: ~3.4 µs per round trip;
 * 27–31 µs on the KVM machines of bench/README); spinning on `Atomics.load`
 * for a bounded count costs ~0.1–0.3 µs when the answer comes fast, but
 * burns a core when it does not. So each waiter keeps a spin budget that
 * grows while waits end inside it (calls are coming fast) and shrinks when
 * they do not (a blocking read, an idle task).
 *
 * Two ways to spin. A waiter first loads the shared word back to back, as a
 * bare ping-pong does. Once it has waited `WARM_WAITS` times (a hot loop of
 * calls), it pauses between loads (`relax`): a channel message is several
 * words on one cache line, and a waiter that loads that line without pause
 * takes it away from the writer between its stores. Measured (bench/sandbox
 * [1]): the pause brings the channel round trip from about 0.55 to 0.39 µs.
 * Not from the start: in a new worker `relax` runs in V8's interpreter, where
 * one pause takes 1–5 µs instead of 0.15, and pausing from the first wait
 * made a hello container's start-to-exit about twice as long (bench [3]).
 */

import { Clock } from '../../kernel/platform/sentry_protocol.js';

/** Longest spin before parking, in loads of a back-to-back spin: about 140 µs. */
export const SPIN_MAX = 20_000;

/**
 * Loads every waiter spins at least (unless spinning is off): about 14 µs.
 * With a floor of 0 a budget that shrank there could never grow again (a
 * zero spin never sees the answer arrive), and every later call would pay a
 * park and a wake-up.
 */
export const SPIN_FLOOR = 2000;

/** Waits after which a waiter pauses between loads (V8 has optimised its spin by then). */
export const WARM_WAITS = 20_000;

/** Loads of a back-to-back spin that one paused round (a load and a `relax`) lasts as long as. */
export const LOADS_PER_ROUND = 20;

/** Rounds of a spin with a budget of `n` loads: fewer when each round pauses. */
export function spinRounds(n: number, relaxed: boolean): number {
  return relaxed ? Math.ceil(n / LOADS_PER_ROUND) : n;
}

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
 * of multiplications that touches no shared memory (about 0.15 µs once
 * optimised).
 */
export function relax(): void {
  let x = relaxSink;
  for (let j = 0; j < RELAX_STEPS; j++) x = (x * 31 + j) | 0;
  relaxSink = x;
}

/** A spin budget that adapts to how quickly waits have ended lately. */
export class SpinBudget {
  /** Loads to spin before parking on the next wait. */
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
 * Spin on `a[i]` with a budget of `n` loads (paused rounds when `relaxed`);
 * true as soon as it differs from `v`, false if it still equals `v` after
 * the budget.
 */
export function spinWhileEqual(a: Int32Array, i: number, v: number, n: number, relaxed = false): boolean {
  const rounds = spinRounds(n, relaxed);
  for (let k = 0; k < rounds; k++) {
    if (Atomics.load(a, i) !== v) return true;
    if (relaxed) relax();
  }
  return Atomics.load(a, i) !== v;
}

/**
 * Block the calling thread until `a[i]` differs from `v`: spin first with
 * `budget`, then park in `Atomics.wait`, setting `a[parkedIndex]` to 1
 * while parked so the other side knows a notify is needed. Adapts the budget.
 * `relaxed`: pause between loads (see the top). With `clock` (BASE, PARK: a task's CPU clock words, sentry_protocol.ts), the time
 * parked is kept out of the task's CPU time: PARK holds when the park began
 * while it lasts, and BASE moves forward by its length after.
 */
export function spinThenPark(a: Int32Array, i: number, v: number, budget: SpinBudget, parkedIndex: number, clock?: Float64Array, relaxed = false): void {
  if (spinWhileEqual(a, i, v, budget.current, relaxed)) {
    budget.hit();
    return;
  }
  budget.miss();
  const t0 = clock ? processClockMs() : 0;
  if (clock) clock[Clock.PARK] = t0;
  Atomics.store(a, parkedIndex, 1);
  while (Atomics.load(a, i) === v) Atomics.wait(a, i, v);
  Atomics.store(a, parkedIndex, 0);
  if (clock) {
    clock[Clock.BASE] = clock[Clock.BASE]! + (processClockMs() - t0);
    clock[Clock.PARK] = 0;
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
