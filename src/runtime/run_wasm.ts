/**
 * `runWasm`: run one WASI command module in a fresh single-process
 * container on the inline platform, and return its exit status. The library
 * entry behind `wasmvisor run FILE.wasm`, also used by tests.
 *
 * The container is the one every platform builds: the options become an
 * OCI config (`runConfig`), checked by `toContainerSpec` / `toProcess`, and
 * `buildContainer` makes it (root overlay over --rootfs and/or image
 * layers, /dev, /proc, /sys/fs/cgroup, /etc/hostname, tmpfs, binds with
 * the uid mappings, one memory cgroup); the module comes from the one
 * module loader. What is inline's own: the task runs on this thread, stdio
 * on the host's (or captured), and a file write past `-m` fails with
 * ENOSPC (the cgroup's 'enospc' policy).
 *
 * Working directory: WASI has no chdir and stock wasi-libc starts at `/`
 * with no way to learn another directory. wasi-libc (and Rust's std, which
 * uses it) resolves every path by the longest matching preopen name, with
 * "/" and "." both matching everything, the later preopen winning. So for
 * `workdir` ≠ "/" we preopen, after "/", every top-level directory under its
 * own name ("/etc", "/tmp"...) and then the workdir as "." last: absolute
 * paths under a top-level directory go to it, everything else — relative
 * paths — to the workdir. Limit: a path naming the root itself ("/", "/x"
 * for x not a directory present at start) resolves against the workdir,
 * and getcwd() still says "/". `PWD` is set to the workdir.
 */
import { decideFuel, type FuelPolicy } from '../../kernel/platform/meter.js';
import { randomBytes } from '../host/node_random.js';
import { writeSync } from 'node:fs';
import { totalmem } from 'node:os';
import { E } from '../../kernel/errno.js';
import type { LayerTree } from '../../kernel/fs/layer_tree.js';
import type { Host, HostNet } from '../../kernel/host.js';
import type { NetNamespace } from '../../kernel/fs/socket_ns.js';
import { ModuleError, runInline } from '../../kernel/platform/inline.js';
import { faultHook, FaultRuleError, type FaultRule } from '../../kernel/syscalls/faults.js';
import { ConsoleFile, type ConsoleSink, type ConsoleSource } from '../../kernel/task/console.js';
import { exitCodeOf, TaskExit, type ExitStatus } from '../../kernel/task/exit.js';
import { Pipe } from '../../kernel/task/pipe.js';
import { FileType, type OpenFile } from '../../kernel/vfs/types.js';
import type { IdMapping } from '../sentry/control_plane.js';
import { CaptureSink, createNodeHost, nodeConsoleSink, nodeConsoleSource } from '../host/node_host.js';
import { NodeHostFs } from '../host/node_hostfs.js';
import { toProcess, toContainerSpec } from './config.js';
import { BuildError, buildContainer } from './container_builder.js';
import { defaultMemoryLimit } from './memory_default.js';
import { loadModule, ModuleLoadError } from './module_loader.js';
import { runConfig, runLimits, type BindMount, type RunConfig, type RunConfigOptions } from './run_config.js';
import { ContainerError } from './status.js';
import { type BoundPort, installPorts } from './ports.js';
import { upperBaseline, type UpperBaseline } from './tree_diff.js';
import type { TmpFs } from '../../kernel/fs/tmpfs.js';
import { CodedError } from '../coded_error.js';

export type { BindMount, RunConfig } from './run_config.js';

/** Where a stdio stream goes or comes from. */
export type StdioSpec = 'inherit' | 'capture' | 'null' | ConsoleSink;
/** Where stdin comes from: the host's stdin, nothing (EOF), given bytes, or a source. */
export type StdinSpec = 'inherit' | 'null' | string | Uint8Array | ConsoleSource;

/** Options of `runWasm`. */
export interface RunWasmOptions extends Omit<RunConfigOptions, 'memoryLimit' | 'fdLimit' | 'terminal' | 'file'> {
  /** Path of the .wasm file (or give `module`/`bytes`). */
  file?: string;
  /** Module bytes, if not read from `file`. */
  bytes?: Uint8Array;
  /** true: meter the module's CPU use (kernel/meter) without a cpu limit; a cpu limit (cpu.max, RLIMIT_CPU) meters anyway. */
  meter?: boolean;
  /** A compiled module. */
  module?: WebAssembly.Module;
  /** false: compile `file`/`bytes` without keeping it in the process's compile cache (module_loader.ts), as a process that runs once does (the CLI's run). Default true. */
  moduleCache?: boolean;
  stdin?: StdinSpec;
  stdout?: StdioSpec;
  stderr?: StdioSpec;
  /** Trace syscalls: true → stderr, or a line sink. */
  strace?: boolean | ((line: string) => void);
  /**
   * Memory budget in bytes (`-m`), shared by the module's linear memory
   * and every in-memory file (the root's upper, /tmp, --tmpfs, /dev): the
   * linear memory's maximum is rewritten to it (`memory.grow` fails, malloc
   * returns NULL); a file write that does not fit beside the linear memory
   * fails with ENOSPC; a task whose linear memory grew past what the files
   * leave is OOM-killed at its next call (SIGKILL, exit 137), as the sentry
   * platform does. Default: `defaultMemoryLimit` (memory_default.ts), the
   * same as every other platform's. A compiled `module` keeps its own
   * maximum under the default (the OOM kill still holds).
   */
  memoryLimit?: number;
  /** RLIMIT_NOFILE: fds are numbered below it, EMFILE past it (default 1024, as Linux). At least 4 (stdio and "/"). */
  fdLimit?: number;
  /** Host to use (default: a Node host). */
  host?: Host;
  /**
   * The container already written as its OCI config and root (`runConfig`,
   * as the CLI does once for whichever platform runs it): used instead of
   * the options above that describe the container (args, argv0, env,
   * mounts, rootfs, lowers, workdir, hostname, readOnly, tmpfs, pidsLimit,
   * the id mappings, user, memoryLimit and fdLimit, the last two read
   * back from the config). The module, stdio, strace and host still come
   * from the options.
   */
  config?: RunConfig;
  /**
   * Called once the task has ended, before the container is closed, with
   * the root's private upper layer and what the runtime seeded in it at
   * creation (`build`'s RUN commits it as a layer).
   */
  onUpper?: (upper: TmpFs, baseline: UpperBaseline) => void;
  /** Fault rules (kernel/syscalls/faults.ts, `run --inject`), installed in the container's dispatcher. */
  faults?: readonly FaultRule[];
  /** The container's id in the operator log (default: 12 random hex digits, as podman's short ids). */
  id?: string;
  /**
   * The operator log: each seccomp denial, kill or LOG, one line (bounded:
   * kernel/seccomp/log_limit.ts). Default: `wasmvisor: seccomp: container ID: …` on stderr.
   */
  seccompLog?: (line: string) => void;
  /**
   * Published ports already bound on the host (`openPorts`, ports.ts): the
   * guest gets one preopened listener each, after the preopened
   * directories, and LISTEN_FDS / LISTEN_FDNAMES / LISTEN_FDS_START. The
   * caller disposes of the host side after the run.
   */
  published?: { net: HostNet; ports: readonly BoundPort[] };
}

/** What `runWasm` returns. */
export interface RunWasmResult {
  /** Shell-style exit code (0..255; 128+n for a signal). */
  exitCode: number;
  status: ExitStatus;
  /** Captured output when `stdout`/`stderr` was 'capture'. */
  stdout?: string;
  stderr?: string;
  /** Which captured streams were cut at the capture limit (16 MiB each); absent when none was. */
  truncated?: ('stdout' | 'stderr')[];
}

/** Why `runWasm` could not run the module at all. Codes map to podman exit codes (125/126/127). */
export class RunWasmError extends CodedError<'NOT_FOUND' | 'NOT_WASM' | 'CANNOT_RUN' | 'BAD_OPTION'> {
  override readonly name = 'RunWasmError';
}

function sinkFor(spec: StdioSpec | undefined, fd: 1 | 2): { sink: ConsoleSink; capture?: CaptureSink } {
  if (spec === undefined || spec === 'inherit') return { sink: nodeConsoleSink(fd) };
  if (spec === 'capture') {
    const c = new CaptureSink();
    return { sink: c, capture: c };
  }
  if (spec === 'null') return { sink: { isTty: false, write: () => {} } };
  return { sink: spec };
}

function stdinFile(spec: StdinSpec | undefined): { file: OpenFile; tty: boolean; source?: ConsoleSource } {
  const pipe = new Pipe();
  pipe.openHostWriter();
  if (spec === undefined || spec === 'null') {
    pipe.hostClose();
  } else if ((typeof spec === 'string' && spec !== 'inherit') || spec instanceof Uint8Array) {
    pipe.hostWrite(typeof spec === 'string' ? new TextEncoder().encode(spec) : spec);
    pipe.hostClose();
  } else {
    const src: ConsoleSource = spec === 'inherit' ? nodeConsoleSource(0) : spec;
    pipe.readQueue.syncPump = (timeoutNs) => {
      const data = src.read(65536, timeoutNs);
      if (data === null) return false;
      if (data.byteLength === 0) pipe.hostClose();
      else pipe.hostWrite(data);
      return true;
    };
    const tty = src.isTty;
    return { file: pipe.readEnd({ filetype: tty ? FileType.CHARACTER_DEVICE : FileType.UNKNOWN }), tty, source: src };
  }
  return { file: pipe.readEnd(), tty: false };
}

/** The host's RAM, read once per process (`totalmem` reads /proc/meminfo: tens of µs, a tenth of a start). */
let hostRamBytes: number | undefined;

/** The Node host every `runWasm` without its own shares (stateless but for open host handles, which each container closes): made once. */
let sharedHost: Host | undefined;
function nodeHost(): Host {
  return sharedHost ??= createNodeHost({ hostfs: new NodeHostFs() });
}

/** The container's memory budget: `-m`, else the default of every platform. */
function memoryBudget(memoryLimit: number | undefined): number {
  return memoryLimit ?? defaultMemoryLimit(hostRamBytes ??= totalmem());
}

/** A ModuleLoadError as runWasm's own. */
function moduleError(err: unknown): unknown {
  return err instanceof ModuleLoadError ? new RunWasmError(err.code, err.message) : err;
}

/** A BuildError in the words of the CLI flags that caused it. */
function buildError(e: unknown): unknown {
  if (!(e instanceof BuildError)) return e;
  const why = (fallback: string) => e.errno === E.NOTDIR ? 'is not a directory' : e.errno === E.NOENT ? 'does not exist' : `${fallback} (${(e.errno as Error | undefined)?.message})`;
  if (e.code === 'ROOTFS') return new RunWasmError('BAD_OPTION', `--rootfs: ${e.path} ${why('cannot be read')}`);
  if (e.code === 'NO_HOST_FILES') return new RunWasmError('BAD_OPTION', `${e.bind ? '-v' : '--rootfs'} needs host directory access, which this host lacks`);
  if (e.bind && e.code === 'BIND') return new RunWasmError('BAD_OPTION', `-v ${e.bind.source}:${e.bind.target}: ${e.bind.source} ${why('cannot be used')}`);
  if (e.bind) return new RunWasmError('BAD_OPTION', `-v ${e.bind.source}:${e.bind.target}: ${e.message}`);
  return new RunWasmError('BAD_OPTION', e.message);
}

/** Run a WASI command module to completion in a fresh container (described by the options, or by `opts.config`). */
export async function runWasm(opts: RunWasmOptions): Promise<RunWasmResult> {
  const { fdLimit, memoryLimit } = opts.config ? runLimits(opts.config.config) : opts;
  if (fdLimit !== undefined && (!Number.isInteger(fdLimit) || fdLimit < 4 || fdLimit > 1 << 20)) {
    throw new RunWasmError('BAD_OPTION', `nofile limit ${fdLimit}: give an integer from 4 (stdio and "/") to 1048576`);
  }
  if (memoryLimit !== undefined && (!Number.isFinite(memoryLimit) || memoryLimit < 65536)) {
    throw new RunWasmError('BAD_OPTION', `memory limit ${memoryLimit}: give at least 64 KiB (one wasm page)`);
  }
  const budget = memoryBudget(memoryLimit);
  const src = opts.module ?? opts.bytes ?? opts.file;
  if (src === undefined) throw new RunWasmError('BAD_OPTION', 'runWasm needs `file`, `bytes` or `module`');
  let spec, proc, root;
  try {
    const c = opts.config ?? runConfig(opts);
    root = c.root;
    spec = toContainerSpec(c.config, budget);
    proc = toProcess(c.config.process, 'null', 'main.wasm');
  } catch (e) {
    if (e instanceof ContainerError) throw new RunWasmError('BAD_OPTION', e.message.replace(/^config\.json: /, ''));
    throw e;
  }
  // metered (kernel/meter) when a cpu limit needs it: a tight loop runs up to ~2x slower metered (bench/metering.mjs)
  const cpuLimited = (spec.cpu !== undefined && spec.cpu.quota !== null) || proc.cpuLimit !== undefined;
  const meter = cpuLimited ? 'required' as const : opts.meter === true;
  const module = await loadModule(src, budget, { explicitLimit: memoryLimit !== undefined, name: opts.file, meter, cache: opts.moduleCache }).catch((e: unknown) => { throw moduleError(e); });
  let faults;
  try {
    faults = faultHook(opts.faults ?? []);
  } catch (e) {
    if (e instanceof FaultRuleError) throw new RunWasmError('BAD_OPTION', e.message);
    throw e;
  }
  const host = opts.host ?? nodeHost();
  let built;
  try {
    const id = opts.id ?? randomBytes(6).toString('hex');
    const onSeccomp = opts.seccompLog ?? ((l: string) => { writeSync(2, `wasmvisor: seccomp: container ${id}: ${l}\n`); });
    built = buildContainer(host, spec, { root, fileLimit: 'enospc', onSeccomp });
  } catch (e) {
    throw buildError(e);
  }
  const { cgroup } = built;
  built.kernel.dispatcher.faults = faults;
  const baseline = opts.onUpper ? upperBaseline(built.upper) : undefined;
  const out = sinkFor(opts.stdout, 1);
  const err = sinkFor(opts.stderr, 2);
  const stdin = stdinFile(opts.stdin);
  let status: ExitStatus;
  let pid = 0;
  let netns: NetNamespace | undefined;
  try {
    const task = built.createTask(proc, {
      stdin,
      stdout: { file: new ConsoleFile(out.sink, 'stdout'), tty: out.sink.isTty },
      stderr: { file: new ConsoleFile(err.sink, 'stderr'), tty: err.sink.isTty },
    });
    pid = task.pid;
    if (opts.published) netns = installPorts(task, opts.published.net, opts.published.ports, cgroup.memory);
    // one budget for the linear memory and every in-memory file: the memory controller decides, the task ends here
    const onMemory = (bytes: number) => {
      const v = cgroup.chargeMemory(pid, bytes);
      if (v.kind === 'kill') throw new TaskExit(v.status);
    };
    const strace = opts.strace === true ? (l: string) => { writeSync(2, `${l}\n`); } : opts.strace || null;
    // out of fuel: charge the cgroup; RLIMIT_CPU ends the task, cpu.max sleeps this thread until the next period
    const fuel: FuelPolicy = { cpu: cgroup.cpu, share: null, cpuLimit: proc.cpuLimit };
    const onFuel = (spent: number): number => {
      for (;;) {
        const now = host.monotonicNs();
        const d = decideFuel(fuel, pid, spent, now);
        spent = 0;
        if (d.kind === 'run') return d.fuel;
        if (d.kind === 'exit') throw new TaskExit(d.status);
        host.sleepSync(d.untilNs - now);
      }
    };
    status = runInline(task, module, { dispatcher: built.kernel.dispatcher, strace, onMemory, onFuel });
  } catch (e) {
    if (e instanceof ModuleError) throw new RunWasmError('CANNOT_RUN', `${opts.file ?? 'module'}: ${e.message}`);
    throw buildError(e);
  } finally {
    if (pid !== 0) built.reap(pid);
    if (baseline !== undefined && pid !== 0) opts.onUpper!(built.upper, baseline);
    built.close();
    if (stdin.source !== undefined && stdin.source !== opts.stdin) stdin.source.close?.();
  }
  const result: RunWasmResult = { exitCode: exitCodeOf(status), status, stdout: out.capture?.text(), stderr: err.capture?.text() };
  const cut = ([['stdout', out.capture], ['stderr', err.capture]] as const).filter(([, c]) => c?.truncated).map(([n]) => n);
  if (cut.length > 0) result.truncated = cut;
  return result;
}
