/**
 * One container's kernel state inside the Sentry: its own Kernel (so its
 * own pid namespace: init is pid 1), mount namespace, tasks with their
 * stdio, cgroup accounting (memory, pids) and the snapshot `diff` compares
 * against. Runs in the Sentry worker; the host-side `Container` drives it
 * through the control plane. Isomorphic (no node:*).
 */
import { Signal } from '../../kernel/abi/wasi.js';
import { E } from '../../kernel/errno.js';
import { CgroupFs, type CgroupSource } from '../../kernel/cgroup/cgroupfs.js';
import { createDevFs } from '../../kernel/fs/devfs.js';
import { layerTreeFromHost } from '../../kernel/fs/host_layer.js';
import { HostFsMount } from '../../kernel/fs/hostfs.js';
import type { LayerDir, LayerNode, LayerTree } from '../../kernel/fs/layer_tree.js';
import { OverlayFs } from '../../kernel/fs/overlay.js';
import { ProcFs } from '../../kernel/fs/procfs.js';
import { TmpFs } from '../../kernel/fs/tmpfs.js';
import type { Host } from '../../kernel/host.js';
import { Kernel } from '../../kernel/kernel.js';
import { defaultAction } from '../../kernel/syscalls/proc.js';
import { ConsoleFile, type ConsoleWindow } from '../../kernel/task/console.js';
import type { ExitStatus } from '../../kernel/task/exit.js';
import { Pipe } from '../../kernel/task/pipe.js';
import { installStdio } from '../../kernel/task/stdio.js';
import type { Task } from '../../kernel/task/task.js';
import { MountNamespace } from '../../kernel/vfs/mount_ns.js';
import { FileType, OFlags } from '../../kernel/vfs/types.js';
import type { CgroupStats, DiffWire, IdMapping, ProcessSpec, SandboxSpec } from '../sentry/control_plane.js';
import { installPreopens, makeWorkdir, mkdirs, prepareRoot, rootSetupStep, SETUP } from './root_setup.js';
import { diffUpper, upperBaseline, type UpperBaseline } from './tree_diff.js';

/** Error raised inside the Sentry for a control-plane request; `code` is stable. */
export class SandboxError extends Error {
  constructor(readonly code: 'EAGAIN' | 'ENOENT' | 'EINVAL' | 'ESRCH', message: string) {
    super(message);
    this.name = 'SandboxError';
  }
}

/** A live task of the sandbox. */
export interface SandboxTask {
  task: Task;
  channelId: number;
  stdin: Pipe | null;
  memBytes: number;
}

/** Sentry-side state of one container. */
export class Sandbox {
  readonly kernel: Kernel;
  readonly ns: MountNamespace;
  readonly rootFs: OverlayFs;
  /** The container's private upper layer (charged to its memory cgroup). */
  readonly upper: TmpFs;
  paused = false;
  readonly tasks = new Map<number, SandboxTask>();
  private peak = 0;
  private readonly events = { low: 0, high: 0, max: 0, oom: 0, oom_kill: 0 };
  syscalls = 0;
  private readonly base: UpperBaseline;
  private readonly lowers: LayerTree[];
  /** Host handles this container opened (its --rootfs tree, its binds): closed by `close`. */
  private readonly owned: { close(): void }[] = [];

  constructor(host: Host, readonly id: string, readonly spec: SandboxSpec, layers: ReadonlyMap<string, LayerTree>) {
    this.kernel = new Kernel(host);
    // A failed setup closes the host handles it opened (close, below).
    try {
      const lowers = lowerLayers(host, spec, layers);
      // a --rootfs tree was built for this container alone: it is this container's to close
      if (spec.rootfs?.kind === 'host') for (const t of lowers) if (t.close) this.owned.push({ close: t.close });
      this.rootFs = new OverlayFs(lowers, host);
      this.upper = this.rootFs.upper;
      // mount points and seeded files through a writable view, then the container's namespace (maybe read-only): root_setup.ts
      this.ns = setupStep(() => prepareRoot(this.rootFs, {
        dirs: [
          { path: '/tmp', mode: 0o1777 }, '/dev', '/proc', '/etc', '/sys/fs/cgroup',
          ...spec.mounts.filter((m) => m.kind !== 'proc').map((m) => m.target),
        ],
        seed: (view) => {
          writeFile(view, '/etc/hostname', new TextEncoder().encode(`${spec.hostname}\n`));
          for (const f of spec.files ?? []) writeFile(view, f.path, f.data);
        },
        readonly: spec.readonlyRoot,
      }));
      // /dev files are capped by devfs and charged to the container through the upper's account.
      this.ns.mount('/dev', createDevFs(host, { parentAccount: this.upper.account }));
      this.ns.mount('/proc', new ProcFs(this.kernel.procSource({
        hostname: spec.hostname, mounts: () => this.ns.mounts(), memoryLimit: spec.memoryMax ?? undefined,
      }), host));
      this.ns.mount('/sys/fs/cgroup', new CgroupFs(this.cgroupSource(), host), { readonly: true });
      for (const m of spec.mounts) {
        if (m.kind === 'tmpfs') {
          this.ns.mount(m.target, new TmpFs(host, { mode: 0o1777, limit: m.sizeBytes, source: 'tmpfs', parentAccount: this.upper.account }), { readonly: m.readonly });
        } else if (m.kind === 'bind') {
          if (!host.hostfs) throw new SandboxError('EINVAL', `bind mount of ${m.source}: this host has no host directories (browser)`);
          let fs: HostFsMount;
          try {
            fs = new HostFsMount(host.hostfs, m.source, host, { readonly: m.readonly, uidMappings: spec.uidMappings, gidMappings: spec.gidMappings });
          } catch (e) {
            throw new SandboxError('ENOENT', `bind mount ${m.source} → ${m.target}: ${m.source} cannot be used (${(e as Error).message})`);
          }
          this.owned.push(fs);
          this.ns.mount(m.target, fs, { readonly: m.readonly });
        }
      }
      this.lowers = lowers;
    } catch (e) {
      this.close();
      throw e;
    }
    this.base = upperBaseline(this.upper);
  }

  /** Close the host handles of the container's --rootfs and binds (it is gone); a Sentry-held layer stays open. */
  close(): void {
    for (const r of this.owned.splice(0)) {
      try {
        r.close();
      } catch (e) {
        this.kernel.host.logBug(`closing host handles of container ${this.id}`, e);
      }
    }
  }

  private cgroupSource(): CgroupSource {
    return {
      memoryMax: () => this.spec.memoryMax,
      memoryCurrent: () => this.memoryCurrent(),
      memoryPeak: () => Math.max(this.peak, this.memoryCurrent()),
      memoryEvents: () => ({ ...this.events }),
      pidsMax: () => this.spec.pidsMax,
      pidsCurrent: () => this.liveCount(),
      pids: () => this.livePids(),
    };
  }

  /** Bytes charged to the memory cgroup: guest memories plus the upper layer. */
  memoryCurrent(): number {
    let n = this.upper.bytesUsed;
    for (const t of this.tasks.values()) n += t.memBytes;
    return n;
  }

  /** Record a task's guest memory size (reported by its app worker when it changes). */
  chargeMemory(pid: number, bytes: number): void {
    const t = this.tasks.get(pid);
    if (t) t.memBytes = bytes;
    const cur = this.memoryCurrent();
    if (cur > this.peak) this.peak = cur;
    const max = this.spec.memoryMax;
    if (max !== null && cur >= max - 65536) this.events.max++;
  }

  /** True if memory.current exceeds memory.max (the OOM killer's test). */
  overLimit(): boolean {
    const max = this.spec.memoryMax;
    if (max === null) return false;
    const cur = this.memoryCurrent();
    if (cur > this.peak) this.peak = cur;
    return cur > max;
  }

  /** Count an OOM kill in memory.events. */
  noteOomKill(): void {
    this.events.oom++;
    this.events.oom_kill++;
  }

  /** Create a task for `proc` (EAGAIN past pids.max); `windows` flow-control its stdout and stderr (see ConsoleWindow). */
  spawn(proc: ProcessSpec, channelId: number, out: (fd: 1 | 2, data: Uint8Array) => void, windows?: readonly [ConsoleWindow, ConsoleWindow]): SandboxTask {
    if (this.spec.pidsMax !== null && this.liveCount() >= this.spec.pidsMax) {
      throw new SandboxError('EAGAIN', `pids.max (${this.spec.pidsMax}) reached: cannot start another process`);
    }
    const init = this.kernel.pids().length === 0;
    // init's working directory is part of the container's setup (made even in a read-only root); a later process's is made only where writable
    setupStep(() => init ? makeWorkdir(this.rootFs, this.ns, proc.cwd) : mkdirs(this.ns, proc.cwd));
    const task = this.kernel.createTask({ pathOps: this.ns.pathOps }, {
      ppid: init ? 0 : 1,
      uid: proc.uid, gid: proc.gid, args: proc.args, env: proc.env, cwd: proc.cwd, fdLimit: proc.nofile,
    });
    const pipe = new Pipe();
    pipe.openHostWriter();
    if (proc.stdio.stdin === 'null') pipe.hostClose();
    const tty = proc.stdio.tty === true;
    installStdio(
      task,
      { file: pipe.readEnd({ filetype: tty ? FileType.CHARACTER_DEVICE : FileType.UNKNOWN }), tty },
      { file: new ConsoleFile({ isTty: tty, write: (d) => out(1, d.slice()), window: windows?.[0] }, 'stdout'), tty },
      { file: new ConsoleFile({ isTty: tty, write: (d) => out(2, d.slice()), window: windows?.[1] }, 'stderr'), tty },
    );
    installPreopens(task, this.ns, proc.cwd, this.spec.mounts.filter((m) => m.kind === 'bind').map((m) => m.target));
    const rec: SandboxTask = { task, channelId, stdin: proc.stdio.stdin === 'pipe' ? pipe : null, memBytes: 0 };
    task.memoryBytes = () => rec.memBytes;
    this.tasks.set(task.pid, rec);
    return rec;
  }

  /** Tasks that have not ended (pids.current). */
  liveCount(): number {
    let n = 0;
    for (const t of this.tasks.values()) if (t.task.exitStatus === null) n++;
    return n;
  }

  /** Pids of tasks that have not ended. */
  livePids(): number[] {
    return [...this.tasks].filter(([, t]) => t.task.exitStatus === null).map(([p]) => p).sort((a, b) => a - b);
  }

  /** Forget an ended task. */
  reap(pid: number): void {
    this.tasks.delete(pid);
    this.kernel.reap(pid);
  }

  /** Feed stdin of `pid`; null closes it. */
  writeStdin(pid: number, data: Uint8Array | null): void {
    const t = this.tasks.get(pid);
    if (!t) throw new SandboxError('ESRCH', `no process ${pid} in container ${this.id}`);
    if (!t.stdin) throw new SandboxError('EINVAL', `process ${pid} was not started with an open stdin`);
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
    const cur = this.memoryCurrent();
    if (cur > this.peak) this.peak = cur;
    return {
      memoryCurrent: cur, memoryPeak: this.peak, memoryMax: this.spec.memoryMax, memoryEvents: { ...this.events },
      pidsCurrent: this.liveCount(), pidsMax: this.spec.pidsMax, syscalls: this.syscalls,
    };
  }

  /**
   * Paths added, changed and deleted since the container was created (like
   * `podman diff`), as a wire record (`diffPaths`). Linear in the upper's
   * entries; awaits `pause` between slices so the Sentry serves other work.
   */
  diff(pause?: () => Promise<void>): Promise<DiffWire> {
    return diffUpper(this.upper, this.lowers, this.base, pause);
  }
}

/** A root setup step, its RootSetupError (a file in the way, a read-only mount) as EINVAL. */
function setupStep<T>(step: () => T): T {
  return rootSetupStep(step, (m) => new SandboxError('EINVAL', m));
}

/** The overlay's lower layers, top first: a host directory, or layers the Sentry holds. */
function lowerLayers(host: Host, spec: SandboxSpec, layers: ReadonlyMap<string, LayerTree>): LayerTree[] {
  const r = spec.rootfs;
  if (!r) return [];
  if (r.kind === 'host') {
    if (!host.hostfs) throw new SandboxError('EINVAL', 'a host directory rootfs needs host file access, which this host lacks (browser)');
    try {
      if (host.hostfs.lstat(r.path).kind !== 'dir') throw E.NOTDIR;
      const tree = layerTreeFromHost(host.hostfs, r.path);
      if (spec.uidMappings.length > 0 || spec.gidMappings.length > 0) remapOwners(tree.root, spec.uidMappings, spec.gidMappings);
      return [tree];
    } catch (e) {
      throw new SandboxError('ENOENT', `rootfs ${r.path} cannot be used: ${(e as Error).message}`);
    }
  }
  return r.ids.map((id) => {
    const t = layers.get(id);
    if (!t) throw new SandboxError('ENOENT', `layer ${id} was not loaded into this Sentry`);
    return t;
  });
}

/** Unmapped host ids show as the overflow id, as Linux does. */
const OVERFLOW_ID = 65534;

/** Host id → container id through OCI mappings (identity when there are none). */
export function toContainerId(maps: readonly IdMapping[], hostId: number): number {
  if (maps.length === 0) return hostId;
  for (const m of maps) if (hostId >= m.hostID && hostId < m.hostID + m.size) return m.containerID + (hostId - m.hostID);
  return OVERFLOW_ID;
}

/**
 * User namespace: a host directory's owners seen from the container. The
 * tree was built for this container alone, so it is rewritten in place. A
 * node whose owner or group has no mapping is marked `unmapped`: container
 * root has no override on it (as on a bind's host files). Iterative: a host
 * tree can be deeper than the stack.
 */
function remapOwners(top: LayerDir, uids: readonly IdMapping[], gids: readonly IdMapping[]): void {
  const seen = new Set<LayerNode>();
  const todo: LayerDir[] = [top];
  const remap = (n: Exclude<LayerNode, { kind: 'whiteout' }>) => {
    if (seen.has(n)) return; // a hard link: one node under several names
    seen.add(n);
    const uid = toContainerId(uids, n.uid);
    const gid = toContainerId(gids, n.gid);
    if (!isMapped(uids, n.uid) || !isMapped(gids, n.gid)) n.unmapped = true;
    n.uid = uid;
    n.gid = gid;
  };
  remap(top);
  while (todo.length > 0) {
    for (const n of todo.pop()!.entries.values()) {
      if (n.kind === 'whiteout') continue;
      const fresh = !seen.has(n);
      remap(n);
      if (fresh && n.kind === 'dir') todo.push(n);
    }
  }
}

/** True if host id `hostId` has a mapping (always, without mappings). */
function isMapped(maps: readonly IdMapping[], hostId: number): boolean {
  return maps.length === 0 || maps.some((m) => hostId >= m.hostID && hostId < m.hostID + m.size);
}

function writeFile(ns: MountNamespace, path: string, data: Uint8Array): void {
  const dir = path.slice(0, path.lastIndexOf('/'));
  if (dir) mkdirs(ns, dir);
  const f = ns.pathOps.open(SETUP, ns.rootHandle(), path, {
    oflags: OFlags.CREAT | OFlags.TRUNC, fdflags: 0, followSymlinks: true, mode: { read: false, write: true },
  });
  try {
    f.write(data);
  } finally {
    f.release();
  }
}

