/**
 * The syscall trace of a run as data: one `TraceEntry` per call, in order,
 * made from the platform's traced call (kernel/platform/imports.ts
 * `TracedCall`) while its buffers are still valid. `formatTrace` prints it
 * as strace-like lines, byte-identical for identical runs (with a virtual
 * clock, durations are virtual time too), for snapshots and comparisons.
 */
import { ERRNO_NAMES } from '../../kernel/errno.js';
import type { TracedCall } from '../../kernel/platform/imports.js';
import { formatArgs, formatValue } from '../../kernel/platform/strace.js';

/** Bytes of a buffer argument or result kept in a trace entry (the rest is cut; `length` fields keep the size). */
export const TRACE_BYTES = 4096;

/** One system call, as the program made it. */
export interface TraceEntry {
  /** Process id in the container (1: the first process). */
  pid: number;
  /** WASI name: `path_open`, `fd_write`... */
  call: string;
  /**
   * The decoded arguments, by the names of the call's description
   * (`fd`, `path`, `oflags`, `data`...); buffers are copies, cut at TRACE_BYTES.
   */
  args: Record<string, unknown>;
  /**
   * The container path the call concerns: a path argument resolved against
   * its directory fd (`/data/x` for `path_open(fd=3, path="data/x")`), or
   * the path an fd call's file was opened by. Absent when there is none.
   */
  path?: string;
  /** errno: 0 on success. */
  errno: number;
  /** errno's name with its E: `ENOENT`, or `SUCCESS`. */
  error: string;
  /** What the call returned (an fd, a byte count, bytes read...), on success. */
  result?: unknown;
  /** Duration in ns (virtual time under a virtual clock). */
  ns: number;
  /** The call ended the process (proc_exit): it never returned. */
  exited?: true;
  /** Set when fault injection changed this call: what it did (`ENOENT`, `short 1`, `delay 50ms`). */
  injected?: string;
}

/** Calls a trace keeps at most (a guest controls how many it makes); later calls are counted, not kept. */
export const TRACE_MAX_ENTRIES = 100_000;
/** Bytes a trace keeps at most (buffers, strings and about 64 bytes an entry); past it, calls are counted, not kept. */
export const TRACE_MAX_BYTES = 64 * 1024 * 1024;
/** Elements of an argument array kept in an entry (an iovec list of 1024 buffers keeps its first 64). */
const TRACE_ARRAY_ITEMS = 64;

/** Running byte count of one entry's copies. */
interface Tally { bytes: number }

/** A copy of `v` that outlives the call: buffers copied (cut at TRACE_BYTES), objects and arrays copied, `_`-fields dropped. */
function plain(v: unknown, tally: Tally, depth = 0): unknown {
  if (v instanceof Uint8Array) {
    tally.bytes += Math.min(v.length, TRACE_BYTES);
    return v.slice(0, TRACE_BYTES);
  }
  if (typeof v === 'string') tally.bytes += v.length;
  if (v === null || typeof v !== 'object' || depth > 3) return v;
  tally.bytes += 16;
  if (Array.isArray(v)) return v.slice(0, TRACE_ARRAY_ITEMS).map((x) => plain(x, tally, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [k, x] of Object.entries(v as Record<string, unknown>)) {
    if (k.startsWith('_') || x === undefined) continue;
    out[k] = plain(x, tally, depth + 1);
  }
  return out;
}

/**
 * A trace being recorded, bounded in entries and bytes: once either bound
 * is reached, later calls are only counted in `dropped`. Shared by the
 * inline `runProgram` and the Sentry's containers.
 */
export class TraceLog {
  /** The calls kept, in order. */
  readonly entries: TraceEntry[] = [];
  /** Calls made after the log was full (not kept). */
  dropped = 0;
  private bytes = 0;

  constructor(private readonly maxEntries = TRACE_MAX_ENTRIES, private readonly maxBytes = TRACE_MAX_BYTES) {}

  /** Keep `c` (with its `path`), or count it when the log is full. */
  add(c: TracedCall, path: string | undefined): void {
    if (this.entries.length >= this.maxEntries || this.bytes >= this.maxBytes) {
      this.dropped++;
      return;
    }
    const tally = { bytes: 64 + (path?.length ?? 0) };
    this.entries.push(traceEntry(c, path, tally));
    this.bytes += tally.bytes;
  }
}

/** A trace entry from a traced call (`path` worked out by the caller, before or after the call); `tally` counts the bytes copied. */
export function traceEntry(c: TracedCall, path: string | undefined, tally: Tally = { bytes: 0 }): TraceEntry {
  const e: TraceEntry = {
    pid: c.pid,
    call: c.name,
    args: plain(c.args, tally) as Record<string, unknown>,
    errno: c.errno,
    error: c.errno === 0 ? 'SUCCESS' : `E${ERRNO_NAMES[c.errno] ?? '?'}`,
    ns: Number(c.ns),
  };
  if (path !== undefined) e.path = path;
  if (c.errno === 0 && c.value !== undefined) e.result = plain(c.value, tally);
  if (c.exited) e.exited = true;
  if (c.injected !== undefined) e.injected = c.injected;
  return e;
}

/** Options of `formatTrace`. */
export interface FormatTraceOptions {
  /** Show durations (default true; false for snapshots of runs on the real clock). */
  durations?: boolean;
}

/** The trace as strace-like lines: `[1] path_open(fd=3, path="data/x", ...) = 44 ENOENT [injected: ENOENT]`. */
export function formatTrace(trace: readonly TraceEntry[], opts: FormatTraceOptions = {}): string {
  const lines = trace.map((e) => {
    const res = e.result === undefined ? '' : ` → ${formatValue(e.result, 1)}`;
    const dur = opts.durations === false ? '' : ` <${(e.ns / 1000).toFixed(1)}µs>`;
    const status = e.exited ? '?' : `${e.errno} ${e.error}`;
    return `[${e.pid}] ${e.call}(${formatArgs(e.call, e.args)}) = ${status}${res}${dur}${e.injected === undefined ? '' : ` [injected: ${e.injected}]`}`;
  });
  return lines.length === 0 ? '' : `${lines.join('\n')}\n`;
}
