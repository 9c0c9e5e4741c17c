/**
 * The cgroup controller interface, after gVisor's `fsimpl/cgroupfs`
 * `controller` and Linux's `cgroup_subsys`: one file per controller
 * (memory.ts, pids.ts; cpu and io next), each registered once by name
 * (registry.ts). A `Cgroup` (cgroup.ts) makes one instance of every
 * registered controller; cgroupfs shows their control files; the platforms
 * report usage with `charge` and act on the `Verdict` it returns: the kernel
 * decides, the platform only carries the decision out.
 */
import { E } from '../errno.js';
import type { ExitStatus } from '../task/exit.js';

/**
 * What a controller decides after a charge or a check:
 * - `ok`: carry on;
 * - `kill`: end the cgroup's tasks with `status` (memory: the OOM killer;
 *   cpu: RLIMIT_CPU) — the platform kills init, the pid namespace does the rest;
 * - `park`: stop the charging task until `untilNs` on the kernel's monotonic
 *   clock (cpu.max throttling, io.max, memory.high) — no controller parks yet.
 */
export type Verdict =
  | { readonly kind: 'ok' }
  | { readonly kind: 'kill'; readonly status: ExitStatus }
  | { readonly kind: 'park'; readonly untilNs: bigint };

/** The verdict that asks nothing (shared: a charge on the fast path allocates nothing). */
export const OK: Verdict = Object.freeze({ kind: 'ok' });

/** One control file of a controller (`memory.max`), as cgroupfs shows it. */
export interface ControlFile {
  /** Full cgroup v2 name, prefixed by the controller's (`pids.current`). */
  readonly name: string;
  /** Its content, byte for byte as Linux prints it (a trailing newline included). */
  read(): string;
  /**
   * Set it from the text a writer gives (`max`, `33554432`): how limits are
   * configured, by the container's setup from OCI `linux.resources`
   * (`Cgroup` settings). Absent: the file is read-only. Bad text throws E.INVAL.
   */
  write?(text: string): void;
}

/** What a controller sees of the cgroup it belongs to. */
export interface CgroupContext {
  /** Pids of the cgroup's own live tasks (cgroup.procs). */
  procs(): readonly number[];
  /** How many live tasks the cgroup and its descendants hold (pids.current). */
  taskCount(): number;
  /** The same controller in the parent cgroup: charges go up the tree, an ancestor's limit binds. */
  readonly parent: Controller | null;
  /** Options of the whole cgroup (see CgroupPolicy). */
  readonly policy: CgroupPolicy;
}

/** Cgroup-wide choices a controller may follow. */
export interface CgroupPolicy {
  /**
   * When a file write past memory.max is stopped: at the write (`enospc`,
   * the inline platform) or by the OOM killer at the next check (`oom-kill`,
   * the sentry platform).
   */
  readonly fileLimit: 'enospc' | 'oom-kill';
}

/**
 * A resource controller of one cgroup. Only `name`, `files` and `stats` are
 * required; the hooks a controller leaves out cost nothing.
 *
 * Invariants:
 * - `charge` and `check` are called on the kernel's thread, never
 *   re-entrantly, and return `OK` without allocating when nothing is to be done;
 * - a controller never kills or parks a task itself: it returns a Verdict and
 *   counts the event (memory.events) when it returns it;
 * - `files()` and `stats()` are pure reads (peaks may be refreshed).
 */
export interface Controller {
  /** Its cgroup v2 name (`memory`), listed in cgroup.controllers. */
  readonly name: string;
  /** Its control files, in the order cgroupfs lists them. */
  files(): readonly ControlFile[];
  /**
   * Its figures as a flat record (`current`, `max`, `events.oom_kill`, …;
   * keys without the controller's prefix, `null` for no limit): what the
   * library's `stats()` and `events --stats` report.
   */
  stats(): Readonly<Record<string, number | null>>;
  /** May one more task join the cgroup? (pids.max; false refuses the fork: EAGAIN.) */
  canAttach?(): boolean;
  /** Task `pid` joined. */
  attach?(pid: number): void;
  /** Task `pid` is gone: whatever it held is uncharged. */
  detach?(pid: number): void;
  /**
   * Task `pid` used `amount` of the resource (memory: its linear memory is now
   * `amount` bytes; cpu: microseconds ran; io: bytes moved, `kind` naming the
   * counter such as `rbytes`). Returns what to do with the task.
   */
  charge?(pid: number, amount: number, kind?: string): Verdict;
  /** Re-check the limits after usage changed without a charge (files charged through an account). */
  check?(): Verdict;
  /** The cgroup left its parent (it is gone): give back to the ancestors what is still charged here. */
  remove?(): void;
}

/** How a controller is made: one per cgroup. */
export interface ControllerType {
  /** The controller's name, as its instances'. */
  readonly name: string;
  create(ctx: CgroupContext): Controller;
}

/** `max` for no limit, else the number, each followed by a newline (cgroup v2 limit files). */
export function formatLimit(v: number | null): string {
  return `${v === null ? 'max' : v}\n`;
}

/** Parse a limit file's text (`max` or a non-negative integer); anything else is E.INVAL. */
export function parseLimit(text: string): number | null {
  const t = text.trim();
  if (t === 'max') return null;
  if (!/^[0-9]{1,15}$/.test(t)) throw E.INVAL;
  return Number(t);
}
