/**
 * The Sentry: one kernel worker hosting many containers. It serves every
 * task channel through one hub (channel_server.ts), runs their calls with the
 * sentry platform (kernel/platform/sentry.ts), and answers the control
 * plane (`SentryApi`, exposed with comlink by the Sentry worker's entry,
 * src/runtime/sentry_worker.ts). Events (output, exits) go back on a
 * MessagePort, batched per event-loop turn. Isomorphic: the host, the
 * scheduling primitive and the container builder are injected.
 */
import { CpuShare } from '../../kernel/cgroup/cpu_share.js';
import { decideFuel, type FuelPolicy } from '../../kernel/platform/meter.js';
import { Signal } from '../../kernel/abi/wasi.js';
import type { Verdict } from '../../kernel/cgroup/controller.js';
import { OOM_REASON } from '../../kernel/cgroup/memory.js';
import { layerTreeFromHost } from '../../kernel/fs/host_layer.js';
import type { LayerTree } from '../../kernel/fs/layer_tree.js';
import type { Host } from '../../kernel/host.js';
import { SentryTasks } from '../../kernel/platform/sentry.js';
import { DEFAULT_HUB_CAPACITY, SentryOp, SentryStatus } from '../../kernel/platform/sentry_protocol.js';
import { SENTRY_WIRES } from '../../kernel/platform/sentry_wire.js';
import { ConsoleWindow } from '../../kernel/task/console.js';
import type { ExitStatus } from '../../kernel/task/exit.js';
import { channelCpuClock, createChannelBuffer, createHubBuffer } from './channel.js';
import { ChannelServer, PENDING } from './channel_server.js';
import type { TarEntry } from '../image/build/tar_writer.js';
import type { CgroupStats, DiffWire, OutputAck, ProcessSpec, ContainerSpec, SentryApi, SentryEvent, SpawnResult } from './control_plane.js';
import type { SentryContainer, SentryContainerFactory } from './sentry_container.js';
import { CgroupGroups } from './cgroup_groups.js';
import type { TraceEntry } from '../testing/trace.js';

/** Error raised inside the Sentry for a control-plane request; `code` is stable. */
export class SentryError extends Error {
  constructor(readonly code: 'EAGAIN' | 'ENOENT' | 'EINVAL' | 'ESRCH', message: string) {
    super(message);
    this.name = 'SentryError';
  }
}


/** Options of a Sentry. */
export interface SentryOptions {
  host: Host;
  /** Builds each container's kernel state (the runtime's container builder). */
  createContainer: SentryContainerFactory;
  /** Run `fn` on the next event-loop turn. */
  defer: (fn: () => void) => void;
  /** Max channels (tasks alive at once). Power of two. */
  capacity?: number;
  /** Spin budget of the serve loop (0: never spin). */
  spinMax?: number;
  /** Bytes of each task's stdout and of its stderr in flight to the host before its writes block (default CONSOLE_WINDOW, 1 MiB). */
  outputWindow?: number;
}

/** The Sentry's state and control plane. */
export class SentryCore implements SentryApi {
  private readonly hubBuf: SharedArrayBuffer;
  private readonly server: ChannelServer;
  private readonly tasks: SentryTasks;
  private readonly sandboxes = new Map<string, SentryContainer>();
  private readonly layerTrees = new Map<string, LayerTree>();
  private readonly freeIds: number[] = [];
  /** channel id → its container's sandbox (the serve loop's per-call lookup) */
  private readonly chanSandbox: (SentryContainer | undefined)[] = [];
  /** channel id → its task's stdout and stderr flow-control windows (acknowledged by the host: `ack`) */
  private readonly chanWindows: (readonly [ConsoleWindow, ConsoleWindow] | undefined)[] = [];
  private port: MessagePort | null = null;
  /** cpu.weight between this Sentry's containers (kernel/cgroup/cpu_share.ts). */
  private readonly share = new CpuShare((globalThis as { navigator?: { hardwareConcurrency?: number } }).navigator?.hardwareConcurrency ?? 2);
  private pending: SentryEvent[] = [];
  private flushQueued = false;
  /** Parent cgroups (tenants, pods) the containers nest under. */
  private readonly groups = new CgroupGroups();

  constructor(private readonly opts: SentryOptions) {
    const cap = opts.capacity ?? DEFAULT_HUB_CAPACITY;
    this.hubBuf = createHubBuffer(cap);
    for (let i = cap - 1; i >= 0; i--) this.freeIds.push(i);
    this.tasks = new SentryTasks({
      respond: (id, reply) => this.server.respond(id, reply),
      post: (fn) => this.server.post(fn),
      setTimer: (delayNs, fn) => {
        const t = setTimeout(fn, Math.ceil(Number(delayNs) / 1e6));
        return () => clearTimeout(t);
      },
    });
    this.server = new ChannelServer(this.hubBuf, (id, op, arg) => {
      const sb = this.chanSandbox[id];
      if (sb && op < SentryOp.EXIT) sb.syscalls++;
      const r = this.tasks.handle(id, op, arg);
      if (sb && sb.spec.memoryMax !== null && op !== SentryOp.EXIT) {
        this.checkMemory(sb);
        const st = this.tasks.task(id)?.exitStatus;
        if (r !== null && st && r.status >= 0) return { status: SentryStatus.EXIT, value: st };
      }
      return r === null ? PENDING : r;
    }, {
      defer: opts.defer,
      spinMax: opts.spinMax,
      wires: SENTRY_WIRES,
      onBug: (err) => opts.host.logBug('sentry serve loop', err),
    });
    this.server.start();
  }

  private emit(e: SentryEvent): void {
    this.pending.push(e);
    if (!this.flushQueued) {
      this.flushQueued = true;
      queueMicrotask(() => this.flush());
    }
  }

  /**
   * Post the events of this turn as one batch. Consecutive output chunks of
   * one stream are merged (one copy per run). Output bytes, and a fixed cost
   * per posted chunk, stay counted in their stream's window until the host
   * acknowledges them (`ack`); with no host attached they go nowhere and
   * are acknowledged here.
   */
  private flush(): void {
    this.flushQueued = false;
    const evs = this.pending;
    this.pending = [];
    if (evs.length === 0) return;
    if (!this.port) {
      for (const e of evs) if (e.t === 'out') this.ackOne(e.id, e.pid, e.fd, e.data.byteLength);
      return;
    }
    const merged: SentryEvent[] = [];
    for (let i = 0; i < evs.length;) {
      const e = evs[i]!;
      let j = i + 1;
      if (e.t === 'out') {
        let n = e.data.byteLength;
        for (; j < evs.length; j++) {
          const f = evs[j]!;
          if (f.t !== 'out' || f.id !== e.id || f.pid !== e.pid || f.fd !== e.fd) break;
          n += f.data.byteLength;
        }
        if (j > i + 1) {
          const d = new Uint8Array(n);
          for (let k = i, off = 0; k < j; k++) {
            const c = (evs[k] as { data: Uint8Array }).data;
            d.set(c, off);
            off += c.byteLength;
          }
          merged.push({ ...e, data: d });
        } else merged.push(e);
        this.windowOf(e.id, e.pid, e.fd)?.sent(n);
      } else merged.push(e);
      i = j;
    }
    this.port.postMessage(merged);
  }

  /** The host delivered output bytes: free them from their windows, which wakes writes blocked on them. */
  ack(acks: OutputAck[]): void {
    for (const a of acks) this.ackOne(a.id, a.pid, a.fd, a.bytes);
  }

  private ackOne(id: string, pid: number, fd: 1 | 2, bytes: number): void {
    this.windowOf(id, pid, fd)?.ack(bytes);
  }

  private windowOf(id: string, pid: number, fd: 1 | 2): ConsoleWindow | undefined {
    const t = this.sandboxes.get(id)?.tasks.get(pid);
    return t && this.chanWindows[t.channelId]?.[fd - 1];
  }

  private sandbox(id: string): SentryContainer {
    const sb = this.sandboxes.get(id);
    if (!sb) throw new SentryError('ENOENT', `no container ${id} in this Sentry`);
    return sb;
  }

  init(events: MessagePort): SharedArrayBuffer {
    this.port = events;
    return this.hubBuf;
  }

  addLayer(tree: LayerTree): void {
    if (!this.layerTrees.has(tree.id)) this.layerTrees.set(tree.id, tree);
  }

  addHostLayer(id: string, path: string): void {
    if (this.layerTrees.has(id)) return;
    const fs = this.opts.host.hostfs;
    if (!fs) throw new SentryError('EINVAL', `layer ${id} reads host directory ${path}, and this host has no host file access (browser): give a layer with its bytes`);
    let tree: LayerTree;
    try {
      if (fs.lstat(path).kind !== 'dir') throw new Error('not a directory');
      tree = layerTreeFromHost(fs, path, id);
    } catch (e) {
      throw new SentryError('ENOENT', `layer ${id}: host directory ${path} cannot be used: ${(e as Error).message}`);
    }
    this.layerTrees.set(id, tree);
  }

  layers(): string[] {
    return [...this.layerTrees.keys()];
  }

  createContainer(id: string, spec: ContainerSpec): void {
    if (this.sandboxes.has(id)) throw new SentryError('EINVAL', `container ${id} already exists in this Sentry`);
    const parent = spec.cgroupParent === undefined ? undefined : this.groups.get(spec.cgroupParent);
    this.sandboxes.set(id, this.opts.createContainer(this.opts.host, id, spec, this.layerTrees, (line) => this.emit({ t: 'seccomp', id, line }), parent));
  }

  trace(id: string): TraceEntry[] {
    return this.sandbox(id).trace();
  }

  advanceClock(id: string, ns: bigint): void {
    this.sandbox(id).advanceClock(ns);
  }

  createGroup(path: string, settings: Record<string, string>): void {
    this.groups.create(path, settings);
  }

  groupStats(path: string): Record<string, number | null> {
    return this.groups.stats(path);
  }

  deleteGroup(path: string): void {
    this.groups.delete(path);
  }

  createAndSpawn(id: string, spec: ContainerSpec, init: ProcessSpec): SpawnResult {
    this.createContainer(id, spec);
    try {
      return this.spawn(id, init);
    } catch (err) {
      this.destroy(id);
      throw err;
    }
  }

  spawn(id: string, proc: ProcessSpec): SpawnResult {
    const sb = this.sandbox(id);
    const channelId = this.freeIds.pop();
    if (channelId === undefined) throw new SentryError('EAGAIN', 'this Sentry serves its maximum number of tasks');
    let rec;
    const windows = [new ConsoleWindow(this.opts.outputWindow), new ConsoleWindow(this.opts.outputWindow)] as const;
    try {
      rec = sb.spawn(proc, channelId, (fd, data) => this.emit({ t: 'out', id, pid: rec!.task.pid, fd, data }), windows);
    } catch (err) {
      this.freeIds.push(channelId);
      throw err;
    }
    const pid = rec.task.pid;
    const channel = createChannelBuffer();
    this.server.attach(channelId, channel);
    this.chanSandbox[channelId] = sb;
    this.chanWindows[channelId] = windows;
    // the task's CPU time is what its app side says it ran; it stops counting at the exit
    const cpu = channelCpuClock(channel);
    let cpuAtExit: bigint | null = null;
    rec.task.cpuClock = () => cpuAtExit ?? cpu();
    this.tasks.register(channelId, sb.kernel, rec.task, {
      isPaused: () => sb.paused || rec.task.state === 'stopped',
      onExit: (status) => {
        cpuAtExit = cpu();
        // its linear memory is gone at the exit, not when its worker is reaped (Linux frees a zombie's mm in exit_mm)
        sb.chargeMemory(pid, 0);
        this.onExit(sb, pid, status);
      },
      onMemory: (bytes) => { if (rec.task.exitStatus === null) this.carryOut(sb, sb.chargeMemory(pid, bytes)); },
      ...(sb.cpu && { onFuel: fuelHook({ cpu: sb.cpu, share: this.share, cpuLimit: proc.cpuLimit }, pid, this.opts.host) }),
      ...(sb.onCall && { onCall: (name: string, args: unknown, errno: number, value: unknown, ns: bigint, exited: boolean) => sb.onCall!(pid, name, args, errno, value, ns, exited) }),
      ...(sb.traceClock && { traceClock: sb.traceClock }),
    });
    return { pid, channelId, channel, hub: this.hubBuf };
  }

  /** After a request: the container's cgroup decides (the memory controller's OOM verdict), the Sentry carries it out. */
  private checkMemory(sb: SentryContainer): void {
    if (this.victim(sb) === undefined) return;
    this.carryOut(sb, sb.checkCgroup());
  }

  /** The task a kill verdict ends: init, whose end ends every task (pid namespace). */
  private victim(sb: SentryContainer): { channelId: number } | undefined {
    const init = sb.tasks.get(1) ?? [...sb.tasks.values()][0];
    return init && init.task.exitStatus === null ? init : undefined;
  }

  /** Carry out a cgroup verdict: `kill` ends the container's init (OOM); nothing parks yet. */
  private carryOut(sb: SentryContainer, v: Verdict): void {
    if (v.kind !== 'kill') return;
    const init = this.victim(sb);
    if (init !== undefined) this.tasks.terminate(init.channelId, v.status);
  }

  private onExit(sb: SentryContainer, pid: number, status: ExitStatus): void {
    const oomKilled = (status.reason ?? '').startsWith(OOM_REASON);
    this.emit({ t: 'exit', id: sb.id, pid, status, oomKilled });
    // pid namespace: when init ends, every other task of the container ends (SIGKILL)
    if (pid === 1) {
      for (const [opid, t] of sb.tasks) {
        if (opid !== 1 && t.task.exitStatus === null) this.tasks.terminate(t.channelId, { code: 0, signal: Signal.KILL });
      }
    }
  }

  writeStdin(id: string, pid: number, data: Uint8Array | null): void {
    this.sandbox(id).writeStdin(pid, data);
  }

  signal(id: string, pid: number, sig: number): number[] {
    const sb = this.sandbox(id);
    const target = sb.tasks.get(pid);
    if (!target) throw new SentryError('ESRCH', `no process ${pid} in container ${id}`);
    const a = sb.signalAction(sig);
    if (a.kind === 'ignore') return [];
    if (a.kind !== 'exit') {
      const victims = pid === 1 ? [...sb.tasks.values()] : [target];
      for (const t of victims) {
        if (t.task.exitStatus !== null) continue;
        t.task.state = a.kind === 'stop' ? 'stopped' : 'running';
        if (a.kind === 'continue') t.task.contQueue.notify();
      }
      return [];
    }
    const status = a.status;
    const ended: number[] = [];
    const victims = pid === 1 ? [...sb.tasks.entries()].sort((x, y) => y[0] - x[0]) : [[pid, target] as const];
    for (const [p, t] of victims) {
      if (t.task.exitStatus !== null) continue;
      this.tasks.terminate(t.channelId, status);
      ended.push(p);
    }
    return ended;
  }

  taskDied(id: string, pid: number, status: ExitStatus): void {
    const t = this.sandboxes.get(id)?.tasks.get(pid);
    if (t) this.tasks.terminate(t.channelId, status);
  }

  release(id: string, pid: number): void {
    const sb = this.sandboxes.get(id);
    const t = sb?.tasks.get(pid);
    if (!sb || !t) return;
    if (t.task.exitStatus === null) this.tasks.terminate(t.channelId, { code: 0, signal: Signal.KILL, reason: 'released' });
    this.tasks.unregister(t.channelId);
    this.server.close(t.channelId);
    this.chanSandbox[t.channelId] = undefined;
    this.chanWindows[t.channelId] = undefined;
    this.freeIds.push(t.channelId);
    sb.reap(pid);
  }

  pause(id: string): void {
    this.sandbox(id).paused = true;
  }

  resume(id: string): void {
    this.sandbox(id).paused = false;
    this.tasks.wakeAll();
  }

  stats(id: string): CgroupStats {
    return this.sandbox(id).stats();
  }

  diff(id: string): Promise<DiffWire> {
    // between slices of the walk, a turn of the event loop: the serve loop answers every other task
    return this.sandbox(id).diff(() => new Promise((r) => this.opts.defer(r)));
  }

  layer(id: string): TarEntry[] {
    return this.sandbox(id).layer();
  }

  pids(id: string): number[] {
    return this.sandbox(id).livePids();
  }

  fault(kind: 'crash'): void {
    if (kind === 'crash') setTimeout(() => { throw new Error('injected Sentry fault'); }, 0);
  }

  destroy(id: string): void {
    const sb = this.sandboxes.get(id);
    if (!sb) return;
    for (const pid of [...sb.tasks.keys()]) this.release(id, pid);
    this.sandboxes.delete(id);
    sb.close();
  }
}

/** A task's call out of fuel, decided by its cgroup (platform/meter.ts `decideFuel`) on the Sentry's clock. */
function fuelHook(p: FuelPolicy, pid: number, host: Host): (spent: number) => ReturnType<typeof decideFuel> {
  return (spent) => decideFuel(p, pid, spent, host.monotonicNs());
}
