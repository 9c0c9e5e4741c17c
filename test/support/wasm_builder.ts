/**
 * A tiny WebAssembly binary writer for kernel tests: modules that import
 * chosen `wasi_snapshot_preview1` functions (signatures from the syscall
 * table), re-export them so tests can call them with hostile arguments
 * through the real wasm→JS boundary, export a memory, and optionally define
 * functions such as `_start` from raw instructions (see `op`).
 */
import { SYSCALL_BY_NAME } from '../../kernel/syscalls/table.js';

const I32 = 0x7f;
const I64 = 0x7e;

/** Unsigned LEB128. */
export function uleb(n: number): number[] {
  const out: number[] = [];
  do {
    let b = n & 0x7f;
    n = Math.floor(n / 128);
    if (n !== 0) b |= 0x80;
    out.push(b);
  } while (n !== 0);
  return out;
}

/** Signed LEB128 of a bigint. */
export function sleb(v: bigint): number[] {
  const out: number[] = [];
  for (;;) {
    const b = Number(v & 0x7fn);
    v >>= 7n;
    const done = (v === 0n && (b & 0x40) === 0) || (v === -1n && (b & 0x40) !== 0);
    out.push(done ? b : b | 0x80);
    if (done) return out;
  }
}

function str(s: string): number[] {
  const b = [...new TextEncoder().encode(s)];
  return [...uleb(b.length), ...b];
}

function vec(items: number[][]): number[] {
  return [...uleb(items.length), ...items.flat()];
}

function section(id: number, body: number[]): number[] {
  return [id, ...uleb(body.length), ...body];
}

/** Instruction encoders for function bodies. */
export const op = {
  i32: (v: number) => [0x41, ...sleb(BigInt(v | 0))],
  i64: (v: bigint) => [0x42, ...sleb(BigInt.asIntN(64, v))],
  call: (idx: number) => [0x10, ...uleb(idx)],
  drop: [0x1a],
  unreachable: [0x00],
  /** i32.store offset=0 align=2 (address and value on the stack). */
  i32Store: [0x36, 0x02, 0x00],
  /** local.get n. */
  localGet: (n: number) => [0x20, ...uleb(n)],
};

/** A function defined in the module. */
export interface FuncDef {
  name: string;
  params?: ('i32' | 'i64')[];
  results?: ('i32' | 'i64')[];
  /** Instructions, without the final `end`. */
  body: number[];
  /** Number of extra i32 locals. */
  i32Locals?: number;
}

/** What to build. */
export interface ModuleSpec {
  /** WASI functions to import, in order (function indices 0..n-1). Each is re-exported under its own name. */
  imports: string[];
  /** Initial memory pages (64 KiB), default 1. Set `exportMemory: false` to omit the export. */
  memoryPages?: number;
  maxPages?: number;
  exportMemory?: boolean;
  /** Functions defined after the imports (indices n, n+1, ...), exported by name. */
  funcs?: FuncDef[];
  /** Data segments. */
  data?: { offset: number; bytes: Uint8Array | number[] }[];
  /** Extra imports from another module (to test link errors). */
  foreignImports?: { module: string; name: string }[];
}

const vt = (t: 'i32' | 'i64') => (t === 'i32' ? I32 : I64);

/** Build the module binary. */
export function buildModule(spec: ModuleSpec): Uint8Array {
  const types: number[][] = [];
  const typeIndex = (params: number[], results: number[]): number => {
    const enc = [0x60, ...vec(params.map((p) => [p])), ...vec(results.map((r) => [r]))];
    const key = enc.join(',');
    const i = types.findIndex((t) => t.join(',') === key);
    if (i >= 0) return i;
    types.push(enc);
    return types.length - 1;
  };
  const imports: number[][] = [];
  for (const name of spec.imports) {
    const e = SYSCALL_BY_NAME.get(name);
    if (!e) throw new Error(`unknown WASI import ${name}`);
    const t = typeIndex(e.codec.params.map(([, ty]) => (ty === 'i32' ? I32 : I64)), e.codec.returnsErrno ? [I32] : []);
    imports.push([...str('wasi_snapshot_preview1'), ...str(name), 0x00, ...uleb(t)]);
  }
  for (const f of spec.foreignImports ?? []) {
    imports.push([...str(f.module), ...str(f.name), 0x00, ...uleb(typeIndex([], []))]);
  }
  const nImported = imports.length;
  const funcs = spec.funcs ?? [];
  const funcTypes = funcs.map((f) => uleb(typeIndex((f.params ?? []).map(vt), (f.results ?? []).map(vt))));
  const exports: number[][] = [];
  spec.imports.forEach((name, i) => exports.push([...str(name), 0x00, ...uleb(i)]));
  funcs.forEach((f, i) => exports.push([...str(f.name), 0x00, ...uleb(nImported + i)]));
  if (spec.exportMemory !== false) exports.push([...str('memory'), 0x02, 0x00]);
  const codes = funcs.map((f) => {
    const locals = f.i32Locals ? vec([[...uleb(f.i32Locals), I32]]) : vec([]);
    const body = [...locals, ...f.body, 0x0b];
    return [...uleb(body.length), ...body];
  });
  const pages = spec.memoryPages ?? 1;
  const mem = spec.maxPages !== undefined ? [0x01, ...uleb(pages), ...uleb(spec.maxPages)] : [0x00, ...uleb(pages)];
  const data = (spec.data ?? []).map((d) => [0x00, ...op.i32(d.offset), 0x0b, ...uleb(d.bytes.length), ...d.bytes]);
  const bytes = [
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
    ...section(1, vec(types)),
    ...section(2, vec(imports)),
    ...(funcs.length ? section(3, vec(funcTypes)) : []),
    ...section(5, vec([mem])),
    ...section(7, vec(exports)),
    ...(funcs.length ? section(10, vec(codes)) : []),
    ...(data.length ? section(11, vec(data)) : []),
  ];
  return new Uint8Array(bytes);
}
