/**
 * Enforcing memory.max inside the guest: rewrite the module so that its
 * linear memory cannot grow past the limit. Defined memories (section 5)
 * and imported memories (section 2) get `max = min(max, limit pages)`;
 * `memory.grow` past it then returns -1 and malloc returns NULL. A module
 * whose initial memory already exceeds the limit cannot start.
 * Only the limits bytes change; every other byte is copied as is.
 */
import { isWasm } from '../../kernel/platform/wasm_magic.js';
import { CodedError } from '../coded_error.js';

const PAGE = 65536;

/** Thrown for a module this rewriter cannot handle or that cannot fit the limit. */
export class ModuleLimitError extends CodedError<'MALFORMED' | 'TOO_BIG'> {
  override readonly name = 'ModuleLimitError';
}

/** Bytes as MiB for messages: `32 MiB`, `39.9 MiB`. */
function mib(n: number): string {
  return n < 2 ** 20 ? `${Number((n / 1024).toFixed(1))} KiB` : `${Number((n / 2 ** 20).toFixed(1))} MiB`;
}

function readU32(b: Uint8Array, pos: number): [number, number] {
  let v = 0;
  let shift = 0;
  for (;;) {
    if (pos >= b.length) throw new ModuleLimitError('MALFORMED', 'truncated LEB128');
    const byte = b[pos++]!;
    v += (byte & 0x7f) * 2 ** shift;
    if ((byte & 0x80) === 0) return [v, pos];
    shift += 7;
    if (shift > 35) throw new ModuleLimitError('MALFORMED', 'LEB128 too long');
  }
}

function writeU32(v: number): number[] {
  const out: number[] = [];
  do {
    let byte = v & 0x7f;
    v = Math.floor(v / 128);
    if (v !== 0) byte |= 0x80;
    out.push(byte);
  } while (v !== 0);
  return out;
}

function skipName(b: Uint8Array, pos: number): number {
  const [n, p] = readU32(b, pos);
  return p + n;
}

/** Rewrite limits at `pos`; returns [new bytes, position after the old limits]. */
function patchLimits(b: Uint8Array, pos: number, maxPages: number): [number[], number] {
  const flags = b[pos]!;
  if (flags & 0x04) throw new ModuleLimitError('MALFORMED', 'memory64 is not supported');
  const shared = flags & 0x02;
  let [min, p] = readU32(b, pos + 1);
  let max: number | null = null;
  if (flags & 0x01) [max, p] = readU32(b, p);
  if (min > maxPages) {
    throw new ModuleLimitError('TOO_BIG', `the module needs ${mib(min * PAGE)} of memory at start (${min} pages of 64 KiB), over the memory limit of ${mib(maxPages * PAGE)}: raise -m (memory.limit)`);
  }
  const newMax = max === null ? maxPages : Math.min(max, maxPages);
  return [[0x01 | shared, ...writeU32(min), ...writeU32(newMax)], p];
}

function importsSection(b: Uint8Array, start: number, end: number, maxPages: number): number[] {
  const out: number[] = [];
  let [count, p] = readU32(b, start);
  out.push(...writeU32(count));
  for (let i = 0; i < count; i++) {
    const s = p;
    p = skipName(b, p);
    p = skipName(b, p);
    const kind = b[p++]!;
    if (kind === 0x02) {
      for (let k = s; k < p; k++) out.push(b[k]!);
      const [lim, after] = patchLimits(b, p, maxPages);
      out.push(...lim);
      p = after;
      continue;
    }
    if (kind === 0x00) [, p] = readU32(b, p);
    else if (kind === 0x01) {
      p++; // reftype
      const flags = b[p++]!;
      [, p] = readU32(b, p);
      if (flags & 1) [, p] = readU32(b, p);
    } else if (kind === 0x03) p += 2;
    else if (kind === 0x04) { p++; [, p] = readU32(b, p); }
    else throw new ModuleLimitError('MALFORMED', `unknown import kind ${kind}`);
    for (let k = s; k < p; k++) out.push(b[k]!);
  }
  if (p !== end) for (let k = p; k < end; k++) out.push(b[k]!);
  return out;
}

function memorySection(b: Uint8Array, start: number, end: number, maxPages: number): number[] {
  const out: number[] = [];
  let [count, p] = readU32(b, start);
  out.push(...writeU32(count));
  for (let i = 0; i < count; i++) {
    const [lim, after] = patchLimits(b, p, maxPages);
    out.push(...lim);
    p = after;
  }
  for (let k = p; k < end; k++) out.push(b[k]!);
  return out;
}

/** Return `bytes` with every memory's maximum capped at `limitBytes` (rounded down to pages). */
export function limitModuleMemory(bytes: Uint8Array, limitBytes: number): Uint8Array {
  const maxPages = Math.max(0, Math.floor(limitBytes / PAGE));
  if (!isWasm(bytes)) throw new ModuleLimitError('MALFORMED', 'not a WebAssembly module');
  const parts: Uint8Array[] = [bytes.subarray(0, 8)];
  let pos = 8;
  while (pos < bytes.length) {
    const id = bytes[pos]!;
    const [size, start] = readU32(bytes, pos + 1);
    const end = start + size;
    if (end > bytes.length) throw new ModuleLimitError('MALFORMED', 'section runs past the end');
    if (id === 2 || id === 5) {
      const body = id === 2 ? importsSection(bytes, start, end, maxPages) : memorySection(bytes, start, end, maxPages);
      parts.push(Uint8Array.from([id, ...writeU32(body.length), ...body]));
    } else {
      parts.push(bytes.subarray(pos, end));
    }
    pos = end;
  }
  const total = parts.reduce((n, x) => n + x.length, 0);
  const out = new Uint8Array(total);
  let off = 0;
  for (const x of parts) {
    out.set(x, off);
    off += x.length;
  }
  return out;
}
