/**
 * The sentry platform, kernel side. The kernel runs in its own worker (the
 * Sentry); each task's app worker decodes its WASI calls into plain values
 * and sends them over a channel (see sentry_app.ts for the other end). Here
 * a request becomes one `Dispatcher.attempt` on the task; a call that would
 * block (WouldBlock) is parked: the request stays unanswered, the queues it
 * named are subscribed and a timer set for its deadline, and on the first of
 * them the attempt is retried from the serve loop. The Sentry never waits
 * for one task: other tasks' requests are served meanwhile.
 *
 * Invariants: a channel has at most one request in flight; a parked
 * request holds subscriptions on its queues and at most one timer, all
 * dropped before it is retried or cancelled; a paused task's requests are
 * parked before dispatch (tasks stop at their next syscall). Under a
 * virtual clock (`Host.virtualTime`) a deadline is not waited for: the
 * clock is advanced to it at once, as the inline platform's sleeps do.
 *
 * Isomorphic: the transport (respond, post, timers) is injected.
 */
import { Errno } from '../errno.js';
import type { Kernel } from '../kernel.js';
import { TaskExit, type ExitStatus } from '../task/exit.js';
import type { Task } from '../task/task.js';
import { newOutcome } from '../syscalls/dispatch.js';
import { SYSCALLS } from '../syscalls/table.js';
import { WouldBlock } from '../vfs/wait.js';
import type { FuelDecision } from './meter.js';
import { SentryOp, SentryStatus, type SentryReply } from './sentry_protocol.js';

/** What the Sentry kernel side needs from its transport. */
export interface SentryTransport {
  /** Answer the request parked on channel `id`. */
  respond(id: number, reply: SentryReply): void;
  /** Run `fn` soon from the serve loop (never re-entrantly). */
  post(fn: () => void): void;
  /** One-shot timer `delayNs` from now (the transport rounds up to its timers' grain); returns a cancel function. */
  setTimer(delayNs: bigint, fn: () => void): () => void;
}

/** Per-task hooks the owner (a container) supplies. */
export interface SentryTaskHooks {
  /** True while the task must not run (container paused / task stopped by a signal). */
  isPaused(): boolean;
  /** The task ended (exit, fatal signal, trap reported by the app worker). Called once. */
  onExit(status: ExitStatus): void;
  /** Guest memory size changed (bytes), as reported by the app worker. */
  onMemory?(bytes: number): void;
  /**
   * A metered guest ran `spent` fuel since its last quantum (kernel/meter);
   * asked again with 0 after each wait. Answers the next quantum, a wait
   * (`untilNs`, monotonic), or ends the task (`exit`).
   */
  onFuel?(spent: number): FuelDecision;
  /**
   * A call finished (not parked): its decoded arguments (fault injection's
   * `_injected` on them), errno, result and duration since its request came
   * (ns on the task's clock); `exited` when it ended the task. For traces.
   */
  onCall?(name: string, args: unknown, errno: number, value: unknown, ns: bigint, exited: boolean): void;
  /** The clock of `onCall`'s durations (a virtual clock's reading without its step; default the task's monotonic clock). */
  traceClock?(): bigint;
}

interface Parked {
  op: number;
  args: unknown;
  cancel: (() => void)[];
}

interface Slot {
  task: Task;
  kernel: Kernel;
  hooks: SentryTaskHooks;
  parked: Parked | null;
  ended: boolean;
  /** When the request being served came (task clock, ns), for `onCall`. */
  t0: bigint;
}

/** Maps channels to tasks and runs their requests. */
export class SentryTasks {
  private readonly slots = new Map<number, Slot>();
  private readonly out = newOutcome();
  /** The reply of a call answered at once, reused: callers pass it on before the next call. */
  private readonly reply: SentryReply = { status: 0, value: undefined };

  constructor(private readonly transport: SentryTransport) {}

  /** Serve `task` (of `kernel`) on channel `id`. */
  register(id: number, kernel: Kernel, task: Task, hooks: SentryTaskHooks): void {
    if (this.slots.has(id)) throw new Error(`sentry: channel ${id} already has a task`);
    this.slots.set(id, { task, kernel, hooks, parked: null, ended: false, t0: 0n });
  }

  /** Stop serving channel `id`; a parked request is dropped (its app worker is being stopped). */
  unregister(id: number): void {
    const s = this.slots.get(id);
    if (!s) return;
    this.dropParked(s);
    this.slots.delete(id);
  }

  /** Task on channel `id`. */
  task(id: number): Task | undefined {
    return this.slots.get(id)?.task;
  }

  /** True if channel `id` has a request parked. */
  isParked(id: number): boolean {
    return this.slots.get(id)?.parked != null;
  }

  /**
   * End the task on channel `id` now with `status` (a signal from outside):
   * a parked request is answered with EXIT so that the app worker unwinds.
   */
  terminate(id: number, status: ExitStatus): void {
    const s = this.slots.get(id);
    if (!s || s.ended) return;
    this.finish(s, status);
    if (s.parked) {
      this.dropParked(s);
      this.transport.respond(id, { status: SentryStatus.EXIT, value: s.task.exitStatus });
    }
  }

  /** Retry parked requests of paused tasks that may now run (call after resume / SIGCONT). */
  wakeAll(): void {
    for (const [id, s] of this.slots) {
      if (s.parked) this.retrySoon(id, s);
    }
  }

  /** Handle one request; returns the reply (valid until the next call), or null if it was parked. */
  handle(id: number, op: number, args: unknown): SentryReply | null {
    const s = this.slots.get(id);
    if (!s) return { status: SentryStatus.EXIT, value: { code: 137, reason: 'no task on this channel' } satisfies ExitStatus };
    if (op === SentryOp.EXIT) {
      if (!s.ended) this.finish(s, args as ExitStatus);
      return { status: 0, value: s.task.exitStatus };
    }
    if (op === SentryOp.MEMORY) {
      s.hooks.onMemory?.(args as number);
      return { status: 0, value: null };
    }
    if (s.ended) return { status: SentryStatus.EXIT, value: s.task.exitStatus };
    if (s.hooks.onCall !== undefined) s.t0 = this.traceNow(s);
    return this.attempt(id, s, op, args);
  }

  private attempt(id: number, s: Slot, op: number, args: unknown): SentryReply | null {
    if (s.hooks.isPaused()) {
      this.park(id, s, op, args, null);
      return null;
    }
    if (op === SentryOp.FUEL) return this.fuel(id, s, args as number);
    const entry = SYSCALLS[op];
    if (entry === undefined) return { status: Errno.NOSYS, value: undefined };
    const out = this.out;
    try {
      s.kernel.dispatcher.attempt(s.task, entry, args, out);
    } catch (err) {
      if (err instanceof TaskExit) {
        s.hooks.onCall?.(entry.name, args, 0, undefined, this.traceNow(s) - s.t0, true);
        this.finish(s, err.status);
        return { status: SentryStatus.EXIT, value: s.task.exitStatus };
      }
      // A kernel bug outside the handler's own error handling (filter, dispatcher):
      // log it and end this task only, with a status that says so.
      s.task.host.logBug(`sentry: ${entry.name} of pid ${s.task.pid}`, err);
      const msg = err instanceof Error ? err.message : String(err);
      this.finish(s, { code: 134, reason: `kernel bug in ${entry.name}: ${msg}` });
      return { status: SentryStatus.EXIT, value: s.task.exitStatus };
    }
    if (out.block !== null) {
      this.park(id, s, op, args, out.block);
      return null;
    }
    s.hooks.onCall?.(entry.name, args, out.errno, out.value, this.traceNow(s) - s.t0, false);
    const r = this.reply;
    r.status = out.errno;
    r.value = out.value;
    return r;
  }

  private traceNow(s: Slot): bigint {
    return s.hooks.traceClock?.() ?? s.task.host.monotonicNs();
  }

  /** A metered task's call out of fuel: charge it once, then run, wait (re-asked with 0) or end. */
  private fuel(id: number, s: Slot, spent: number): SentryReply | null {
    const d = s.hooks.onFuel?.(spent) ?? { kind: 'run', fuel: 1 << 30 };
    if (d.kind === 'exit') {
      this.finish(s, d.status);
      return { status: SentryStatus.EXIT, value: s.task.exitStatus };
    }
    if (d.kind === 'wait') {
      this.park(id, s, SentryOp.FUEL, 0, new WouldBlock([], d.untilNs));
      return null;
    }
    const r = this.reply;
    r.status = 0;
    r.value = d.fuel;
    return r;
  }

  private finish(s: Slot, status: ExitStatus): void {
    s.ended = true;
    s.task.exit(status);
    s.hooks.onExit(s.task.exitStatus!);
  }

  private park(id: number, s: Slot, op: number, args: unknown, block: WouldBlock | null): void {
    const p: Parked = { op, args, cancel: [] };
    s.parked = p;
    let fired = false;
    const wake = () => {
      if (fired) return;
      fired = true;
      this.retrySoon(id, s);
    };
    if (block !== null) {
      for (const q of block.queues) p.cancel.push(q.subscribe(wake));
      if (block.deadlineNs !== null) {
        const host = s.task.host;
        const delay = block.deadlineNs - host.monotonicNs();
        // a virtual clock: the wait ends at once, the clock moved to its deadline (as the inline platform's sleepSync does)
        if (host.virtualTime === true) p.cancel.push(this.transport.setTimer(0n, () => { host.sleepSync(block.deadlineNs! - host.monotonicNs()); wake(); }));
        else p.cancel.push(this.transport.setTimer(delay > 0n ? delay : 0n, wake));
      }
    }
    // a stopped or paused task is also woken by its continue queue
    p.cancel.push(s.task.contQueue.subscribe(wake));
  }

  private dropParked(s: Slot): Parked | null {
    const p = s.parked;
    if (!p) return null;
    s.parked = null;
    for (const c of p.cancel) c();
    return p;
  }

  private retrySoon(id: number, s: Slot): void {
    this.transport.post(() => {
      if (this.slots.get(id) !== s || !s.parked) return;
      const p = this.dropParked(s)!;
      if (s.ended) {
        this.transport.respond(id, { status: SentryStatus.EXIT, value: s.task.exitStatus });
        return;
      }
      const reply = this.attempt(id, s, p.op, p.args);
      if (reply !== null) this.transport.respond(id, reply);
    });
  }
}
