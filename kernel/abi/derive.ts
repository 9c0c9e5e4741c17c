/**
 * The generic codec of every call, derived from its description (spec.ts):
 * the import's signature, a `decode` made of one step per parameter in wasm
 * order (so the checks run in parameter order: EFAULT/EINVAL of an earlier
 * parameter first, every out-pointer before the handler runs), and an
 * `encode` made of one step per result. Only poll_oneoff's subscriptions
 * and events and args_get's string table are hand-written (`custom`).
 */
import { writeFdstat, writeFilestat, writePrestat, encodeDirents } from './calls_fd.js';
import { pollDecode, pollEncode, stringsEncode } from './calls_misc.js';
import { type Codec, type Iov, type WasmType, gather, readIovs, readString, s64, scatter, u32, u64, utf8 } from './codec.js';
import type { GuestMemory } from './memory.js';
import { ABI, type AbiType, type CallSpec, type ResultSpec, STRUCT_SIZE, type Struct, wasmArity } from './spec.js';
import { WASI_PREVIEW1_IMPORTS, type WasiCallName } from './wasi.js';

type Args = Record<string, any>;
type RawArgs = ArrayLike<number | bigint>;
/** One decode step: reads its raw params into `a`. */
type Step = (m: GuestMemory, r: RawArgs, a: Args) => void;
/** One encode step; returns the bytes it moved (for a following `moved`). */
type Put = (m: GuestMemory, a: Args, v: any, moved: number) => number;

function decodeStep(type: AbiType, i: number, field: string): Step {
  switch (type) {
    case 'fd': case 'u32': case 'ptr': return (_m, r, a) => { a[field] = u32(r[i]); };
    case 'u8': return (_m, r, a) => { a[field] = u32(r[i]) & 0xff; };
    case 'u16': return (_m, r, a) => { a[field] = u32(r[i]) & 0xffff; };
    case 'u64': return (_m, r, a) => { a[field] = u64(r[i]); };
    case 's64': return (_m, r, a) => { a[field] = s64(r[i]); };
    case 'string': return (m, r, a) => { a[field] = readString(m, u32(r[i]), u32(r[i + 1])); };
    case 'iovs_in': return (m, r, a) => {
      const { iovs, total } = readIovs(m, u32(r[i]), u32(r[i + 1]));
      a[field] = gather(m, iovs, total);
    };
    case 'iovs_out': return (m, r, a) => {
      const { iovs, total } = readIovs(m, u32(r[i]), u32(r[i + 1]));
      a[field] = total;
      a._iovs = iovs;
    };
    case 'buf': return (m, r, a) => {
      const p = u32(r[i]);
      const len = u32(r[i + 1]);
      m.check(p, len);
      a[field] = len;
      a._buf = p;
    };
    default: {
      const size = STRUCT_SIZE[type.slice(4) as Struct];
      return (m, r, a) => {
        const p = u32(r[i]);
        m.check(p, size);
        a[field] = p;
      };
    }
  }
}

const writers: Record<Struct, (m: GuestMemory, p: number, v: any) => void> = {
  u16: (m, p, v) => m.setU16(p, v),
  u32: (m, p, v) => m.setU32(p, v),
  u64: (m, p, v) => m.setU64(p, v),
  fdstat: writeFdstat,
  filestat: writeFilestat,
  prestat: writePrestat,
};

function encodeStep(spec: CallSpec, [param, from, as]: ResultSpec): Put {
  const p = spec.params.find(([n]) => n === param);
  if (p === undefined) throw new Error(`abi: result into unknown parameter ${param}`);
  const [, type, field] = p;
  const pick = from === 'value' ? (v: any) => v : (v: any) => v[from];
  if (type === 'iovs_out') return (m, a, v) => scatter(m, a._iovs as Iov[], pick(v));
  if (type === 'buf') {
    if (as === 'dirents') return (m, a, v) => encodeDirents(m, a._buf, a[field], pick(v));
    if (as === 'utf8') return (m, a, v) => { const b = utf8(pick(v)).subarray(0, a[field]); m.write(a._buf, b); return b.byteLength; };
    return (m, a, v) => { const b: Uint8Array = pick(v); m.write(a._buf, b); return b.byteLength; };
  }
  if (!type.startsWith('out:')) throw new Error(`abi: result into ${param}, which is not an out-pointer or buffer`);
  const write = writers[type.slice(4) as Struct];
  if (from === 'moved') return (m, a, _v, moved) => { write(m, a[field], moved); return 0; };
  return (m, a, v) => { write(m, a[field], pick(v)); return 0; };
}

function decodeOf(steps: readonly Step[]): (m: GuestMemory, r: RawArgs) => Args {
  // unrolled for the common arities: no loop and no array read per call
  const [s0, s1, s2, s3] = steps;
  switch (steps.length) {
    case 0: return () => ({});
    case 1: return (m, r) => { const a: Args = {}; s0!(m, r, a); return a; };
    case 2: return (m, r) => { const a: Args = {}; s0!(m, r, a); s1!(m, r, a); return a; };
    case 3: return (m, r) => { const a: Args = {}; s0!(m, r, a); s1!(m, r, a); s2!(m, r, a); return a; };
    case 4: return (m, r) => { const a: Args = {}; s0!(m, r, a); s1!(m, r, a); s2!(m, r, a); s3!(m, r, a); return a; };
    default: return (m, r) => {
      const a: Args = {};
      for (let k = 0; k < steps.length; k++) steps[k]!(m, r, a);
      return a;
    };
  }
}

function encodeOf(puts: readonly Put[]): Codec<Args, unknown>['encode'] {
  if (puts.length === 0) return undefined;
  const [p0] = puts;
  if (puts.length === 1) return (m, a, v) => { p0!(m, a, v, 0); };
  return (m, a, v) => {
    let moved = 0;
    for (let k = 0; k < puts.length; k++) moved = puts[k]!(m, a, v, moved);
  };
}

/** The wasm signature of a described call: `[name, i32|i64]` per wasm param (`<name>_len` for a pair's second). */
export function signatureOf(spec: CallSpec): readonly (readonly [string, WasmType])[] {
  const out: (readonly [string, WasmType])[] = [];
  for (const [name, type] of spec.params) {
    out.push([name, type === 'u64' || type === 's64' ? 'i64' : 'i32']);
    if (wasmArity(type) === 2) out.push([`${name}_len`, 'i32']);
  }
  return out;
}

/*
 * Compiled form. Composed closures share one feedback vector per literal
 * across all 46 calls, so their keyed stores and calls go megamorphic (a
 * path_open decode+encode took about twice the hand-written codec's CPU).
 * As wiggle expands its macro, the description is therefore compiled, once
 * at load, into one small function per call with the same steps in the same
 * order: locals, then one object literal (one shape per call). The source
 * holds only names and constants from the static table above (field names
 * quoted with JSON.stringify), never guest data. Where the host refuses
 * `new Function` (a CSP without 'unsafe-eval'), the closures are used.
 */

/** Helpers the compiled code calls, passed in by name. */
const HELPERS = {
  u32, u64, s64, readString, readIovs, gather, scatter, utf8, encodeDirents,
  writeFdstat, writeFilestat, writePrestat,
} as const;
const HELPER_NAMES = Object.keys(HELPERS);
const HELPER_VALUES = Object.values(HELPERS);

const canCompile = ((): boolean => {
  try {
    return new Function('return 1')() === 1;
  } catch {
    return false;
  }
})();

const key = (f: string) => JSON.stringify(f);

function decodeSource(spec: CallSpec): string {
  const lines: string[] = [];
  const fields: string[] = [];
  let i = 0;
  spec.params.forEach(([, type, field], k) => {
    const v = `v${k}`;
    switch (type) {
      case 'fd': case 'u32': case 'ptr': lines.push(`const ${v} = u32(r[${i}]);`); break;
      case 'u8': lines.push(`const ${v} = u32(r[${i}]) & 0xff;`); break;
      case 'u16': lines.push(`const ${v} = u32(r[${i}]) & 0xffff;`); break;
      case 'u64': lines.push(`const ${v} = u64(r[${i}]);`); break;
      case 's64': lines.push(`const ${v} = s64(r[${i}]);`); break;
      case 'string': lines.push(`const ${v} = readString(m, u32(r[${i}]), u32(r[${i + 1}]));`); break;
      case 'iovs_in': lines.push(`const t${k} = readIovs(m, u32(r[${i}]), u32(r[${i + 1}]));`, `const ${v} = gather(m, t${k}.iovs, t${k}.total);`); break;
      case 'iovs_out': lines.push(`const t${k} = readIovs(m, u32(r[${i}]), u32(r[${i + 1}]));`, `const ${v} = t${k}.total;`); break;
      case 'buf': lines.push(`const p${k} = u32(r[${i}]);`, `const ${v} = u32(r[${i + 1}]);`, `m.check(p${k}, ${v});`); break;
      default: lines.push(`const ${v} = u32(r[${i}]);`, `m.check(${v}, ${STRUCT_SIZE[type.slice(4) as Struct]});`);
    }
    fields.push(`${key(field)}: ${v}`);
    if (type === 'iovs_out') fields.push(`_iovs: t${k}.iovs`);
    if (type === 'buf') fields.push(`_buf: p${k}`);
    i += wasmArity(type);
  });
  return `${lines.join('\n')}\nreturn { ${fields.join(', ')} };`;
}

const WRITER_CALL: Record<Struct, (ptr: string, x: string) => string> = {
  u16: (p, x) => `m.setU16(${p}, ${x});`,
  u32: (p, x) => `m.setU32(${p}, ${x});`,
  u64: (p, x) => `m.setU64(${p}, ${x});`,
  fdstat: (p, x) => `writeFdstat(m, ${p}, ${x});`,
  filestat: (p, x) => `writeFilestat(m, ${p}, ${x});`,
  prestat: (p, x) => `writePrestat(m, ${p}, ${x});`,
};

function encodeSource(spec: CallSpec): string {
  const lines: string[] = ['let moved = 0;'];
  for (const [param, from, as] of spec.results ?? []) {
    const [, type, field] = spec.params.find(([n]) => n === param)!;
    const x = from === 'value' ? 'v' : from === 'moved' ? 'moved' : `v[${key(from)}]`;
    const f = `a[${key(field)}]`;
    if (type === 'iovs_out') lines.push(`moved = scatter(m, a._iovs, ${x});`);
    else if (type === 'buf' && as === 'dirents') lines.push(`moved = encodeDirents(m, a._buf, ${f}, ${x});`);
    else if (type === 'buf' && as === 'utf8') lines.push(`{ const b = utf8(${x}).subarray(0, ${f}); m.write(a._buf, b); moved = b.byteLength; }`);
    else if (type === 'buf') lines.push(`{ const b = ${x}; m.write(a._buf, b); moved = b.byteLength; }`);
    else lines.push(WRITER_CALL[type.slice(4) as Struct](f, x));
  }
  return lines.join('\n');
}

function compiled<F>(name: string, args: string, body: string): F {
  // eslint-disable-next-line @typescript-eslint/no-implied-eval
  return new Function(...HELPER_NAMES, `return function ${name}(${args}) {\n${body}\n};`)(...HELPER_VALUES) as F;
}

/** How `codecOf` builds a codec: compiled (the default where the host allows it) or composed closures. */
export type DeriveMode = 'compiled' | 'closures';

/** The generic codec of `call`, derived from its description. */
export function codecOf(call: WasiCallName, mode: DeriveMode = canCompile ? 'compiled' : 'closures'): Codec<any, any> {
  const spec = ABI[call];
  const params = signatureOf(spec);
  const returnsErrno = spec.noreturn !== true;
  if (spec.custom === 'poll_oneoff') return { params, returnsErrno, decode: pollDecode, encode: pollEncode };
  let decode: Codec<any, any>['decode'];
  let encode: Codec<any, any>['encode'];
  if (mode === 'compiled') {
    decode = compiled(`decode_${call}`, 'm, r', decodeSource(spec));
    encode = spec.results === undefined ? undefined : compiled(`encode_${call}`, 'm, a, v', encodeSource(spec));
  } else {
    const steps: Step[] = [];
    let i = 0;
    for (const [, type, field] of spec.params) {
      steps.push(decodeStep(type, i, field));
      i += wasmArity(type);
    }
    decode = decodeOf(steps);
    encode = encodeOf((spec.results ?? []).map((r) => encodeStep(spec, r)));
  }
  if (spec.custom === 'strings') encode = stringsEncode;
  return { params, returnsErrno, decode, encode };
}

/**
 * `call`'s codec with its decode and encode compiled at their first use:
 * the signature is there at once (import objects are built from it), and
 * the stand-ins replace themselves with the compiled functions on their
 * first call. A process that makes a few calls compiles a few (start-up of
 * a one-shot run: about 90 `new Function`s less).
 */
function lazyCodec(call: WasiCallName): Codec<any, any> {
  const spec = ABI[call];
  if (!canCompile || spec.custom === 'poll_oneoff') return codecOf(call);
  let built: Codec<any, any> | undefined;
  const codec: Codec<any, any> = {
    params: signatureOf(spec),
    returnsErrno: spec.noreturn !== true,
    decode: (m, r) => build().decode(m, r),
    // as codecOf: an encode exactly when the call has results (or its hand-written string table)
    encode: spec.results === undefined && spec.custom !== 'strings' ? undefined : (m, a, v) => build().encode!(m, a, v),
  };
  const build = (): Codec<any, any> => {
    if (built === undefined) {
      built = codecOf(call, 'compiled');
      codec.decode = built.decode;
      codec.encode = built.encode;
    }
    return built;
  };
  return codec;
}

/** Every call's derived codec, by name (compiled at first use: `lazyCodec`). */
export const CODECS: Readonly<Record<WasiCallName, Codec<any, any>>> = Object.fromEntries(
  WASI_PREVIEW1_IMPORTS.map((name) => [name, lazyCodec(name)]),
) as Record<WasiCallName, Codec<any, any>>;
