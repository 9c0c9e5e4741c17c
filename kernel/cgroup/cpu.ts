/**
 * The cpu controller: cpu.max (quota and period), cpu.weight and cpu.stat,
 * fed by fuel metering (kernel/meter): a metered task calls out when its
 * quantum is spent and the platform `account`s what it ran here. Usage is
 * counted in instructions (the meter's static upper bound) and shown in
 * microseconds at FUEL_PER_USEC: exact and the same on every machine, a
 * CPU-time estimate rather than a clock reading.
 *
 * Invariants: usage only grows; a throttled period is counted once
 * (nr_throttled) however many calls out it parks; a parent's cpu.max binds
 * its children (their usage is its usage).
 */
import { E } from '../errno.js';
import { type CgroupContext, type ControlFile, type Controller, type ControllerType, OK, type Verdict } from './controller.js';

/**
 * Fuel (metered instructions) counted as one microsecond of CPU, calibrated by RLIMIT_CPU on this machine
 * (2 cores, Node 20) with the meter of 7f077ab/314e194: at 2500, `--ulimit cpu=2` ended wasm/spin.c after
 * 0.85 s of user time and `cpu=1` ended bench_coremark.c after 0.42 s (both about 2.4× early); at 5500,
 * after about 1.8–2.1 s and 0.7–0.8 s. A tight loop runs more instructions per ns than a mixed workload.
 */
export const FUEL_PER_USEC = 5500;
/** Longest quantum a task runs between two calls out, in microseconds (bounds pause and kill latency). */
export const SLICE_USEC = 2000;
/** Default cpu.max period (Linux's). */
export const DEFAULT_PERIOD_USEC = 100_000;
/** Default cpu.weight (Linux's). */
export const DEFAULT_WEIGHT = 100;

/** One cgroup's cpu controller. */
export class CpuController implements Controller {
  readonly name = 'cpu';
  /** cpu.max quota in µs per period (null: max). */
  quotaUsec: number | null = null;
  periodUsec = DEFAULT_PERIOD_USEC;
  weight = DEFAULT_WEIGHT;
  /** Total usage in fuel (cpu.stat usage_usec × FUEL_PER_USEC). */
  usageFuel = 0;
  nrPeriods = 0;
  nrThrottled = 0;
  throttledUsec = 0;
  private periodStartNs: bigint | null = null;
  private periodFuel = 0;
  private throttledPeriod = -1;
  private readonly perTask = new Map<number, number>();
  private readonly parent: CpuController | null;

  constructor(ctx: CgroupContext) {
    this.parent = ctx.parent instanceof CpuController ? ctx.parent : null;
  }

  /** usage_usec. */
  get usageUsec(): number {
    return Math.floor(this.usageFuel / FUEL_PER_USEC);
  }

  /** Fuel task `pid` ran in total (RLIMIT_CPU is checked against it). */
  taskFuel(pid: number): number {
    return this.perTask.get(pid) ?? 0;
  }

  /** Added to the weighted run time when the cgroup comes back from idle (cpu_share.ts). */
  vOffset = 0;

  /** Weighted virtual run time (usage / weight), what cpu.weight shares by (cpu_share.ts). */
  get vruntime(): number {
    return (this.usageFuel * DEFAULT_WEIGHT) / this.weight + this.vOffset;
  }

  /** A limit of this cgroup or an ancestor. */
  get limited(): boolean {
    for (let c: CpuController | null = this; c !== null; c = c.parent) if (c.quotaUsec !== null) return true;
    return false;
  }

  /** Move the period on to the one holding `nowNs`. */
  private roll(nowNs: bigint): void {
    if (this.periodStartNs === null) {
      this.periodStartNs = nowNs;
      return;
    }
    const per = BigInt(this.periodUsec) * 1000n;
    if (nowNs - this.periodStartNs < per) return;
    const n = (nowNs - this.periodStartNs) / per;
    this.periodStartNs += n * per;
    this.periodFuel = 0;
    if (this.quotaUsec !== null) this.nrPeriods += Number(n);
  }

  /**
   * Task `pid` ran `fuel` since its last call out, at `nowNs` (monotonic).
   * Charges this cgroup and its ancestors; `park` until the next period when
   * a cpu.max quota is spent (counted in nr_throttled, throttled_usec).
   */
  account(pid: number, fuel: number, nowNs: bigint): Verdict {
    if (fuel > 0) this.perTask.set(pid, (this.perTask.get(pid) ?? 0) + fuel);
    let verdict: Verdict = OK;
    for (let c: CpuController | null = this; c !== null; c = c.parent) {
      const v = c.charge1(fuel, nowNs);
      if (v.kind === 'park' && (verdict.kind !== 'park' || v.untilNs > verdict.untilNs)) verdict = v;
    }
    return verdict;
  }

  private charge1(fuel: number, nowNs: bigint): Verdict {
    this.roll(nowNs);
    if (fuel > 0) {
      this.usageFuel += fuel;
      this.periodFuel += fuel;
    }
    if (this.quotaUsec === null || this.periodFuel < this.quotaUsec * FUEL_PER_USEC) return OK;
    const untilNs = this.periodStartNs! + BigInt(this.periodUsec) * 1000n;
    if (this.throttledPeriod !== this.nrPeriods) {
      this.throttledPeriod = this.nrPeriods;
      this.nrThrottled++;
      this.throttledUsec += Number((untilNs - nowNs) / 1000n);
    }
    return { kind: 'park', untilNs };
  }

  /** The fuel a task may run before its next call out: a slice, cut to what is left of every quota in force. */
  quantum(nowNs: bigint): number {
    let q = SLICE_USEC * FUEL_PER_USEC;
    for (let c: CpuController | null = this; c !== null; c = c.parent) {
      if (c.quotaUsec === null) continue;
      c.roll(nowNs);
      q = Math.min(q, Math.max(1, c.quotaUsec * FUEL_PER_USEC - c.periodFuel));
    }
    return q;
  }

  detach(pid: number): void {
    this.perTask.delete(pid);
  }

  files(): readonly ControlFile[] {
    return [
      {
        name: 'cpu.max',
        read: () => `${this.quotaUsec === null ? 'max' : this.quotaUsec} ${this.periodUsec}\n`,
        write: (t) => {
          const m = /^\s*(max|[0-9]{1,12})(?:\s+([0-9]{1,12}))?\s*$/.exec(t);
          if (!m) throw E.INVAL;
          const quota = m[1] === 'max' ? null : Number(m[1]);
          const period = m[2] === undefined ? this.periodUsec : Number(m[2]);
          // Linux: period 1 ms .. 1 s, quota at least 1 ms
          if (period < 1000 || period > 1_000_000 || (quota !== null && quota < 1000)) throw E.INVAL;
          this.quotaUsec = quota;
          this.periodUsec = period;
        },
      },
      {
        name: 'cpu.weight',
        read: () => `${this.weight}\n`,
        write: (t) => {
          const s = t.trim();
          if (!/^[0-9]{1,5}$/.test(s) || Number(s) < 1 || Number(s) > 10000) throw E.INVAL;
          this.weight = Number(s);
        },
      },
      {
        name: 'cpu.stat',
        read: () => {
          const u = this.usageUsec;
          return `usage_usec ${u}\nuser_usec ${u}\nsystem_usec 0\nnr_periods ${this.nrPeriods}\nnr_throttled ${this.nrThrottled}\nthrottled_usec ${this.throttledUsec}\nnr_bursts 0\nburst_usec 0\n`;
        },
      },
    ];
  }

  stats(): Readonly<Record<string, number | null>> {
    return {
      usage_usec: this.usageUsec,
      nr_periods: this.nrPeriods,
      nr_throttled: this.nrThrottled,
      throttled_usec: this.throttledUsec,
      max: this.quotaUsec,
      period: this.periodUsec,
      weight: this.weight,
    };
  }
}

/** The cpu controller's registration. */
export const cpuController: ControllerType = { name: 'cpu', create: (ctx) => new CpuController(ctx) };
