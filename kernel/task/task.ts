/**
 * A task: one process as the kernel sees it. Identity (pid, credentials),
 * argv and environment, the fd table, the working directory (a container
 * path string: WASI has no chdir, so it only seeds `PWD` and the "." preopen),
 * the mount namespace's path operations, and the exit state.
 */
import type { Host } from '../host.js';
import type { Credentials, OpenFile, PathOps } from '../vfs/types.js';
import { WaitQueue } from '../vfs/wait.js';
import type { ExitStatus } from './exit.js';
import { FdTable } from './fd_table.js';

/** What a task needs from its container: the host and the mount namespace. */
export interface TaskContext {
  readonly host: Host;
  /** Path operations of the task's mount namespace. */
  readonly pathOps: PathOps;
}

/** Options to create a task. */
export interface TaskOptions {
  pid: number;
  ppid?: number;
  uid?: number;
  gid?: number;
  args: readonly string[];
  /** `KEY=VALUE` strings. */
  env: readonly string[];
  cwd?: string;
  fdLimit?: number;
}

/** Running, stopped (by a stop signal) or exited. */
export type TaskState = 'running' | 'stopped' | 'exited';

/** One process. */
export class Task {
  readonly pid: number;
  readonly ppid: number;
  uid: number;
  gid: number;
  readonly args: readonly string[];
  readonly env: readonly string[];
  /** Working directory (container path). */
  cwd: string;
  readonly fds: FdTable;
  state: TaskState = 'running';
  /** Set once the task ended. */
  exitStatus: ExitStatus | null = null;
  /** Notified when a stopped task is continued or killed. */
  readonly contQueue = new WaitQueue();
  /** Monotonic ns when the task started (uptime, /proc). */
  readonly startNs: bigint;
  /**
   * Source of this task's CPU time, set by the platform (the sentry measures
   * it in the app worker). Default: the host thread's CPU time since start,
   * right for the inline platform where the task owns the thread.
   */
  cpuClock: (() => bigint) | null = null;
  private readonly cpuStartNs: bigint;
  /** Size of the task's linear memory in bytes, set by the platform once instantiated (procfs VmRSS). */
  memoryBytes: (() => number) | null = null;
  private readonly cred: Credentials;

  constructor(readonly ctx: TaskContext, opts: TaskOptions) {
    this.pid = opts.pid;
    this.ppid = opts.ppid ?? 0;
    this.uid = opts.uid ?? 0;
    this.gid = opts.gid ?? 0;
    this.args = [...opts.args];
    this.env = [...opts.env];
    this.cwd = opts.cwd ?? '/';
    this.fds = new FdTable(opts.fdLimit);
    this.startNs = ctx.host.monotonicNs();
    this.cpuStartNs = ctx.host.cpuTimeNs();
    const fds = this.fds;
    const self = this;
    this.cred = {
      get uid() { return self.uid; },
      get gid() { return self.gid; },
      pid: this.pid,
      fd(n: number): OpenFile | undefined {
        return fds.peek(n)?.desc.file;
      },
      fdList(): readonly number[] {
        return [...fds.entries()].map(([n]) => n);
      },
    };
  }

  /** The host (clocks, randomness, sleeping). */
  get host(): Host {
    return this.ctx.host;
  }

  /** Path operations of this task's mount namespace. */
  get pathOps(): PathOps {
    return this.ctx.pathOps;
  }

  /** CPU time used by this task, in ns. */
  cpuTimeNs(): bigint {
    return this.cpuClock ? this.cpuClock() : this.ctx.host.cpuTimeNs() - this.cpuStartNs;
  }

  /** Credentials for VFS permission checks (live: reflect uid/gid changes). */
  credentials(): Credentials {
    return this.cred;
  }

  /** Record the end of the task and close its fds (idempotent). */
  exit(status: ExitStatus): void {
    if (this.exitStatus !== null) return;
    this.exitStatus = status;
    this.state = 'exited';
    this.fds.closeAll((fd, err) => this.ctx.host.logBug(`closing fd ${fd} at exit of pid ${this.pid}`, err));
    this.contQueue.notify();
  }
}
