/**
 * The memory controller: memory.max, memory.current, memory.peak,
 * memory.events, and the OOM decision. One account (`account`) is charged
 * with every in-memory file of the cgroup (uppers, /dev, tmpfs mounts take
 * it as their parent account) and, through `charge`, with each task's linear
 * memory. Over memory.max — its own or an ancestor's — `check` answers a
 * `kill` verdict for the whole cgroup; the platform carries it out.
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

/** One cgroup's memory controller. */
export class MemoryController implements Controller {
  readonly name = 'memory';
  /** The account every in-memory file and linear memory of the cgroup is charged to. */
  readonly account: SpaceAccount;
  /** memory.max in bytes (null: max). */
  private maxBytes: number | null = null;
  private peakBytes = 0;
  private readonly events: MemoryEvents = { low: 0, high: 0, max: 0, oom: 0, oom_kill: 0 };
  private readonly linear = new Map<number, number>();
  /** A kill was decided and usage has not come back under the limit since (one oom_kill per episode). */
  private killing = false;
  private readonly parent: MemoryController | null;

  constructor(private readonly ctx: CgroupContext) {
    this.parent = ctx.parent instanceof MemoryController ? ctx.parent : null;
    this.account = new SpaceAccount(Infinity, this.parent?.account ?? null);
  }

  /** memory.max (null: max). */
  get max(): number | null {
    return this.maxBytes;
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
    this.account.force(bytes - (this.linear.get(pid) ?? 0));
    this.linear.set(pid, bytes);
    const cur = this.current();
    if (this.maxBytes !== null && cur >= this.maxBytes - MAX_EVENT_SLACK) this.events.max++;
    return this.check();
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

  /** memory.events as a copy. */
  eventCounts(): MemoryEvents {
    return { ...this.events };
  }

  files(): readonly ControlFile[] {
    return [
      { name: 'memory.max', read: () => formatLimit(this.maxBytes), write: (t) => this.setMax(parseLimit(t)) },
      { name: 'memory.current', read: () => `${this.current()}\n` },
      { name: 'memory.peak', read: () => `${this.peak()}\n` },
      {
        name: 'memory.events',
        read: () => {
          const e = this.events;
          return `low ${e.low}\nhigh ${e.high}\nmax ${e.max}\noom ${e.oom}\noom_kill ${e.oom_kill}\n`;
        },
      },
    ];
  }

  stats(): Readonly<Record<string, number | null>> {
    const current = this.current();
    const e = this.events;
    return {
      current, peak: this.peakBytes, max: this.maxBytes,
      'events.low': e.low, 'events.high': e.high, 'events.max': e.max, 'events.oom': e.oom, 'events.oom_kill': e.oom_kill,
    };
  }
}

/** The memory controller's registration. */
export const memoryController: ControllerType = { name: 'memory', create: (ctx) => new MemoryController(ctx) };
