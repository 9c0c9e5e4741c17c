/**
 * The kernel: owns the host, a pid namespace (a pid counter and the live
 * tasks) and the syscall dispatcher with its filter hook. Platforms run
 * tasks' syscalls through `kernel.dispatcher`. Containers (mount namespace,
 * stdio, preopens) are assembled by the runtime with `createTask` and the
 * helpers in `task/stdio.ts`.
 */
import type { Host } from './host.js';
import { Dispatcher } from './syscalls/dispatch.js';
import { Task, type TaskContext, type TaskOptions } from './task/task.js';

/** One kernel instance (one sandbox). */
export class Kernel {
  /** Runs handlers; set `dispatcher.filter` for seccomp-like filtering. */
  readonly dispatcher = new Dispatcher();
  private nextPid = 1;
  private readonly live = new Map<number, Task>();

  constructor(readonly host: Host) {}

  /** Create a task with the next pid (the first is 1, the init). */
  createTask(ctx: Omit<TaskContext, 'host'> & { host?: Host }, opts: Omit<TaskOptions, 'pid'>): Task {
    const pid = this.nextPid++;
    const task = new Task({ host: ctx.host ?? this.host, pathOps: ctx.pathOps }, { ...opts, pid });
    this.live.set(pid, task);
    return task;
  }

  /** Forget an exited task (after its status was collected). */
  reap(pid: number): void {
    const t = this.live.get(pid);
    if (t && t.exitStatus !== null) this.live.delete(pid);
  }

  /** Live (not yet reaped) task by pid. */
  task(pid: number): Task | undefined {
    return this.live.get(pid);
  }

  /** Pids of live tasks, ascending. */
  pids(): number[] {
    return [...this.live.keys()].sort((a, b) => a - b);
  }
}
