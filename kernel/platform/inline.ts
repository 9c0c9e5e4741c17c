/**
 * The inline platform: the kernel and one module in the same thread.
 * Syscalls are plain calls into the dispatcher. A call that would block is
 * waited for synchronously: a queue with a `syncPump` (stdin) is pumped,
 * otherwise the thread sleeps until the deadline (host.sleepSync, no
 * spinning) and the call is retried. A wait with no pump and no deadline
 * could never end on one thread (e.g. reading a pipe whose only writer is
 * the caller) and fails with EDEADLK instead of hanging.
 */
import { GuestMemory } from '../abi/memory.js';
import { E } from '../errno.js';
import { TaskExit, type ExitStatus } from '../task/exit.js';
import type { Task } from '../task/task.js';
import { Dispatcher, errnoOf, newOutcome, type CallOutcome } from '../syscalls/dispatch.js';
import { SYSCALL_BY_NAME, type SyscallEntry } from '../syscalls/table.js';
import { WASI_MODULE } from '../abi/wasi.js';
import type { WouldBlock } from '../vfs/wait.js';
import { buildImports, type ImportContext, type TracedCall } from './imports.js';
import { installInlineFastPaths } from './inline_fast.js';
import { isMeterImport, isMetered, meterImports, type OnFuel } from './meter.js';

/** Exit code given to a task that trapped (as wasmtime: 128 + SIGABRT). */
export const TRAP_EXIT_CODE = 134;

/** Why a module cannot run at all (the CLI maps these to exit 126). */
export class ModuleError extends Error {
  constructor(readonly code: 'NO_START' | 'NO_MEMORY' | 'LINK', message: string) {
    super(message);
    this.name = 'ModuleError';
  }
}

/** Options of one inline run. */
export interface InlineOptions {
  dispatcher?: Dispatcher;
  /** Trace each call to this sink (`--strace`). */
  strace?: ((line: string) => void) | null;
  /** Trace each call to this sink as data (imports.ts `TracedCall`). */
  traceCall?: ((call: TracedCall) => void) | null;
  /** Clock of traced durations (default the host's monotonic clock). */
  traceClock?: (() => bigint) | null;
  /**
   * Told the guest memory's size in bytes before a call whenever it changed
   * since the last call (as the sentry platform's MEMORY report); it may
   * throw TaskExit to end the task (the OOM killer of a memory budget).
   */
  onMemory?: (bytes: number) => void;
  /** A metered module's call out of fuel (platform/meter.ts); default: run on, unlimited. */
  onFuel?: OnFuel;
}

/** Wait once for `block`; false if it could never end on this thread. */
function waitOnce(task: Task, block: WouldBlock): boolean {
  const host = task.host;
  let timeout: bigint | null = null;
  if (block.deadlineNs !== null) {
    timeout = block.deadlineNs - host.monotonicNs();
    if (timeout <= 0n) return true;
  }
  for (const q of block.queues) {
    if (q.syncPump) {
      q.syncPump(timeout);
      return true;
    }
  }
  if (timeout === null) return false;
  host.sleepSync(timeout);
  return true;
}

/** Run a call to completion on this thread. */
export function invokeInline(dispatcher: Dispatcher, task: Task, entry: SyscallEntry, args: unknown, out: CallOutcome): CallOutcome {
  for (;;) {
    dispatcher.attempt(task, entry, args, out);
    if (out.block === null) return out;
    let waited: boolean;
    try {
      waited = waitOnce(task, out.block);
    } catch (err) {
      // A failing pump (host stdin I/O error) must not unwind the guest: the call fails (EIO).
      out.block = null;
      out.errno = errnoOf(err, task.host, `${entry.name}: waiting failed`);
      return out;
    }
    if (!waited) {
      out.block = null;
      out.errno = E.DEADLK.errno;
      return out;
    }
  }
}

/** True if `err` is a WebAssembly trap (or a stack overflow inside the guest). */
function isTrap(err: unknown): err is Error {
  return err instanceof WebAssembly.RuntimeError || (err instanceof RangeError && /call stack/i.test(err.message));
}

/**
 * Instantiate `module` for `task`, run `_start` and return the exit status
 * (also recorded on the task, whose fds are then closed). Throws ModuleError
 * if the module cannot run (no `_start`, no memory, unresolved imports).
 */
export function runInline(task: Task, module: WebAssembly.Module, opts: InlineOptions = {}): ExitStatus {
  const dispatcher = opts.dispatcher ?? new Dispatcher();
  const exports = WebAssembly.Module.exports(module);
  if (!exports.some((e) => e.name === '_start' && e.kind === 'function')) {
    throw new ModuleError('NO_START', 'the module exports no _start function (not a WASI command; reactors are not supported)');
  }
  const missing = WebAssembly.Module.imports(module)
    .filter((i) => (i.module !== WASI_MODULE || i.kind !== 'function' || !SYSCALL_BY_NAME.has(i.name)) && !isMeterImport(i))
    .map((i) => `${i.module}.${i.name} (${i.kind})`);
  if (missing.length > 0) {
    throw new ModuleError('LINK', `cannot link the module: unknown import${missing.length > 1 ? 's' : ''} ${missing.slice(0, 5).join(', ')}${missing.length > 5 ? ', …' : ''} (only ${WASI_MODULE} functions are provided)`);
  }
  // On one thread nobody else can send SIGCONT: a stopped task continues at once.
  task.contQueue.syncPump = () => {
    if (task.state === 'stopped') task.state = 'running';
    return true;
  };
  const out = newOutcome();
  const onMemory = opts.onMemory;
  let lastMem = -1;
  const report = onMemory === undefined ? null : () => {
    const mem = ctx.memory;
    if (mem === null) return;
    // cachedSize reads the cached view (0 once memory.grow detached it), so
    // the common call asks the engine nothing; `size` only after a change.
    if (mem.cachedSize === lastMem) return;
    const n = mem.size;
    if (n !== lastMem) {
      lastMem = n;
      onMemory(n);
    }
  };
  const ctx: ImportContext = {
    memory: null,
    host: task.host,
    pid: task.pid,
    strace: opts.strace ?? null,
    traceCall: opts.traceCall ?? null,
    traceClock: opts.traceClock ?? null,
    invoke: report === null
      ? (entry, args) => invokeInline(dispatcher, task, entry, args, out)
      : (entry, args) => {
        report();
        return invokeInline(dispatcher, task, entry, args, out);
      },
  };
  const imports = buildImports(ctx);
  // traces need the generic path's decoded arguments; fault rules see every call
  if (!ctx.strace && !ctx.traceCall && dispatcher.faults === null) installInlineFastPaths(imports[WASI_MODULE] as Record<string, (...raw: (number | bigint)[]) => number | void>, ctx, dispatcher, task, report);
  if (isMetered(module)) Object.assign(imports, meterImports(opts.onFuel ?? (() => 1 << 30)));
  let instance: WebAssembly.Instance;
  try {
    instance = new WebAssembly.Instance(module, imports);
  } catch (err) {
    if (err instanceof WebAssembly.LinkError) throw new ModuleError('LINK', `cannot link the module: ${err.message}`);
    throw err;
  }
  const mem = instance.exports.memory;
  if (!(mem instanceof WebAssembly.Memory)) throw new ModuleError('NO_MEMORY', 'the module exports no memory named "memory"');
  const guest = new GuestMemory(mem);
  ctx.memory = guest;
  task.memoryBytes = () => guest.size;
  let status: ExitStatus;
  try {
    (instance.exports._start as () => void)();
    status = { code: 0 };
  } catch (err) {
    if (err instanceof TaskExit) status = err.status;
    else if (isTrap(err)) status = { code: TRAP_EXIT_CODE, reason: `trap: ${err.message}` };
    else {
      task.host.logBug('inline platform: unexpected exception from the guest', err);
      status = { code: TRAP_EXIT_CODE, reason: `internal error: ${err instanceof Error ? err.message : String(err)}` };
    }
  }
  task.exit(status);
  return task.exitStatus!;
}
