/**
 * The memory controller: memory.max, memory.high, memory.current,
 * memory.peak, memory.events, memory.stat, and the OOM decision. One account (`account`) is charged
 * with every in-memory file of the cgroup (uppers, /dev, tmpfs mounts take
 * it as their parent account) and, through `charge`, with each task's linear
 * memory. Over memory.max — its own or an ancestor's — `check` answers a
 * `kill` verdict for the whole cgroup; the platform carries it out.
 *
 * memory.high throttles, as Linux's does by making an allocating task
 * reclaim: while the cgroup (or an ancestor) is over its memory.high, each
 * call that allocates file memory (a write that grows a file in the upper,
 * /tmp, a tmpfs) is parked once for a penalty that grows with the excess
 * (1 ms per MiB over, at most 100 ms) before it runs, and memory.events
 * `high` counts it. Linear memory cannot be slowed at `memory.grow` (an
 * instruction, not a call): its growth past memory.high is counted in
 * `high` and the task's next file allocation pays the penalty. Nothing is
 * refused at memory.high; memory.max still ends the cgroup.
 *
 * With the `enospc` file policy the account itself carries memory.max, so
 * a file write that does not fit beside the linear memories fails with
 * ENOSPC; with `oom-kill` files are charged without refusal and the next
 * check decides.
 */
import { Signal } from '../abi/wasi.js';
import { SpaceAccount } from '../fs/tmpfs_data.js';
import { type CgroupContext, type ControlFile, type Controller, type ControllerType, formatLimit, OK, parseLimit, type Verdict } from './controller.js';

/** The start of every OOM kill's exit reason. */
export const OOM_REASON = 'OOM-killed';

/** memory.events counters. */
export interface MemoryEvents {
  low: number;
  high: number;
  max: number;
  oom: number;
  oom_kill: number;
}

/** Headroom under memory.max within which a charge counts as a `max` event. */
const MAX_EVENT_SLACK = 65536;
/** memory.high penalty: per MiB over, and at most. */
const HIGH_PENALTY_NS_PER_MIB = 1_000_000n;
const HIGH_PENALTY_MAX_NS = 100_000_000n;

/** One cgroup's memory controller. */
export class MemoryController implements Controller {
  readonly name = 'memory';
  /** The account every in-memory file and linear memory of the cgroup is charged to. */
  readonly account: SpaceAccount;
  /** memory.max in bytes (null: max). */
  private maxBytes: number | null = null;
  /** memory.high in bytes (null: max). */
  private highBytes: number | null = null;
  /** The end of the penalty a throttled allocation is paying (null: none owed). */
  private payUntil: bigint | null = null;
  /** The kernel's monotonic clock (ns), which memory.high needs to park; without it memory.high only counts. */
  clock: (() => bigint) | null = null;
  private peakBytes = 0;
  private readonly events: MemoryEvents = { low: 0, high: 0, max: 0, oom: 0, oom_kill: 0 };
  private readonly linear = new Map<number, number>();
  /** A kill was decided and usage has not come back under the limit since (one oom_kill per episode). */
  private killing = false;
  private readonly parent: MemoryController | null;
  /** Child cgroups' controllers (memory.stat's anon sums them). */
  private readonly children = new Set<MemoryController>();

  constructor(private readonly ctx: CgroupContext) {
    this.parent = ctx.parent instanceof MemoryController ? ctx.parent : null;
    this.account = new SpaceAccount(Infinity, this.parent?.account ?? null);
    this.parent?.children.add(this);
  }

  /** memory.max (null: max). */
  get max(): number | null {
    return this.maxBytes;
  }

  /** memory.high (null: max). */
  get high(): number | null {
    return this.highBytes;
  }

  /** Set memory.high: file allocations above it are parked (see above). */
  setHigh(v: number | null): void {
    this.highBytes = v;
    this.payUntil = null;
    this.account.gate = v === null ? null : () => this.throttleUntil();
  }

  /** The excess over the lowest memory.high exceeded going up from this cgroup, in bytes (0: none). */
  private overHigh(): number {
    let over = 0;
    for (let m: MemoryController | null = this; m !== null; m = m.parent) {
      if (m.highBytes !== null) over = Math.max(over, m.current() - m.highBytes);
    }
    return over;
  }

  /**
   * The account's gate: null to go on, or the monotonic ns until which the
   * allocating call must wait. Restartable: a call parked until T goes
   * through when retried at or after T (its penalty is paid), and the next
   * allocation above memory.high pays again.
   */
  throttleUntil(): bigint | null {
    const clock = this.clock ?? this.parent?.clock ?? null;
    const over = this.overHigh();
    if (over <= 0 || clock === null) {
      this.payUntil = null;
      return null;
    }
    const now = clock();
    if (this.payUntil !== null) {
      if (now >= this.payUntil) {
        this.payUntil = null;
        return null;
      }
      return this.payUntil;
    }
    const mib = BigInt(Math.ceil(over / (1 << 20)));
    const penalty = mib * HIGH_PENALTY_NS_PER_MIB;
    this.payUntil = now + (penalty < HIGH_PENALTY_MAX_NS ? penalty : HIGH_PENALTY_MAX_NS);
    this.events.high++;
    return this.payUntil;
  }

  /** Set memory.max; with the `enospc` policy file writes past it fail. */
  setMax(v: number | null): void {
    this.maxBytes = v;
    this.account.limit = this.ctx.policy.fileLimit === 'enospc' && v !== null ? v : Infinity;
  }

  /** Bytes charged: files plus linear memories (refreshes the peak). */
  current(): number {
    const cur = this.account.used;
    if (cur > this.peakBytes) this.peakBytes = cur;
    return cur;
  }

  /** The highest memory.current seen. */
  peak(): number {
    return Math.max(this.peakBytes, this.current());
  }

  /** Linear memory bytes of task `pid`. */
  linearBytes(pid: number): number {
    return this.linear.get(pid) ?? 0;
  }

  /** Task `pid`'s linear memory is now `bytes`: charge the difference, then decide. */
  charge(pid: number, bytes: number): Verdict {
    const grew = bytes > (this.linear.get(pid) ?? 0);
    this.account.force(bytes - (this.linear.get(pid) ?? 0));
    this.linear.set(pid, bytes);
    const cur = this.current();
    if (this.maxBytes !== null && cur >= this.maxBytes - MAX_EVENT_SLACK) this.events.max++;
    if (grew && this.highBytes !== null && cur > this.highBytes) this.events.high++;
    return this.check();
  }

  /** The cgroup is gone: its ancestors no longer count what it held (files, linear memories), nor its anon in memory.stat. */
  remove(): void {
    const held = this.account.used;
    for (let a = this.account.parent; a !== null; a = a.parent) a.used -= held;
    // cut from the chain: a late uncharge (a task reaped after) must not be given back twice
    this.account.parent = null;
    this.parent?.children.delete(this);
  }

  /** Task `pid` is gone: its linear memory is no longer charged. */
  detach(pid: number): void {
    this.account.force(-(this.linear.get(pid) ?? 0));
    this.linear.delete(pid);
  }

  /** The OOM decision: over this cgroup's memory.max or an ancestor's, the cgroup is killed. */
  check(): Verdict {
    const limit = this.exceededLimit();
    if (limit === null) {
      this.killing = false;
      return OK;
    }
    if (!this.killing) {
      this.killing = true;
      this.events.oom++;
      this.events.oom_kill++;
    }
    return { kind: 'kill', status: { code: 0, signal: Signal.KILL, reason: `${OOM_REASON}: memory.max (${limit} bytes) exceeded` } };
  }

  /** The first memory.max exceeded going up from this cgroup, or null. */
  private exceededLimit(): number | null {
    for (let m: MemoryController | null = this; m !== null; m = m.parent) {
      if (m.maxBytes !== null && m.current() > m.maxBytes) return m.maxBytes;
    }
    return null;
  }

  /** Bytes of linear memory (anon) and of in-memory files (file), this cgroup and its descendants. */
  breakdown(): { anon: number; file: number } {
    let anon = 0;
    for (const b of this.linear.values()) anon += b;
    for (const c of this.children) anon += c.breakdown().anon;
    return { anon, file: Math.max(0, this.current() - anon) };
  }

  /** memory.events as a copy. */
  eventCounts(): MemoryEvents {
    return { ...this.events };
  }

  files(): readonly ControlFile[] {
    return [
      { name: 'memory.max', read: () => formatLimit(this.maxBytes), write: (t) => this.setMax(parseLimit(t)) },
      { name: 'memory.high', read: () => formatLimit(this.highBytes), write: (t) => this.setHigh(parseLimit(t)) },
      { name: 'memory.current', read: () => `${this.current()}\n` },
      { name: 'memory.peak', read: () => `${this.peak()}\n` },
      {
        name: 'memory.events',
        read: () => {
          const e = this.events;
          return `low ${e.low}\nhigh ${e.high}\nmax ${e.max}\noom ${e.oom}\noom_kill ${e.oom_kill}\n`;
        },
      },
      {
        // cgroup v2's memory.stat, the keys that mean something here: anon (linear memories), file and shmem (in-memory files: tmpfs is shmem)
        name: 'memory.stat',
        read: () => {
          const { anon, file } = this.breakdown();
          return `anon ${anon}\nfile ${file}\nkernel 0\nshmem ${file}\n`;
        },
      },
    ];
  }

  stats(): Readonly<Record<string, number | null>> {
    const current = this.current();
    const e = this.events;
    const { anon, file } = this.breakdown();
    return {
      current, peak: this.peakBytes, max: this.maxBytes, high: this.highBytes, 'stat.anon': anon, 'stat.file': file,
      'events.low': e.low, 'events.high': e.high, 'events.max': e.max, 'events.oom': e.oom, 'events.oom_kill': e.oom_kill,
    };
  }
}

/** The memory controller's registration. */
export const memoryController: ControllerType = { name: 'memory', create: (ctx) => new MemoryController(ctx) };
