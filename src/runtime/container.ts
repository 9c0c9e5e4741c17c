/**
 * A container: OCI lifecycle over a Sentry. Each operation is short:
 * check the guard, act through the control plane, update the status.
 * Processes (init and exec'd ones) each run in an app worker from the
 * runtime's pool; the Sentry's events (output, exits) drive their streams
 * and the status.
 */
import { Signal } from '../../kernel/abi/wasi.js';
import type { CgroupStats, DiffEntry, ProcessSpec, SpawnResult } from '../sentry/control_plane.js';
import { toProcess, type OciProcess } from './config.js';
import type { ModuleSource } from './module_loader.js';
import { ContainerProcess, waitResultOf } from './process.js';
import { diffPaths } from './tree_diff.js';
import type { TarEntry } from '../image/build/tar_writer.js';
import type { TraceEntry } from '../testing/trace.js';
import {
  ContainerError, canDelete, canExec, canInspect, canKill, canPause, canResume, canStart, requireState,
  type ContainerStatus, type WaitResult,
} from './status.js';
import type { SentryHandle } from '../sentry/worker_host.js';

/** What a container needs from its runtime. */
export interface ContainerHost {
  /** Start `pid`'s task in an app worker. */
  launch(c: Container, proc: ContainerProcess, module: WebAssembly.Module, spawn: { channel: SharedArrayBuffer; channelId: number }): void;
  /** Stop a process's app worker now (it may be busy in guest code). */
  stopWorker(proc: ContainerProcess): void;
  /** Forget a deleted container. */
  forget(c: Container): void;
  /** Compile (or fetch from cache) a module for this container. */
  compile(src: ModuleSource, memoryMax: number | null): Promise<WebAssembly.Module>;
  /** `bytes` of output of `pid`'s `fd` were delivered: acknowledge them to the Sentry (batched). */
  ackOutput(c: Container, pid: number, fd: 1 | 2, bytes: number): void;
}

/** How a container's processes keep their output (see `OutputStream`). */
export interface CaptureOptions {
  /** Keep output for `stdout.text()`. */
  capture: boolean;
  /** Bytes kept per stream (default 16 MiB); past it `truncated` is set. */
  captureLimit?: number;
}

/** A module given as bytes, a compiled module, or (Node) a file path (module_loader.ts). */
export type { ModuleSource } from './module_loader.js';

/** Options of `exec`. */
export interface ExecOptions {
  /** Module to run (default: the container's). */
  module?: ModuleSource;
  process?: OciProcess;
  /** 'pipe' to write stdin, 'null' for EOF (default 'null'). */
  stdin?: 'pipe' | 'null';
  /** Keep output for `stdout.text()` (default true). */
  capture?: boolean;
  /** Bytes kept per stream by `capture` (default: the container's, 16 MiB unless set at create). */
  captureLimit?: number;
}

/** Signal names and numbers accepted by `kill`. */
export function signalNumber(sig: string | number): number {
  if (typeof sig === 'number') {
    if (!Number.isInteger(sig) || sig < 1 || sig > 30) throw new ContainerError('INVALID_CONFIG', `unknown signal ${sig}`);
    return sig;
  }
  const name = sig.toUpperCase().replace(/^SIG/, '');
  const n = (Signal as Record<string, number>)[name];
  if (n === undefined || n === 0) throw new ContainerError('INVALID_CONFIG', `unknown signal ${sig}`);
  return n;
}

/** One container. */
export class Container {
  private st: ContainerStatus = { state: 'created' };
  readonly processes = new Map<number, ContainerProcess>();
  private initProc: ContainerProcess | null = null;
  /** Set by the runtime when the Sentry hosting this container died: nothing is left to ask it. */
  sentryLost = false;
  private readonly stopped: Promise<WaitResult>;
  private readonly capture: CaptureOptions;
  private resolveStopped!: (r: WaitResult) => void;

  constructor(
    readonly id: string,
    private readonly host: ContainerHost,
    readonly sentry: SentryHandle,
    private readonly module: WebAssembly.Module,
    private readonly initSpec: ProcessSpec,
    readonly memoryMax: number | null,
    capture: boolean | CaptureOptions,
    /** OCI annotations, kept as given. */
    readonly annotations: Readonly<Record<string, string>> = {},
  ) {
    this.stopped = new Promise((r) => { this.resolveStopped = r; });
    this.capture = typeof capture === 'boolean' ? { capture } : capture;
  }

  /** Current status. */
  get status(): ContainerStatus {
    return this.st;
  }

  /** The init process (after start). */
  get init(): ContainerProcess {
    if (!this.initProc) throw new ContainerError('WRONG_STATE', `container ${this.id} has not been started`);
    return this.initProc;
  }

  /** Start the init process (pid 1). */
  async start(): Promise<void> {
    return this.startWith(null);
  }

  /**
   * Start, with the init task already created in the Sentry when `spawned`
   * is given (`Runtime.run` creates and spawns in one control-plane call).
   */
  async startWith(spawned: SpawnResult | null): Promise<void> {
    requireState(canStart, this.st, this.id, 'start', 'a container starts once; create another');
    this.st = { state: 'running', pid: 1 };
    try {
      this.initProc = await this.spawn(this.module, this.initSpec, this.capture, spawned);
    } catch (err) {
      this.st = { state: 'stopped', result: { exitCode: 125, oomKilled: false, reason: (err as Error).message } };
      this.resolveStopped(this.st.result);
      throw err;
    }
  }

  private async spawn(module: WebAssembly.Module, spec: ProcessSpec, capture: CaptureOptions, spawned: SpawnResult | null = null): Promise<ContainerProcess> {
    let r = spawned;
    if (r === null) try {
      r = await this.sentry.api.spawn(this.id, spec);
    } catch (err) {
      const msg = (err as Error).message ?? String(err);
      if (/pids\.max|maximum number/.test(msg)) throw new ContainerError('EAGAIN', msg);
      throw new ContainerError('INTERNAL', msg);
    }
    const pid = r.pid;
    const proc = new ContainerProcess(this.id, pid, this.sentry, {
      ...capture,
      onDelivered: (fd, bytes) => this.host.ackOutput(this, pid, fd, bytes),
    }, spec.stdio.stdin === 'pipe');
    this.processes.set(r.pid, proc);
    this.host.launch(this, proc, module, r);
    return proc;
  }

  /** Called by the runtime when the Sentry reports a process's end. */
  onExit(pid: number, proc: ContainerProcess): void {
    if (pid !== 1 || this.st.state === 'stopped' || this.st.state === 'deleted') return;
    // init ended: the pid namespace ends with it; stop workers still busy in guest code
    for (const p of this.processes.values()) if (p !== proc && !p.workerDone) this.host.stopWorker(p);
    this.st = { state: 'stopped', result: proc.result! };
    this.resolveStopped(proc.result!);
  }

  /** Resolves with init's end (exit code, signal, OOM, trap message). */
  wait(): Promise<WaitResult> {
    if (this.st.state === 'deleted') return Promise.reject(new ContainerError('WRONG_STATE', `container ${this.id} was deleted`));
    return this.stopped;
  }

  /**
   * Send a signal to init (and so, for fatal ones, end every process):
   * TERM/INT/HUP/QUIT/KILL end it with 128+n; STOP/CONT pause and resume.
   */
  async kill(sig: string | number = 'SIGTERM'): Promise<void> {
    requireState(canKill, this.st, this.id, 'kill', 'it is not running');
    const n = signalNumber(sig);
    if (n === Signal.STOP) {
      if (this.st.state === 'running') await this.pause();
      return;
    }
    if (n === Signal.CONT) {
      if (this.st.state === 'paused') await this.resume();
      return;
    }
    if (this.st.state === 'created') {
      const result = waitResultOf({ code: 0, signal: n }, false);
      this.st = { state: 'stopped', result };
      this.resolveStopped(result);
      return;
    }
    const ended = await this.sentry.api.signal(this.id, 1, n);
    for (const pid of ended) {
      const p = this.processes.get(pid);
      if (p && !p.workerDone) this.host.stopWorker(p);
    }
  }

  /** Pause: every task stops at its next syscall. */
  async pause(): Promise<void> {
    requireState(canPause, this.st, this.id, 'pause', 'only a running container can be paused');
    await this.sentry.api.pause(this.id);
    this.st = { state: 'paused', pid: 1 };
  }

  /** Resume a paused container. */
  async resume(): Promise<void> {
    requireState(canResume, this.st, this.id, 'resume', 'only a paused container can be resumed');
    await this.sentry.api.resume(this.id);
    this.st = { state: 'running', pid: 1 };
  }

  /** Run another module (or the same) in this running container: same mounts, filesystem and cgroup; new pid; own stdio. */
  async exec(opts: ExecOptions = {}): Promise<ContainerProcess> {
    requireState(canExec, this.st, this.id, 'exec into', 'start it (or resume it) first');
    const module = opts.module === undefined ? this.module : await this.host.compile(opts.module, this.memoryMax);
    const spec = toProcess(opts.process ?? { args: this.initSpec.args, env: this.initSpec.env }, opts.stdin ?? 'null', 'exec');
    return this.spawn(module, spec, {
      capture: opts.capture ?? true,
      captureLimit: opts.captureLimit ?? this.capture.captureLimit,
    });
  }

  /** Signal one process (by pid in the container). */
  async killProcess(pid: number, sig: string | number = 'SIGTERM'): Promise<void> {
    requireState(canKill, this.st, this.id, 'kill', 'it is not running');
    if (pid === 1) return this.kill(sig);
    const ended = await this.sentry.api.signal(this.id, pid, signalNumber(sig));
    for (const p of ended) {
      const proc = this.processes.get(p);
      if (proc && !proc.workerDone) this.host.stopWorker(proc);
    }
  }

  /** cgroup v2 figures. */
  async stats(): Promise<CgroupStats> {
    requireState(canInspect, this.st, this.id, 'get stats of', 'it was deleted');
    if (this.sentryLost) throw new ContainerError('INTERNAL', `container ${this.id}: its Sentry stopped; no figures are left`);
    return this.sentry.api.stats(this.id);
  }

  /** Paths added (A), changed (C) and deleted (D) since creation, like `podman diff`. */
  async diff(): Promise<DiffEntry[]> {
    requireState(canInspect, this.st, this.id, 'diff', 'it was deleted');
    if (this.sentryLost) throw new ContainerError('INTERNAL', `container ${this.id}: its Sentry stopped; its filesystem is gone`);
    return diffPaths(await this.sentry.api.diff(this.id));
  }

  /** Its upper layer as OCI layer tar entries (whiteouts for deletions), for `commit`: running, paused or stopped before delete. */
  async layer(): Promise<TarEntry[]> {
    requireState(canInspect, this.st, this.id, 'commit', 'it was deleted');
    if (this.sentryLost) throw new ContainerError('INTERNAL', `container ${this.id}: its Sentry stopped; its filesystem is gone`);
    return this.sentry.api.layer(this.id);
  }

  /** The syscall trace of every process so far (config annotation org.wasmvisor.testing with `trace`; else []). */
  async trace(): Promise<TraceEntry[]> {
    requireState(canInspect, this.st, this.id, 'trace', 'it was deleted');
    if (this.sentryLost) throw new ContainerError('INTERNAL', `container ${this.id}: its Sentry stopped; its trace is gone`);
    return this.sentry.api.trace(this.id);
  }

  /** Move the container's virtual clock (testing `clock`) forward by `ms` milliseconds; a program reading it sees the jump. */
  async advanceClock(ms: number): Promise<void> {
    requireState(canInspect, this.st, this.id, 'advance the clock of', 'it was deleted');
    if (!(Number.isFinite(ms) && ms >= 0)) throw new ContainerError('INVALID_CONFIG', `advanceClock(${ms}): give milliseconds, 0 or more`);
    try {
      await this.sentry.api.advanceClock(this.id, BigInt(Math.round(ms * 1e6)));
    } catch (e) {
      throw new ContainerError('INVALID_CONFIG', (e as Error).message);
    }
  }

  /** Pids of the container's live processes. */
  async pids(): Promise<number[]> {
    requireState(canInspect, this.st, this.id, 'list processes of', 'it was deleted');
    return this.sentry.api.pids(this.id);
  }

  /** Delete: only when created or stopped, unless `force` (kills it first). */
  async delete(opts: { force?: boolean } = {}): Promise<void> {
    if (opts.force && (this.st.state === 'running' || this.st.state === 'paused')) {
      await this.kill('SIGKILL');
      await this.wait();
    }
    requireState(canDelete, this.st, this.id, 'delete', 'stop it first (kill, or delete with force)');
    for (const p of this.processes.values()) if (!p.workerDone) this.host.stopWorker(p);
    if (!this.sentryLost) await this.sentry.api.destroy(this.id);
    this.st = { state: 'deleted' };
    this.host.forget(this);
  }
}
