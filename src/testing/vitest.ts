/**
 * `wasmvisor/testing/vitest`: matchers for a `runProgram` result.
 *
 *     import { expect } from 'vitest';
 *     import { wasmvisorMatchers } from 'wasmvisor/testing/vitest';
 *     expect.extend(wasmvisorMatchers);
 *
 *     expect(r).toHaveExited(0);
 *     expect(r).toHaveCalled('path_open', { path: '/data/in.txt', error: 'ENOENT' });
 *     expect(r).toHaveWritten('/data/out.txt', 'hello\n');
 *
 * Plain functions (no import of vitest here): they also work with Jest's
 * `expect.extend`. The type augmentation below names them for vitest.
 */
import type { ProgramResult } from './run_program.js';
import type { TraceEntry } from './trace.js';

/** What `toHaveCalled` compares: any of the entry's fields, or a decoded argument by name (`fd`, `oflags`...). */
export interface CallMatch {
  /** The container path the call concerned (absolute: `/data/x`), or a RegExp. */
  path?: string | RegExp;
  /** errno name: `SUCCESS`, `ENOENT`... */
  error?: string;
  /** True: only injected calls; a string: what was injected. */
  injected?: boolean | string;
  /** The call's result (an fd, a count). */
  result?: unknown;
  /** Any decoded argument: `fd: 1`, `oflags: 9`. */
  [arg: string]: unknown;
}

interface MatcherResult {
  pass: boolean;
  message: () => string;
}

function isResult(v: unknown): v is ProgramResult {
  return typeof v === 'object' && v !== null && 'exitCode' in v && 'trace' in v && 'fs' in v;
}

function notResult(name: string): MatcherResult {
  return { pass: false, message: () => `${name} expects the result of runProgram` };
}

function sameValue(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a === 'bigint' || typeof b === 'bigint') return typeof a !== 'object' && typeof b !== 'object' && BigInt(a as number) === BigInt(b as number);
  if (a instanceof Uint8Array && (typeof b === 'string' || b instanceof Uint8Array)) {
    const bb = typeof b === 'string' ? new TextEncoder().encode(b) : b;
    return a.length === bb.length && a.every((x, i) => x === bb[i]);
  }
  return false;
}

/** True if `e` is the call `call` with every field of `m`. */
export function callMatches(e: TraceEntry, call: string, m: CallMatch = {}): boolean {
  if (e.call !== call) return false;
  for (const [k, want] of Object.entries(m)) {
    if (want === undefined) continue;
    if (k === 'path') {
      if (e.path === undefined) return false;
      if (want instanceof RegExp ? !want.test(e.path) : e.path !== want) return false;
    } else if (k === 'error') {
      if (e.error !== want) return false;
    } else if (k === 'injected') {
      if (want === true ? e.injected === undefined : want === false ? e.injected !== undefined : e.injected !== want) return false;
    } else if (k === 'result') {
      if (!sameValue(e.result, want)) return false;
    } else if (!sameValue(e.args[k], want)) return false;
  }
  return true;
}

function show(v: unknown): string {
  return typeof v === 'string' ? JSON.stringify(v) : v instanceof Uint8Array ? `${v.length} bytes` : String(v);
}

/** The matchers, for `expect.extend`. */
export const wasmvisorMatchers = {
  /** The program exited with `code` (default 0); on failure the message shows stderr. */
  toHaveExited(received: unknown, code = 0): MatcherResult {
    if (!isResult(received)) return notResult('toHaveExited');
    const r = received;
    return {
      pass: r.exitCode === code,
      message: () => `expected the program ${r.exitCode === code ? 'not ' : ''}to exit with ${code}, it exited with ${r.exitCode}${r.reason ? ` (${r.reason})` : ''}${r.stderr ? `; stderr:\n${r.stderr.slice(-2000)}` : ''}`,
    };
  },

  /** The trace has a call `call` matching `match` (needs `trace: true` or faults). */
  toHaveCalled(received: unknown, call: string, match?: CallMatch): MatcherResult {
    if (!isResult(received)) return notResult('toHaveCalled');
    const r = received;
    const pass = r.trace.some((e) => callMatches(e, call, match));
    const same = r.trace.filter((e) => e.call === call).slice(0, 10);
    const want = match === undefined ? '' : ` with ${Object.entries(match).map(([k, v]) => `${k}=${show(v)}`).join(', ')}`;
    return {
      pass,
      message: () => r.trace.length === 0
        ? `the trace is empty: run with trace: true to record calls`
        : `expected ${pass ? 'no' : 'a'} ${call} call${want}; the ${call} calls were:\n${same.map((e) => `  ${e.path ?? ''} ${e.error}${e.injected ? ` [injected: ${e.injected}]` : ''}`).join('\n') || '  (none)'}`,
    };
  },

  /** The container file `path` holds `content` after the run (text, bytes, or a RegExp on its text). */
  toHaveWritten(received: unknown, path: string, content: string | Uint8Array | RegExp): MatcherResult {
    if (!isResult(received)) return notResult('toHaveWritten');
    let got: Uint8Array;
    try {
      got = received.fs.read(path);
    } catch (e) {
      return { pass: false, message: () => `expected ${path} to be written: ${(e as Error).message}` };
    }
    const text = new TextDecoder().decode(got);
    const pass = content instanceof RegExp ? content.test(text) : sameValue(got, content);
    return {
      pass,
      message: () => `expected ${path} ${pass ? 'not ' : ''}to hold ${content instanceof RegExp ? String(content) : show(content)}; it holds ${JSON.stringify(text.length > 500 ? `${text.slice(0, 500)}…` : text)}`,
    };
  },
};

/** The matchers' types, for `declare module 'vitest' { interface Assertion<T> extends WasmvisorMatchers<T> {} }`. */
export interface WasmvisorMatchers<R = unknown> {
  toHaveExited(code?: number): R;
  toHaveCalled(call: string, match?: CallMatch): R;
  toHaveWritten(path: string, content: string | Uint8Array | RegExp): R;
}
