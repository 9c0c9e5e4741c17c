/**
 * `runWasm`: run one WASI command module in a fresh single-process
 * container on the inline platform, and return its exit status. The library
 * entry behind `wasmvisor run FILE.wasm`, also used by tests.
 *
 * The container: an empty tmpfs root preopened as `/` on fd 3, with /dev,
 * /proc and /tmp; `-v` binds (each also preopened under its container path);
 * optionally a host rootfs and/or image layers as read-only overlay lowers
 * under a private in-memory upper; stdio on the host's (or captured); argv,
 * env and a working directory.
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
import { writeSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { totalmem } from 'node:os';
import { basename } from 'node:path';
import { E } from '../../kernel/errno.js';
import { Signal } from '../../kernel/abi/wasi.js';
import { createDevFs } from '../../kernel/fs/devfs.js';
import { layerTreeFromHost } from '../../kernel/fs/host_layer.js';
import { HostFsMount } from '../../kernel/fs/hostfs.js';
import type { LayerTree } from '../../kernel/fs/layer_tree.js';
import { OverlayFs } from '../../kernel/fs/overlay.js';
import { ProcFs } from '../../kernel/fs/procfs.js';
import { TmpFs } from '../../kernel/fs/tmpfs.js';
import { SpaceAccount } from '../../kernel/fs/tmpfs_data.js';
import type { FileSystem } from '../../kernel/vfs/superblock.js';
import type { Host } from '../../kernel/host.js';
import { Kernel } from '../../kernel/kernel.js';
import { ModuleError, runInline } from '../../kernel/platform/inline.js';
import { ConsoleFile, type ConsoleSink, type ConsoleSource } from '../../kernel/task/console.js';
import { exitCodeOf, TaskExit, type ExitStatus } from '../../kernel/task/exit.js';
import { Pipe } from '../../kernel/task/pipe.js';
import { installStdio } from '../../kernel/task/stdio.js';
import { MountNamespace } from '../../kernel/vfs/mount_ns.js';
import { FileType, type OpenFile } from '../../kernel/vfs/types.js';
import { CaptureSink, createNodeHost, nodeConsoleSink, nodeConsoleSource } from '../host/node_host.js';
import { NodeHostFs } from '../host/node_hostfs.js';
import { defaultMemoryLimit } from './memory_default.js';
import { limitModuleMemory, ModuleLimitError } from './module_limits.js';
import { installPreopens, makeWorkdir, prepareRoot, rootSetupStep } from './root_setup.js';

/** A `-v HOST:CTR[:ro]` bind. */
export interface BindMount {
  host: string;
  container: string;
  readonly?: boolean;
}

/** Where a stdio stream goes or comes from. */
export type StdioSpec = 'inherit' | 'capture' | 'null' | ConsoleSink;
/** Where stdin comes from: the host's stdin, nothing (EOF), given bytes, or a source. */
export type StdinSpec = 'inherit' | 'null' | string | Uint8Array | ConsoleSource;

/** Options of `runWasm`. */
export interface RunWasmOptions {
  /** Path of the .wasm file (or give `module`/`bytes`). */
  file?: string;
  /** Module bytes, if not read from `file`. */
  bytes?: Uint8Array;
  /** A compiled module. */
  module?: WebAssembly.Module;
  /** Arguments after argv[0]. */
  args?: readonly string[];
  /** argv[0] (default: the file's base name, or "main.wasm"). */
  argv0?: string;
  /** Environment as `KEY=VALUE` strings or a record. */
  env?: readonly string[] | Record<string, string>;
  /** Bind mounts of host directories. */
  mounts?: readonly BindMount[];
  /** Host directory used read-only as the root's lower layer (never modified). */
  rootfs?: string;
  /** Image layers as the root's read-only lowers, top first (`prepareImage(...).lowers`); below `rootfs` if both. */
  lowers?: readonly LayerTree[];
  /** Working directory in the container (default "/"). */
  workdir?: string;
  /** Host name shown in /proc/sys/kernel/hostname (default "wasmvisor"). */
  hostname?: string;
  /** Make the root read-only (EROFS); /tmp, --tmpfs mounts and rw binds stay writable. */
  readOnly?: boolean;
  /** Container paths to mount fresh tmpfs instances on. */
  tmpfs?: readonly string[];
  /** User and group the program runs as (default 0:0); permission checks use them. */
  user?: { uid: number; gid: number };
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
export class RunWasmError extends Error {
  constructor(readonly code: 'NOT_FOUND' | 'NOT_WASM' | 'CANNOT_RUN' | 'BAD_OPTION', message: string) {
    super(message);
    this.name = 'RunWasmError';
  }
}

const WASM_MAGIC = [0x00, 0x61, 0x73, 0x6d];

async function loadModule(opts: RunWasmOptions): Promise<WebAssembly.Module> {
  if (opts.module) {
    if (opts.memoryLimit !== undefined) throw new RunWasmError('BAD_OPTION', 'a memory limit needs the module bytes (`file` or `bytes`), not a compiled module');
    return opts.module;
  }
  let bytes = opts.bytes;
  const name = opts.file ?? '<bytes>';
  if (!bytes) {
    if (!opts.file) throw new RunWasmError('BAD_OPTION', 'runWasm needs `file`, `bytes` or `module`');
    try {
      bytes = await readFile(opts.file);
    } catch (err) {
      const code = (err as { code?: string }).code;
      if (code === 'ENOENT' || code === 'ENOTDIR') throw new RunWasmError('NOT_FOUND', `${opts.file}: no such file`);
      if (code === 'EISDIR') throw new RunWasmError('NOT_WASM', `${opts.file}: is a directory, not a WebAssembly module`);
      throw new RunWasmError('CANNOT_RUN', `${opts.file}: cannot read: ${(err as Error).message}`);
    }
  }
  if (bytes.byteLength < 8 || WASM_MAGIC.some((b, i) => bytes![i] !== b)) {
    throw new RunWasmError('NOT_WASM', `${name}: not a WebAssembly module`);
  }
  {
    try {
      bytes = limitModuleMemory(bytes, memoryBudget(opts));
    } catch (err) {
      if (err instanceof ModuleLimitError && err.code === 'TOO_BIG') throw new RunWasmError('CANNOT_RUN', `${name}: ${err.message}`);
      throw new RunWasmError('NOT_WASM', `${name}: invalid WebAssembly module: ${(err as Error).message}`);
    }
  }
  try {
    return await WebAssembly.compile(bytes as Uint8Array<ArrayBuffer>);
  } catch (err) {
    throw new RunWasmError('NOT_WASM', `${name}: invalid WebAssembly module: ${(err as Error).message}`);
  }
}

function envList(env: RunWasmOptions['env']): string[] {
  if (!env) return [];
  if (Array.isArray(env)) return [...env];
  return Object.entries(env as Record<string, string>).map(([k, v]) => `${k}=${v}`);
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

/** A root setup step, its RootSetupError (a file in the way, a read-only mount) as a bad option. */
function rootStep<T>(step: () => T): T {
  return rootSetupStep(step, (m) => new RunWasmError('BAD_OPTION', m));
}

/** The container's memory budget: `-m`, else the default of every platform. */
function memoryBudget(opts: RunWasmOptions): number {
  return opts.memoryLimit ?? defaultMemoryLimit(totalmem());
}

/** Build the container's mount namespace: root (tmpfs, or overlay over --rootfs and layers), /dev, /proc, /tmp, --tmpfs, binds. */
function buildMounts(host: Host, kernel: Kernel, opts: RunWasmOptions, space: SpaceAccount, owned: { close(): void }[]): MountNamespace {
  let rootFs: FileSystem;
  const lowers = [...(opts.lowers ?? [])];
  if (opts.rootfs !== undefined) {
    if (!host.hostfs) throw new RunWasmError('BAD_OPTION', '--rootfs needs host directory access, which this host lacks');
    let lower: LayerTree;
    try {
      if (host.hostfs.lstat(opts.rootfs).kind !== 'dir') throw E.NOTDIR;
      lower = layerTreeFromHost(host.hostfs, opts.rootfs);
      if (lower.close) owned.push({ close: lower.close });
    } catch (e) {
      const why = e === E.NOTDIR ? 'is not a directory' : e === E.NOENT ? 'does not exist' : `cannot be read (${(e as Error).message})`;
      throw new RunWasmError('BAD_OPTION', `--rootfs: ${opts.rootfs} ${why}`);
    }
    lowers.unshift(lower);
  }
  if (lowers.length > 0) {
    rootFs = new OverlayFs(lowers, host, { parentAccount: space });
  } else {
    rootFs = new TmpFs(host, { source: 'rootfs', parentAccount: space });
  }
  // Mount points are made first, then the container's namespace (read-only if asked); the workdir after the mounts (root_setup.ts).
  const workdir = normalizeWorkdir(opts.workdir);
  const ns = rootStep(() => prepareRoot(rootFs, {
    dirs: ['/dev', '/proc', { path: '/tmp', mode: 0o1777 }, ...(opts.mounts ?? []).map((b) => b.container), ...(opts.tmpfs ?? [])],
    readonly: opts.readOnly === true,
  }));
  // /dev is a writable tmpfs (as in podman): bound like Docker's (size=64m), and charged to the budget.
  ns.mount('/dev', createDevFs(host, { parentAccount: space }));
  ns.mount('/proc', new ProcFs(kernel.procSource({ mounts: () => ns.mounts(), hostname: opts.hostname }), host));
  // As podman's --read-only (with its default --read-only-tmpfs): /tmp stays writable.
  if (opts.readOnly === true) ns.mount('/tmp', new TmpFs(host, { mode: 0o1777, parentAccount: space }));
  for (const p of opts.tmpfs ?? []) {
    if (!p.startsWith('/')) throw new RunWasmError('BAD_OPTION', `--tmpfs ${p}: the path must be absolute`);
    ns.mount(p, new TmpFs(host, { mode: 0o1777, parentAccount: space }));
  }
  const binds = [...(opts.mounts ?? [])].sort((a, b) => a.container.split('/').length - b.container.split('/').length);
  for (const b of binds) {
    if (!host.hostfs) throw new RunWasmError('BAD_OPTION', '-v needs host directory access, which this host lacks');
    let fs: HostFsMount;
    try {
      fs = new HostFsMount(host.hostfs, b.host, host, { readonly: b.readonly === true });
      owned.push(fs);
    } catch (e) {
      const why = e === E.NOTDIR ? 'is not a directory' : e === E.NOENT ? 'does not exist' : `cannot be used (${(e as Error).message})`;
      throw new RunWasmError('BAD_OPTION', `-v ${b.host}:${b.container}: ${b.host} ${why}`);
    }
    try {
      ns.mount(b.container, fs, { readonly: b.readonly === true });
    } catch (e) {
      throw new RunWasmError('BAD_OPTION', `-v ${b.host}:${b.container}: cannot mount on ${b.container} (${(e as Error).message})`);
    }
  }
  rootStep(() => makeWorkdir(rootFs, ns, workdir));
  return ns;
}

function normalizeWorkdir(w: string | undefined): string {
  if (w === undefined || w === '') return '/';
  if (!w.startsWith('/')) throw new RunWasmError('BAD_OPTION', `workdir must be an absolute path: ${w}`);
  const parts = w.split('/').filter((p) => p !== '' && p !== '.');
  if (parts.includes('..')) throw new RunWasmError('BAD_OPTION', `workdir must not contain "..": ${w}`);
  return `/${parts.join('/')}`;
}

/** Run a WASI command module to completion in a fresh container. */
export async function runWasm(opts: RunWasmOptions): Promise<RunWasmResult> {
  // the container's host handles (--rootfs, binds) are closed when it is gone, whatever the outcome
  const owned: { close(): void }[] = [];
  try {
    return await runContainer(opts, owned);
  } finally {
    for (const r of owned) r.close();
  }
}

async function runContainer(opts: RunWasmOptions, owned: { close(): void }[]): Promise<RunWasmResult> {
  if (opts.fdLimit !== undefined && (!Number.isInteger(opts.fdLimit) || opts.fdLimit < 4 || opts.fdLimit > 1 << 20)) {
    throw new RunWasmError('BAD_OPTION', `nofile limit ${opts.fdLimit}: give an integer from 4 (stdio and "/") to 1048576`);
  }
  if (opts.memoryLimit !== undefined && (!Number.isFinite(opts.memoryLimit) || opts.memoryLimit < 65536)) {
    throw new RunWasmError('BAD_OPTION', `memory limit ${opts.memoryLimit}: give at least 64 KiB (one wasm page)`);
  }
  const module = await loadModule(opts);
  const host = opts.host ?? createNodeHost({ hostfs: new NodeHostFs() });
  const kernel = new Kernel(host);
  const workdir = normalizeWorkdir(opts.workdir);
  // One budget for the container's linear memory and every in-memory file: a guest cannot fill the host's RAM.
  const space = new SpaceAccount(memoryBudget(opts));
  let linear = 0;
  const onMemory = (bytes: number) => {
    space.force(bytes - linear);
    linear = bytes;
    if (space.over) throw new TaskExit({ code: 0, signal: Signal.KILL, reason: `OOM-killed: memory limit (${space.limit} bytes) exceeded` });
  };
  const ns = buildMounts(host, kernel, opts, space, owned);
  const env = envList(opts.env);
  if (workdir !== '/' && !env.some((e) => e.startsWith('PWD='))) env.push(`PWD=${workdir}`);
  const argv0 = opts.argv0 ?? (opts.file ? basename(opts.file) : 'main.wasm');
  const task = kernel.createTask({ pathOps: ns.pathOps }, {
    args: [argv0, ...(opts.args ?? [])], env, cwd: workdir, uid: opts.user?.uid ?? 0, gid: opts.user?.gid ?? 0,
    fdLimit: opts.fdLimit,
  });
  const out = sinkFor(opts.stdout, 1);
  const err = sinkFor(opts.stderr, 2);
  const stdin = stdinFile(opts.stdin);
  installStdio(
    task,
    stdin,
    { file: new ConsoleFile(out.sink, 'stdout'), tty: out.sink.isTty },
    { file: new ConsoleFile(err.sink, 'stderr'), tty: err.sink.isTty },
  );
  installPreopens(task, ns, workdir, (opts.mounts ?? []).map((m) => m.container));
  const strace = opts.strace === true ? (l: string) => { writeSync(2, `${l}\n`); } : opts.strace || null;
  let status: ExitStatus;
  try {
    status = runInline(task, module, { dispatcher: kernel.dispatcher, strace, onMemory });
  } catch (e) {
    if (e instanceof ModuleError) throw new RunWasmError('CANNOT_RUN', `${opts.file ?? 'module'}: ${e.message}`);
    throw e;
  } finally {
    kernel.reap(task.pid);
    if (stdin.source !== undefined && stdin.source !== opts.stdin) stdin.source.close?.();
  }
  const result: RunWasmResult = { exitCode: exitCodeOf(status), status, stdout: out.capture?.text(), stderr: err.capture?.text() };
  const cut = ([['stdout', out.capture], ['stderr', err.capture]] as const).filter(([, c]) => c?.truncated).map(([n]) => n);
  if (cut.length > 0) result.truncated = cut;
  return result;
}
