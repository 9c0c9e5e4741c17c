/**
 * The container builder: ONE place that turns a checked OCI config
 * (`toContainerSpec`'s spec) and a root source into a container, whatever
 * platform then runs it. The inline `runWasm` (kernel in the app's own
 * thread), the Sentry's `KernelContainer` (kernel worker, many processes) and the
 * browser smoke worker all call `buildContainer`, so that a guest sees the
 * same thing on every platform:
 *
 *  - the root: an overlay whose read-only lowers are a host directory
 *    (`--rootfs`, owners remapped through the user namespace) above image
 *    layers, either or both, under a private in-memory upper; with neither,
 *    that in-memory tmpfs alone (named overlay, as an overlay over nothing
 *    shows just its upper);
 *  - mount points, `/etc/hostname` and seeded files made first, then the
 *    namespace (read-only root if asked): root_setup.ts;
 *  - `/dev` (devtmpfs), `/proc` (hostname, meminfo under memory.max),
 *    `/sys/fs/cgroup` (read-only), the config's tmpfs and bind mounts (in
 *    its order; binds see host owners through the id mappings; a bind of
 *    one host file mounts on a file, made empty if absent);
 *  - one cgroup (container_cgroup.ts) charged with every in-memory file
 *    and each task's linear memory;
 *  - `createTask`: a task with its working directory, stdio on fds 0-2 and
 *    the preopens (root_setup.ts), the same for init and later processes.
 *
 * The module is loaded apart (module_loader.ts): the inline platform runs
 * it on this thread, the sentry platform in an app worker. Errors are
 * `BuildError`s, which each platform words as its own (a CLI flag, a
 * config.json field). Isomorphic (no node:*): the Sentry worker and the
 * browser run it.
 */
import { seedUpper } from './seed_upper.js';
import { E } from '../../kernel/errno.js';
import type { Cgroup } from '../../kernel/cgroup/cgroup.js';
import { CgroupFs } from '../../kernel/cgroup/cgroupfs.js';
import type { IoController } from '../../kernel/cgroup/io.js';
import type { MemoryController } from '../../kernel/cgroup/memory.js';
import { createDevFs } from '../../kernel/fs/devfs.js';
import { layerTreeFromHost } from '../../kernel/fs/host_layer.js';
import { HostFsMount } from '../../kernel/fs/hostfs.js';
import type { LayerTree } from '../../kernel/fs/layer_tree.js';
import { OverlayFs } from '../../kernel/fs/overlay.js';
import { ProcFs } from '../../kernel/fs/procfs.js';
import { TmpFs } from '../../kernel/fs/tmpfs.js';
import type { Host } from '../../kernel/host.js';
import { Kernel } from '../../kernel/kernel.js';
import { SeccompFilter, seccompLine } from '../../kernel/seccomp/filter.js';
import { limitedLog } from '../../kernel/seccomp/log_limit.js';
import { installStdio, type StdioFile } from '../../kernel/task/stdio.js';
import type { Task } from '../../kernel/task/task.js';
import { MountNamespace } from '../../kernel/vfs/mount_ns.js';
import { FileType } from '../../kernel/vfs/types.js';
import type { ProcessSpec, ContainerSpec } from '../sentry/control_plane.js';
import { ContainerCgroup, type FileLimitPolicy } from './container_cgroup.js';
import { remapOwners } from './id_mapping.js';
import { installPreopens, makeWorkdir, mkdirs, prepareRoot, RootSetupError, SETUP } from './root_setup.js';

const ENC = new TextEncoder();

/** The root's read-only lowers: a host directory (Node) above image layers (top first); either, both or neither. */
export interface RootSource {
  /** Host directory, never modified (its owners are remapped through the id mappings). */
  hostPath?: string;
  /** Unpacked image layers, top first. */
  layers?: readonly LayerTree[];
  /** A restarted container's kept writable layer, copied into the upper first (seed_upper.ts). */
  seed?: LayerTree;
}

/** Why a container could not be built; `code` is stable, the fields let each platform word it. */
export class BuildError extends Error {
  constructor(
    readonly code: 'NO_HOST_FILES' | 'ROOTFS' | 'BIND' | 'MOUNT' | 'SETUP',
    message: string,
    /** The host path or container path concerned. */
    readonly path: string,
    /** The bind mount concerned (BIND, MOUNT). */
    readonly bind?: { source: string; target: string },
    /** The kernel error behind it (E.NOENT, E.NOTDIR...), if any. */
    readonly errno?: unknown,
  ) {
    super(message);
    this.name = 'BuildError';
  }
}

/** Options of `buildContainer`. */
export interface BuildOptions {
  /** The root's lowers (default: none, an empty root). */
  root?: RootSource;
  /** When a file write past memory.max is stopped (container_cgroup.ts; default 'oom-kill'). */
  fileLimit?: FileLimitPolicy;
  /**
   * The operator log of seccomp denials, kills and LOGs: one line each
   * (`seccompLine`, the platform adds the container id), at most 50 at once
   * and 10 a second after that (log_limit.ts); all are counted in stats.
   */
  onSeccomp?: (line: string) => void;
  /** The parent cgroup (a tenant's or pod's, kernel/cgroup): its limits bind this container's sum with its siblings'. */
  parentCgroup?: Cgroup;
}

/** A task's stdio files (fds 0, 1, 2). */
export interface TaskStdio {
  stdin: StdioFile;
  stdout: StdioFile;
  stderr: StdioFile;
}

/** A built container: its kernel (own pid namespace), mount namespace, root and cgroup. */
export class BuiltContainer {
  /** The container's kernel: its own pid namespace (init is pid 1). */
  readonly kernel: Kernel;
  /**
   * The root filesystem: an overlay over `lowers`; with no lowers, its
   * upper alone. An overlay over nothing shows exactly its upper, and the
   * merge layer costs a fifth of a container's start, so that root is the
   * tmpfs itself, named overlay in /proc/mounts as the overlay was.
   */
  rootFs!: OverlayFs | TmpFs;
  /** The root's private upper layer (what `diff` walks; the root itself when there are no lowers). */
  upper!: TmpFs;
  /** Paths (`/a/b`) the seed made in the upper: the container's changes, not part of the baseline. */
  seeded: ReadonlySet<string> = new Set();
  /** The container's mount namespace. */
  ns!: MountNamespace;
  /** The root's lowers, top first. */
  readonly lowers: readonly LayerTree[];
  /** Memory and pids accounting, shown under /sys/fs/cgroup. */
  readonly cgroup: ContainerCgroup;
  /** The seccomp profile as the dispatcher's filter, with its counters (null: unconfined). */
  readonly seccomp: SeccompFilter | null = null;

  /** Targets of the directory binds (preopened under their paths; a single-file bind is not a directory to preopen). */
  private bindDirs: string[] = [];

  /** Host handles this container opened (its --rootfs tree, its binds): closed by `close`. */
  private readonly owned: { close(): void }[] = [];

  /** Use `buildContainer`. */
  constructor(host: Host, readonly spec: ContainerSpec, opts: BuildOptions) {
    this.kernel = new Kernel(host);
    this.cgroup = new ContainerCgroup(spec.memoryMax, spec.pidsMax, opts.fileLimit ?? 'oom-kill', () => this.livePids(), spec.cpu, opts.parentCgroup);
    // memory.high (OCI memory.reservation, --memory-reservation): the memory controller parks allocations above it, on the kernel's clock
    const mem = this.cgroup.cgroup.controller<MemoryController>('memory')!;
    mem.clock = () => host.monotonicNs();
    if (spec.memoryHigh !== undefined) this.cgroup.cgroup.set('memory.high', String(spec.memoryHigh));
    if (spec.seccomp !== undefined) {
      // the dispatcher's one filter hook: every call of every task of this container passes it
      const log = opts.onSeccomp && limitedLog(opts.onSeccomp, () => host.monotonicNs());
      this.seccomp = new SeccompFilter(spec.seccomp, log && ((e) => log(seccompLine(e))));
      this.kernel.dispatcher.setFilter(this.seccomp.filter, this.seccomp.calls);
    }
    // A failed build closes the host handles it opened (close, below).
    try {
      this.lowers = this.build(host, spec, opts);
    } catch (e) {
      this.close();
      throw e;
    }
  }
  private build(host: Host, spec: ContainerSpec, opts: BuildOptions): LayerTree[] {
    const lowers = lowerLayers(host, spec, opts.root ?? {});
    // a --rootfs tree was built for this container alone: it is this container's to close
    if (opts.root?.hostPath !== undefined && lowers[0]?.close) this.owned.push({ close: lowers[0].close });
    if (lowers.length > 0) {
      // the upper's own limit (--storage-opt size=) below the container's memory account: the storage quota
      // a seed goes in before the overlay exists: its directories merge their children once
      const seed = opts.root?.seed;
      const upper = seed && new TmpFs(host, { limit: spec.upperLimit, parentAccount: this.cgroup.memory, source: 'overlay' });
      if (seed && upper) this.seeded = seeding(upper, seed);
      this.rootFs = new OverlayFs(lowers, host, { parentAccount: this.cgroup.memory, limit: spec.upperLimit, upper: upper || undefined });
      this.upper = this.rootFs.upper;
    } else {
      this.upper = this.rootFs = new TmpFs(host, { fsType: 'overlay', source: 'overlay', parentAccount: this.cgroup.memory, limit: spec.upperLimit });
      if (opts.root?.seed) this.seeded = seeding(this.upper, opts.root.seed);
    }
    // io.stat / io.max: the upper's file I/O, on the kernel's clock; the device is the upper's
    const io = this.cgroup.cgroup.controller<IoController>('io')!;
    io.clock = () => host.monotonicNs();
    io.device = `0:${this.upper.sb.dev}`;
    this.upper.io = io;
    if (spec.ioMax !== undefined) this.cgroup.cgroup.set('io.max', `${io.device} ${spec.ioMax}`);
    // the binds' host sources first: a file's mount point is a file, a directory's a directory
    const binds = this.openBinds(host, spec);
    const isFile = (m: ContainerSpec['mounts'][number]) => binds.get(m)?.dirs === null;
    const files = [{ path: '/etc/hostname', data: ENC.encode(`${spec.hostname}\n`) }, ...(spec.files ?? [])];
    // a seeded file stays a file: a directory mounted there fails on it, clearly, rather than on writing the file
    const seeded = new Set(files.map((f) => f.path));
    // mount points and seeded files through a writable view, then the container's namespace (maybe read-only): root_setup.ts
    this.ns = setup(() => prepareRoot(this.rootFs, {
      dirs: [
        { path: '/tmp', mode: 0o1777 }, '/dev', '/proc', '/etc', '/sys/fs/cgroup',
        ...spec.mounts.filter((m) => m.kind !== 'proc' && !isFile(m) && !seeded.has(m.target)).map((m) => m.target),
      ],
      files,
      mountFiles: spec.mounts.filter(isFile).map((m) => m.target),
      readonly: spec.readonlyRoot,
    }));
    this.bindDirs = spec.mounts.filter((m) => m.kind === 'bind' && !isFile(m)).map((m) => m.target);
    // /dev is a writable tmpfs (as in podman), capped by devfs and charged to the container
    this.ns.mount('/dev', createDevFs(host, { parentAccount: this.cgroup.memory }));
    this.ns.mount('/proc', new ProcFs(this.kernel.procSource({
      hostname: spec.hostname, mounts: () => this.ns.mounts(), memoryLimit: spec.memoryMax ?? undefined,
    }), host));
    this.ns.mount('/sys/fs/cgroup', new CgroupFs(this.cgroup.cgroup, host), { readonly: true });
    for (const m of spec.mounts) {
      if (m.kind === 'tmpfs') {
        const fs = new TmpFs(host, { mode: 0o1777, limit: m.sizeBytes, source: 'tmpfs', parentAccount: this.cgroup.memory });
        mountOn(this.ns, m.target, fs, m.readonly);
      } else if (m.kind === 'bind') {
        const bind = { source: m.source, target: m.target };
        const fs = binds.get(m)!;
        checkMountpoint(this.ns, fs, bind);
        mountOn(this.ns, m.target, fs, m.readonly, bind);
      }
    }
    return lowers;
  }

  /** Open each bind's host source (a directory or one file), in the config's order; the container owns them. */
  private openBinds(host: Host, spec: ContainerSpec): Map<ContainerSpec['mounts'][number], HostFsMount> {
    const binds = new Map<ContainerSpec['mounts'][number], HostFsMount>();
    for (const m of spec.mounts) {
      if (m.kind !== 'bind') continue;
      const bind = { source: m.source, target: m.target };
      if (!host.hostfs) throw new BuildError('NO_HOST_FILES', `bind mount of ${m.source}: this host has no host directories (browser)`, m.source, bind);
      let fs: HostFsMount;
      try {
        fs = new HostFsMount(host.hostfs, m.source, host, { readonly: m.readonly, uidMappings: spec.uidMappings, gidMappings: spec.gidMappings, stableIds: host.stableIds === true });
      } catch (e) {
        throw new BuildError('BIND', `bind mount ${m.source} → ${m.target}: ${m.source} cannot be used (${(e as Error).message})`, m.source, bind, e);
      }
      // io.stat / io.max: a bind's file I/O counts as the container's, as the upper's does
      fs.io = this.cgroup.cgroup.controller<IoController>('io')!;
      this.owned.push(fs);
      binds.set(m, fs);
    }
    return binds;
  }

  /** Close the host handles of the container's --rootfs and binds (it is gone); shared image layers stay open. */
  close(): void {
    this.cgroup.leave();
    for (const r of this.owned.splice(0)) {
      try {
        r.close();
      } catch (e) {
        this.kernel.host.logBug(`closing host handles of a container`, e);
      }
    }
  }

  /**
   * Create a task for `proc` with `stdio` on fds 0-2 and its preopens.
   * The first task is init (pid 1): its working directory is part of the
   * container's setup (made even in a read-only root); a later task's is
   * made only where writable. The caller checks `cgroup.canSpawn()` first.
   */
  createTask(proc: ProcessSpec, stdio: TaskStdio): Task {
    const init = this.kernel.pids().length === 0;
    setup(() => init ? makeWorkdir(this.rootFs, this.ns, proc.cwd) : mkdirs(this.ns, proc.cwd));
    const task = this.kernel.createTask({ pathOps: this.ns.pathOps }, {
      ppid: init ? 0 : 1,
      uid: proc.uid, gid: proc.gid, args: proc.args, env: proc.env, cwd: proc.cwd, fdLimit: proc.nofile,
    });
    installStdio(task, stdio.stdin, stdio.stdout, stdio.stderr);
    installPreopens(task, this.ns, proc.cwd, this.bindDirs);
    const pid = task.pid;
    task.memoryBytes = () => this.cgroup.linearBytes(pid);
    return task;
  }

  /** Forget an ended task: its pid and its linear memory's charge. */
  reap(pid: number): void {
    this.cgroup.release(pid);
    this.kernel.reap(pid);
  }

  /** Pids of tasks that have not ended. */
  livePids(): number[] {
    return this.kernel.pids().filter((p) => this.kernel.task(p)?.exitStatus === null);
  }
}

/** Build the container `spec` describes over the root `opts.root`. Throws BuildError. */
export function buildContainer(host: Host, spec: ContainerSpec, opts: BuildOptions = {}): BuiltContainer {
  return new BuiltContainer(host, spec, opts);
}

/** A root setup step, its RootSetupError (a file in the way, a read-only mount) as a BuildError. */
function setup<T>(step: () => T): T {
  try {
    return step();
  } catch (e) {
    if (e instanceof RootSetupError) throw new BuildError('SETUP', e.message, e.path, undefined, e.cause);
    throw e;
  }
}

/**
 * A bind's mount point is what its source is (a file on a file, a
 * directory on a directory), as Linux requires: one clear error otherwise
 * (runc's "not a directory"/"is a directory"). A missing or unreachable
 * mount point is left to `mountOn`'s own error.
 */
function checkMountpoint(ns: MountNamespace, fs: HostFsMount, bind: { source: string; target: string }): void {
  let dir: boolean;
  try {
    dir = ns.pathOps.stat(SETUP, ns.rootHandle(), bind.target, true).filetype === FileType.DIRECTORY;
  } catch {
    return;
  }
  const file = fs.dirs === null;
  if (file && dir) {
    throw new BuildError('MOUNT', `${bind.target} is a directory in the container and ${bind.source} a file: a file mounts only on a file (or a new path)`, bind.target, bind, E.ISDIR);
  }
  if (!file && !dir) {
    throw new BuildError('MOUNT', `${bind.target} is a file in the container and ${bind.source} a directory: a directory mounts only on a directory (or a new path)`, bind.target, bind, E.NOTDIR);
  }
}

function mountOn(ns: MountNamespace, target: string, fs: TmpFs | HostFsMount, readonly: boolean, bind?: { source: string; target: string }): void {
  try {
    ns.mount(target, fs, { readonly });
  } catch (e) {
    throw new BuildError('MOUNT', `cannot mount on ${target} (${(e as Error).message})`, target, bind, e);
  }
}

/** The overlay's lowers, top first: the host directory (remapped under a user namespace), then the layers. */
/** Seed `upper` from a kept layer; a layer over the container's memory is one line saying what to do. */
function seeding(upper: TmpFs, seed: LayerTree): Set<string> {
  try {
    return seedUpper(upper, seed);
  } catch (e) {
    throw new BuildError('SETUP', `the container's kept writable layer (${seed.bytes} bytes of files) does not fit in its memory limit (${(e as Error).message ?? e}): start it with a higher limit, or rm it`, '/');
  }
}

function lowerLayers(host: Host, spec: ContainerSpec, root: RootSource): LayerTree[] {
  const lowers = [...(root.layers ?? [])];
  const path = root.hostPath;
  if (path === undefined) return lowers;
  if (!host.hostfs) throw new BuildError('NO_HOST_FILES', 'a host directory rootfs needs host file access, which this host lacks (browser)', path);
  let tree: LayerTree;
  try {
    if (host.hostfs.lstat(path).kind !== 'dir') throw E.NOTDIR;
    tree = layerTreeFromHost(host.hostfs, path);
  } catch (e) {
    throw new BuildError('ROOTFS', `rootfs ${path} cannot be used: ${(e as Error).message}`, path, undefined, e);
  }
  if (spec.uidMappings.length > 0 || spec.gidMappings.length > 0) remapOwners(tree.root, spec.uidMappings, spec.gidMappings);
  return [tree, ...lowers];
}
