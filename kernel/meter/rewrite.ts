/**
 * The metering rewriter: one pass over a module's sections that adds a fuel
 * counter (see README.md for the design and its invariants).
 *
 * Added to the module:
 * - a type `[i32] → [i32]` (appended: no type index moves);
 * - a function import `wasmvisor_meter.out_of_fuel` of that type (given the
 *   fuel left, ≤ 0, it returns the next quantum), after the
 *   module's own imports: every defined function's index grows by one, and
 *   every place that names a function is renumbered (call, return_call,
 *   ref.func, element segments, global initialisers, exports, start, the
 *   name section's function, local and label names);
 * - a mutable i32 global, the fuel, defined after the module's own globals
 *   (no global index moves), starting at `initialFuel` and exported as
 *   `wasmvisor_fuel`;
 * - a fuel check at every function entry and loop head (code.ts).
 *
 * Dropped: custom sections whose content names code offsets
 * (`.debug_*`, `metadata.code.*`, `sourceMappingURL`), which inserted code
 * would make wrong. Every other byte is copied as is.
 */
import { isWasm } from '../platform/wasm_magic.js';
import { MeterError, Out, Reader } from './bytes.js';
import { codeContext } from './check.js';
import { rewriteBody, type CodeStats } from './code.js';
import { SMALL_LEAF, smallLeafCost } from './small_leaf.js';

/** Module name of the out-of-fuel import. */
export const METER_MODULE = 'wasmvisor_meter';
/** Field name of the out-of-fuel import: `(fuel left, ≤ 0) → next quantum`, called when the fuel is below zero. */
export const OUT_OF_FUEL = 'out_of_fuel';
/** Export name of the fuel global (mutable i32: instructions left before the next call out). */
export const FUEL_EXPORT = 'wasmvisor_fuel';

/**
 * Version of the rewriter's output. Caches of metered modules (the CLI's
 * on-disk cache, src/runtime/metered_cache.ts) key on it: change it whenever
 * `meterModule` writes different bytes for the same input and options
 * (costs, the check sequence, added items, dropped sections), or stale
 * modules are run.
 */
export const METER_VERSION = 1;

/** What one rewrite did. */
export interface MeterStats extends CodeStats {
  /** Bytes in and out. */
  inBytes: number;
  outBytes: number;
}

// Section ids and their required order.
const ORDER: Record<number, number> = { 1: 1, 2: 2, 3: 3, 4: 4, 5: 5, 13: 6, 6: 7, 7: 8, 8: 9, 9: 10, 12: 11, 10: 12, 11: 13 };
const TYPE = 1, IMPORT = 2, FUNC = 3, GLOBAL = 6, EXPORT = 7, START = 8, ELEM = 9, CODE = 10;

interface Section { id: number; start: number; end: number }

function sections(b: Uint8Array): Section[] {
  const r = new Reader(b, 8, b.length);
  const out: Section[] = [];
  let last = 0;
  while (r.p < b.length) {
    const id = r.byte();
    const size = r.u32();
    const start = r.p;
    const end = start + size;
    if (end > b.length) throw new MeterError('MALFORMED', `section ${id} runs past the end of the module`);
    if (id !== 0) {
      const rank = ORDER[id];
      if (rank === undefined) throw new MeterError('UNSUPPORTED', `unknown section id ${id}`);
      if (rank <= last) throw new MeterError('MALFORMED', `section ${id} out of order`);
      last = rank;
    }
    out.push({ id, start, end });
    r.p = end;
  }
  return out;
}

/** Write a section whose content `fill` writes, with a padded size patched afterwards. */
function section(out: Out, id: number, fill: () => void): void {
  out.byte(id);
  const at = out.reserve5();
  const from = out.n;
  fill();
  out.patch5(at, out.n - from);
}

/** Copy a constant expression, renumbering `ref.func` at or above `imported`. */
function constExpr(r: Reader, out: Out, imported: number): void {
  const b = r.b;
  let from = r.p;
  for (;;) {
    const op = r.byte();
    switch (op) {
      case 0x0b: out.copy(b, from, r.p); return;
      case 0x41: case 0x42: case 0x23: case 0xd0: r.skipLeb(); break;
      case 0x43: r.p += 4; break;
      case 0x44: r.p += 8; break;
      case 0x6a: case 0x6b: case 0x6c: case 0x7c: case 0x7d: case 0x7e: break;
      case 0xd2: {
        const at = r.p;
        const idx = r.u32();
        if (idx >= imported) { out.copy(b, from, at); out.u32(idx + 1); from = r.p; }
        break;
      }
      case 0xfd: {
        if (r.u32() !== 12) throw new MeterError('UNSUPPORTED', 'a constant expression with a SIMD op other than v128.const');
        r.p += 16;
        break;
      }
      default: throw new MeterError('UNSUPPORTED', `constant expression opcode 0x${op.toString(16)}`);
    }
  }
}

/** Copy a vec(funcidx), renumbering. */
function funcVec(r: Reader, out: Out, imported: number): void {
  const n = r.u32();
  out.u32(n);
  for (let i = 0; i < n; i++) {
    const idx = r.u32();
    out.u32(idx >= imported ? idx + 1 : idx);
  }
}

function elemSection(b: Uint8Array, s: Section, out: Out, imported: number): void {
  const r = new Reader(b, s.start, s.end);
  const n = r.u32();
  out.u32(n);
  for (let i = 0; i < n; i++) {
    const flags = r.u32();
    out.u32(flags);
    if (flags > 7) throw new MeterError('UNSUPPORTED', `element segment flags ${flags}`);
    if (flags === 2 || flags === 6) out.u32(r.u32()); // table index
    if ((flags & 1) === 0) constExpr(r, out, imported); // active: offset
    const exprs = (flags & 4) !== 0;
    if (flags & 3) {
      // elemkind (0x00) or reftype
      const at = r.p;
      if (exprs) r.skipValType(); else r.byte();
      out.copy(b, at, r.p);
    }
    if (!exprs) funcVec(r, out, imported);
    else {
      const m = r.u32();
      out.u32(m);
      for (let k = 0; k < m; k++) constExpr(r, out, imported);
    }
  }
  if (r.p !== s.end) throw new MeterError('MALFORMED', 'element section size mismatch');
}

/** Rewrite the name section's function-indexed subsections; null when it does not parse (it is then dropped). */
function nameSection(b: Uint8Array, s: Section, out: Out, imported: number): boolean {
  const mark = out.n;
  try {
    const r = new Reader(b, s.start, s.end);
    r.skipName(); // "name"
    out.copy(b, s.start, r.p);
    while (r.p < s.end) {
      const id = r.byte();
      const size = r.u32();
      const end = r.p + size;
      if (end > s.end) throw new MeterError('MALFORMED', 'name subsection');
      if (id < 1 || id > 3) { out.byte(id); out.u32(size); out.copy(b, r.p, end); r.p = end; continue; }
      out.byte(id);
      const at = out.reserve5();
      const from = out.n;
      const sub = new Reader(b, r.p, end);
      const n = sub.u32();
      out.u32(n);
      for (let i = 0; i < n; i++) {
        const idx = sub.u32();
        out.u32(idx >= imported ? idx + 1 : idx);
        const a = sub.p;
        if (id === 1) sub.skipName();
        else { const m = sub.u32(); for (let k = 0; k < m; k++) { sub.u32(); sub.skipName(); } }
        out.copy(b, a, sub.p);
      }
      if (sub.p !== end) throw new MeterError('MALFORMED', 'name subsection size');
      out.patch5(at, out.n - from);
      r.p = end;
    }
    return true;
  } catch {
    out.n = mark;
    return false;
  }
}

/** Options of `meterModule`. */
export interface MeterOptions {
  /** The fuel the module starts with (its start function and first quantum run on it); default 0: the first check calls out. */
  initialFuel?: number;
  /** Filled with what the rewrite did. */
  stats?: MeterStats;
  /** Keep the fuel in the global in every body, every loop checked in place (slower; the reference the tests compare the fuel with). */
  globalOnly?: boolean;
}

/** Instrument `bytes` with a fuel counter. Throws MeterError for a module it cannot handle. */
export function meterModule(bytes: Uint8Array, opts: MeterOptions = {}): Uint8Array {
  const stats = opts.stats;
  const initialFuel = Math.max(0, Math.min(opts.initialFuel ?? 0, 2 ** 27 - 1));
  if (!isWasm(bytes)) throw new MeterError('MALFORMED', 'not a WebAssembly module');
  if (bytes[4] !== 1 || bytes[5] !== 0 || bytes[6] !== 0 || bytes[7] !== 0) throw new MeterError('UNSUPPORTED', 'not a version 1 core module (a component?)');
  const secs = sections(bytes);
  const has = (id: number): boolean => secs.some((s) => s.id === id);

  // First, the counts the added items' indices come from.
  let types = 0, importedFuncs = 0, importedGlobals = 0, globals = 0;
  let typeParams = new Uint32Array(0);
  let funcParams = new Uint32Array(0); // by defined function
  const exportNames = new Set<string>();
  for (const s of secs) {
    const r = new Reader(bytes, s.start, s.end);
    if (s.id === TYPE) {
      types = r.u32();
      typeParams = new Uint32Array(types);
      for (let i = 0; i < types; i++) {
        if (r.byte() !== 0x60) throw new MeterError('UNSUPPORTED', 'a type section with GC types (rec/sub/struct/array)');
        const np = r.u32();
        typeParams[i] = np;
        for (let k = np; k > 0; k--) r.skipValType();
        for (let k = r.u32(); k > 0; k--) r.skipValType();
      }
    } else if (s.id === IMPORT) {
      for (let n = r.u32(); n > 0; n--) {
        const mod = r.name();
        r.skipName();
        if (mod === METER_MODULE) throw new MeterError('NAME_CLASH', `the module imports from ${METER_MODULE} already (metered twice?)`);
        const kind = r.byte();
        if (kind === 0 || kind === 4) { if (kind === 4) r.byte(); r.u32(); if (kind === 0) importedFuncs++; }
        else if (kind === 1) { r.skipValType(); limits(r); }
        else if (kind === 2) limits(r);
        else if (kind === 3) { r.skipValType(); r.byte(); importedGlobals++; }
        else throw new MeterError('UNSUPPORTED', `import kind ${kind}`);
      }
    } else if (s.id === FUNC) {
      const n = r.u32();
      if (n > s.end - s.start) throw new MeterError('MALFORMED', 'function section longer than its size');
      funcParams = new Uint32Array(n);
      for (let i = 0; i < n; i++) {
        const t = r.u32();
        if (t >= types) throw new MeterError('MALFORMED', `function ${i} has type ${t}, past the type section`);
        funcParams[i] = typeParams[t]!;
      }
    } else if (s.id === GLOBAL) globals = r.u32();
    else if (s.id === EXPORT) {
      for (let n = r.u32(); n > 0; n--) { exportNames.add(r.name()); r.byte(); r.u32(); }
    }
  }
  if (exportNames.has(FUEL_EXPORT)) throw new MeterError('NAME_CLASH', `the module exports ${FUEL_EXPORT} already (metered twice?)`);
  const fuelIdx = importedGlobals + globals;
  const ctx = codeContext(importedFuncs, fuelIdx, importedFuncs, typeParams, smallLeaves(bytes, secs.find((s) => s.id === CODE)), opts.globalOnly === true);
  const st: MeterStats = stats ?? { functions: 0, loops: 0, leaves: 0, inBytes: 0, outBytes: 0 };
  st.inBytes = bytes.length;

  // pre-sized for what the checks and the stores around calls add (about +25% on yosys): no growth, no copy
  const out = new Out(bytes.length + (bytes.length >>> 2) + (bytes.length >>> 4) + 4096, bytes);
  const orig = bytes;
  bytes = out.input!; // the input's copy inside the output buffer: runs copy with copyWithin, and renumbering patches it in place
  out.copy(bytes, 0, 8);
  const added = new Set<number>();
  // A missing section the rewrite must add is written before the first present one that follows it.
  const addMissing = (upTo: number): void => {
    for (const id of [TYPE, IMPORT, GLOBAL, EXPORT]) {
      if (ORDER[id]! < upTo && !has(id) && !added.has(id)) { added.add(id); writeSection(id, null); }
    }
  };
  const writeSection = (id: number, s: Section | null): void => {
    const r = s === null ? null : new Reader(bytes, s.start, s.end);
    section(out, id, () => {
      if (id === TYPE) {
        out.u32(types + 1);
        if (r) out.copy(bytes, r.p + lebLen(bytes, r.p), r.end);
        out.byte(0x60); out.byte(1); out.byte(0x7f); out.byte(1); out.byte(0x7f);
      } else if (id === IMPORT) {
        const n = r ? r.u32() : 0;
        out.u32(n + 1);
        if (r) out.copy(bytes, r.p, r.end);
        out.name(METER_MODULE); out.name(OUT_OF_FUEL); out.byte(0x00); out.u32(types);
      } else if (id === GLOBAL) {
        out.u32(globals + 1);
        if (r) {
          r.u32();
          for (let i = 0; i < globals; i++) {
            const a = r.p;
            r.skipValType(); r.byte();
            out.copy(bytes, a, r.p);
            constExpr(r, out, importedFuncs);
          }
        }
        out.byte(0x7f); out.byte(0x01); out.byte(0x41); out.reserve5(); out.patch5(out.n - 5, initialFuel); out.byte(0x0b); // mut i32 = initialFuel
      } else if (id === EXPORT) {
        const n = r ? r.u32() : 0;
        out.u32(n + 1);
        for (let i = 0; i < n; i++) {
          const a = r!.p;
          r!.skipName();
          const kind = r!.byte();
          out.copy(bytes, a, r!.p);
          const idx = r!.u32();
          out.u32(kind === 0 && idx >= importedFuncs ? idx + 1 : idx);
        }
        out.name(FUEL_EXPORT); out.byte(0x03); out.u32(fuelIdx);
      } else if (id === START) {
        const idx = r!.u32();
        out.u32(idx >= importedFuncs ? idx + 1 : idx);
      } else if (id === ELEM) elemSection(bytes, s!, out, importedFuncs);
      else if (id === CODE) {
        const n = r!.u32();
        if (n !== funcParams.length) throw new MeterError('MALFORMED', `${n} function bodies for ${funcParams.length} functions`);
        out.u32(n);
        for (let i = 0; i < n; i++) {
          const size = r!.u32();
          const start = r!.p;
          const end = start + size;
          if (end > s!.end) throw new MeterError('MALFORMED', `function body ${i} runs past the code section`);
          const at = out.reserve5();
          const from = out.n;
          rewriteBody(bytes, orig, start, end, out, ctx, st, funcParams[i]!, i);
          out.patch5(at, out.n - from);
          r!.p = end;
        }
      }
    });
  };

  for (const s of secs) {
    if (s.id === 0) {
      const name = new Reader(bytes, s.start, s.end).name();
      if (name.startsWith('.debug_') || name.startsWith('metadata.code.') || name === 'sourceMappingURL') continue;
      if (name === 'name') {
        const mark = out.n;
        out.byte(0);
        const at = out.reserve5();
        const from = out.n;
        if (nameSection(bytes, s, out, importedFuncs)) out.patch5(at, out.n - from);
        else out.n = mark;
        continue;
      }
      out.byte(0);
      out.u32(s.end - s.start);
      out.copy(bytes, s.start, s.end);
      continue;
    }
    addMissing(ORDER[s.id]!);
    if (s.id === TYPE || s.id === IMPORT || s.id === GLOBAL || s.id === EXPORT || s.id === START || s.id === ELEM || s.id === CODE) writeSection(s.id, s);
    else {
      out.byte(s.id);
      out.u32(s.end - s.start);
      out.copy(bytes, s.start, s.end);
    }
  }
  addMissing(99);
  st.outBytes = out.n;
  return out.bytes();
}

/** By defined function, its cost if it is a small leaf, else -1 (a first, quick pass over the short bodies only). */
function smallLeaves(b: Uint8Array, s: Section | undefined): Int32Array {
  if (s === undefined) return new Int32Array(0);
  const r = new Reader(b, s.start, s.end);
  const n = r.u32();
  if (n > s.end - s.start) throw new MeterError('MALFORMED', 'code section longer than its size');
  const costs = new Int32Array(n).fill(-1);
  for (let i = 0; i < n; i++) {
    const size = r.u32();
    const end = r.p + size;
    if (end > s.end) break; // the rewrite proper reports it
    // a small leaf's instructions take a few bytes each
    if (size <= SMALL_LEAF * 6) costs[i] = smallLeafCost(b, r.p, end);
    r.p = end;
  }
  return costs;
}

function lebLen(b: Uint8Array, p: number): number {
  let n = 1;
  while (b[p++]! & 0x80) n++;
  return n;
}

function limits(r: Reader): void {
  const flags = r.byte();
  r.skipLeb();
  if (flags & 1) r.skipLeb();
}
