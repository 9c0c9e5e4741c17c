/**
 * cpu.weight across the containers of one Sentry: a task that calls out of
 * fuel (kernel/meter) may run its next quantum unless its cgroup's weighted
 * run time (`vruntime`, usage / weight) is ahead of the least active one
 * by more than LAG and more cgroups want the CPU than there are cores.
 * Held back, it waits (parked by the platform) until the others catch up:
 * over time each busy cgroup gets CPU in proportion to its weight, as CFS
 * gives it; with no more busy cgroups than cores nobody waits.
 *
 * A cgroup that comes back after an idle time starts at the least vruntime
 * (as CFS places a waking task), so it neither starves the others nor
 * waits behind them.
 */
import type { CpuController } from './cpu.js';
import { FUEL_PER_USEC, SLICE_USEC } from './cpu.js';

/** How far ahead (in weighted fuel) a cgroup may run before it waits: two slices. */
export const LAG_FUEL = 2 * SLICE_USEC * FUEL_PER_USEC;
/** A cgroup that has not called out for this long is idle (ns). */
const IDLE_NS = 50_000_000n;

/** The weight scheduler of one Sentry. */
export class CpuShare {
  private readonly active = new Map<CpuController, bigint>();

  constructor(private readonly cores: number) {}

  /** True if `c` may run now; false: wait and ask again (after `waitNs`). */
  admit(c: CpuController, nowNs: bigint): boolean {
    let min = Infinity;
    let busy = 0;
    for (const [o, seen] of this.active) {
      if (nowNs - seen > IDLE_NS) {
        this.active.delete(o);
        continue;
      }
      busy++;
      if (o.vruntime < min) min = o.vruntime;
    }
    if (!this.active.has(c)) {
      busy++;
      // as CFS places a waking task: no credit for the idle time
      if (min !== Infinity && c.vruntime < min) c.vOffset += min - c.vruntime;
    }
    this.active.set(c, nowNs);
    if (busy <= this.cores || min === Infinity) return true;
    return c.vruntime <= min + LAG_FUEL;
  }

  /** `c`'s cgroup is gone. */
  forget(c: CpuController): void {
    this.active.delete(c);
  }

  /** How long a held-back task waits before asking again (ns): a slice. */
  static readonly waitNs = BigInt(SLICE_USEC) * 1000n;
}
