/**
 * The instruction sequences the metering rewriter inserts (see README.md):
 * the check at a function entry or loop head, and, for a body that keeps
 * its fuel in a local, the store before a call or a way out and the reload
 * after a call.
 */
import { leb, type Out } from './bytes.js';

/** The bytes of one way of keeping the fuel (global, or a given local). */
export interface CheckShapes {
  /** True when the fuel lives in a local in this body. */
  readonly local: boolean;
  /** Start of the entry check, up to its cost's `i32.const`: `global.get $fuel  i32.const`. */
  readonly entry: Uint8Array;
  /** Start of a loop head's check: `local.get $f  i32.const` (global: as `entry`). */
  readonly loop: Uint8Array;
  /** After the cost: `i32.sub  local.tee $f` (global: `i32.sub  global.set $fuel`). */
  readonly sub: Uint8Array;
  /** The test and call out: `i32.const 0  i32.lt_s  if  … call $out_of_fuel …  end` (global: reads the global first). */
  readonly tail: Uint8Array;
  /** After a wrapped loop's cost: `i32.sub  local.tee $f  i32.const 0  i32.lt_s  br_if 1` (local mode only). */
  readonly loopSub: Uint8Array;
  /** After a wrapped loop's `end`: leave, or call out… (then `i32.const COST`, `loopAgain`; local mode only; README.md, "Loops"). */
  readonly loopExit: Uint8Array;
  /** …add the cost back (the spent iteration was counted in the call) and enter again. */
  readonly loopAgain: Uint8Array;
  /** `local.get $f  global.set $fuel` (local mode only). */
  readonly store: Uint8Array;
  /** `global.get $fuel  local.set $f` (local mode only). */
  readonly load: Uint8Array;
}

/** What the code pass needs from the module pass. */
export interface CodeContext {
  /** Function imports before the added one: indices at or above shift by one. */
  readonly importedFuncs: number;
  /** The global-mode shapes. */
  readonly global: CheckShapes;
  /** Parameter count of each type (a loop whose block type has parameters is not wrapped). */
  readonly typeParams: Uint32Array;
  /** By defined function: its instruction count if it is a small leaf (no check: its callers charge it), else -1. */
  readonly smallLeaf: Int32Array;
  /** What a `call_indirect` or `call_ref` charges for a callee that may be a small leaf: the most one costs. */
  readonly indirectCost: number;
  /** True: no fuel local, every check on the global (the reference the tests compare the fuel with). */
  readonly globalOnly: boolean;
  /** Local-mode shapes by the fuel local's index (built once each). */
  readonly byLocal: Map<number, CheckShapes>;
  /** LEB bytes of the fuel global's and the out-of-fuel import's indices. */
  readonly g: readonly number[];
  readonly f: readonly number[];
}

const bytes = (...parts: (number | readonly number[])[]): Uint8Array => new Uint8Array(parts.flat());

/** The context for a module whose fuel global is `fuelIdx` and out-of-fuel import `outIdx`. */
export function codeContext(importedFuncs: number, fuelIdx: number, outIdx: number, typeParams: Uint32Array, smallLeaf: Int32Array, globalOnly = false): CodeContext {
  const g = leb(fuelIdx), f = leb(outIdx);
  const head = bytes(0x23, g, 0x41);
  const global: CheckShapes = {
    local: false,
    entry: head,
    loop: head,
    sub: bytes(0x6b, 0x24, g),
    // global.get; i32.const 0; i32.lt_s; if; global.get; call $out_of_fuel; global.set; end
    tail: bytes(0x23, g, 0x41, 0x00, 0x48, 0x04, 0x40, 0x23, g, 0x10, f, 0x24, g, 0x0b),
    loopSub: new Uint8Array(0),
    loopExit: new Uint8Array(0),
    loopAgain: new Uint8Array(0),
    store: new Uint8Array(0),
    load: new Uint8Array(0),
  };
  let indirectCost = 0;
  for (const c of smallLeaf) if (c > indirectCost) indirectCost = c;
  return { importedFuncs, global, typeParams, smallLeaf, indirectCost, globalOnly, byLocal: new Map(), g, f };
}

/** The local-mode shapes for a fuel local of index `local`. */
export function shapes(ctx: CodeContext, local: number): CheckShapes {
  let s = ctx.byLocal.get(local);
  if (s === undefined) {
    const { g, f } = ctx;
    const l = leb(local);
    s = {
      local: true,
      entry: bytes(0x23, g, 0x41),
      loop: bytes(0x20, l, 0x41),
      sub: bytes(0x6b, 0x22, l),
      // i32.const 0; i32.lt_s; if; local.get; call $out_of_fuel; local.set; end
      tail: bytes(0x41, 0x00, 0x48, 0x04, 0x40, 0x20, l, 0x10, f, 0x21, l, 0x0b),
      loopSub: bytes(0x6b, 0x22, l, 0x41, 0x00, 0x48, 0x0d, 0x01),
      // br 2 (out, with the loop's results)  end  local.get; call $out_of_fuel; (i32.const COST)
      loopExit: bytes(0x0c, 0x02, 0x0b, 0x20, l, 0x10, f, 0x41),
      // i32.add; local.set; br 0 (again)  end  unreachable  end
      loopAgain: bytes(0x6a, 0x21, l, 0x0c, 0x00, 0x0b, 0x00, 0x0b),
      store: bytes(0x20, l, 0x24, g),
      load: bytes(0x23, g, 0x21, l),
    };
    ctx.byLocal.set(local, s);
  }
  return s;
}

/** Append a check starting with `head` (`sh.entry` or `sh.loop`); returns the position of its cost's padded LEB. */
export function emitCheck(out: Out, sh: CheckShapes, head: Uint8Array): number {
  out.put(head);
  const cost = out.reserve5();
  out.put(sh.sub);
  out.put(sh.tail);
  return cost;
}

/**
 * Turn the entry check whose tail starts at `tail` into a bare charge (a
 * leaf: no loop, no call): the tail becomes `nop`s and, in local mode, the
 * `local.tee` before it a `local.set`.
 */
export function leafify(out: Out, tail: number, sh: CheckShapes): void {
  if (sh.local) out.buf[tail - sh.sub.length + 1] = 0x21;
  out.buf.fill(0x01, tail, tail + sh.tail.length);
}
