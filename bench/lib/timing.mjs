/**
 * bench/lib/timing: host-side clocks and timers for benchmarks, in
 * nanoseconds as plain numbers (exact below 2^53 ns ≈ 104 days).
 */

/** Monotonic time in nanoseconds. */
export function nowNs() {
  return Number(process.hrtime.bigint());
}

/** Run `fn` once; `{ ns, value }` with its wall time. */
export function timeSync(fn) {
  const t0 = process.hrtime.bigint();
  const value = fn();
  return { ns: Number(process.hrtime.bigint() - t0), value };
}

/** Await `fn()` once; `{ ns, value }` with its wall time. */
export async function timeAsync(fn) {
  const t0 = process.hrtime.bigint();
  const value = await fn();
  return { ns: Number(process.hrtime.bigint() - t0), value };
}

/**
 * Measure `fn` `runs` times after `warmup` untimed calls; the list of wall
 * times in ns (summarize it with stats.summarize).
 */
export function repeatSync(fn, { runs = 5, warmup = 1 } = {}) {
  for (let i = 0; i < warmup; i++) fn();
  const out = [];
  for (let i = 0; i < runs; i++) out.push(timeSync(fn).ns);
  return out;
}

/**
 * The order in which to run `cells` for `runs` rounds, interleaved: every
 * round visits every cell once, and the order rotates each round so no cell
 * always runs first (or right after the same neighbour). Returns
 * `[{ round, cell }]`.
 */
export function interleave(cells, runs) {
  const plan = [];
  for (let round = 0; round < runs; round++) {
    for (const cell of rotate(cells, round)) plan.push({ round, cell });
  }
  return plan;
}

/** `list` rotated left by `k` (mod its length): rotate([a,b,c], 1) → [b,c,a]. */
export function rotate(list, k) {
  if (list.length === 0) return [];
  const n = ((k % list.length) + list.length) % list.length;
  return [...list.slice(n), ...list.slice(0, n)];
}
