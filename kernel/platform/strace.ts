/**
 * `--strace` formatting: one line per call with the decoded arguments
 * (the fields the call's ABI description shows, in its order, buffers shown as escaped strings cut at
 * 32 bytes, like strace), the errno name, a short result and the duration.
 */
import { ABI, shownFields } from '../abi/spec.js';
import type { WasiCallName } from '../abi/wasi.js';
import { ERRNO_NAMES } from '../errno.js';

/** Bytes of a buffer shown; a longer one is marked `...`. */
export const MAX_BYTES = 32;
/** Longest string (path, name) shown, in code points; the rest is cut with `...`. */
const MAX_STRING = 256;

/**
 * Everything that is not a visible character or a plain space: C0 and C1
 * controls (ESC, CSI 0x9b), DEL, line and paragraph separators, bidi and
 * other format characters, lone surrogates, private use and unassigned code
 * points. A guest's strings must not drive the terminal that shows the trace.
 */
const UNSAFE = /[^\p{L}\p{M}\p{N}\p{P}\p{S} ]|["\\]/gu;

/** A guest string quoted for a terminal: unsafe code points escaped, cut at MAX_STRING. */
export function quoteString(str: string): string {
  const cps = Array.from(str);
  const cut = cps.length > MAX_STRING;
  const shown = (cut ? cps.slice(0, MAX_STRING).join('') : str).replace(UNSAFE, (c) => {
    if (c === '"' || c === '\\') return `\\${c}`;
    if (c === '\n') return '\\n';
    if (c === '\t') return '\\t';
    if (c === '\r') return '\\r';
    const cp = c.codePointAt(0)!;
    return cp < 0x100 ? `\\x${cp.toString(16).padStart(2, '0')}` : `\\u{${cp.toString(16)}}`;
  });
  return `"${shown}"${cut ? '...' : ''}`;
}

function bytes(b: Uint8Array): string {
  let s = '"';
  const n = Math.min(b.byteLength, MAX_BYTES);
  for (let i = 0; i < n; i++) {
    const c = b[i]!;
    if (c === 0x0a) s += '\\n';
    else if (c === 0x09) s += '\\t';
    else if (c === 0x22) s += '\\"';
    else if (c === 0x5c) s += '\\\\';
    else if (c >= 0x20 && c < 0x7f) s += String.fromCharCode(c);
    else s += `\\x${c.toString(16).padStart(2, '0')}`;
  }
  return `${s}"${b.byteLength > MAX_BYTES ? '...' : ''}`;
}

/** Format one value for strace. */
export function formatValue(v: unknown, depth = 0): string {
  if (v === undefined) return '';
  if (v === null) return 'null';
  if (typeof v === 'string') return quoteString(v);
  if (typeof v === 'number' || typeof v === 'bigint' || typeof v === 'boolean') return String(v);
  if (v instanceof Uint8Array) return bytes(v);
  if (depth > 2) return '…';
  if (Array.isArray(v)) {
    const shown = v.slice(0, 8).map((x) => formatValue(x, depth + 1));
    return `[${shown.join(', ')}${v.length > 8 ? `, …(${v.length})` : ''}]`;
  }
  if (typeof v === 'object') {
    const parts: string[] = [];
    for (const [k, x] of Object.entries(v as Record<string, unknown>)) {
      if (k.startsWith('_') || x === undefined) continue;
      parts.push(`${k}=${formatValue(x, depth + 1)}`);
    }
    return depth === 0 ? parts.join(', ') : `{${parts.join(', ')}}`;
  }
  return String(v);
}

/**
 * A call's decoded arguments as a line shows them: the fields its ABI
 * description names (kernel/abi/spec.ts `shownFields`: public parameter
 * fields, then public extras), in that order, unset ones left out. Raw
 * arguments (a decode that failed) and unknown calls are shown as they are.
 */
export function formatArgs(name: string, args: unknown): string {
  if (!(name in ABI) || args === null || typeof args !== 'object' || Array.isArray(args)) return formatValue(args);
  const a = args as Record<string, unknown>;
  const parts: string[] = [];
  for (const k of shownFields(name as WasiCallName)) {
    const x = a[k];
    if (x !== undefined) parts.push(`${k}=${formatValue(x, 1)}`);
  }
  return parts.join(', ');
}

/** One strace line. */
export function formatCall(pid: number, name: string, args: unknown, errno: number, value: unknown, ns: bigint): string {
  const res = errno === 0 && value !== undefined ? ` → ${formatValue(value, 1)}` : '';
  const us = Number(ns) / 1000;
  return `[${pid}] ${name}(${formatArgs(name, args)}) = ${errno} ${ERRNO_NAMES[errno] ?? '?'}${res} <${us.toFixed(1)}µs>`;
}
