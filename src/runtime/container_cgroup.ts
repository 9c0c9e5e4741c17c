/**
 * A container's cgroup as both platforms account it: one memory account
 * (`memory`) charged with every in-memory file of the container (the
 * root's upper, /dev, tmpfs mounts) and with each task's linear memory,
 * `pids.max`, the peak and `memory.events`. `/sys/fs/cgroup` reads it
 * (`source()`), and so do `stats` and the OOM killers.
 *
 * What differs is only when the limit bites for files: with `enospc`
 * (the inline platform) the account carries `memory.max`, so a file write
 * that does not fit beside the linear memories fails with ENOSPC; with
 * `oom-kill` (the sentry platform) files are charged without refusal and
 * the Sentry's OOM killer ends the container at its next check. In both,
 * a task whose linear memory takes the container over `memory.max` is
 * OOM-killed. Isomorphic (no node:*).
 */
import type { CgroupSource } from '../../kernel/cgroup/cgroupfs.js';
import { SpaceAccount } from '../../kernel/fs/tmpfs_data.js';
import type { CgroupStats } from '../sentry/control_plane.js';

/** When a file write past `memory.max` is stopped: at the write (ENOSPC), or by the OOM killer afterwards. */
export type FileLimitPolicy = 'enospc' | 'oom-kill';

/** memory.events counters. */
export interface MemoryEvents {
  low: number;
  high: number;
  max: number;
  oom: number;
  oom_kill: number;
}

/** Memory and pids accounting of one container. */
export class ContainerCgroup {
  /** The account every in-memory file and linear memory of the container is charged to. */
  readonly memory: SpaceAccount;
  private peak = 0;
  private readonly events: MemoryEvents = { low: 0, high: 0, max: 0, oom: 0, oom_kill: 0 };
  private readonly linear = new Map<number, number>();

  constructor(
    /** memory.max in bytes (null: max). */
    readonly memoryMax: number | null,
    /** pids.max (null: max). */
    readonly pidsMax: number | null,
    policy: FileLimitPolicy,
    /** Pids of the container's tasks that have not ended (pids.current, cgroup.procs). */
    private readonly livePids: () => number[],
  ) {
    this.memory = new SpaceAccount(policy === 'enospc' && memoryMax !== null ? memoryMax : Infinity);
  }

  /** Bytes charged: files plus linear memories. */
  memoryCurrent(): number {
    const cur = this.memory.used;
    if (cur > this.peak) this.peak = cur;
    return cur;
  }

  /** Task `pid`'s linear memory is now `bytes` (reported when it grows). */
  chargeMemory(pid: number, bytes: number): void {
    this.memory.force(bytes - (this.linear.get(pid) ?? 0));
    this.linear.set(pid, bytes);
    const cur = this.memoryCurrent();
    if (this.memoryMax !== null && cur >= this.memoryMax - 65536) this.events.max++;
  }

  /** Linear memory bytes of task `pid`. */
  linearBytes(pid: number): number {
    return this.linear.get(pid) ?? 0;
  }

  /** Task `pid` is gone: its linear memory is no longer charged. */
  release(pid: number): void {
    this.memory.force(-(this.linear.get(pid) ?? 0));
    this.linear.delete(pid);
  }

  /** True if memory.current exceeds memory.max (the OOM killers' test). */
  overLimit(): boolean {
    return this.memoryMax !== null && this.memoryCurrent() > this.memoryMax;
  }

  /** Count an OOM kill in memory.events. */
  noteOomKill(): void {
    this.events.oom++;
    this.events.oom_kill++;
  }

  /** True if another task may start (pids.current below pids.max). */
  canSpawn(): boolean {
    return this.pidsMax === null || this.livePids().length < this.pidsMax;
  }

  /** What `/sys/fs/cgroup` shows. */
  source(): CgroupSource {
    return {
      memoryMax: () => this.memoryMax,
      memoryCurrent: () => this.memoryCurrent(),
      memoryPeak: () => Math.max(this.peak, this.memoryCurrent()),
      memoryEvents: () => ({ ...this.events }),
      pidsMax: () => this.pidsMax,
      pidsCurrent: () => this.livePids().length,
      pids: () => this.livePids(),
    };
  }

  /** cgroup v2 figures; `syscalls` is the platform's count. */
  stats(syscalls: number): CgroupStats {
    const cur = this.memoryCurrent();
    return {
      memoryCurrent: cur, memoryPeak: this.peak, memoryMax: this.memoryMax, memoryEvents: { ...this.events },
      pidsCurrent: this.livePids().length, pidsMax: this.pidsMax, syscalls,
    };
  }
}
