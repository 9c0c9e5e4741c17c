/**
 * The sentry platform, app side: what runs in a task's app worker. The
 * import object is the shared one (imports.ts): each call is decoded from
 * guest memory here, its plain arguments go to the Sentry over `call` (a
 * blocking round trip on the task's channel), and the result is encoded
 * back into guest memory here. The kernel's handlers never run in this
 * thread. Isomorphic: the channel is injected.
 */
import type { Host } from '../host.js';
import { GuestMemory } from '../abi/memory.js';
import { WASI_MODULE } from '../abi/wasi.js';
import { TaskExit, type ExitStatus } from '../task/exit.js';
import { newOutcome } from '../syscalls/dispatch.js';
import { buildImports, type ImportContext } from './imports.js';
import { installSentryFastPaths, replyErrno, type FixedChannel } from './sentry_fast.js';
import { ModuleError, TRAP_EXIT_CODE } from './inline.js';
import { isMetered, meterImports } from './meter.js';
import { SentryOp, SentryStatus, type SentryReply } from './sentry_protocol.js';

/** A blocking round trip to the Sentry. Throws if the channel closed (the task was killed). */
export type SentryCall = (op: number, args: unknown) => SentryReply;

/** Options of one app-side run. */
export interface SentryAppOptions {
  pid: number;
  host: Host;
  strace?: ((line: string) => void) | null;
  /** The task's channel, for the fixed-layout fast paths of fd_write and fd_read (none: every call is generic). */
  fixed?: FixedChannel;
}

/** True if `err` is a WebAssembly trap or a stack overflow in the guest. */
export function isTrap(err: unknown): err is Error {
  return err instanceof WebAssembly.RuntimeError || (err instanceof RangeError && /call stack/i.test(err.message));
}

/**
 * The `invoke` of the sentry platform's import context: one round trip per
 * call (preceded by a MEMORY report when the guest memory size changed);
 * an EXIT answer unwinds the guest with TaskExit, a BUG answer is EIO.
 */
export function sentryInvoke(call: SentryCall, memoryBytes: () => number): ImportContext['invoke'] {
  return invokeWith(call, memoryReporter(call, memoryBytes));
}

/** Sends a MEMORY report when the guest memory size changed since the last one. */
function memoryReporter(call: SentryCall, memoryBytes: () => number): () => void {
  let lastMem = 0;
  return () => {
    const mem = memoryBytes();
    if (mem !== lastMem) {
      lastMem = mem;
      call(SentryOp.MEMORY, mem);
    }
  };
}

function invokeWith(call: SentryCall, report: () => void): ImportContext['invoke'] {
  const out = newOutcome();
  return (entry, args) => {
    report();
    const r = call(entry.nr, args);
    out.block = null;
    out.errno = replyErrno(r);
    out.value = r.status >= 0 ? r.value : undefined;
    return out;
  };
}

/**
 * Instantiate `module` with imports that forward to the Sentry, run
 * `_start`, report the end to the Sentry and return the exit status.
 * Throws ModuleError if the module cannot run.
 */
export function runSentryApp(module: WebAssembly.Module, call: SentryCall, opts: SentryAppOptions): ExitStatus {
  const exports = WebAssembly.Module.exports(module);
  if (!exports.some((e) => e.name === '_start' && e.kind === 'function')) {
    throw new ModuleError('NO_START', 'the module exports no _start function (not a WASI command; reactors are not supported)');
  }
  const report = memoryReporter(call, () => {
    const m = ctx.memory!;
    const c = m.cachedSize;
    return c !== 0 ? c : m.size;
  });
  const ctx: ImportContext = {
    memory: null,
    host: opts.host,
    pid: opts.pid,
    strace: opts.strace ?? null,
    invoke: invokeWith(call, report),
  };
  const imports = buildImports(ctx);
  if (isMetered(module)) {
    // out of fuel: a round trip like a syscall's, so pause, throttling and kill act on a busy loop too
    Object.assign(imports, meterImports((spent) => {
      const r = call(SentryOp.FUEL, spent);
      if (r.status === SentryStatus.EXIT) throw new TaskExit(r.value as ExitStatus);
      return r.value as number;
    }));
  }
  if (opts.fixed) {
    installSentryFastPaths(imports[WASI_MODULE] as Record<string, (...raw: (number | bigint)[]) => number | void>, ctx, opts.fixed, report);
  }
  let instance: WebAssembly.Instance;
  try {
    instance = new WebAssembly.Instance(module, imports);
  } catch (err) {
    if (err instanceof WebAssembly.LinkError) throw new ModuleError('LINK', `cannot link the module: ${err.message}`);
    throw err;
  }
  const mem = instance.exports.memory;
  if (!(mem instanceof WebAssembly.Memory)) throw new ModuleError('NO_MEMORY', 'the module exports no memory named "memory"');
  ctx.memory = new GuestMemory(mem);
  let status: ExitStatus;
  try {
    (instance.exports._start as () => void)();
    status = { code: 0 };
  } catch (err) {
    if (err instanceof TaskExit) status = err.status;
    else if (isTrap(err)) status = { code: TRAP_EXIT_CODE, reason: `trap: ${err.message}` };
    else throw err;
  }
  call(SentryOp.MEMORY, mem.buffer.byteLength);
  const final = call(SentryOp.EXIT, status);
  return (final.value as ExitStatus | null) ?? status;
}
