/**
 * A container's cgroup as both platforms use it: a kernel `Cgroup`
 * (kernel/cgroup) made from the container's spec, whose controllers do the
 * accounting and decide (the memory controller's OOM verdict, the pids
 * controller's refusal). This file only maps the spec onto control-file
 * settings and the controllers' flat figures onto the `CgroupStats` record
 * that `stats()` and `events --stats` carry. Isomorphic (no node:*).
 *
 * With `enospc` (the inline platform) a file write past memory.max fails
 * with ENOSPC; with `oom-kill` (the sentry platform) files are charged
 * without refusal and the next check kills. In both, a task whose linear
 * memory takes the container over memory.max is OOM-killed.
 */
import { Cgroup } from '../../kernel/cgroup/cgroup.js';
import type { Verdict } from '../../kernel/cgroup/controller.js';
import type { MemoryController } from '../../kernel/cgroup/memory.js';
import type { SpaceAccount } from '../../kernel/fs/tmpfs_data.js';
import type { CgroupStats, CpuSpec } from '../sentry/control_plane.js';
import type { CpuController } from '../../kernel/cgroup/cpu.js';

/** When a file write past `memory.max` is stopped: at the write (ENOSPC), or by the OOM killer afterwards. */
export type FileLimitPolicy = 'enospc' | 'oom-kill';

const setting = (v: number | null) => (v === null ? 'max' : String(v));

/** One container's cgroup. */
export class ContainerCgroup {
  /** The kernel cgroup: its controllers and control files (/sys/fs/cgroup). */
  readonly cgroup: Cgroup;
  private readonly mem: MemoryController;

  constructor(
    /** memory.max in bytes (null: max). */
    readonly memoryMax: number | null,
    /** pids.max (null: max). */
    readonly pidsMax: number | null,
    policy: FileLimitPolicy,
    /** Pids of the container's tasks that have not ended (pids.current, cgroup.procs). */
    livePids: () => number[],
    /** cpu.max and cpu.weight (absent: no limit, weight 100). */
    cpu?: CpuSpec,
    /** The parent cgroup (a tenant's or pod's): its limits bind the sum of its children. */
    parent?: Cgroup,
  ) {
    this.cgroup = new Cgroup({
      procs: livePids,
      parent,
      policy: { fileLimit: policy },
      settings: {
        'memory.max': setting(memoryMax), 'pids.max': setting(pidsMax),
        ...(cpu && { 'cpu.max': `${setting(cpu.quota)} ${cpu.period}`, 'cpu.weight': String(cpu.weight) }),
      },
    });
    this.mem = this.cgroup.controller<MemoryController>('memory')!;
  }

  /** The account every in-memory file and linear memory of the container is charged to. */
  get memory(): SpaceAccount {
    return this.mem.account;
  }

  /** Bytes charged: files plus linear memories. */
  memoryCurrent(): number {
    return this.mem.current();
  }

  /** Task `pid`'s linear memory is now `bytes`; the memory controller's verdict (`kill`: OOM). */
  chargeMemory(pid: number, bytes: number): Verdict {
    return this.cgroup.charge('memory', pid, bytes);
  }

  /** The controllers' verdict after usage changed without a charge (files written on the sentry platform). */
  check(): Verdict {
    return this.cgroup.check();
  }

  /** The cpu controller (cpu.max, cpu.weight, cpu.stat), which metered tasks charge. */
  get cpu(): CpuController {
    return this.cgroup.controller<CpuController>('cpu')!;
  }

  /** Linear memory bytes of task `pid`. */
  linearBytes(pid: number): number {
    return this.mem.linearBytes(pid);
  }

  /** The container is gone: it leaves its parent cgroup, which no longer counts what it held. Idempotent. */
  leave(): void {
    this.cgroup.remove();
  }

  /** Task `pid` is gone: its linear memory is no longer charged. */
  release(pid: number): void {
    this.cgroup.detach(pid);
  }

  /** True if another task may start (pids.current below pids.max). */
  canSpawn(): boolean {
    return this.cgroup.refusesAttach() === null;
  }

  /** cgroup v2 figures; `syscalls` is the platform's count. */
  stats(syscalls: number): CgroupStats {
    const s = this.cgroup.stats();
    const n = (k: string) => s[k] ?? 0;
    return {
      memoryCurrent: n('memory.current'), memoryPeak: n('memory.peak'), memoryMax: s['memory.max'] ?? null,
      memoryEvents: { low: n('memory.events.low'), high: n('memory.events.high'), max: n('memory.events.max'), oom: n('memory.events.oom'), oom_kill: n('memory.events.oom_kill') },
      pidsCurrent: n('pids.current'), pidsMax: s['pids.max'] ?? null, syscalls,
      ...('cpu.usage_usec' in s && {
        cpu: {
          usageUsec: n('cpu.usage_usec'), nrPeriods: n('cpu.nr_periods'), nrThrottled: n('cpu.nr_throttled'), throttledUsec: n('cpu.throttled_usec'),
          quota: s['cpu.max'] ?? null, period: n('cpu.period'), weight: n('cpu.weight'),
        },
      }),
    };
  }
}
