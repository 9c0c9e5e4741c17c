/**
 * The quick first pass of the metering rewriter over short function bodies:
 * which are small leaves (no loop, no call, at most SMALL_LEAF
 * instructions), that get no check of their own and are charged by their
 * callers (README.md, "Where the fuel lives").
 */
import { BLOCK, BR, BR_TABLE, ELSE, END, F32, F64, KIND, LEB1, LEB2, MEMARG, NONE, REF_FUNC, RETURN } from './code.js';
import { skipBlockType } from './opcodes.js';

/** Most instructions of a small leaf (no loop, no call): it has no check, its callers charge it. */
export const SMALL_LEAF = 32;

/**
 * The instruction count of the body `b[start..end)` (after its size) if
 * it is a small leaf (at most SMALL_LEAF instructions, no loop, no call of
 * any kind, no exception handling), else -1. Never throws: what it cannot
 * read is not a small leaf, and the rewrite proper reports it.
 */
export function smallLeafCost(b: Uint8Array, start: number, end: number): number {
  let p = start;
  let nDecl = 0, shift = 0, by: number;
  do { by = b[p++]!; nDecl |= (by & 0x7f) << shift; shift += 7; } while (by & 0x80 && shift < 35);
  for (let i = 0; i < nDecl && p < end; i++) {
    while (b[p++]! & 0x80);
    const t = b[p++]!;
    if (t === 0x63 || t === 0x64) while (b[p++]! & 0x80);
  }
  let depth = 0, cnt = 0;
  while (p < end && cnt <= SMALL_LEAF) {
    const op = b[p++]!;
    cnt++;
    switch (KIND[op]) {
      case NONE: case RETURN: case ELSE: break;
      case LEB1: case BR: while (b[p++]! & 0x80); break;
      case MEMARG: {
        const align = b[p]!;
        while (b[p++]! & 0x80);
        if (align & 0x40) while (b[p++]! & 0x80);
        while (b[p++]! & 0x80);
        break;
      }
      case BLOCK: p = skipBlockType(b, p); depth++; break;
      case END: if (depth-- === 0) return p === end ? cnt : -1; break;
      case REF_FUNC: while (b[p++]! & 0x80); break;
      case F32: p += 4; break;
      case F64: p += 8; break;
      case LEB2: while (b[p++]! & 0x80); while (b[p++]! & 0x80); break;
      case BR_TABLE: {
        let n = 0, s = 0, x: number;
        do { x = b[p++]!; n = (n | ((x & 0x7f) << s)) >>> 0; s += 7; } while (x & 0x80 && s < 35);
        if (n > end - p) return -1;
        for (let i = 0; i <= n; i++) while (b[p++]! & 0x80);
        break;
      }
      default: return -1; // a loop, a call, exception handling, a prefix: not a small leaf
    }
  }
  return -1;
}
