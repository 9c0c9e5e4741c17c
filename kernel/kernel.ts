/**
 * The kernel: owns the host, a pid namespace (a pid counter and the live
 * tasks) and the syscall dispatcher with its filter hook. Platforms run
 * tasks' syscalls through `kernel.dispatcher`. Containers (mount namespace,
 * stdio, preopens) are assembled by the runtime with `createTask` and the
 * helpers in `task/stdio.ts`.
 */
import type { MemInfo, ProcSource, ProcTaskInfo } from './fs/procfs.js';
import type { Host } from './host.js';
import { Dispatcher } from './syscalls/dispatch.js';
import { Task, type TaskContext, type TaskOptions } from './task/task.js';
import type { MountInfo } from './vfs/mount_ns.js';

/** What `Kernel.procSource` needs besides the tasks. */
export interface ProcSourceOptions {
  hostname?: string;
  /** The mounts of a task's mount namespace. */
  mounts(pid: number): readonly MountInfo[];
  /** Memory limit of the container in bytes (default: the 4 GiB wasm32 address space). */
  memoryLimit?: number;
}

const STATE_NAMES = { running: 'R (running)', stopped: 'T (stopped)', exited: 'Z (zombie)' } as const;

/**
 * A mount as the container may see it: a source that names a host object
 * (an absolute host path of a bind mount or --rootfs, anything with a
 * slash) is shown as the filesystem type, as Linux shows a device instead
 * of the host directory. /proc never tells the guest where it lives.
 */
export function containerMountInfo(m: MountInfo): MountInfo {
  return m.source.includes('/') ? { ...m, source: m.fsType } : m;
}

function taskInfo(t: Task): ProcTaskInfo {
  const argv0 = t.args[0] ?? '';
  const fds = t.fds;
  const mem = t.memoryBytes?.();
  return {
    pid: t.pid,
    ppid: t.ppid,
    name: (argv0.split('/').pop() ?? argv0).slice(0, 15),
    state: STATE_NAMES[t.state],
    uid: t.uid,
    gid: t.gid,
    cmdline: t.args,
    environ: t.env,
    vmRssKb: mem === undefined ? undefined : Math.ceil(mem / 1024),
    fds: () => [...fds.entries()].map(([n]) => n),
    fd: (n) => fds.peek(n)?.desc.file,
  };
}

/** One kernel instance (one sandbox). */
export class Kernel {
  /** Runs handlers; set `dispatcher.filter` for seccomp-like filtering. */
  readonly dispatcher = new Dispatcher();
  private nextPid = 1;
  private readonly live = new Map<number, Task>();
  /** Monotonic ns when the kernel (the sandbox) started: /proc/uptime. */
  readonly startNs: bigint;

  constructor(readonly host: Host) {
    this.startNs = host.monotonicNs();
  }

  /** The data procfs shows for this kernel's pid namespace. */
  procSource(opts: ProcSourceOptions): ProcSource {
    const limitKb = Math.floor((opts.memoryLimit ?? 2 ** 32) / 1024);
    return {
      tasks: () => this.pids().map((pid) => taskInfo(this.live.get(pid)!)),
      task: (pid) => {
        const t = this.live.get(pid);
        return t ? taskInfo(t) : undefined;
      },
      mounts: (pid) => opts.mounts(pid).map(containerMountInfo),
      hostname: () => opts.hostname ?? 'wasmvisor',
      meminfo: (): MemInfo => {
        let usedKb = 0;
        for (const t of this.live.values()) usedKb += Math.ceil((t.memoryBytes?.() ?? 0) / 1024);
        const freeKb = Math.max(0, limitKb - usedKb);
        return { totalKb: limitKb, freeKb, availableKb: freeKb };
      },
      uptimeNs: () => this.host.monotonicNs() - this.startNs,
    };
  }

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
