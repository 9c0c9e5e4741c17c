/**
 * The code-section pass of the metering rewriter: one scan over each
 * function body that copies it to the output, inserting a fuel check at the
 * function's entry and at every loop head, and renumbering function indices
 * (`call`, `return_call`, `ref.func`) shifted by the added import.
 *
 * A check charges a static cost: at a loop head, the number of instructions
 * of the loop's body outside its nested loops (one iteration's worst case);
 * at function entry, the number of instructions outside any loop. Every
 * executed instruction is inside exactly one such region, and a region runs
 * its instructions at most once per charge, so the fuel spent is an upper
 * bound of the instructions executed. The cost is written once the region's
 * `end` is reached, into a 5-byte padded `i32.const` reserved at its head.
 */
import { MeterError, Out } from './bytes.js';

// Immediate kinds of single-byte opcodes.
const NONE = 0, LEB1 = 1, LEB2 = 2, MEMARG = 3, BLOCK = 4, LOOP = 5, END = 6, F32 = 7, F64 = 8, BR_TABLE = 9,
  FUNC = 10, SELECT_T = 11, P_FC = 12, P_FD = 13, P_FE = 14, TRY_TABLE = 15, DELEGATE = 16, CALL_IND = 17, BAD = 255;

/** Opcode → immediate kind (255: not decoded, the module is refused). */
const KIND = new Uint8Array(256).fill(BAD);
(() => {
  const set = (k: number, ...ops: number[]): void => { for (const o of ops) KIND[o] = k; };
  set(NONE, 0x00, 0x01, 0x05, 0x0a, 0x0f, 0x19, 0x1a, 0x1b, 0xd1, 0xd3, 0xd4);
  set(BLOCK, 0x02, 0x04, 0x06);
  set(LOOP, 0x03);
  set(END, 0x0b);
  set(LEB1, 0x07, 0x08, 0x09, 0x0c, 0x0d, 0x14, 0x15, 0x20, 0x21, 0x22, 0x23, 0x24, 0x25, 0x26, 0x3f, 0x40, 0x41, 0x42, 0xd0, 0xd5, 0xd6);
  set(FUNC, 0x10, 0x12, 0xd2);
  set(CALL_IND, 0x11, 0x13);
  set(BR_TABLE, 0x0e);
  set(SELECT_T, 0x1c);
  set(TRY_TABLE, 0x1f);
  set(DELEGATE, 0x18);
  for (let o = 0x28; o <= 0x3e; o++) KIND[o] = MEMARG;
  set(F32, 0x43);
  set(F64, 0x44);
  for (let o = 0x45; o <= 0xc4; o++) KIND[o] = NONE;
  set(P_FC, 0xfc);
  set(P_FD, 0xfd);
  set(P_FE, 0xfe);
})();

/** What the code pass needs from the module pass. */
export interface CodeContext {
  /** Function imports before the added one: indices at or above shift by one. */
  readonly importedFuncs: number;
  /** Index of the fuel global (LEB bytes). */
  readonly fuelGlobal: readonly number[];
  /** Index of the out-of-fuel import (LEB bytes). */
  readonly outFunc: readonly number[];
}

/** Per-function counts, for tests and the bench. */
export interface CodeStats {
  functions: number;
  loops: number;
  leaves: number;
}

const LEAF_TAIL_NOP = 0x01;

/** Emit the check; returns the position of its cost's padded LEB and the start of its tail. */
function emitCheck(out: Out, ctx: CodeContext): { cost: number; tail: number; tailEnd: number } {
  const g = ctx.fuelGlobal;
  const f = ctx.outFunc;
  out.ensure(32 + 5 * g.length + f.length);
  const b = out.buf;
  let n = out.n;
  b[n++] = 0x23; for (const x of g) b[n++] = x; // global.get $fuel
  b[n++] = 0x41; const cost = n; n += 5; // i32.const COST (patched)
  b[n++] = 0x6b; // i32.sub
  b[n++] = 0x24; for (const x of g) b[n++] = x; // global.set $fuel
  const tail = n;
  b[n++] = 0x23; for (const x of g) b[n++] = x; // global.get $fuel
  b[n++] = 0x41; b[n++] = 0x00; // i32.const 0
  b[n++] = 0x48; // i32.lt_s
  b[n++] = 0x04; b[n++] = 0x40; // if
  b[n++] = 0x23; for (const x of g) b[n++] = x; // global.get $fuel (what is left: ≤ 0)
  b[n++] = 0x10; for (const x of f) b[n++] = x; // call $out_of_fuel
  b[n++] = 0x24; for (const x of g) b[n++] = x; // global.set $fuel (the new quantum)
  b[n++] = 0x0b; // end
  out.n = n;
  return { cost, tail, tailEnd: n };
}

/** Largest cost charged at one check (keeps the i32 counter far from wrapping). */
const MAX_COST = 1 << 24;

/**
 * Copy the function body `b[start..end)` (after its size) to `out`, metered.
 * Returns nothing; throws MeterError for bytes it cannot decode.
 */
export function rewriteBody(b: Uint8Array, start: number, end: number, out: Out, ctx: CodeContext, stats: CodeStats): void {
  let p = start;
  // locals: vec((count, valtype))
  let nDecl = 0, shift = 0, by: number;
  do { by = b[p++]!; nDecl |= (by & 0x7f) << shift; shift += 7; } while (by & 0x80 && shift < 35);
  for (let i = 0; i < nDecl; i++) {
    while (b[p++]! & 0x80);
    const t = b[p++]!;
    if (t === 0x63 || t === 0x64) while (b[p++]! & 0x80);
  }
  if (p > end) throw new MeterError('MALFORMED', 'function locals run past the body');
  out.copy(b, start, p);
  const entry = emitCheck(out, ctx);
  let copyFrom = p;
  let cnt = 0;
  let leaf = true;
  // open blocks: 1 = loop (its outer count and cost position on `saved`), 0 = other
  const kinds: number[] = [];
  const saved: number[] = [];
  const imported = ctx.importedFuncs;
  for (;;) {
    if (p >= end) throw new MeterError('MALFORMED', 'function body without its end');
    const op = b[p++]!;
    cnt++;
    switch (KIND[op]) {
      case 0: /* NONE */ break;
      case 1: /* LEB1 */ while (b[p++]! & 0x80); break;
      case 2: /* LEB2 */ while (b[p++]! & 0x80); while (b[p++]! & 0x80); break;
      case 3: /* MEMARG */ {
        const align = b[p]!;
        while (b[p++]! & 0x80);
        if (align & 0x40) while (b[p++]! & 0x80);
        while (b[p++]! & 0x80);
        break;
      }
      case 4: /* BLOCK */ p = skipBlockType(b, p); kinds.push(0); break;
      case 5: /* LOOP */ {
        p = skipBlockType(b, p);
        out.copy(b, copyFrom, p);
        const c = emitCheck(out, ctx);
        kinds.push(1);
        saved.push(cnt, c.cost);
        cnt = 0;
        copyFrom = p;
        leaf = false;
        stats.loops++;
        break;
      }
      case 16: /* DELEGATE */
      case 6: /* END */ {
        if (op === 0x18) while (b[p++]! & 0x80); // delegate ends its try as `end` does
        if (kinds.length === 0) {
          if (p !== end) throw new MeterError('MALFORMED', 'function body continues after its end');
          out.copy(b, copyFrom, p);
          out.patch5(entry.cost, Math.min(cnt, MAX_COST));
          if (leaf) {
            // no loop and no call: bounded, the caller's next check catches up
            out.buf.fill(LEAF_TAIL_NOP, entry.tail, entry.tailEnd);
            stats.leaves++;
          }
          stats.functions++;
          return;
        }
        if (kinds.pop() === 1) {
          const at = saved.pop()!;
          out.patch5(at, Math.min(cnt, MAX_COST));
          cnt = saved.pop()!;
        }
        break;
      }
      case 10: /* FUNC */ {
        leaf = leaf && op === 0xd2;
        const at = p;
        let idx = 0, s = 0, x: number;
        do { x = b[p++]!; idx = (idx | ((x & 0x7f) << s)) >>> 0; s += 7; } while (x & 0x80 && s < 35);
        if (idx >= imported) {
          out.copy(b, copyFrom, at);
          out.u32(idx + 1);
          copyFrom = p;
        }
        break;
      }
      case 17: /* CALL_IND */ leaf = false; while (b[p++]! & 0x80); while (b[p++]! & 0x80); break;
      case 7: /* F32 */ p += 4; break;
      case 8: /* F64 */ p += 8; break;
      case 9: /* BR_TABLE */ {
        let n = 0, s = 0, x: number;
        do { x = b[p++]!; n = (n | ((x & 0x7f) << s)) >>> 0; s += 7; } while (x & 0x80 && s < 35);
        if (n > end - p) throw new MeterError('MALFORMED', 'br_table longer than its body');
        for (let i = 0; i <= n; i++) while (b[p++]! & 0x80);
        break;
      }
      case 11: /* SELECT_T */ {
        let n = 0, s = 0, x: number;
        do { x = b[p++]!; n = (n | ((x & 0x7f) << s)) >>> 0; s += 7; } while (x & 0x80 && s < 35);
        if (n > end - p) throw new MeterError('MALFORMED', 'select type vector longer than its body');
        for (let i = 0; i < n; i++) { const t = b[p++]!; if (t === 0x63 || t === 0x64) while (b[p++]! & 0x80); }
        break;
      }
      case 15: /* TRY_TABLE */ {
        p = skipBlockType(b, p);
        let n = 0, s = 0, x: number;
        do { x = b[p++]!; n = (n | ((x & 0x7f) << s)) >>> 0; s += 7; } while (x & 0x80 && s < 35);
        if (n > end - p) throw new MeterError('MALFORMED', 'try_table catch vector longer than its body');
        for (let i = 0; i < n; i++) {
          const k = b[p++]!;
          if (k <= 1) while (b[p++]! & 0x80); // tag
          while (b[p++]! & 0x80); // label
        }
        kinds.push(0);
        break;
      }
      case 12: /* P_FC */ p = skipFC(b, p); break;
      case 13: /* P_FD */ p = skipFD(b, p); break;
      case 14: /* P_FE */ p = skipFE(b, p); break;
      default:
        throw new MeterError('UNSUPPORTED', `opcode 0x${op.toString(16).padStart(2, '0')} at byte ${p - 1} is not decoded by the metering rewriter (GC and other post-2.0 proposals are not supported)`);
    }
  }
}

/** Skip a block type: 0x40, a one-byte value type, `(ref null? ht)`, or an s33 type index. */
function skipBlockType(b: Uint8Array, p: number): number {
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
function skipFC(b: Uint8Array, p0: number): number {
  const [sub, p] = readU(b, p0);
  if (sub <= 7) return p;
  switch (sub) {
    case 8: case 10: case 12: case 14: return skipLeb(b, skipLeb(b, p));
    case 9: case 11: case 13: case 15: case 16: case 17: return skipLeb(b, p);
    default: throw new MeterError('UNSUPPORTED', `opcode 0xfc ${sub} is not decoded by the metering rewriter`);
  }
}

/** 0xFD: SIMD (and relaxed SIMD). */
function skipFD(b: Uint8Array, p0: number): number {
  const [sub, p] = readU(b, p0);
  if (sub <= 11 || sub === 92 || sub === 93) return skipMemarg(b, p);
  if (sub === 12 || sub === 13) return p + 16;
  if (sub >= 21 && sub <= 34) return p + 1;
  if (sub >= 84 && sub <= 91) return skipMemarg(b, p) + 1;
  if (sub <= 0x113) return p;
  throw new MeterError('UNSUPPORTED', `opcode 0xfd ${sub} is not decoded by the metering rewriter`);
}

/** 0xFE: threads (atomic memory access and fence). */
function skipFE(b: Uint8Array, p0: number): number {
  const [sub, p] = readU(b, p0);
  if (sub === 3) return p + 1;
  if (sub <= 0x4e) return skipMemarg(b, p);
  throw new MeterError('UNSUPPORTED', `opcode 0xfe ${sub} is not decoded by the metering rewriter`);
}
