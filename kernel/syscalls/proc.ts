/**
 * proc_exit, proc_raise and sched_yield. Signals raised by a task get their
 * default action (POSIX): terminate (exit status 128 + Linux number), ignore
 * (CHLD, URG, WINCH, and CONT while running), or stop until continued.
 */
import { Signal } from '../abi/wasi.js';
import { E } from '../errno.js';
import { TaskExit, exitCodeFromWasi } from '../task/exit.js';
import type { Task } from '../task/task.js';
import { WouldBlock } from '../vfs/wait.js';

/** What a signal does by default. */
export type SignalAction = 'terminate' | 'ignore' | 'stop' | 'continue';

/** Default action of a WASI signal. */
export function defaultAction(sig: number): SignalAction {
  switch (sig) {
    case Signal.CHLD:
    case Signal.URG:
    case Signal.WINCH:
      return 'ignore';
    case Signal.CONT:
      return 'continue';
    case Signal.STOP:
    case Signal.TSTP:
    case Signal.TTIN:
    case Signal.TTOU:
      return 'stop';
    default:
      return 'terminate';
  }
}

/** `proc_exit`: end the task; WASI's u32 code is reduced to its low 8 bits (POSIX `exit()`). */
export function proc_exit(_task: Task, a: { code: number }): never {
  throw new TaskExit({ code: exitCodeFromWasi(a.code) });
}

/**
 * `proc_raise`: deliver `sig` to the caller. A stop signal stops the task
 * until it is continued (the handler blocks on `task.contQueue`; `a.raised`
 * marks the restart).
 */
export function proc_raise(task: Task, a: { sig: number; raised?: boolean }): void {
  if (a.sig > Signal.SYS) throw E.INVAL;
  if (a.sig === Signal.NONE) return;
  if (a.raised) {
    if (task.state === 'stopped') throw new WouldBlock([task.contQueue]);
    return;
  }
  switch (defaultAction(a.sig)) {
    case 'terminate':
      throw new TaskExit({ code: 0, signal: a.sig });
    case 'ignore':
      return;
    case 'continue':
      if (task.state === 'stopped') task.state = 'running';
      return;
    case 'stop':
      a.raised = true;
      task.state = 'stopped';
      throw new WouldBlock([task.contQueue]);
  }
}

/** `sched_yield`: nothing to yield to on one thread; the sentry platform may reschedule. */
export function sched_yield(_task: Task, _a: Record<string, never>): void {}
