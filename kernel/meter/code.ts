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
 * Where the fuel lives (README.md, "Where the fuel lives"): the global at
 * the entry and at every call; an added i32 local in a wrapped loop (each
 * loop without block parameters is wrapped so that its call out of fuel is
 * outside it, README.md "Loops"). The scan tracks which is right at each
 * point (G, L or both) and converts with a store or a load where a call, a
 * way out, a loop head or a label needs the other; each label has one mode.
 * A body with exception handling keeps the global from its first exception
 * opcode (scanned again with the global only if a loop was wrapped before).
 */
import { MeterError, Out, patchLeb } from './bytes.js';
import { emitCheck, leafify, shapes, type CheckShapes, type CodeContext } from './check.js';
import { noParams, skipBlockType, skipFC, skipFD, skipFE } from './opcodes.js';

/** Immediate kinds of single-byte opcodes (the values of KIND). */
export const NONE = 0, LEB1 = 1, LEB2 = 2, MEMARG = 3, BLOCK = 4, LOOP = 5, END = 6, F32 = 7, F64 = 8, BR_TABLE = 9,
  CALL = 10, SELECT_T = 11, P_FC = 12, P_FD = 13, P_FE = 14, TRY_TABLE = 15, DELEGATE = 16, CALL_IND = 17,
  BR = 18, RETURN = 19, REF_FUNC = 20, EH = 21, CALL_REF = 22, ELSE = 23, BAD = 255;

/** Opcode → immediate kind (255: not decoded, the module is refused). */
export const KIND = new Uint8Array(256).fill(BAD);
(() => {
  const set = (k: number, ...ops: number[]): void => { for (const o of ops) KIND[o] = k; };
  set(ELSE, 0x05);
  set(NONE, 0x00, 0x01, 0x1a, 0x1b, 0xd1, 0xd3, 0xd4);
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

/** Returned by `scan` when the body must be scanned again with the fuel in the global only (exception handling after a wrapped loop). */
const RETRY = -1;

/**
 * Which copy of the fuel is right at a point of a body (README.md, "Where
 * the fuel lives"): the global, the local, or both; 0 is a label not yet
 * decided (the first branch to it, or its end, decides it).
 */
const G = 1, L = 2, B = 3;

/**
 * Open blocks of the body being scanned, each
 * `wraps << 6 | startMode << 4 | labelMode << 2 | kind`: kind 0 a block (or
 * try), 1 a loop checked in place (global), 2 a loop checked by the wrapping
 * of README.md ("Loops"), 3 an `if`; labelMode the mode every branch to the
 * label (and the fall through its end) must give; startMode, for an `if`,
 * the mode its `else` arm starts in; `wraps` counts the blocks the rewrite
 * added around it and its outer blocks (a branch out across them gets its
 * label raised).
 */
const open: number[] = [];
/** Per open loop: the outer region's count, and its cost's position. */
const saved: number[] = [];
const labels: number[] = [];
/** What the wrapping of a loop adds around it. */
const WRAP = 3;

/**
 * Copy the function body `b[start..end)` (after its size) to `out`, metered.
 * `b` is `out.input` (renumbered indices are patched into it in place,
 * where they keep their length) and `orig` the module as given (read
 * instead for a second scan of the body). `params` is the number of the function's parameters (the fuel local's
 * index is after them and the declared locals). Throws MeterError for bytes
 * it cannot decode.
 */
export function rewriteBody(b: Uint8Array, orig: Uint8Array, start: number, end: number, out: Out, ctx: CodeContext, stats: CodeStats, params: number, fn: number): void {
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
    scan(b, p, end, out, ctx, stats, null, true, true);
    return;
  }
  if (locals < MAX_LOCALS && !ctx.globalOnly) {
    // the fuel local: (1, i32) after the declared ones (unused in a body without loops)
    out.u32(nDecl + 1);
    out.copy(b, declFrom, p);
    out.byte(1); out.byte(0x7f);
    if (scan(b, p, end, out, ctx, stats, shapes(ctx, locals), false, true) !== RETRY) return;
    out.n = mark;
  }
  // again from the module as given: the first scan patched `b`
  out.copy(orig, start, p);
  scan(orig, p, end, out, ctx, stats, null, false, false);
}

/**
 * Scan and copy the instructions `b[p..end)`. `lsh` holds the shapes of
 * the fuel local (null: the fuel stays in the global, every loop checked
 * in place); `bare`: a small leaf, no check at all; `inPlace`: a
 * renumbered index that keeps its length is written into `b` (copied with
 * its run) rather than cutting the run. Returns 0, or RETRY
 * (the caller rewinds `out`) at an exception-handling opcode once a loop
 * was wrapped (a `catch` would resume with a stale local).
 */
function scan(b: Uint8Array, p: number, end: number, out: Out, ctx: CodeContext, stats: CodeStats, lsh: CheckShapes | null, bare: boolean, inPlace: boolean): number {
  const gsh = ctx.global;
  const entry = bare ? -1 : emitCheck(out, gsh, gsh.entry);
  const entryTail = out.n - gsh.tail.length;
  const smallLeaf = ctx.smallLeaf;
  let copyFrom = p;
  let cnt = 0;
  let leaf = true;
  let calls = false;
  let loops = 0;
  let mode = G;
  let wrapped = false;
  open.length = 0;
  saved.length = 0;
  const imported = ctx.importedFuncs;
  const kinds = KIND; // a local: no module-binding load per instruction
  for (;;) {
    const op = b[p++]!;
    cnt++;
    const kind = kinds[op]!;
    // the common instructions, that copy as they are: no bounds test (past `end`, the next other one throws)
    if (kind === NONE) continue;
    if (kind === LEB1) { while (b[p++]! & 0x80); continue; }
    if (kind === MEMARG) {
      const align = b[p]!;
      while (b[p++]! & 0x80);
      if (align & 0x40) while (b[p++]! & 0x80);
      while (b[p++]! & 0x80);
      continue;
    }
    if (p > end) throw new MeterError('MALFORMED', 'function body without its end');
    switch (kind) {
      case BLOCK: {
        p = skipBlockType(b, p);
        const w = open.length === 0 ? 0 : open[open.length - 1]! & ~63;
        // a block's label mode is decided by its first branch or its end; an if's is its start mode (the missing else falls through)
        open.push(op === 0x02 ? w : w | (mode << 4) | ((mode === B ? L : mode) << 2) | 3);
        break;
      }
      case ELSE: {
        const d = open.length;
        if (d !== 0 && (open[d - 1]! & 3) === 3) {
          const e = open[d - 1]!;
          if ((mode & (e >> 2)) === 0) { out.copy(b, copyFrom, p - 1); out.put(mode === L ? lsh!.store : lsh!.load); copyFrom = p - 1; }
          mode = (e >> 4) & 3;
        }
        break;
      }
      case LOOP: {
        const at = p - 1, bt = p;
        p = skipBlockType(b, p);
        const w = open.length === 0 ? 0 : open[open.length - 1]! & ~63;
        let c: number;
        out.copy(b, copyFrom, at);
        if (lsh !== null && noParams(b, bt, ctx.typeParams)) {
          if ((mode & L) === 0) out.put(lsh.load);
          // block bt  loop  block  loop bt  <check: br_if 1 when spent>  … end  <call out, retry>  (README.md, "Loops")
          if (p - bt === 1) {
            const t = b[bt]!;
            out.byte(0x02); out.byte(t); out.byte(0x03); out.byte(0x40); out.byte(0x02); out.byte(0x40); out.byte(0x03); out.byte(t);
          } else {
            out.byte(0x02); out.copy(b, bt, p); out.byte(0x03); out.byte(0x40); out.byte(0x02); out.byte(0x40); out.byte(0x03); out.copy(b, bt, p);
          }
          out.put(lsh.loop);
          c = out.reserve5();
          out.put(lsh.loopSub);
          open.push(w + (WRAP << 6) + (L << 2) + 2);
          mode = L;
          wrapped = true;
        } else {
          if ((mode & G) === 0) out.put(lsh!.store);
          out.copy(b, at, p);
          c = emitCheck(out, gsh, gsh.loop);
          open.push(w + (G << 2) + 1);
          mode = G;
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
        if (lsh !== null) {
          const d = open.length;
          const t = l < d ? decide(d - 1 - l, mode) : G;
          if ((mode & t) === 0) { out.copy(b, copyFrom, at); out.put(mode === L ? lsh.store : lsh.load); copyFrom = at; mode = B; }
          const raise = d === 0 ? 0 : (open[d - 1]! >> 6) - (l < d ? open[d - 1 - l]! >> 6 : 0);
          if (raise !== 0 && (!inPlace || !patchLeb(b, at + 1, p, l + raise))) { out.copy(b, copyFrom, at + 1); out.u32(l + raise); copyFrom = p; }
        }
        break;
      }
      case RETURN:
        if (mode === L) { out.copy(b, copyFrom, p - 1); out.put(lsh!.store); copyFrom = p - 1; mode = B; }
        break;
      case DELEGATE:
      case END: {
        if (op === 0x18) {
          if (wrapped) return RETRY;
          while (b[p++]! & 0x80); // delegate ends its try as `end` does
        }
        if (open.length === 0) {
          if (p !== end) throw new MeterError('MALFORMED', 'function body continues after its end');
          if (mode === L) { out.copy(b, copyFrom, p - 1); out.put(lsh!.store); copyFrom = p - 1; }
          out.copy(b, copyFrom, p);
          if (bare) { stats.leaves++; stats.functions++; return 0; }
          out.patch5(entry, Math.min(cnt, MAX_COST));
          if (!calls) {
            // no call: the entry region runs once per entry and cannot recur, so it is charged without
            // a test; the body's loops test their own charges, and the caller's next check catches up
            leafify(out, entryTail, gsh);
            if (leaf) stats.leaves++;
          }
          stats.functions++;
          stats.loops += loops;
          return 0;
        }
        const e = open.pop()!;
        const k = e & 3;
        if (k === 0 || k === 3) {
          // the fall through joins the branches to the label
          const t = (e >> 2) & 3;
          if (t !== 0) {
            if ((mode & t) === 0) { out.copy(b, copyFrom, p - 1); out.put(mode === L ? lsh!.store : lsh!.load); copyFrom = p - 1; }
            mode = t;
          }
        } else {
          const at = saved.pop()!;
          const cost = Math.min(cnt, MAX_COST);
          out.patch5(at, cost);
          cnt = saved.pop()!;
          if (k === 2) {
            out.copy(b, copyFrom, p);
            out.put(lsh!.loopExit);
            out.patch5(out.reserve5(), cost);
            out.put(lsh!.loopAgain);
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
            // leaves the fuel alone: no store, this body stays a leaf if it was one
            if (!inPlace || !patchLeb(b, at, p, idx + 1)) { out.copy(b, copyFrom, at); out.u32(idx + 1); copyFrom = p; }
            break;
          }
        }
        leaf = false;
        calls = true;
        if (mode === L) { out.copy(b, copyFrom, at - 1); out.put(lsh!.store); copyFrom = at - 1; mode = B; }
        if (idx >= imported) {
          if (!inPlace || !patchLeb(b, at, p, idx + 1)) { out.copy(b, copyFrom, at); out.u32(idx + 1); copyFrom = p; }
          mode = G; // the callee charged the global (an import leaves it alone)
        }
        break;
      }
      case REF_FUNC: {
        const at = p;
        let idx = 0, s = 0, x: number;
        do { x = b[p++]!; idx = (idx | ((x & 0x7f) << s)) >>> 0; s += 7; } while (x & 0x80 && s < 35);
        if (idx >= imported && (!inPlace || !patchLeb(b, at, p, idx + 1))) { out.copy(b, copyFrom, at); out.u32(idx + 1); copyFrom = p; }
        break;
      }
      case CALL_IND:
      case CALL_REF: {
        leaf = false;
        calls = true;
        cnt += ctx.indirectCost; // the callee may be a small leaf
        const at = p - 1;
        while (b[p++]! & 0x80);
        if (op === 0x11 || op === 0x13) while (b[p++]! & 0x80);
        if (mode === L) { out.copy(b, copyFrom, at); out.put(lsh!.store); copyFrom = at; }
        mode = G;
        break;
      }
      case EH:
        if (wrapped) return RETRY;
        lsh = null; // from here the fuel stays in the global, every loop checked in place
        if (op === 0x06) { p = skipBlockType(b, p); open.push((open.length === 0 ? 0 : open[open.length - 1]! & ~63) | (G << 2)); } else if (op !== 0x0a && op !== 0x19) while (b[p++]! & 0x80);
        break;
      case F32: p += 4; break;
      case F64: p += 8; break;
      case BR_TABLE: {
        const at = p - 1;
        let n = 0, s = 0, x: number;
        do { x = b[p++]!; n = (n | ((x & 0x7f) << s)) >>> 0; s += 7; } while (x & 0x80 && s < 35);
        if (n > end - p) throw new MeterError('MALFORMED', 'br_table longer than its body');
        const d = open.length;
        const top = d === 0 ? 0 : open[d - 1]! >> 6;
        let need = 0;
        labels.length = 0;
        for (let i = 0; i <= n; i++) {
          let l = 0; s = 0;
          do { x = b[p++]!; l = (l | ((x & 0x7f) << s)) >>> 0; s += 7; } while (x & 0x80 && s < 35);
          labels.push(l);
        }
        if (lsh === null) break;
        for (const l of labels) need |= l < d ? decide(d - 1 - l, mode) : G;
        if ((need & ~mode) !== 0) { out.copy(b, copyFrom, at); out.put(mode === L ? lsh.store : lsh.load); copyFrom = at; mode = B; }
        if (top !== 0) {
          out.copy(b, copyFrom, at);
          out.byte(0x0e);
          out.u32(n);
          for (const l of labels) out.u32(l + top - (l < d ? open[d - 1 - l]! >> 6 : 0));
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
        if (wrapped) return RETRY;
        lsh = null;
        p = skipBlockType(b, p);
        let n = 0, s = 0, x: number;
        do { x = b[p++]!; n = (n | ((x & 0x7f) << s)) >>> 0; s += 7; } while (x & 0x80 && s < 35);
        if (n > end - p) throw new MeterError('MALFORMED', 'try_table catch vector longer than its body');
        for (let i = 0; i < n; i++) {
          const k = b[p++]!;
          if (k <= 1) while (b[p++]! & 0x80); // tag
          while (b[p++]! & 0x80); // label
        }
        open.push((open.length === 0 ? 0 : open[open.length - 1]! & ~63) | (G << 2));
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

/** The label mode of `open[i]`, deciding an undecided block's as `mode` (a block reached with both right takes the local). */
function decide(i: number, mode: number): number {
  const e = open[i]!;
  let t = (e >> 2) & 3;
  if (t === 0) { t = mode === B ? L : mode; open[i] = e | (t << 2); }
  return t;
}
