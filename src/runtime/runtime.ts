/**
 * The library entry: `Runtime` creates containers on the sentry platform.
 * One Sentry (kernel worker) hosts many containers (`containersPerSentry`),
 * so density costs one app worker per process, not a kernel per container.
 * A pool of warm app workers makes create-to-exit cheap; compiled modules
 * are cached per source and memory limit.
 */
import { hasLazyFiles } from '../../kernel/fs/layer_tree.js';
import type { ExitStatus } from '../../kernel/task/exit.js';
import { transfer } from 'comlink';
import type { AppRun, NetSpec, OutputAck, SentryEvent, SpawnResult } from '../sentry/control_plane.js';
import { toProcess, toContainerSpec, type OciConfig } from './config.js';
import { Container, type ContainerHost, type ModuleSource } from './container.js';
import { defaultMemoryLimit, hostMemoryBytes } from './memory_default.js';
import { loadModule, ModuleLoadError } from './module_loader.js';
import type { RootSource } from './container_builder.js';
import type { ContainerProcess } from './process.js';
import { ContainerError } from './status.js';
import { ContainerGroup, groupSettings, type GroupResources } from './group.js';
import type { AppLimits, AppWorkerHandle, SentryHandle, WorkerHost } from '../sentry/worker_host.js';

/** Options of a Runtime. */
export interface RuntimeOptions {
  /** How workers are started (default: Node worker_threads). */
  workers?: WorkerHost;
  /** Warm idle app workers kept ready (default 2). */
  poolSize?: number;
  /** false: a warm app worker taken by a process is not replaced at once (a sandbox process of one container: its init takes the warm one, an exec starts its own). Default true. */
  refill?: boolean;
  /** Containers per Sentry before another is started (default 512). */
  containersPerSentry?: number;
  /** JS limits of each app worker. */
  appLimits?: AppLimits;
  /** Spin budget of Sentry serve loops, in loads (spin_park.ts; default 20000, about 140 µs; 0 never spins). */
  sentrySpin?: number;
  /** Bytes of a process's stdout or stderr in flight to this host, not yet delivered, before its writes block (default 1 MiB). */
  outputWindow?: number;
  /**
   * The operator log: each seccomp denial, kill or LOG of a container, as
   * `(containerId, line)` (bounded per container: kernel/seccomp/log_limit.ts).
   * Default: a `wasmvisor: seccomp: container ID: …` line on the console's error stream.
   */
  log?: (id: string, line: string) => void;
}

/** Options of `create`. */
export interface CreateOptions {
  /** Container id (default: generated). */
  id?: string;
  /** The module to run as init. */
  module: ModuleSource;
  /** OCI runtime config subset. */
  config?: OciConfig;
  /** 'pipe' to write stdin interactively, 'null' for EOF (default 'null'). */
  stdin?: 'pipe' | 'null';
  /** Keep output for `init.stdout.text()` (default true). */
  capture?: boolean;
  /**
   * Bytes `capture` keeps per stream (default 16 MiB); past it the output
   * is still delivered to readers and listeners but no longer kept, and
   * `stdout.truncated` is set. Also the default of this container's execs.
   */
  captureLimit?: number;
  /**
   * Lowers of the root overlay (container_builder.ts): a host directory
   * (never modified; Node only) above unpacked image layers, top first
   * (shared per Sentry by id); either or both. Default: `config.root.path`
   * as a host directory, else an empty root.
   */
  rootfs?: RootSource;
  /** Files to put in the container's root before start. */
  files?: { path: string; data: Uint8Array | string; mode?: number }[];
  /**
   * Published ports for init: host listeners already bound and handed over
   * (`openPorts` then `handOffPorts`, src/runtime/ports.ts; its port is
   * transferred to the Sentry). The caller frees the host ports after the
   * container (`OpenPorts.net.dispose()`).
   */
  net?: NetSpec;
}

interface SentrySlot {
  handle: SentryHandle;
  containers: number;
  layers: Set<string>;
}

let seq = 0;

/** Runs containers. Call `close()` when done: it stops every worker. */
export class Runtime implements ContainerHost {
  private readonly sentries: SentrySlot[] = [];
  private readonly containers = new Map<string, Container>();
  private readonly bySentry = new Map<SentryHandle, SentrySlot>();
  private readonly idle: AppWorkerHandle[] = [];
  private readonly moduleCache = new WeakMap<object, Map<string, Promise<WebAssembly.Module>>>();
  private readonly pathCache = new Map<string, Promise<WebAssembly.Module>>();
  private closed = false;
  /** Fault injection for tests: the next launched app worker misbehaves this way. */
  nextFault: AppRun['fault'] = undefined;
  private starting: Promise<SentrySlot> | null = null;
  /** The Sentry of each top-level parent cgroup (group.ts): its containers and sub-groups go there. */
  private readonly groupSlots = new Map<string, SentrySlot>();
  /** Output acknowledgements not yet sent, per Sentry (one `ack` call per Sentry per turn). */
  private readonly acks = new Map<SentryHandle, Map<string, OutputAck>>();

  /** Memory budget of a container whose config sets none (memory_default.ts). */
  private memoryDefault: number = defaultMemoryLimit(undefined);

  private constructor(private readonly workers: WorkerHost, private readonly opts: RuntimeOptions) {}

  /** Start a runtime (one Sentry and a pool of warm app workers). */
  static async create(opts: RuntimeOptions = {}): Promise<Runtime> {
    if (opts.outputWindow !== undefined && !(Number.isSafeInteger(opts.outputWindow) && opts.outputWindow >= 4096)) {
      throw new ContainerError('INVALID_CONFIG', `outputWindow must be a whole number of bytes, at least 4096 (PIPE_BUF); got ${opts.outputWindow}`);
    }
    const workers = opts.workers ?? (await import('../host/node_workers.js')).nodeWorkerHost();
    const rt = new Runtime(workers, opts);
    rt.memoryDefault = defaultMemoryLimit(await hostMemoryBytes());
    await rt.sentryFor();
    // the warm app workers boot after the Sentry, not beside it: a sandbox process reports ready sooner, and its
    // worker boots while containerd runs `start` (side by side, create took longer under load: bench/density part 3)
    rt.refill();
    return rt;
  }

  /** Fault injection for tests: crash the Sentry that hosts `c`. */
  async crashSentryOf(c: Container): Promise<void> {
    await c.sentry.api.fault('crash');
  }

  /** Containers that exist (not deleted). */
  list(): Container[] {
    return [...this.containers.values()];
  }

  /**
   * Make a parent cgroup (a tenant's or a pod's; "a/b" nests under "a")
   * whose limits bind the sum of the containers under it: name it as their
   * parent with `linux.cgroupsPath: 'NAME/ctr'` in their config (or
   * runConfig's `cgroupParent`). Calling it again updates the limits.
   */
  async createGroup(name: string, resources: GroupResources = {}): Promise<ContainerGroup> {
    if (this.closed) throw new ContainerError('RUNTIME_CLOSED', 'this runtime was closed; create a new one');
    const settings = groupSettings(resources);
    const slot = await this.slotForGroup(name);
    try {
      await slot.handle.api.createGroup(name, settings);
    } catch (e) {
      throw new ContainerError('INVALID_CONFIG', (e as Error).message);
    }
    return new ContainerGroup(name, slot.handle, () => { if (!name.includes('/')) this.groupSlots.delete(name); });
  }

  /** The Sentry of group `path` (its top-level name's; a new group takes the next Sentry with room). */
  private async slotForGroup(path: string): Promise<SentrySlot> {
    const top = path.split('/')[0]!;
    const known = this.groupSlots.get(top);
    if (known !== undefined && this.sentries.includes(known)) return known;
    const slot = await this.sentryFor();
    this.groupSlots.set(top, slot);
    return slot;
  }

  /** Container by id. */
  get(id: string): Container {
    const c = this.containers.get(id);
    if (!c) throw new ContainerError('NOT_FOUND', `no container ${id}`);
    return c;
  }

  private async sentryFor(): Promise<SentrySlot> {
    const per = this.opts.containersPerSentry ?? 512;
    const s = this.sentries.find((x) => x.containers < per);
    if (s) return s;
    if (this.starting) return this.starting;
    this.starting = (async () => {
      const handle = await this.workers.startSentry({ spinMax: this.opts.sentrySpin, outputWindow: this.opts.outputWindow });
      const slot: SentrySlot = { handle, containers: 0, layers: new Set() };
      handle.onEvents((evs) => this.onEvents(evs));
      handle.onCrash((message) => this.onSentryCrash(handle, message));
      this.sentries.push(slot);
      this.bySentry.set(handle, slot);
      return slot;
    })();
    try {
      return await this.starting;
    } finally {
      this.starting = null;
    }
  }

  private onEvents(evs: SentryEvent[]): void {
    for (const e of evs) {
      if (e.t === 'bug') continue;
      if (e.t === 'seccomp') {
        if (this.opts.log) this.opts.log(e.id, e.line);
        else console.error(`wasmvisor: seccomp: container ${e.id}: ${e.line}`);
        continue;
      }
      const c = this.containers.get(e.id);
      const p = c?.processes.get(e.pid);
      if (!c || !p) continue;
      if (e.t === 'out') (e.fd === 1 ? p.stdout : p.stderr).push(e.data);
      else {
        p.finish(e.status, e.oomKilled);
        c.onExit(e.pid, p);
        this.maybeRelease(c, p);
      }
    }
  }

  /**
   * ContainerHost: output was delivered. Acknowledgements are summed per
   * stream and sent in one `ack` call per Sentry once the current turn
   * (an events batch, or the reads that drained a stream) is done.
   */
  ackOutput(c: Container, pid: number, fd: 1 | 2, bytes: number): void {
    if (c.sentryLost) return;
    let m = this.acks.get(c.sentry);
    if (!m) {
      this.acks.set(c.sentry, (m = new Map()));
      queueMicrotask(() => {
        this.acks.delete(c.sentry);
        void c.sentry.api.ack([...m!.values()]).catch(() => {});
      });
    }
    const key = `${c.id}\0${pid}\0${fd}`;
    const a = m.get(key);
    if (a) a.bytes += bytes;
    else m.set(key, { id: c.id, pid, fd, bytes });
  }

  /** The kernel worker died: every process it served ends; the runtime starts another Sentry for new containers. */
  private onSentryCrash(handle: SentryHandle, message: string): void {
    const slot = this.bySentry.get(handle);
    if (slot) {
      this.sentries.splice(this.sentries.indexOf(slot), 1);
      this.bySentry.delete(handle);
    }
    for (const c of this.containers.values()) {
      if (c.sentry !== handle) continue;
      c.sentryLost = true;
      for (const p of c.processes.values()) {
        if (p.worker && !p.workerDone) {
          p.workerDone = true;
          void p.worker.terminate();
          p.worker = null;
        }
        if (!p.result) {
          p.finish({ code: 137, signal: 9, reason: `the sandbox kernel (Sentry) stopped: ${message}` }, false);
          c.onExit(p.pid, p);
        }
      }
    }
  }

  private maybeRelease(c: Container, p: ContainerProcess): void {
    if (p.result && p.workerDone) void c.sentry.api.release(c.id, p.pid).catch(() => {});
  }

  /** Compile `src` (module_loader.ts), capping its memory at `memoryMax` bytes (cached per source and limit). */
  async compile(src: ModuleSource, memoryMax: number | null): Promise<WebAssembly.Module> {
    const key = String(memoryMax);
    // the default budget is still enforced by the Sentry's OOM killer: only an explicit limit must be written into the module
    // metered always (kernel/meter): pause, cpu.max, cpu.weight and RLIMIT_CPU act on a guest that makes no syscall
    const load = () => loadModule(src, memoryMax, { explicitLimit: memoryMax !== this.memoryDefault, meter: true }).catch((err: unknown) => {
      if (!(err instanceof ModuleLoadError)) throw err;
      throw new ContainerError(err.code === 'NOT_FOUND' ? 'NOT_FOUND' : err.code === 'BAD_OPTION' ? 'INVALID_CONFIG' : 'CANNOT_RUN', err.message);
    });
    if (src instanceof WebAssembly.Module) return load();
    const cache = typeof src === 'string' ? this.pathCache : (this.moduleCache.get(src) ?? this.moduleCache.set(src, new Map()).get(src)!);
    const k = typeof src === 'string' ? `${src}\0${key}` : key;
    let p = cache.get(k);
    if (!p) {
      p = load();
      cache.set(k, p);
      p.catch(() => cache.delete(k));
    }
    return p;
  }

  /** Create a container (state `created`). */
  async create(opts: CreateOptions): Promise<Container> {
    return (await this.createInner(opts, false)).container;
  }

  private async createInner(opts: CreateOptions, spawnInit: boolean): Promise<{ container: Container; spawned: SpawnResult | null }> {
    if (this.closed) throw new ContainerError('RUNTIME_CLOSED', 'this runtime was closed; create a new one');
    const id = opts.id ?? `c${++seq}-${Date.now().toString(36)}`;
    if (this.containers.has(id)) throw new ContainerError('INVALID_CONFIG', `container ${id} already exists`);
    if (opts.captureLimit !== undefined && !(Number.isSafeInteger(opts.captureLimit) && opts.captureLimit >= 0)) {
      throw new ContainerError('INVALID_CONFIG', `captureLimit must be a whole number of bytes ≥ 0 (got ${opts.captureLimit})`);
    }
    const cfg = opts.config ?? {};
    const spec = toContainerSpec(cfg, this.memoryDefault);
    const enc = new TextEncoder();
    spec.files = (opts.files ?? []).map((f) => ({ path: f.path, data: typeof f.data === 'string' ? enc.encode(f.data) : f.data, mode: f.mode }));
    const proc = toProcess(cfg.process, opts.stdin ?? 'null', 'main.wasm');
    const module = await this.compile(opts.module, spec.memoryMax);
    const slot = spec.cgroupParent === undefined ? await this.sentryFor() : await this.slotForGroup(spec.cgroupParent);
    slot.containers++;
    let spawned: SpawnResult | null = null;
    try {
      const rootfs = opts.rootfs ?? (cfg.root?.path ? { hostPath: cfg.root.path } : undefined);
      // the layers and the container go without waiting for each answer (one round trip for all): the Sentry
      // handles its calls in order, each synchronously, and refuses a container naming a layer it does not have
      const adding: Promise<void>[] = [];
      const added: string[] = [];
      for (const t of rootfs?.layers ?? []) {
        if (slot.layers.has(t.id) || added.includes(t.id)) continue;
        if (t.hostPath !== undefined) adding.push(slot.handle.api.addHostLayer(t.id, t.hostPath));
        else if (hasLazyFiles(t)) {
          adding.forEach((a) => a.catch(() => {}));
          throw new Error(`layer ${t.id} reads its files through functions, which cannot be passed to the Sentry worker: give its bytes (Uint8Array data), or a host directory as rootfs: { hostPath }`);
        } else adding.push(slot.handle.api.addLayer(t));
        added.push(t.id);
      }
      if (rootfs) spec.rootfs = { hostPath: rootfs.hostPath, layerIds: (rootfs.layers ?? []).map((t) => t.id) };
      if (opts.net) spec.net = opts.net;
      // the net helper's port moves to the Sentry (a clone would not carry it)
      const sent = opts.net ? transfer(spec, [opts.net.port as unknown as Transferable]) : spec;
      const made = spawnInit ? slot.handle.api.createAndSpawn(id, sent, proc) : slot.handle.api.createContainer(id, sent).then(() => null);
      made.catch(() => {});
      // a layer that failed to load failed the container too: its own error is the one to tell
      await Promise.all(adding);
      for (const lid of added) slot.layers.add(lid);
      spawned = await made;
    } catch (err) {
      slot.containers--;
      throw new ContainerError('INVALID_CONFIG', (err as Error).message);
    }
    const c = new Container(id, this, slot.handle, module, proc, spec.memoryMax,
      { capture: opts.capture ?? true, captureLimit: opts.captureLimit }, cfg.annotations ?? {});
    this.containers.set(id, c);
    return { container: c, spawned };
  }

  /** Create and start (one control-plane round trip); returns the running container. */
  async run(opts: CreateOptions): Promise<Container> {
    const { container, spawned } = await this.createInner(opts, true);
    await container.startWith(spawned);
    return container;
  }

  private refill(): void {
    const want = this.opts.poolSize ?? 2;
    while (!this.closed && this.idle.length < want) this.idle.push(this.workers.startApp(this.opts.appLimits));
  }

  /** ContainerHost: run a process in a pooled app worker. */
  launch(c: Container, proc: ContainerProcess, module: WebAssembly.Module, spawn: { channel: SharedArrayBuffer; channelId: number }): void {
    const i = this.idle.findIndex((x) => x.ready);
    const w = i >= 0 ? this.idle.splice(i, 1)[0]! : this.idle.shift() ?? this.workers.startApp(this.opts.appLimits);
    proc.worker = w;
    const died = (status: ExitStatus) => {
      if (proc.workerDone) return;
      proc.workerDone = true;
      proc.worker = null;
      void c.sentry.api.taskDied(c.id, proc.pid, status).then(() => this.maybeRelease(c, proc), () => {});
    };
    w.onDone((m) => {
      if (m.t === 'ready' || m.pid !== proc.pid || proc.workerDone) return;
      if (m.t === 'error') {
        died({ code: 126, reason: m.message });
        void w.terminate();
        return;
      }
      proc.workerDone = true;
      proc.worker = null;
      this.maybeRelease(c, proc);
      // back to the pool if it is short, else stop it
      if (!this.closed && this.idle.length < 2 * (this.opts.poolSize ?? 2)) this.idle.push(w);
      else void w.terminate();
    });
    w.onFailure((message, oom) => {
      died(oom
        ? { code: 137, signal: 9, reason: `app worker ran out of JS heap (${message})` }
        : { code: 137, signal: 9, reason: message });
    });
    const fault = this.nextFault;
    this.nextFault = undefined;
    w.run({ t: 'run', module, channel: spawn.channel, hub: c.sentry.hub, channelId: spawn.channelId, pid: proc.pid, fault });
    if (this.opts.refill !== false) this.refill();
  }

  /** ContainerHost: stop a process's worker now. */
  stopWorker(proc: ContainerProcess): void {
    const w = proc.worker;
    if (!w || proc.workerDone) return;
    proc.workerDone = true;
    proc.worker = null;
    void w.terminate();
    const c = this.containers.get(proc.containerId);
    if (c) {
      void c.sentry.api.taskDied(c.id, proc.pid, { code: 137, signal: 9, reason: 'killed' })
        .then(() => this.maybeRelease(c, proc), () => {});
    }
  }

  /** ContainerHost: a container was deleted. */
  forget(c: Container): void {
    this.containers.delete(c.id);
    const slot = this.bySentry.get(c.sentry);
    if (slot) slot.containers--;
  }

  /** Stop every container and worker. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const ws: Promise<void>[] = this.idle.splice(0).map((w) => w.terminate());
    for (const c of this.containers.values()) {
      for (const p of c.processes.values()) if (p.worker) ws.push(p.worker.terminate());
    }
    for (const s of this.sentries) ws.push(s.handle.terminate());
    await Promise.allSettled(ws);
  }
}
