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

/** The generic codec of `call`, derived from its description. */
export function codecOf(call: WasiCallName): Codec<any, any> {
  const spec = ABI[call];
  const params = signatureOf(spec);
  const returnsErrno = spec.noreturn !== true;
  if (spec.custom === 'poll_oneoff') return { params, returnsErrno, decode: pollDecode, encode: pollEncode };
  const steps: Step[] = [];
  let i = 0;
  for (const [, type, field] of spec.params) {
    steps.push(decodeStep(type, i, field));
    i += wasmArity(type);
  }
  const decode = decodeOf(steps);
  if (spec.custom === 'strings') return { params, returnsErrno, decode, encode: stringsEncode };
  return { params, returnsErrno, decode, encode: encodeOf((spec.results ?? []).map((r) => encodeStep(spec, r))) };
}

/** Every call's derived codec, by name. */
export const CODECS: Readonly<Record<WasiCallName, Codec<any, any>>> = Object.fromEntries(
  WASI_PREVIEW1_IMPORTS.map((name) => [name, codecOf(name)]),
) as Record<WasiCallName, Codec<any, any>>;
