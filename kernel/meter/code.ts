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
 *
 * Two ways to keep the fuel in a body (README.md, "Where the fuel lives"):
 * - global, for a body without loops (and one with exception handling: a
 *   catch would resume with a stale local): every check reads and writes
 *   the fuel global;
 * - local, for a body with loops: an added i32 local holds it; loaded from
 *   the global at entry, stored back before every call and every way out
 *   (`return`, a branch to the body's label, its `end`), reloaded after a
 *   call to a defined function; each loop is wrapped so that its call out
 *   of fuel is outside it (README.md, "Loops").
 * A body is scanned in global mode first, again in local mode from its
 * start at its first loop, and in global mode at an exception opcode.
 */
import { MeterError, Out } from './bytes.js';
import { emitCheck, leafify, shapes, type CheckShapes, type CodeContext } from './check.js';
import { skipBlockType, skipFC, skipFD, skipFE } from './opcodes.js';

// Immediate kinds of single-byte opcodes.
const NONE = 0, LEB1 = 1, LEB2 = 2, MEMARG = 3, BLOCK = 4, LOOP = 5, END = 6, F32 = 7, F64 = 8, BR_TABLE = 9,
  CALL = 10, SELECT_T = 11, P_FC = 12, P_FD = 13, P_FE = 14, TRY_TABLE = 15, DELEGATE = 16, CALL_IND = 17,
  BR = 18, RETURN = 19, REF_FUNC = 20, EH = 21, CALL_REF = 22, BAD = 255;

/** Opcode → immediate kind (255: not decoded, the module is refused). */
const KIND = new Uint8Array(256).fill(BAD);
(() => {
  const set = (k: number, ...ops: number[]): void => { for (const o of ops) KIND[o] = k; };
  set(NONE, 0x00, 0x01, 0x05, 0x1a, 0x1b, 0xd1, 0xd3, 0xd4);
  set(BLOCK, 0x02, 0x04);
  set(LOOP, 0x03);
  set(END, 0x0b);
  set(LEB1, 0x20, 0x21, 0x22, 0x23, 0x24, 0x25, 0x26, 0x3f, 0x40, 0x41, 0x42, 0xd0);
  set(BR, 0x0c, 0x0d, 0xd5, 0xd6);
  set(RETURN, 0x0f);
  set(CALL, 0x10, 0x12);
  set(REF_FUNC, 0xd2);
  set(CALL_IND, 0x11, 0x13);
  set(CALL_REF, 0x14, 0x15);
  set(BR_TABLE, 0x0e);
  set(SELECT_T, 0x1c);
  set(EH, 0x06, 0x07, 0x08, 0x09, 0x0a, 0x19);
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

export type { CodeContext } from './check.js';


/** Per-function counts, for tests and the bench. */
export interface CodeStats {
  functions: number;
  loops: number;
  leaves: number;
}

/** Largest cost charged at one check (keeps the i32 counter far from wrapping). */
const MAX_COST = 1 << 24;
/** Most locals a body may have for the fuel local to be added (V8 allows 50,000). */
const MAX_LOCALS = 49_000;

/** Returned by `scan` when the body needs another mode: a loop (global mode, first try) or exception handling (local mode). */
const RETRY = -1;

/**
 * Open blocks of the body being scanned, each `wraps << 2 | kind`: kind 0 a
 * block, 1 a loop checked inside, 2 a loop checked by the wrapping of
 * README.md ("Loops"), whose outer count and cost position are on `saved`;
 * `wraps` counts the blocks the rewrite added around it and its outer
 * blocks (a branch out across them gets its label raised).
 */
const open: number[] = [];
const saved: number[] = [];
const labels: number[] = [];
/** What the wrapping of a loop adds around it. */
const WRAP = 3;

/**
 * Copy the function body `b[start..end)` (after its size) to `out`, metered.
 * `params` is the number of the function's parameters (the fuel local's
 * index is after them and the declared locals). Throws MeterError for bytes
 * it cannot decode.
 */
export function rewriteBody(b: Uint8Array, start: number, end: number, out: Out, ctx: CodeContext, stats: CodeStats, params: number, fn: number): void {
  let p = start;
  // locals: vec((count, valtype))
  let nDecl = 0, shift = 0, by: number;
  do { by = b[p++]!; nDecl |= (by & 0x7f) << shift; shift += 7; } while (by & 0x80 && shift < 35);
  let locals = params;
  const declFrom = p;
  for (let i = 0; i < nDecl; i++) {
    let c = 0, s = 0;
    do { by = b[p++]!; c += (by & 0x7f) * 2 ** s; s += 7; } while (by & 0x80 && s < 35);
    locals += c;
    const t = b[p++]!;
    if (t === 0x63 || t === 0x64) while (b[p++]! & 0x80);
  }
  if (p > end) throw new MeterError('MALFORMED', 'function locals run past the body');
  const mark = out.n;
  if (ctx.smallLeaf[fn]! >= 0) {
    // charged by its callers: no check
    out.copy(b, start, p);
    scan(b, p, end, out, ctx, stats, ctx.global, false, true);
    return;
  }
  // a body without loops keeps the fuel in the global (no store and reload around its calls)
  out.copy(b, start, p);
  if (locals >= MAX_LOCALS || scan(b, p, end, out, ctx, stats, ctx.global, true, false) !== RETRY) return;
  out.n = mark;
  out.u32(nDecl + 1);
  out.copy(b, declFrom, p);
  out.byte(1); out.byte(0x7f); // the fuel local: (1, i32)
  if (scan(b, p, end, out, ctx, stats, shapes(ctx, locals), false, false) !== RETRY) return;
  out.n = mark;
  out.copy(b, start, p);
  scan(b, p, end, out, ctx, stats, ctx.global, false, false);
}

/**
 * Scan and copy the instructions `b[p..end)`, with checks of `sh` (local
 * mode when `sh.local`). Returns 0, or RETRY (the caller rewinds `out`) in
 * local mode at an exception-handling opcode and, with `noLoops`, at a loop.
 */
function scan(b: Uint8Array, p: number, end: number, out: Out, ctx: CodeContext, stats: CodeStats, sh: CheckShapes, noLoops: boolean, bare: boolean): number {
  const local = sh.local;
  const entry = bare ? -1 : emitCheck(out, sh, sh.entry);
  const entryTail = out.n - sh.tail.length;
  const smallLeaf = ctx.smallLeaf;
  let copyFrom = p;
  let cnt = 0;
  let leaf = true;
  let loops = 0;
  open.length = 0;
  saved.length = 0;
  const imported = ctx.importedFuncs;
  for (;;) {
    if (p >= end) throw new MeterError('MALFORMED', 'function body without its end');
    const op = b[p++]!;
    cnt++;
    switch (KIND[op]) {
      case NONE: break;
      case LEB1: while (b[p++]! & 0x80); break;
      case MEMARG: {
        const align = b[p]!;
        while (b[p++]! & 0x80);
        if (align & 0x40) while (b[p++]! & 0x80);
        while (b[p++]! & 0x80);
        break;
      }
      case BLOCK: p = skipBlockType(b, p); open.push(open.length === 0 ? 0 : open[open.length - 1]! & ~3); break;
      case LOOP: {
        if (noLoops) return RETRY;
        const at = p - 1, bt = p;
        p = skipBlockType(b, p);
        const w = open.length === 0 ? 0 : open[open.length - 1]! & ~3;
        let c: number;
        if (local && noParams(b, bt, ctx)) {
          // block bt  loop  block  loop bt  <check: br_if 1 when spent>  … end  <call out, retry>  (README.md, "Loops")
          out.copy(b, copyFrom, at);
          out.byte(0x02); out.copy(b, bt, p); out.byte(0x03); out.byte(0x40); out.byte(0x02); out.byte(0x40); out.byte(0x03); out.copy(b, bt, p);
          out.put(sh.loop);
          c = out.reserve5();
          out.put(sh.loopSub);
          open.push(w + (WRAP << 2) + 2);
        } else {
          out.copy(b, copyFrom, p);
          c = emitCheck(out, sh, sh.loop);
          open.push(w + 1);
        }
        saved.push(cnt, c);
        cnt = 0;
        copyFrom = p;
        leaf = false;
        loops++;
        break;
      }
      case BR: {
        let l = 0, s = 0, x: number;
        const at = p - 1;
        do { x = b[p++]!; l = (l | ((x & 0x7f) << s)) >>> 0; s += 7; } while (x & 0x80 && s < 35);
        if (local) {
          const d = open.length;
          if (l === d) { out.copy(b, copyFrom, at); out.put(sh.store); copyFrom = at; }
          const raise = d === 0 ? 0 : (open[d - 1]! >> 2) - (l < d ? open[d - 1 - l]! >> 2 : 0);
          if (raise !== 0) { out.copy(b, copyFrom, at + 1); out.u32(l + raise); copyFrom = p; }
        }
        break;
      }
      case RETURN:
        if (local) { out.copy(b, copyFrom, p - 1); out.put(sh.store); copyFrom = p - 1; }
        break;
      case DELEGATE:
      case END: {
        if (op === 0x18) {
          if (local) return RETRY;
          while (b[p++]! & 0x80); // delegate ends its try as `end` does
        }
        if (open.length === 0) {
          if (p !== end) throw new MeterError('MALFORMED', 'function body continues after its end');
          if (local) { out.copy(b, copyFrom, p - 1); out.put(sh.store); copyFrom = p - 1; }
          out.copy(b, copyFrom, p);
          if (bare) { stats.leaves++; stats.functions++; return 0; }
          out.patch5(entry, Math.min(cnt, MAX_COST));
          if (leaf) {
            // no loop and no call: bounded, the caller's next check catches up
            leafify(out, entryTail, sh);
            stats.leaves++;
          }
          stats.functions++;
          stats.loops += loops;
          return 0;
        }
        const k = open.pop()! & 3;
        if (k !== 0) {
          const at = saved.pop()!;
          const cost = Math.min(cnt, MAX_COST);
          out.patch5(at, cost);
          cnt = saved.pop()!;
          if (k === 2) {
            out.copy(b, copyFrom, p);
            out.put(sh.loopExit);
            out.patch5(out.reserve5(), cost);
            out.put(sh.loopAgain);
            copyFrom = p;
          }
        }
        break;
      }
      case CALL: {
        const at = p;
        let idx = 0, s = 0, x: number;
        do { x = b[p++]!; idx = (idx | ((x & 0x7f) << s)) >>> 0; s += 7; } while (x & 0x80 && s < 35);
        const lc = idx >= imported ? smallLeaf[idx - imported]! : -1;
        if (lc >= 0) {
          cnt += lc; // a small leaf is charged here, by its callers
          if (op === 0x10) {
            // leaves the fuel alone: no store, no reload, this body stays a leaf if it was one
            out.copy(b, copyFrom, at);
            out.u32(idx + 1);
            copyFrom = p;
            break;
          }
        }
        leaf = false;
        if (local) {
          out.copy(b, copyFrom, at - 1);
          out.put(sh.store);
          out.byte(op);
          out.u32(idx >= imported ? idx + 1 : idx);
          // an import leaves the fuel as it was; return_call does not come back
          if (idx >= imported && op === 0x10) out.put(sh.load);
          copyFrom = p;
        } else if (idx >= imported) {
          out.copy(b, copyFrom, at);
          out.u32(idx + 1);
          copyFrom = p;
        }
        break;
      }
      case REF_FUNC: {
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
      case CALL_IND:
      case CALL_REF: {
        leaf = false;
        cnt += ctx.indirectCost; // the callee may be a small leaf
        const at = p - 1;
        while (b[p++]! & 0x80);
        if (op === 0x11 || op === 0x13) while (b[p++]! & 0x80);
        if (local) {
          out.copy(b, copyFrom, at);
          out.put(sh.store);
          out.copy(b, at, p);
          if (op === 0x11 || op === 0x14) out.put(sh.load);
          copyFrom = p;
        }
        break;
      }
      case EH:
        if (local) return RETRY;
        if (op === 0x06) { p = skipBlockType(b, p); open.push(0); } else if (op !== 0x0a && op !== 0x19) while (b[p++]! & 0x80);
        break;
      case F32: p += 4; break;
      case F64: p += 8; break;
      case BR_TABLE: {
        const at = p - 1;
        let n = 0, s = 0, x: number;
        do { x = b[p++]!; n = (n | ((x & 0x7f) << s)) >>> 0; s += 7; } while (x & 0x80 && s < 35);
        if (n > end - p) throw new MeterError('MALFORMED', 'br_table longer than its body');
        const d = open.length;
        const top = d === 0 ? 0 : open[d - 1]! >> 2;
        let ret = false;
        labels.length = 0;
        for (let i = 0; i <= n; i++) {
          let l = 0; s = 0;
          do { x = b[p++]!; l = (l | ((x & 0x7f) << s)) >>> 0; s += 7; } while (x & 0x80 && s < 35);
          if (l === d) ret = true;
          labels.push(l);
        }
        if (!local) break;
        if (ret) { out.copy(b, copyFrom, at); out.put(sh.store); copyFrom = at; }
        if (top !== 0) {
          out.copy(b, copyFrom, at);
          out.byte(0x0e);
          out.u32(n);
          for (const l of labels) out.u32(l + top - (l < d ? open[d - 1 - l]! >> 2 : 0));
          copyFrom = p;
        }
        break;
      }
      case LEB2: while (b[p++]! & 0x80); while (b[p++]! & 0x80); break;
      case SELECT_T: {
        let n = 0, s = 0, x: number;
        do { x = b[p++]!; n = (n | ((x & 0x7f) << s)) >>> 0; s += 7; } while (x & 0x80 && s < 35);
        if (n > end - p) throw new MeterError('MALFORMED', 'select type vector longer than its body');
        for (let i = 0; i < n; i++) { const t = b[p++]!; if (t === 0x63 || t === 0x64) while (b[p++]! & 0x80); }
        break;
      }
      case TRY_TABLE: {
        if (local) return RETRY;
        p = skipBlockType(b, p);
        let n = 0, s = 0, x: number;
        do { x = b[p++]!; n = (n | ((x & 0x7f) << s)) >>> 0; s += 7; } while (x & 0x80 && s < 35);
        if (n > end - p) throw new MeterError('MALFORMED', 'try_table catch vector longer than its body');
        for (let i = 0; i < n; i++) {
          const k = b[p++]!;
          if (k <= 1) while (b[p++]! & 0x80); // tag
          while (b[p++]! & 0x80); // label
        }
        open.push(0);
        break;
      }
      case P_FC: p = skipFC(b, p); break;
      case P_FD: p = skipFD(b, p); break;
      case P_FE: p = skipFE(b, p); break;
      default:
        throw new MeterError('UNSUPPORTED', `opcode 0x${op.toString(16).padStart(2, '0')} at byte ${p - 1} is not decoded by the metering rewriter (GC and other post-2.0 proposals are not supported)`);
    }
  }
}

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
      case NONE: case RETURN: break;
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

/** True if the block type at `b[p]` takes no parameters (no type index of a type with some). */
function noParams(b: Uint8Array, p: number, ctx: CodeContext): boolean {
  const t = b[p]!;
  if (t >= 0x40 && t < 0x80) return true; // empty, a value type, (ref null? ht)
  let v = 0, s = 0, x: number;
  do { x = b[p++]!; v += (x & 0x7f) * 2 ** s; s += 7; } while (x & 0x80 && s < 35);
  return ctx.typeParams[v] === 0;
}
