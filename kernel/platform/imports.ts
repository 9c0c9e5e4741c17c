/**
 * Builds the `wasi_snapshot_preview1` import object from the syscall table.
 * Each import decodes its raw arguments from guest memory (bounds-checked),
 * hands the plain values to `invoke` (inline: a direct dispatch with
 * waiting; sentry: a round trip to the kernel worker) and encodes the result.
 * Shared by every platform: only `invoke` differs.
 */
import type { RawArgs } from '../abi/codec.js';
import { GuestMemory } from '../abi/memory.js';
import { WASI_MODULE } from '../abi/wasi.js';
import { E, Errno } from '../errno.js';
import type { Host } from '../host.js';
import { TaskExit } from '../task/exit.js';
import { errnoOf, type CallOutcome } from '../syscalls/dispatch.js';
import { SYSCALLS, type SyscallEntry } from '../syscalls/table.js';
import { formatCall } from './strace.js';

/** What the import object needs from its platform. */
export interface ImportContext {
  /** The guest memory, set once the instance exists. */
  memory: GuestMemory | null;
  /** Run a decoded call to completion (waiting if it blocks). May throw TaskExit. */
  invoke(entry: SyscallEntry, args: unknown): CallOutcome;
  host: Host;
  /** Pid shown in strace lines. */
  pid: number;
  /** When set, each call is traced to it. */
  strace?: ((line: string) => void) | null;
  /** When set, each call is also traced to it as data (`wasmvisor/testing`'s trace). */
  traceCall?: ((call: TracedCall) => void) | null;
  /** Clock of the traced durations (default `host.monotonicNs`; a virtual clock's reading without its step). */
  traceClock?: (() => bigint) | null;
}

/**
 * One traced call as data: the decoded arguments (as the codec gave them:
 * buffers are views of guest memory, valid during the sink's call only), the
 * errno, the result, the duration and what a fault rule did to it, if any.
 */
export interface TracedCall {
  pid: number;
  name: string;
  args: unknown;
  errno: number;
  value: unknown;
  ns: bigint;
  /** The call ended the task (proc_exit, a fatal signal): it has no errno. */
  exited: boolean;
  /** What fault injection did (`ENOENT`, `short 1`, `delay 50ms`), if it did. */
  injected?: string;
}

/** Call `entry` untraced: decode, `invoke`, encode; returns the errno. */
export function plainCall(entry: SyscallEntry, ctx: ImportContext): (raw: RawArgs) => number {
  const { codec, name } = entry;
  return (raw: RawArgs): number => {
    const mem = ctx.memory;
    if (mem === null) return Errno.FAULT;
    let args: unknown;
    try {
      args = codec.decode(mem, raw);
    } catch (err) {
      return errnoOf(err, ctx.host, `${name}: ABI error`);
    }
    const out = ctx.invoke(entry, args);
    if (out.errno === Errno.SUCCESS && codec.encode) {
      try {
        codec.encode(mem, args, out.value);
      } catch (err) {
        return errnoOf(err, ctx.host, `${name}: ABI error`);
      }
    }
    return out.errno;
  };
}

function makeImport(entry: SyscallEntry, ctx: ImportContext): (...raw: (number | bigint)[]) => number | void {
  const { codec, name } = entry;
  const plain = plainCall(entry, ctx);
  const traced = tracer(entry, ctx, (mem, _raw, args, shown) => {
    const out = ctx.invoke(entry, args);
    shown.value = out.value;
    if (out.errno === Errno.SUCCESS && codec.encode) codec.encode(mem, args, out.value);
    return out.errno;
  });
  const call = (raw: RawArgs): number => (ctx.strace || ctx.traceCall ? traced(raw) : plain(raw));
  if (!codec.returnsErrno) {
    // proc_exit never returns to the guest (its caller is noreturn): if the call
    // failed instead of ending the task (a filter denied it, a kernel bug), the
    // task ends anyway with the code it asked for.
    return (...raw) => {
      const errno = call(raw);
      throw new TaskExit({ code: (Number(raw[0] ?? 0) >>> 0) & 0xff, reason: `${name} failed with errno ${errno}; the task ends anyway` });
    };
  }
  return fixedArity(codec.params.length, call);
}

/**
 * How a traced call runs once the codec decoded its arguments (`args`, for
 * the line; `raw` as the guest passed them): returns the errno and sets
 * `shown.value` to the result the line shows.
 */
export type TracedRun = (mem: GuestMemory, raw: RawArgs, args: unknown, shown: { value: unknown }) => number;

/**
 * The `--strace` form of call `entry`: one line per guest call around
 * `run`, with the arguments as the codec decodes them (a decode failure is
 * the call's errno, `run` is not called), the errno, the shown result and
 * the duration; ` = ?` for a call that ended the task. Used by the generic
 * imports and by the sentry platform's piecewise calls (sentry_fast.ts).
 */
export function tracer(entry: SyscallEntry, ctx: ImportContext, run: TracedRun): (raw: RawArgs) => number {
  const { codec, name } = entry;
  const shown = { value: undefined as unknown };
  const emit = (args: unknown, errno: number, ns: bigint, exited: boolean) => {
    const injected = args !== null && typeof args === 'object' ? (args as { _injected?: string })._injected : undefined;
    if (ctx.strace) {
      const line = formatCall(ctx.pid, name, args, errno, exited ? undefined : shown.value, ns);
      ctx.strace((exited ? line.replace(/ = 0 SUCCESS/, ' = ?') : line) + (injected === undefined ? '' : ` [injected: ${injected}]`));
    }
    ctx.traceCall?.({ pid: ctx.pid, name, args, errno, value: exited ? undefined : shown.value, ns, exited, injected });
  };
  return (raw) => {
    const clock = ctx.traceClock ?? (() => ctx.host.monotonicNs());
    const t0 = clock();
    const mem = ctx.memory;
    let args: unknown = raw;
    let errno: number;
    shown.value = undefined;
    try {
      if (mem === null) throw E.FAULT;
      args = codec.decode(mem, raw);
      errno = run(mem, raw, args, shown);
    } catch (err) {
      if (err instanceof TaskExit) {
        emit(args, 0, clock() - t0, true);
        throw err;
      }
      errno = errnoOf(err, ctx.host, `${name}: ABI error`);
    }
    emit(args, errno, clock() - t0, false);
    return errno;
  };
}

type Raw = number | bigint;

/**
 * The import as wasm calls it, with its declared arity: no rest array per
 * call (the arguments go into one array per import, reused: a call never
 * re-enters its own import, and nothing keeps `raw` after the call).
 */
export function fixedArity(n: number, call: (raw: RawArgs) => number): (...raw: Raw[]) => number {
  const r: Raw[] = new Array<Raw>(n).fill(0);
  switch (n) {
    case 1: return (a: Raw) => { r[0] = a; return call(r); };
    case 2: return (a: Raw, b: Raw) => { r[0] = a; r[1] = b; return call(r); };
    case 3: return (a: Raw, b: Raw, c: Raw) => { r[0] = a; r[1] = b; r[2] = c; return call(r); };
    case 4: return (a: Raw, b: Raw, c: Raw, d: Raw) => { r[0] = a; r[1] = b; r[2] = c; r[3] = d; return call(r); };
    case 5: return (a: Raw, b: Raw, c: Raw, d: Raw, e: Raw) => { r[0] = a; r[1] = b; r[2] = c; r[3] = d; r[4] = e; return call(r); };
    case 6: return (a: Raw, b: Raw, c: Raw, d: Raw, e: Raw, f: Raw) => { r[0] = a; r[1] = b; r[2] = c; r[3] = d; r[4] = e; r[5] = f; return call(r); };
    default: return (...raw: Raw[]) => call(raw);
  }
}

/** The import object `{ wasi_snapshot_preview1: {...} }` for one task. */
export function buildImports(ctx: ImportContext): WebAssembly.Imports {
  const ns: Record<string, (...raw: (number | bigint)[]) => number | void> = {};
  for (const entry of SYSCALLS) ns[entry.name] = makeImport(entry, ctx);
  return { [WASI_MODULE]: ns };
}
