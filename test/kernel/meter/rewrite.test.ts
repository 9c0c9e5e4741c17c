/**
 * The metering rewriter (kernel/meter): every rewritten module validates,
 * keeps its function indices right (calls, exports, start, element
 * segments, ref.func, names) and behaves as before; the fuel is an upper
 * bound of the instructions run; a busy loop calls out.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { FUEL_EXPORT, METER_MODULE, MeterError, meterModule, OUT_OF_FUEL } from '../../../kernel/meter/index.js';
import { encodeProgram, programArb, type Stmt } from '../../support/random_module.js';
import { REPO } from '../../support/wasm_run.js';

function wasmFiles(): string[] {
  const dirs = ['wasm', 'bench/wasm', 'test/security/fixtures'];
  const out: string[] = [];
  for (const d of dirs) {
    try {
      for (const f of readdirSync(join(REPO, d))) if (f.endsWith('.wasm')) out.push(join(d, f));
    } catch { /* absent */ }
  }
  return out;
}

/** Instantiate `bytes` (metered or not) with the test imports; the meter refills `refill` per call out. */
function instantiate(bytes: Uint8Array, metered: boolean, refill = 37): { exports: WebAssembly.Exports; calls: () => number } {
  let calls = 0;
  const imports: WebAssembly.Imports = { env: { imp: (x: number) => (x * 3 + 1) | 0 } };
  if (metered) imports[METER_MODULE] = { [OUT_OF_FUEL]: (left: number) => { expect(left).toBeLessThan(0); calls++; return refill; } };
  const inst = new WebAssembly.Instance(new WebAssembly.Module(bytes as Uint8Array<ArrayBuffer>), imports);
  return { exports: inst.exports, calls: () => calls };
}

describe('meterModule on the project\'s modules', () => {
  const files = [...wasmFiles(), 'node_modules/@yowasp/yosys/gen/yosys.core2.wasm', 'node_modules/@yowasp/yosys/gen/yosys.core3.wasm', 'node_modules/@yowasp/yosys/gen/yosys.core4.wasm'];
  it('finds the modules', () => expect(files.length).toBeGreaterThan(20));
  for (const f of files) {
    it(`${f}: validates, same exports plus the fuel, one more import`, () => {
      const bytes = new Uint8Array(readFileSync(join(REPO, f)));
      const out = meterModule(bytes);
      expect(WebAssembly.validate(out as Uint8Array<ArrayBuffer>)).toBe(true);
      const a = new WebAssembly.Module(bytes as Uint8Array<ArrayBuffer>);
      const b = new WebAssembly.Module(out as Uint8Array<ArrayBuffer>);
      expect(WebAssembly.Module.exports(b)).toEqual([...WebAssembly.Module.exports(a), { name: FUEL_EXPORT, kind: 'global' }]);
      expect(WebAssembly.Module.imports(b)).toEqual([...WebAssembly.Module.imports(a), { module: METER_MODULE, name: OUT_OF_FUEL, kind: 'function' }]);
    });
  }
});

describe('meterModule on yosys (31 MB)', () => {
  it('validates, with every function and loop checked', () => {
    const bytes = new Uint8Array(readFileSync(join(REPO, 'node_modules/@yowasp/yosys/gen/yosys.core.wasm')));
    const stats = { functions: 0, loops: 0, leaves: 0, inBytes: 0, outBytes: 0 };
    const out = meterModule(bytes, { stats });
    expect(WebAssembly.validate(out as Uint8Array<ArrayBuffer>)).toBe(true);
    expect(stats.functions).toBeGreaterThan(30_000);
    expect(stats.loops).toBeGreaterThan(70_000);
    // the checks, the loops' wrapping and the fuel's store and reload around calls in bodies with loops
    expect(stats.outBytes / stats.inBytes).toBeLessThan(1.3);
  }, 120_000);
});

describe('meterModule on random modules', () => {
  it('validates and computes the same results, start function and global included', () => {
    fc.assert(fc.property(programArb(), fc.array(fc.integer(), { minLength: 1, maxLength: 4 }), (p, inputs) => {
      const bytes = encodeProgram(p);
      expect(WebAssembly.validate(bytes as Uint8Array<ArrayBuffer>)).toBe(true);
      const out = meterModule(bytes);
      expect(WebAssembly.validate(out as Uint8Array<ArrayBuffer>)).toBe(true);
      const plain = instantiate(bytes, false).exports;
      const metered = instantiate(out, true).exports;
      expect((metered.g as WebAssembly.Global).value).toBe((plain.g as WebAssembly.Global).value);
      for (let i = 0; i < p.funcs.length; i++) {
        for (const x of inputs) {
          const fa = plain[`f${i}`] as (x: number) => number;
          const fb = metered[`f${i}`] as (x: number) => number;
          expect(fb(x)).toBe(fa(x));
          // the table holds the same functions (element segment renumbered)
          expect(((metered.tab as WebAssembly.Table).get(i) as (x: number) => number)(x)).toBe(fa(x));
        }
      }
      expect((metered.g as WebAssembly.Global).value).toBe((plain.g as WebAssembly.Global).value);
    }), { numRuns: 200 });
  }, 120_000);

  it('behaves the same with traps, early returns and branches out of loops, on tiny quanta', () => {
    /** What calling `f(x)` gives: its result, or the trap's message. */
    const outcome = (f: (x: number) => number, x: number): string => {
      try { return `= ${f(x)}`; } catch (e) { return `trap ${(e as Error).message}`; }
    };
    let calledOut = 0;
    fc.assert(fc.property(programArb(4, { traps: true, exits: true }), fc.array(fc.integer(), { minLength: 1, maxLength: 4 }), fc.constantFrom(1, 5, 1000), (p, inputs, refill) => {
      const bytes = encodeProgram(p);
      expect(WebAssembly.validate(bytes as Uint8Array<ArrayBuffer>)).toBe(true);
      const out = meterModule(bytes);
      expect(WebAssembly.validate(out as Uint8Array<ArrayBuffer>)).toBe(true);
      const plain = instantiate(bytes, false).exports;
      const metered = instantiate(out, true, refill);
      for (let i = 0; i < p.funcs.length; i++) {
        for (const x of inputs) {
          expect(outcome(metered.exports[`f${i}`] as (x: number) => number, x)).toBe(outcome(plain[`f${i}`] as (x: number) => number, x));
          expect((metered.exports.g as WebAssembly.Global).value).toBe((plain.g as WebAssembly.Global).value);
        }
      }
      calledOut += metered.calls();
    }), { numRuns: 200 });
    expect(calledOut, 'the metered programs called out').toBeGreaterThan(100);
  }, 120_000);

  it('charges the same fuel, call out by call out, as the reference that keeps it in the global only', () => {
    // where the fuel lives (global, local, or both, switched at loops, calls, branches and joins) must not change what is charged
    let calledOut = 0;
    fc.assert(fc.property(programArb(4, { traps: true, exits: true }), fc.array(fc.integer(), { minLength: 1, maxLength: 3 }), fc.constantFrom(1, 7, 1000, 1_000_000), (p, inputs, refill) => {
      const bytes = encodeProgram(p);
      const seen: number[][] = [[], []];
      const run = (globalOnly: boolean, log: number[]): WebAssembly.Exports => {
        const imports: WebAssembly.Imports = {
          env: { imp: (x: number) => (x * 3 + 1) | 0 },
          [METER_MODULE]: { [OUT_OF_FUEL]: (left: number) => { log.push(left); return refill; } },
        };
        return new WebAssembly.Instance(new WebAssembly.Module(meterModule(bytes, { globalOnly }) as Uint8Array<ArrayBuffer>), imports).exports;
      };
      const ref = run(true, seen[0]!);
      const got = run(false, seen[1]!);
      for (let i = 0; i < p.funcs.length; i++) {
        for (const x of inputs) {
          let a = '', b = '';
          try { a = String((ref[`f${i}`] as (x: number) => number)(x)); } catch (e) { a = (e as Error).message; }
          try { b = String((got[`f${i}`] as (x: number) => number)(x)); } catch (e) { b = (e as Error).message; }
          expect(b).toBe(a);
          const fuel = (e: WebAssembly.Exports): WebAssembly.Global => e[FUEL_EXPORT] as WebAssembly.Global;
          // a trap leaves with the fuel in a local, uncharged: it ends the guest, no code of its runs after it
          if (/^-?\d+$/.test(a)) expect(fuel(got).value, `fuel after f${i}(${x})`).toBe(fuel(ref).value);
          else fuel(got).value = fuel(ref).value;
          expect(seen[1]).toEqual(seen[0]);
        }
      }
      calledOut += seen[1]!.length;
    }), { numRuns: 300 });
    expect(calledOut, 'the metered programs called out').toBeGreaterThan(100);
  }, 120_000);

  it('keeps the name section right: a trap names the trapping function', () => {
    // f0 calls f1 which traps; names: fn0, fn1; an import shifts defined functions
    const base = encodeProgram({ funcs: [[{ k: 'call', to: 0 }], []], withImport: true, withStart: false, withNames: true });
    // make f1's body trap: replace its `local.get 0; end` tail by `unreachable; end`
    const bytes = new Uint8Array(base);
    const out = meterModule(patchTrap(bytes));
    const inst = instantiate(out, true).exports;
    let stack = '';
    try { (inst.f0 as (x: number) => number)(1); } catch (e) { stack = (e as Error).stack ?? ''; }
    expect(stack).toMatch(/at fn1 /);
    expect(stack).toMatch(/at fn0 /);
  });
});

/** Find the second function body (f1: `locals; local.get 0; end`) and make it trap. */
function patchTrap(b: Uint8Array): Uint8Array {
  // f1's body is `01 05 7f 20 00 0b` (one local group of 5 i32, local.get 0, end)
  const pat = [0x06, 0x01, 0x05, 0x7f, 0x20, 0x00, 0x0b];
  for (let i = b.length - pat.length; i >= 0; i--) {
    if (pat.every((x, k) => b[i + k] === x)) { b[i + 4] = 0x00; b[i + 5] = 0x01; return b; }
  }
  throw new Error('pattern not found');
}

describe('fuel', () => {
  it('is an upper bound of the instructions run, and a busy loop calls out', () => {
    // f0(x): loop x times over 6 instructions
    const bytes = encodeProgram({ funcs: [[{ k: 'loop', n: 1000, body: [{ k: 'add', v: 1 }] }]], withImport: false, withStart: false, withNames: false });
    const out = meterModule(bytes);
    const refill = 1000;
    const { exports, calls } = instantiate(out, true, refill);
    expect((exports.f0 as (x: number) => number)(0)).toBe(1000);
    const fuel = (exports[FUEL_EXPORT] as WebAssembly.Global).value as number;
    const spent = calls() * refill - fuel; // started at 0
    // 1000 iterations that each run 12 instructions (counter test and decrement: 7, add: 4, br: 1),
    // charged 13 (the loop's `end` counts too)
    expect(spent).toBeGreaterThanOrEqual(1000 * 12);
    expect(spent).toBeLessThanOrEqual(1000 * 13 + 100);
    expect(calls()).toBeGreaterThanOrEqual(12);
  });

  it('counts a callee\'s fuel whichever way it leaves: its end, return, a branch out, br_table out', () => {
    // f0(x) = f1(x); f1 loops n times over 12 instructions, then leaves
    const exits: [Stmt | null, number, number][] = [[null, 1000, 1000], [{ k: 'ret', mask: 1 }, 1000, 1000], [{ k: 'brOut', mask: 1 }, 1000, 1001], [{ k: 'brTableOut' }, 1001, 1003]];
    for (const [exit, n, result] of exits) {
      const f1: Stmt[] = [{ k: 'loop', n, body: [{ k: 'add', v: 1 }] }, ...(exit ? [exit] : [])];
      const bytes = encodeProgram({ funcs: [[{ k: 'call', to: 0 }], f1], withImport: false, withStart: false, withNames: false });
      // one quantum for all: a lost store would show as fuel given back, not hidden in the calls out
      const { exports, calls } = instantiate(meterModule(bytes), true, 1_000_000);
      expect((exports.f0 as (x: number) => number)(0)).toBe(result);
      expect(calls()).toBe(1);
      const spent = 1_000_000 - ((exports[FUEL_EXPORT] as WebAssembly.Global).value as number);
      expect(spent, `leaving by ${exit?.k ?? 'end'}`).toBeGreaterThanOrEqual(n * 12);
    }
  });

  it('charges a small leaf (no check of its own) at its callers, direct and indirect', () => {
    // f0 loops 1000 times calling f1 (directly, then through the table); f1 is `x + 1`: 6 instructions, no check
    for (const call of [{ k: 'call', to: 0 }, { k: 'callIndirect', to: 0 }] as Stmt[]) {
      const bytes = encodeProgram({ funcs: [[{ k: 'loop', n: 1000, body: [call] }], [{ k: 'add', v: 1 }]], withImport: false, withStart: false, withNames: false });
      const stats = { functions: 0, loops: 0, leaves: 0, inBytes: 0, outBytes: 0 };
      const { exports, calls } = instantiate(meterModule(bytes, { stats }), true, 1_000_000);
      expect(stats.leaves).toBe(1);
      expect((exports.f0 as (x: number) => number)(0)).toBe(1000);
      expect(calls()).toBe(1);
      const spent = 1_000_000 - ((exports[FUEL_EXPORT] as WebAssembly.Global).value as number);
      // per iteration: the loop's counter (7), the call with its argument and result (3 or 5), f1's 6
      expect(spent, call.k).toBeGreaterThanOrEqual(1000 * (7 + 3 + 6));
    }
  });

  it('rescans a body whose exception handling comes after a wrapped loop from the module as given', () => {
    // f0(x): loop { x += 1 } once; x = f1(x); try { x = f1(x) } catch_all end; x.  f1(x) = x + 10 (the calls are renumbered
    // in the first scan's copy: the second scan must not see them renumbered already)
    const sec = (id: number, c: number[]): number[] => [id, c.length, ...c];
    const f0 = [0, 0x03, 0x40, 0x20, 0, 0x41, 1, 0x6a, 0x21, 0, 0x0b, 0x20, 0, 0x10, 1, 0x21, 0,
      0x06, 0x40, 0x20, 0, 0x10, 1, 0x21, 0, 0x19, 0x0b, 0x20, 0, 0x0b];
    const f1 = [0, 0x20, 0, 0x41, 10, 0x6a, 0x0b];
    const bytes = new Uint8Array([0, 0x61, 0x73, 0x6d, 1, 0, 0, 0,
      ...sec(1, [1, 0x60, 1, 0x7f, 1, 0x7f]), ...sec(3, [2, 0, 0]), ...sec(7, [1, 2, 0x66, 0x30, 0, 0]),
      ...sec(10, [2, f0.length, ...f0, f1.length, ...f1])]);
    expect(WebAssembly.validate(bytes)).toBe(true);
    const out = meterModule(bytes);
    expect(WebAssembly.validate(out as Uint8Array<ArrayBuffer>)).toBe(true);
    expect((instantiate(out, true).exports.f0 as (x: number) => number)(5)).toBe(26);
  });

  it('checks at the entry of a body that calls (recursion), charges a body without calls at its entry untested', () => {
    const sec = (id: number, c: number[]): number[] => [id, c.length, ...c];
    const mod = (body: number[]): Uint8Array => new Uint8Array([0, 0x61, 0x73, 0x6d, 1, 0, 0, 0,
      ...sec(1, [1, 0x60, 1, 0x7f, 1, 0x7f]), ...sec(3, [1, 0]), ...sec(7, [1, 2, 0x66, 0x30, 0, 0]),
      ...sec(10, [1, body.length + 1, 0, ...body])]);
    // f0(x) = x == 0 ? 0 : f0(x - 1) + 1: no loop, every level a check
    const rec = mod([0x20, 0, 0x45, 0x04, 0x7f, 0x41, 0, 0x05, 0x20, 0, 0x41, 1, 0x6b, 0x10, 0, 0x41, 1, 0x6a, 0x0b, 0x0b]);
    const r = instantiate(meterModule(rec), true, 100);
    expect((r.exports.f0 as (x: number) => number)(2000)).toBe(2000);
    expect(r.calls(), 'a recursion of 2000 levels calls out on quanta of 100').toBeGreaterThan(100);
    // f0(x): loop { x -= 1; br_if x != 0 } x — no call: its loop checks, its entry does not call out
    const loop = mod([0x03, 0x40, 0x20, 0, 0x41, 1, 0x6b, 0x22, 0, 0x0d, 0, 0x0b, 0x20, 0, 0x0b]);
    const l = instantiate(meterModule(loop), true, 100);
    expect((l.exports.f0 as (x: number) => number)(1000)).toBe(0);
    expect(l.calls(), 'its loop calls out').toBeGreaterThan(10);
  });

  it('refuses what it cannot decode, with a MeterError', () => {
    expect(() => meterModule(new Uint8Array([0, 0x61, 0x73, 0x6d, 0x0d, 0, 1, 0]))).toThrow(MeterError);
    const gc = new Uint8Array([0, 0x61, 0x73, 0x6d, 1, 0, 0, 0, 1, 4, 1, 0x5f, 0, 0]); // a struct type
    expect(() => meterModule(gc)).toThrow(/GC types/);
    const once = meterModule(encodeProgram({ funcs: [[]], withImport: false, withStart: false, withNames: false }));
    expect(() => meterModule(once)).toThrow(/metered twice/);
  });
});
