/**
 * One container inside the Sentry (the sentry platform): the container
 * `buildContainer` made (kernel and pid namespace, mount namespace,
 * cgroup), plus what only this platform has: several tasks with their
 * channels and stdin pipes, pause, signals, the OOM killer's hooks, the
 * snapshot `diff` compares against. The host-side `Container` drives it
 * through the control plane. Isomorphic (no node:*).
 */
import { Signal } from '../../kernel/abi/wasi.js';
import { OK, type Verdict } from '../../kernel/cgroup/controller.js';
import type { CpuController } from '../../kernel/cgroup/cpu.js';
import type { LayerTree } from '../../kernel/fs/layer_tree.js';
import type { OverlayFs } from '../../kernel/fs/overlay.js';
import type { TmpFs } from '../../kernel/fs/tmpfs.js';
import type { Host } from '../../kernel/host.js';
import type { Kernel } from '../../kernel/kernel.js';
import { defaultAction } from '../../kernel/syscalls/proc.js';
import { ConsoleFile, type ConsoleWindow } from '../../kernel/task/console.js';
import type { ExitStatus } from '../../kernel/task/exit.js';
import { Pipe } from '../../kernel/task/pipe.js';
import type { Task } from '../../kernel/task/task.js';
import type { MountNamespace } from '../../kernel/vfs/mount_ns.js';
import { FileType } from '../../kernel/vfs/types.js';
import type { CgroupStats, DiffWire, ProcessSpec, ContainerSpec } from '../sentry/control_plane.js';
import { BuildError, buildContainer, type BuiltContainer } from './container_builder.js';
import { diffUpper, upperBaseline, type UpperBaseline } from './tree_diff.js';
import { upperEntries } from '../image/build/upper_layer.js';
import { isSeed } from './seed_upper.js';
import type { TarEntry } from '../image/build/tar_writer.js';
import type { NetNamespace } from '../../kernel/fs/socket_ns.js';
import { NetPort } from '../host/net_port.js';
import type { NetSpec } from '../sentry/control_plane.js';
import { installListeners } from './port_listeners.js';
import type { Cgroup } from '../../kernel/cgroup/cgroup.js';
import { callPath, faultHook } from '../../kernel/syscalls/faults.js';
import { TraceLog, type TraceEntry } from '../testing/trace.js';
import { deterministicHost, VirtualClock } from '../testing/virtual_host.js';
import { CodedError } from '../coded_error.js';

/** Error raised inside the Sentry for a control-plane request; `code` is stable. */
export class KernelContainerError extends CodedError<'EAGAIN' | 'ENOENT' | 'EINVAL' | 'ESRCH'> {
  override readonly name = 'KernelContainerError';
}

/** A live task of the container. */
export interface ContainerTask {
  task: Task;
  channelId: number;
  stdin: Pipe | null;
}

/** Sentry-side state of one container. */
export class KernelContainer {
  /** The built container (container_builder.ts). */
  readonly built: BuiltContainer;
  paused = false;
  readonly tasks = new Map<number, ContainerTask>();
  syscalls = 0;
  private readonly base: UpperBaseline;
  /** The host's side of its published ports (spec.net), until its init has them. */
  private net: { port: NetPort; spec: NetSpec } | null = null;
  /** Its init's net namespace (published ports), closed with the container. */
  private netns: NetNamespace | null = null;
  /** The virtual clock (spec.testing.clock), if any. */
  private readonly clock: VirtualClock | null = null;
  /** The recorded calls, bounded (src/testing/trace.ts). */
  private readonly traced = new TraceLog();
  /** Set when spec.testing.trace: records a finished call (kernel/platform/sentry.ts `onCall`). */
  readonly onCall?: (pid: number, name: string, args: unknown, errno: number, value: unknown, ns: bigint, exited: boolean) => void;
  /** The clock of traced durations: a virtual clock's, read without moving it. */
  readonly traceClock?: () => bigint;

  /**
   * `log`: the operator log (seccomp denials, one line each, without the
   * container id); `parent`: the parent cgroup (a tenant's or pod's), whose
   * limits bind this container's too.
   */
  constructor(host: Host, readonly id: string, readonly spec: ContainerSpec, layers: ReadonlyMap<string, LayerTree>, log?: (line: string) => void, parent?: Cgroup) {
    const t = spec.testing;
    if (t !== undefined) {
      // the determinism switches are a Host wrapper (src/testing/virtual_host.ts), as on the inline platform
      const c = t.clock;
      if (c !== undefined) this.clock = new VirtualClock({ realtime: c.realtimeNs, monotonic: c.monotonicNs, step: c.stepNs });
      host = deterministicHost(host, { clock: this.clock ?? undefined, seed: t.seed });
      if (t.trace === true) {
        const clock = this.clock;
        if (clock !== null) this.traceClock = () => clock.peekMonotonicNs();
        this.onCall = (pid, name, args, errno, value, ns, exited) => this.record(pid, name, args, errno, value, ns, exited);
      }
    }
    const r = spec.rootfs;
    const trees = (r?.layerIds ?? []).map((lid) => {
      const t = layers.get(lid);
      if (!t) throw new KernelContainerError('ENOENT', `layer ${lid} was not loaded into this Sentry`);
      return t;
    });
    // a restarted container's kept writable layer seeds its upper, it is not stacked (seed_upper.ts)
    const root = { hostPath: r?.hostPath, layers: trees.filter((t) => !isSeed(t)), seed: trees.find(isSeed) };
    try {
      this.built = buildContainer(host, spec, { root, fileLimit: 'oom-kill', onSeccomp: log, parentCgroup: parent });
      if (t?.faults !== undefined) this.built.kernel.dispatcher.faults = faultHook(t.faults);
    } catch (e) {
      throw containerError(e);
    }
    this.base = upperBaseline(this.upper);
    for (const p of this.built.seeded) this.base.delete(p);
    if (spec.net !== undefined) this.net = { port: NetPort.fromHandOff(spec.net), spec: spec.net };
  }

  private record(pid: number, name: string, args: unknown, errno: number, value: unknown, ns: bigint, exited: boolean): void {
    const task = this.tasks.get(pid)?.task;
    let path: string | undefined;
    if (task !== undefined && args !== null && typeof args === 'object') {
      try {
        path = callPath(task, args as Record<string, unknown>);
      } catch {
        path = undefined;
      }
    }
    const injected = args !== null && typeof args === 'object' ? (args as { _injected?: string })._injected : undefined;
    this.traced.add({ pid, name, args, errno, value, ns, exited, injected }, path);
  }

  /** The calls recorded so far, every process's, in order (bounded: see TraceLog). */
  trace(): TraceEntry[] {
    return this.traced.entries;
  }

  /** Move the virtual clock forward by `ns`. */
  advanceClock(ns: bigint): void {
    if (this.clock === null) throw new KernelContainerError('EINVAL', `container ${this.id} has no virtual clock (create it with testing.clock)`);
    this.clock.advanceNs(ns);
  }

  /** The container's kernel (its own pid namespace). */
  get kernel(): Kernel {
    return this.built.kernel;
  }

  /** The container's mount namespace. */
  get ns(): MountNamespace {
    return this.built.ns;
  }

  /** The root filesystem: an overlay over the lowers, or without lowers its upper alone (container_builder.ts). */
  get rootFs(): OverlayFs | TmpFs {
    return this.built.rootFs;
  }

  /** The container's private upper layer (charged to its memory cgroup). */
  get upper(): TmpFs {
    return this.built.upper;
  }

  /** Close the host handles of the container's --rootfs and binds (it is gone); a Sentry-held layer stays open. */
  close(): void {
    this.netns?.close();
    this.net?.port.detach();
    this.built.close();
  }

  /** Bytes charged to the memory cgroup: guest memories plus in-memory files. */
  memoryCurrent(): number {
    return this.built.cgroup.memoryCurrent();
  }

  /** Record a task's guest memory size (reported by its app worker when it changes); the memory controller's verdict. */
  chargeMemory(pid: number, bytes: number): Verdict {
    return this.tasks.has(pid) ? this.built.cgroup.chargeMemory(pid, bytes) : OK;
  }

  /** The cpu controller its metered tasks charge (cpu.max, cpu.weight, cpu.stat). */
  get cpu(): CpuController {
    return this.built.cgroup.cpu;
  }

  /** The cgroup controllers' verdict (the OOM decision) after the container's usage changed. */
  checkCgroup(): Verdict {
    return this.built.cgroup.check();
  }

  /** Create a task for `proc` (EAGAIN past pids.max); `windows` flow-control its stdout and stderr (see ConsoleWindow). */
  spawn(proc: ProcessSpec, channelId: number, out: (fd: 1 | 2, data: Uint8Array) => void, windows?: readonly [ConsoleWindow, ConsoleWindow]): ContainerTask {
    if (!this.built.cgroup.canSpawn()) {
      const own = this.spec.pidsMax === null ? '' : `its pids.max (${this.spec.pidsMax})`;
      const parent = this.spec.cgroupParent === undefined ? '' : `the pids.max of its parent cgroup ${this.spec.cgroupParent}`;
      throw new KernelContainerError('EAGAIN', `${[own, parent].filter((x) => x !== '').join(' or ') || 'pids.max'} reached: cannot start another process`);
    }
    const pipe = new Pipe();
    pipe.openHostWriter();
    if (proc.stdio.stdin === 'null') pipe.hostClose();
    const tty = proc.stdio.tty === true;
    let task: Task;
    try {
      task = this.built.createTask(proc, {
        stdin: { file: pipe.readEnd({ filetype: tty ? FileType.CHARACTER_DEVICE : FileType.UNKNOWN }), tty },
        stdout: { file: new ConsoleFile({ isTty: tty, write: (d) => out(1, d.slice()), window: windows?.[0] }, 'stdout'), tty },
        stderr: { file: new ConsoleFile({ isTty: tty, write: (d) => out(2, d.slice()), window: windows?.[1] }, 'stderr'), tty },
      });
    } catch (e) {
      throw containerError(e);
    }
    // published ports: the first process (init) gets the listeners, after its preopened directories
    if (this.net !== null && this.netns === null) this.netns = installListeners(task, this.net.port, this.net.spec.listeners, this.built.cgroup.memory);
    const rec: ContainerTask = { task, channelId, stdin: proc.stdio.stdin === 'pipe' ? pipe : null };
    this.tasks.set(task.pid, rec);
    return rec;
  }

  /** Tasks that have not ended (pids.current). */
  liveCount(): number {
    return this.built.livePids().length;
  }

  /** Pids of tasks that have not ended. */
  livePids(): number[] {
    return this.built.livePids();
  }

  /** Forget an ended task. */
  reap(pid: number): void {
    this.tasks.delete(pid);
    this.built.reap(pid);
  }

  /** Feed stdin of `pid`; null closes it. */
  writeStdin(pid: number, data: Uint8Array | null): void {
    const t = this.tasks.get(pid);
    if (!t) throw new KernelContainerError('ESRCH', `no process ${pid} in container ${this.id}`);
    if (!t.stdin) throw new KernelContainerError('EINVAL', `process ${pid} was not started with an open stdin`);
    if (data === null) t.stdin.hostClose();
    else t.stdin.hostWrite(data);
  }

  /**
   * What `sig` does to `pid`: the exit status for fatal signals (killing
   * init ends every task: pid namespace semantics), or 'stop' / 'continue' /
   * 'ignore'.
   */
  signalAction(sig: number): { kind: 'exit'; status: ExitStatus } | { kind: 'stop' | 'continue' | 'ignore' } {
    if (sig === Signal.KILL) return { kind: 'exit', status: { code: 0, signal: sig } };
    const a = defaultAction(sig);
    if (a === 'terminate') return { kind: 'exit', status: { code: 0, signal: sig } };
    return { kind: a };
  }

  /** cgroup v2 figures. */
  stats(): CgroupStats {
    const s = this.built.cgroup.stats(this.syscalls);
    if (this.built.seccomp !== null) s.seccomp = this.built.seccomp.stats();
    const flat = this.built.cgroup.cgroup.stats();
    s.memoryHigh = flat['memory.high'] ?? null;
    s.memoryStat = { anon: flat['memory.stat.anon'] ?? 0, file: flat['memory.stat.file'] ?? 0 };
    const n = (k: string) => flat[`io.${k}`] ?? 0;
    s.io = {
      rbytes: n('rbytes'), wbytes: n('wbytes'), rios: n('rios'), wios: n('wios'),
      rbps: flat['io.max.rbps'] ?? null, wbps: flat['io.max.wbps'] ?? null, riops: flat['io.max.riops'] ?? null, wiops: flat['io.max.wiops'] ?? null,
      throttled: n('throttled'),
    };
    return s;
  }

  /**
   * Paths added, changed and deleted since the container was created (like
   * `podman diff`), as a wire record (`diffPaths`). Linear in the upper's
   * entries; awaits `pause` between slices so the Sentry serves other work.
   */
  diff(pause?: () => Promise<void>): Promise<DiffWire> {
    return diffUpper(this.upper, [...this.built.lowers], this.base, pause);
  }

  /** Its upper layer as OCI layer tar entries (whiteouts for deletions; what the runtime seeded left out while unchanged): `commit`'s new layer. */
  layer(): TarEntry[] {
    return upperEntries(this.upper, { baseline: this.base });
  }
}

/** A BuildError as the control plane's error: a missing source is ENOENT, the rest EINVAL. */
function containerError(e: unknown): unknown {
  if (!(e instanceof BuildError)) return e;
  return new KernelContainerError(e.code === 'BIND' || e.code === 'ROOTFS' ? 'ENOENT' : 'EINVAL', e.message);
}
