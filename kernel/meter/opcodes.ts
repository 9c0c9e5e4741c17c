/**
 * Skipping the immediates of the metering rewriter's code pass that need
 * more than a byte test: block types and the 0xFC, 0xFD and 0xFE prefixes.
 */
import { MeterError } from './bytes.js';

/** Skip a block type: 0x40, a one-byte value type, `(ref null? ht)`, or an s33 type index. */
export function skipBlockType(b: Uint8Array, p: number): number {
  const t = b[p]!;
  if (t === 0x63 || t === 0x64) { p++; while (b[p++]! & 0x80); return p; }
  if (t & 0x80) { while (b[p++]! & 0x80); return p; } // multi-byte type index
  return p + 1; // 0x40, a value type, or a one-byte type index
}

function readU(b: Uint8Array, p: number): [number, number] {
  let v = 0, s = 0, x: number;
  do { x = b[p++]!; v = (v | ((x & 0x7f) << s)) >>> 0; s += 7; } while (x & 0x80 && s < 35);
  return [v, p];
}

function skipLeb(b: Uint8Array, p: number): number {
  while (b[p++]! & 0x80);
  return p;
}

function skipMemarg(b: Uint8Array, p: number): number {
  const align = b[p]!;
  p = skipLeb(b, p);
  if (align & 0x40) p = skipLeb(b, p);
  return skipLeb(b, p);
}

/** 0xFC: saturating truncation, bulk memory, table ops. */
export function skipFC(b: Uint8Array, p0: number): number {
  const [sub, p] = readU(b, p0);
  if (sub <= 7) return p;
  switch (sub) {
    case 8: case 10: case 12: case 14: return skipLeb(b, skipLeb(b, p));
    case 9: case 11: case 13: case 15: case 16: case 17: return skipLeb(b, p);
    default: throw new MeterError('UNSUPPORTED', `opcode 0xfc ${sub} is not decoded by the metering rewriter`);
  }
}

/** 0xFD: SIMD (and relaxed SIMD). */
export function skipFD(b: Uint8Array, p0: number): number {
  const [sub, p] = readU(b, p0);
  if (sub <= 11 || sub === 92 || sub === 93) return skipMemarg(b, p);
  if (sub === 12 || sub === 13) return p + 16;
  if (sub >= 21 && sub <= 34) return p + 1;
  if (sub >= 84 && sub <= 91) return skipMemarg(b, p) + 1;
  if (sub <= 0x113) return p;
  throw new MeterError('UNSUPPORTED', `opcode 0xfd ${sub} is not decoded by the metering rewriter`);
}

/** 0xFE: threads (atomic memory access and fence). */
export function skipFE(b: Uint8Array, p0: number): number {
  const [sub, p] = readU(b, p0);
  if (sub === 3) return p + 1;
  if (sub <= 0x4e) return skipMemarg(b, p);
  throw new MeterError('UNSUPPORTED', `opcode 0xfe ${sub} is not decoded by the metering rewriter`);
}

/** True if the block type at `b[p]` takes no parameters (no type index of a type with some). */
export function noParams(b: Uint8Array, p: number, typeParams: Uint32Array): boolean {
  const t = b[p]!;
  if (t >= 0x40 && t < 0x80) return true; // empty, a value type, (ref null? ht)
  let v = 0, s = 0, x: number;
  do { x = b[p++]!; v += (x & 0x7f) * 2 ** s; s += 7; } while (x & 0x80 && s < 35);
  return typeParams[v] === 0;
}
