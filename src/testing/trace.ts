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

/** A copy of `v` that outlives the call: buffers copied (cut at TRACE_BYTES), objects and arrays copied, `_`-fields dropped. */
function plain(v: unknown, depth = 0): unknown {
  if (v instanceof Uint8Array) return v.slice(0, TRACE_BYTES);
  if (v === null || typeof v !== 'object' || depth > 3) return v;
  if (Array.isArray(v)) return v.map((x) => plain(x, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [k, x] of Object.entries(v as Record<string, unknown>)) {
    if (k.startsWith('_') || x === undefined) continue;
    out[k] = plain(x, depth + 1);
  }
  return out;
}

/** A trace entry from a traced call (`path` worked out by the caller, before or after the call). */
export function traceEntry(c: TracedCall, path: string | undefined): TraceEntry {
  const e: TraceEntry = {
    pid: c.pid,
    call: c.name,
    args: plain(c.args) as Record<string, unknown>,
    errno: c.errno,
    error: c.errno === 0 ? 'SUCCESS' : `E${ERRNO_NAMES[c.errno] ?? '?'}`,
    ns: Number(c.ns),
  };
  if (path !== undefined) e.path = path;
  if (c.errno === 0 && c.value !== undefined) e.result = plain(c.value);
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
