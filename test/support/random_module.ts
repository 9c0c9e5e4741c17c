/**
 * Random valid WebAssembly modules for the metering rewriter's fuzz test:
 * a fast-check arbitrary of small programs (nested blocks, counted loops,
 * if/else, br_table, direct and indirect calls to later functions, an
 * imported function, ref.func, a start function, element segments,
 * globals, exports and a name section) that always terminate (optionally
 * trapping, returning early and branching out of the body from any depth), encoded to
 * bytes. Every defined function has type (i32) → i32 and is exported as
 * `f<i>`; the mutable global `g` records side effects.
 */
import fc from 'fast-check';
import { sleb, uleb } from './wasm_builder.js';

/** One statement of the generated language (each is stack-neutral). */
export type Stmt =
  | { k: 'add'; v: number }
  | { k: 'mix' }
  | { k: 'loop'; n: number; body: Stmt[] }
  | { k: 'if'; then: Stmt[]; else: Stmt[] }
  | { k: 'call'; to: number }
  | { k: 'callImport' }
  | { k: 'callIndirect'; to: number }
  | { k: 'brTable'; body: Stmt[] }
  | { k: 'refFunc'; to: number }
  | { k: 'div' }
  | { k: 'ret'; mask: number }
  | { k: 'brOut'; mask: number }
  | { k: 'brTableOut' };

/** A generated program. */
export interface Program {
  funcs: Stmt[][];
  withImport: boolean;
  withStart: boolean;
  withNames: boolean;
}

const I32 = 0x7f;
const str = (s: string): number[] => { const b = [...new TextEncoder().encode(s)]; return [...uleb(b.length), ...b]; };
const vec = (items: number[][]): number[] => [...uleb(items.length), ...items.flat()];
const section = (id: number, body: number[]): number[] => [id, ...uleb(body.length), ...body];

/** What else a generated program may do: trap (`div`: a division by zero when x & 3 is 0), leave early (`ret`: `return`, `brOut`: a branch to the body's label, from any depth). */
export interface ProgramOptions {
  traps?: boolean;
  exits?: boolean;
}

/** The arbitrary of programs with up to `maxFuncs` functions. */
export function programArb(maxFuncs = 4, opts: ProgramOptions = {}): fc.Arbitrary<Program> {
  const stmt = (depth: number): fc.Arbitrary<Stmt> => {
    const leaves: fc.Arbitrary<Stmt>[] = [
      fc.integer({ min: -1000, max: 1000 }).map((v) => ({ k: 'add', v }) as Stmt),
      fc.constant({ k: 'mix' } as Stmt),
      fc.integer({ min: 0, max: 7 }).map((to) => ({ k: 'call', to }) as Stmt),
      fc.constant({ k: 'callImport' } as Stmt),
      fc.integer({ min: 0, max: 7 }).map((to) => ({ k: 'callIndirect', to }) as Stmt),
      fc.integer({ min: 0, max: 7 }).map((to) => ({ k: 'refFunc', to }) as Stmt),
      ...(opts.traps ? [fc.constant({ k: 'div' } as Stmt)] : []),
      ...(opts.exits ? [fc.integer({ min: 1, max: 15 }).map((mask) => ({ k: 'ret', mask }) as Stmt), fc.integer({ min: 1, max: 15 }).map((mask) => ({ k: 'brOut', mask }) as Stmt), fc.constant({ k: 'brTableOut' } as Stmt)] : []),
    ];
    if (depth >= 3) return fc.oneof(...leaves);
    const body = fc.array(stmt(depth + 1), { maxLength: 4 });
    return fc.oneof(
      ...leaves,
      fc.record({ k: fc.constant('loop' as const), n: fc.integer({ min: 0, max: 6 }), body }),
      fc.record({ k: fc.constant('if' as const), then: body, else: body }),
      fc.record({ k: fc.constant('brTable' as const), body }),
    );
  };
  return fc.record({
    funcs: fc.array(fc.array(stmt(0), { maxLength: 6 }), { minLength: 1, maxLength: maxFuncs }),
    withImport: fc.boolean(),
    withStart: fc.boolean(),
    withNames: fc.boolean(),
  });
}

/** Encode `p` as module bytes. */
export function encodeProgram(p: Program): Uint8Array {
  const nImp = p.withImport ? 1 : 0;
  const nf = p.funcs.length;
  const nDefined = nf + (p.withStart ? 1 : 0);
  const fidx = (i: number): number => nImp + i; // function i's index
  const callable = (from: number, to: number): number | null => {
    // only later functions: no recursion, every program ends
    const t = from + 1 + (to % Math.max(1, nf - from - 1));
    return t < nf ? t : null;
  };
  // `lab`: labels around the statement inside the body (a branch to `lab` leaves the function)
  const code = (stmts: Stmt[], from: number, depth: number, lab = 0): number[] => {
    const out: number[] = [];
    for (const s of stmts) {
      switch (s.k) {
        case 'add': out.push(0x20, 0, 0x41, ...sleb(BigInt(s.v)), 0x6a, 0x21, 0); break;
        case 'mix': out.push(0x23, 0, 0x20, 0, 0x73, 0x41, 3, 0x6c, 0x24, 0); break;
        case 'call': { const t = callable(from, s.to); if (t !== null) out.push(0x20, 0, 0x10, ...uleb(fidx(t)), 0x21, 0); break; }
        case 'callImport': if (nImp) out.push(0x20, 0, 0x10, 0, 0x21, 0); break;
        case 'callIndirect': { const t = callable(from, s.to); if (t !== null) out.push(0x20, 0, 0x41, ...sleb(BigInt(t)), 0x11, 0, 0, 0x21, 0); break; }
        case 'refFunc': out.push(0xd2, ...uleb(fidx(s.to % nf)), 0xd1, 0x20, 0, 0x6a, 0x21, 0); break;
        // x += 1000 / (x & 3)
        case 'div': out.push(0x20, 0, 0x41, ...sleb(1000n), 0x20, 0, 0x41, 3, 0x71, 0x6d, 0x6a, 0x21, 0); break;
        // if ((x & mask) == 0) return x
        case 'ret': out.push(0x20, 0, 0x41, s.mask, 0x71, 0x45, 0x04, 0x40, 0x20, 0, 0x0f, 0x0b); break;
        // x+1, br_if to the body's label when ((x & mask) == 0), else drop it
        case 'brOut': out.push(0x20, 0, 0x41, 1, 0x6a, 0x20, 0, 0x41, s.mask, 0x71, 0x45, 0x0d, ...uleb(lab), 0x1a); break;
        // x = block (result i32) { br_table [block, the body's label] block (x + 2, x & 3) }
        case 'brTableOut': out.push(0x02, I32, 0x20, 0, 0x41, 2, 0x6a, 0x20, 0, 0x41, 3, 0x71, 0x0e, 2, 0, ...uleb(lab + 1), 0, 0x0b, 0x21, 0); break;
        case 'loop': {
          const L = 1 + depth; // counter local of this depth
          out.push(0x41, ...sleb(BigInt(s.n)), 0x21, L, 0x02, 0x40, 0x03, 0x40, 0x20, L, 0x45, 0x0d, 1, 0x20, L, 0x41, 1, 0x6b, 0x21, L);
          out.push(...code(s.body, from, depth + 1, lab + 2), 0x0c, 0, 0x0b, 0x0b);
          break;
        }
        case 'if': out.push(0x20, 0, 0x41, 1, 0x71, 0x04, 0x40, ...code(s.then, from, depth + 1, lab + 1), 0x05, ...code(s.else, from, depth + 1, lab + 1), 0x0b); break;
        case 'brTable': out.push(0x02, 0x40, 0x02, 0x40, 0x20, 0, 0x41, 3, 0x71, 0x0e, 2, 0, 1, 0, 0x0b, ...code(s.body, from, depth + 1, lab + 1), 0x0b); break;
      }
    }
    return out;
  };
  const types = [[0x60, 1, I32, 1, I32], [0x60, 0, 0]];
  const imports = nImp ? [[...str('env'), ...str('imp'), 0x00, 0]] : [];
  const funcTypes = [...p.funcs.map(() => [0]), ...(p.withStart ? [[1]] : [])];
  const bodies = p.funcs.map((f, i) => {
    const body = [...vec([[5, I32]]), ...code(f, i, 0), 0x20, 0, 0x0b];
    return [...uleb(body.length), ...body];
  });
  if (p.withStart) {
    const body = [0, 0x23, 0, 0x41, 7, 0x6a, 0x24, 0, 0x0b];
    bodies.push([...uleb(body.length), ...body]);
  }
  const table = [[0x70, 0x00, ...uleb(nf)]];
  const globals = [[I32, 1, 0x41, 0, 0x0b], [0x70, 0, 0xd2, ...uleb(fidx(0)), 0x0b]];
  const exports = [...p.funcs.map((_, i) => [...str(`f${i}`), 0x00, ...uleb(fidx(i))]), [...str('g'), 0x03, 0], [...str('tab'), 0x01, 0]];
  const elems = [[0x00, 0x41, 0, 0x0b, ...vec(p.funcs.map((_, i) => uleb(fidx(i))))]];
  const names = [...(nImp ? [[0, ...str('imp')]] : []), ...Array.from({ length: nDefined }, (_, i) => [...uleb(fidx(i)), ...str(`fn${i}`)])];
  const nameSub = vec(names);
  return new Uint8Array([
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
    ...section(1, vec(types)),
    ...(nImp ? section(2, vec(imports)) : []),
    ...section(3, vec(funcTypes)),
    ...section(4, vec(table)),
    ...section(6, vec(globals)),
    ...section(7, vec(exports)),
    ...(p.withStart ? section(8, uleb(fidx(nf))) : []),
    ...section(9, vec(elems)),
    ...section(10, vec(bodies)),
    ...(p.withNames ? section(0, [...str('name'), 1, ...uleb(nameSub.length), ...nameSub]) : []),
  ]);
}
