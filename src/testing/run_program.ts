/**
 * `runProgram`: run a WASI command in a fresh container in one call and get
 * everything a test asserts on: exit code, output, the syscall trace as
 * data and the container's files afterwards. The inline platform, in this
 * thread: no worker starts, so a test suite can run thousands of programs.
 *
 * The container is the one `wasmvisor run` builds (`runConfig` →
 * `buildContainer`): root over the `files` layer (or a host directory, or
 * an image's layers), /dev, /proc, /sys/fs/cgroup, binds, tmpfs, limits.
 * Determinism (virtual clock, seed, device ids) is a Host wrapper
 * (virtual_host.ts); fault rules are the kernel's (kernel/syscalls/faults.ts).
 * Isomorphic: Node-only pieces (a module path, a host directory, an image,
 * binds) are imported when asked for.
 */
import { exitCodeOf, TaskExit, type ExitStatus } from '../../kernel/task/exit.js';
import { runInline } from '../../kernel/platform/inline.js';
import type { TracedCall } from '../../kernel/platform/imports.js';
import { callPath, faultHook, type FaultRule } from '../../kernel/syscalls/faults.js';
import type { LayerTree } from '../../kernel/fs/layer_tree.js';
import type { Host } from '../../kernel/host.js';
import { ConsoleFile, type ConsoleSink } from '../../kernel/task/console.js';
import { Pipe } from '../../kernel/task/pipe.js';
import { toContainerSpec, toProcess } from '../runtime/config.js';
import { buildContainer } from '../runtime/container_builder.js';
import { defaultMemoryLimit, hostMemoryBytes } from '../runtime/memory_default.js';
import { compileModule, loadModule } from '../runtime/module_loader.js';
import { runConfig, type BindMount } from '../runtime/run_config.js';
import { upperBaseline } from '../runtime/tree_diff.js';
import { containerFs, type ContainerFs } from './container_fs.js';
import { layerFromFiles, type FileTree } from './files.js';
import { TraceLog, type TraceEntry } from './trace.js';
import { deterministicHost, VirtualClock, type ClockOptions } from './virtual_host.js';

/** The program: a compiled module (fastest), its bytes, or a path to a .wasm file (Node). */
export type ProgramSource = WebAssembly.Module | Uint8Array | string;

/** Resource limits of the container. */
export interface ProgramLimits {
  /** memory.max: linear memory plus in-memory files, bytes or `'64m'` (default: as `wasmvisor run`). */
  memory?: number | string;
  /** RLIMIT_NOFILE (default 1024). */
  nofile?: number;
  /** pids.max. */
  pids?: number;
  /** tmpfs mounts, as `--tmpfs`: `'/data:size=1m'`. */
  tmpfs?: string[];
}

/** Options of `runProgram`. */
export interface RunProgramOptions {
  /** Arguments after argv[0]. */
  args?: string[];
  /** argv[0] (default "main.wasm", or the file's name). */
  argv0?: string;
  /** Environment. */
  env?: Record<string, string> | string[];
  /**
   * The root's files: an object (`{ '/etc/app.conf': 'x=1', '/data/': {} }`,
   * see files.ts), a host directory (its path; never written), or a layer.
   * What the program writes goes to a private upper layer (`fs.diff()`).
   */
  files?: FileTree | string | LayerTree;
  /** Bind mounts of host directories or files (Node). */
  mounts?: BindMount[];
  /** An image in the local store as the root (its module runs if `module` is not given). */
  image?: string;
  /** Store directory for `image` (default: as the CLI, `WASMVISOR_ROOT` or the XDG data dir). */
  store?: string;
  /** What the program reads on stdin (default: EOF at once). */
  stdin?: string | Uint8Array;
  /** Working directory (default "/"). */
  cwd?: string;
  /** User and group ids (default 0:0). */
  user?: { uid: number; gid: number };
  limits?: ProgramLimits;
  /**
   * A virtual clock: a `VirtualClock` (which the test can also advance), or
   * its options (`{ realtime: new Date('2024-01-01'), step: 1000n }`). Sleeps
   * finish at once. Default: the real clock.
   */
  clock?: VirtualClock | ClockOptions;
  /** Seeded `random_get`: a seed, or `{ seed }`. Default: real randomness. */
  random?: number | { seed: number };
  /** Fault rules (kernel/syscalls/faults.ts): `[{ call: 'path_open', path: '/data/*', nth: 3, errno: 'ENOENT' }]`. */
  faults?: FaultRule[];
  /** Record the syscall trace (default false; on when `faults` are given). */
  trace?: boolean;
  /** Host to run on (default: Node's, or the browser's). */
  host?: Host;
}

/** What `runProgram` returns. */
export interface ProgramResult {
  /** Shell-style exit code: the program's, or 128 + signal. */
  exitCode: number;
  /** The signal that ended it (WASI number), if one did. */
  signal?: number;
  /** Why it ended abnormally (a trap, an OOM kill), if it did. */
  reason?: string;
  stdout: string;
  stderr: string;
  /** stdout as bytes. */
  stdoutBytes: Uint8Array;
  /** The syscall trace ([] unless `trace` or `faults` were given), bounded: at most TRACE_MAX_ENTRIES calls and TRACE_MAX_BYTES. */
  trace: TraceEntry[];
  /** Calls made after the trace was full, not in `trace` (0 when it holds every call). */
  traceDropped: number;
  /** The container's files after the run. */
  fs: ContainerFs;
  /** The virtual clock, if one was used (read it, or advance it for the next run). */
  clock?: VirtualClock;
}

/** Why `runProgram` could not run the program at all (not a result: the program never started). */
export class RunProgramError extends Error {
  constructor(readonly code: 'BAD_OPTION' | 'NOT_FOUND' | 'NOT_WASM' | 'CANNOT_RUN', message: string) {
    super(message);
    this.name = 'RunProgramError';
  }
}

/** Collected output of one stream. */
class Collect implements ConsoleSink {
  readonly isTty = false;
  private chunks: Uint8Array[] = [];
  private size = 0;
  write(data: Uint8Array): void {
    this.chunks.push(data.slice());
    this.size += data.length;
  }
  bytes(): Uint8Array {
    if (this.chunks.length === 1) return this.chunks[0]!;
    const out = new Uint8Array(this.size);
    let off = 0;
    for (const c of this.chunks) {
      out.set(c, off);
      off += c.length;
    }
    return out;
  }
}

const DEC = new TextDecoder();

let defaultHost: Promise<Host> | undefined;
/** Node's host (with host files, for binds and host directories), else the portable one. */
function hostFor(opts: RunProgramOptions): Promise<Host> {
  if (opts.host) return Promise.resolve(opts.host);
  return defaultHost ??= (async () => {
    if ((globalThis as { process?: { versions?: { node?: string } } }).process?.versions?.node !== undefined) {
      const [{ createNodeHost }, { NodeHostFs }] = await Promise.all([import('../host/node_host.js'), import('../host/node_hostfs.js')]);
      return createNodeHost({ hostfs: new NodeHostFs() });
    }
    return (await import('../host/browser_host.js')).portableHost();
  })();
}

let budgetDefault: Promise<number> | undefined;

function parseSize(v: number | string): number {
  if (typeof v === 'number') return v;
  const m = /^(\d+(?:\.\d+)?)([kmg]?)b?$/i.exec(v.trim());
  if (!m) throw new RunProgramError('BAD_OPTION', `limits.memory ${v}: give bytes or a size such as 64m`);
  return Math.floor(Number(m[1]) * { '': 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3 }[m[2]!.toLowerCase() as '' | 'k' | 'm' | 'g']);
}

/** Compiled modules by path (with its size and mtime) and by bytes: a suite runs the same program many times. */
const byBytes = new WeakMap<Uint8Array, Map<number | null, WebAssembly.Module>>();
const byPath = new Map<string, { stamp: string; budget: number | null; module: WebAssembly.Module }>();

async function compiled(src: ProgramSource, budget: number | null, explicit: boolean): Promise<WebAssembly.Module> {
  if (src instanceof WebAssembly.Module) return loadModule(src, budget, { explicitLimit: explicit });
  if (typeof src === 'string') {
    const { stat } = await import('node:fs/promises');
    const st = await stat(src).catch(() => null);
    const stamp = st === null ? '' : `${st.size}:${st.mtimeMs}`;
    const hit = byPath.get(src);
    if (hit !== undefined && hit.stamp === stamp && hit.budget === budget) return hit.module;
    const module = await loadModule(src, budget, { explicitLimit: explicit });
    byPath.set(src, { stamp, budget, module });
    return module;
  }
  let m = byBytes.get(src);
  if (m === undefined) byBytes.set(src, m = new Map());
  let module = m.get(budget);
  if (module === undefined) m.set(budget, module = await compileModule(src, budget));
  return module;
}

/** Run `module` (or the image's program) to completion in a fresh container; see RunProgramOptions. */
export async function runProgram(module: ProgramSource | undefined, opts: RunProgramOptions = {}): Promise<ProgramResult> {
  try {
    return await run(module, opts);
  } catch (e) {
    const code = (e as { code?: string }).code;
    if (e instanceof RunProgramError) throw e;
    if (e instanceof Error && (code === 'NOT_FOUND' || code === 'NOT_WASM' || code === 'CANNOT_RUN')) throw new RunProgramError(code, e.message);
    if (e instanceof Error && typeof code === 'string') throw new RunProgramError('BAD_OPTION', e.message);
    throw e;
  }
}

async function run(source: ProgramSource | undefined, opts: RunProgramOptions): Promise<ProgramResult> {
  const base = await hostFor(opts);
  const clock = opts.clock === undefined ? undefined : opts.clock instanceof VirtualClock ? opts.clock : new VirtualClock(opts.clock);
  const seed = typeof opts.random === 'number' ? opts.random : opts.random?.seed;
  const host = deterministicHost(base, { clock, seed });
  const limits = opts.limits ?? {};
  const explicit = limits.memory !== undefined;
  const budget = explicit ? parseSize(limits.memory!) : await (budgetDefault ??= hostMemoryBytes().then((ram) => defaultMemoryLimit(ram)));
  // the root's lowers and, for an image, its program
  let lowers: LayerTree[] = [];
  let rootfs: string | undefined;
  let argv0 = opts.argv0;
  let args = opts.args;
  let env = opts.env;
  let workdir = opts.cwd;
  if (opts.image !== undefined) {
    const img = await imageRoot(opts);
    lowers = img.lowers;
    source ??= new Uint8Array(img.bytes); // a copy: the store may hand a view of shared memory, which hashing and compiling refuse
    argv0 ??= img.argv[0];
    args ??= img.argv.slice(1);
    env ??= img.env;
    workdir ??= img.workdir;
  }
  if (typeof opts.files === 'string') rootfs = opts.files;
  else if (opts.files !== undefined) lowers = ['root' in opts.files && 'id' in opts.files ? opts.files as LayerTree : layerFromFiles(opts.files as FileTree), ...lowers];
  if (source === undefined) throw new RunProgramError('BAD_OPTION', 'runProgram needs a module (a WebAssembly.Module, its bytes or a path), or an image');
  const module = await compiled(source, budget, explicit);
  const c = runConfig({
    argv0: argv0 ?? (typeof source === 'string' ? undefined : 'main.wasm'), file: typeof source === 'string' ? source : undefined,
    args, env, mounts: opts.mounts, rootfs, lowers, workdir, user: opts.user, tmpfs: limits.tmpfs,
    memoryLimit: explicit ? budget : undefined, pidsLimit: limits.pids, fdLimit: limits.nofile,
  });
  const spec = toContainerSpec(c.config, budget);
  const proc = toProcess(c.config.process, 'null', 'main.wasm');
  const built = buildContainer(host, spec, { root: c.root, fileLimit: 'enospc' });
  const out = new Collect();
  const err = new Collect();
  const stdin = new Pipe();
  stdin.openHostWriter();
  if (opts.stdin !== undefined) stdin.hostWrite(typeof opts.stdin === 'string' ? new TextEncoder().encode(opts.stdin) : opts.stdin);
  stdin.hostClose();
  const trace = new TraceLog();
  let status: ExitStatus;
  let pid = 0;
  let baseline;
  try {
    built.kernel.dispatcher.faults = faultHook(opts.faults ?? []);
    const task = built.createTask(proc, {
      stdin: { file: stdin.readEnd(), tty: false },
      stdout: { file: new ConsoleFile(out, 'stdout'), tty: false },
      stderr: { file: new ConsoleFile(err, 'stderr'), tty: false },
    });
    pid = task.pid;
    baseline = upperBaseline(built.upper);
    const tracing = opts.trace === true || (opts.trace === undefined && (opts.faults?.length ?? 0) > 0);
    const traceCall = tracing ? (call: TracedCall) => {
      const a = call.args;
      trace.add(call, a !== null && typeof a === 'object' ? safePath(task, a as Record<string, unknown>) : undefined);
    } : null;
    const cgroup = built.cgroup;
    status = runInline(task, module, {
      dispatcher: built.kernel.dispatcher,
      traceCall,
      traceClock: clock === undefined ? null : () => clock.peekMonotonicNs(),
      onMemory: (bytes) => {
        const v = cgroup.chargeMemory(pid, bytes);
        if (v.kind === 'kill') throw new TaskExit(v.status);
      },
    });
  } catch (e) {
    if ((e as Error).name === 'ModuleError') throw new RunProgramError('CANNOT_RUN', (e as Error).message);
    throw e;
  } finally {
    if (pid !== 0) built.reap(pid);
    built.close();
  }
  const stdoutBytes = out.bytes();
  const result: ProgramResult = {
    exitCode: exitCodeOf(status),
    stdout: DEC.decode(stdoutBytes),
    stderr: DEC.decode(err.bytes()),
    stdoutBytes,
    trace: trace.entries,
    traceDropped: trace.dropped,
    fs: containerFs(built, baseline!),
  };
  if (status.signal !== undefined) result.signal = status.signal;
  if (status.reason !== undefined) result.reason = status.reason;
  if (clock !== undefined) result.clock = clock;
  return result;
}

/** The path a call concerns, or undefined (never throws: the trace must not fail a call). */
function safePath(task: Parameters<typeof callPath>[0], args: Record<string, unknown>): string | undefined {
  try {
    return callPath(task, args);
  } catch {
    return undefined;
  }
}

/** An image's layers and program, from the local store (Node). */
async function imageRoot(opts: RunProgramOptions): Promise<{ lowers: LayerTree[]; bytes: Uint8Array; argv: string[]; env: string[]; workdir: string }> {
  const [{ openStore, resolveStoreRoot }, { prepareRun }] = await Promise.all([
    import('../image/content/store_root.js'), import('../image/run/manifest_run.js'),
  ]);
  const store = await openStore(resolveStoreRoot(opts.store));
  const r = await prepareRun(store, opts.image!, {}, { pull: 'never', transports: [] });
  return { lowers: [...r.lowers], bytes: r.process.bytes, argv: r.process.argv, env: r.process.env, workdir: r.process.workdir };
}
