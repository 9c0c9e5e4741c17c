/**
 * `--strace` formatting: one line per call with the decoded arguments
 * (ABI-private `_` fields hidden, buffers shown as escaped strings cut at
 * 32 bytes, like strace), the errno name, a short result and the duration.
 */
import { ERRNO_NAMES } from '../errno.js';

const MAX_BYTES = 32;

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
  if (typeof v === 'string') return JSON.stringify(v);
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

/** One strace line. */
export function formatCall(pid: number, name: string, args: unknown, errno: number, value: unknown, ns: bigint): string {
  const res = errno === 0 && value !== undefined ? ` → ${formatValue(value, 1)}` : '';
  const us = Number(ns) / 1000;
  return `[${pid}] ${name}(${formatValue(args)}) = ${errno} ${ERRNO_NAMES[errno] ?? '?'}${res} <${us.toFixed(1)}µs>`;
}
