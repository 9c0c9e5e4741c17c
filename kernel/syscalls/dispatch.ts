/**
 * Dispatch of one decoded call: filter hook (kernel/seccomp) → handler →
 * errno. Handlers throw `E.*` SysErrors; a `WouldBlock` is handed back to
 * the platform, which waits and calls again; a `TaskExit` passes through
 * (the platform ends the task). Anything else is a kernel bug: it is logged
 * through the host and the call fails with EIO; the sandbox never crashes.
 */
import { E, Errno, SysError } from '../errno.js';
import type { Host } from '../host.js';
import { TaskExit } from '../task/exit.js';
import type { Task } from '../task/task.js';
import { WouldBlock } from '../vfs/wait.js';
import type { FaultHook } from './faults.js';
import type { SyscallEntry } from './table.js';

/** What a filter decides: allow (undefined), deny with an errno, or kill the task with a WASI signal. */
export type FilterVerdict = undefined | { deny: SysError } | { kill: number };

/** A syscall filter (seccomp-like). Sees the call before its handler. */
export type SyscallFilter = (task: Task, entry: SyscallEntry, args: unknown) => FilterVerdict;

/**
 * The one mapping of a thrown error to a WASI errno, for the dispatcher and
 * every path that runs kernel or ABI code outside it (the generic imports'
 * decode and encode, the inline and sentry fast paths): a SysError is its
 * errno; a TaskExit passes through (rethrown); anything else is a bug,
 * logged through the host as `what`, and EIO. A WouldBlock is the
 * caller's to handle first (the dispatcher parks, a fast path falls back).
 */
export function errnoOf(err: unknown, host: Pick<Host, 'logBug'>, what: string): number {
  if (err instanceof SysError) return err.errno;
  if (err instanceof TaskExit) throw err;
  host.logBug(what, err);
  return E.IO.errno;
}

/** Outcome of one attempt: errno and value, or blocked. Reused per dispatcher to avoid allocation. */
export interface CallOutcome {
  errno: number;
  value: unknown;
  block: WouldBlock | null;
}

/** Runs handlers for one kernel. */
export class Dispatcher {
  /** Installed filter, if any. */
  filter: SyscallFilter | null = null;
  /** Fault injection (faults.ts), after the filter and before the handler; null: none, no cost. */
  faults: FaultHook | null = null;
  /**
   * The calls the filter sees, by table number (1: sees it); null: every
   * call. A seccomp profile marks only the calls it may refuse, so that an
   * allowed call costs one array load and the fast paths stay fast.
   */
  filterCalls: Uint8Array | null = null;

  /** Install `filter` for the calls marked in `calls` (all when null); `setFilter(null)` removes it. */
  setFilter(filter: SyscallFilter | null, calls: Uint8Array | null = null): void {
    this.filter = filter;
    this.filterCalls = filter === null ? null : calls;
  }

  /** True if the filter must see call number `nr` (the fast paths take the generic path then). */
  sees(nr: number): boolean {
    return this.filter !== null && (this.filterCalls === null || this.filterCalls[nr] === 1);
  }

  /**
   * Try `entry` once with `args` for `task`. Fills and returns `out`:
   * errno 0 with `value`, an errno, or `block` set (call again later with
   * the same `args` object). Throws only `TaskExit`.
   */
  attempt(task: Task, entry: SyscallEntry, args: unknown, out: CallOutcome): CallOutcome {
    out.block = null;
    out.value = undefined;
    try {
      // The filter runs inside the try: a bug in a filter is a kernel bug like any other (EIO).
      if (this.filter !== null && (this.filterCalls === null || this.filterCalls[entry.nr] === 1)) {
        const v = this.filter(task, entry, args);
        if (v !== undefined) {
          if ('kill' in v) throw new TaskExit({ code: 0, signal: v.kill, reason: `killed by syscall filter on ${entry.name}` });
          out.errno = v.deny.errno;
          return out;
        }
      }
      if (this.faults !== null && this.faults(task, entry, args, out)) return out;
      out.value = entry.handler(task, args);
      out.errno = Errno.SUCCESS;
    } catch (err) {
      if (err instanceof WouldBlock) {
        out.block = err;
        out.errno = Errno.AGAIN;
      } else out.errno = errnoOf(err, task.host, `${entry.name} failed with an internal error`);
    }
    return out;
  }
}

/** A fresh outcome record. */
export function newOutcome(): CallOutcome {
  return { errno: 0, value: undefined, block: null };
}
