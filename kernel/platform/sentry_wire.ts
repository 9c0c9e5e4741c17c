/**
 * Fixed-layout wire formats of the hot calls on the sentry platform. The
 * generic channel encoding (src/sentry/value_codec.ts) tags every value and spells
 * out every object key: fine for a rare call, most of the CPU time of a
 * one-byte `fd_write`. A call listed here crosses the channel instead as
 * scalars in eight argument words plus raw bytes in the data area, in a
 * layout both sides know by the call's number (the words' place in the
 * channel header: sentry_protocol.ts); nothing is tagged, no key is
 * sent, and the Sentry rebuilds the same plain arguments object the codec
 * would have delivered, so the handlers, the dispatcher and parking do not
 * change.
 *
 * Which call has a fixed layout, and which argument word holds which
 * field, is the call's description (kernel/abi/spec.ts `wire`): the layouts
 * are derived from it (`deriveWire`), except fd_write's and fd_read's,
 * hand-specialised for V8 with their words taken from the description.
 *
 * Rules:
 * - `putArgs` / `putResult` return the bytes used in the data area, or -1
 *   when the value does not fit (a big write, a long path): the channel then
 *   falls back to the generic encoding for that message, so any size works.
 * - Only what the handler reads crosses; `_`-prefixed ABI-private fields
 *   stay on the app side (as with the codec).
 * - Bytes are views of the data area on both sides, never copies: the
 *   other side does not touch the area until the call is answered (a parked
 *   request keeps its bytes), files copy what they are given (the inline
 *   platform hands them views of guest memory), and the app side encodes a
 *   result into guest memory before its next call.
 *
 * Isomorphic: no I/O, no host APIs.
 */
import type { ReadArgs, WriteArgs, Fdstat } from '../abi/calls_fd.js';
import { decodeGuestString } from '../abi/memory.js';
import { ABI, type WireResult, type WireSlot, type WireSpec, wireWord } from '../abi/spec.js';
import type { WasiCallName } from '../abi/wasi.js';
import { SYSCALLS } from '../syscalls/table.js';
import type { Filestat, FileTypeValue } from '../vfs/types.js';
import { WIRE_WORDS, WIRE_WORDS_OFFSET } from './sentry_protocol.js';

/** The fixed-layout slots of one channel: eight argument words and the data area. */
export interface WireSlots {
  /** Eight i32 words. */
  readonly w: Int32Array;
  /** The same 32 bytes as four u64 words. */
  readonly q: BigUint64Array;
  /** The same 32 bytes as four i64 words. */
  readonly qs: BigInt64Array;
  /** The data area. */
  readonly d: Uint8Array;
  /** The data area as u64 words (its start is 8-byte aligned). */
  readonly dq: BigUint64Array;
  /** A view of the first `len` bytes of the data area (the last one is reused when the length repeats). */
  view(len: number): Uint8Array;
}


/** The slots over a channel buffer whose data area starts at `dataOffset`. */
export function wireSlots(sab: SharedArrayBuffer, dataOffset: number): WireSlots {
  const d = new Uint8Array(sab, dataOffset);
  let last = d.subarray(0, 0);
  return {
    w: new Int32Array(sab, WIRE_WORDS_OFFSET, WIRE_WORDS),
    q: new BigUint64Array(sab, WIRE_WORDS_OFFSET, WIRE_WORDS / 2),
    qs: new BigInt64Array(sab, WIRE_WORDS_OFFSET, WIRE_WORDS / 2),
    d,
    dq: new BigUint64Array(sab, dataOffset, Math.floor((sab.byteLength - dataOffset) / 8)),
    view(len) {
      if (last.length !== len) last = d.subarray(0, len);
      return last;
    },
  };
}

/** The fixed layout of one call's arguments (app → Sentry) and result (Sentry → app). */
export interface Wire<A = any, R = any> {
  putArgs(s: WireSlots, a: A): number;
  getArgs(s: WireSlots, len: number): A;
  putResult(s: WireSlots, r: R): number;
  getResult(s: WireSlots, len: number): R;
}

/** Write `str` as UTF-8 at the start of the data area; -1 if it does not fit. */
function putString(s: WireSlots, str: string): number {
  const d = s.d;
  const n = str.length;
  if (n > d.length) return -1;
  for (let i = 0; i < n; i++) {
    const c = str.charCodeAt(i);
    if (c > 0x7f) return putUtf8(s, str);
    d[i] = c;
  }
  return n;
}

const utf8Enc = new TextEncoder();

function putUtf8(s: WireSlots, str: string): number {
  const b = utf8Enc.encode(str);
  if (b.length > s.d.length) return -1;
  s.d.set(b);
  return b.length;
}

/** The string of the first `len` data bytes (it was checked by the app side's decode). */
function getString(s: WireSlots, len: number): string {
  return decodeGuestString(s.d.subarray(0, len));
}

/** A result that is a number (a count, an fd). */
const numberResult = {
  putResult(s: WireSlots, r: number): number { s.w[0] = r; return 0; },
  getResult(s: WireSlots): number { return s.w[0]! >>> 0; },
};

/** A result that is a u64. */
const u64Result = {
  putResult(s: WireSlots, r: bigint): number { s.q[0] = r; return 0; },
  getResult(s: WireSlots): bigint { return s.q[0]!; },
};

/** No result. */
const voidResult = {
  putResult(): number { return 0; },
  getResult(): void { return undefined; },
};

/** A result that is bytes (at most the data area: callers ask for no more). */
const bytesResult = {
  putResult(s: WireSlots, r: Uint8Array): number {
    if (r.length > s.d.length) return -1;
    s.d.set(r);
    return r.length;
  },
  getResult(s: WireSlots, len: number): Uint8Array { return s.view(len); },
};

/** A filestat result: seven u64 words of the data area; filetype, mode, uid and gid in the argument words. */
const filestatResult = {
  putResult(s: WireSlots, st: Filestat): number {
    const q = s.dq;
    q[0] = st.dev; q[1] = st.ino; q[2] = st.nlink; q[3] = st.size;
    q[4] = st.atim; q[5] = st.mtim; q[6] = st.ctim;
    const w = s.w;
    w[0] = st.filetype; w[1] = st.mode; w[2] = st.uid; w[3] = st.gid;
    return 56;
  },
  getResult(s: WireSlots): Filestat {
    const q = s.dq;
    const w = s.w;
    return {
      dev: q[0]!, ino: q[1]!, filetype: w[0]! as FileTypeValue, nlink: q[2]!,
      size: q[3]!, atim: q[4]!, mtim: q[5]!, ctim: q[6]!,
      mode: w[1]!, uid: w[2]! >>> 0, gid: w[3]! >>> 0,
    };
  },
};

/** An fdstat result: filetype, flags and the rights' low and high words in the argument words. */
const fdstatResult = {
  putResult(s: WireSlots, r: Fdstat): number {
    const w = s.w;
    w[0] = r.filetype; w[1] = r.flags; w[2] = r.rightsBase; w[3] = r.rightsInheriting;
    // rights are numbers below 2^53 (they fit an i32 today); keep the high words too
    w[4] = Math.floor(r.rightsBase / 0x1_0000_0000); w[5] = Math.floor(r.rightsInheriting / 0x1_0000_0000);
    return 0;
  },
  getResult(s: WireSlots): Fdstat {
    const w = s.w;
    return {
      filetype: w[0]!, flags: w[1]!,
      rightsBase: (w[2]! >>> 0) + (w[4]! >>> 0) * 0x1_0000_0000,
      rightsInheriting: (w[3]! >>> 0) + (w[5]! >>> 0) * 0x1_0000_0000,
    };
  },
};

/** Result layouts by the description's result type. */
const RESULTS: Record<WireResult, Pick<Wire, 'putResult' | 'getResult'>> = {
  void: voidResult, u32: numberResult, u64: u64Result, bytes: bytesResult, filestat: filestatResult, fdstat: fdstatResult,
};

type Fields = Record<string, any>;

/** Writer and reader of one argument word, from its slot in the description. */
function slotIo(field: string, slot: WireSlot): [put: (s: WireSlots, a: Fields) => void, get: (s: WireSlots, a: Fields) => void] {
  if ('w' in slot) { const i = slot.w; return [(s, a) => { s.w[i] = a[field]; }, (s, a) => { a[field] = s.w[i]! >>> 0; }]; }
  if ('flag' in slot) { const i = slot.flag; return [(s, a) => { s.w[i] = a[field] === true ? 1 : 0; }, (s, a) => { a[field] = s.w[i] === 1; }]; }
  if ('q' in slot) { const i = slot.q; return [(s, a) => { s.q[i] = a[field] ?? 0n; }, (s, a) => { a[field] = s.q[i]!; }]; }
  const i = slot.s;
  return [(s, a) => { s.qs[i] = a[field] ?? 0n; }, (s, a) => { a[field] = s.qs[i]!; }];
}

/**
 * The fixed layout of a call, derived from its description (spec.ts
 * `wire`): each scalar field in its argument word, the data field (bytes
 * or a UTF-8 string) in the data area. A `bytes` answer must fit the data
 * area: the field that sizes it (fd_read's `max`, random_get's `len`: the
 * call's first word after the fd) above the data area is -1.
 */
export function deriveWire(spec: WireSpec, mode: 'compiled' | 'closures' = canCompile ? 'compiled' : 'closures'): Wire {
  return mode === 'compiled' ? compileWire(spec) : composeWire(spec);
}

/*
 * As the generic codecs (kernel/abi/derive.ts), a layout is compiled once at
 * load into two small functions of its own (composed closures share their
 * feedback across layouts and went megamorphic: a clock_time_get put+get
 * cost 5–7 times the hand-written one). The source holds only field names
 * (quoted) and word indices from the static description; the closures are
 * the fallback where the host refuses `new Function`.
 */
const canCompile = ((): boolean => {
  try {
    return new Function('return 1')() === 1;
  } catch {
    return false;
  }
})();

function compileWire(spec: WireSpec): Wire {
  const key = (f: string) => JSON.stringify(f);
  const entries = Object.entries(spec.args);
  const data = spec.data;
  const sized = spec.result !== 'bytes' ? null : (entries.find(([f, slot]) => f !== 'fd' && 'w' in slot)?.[0] ?? null);
  const put: string[] = [];
  if (sized !== null) put.push(`if (a[${key(sized)}] > s.d.length) return -1;`);
  if (data === undefined) put.push('const n = 0;');
  else if (data[1] === 'string') put.push(`const n = putString(s, a[${key(data[0])}]);`, 'if (n < 0) return -1;');
  else put.push(`const b = a[${key(data[0])}];`, 'if (b.length > s.d.length) return -1;', 's.d.set(b);', 'const n = b.length;');
  const get: string[] = [];
  for (const [f, slot] of entries) {
    const v = `a[${key(f)}]`;
    if ('w' in slot) { put.push(`s.w[${slot.w}] = ${v};`); get.push(`${key(f)}: s.w[${slot.w}] >>> 0`); }
    else if ('flag' in slot) { put.push(`s.w[${slot.flag}] = ${v} === true ? 1 : 0;`); get.push(`${key(f)}: s.w[${slot.flag}] === 1`); }
    else if ('q' in slot) { put.push(`s.q[${slot.q}] = ${v} ?? 0n;`); get.push(`${key(f)}: s.q[${slot.q}]`); }
    else { put.push(`s.qs[${slot.s}] = ${v} ?? 0n;`); get.push(`${key(f)}: s.qs[${slot.s}]`); }
  }
  put.push('return n;');
  if (data !== undefined) get.push(`${key(data[0])}: ${data[1] === 'string' ? 'getString(s, len)' : 's.view(len)'}`);
  const make = (name: string, args: string, body: string) =>
    new Function('putString', 'getString', `return function ${name}(${args}) {\n${body}\n};`)(putString, getString);
  return {
    putArgs: make('putArgs', 's, a', put.join('\n')),
    getArgs: make('getArgs', 's, len', `return { ${get.join(', ')} };`),
    ...RESULTS[spec.result],
  };
}

function composeWire(spec: WireSpec): Wire {
  const entries = Object.entries(spec.args);
  const io = entries.map(([f, slot]) => slotIo(f, slot));
  const puts = io.map((x) => x[0]);
  const gets = io.map((x) => x[1]);
  const data = spec.data;
  const sized = spec.result !== 'bytes' ? null : (entries.find(([f, slot]) => f !== 'fd' && 'w' in slot)?.[0] ?? null);
  const putData = data === undefined ? null : data[1] === 'string' ? (s: WireSlots, a: Fields) => putString(s, a[data[0]]) : (s: WireSlots, a: Fields) => {
    const b: Uint8Array = a[data[0]];
    if (b.length > s.d.length) return -1;
    s.d.set(b);
    return b.length;
  };
  const getData = data === undefined ? null : data[1] === 'string'
    ? (s: WireSlots, len: number, a: Fields) => { a[data[0]] = getString(s, len); }
    : (s: WireSlots, len: number, a: Fields) => { a[data[0]] = s.view(len); };
  return {
    putArgs(s, a) {
      if (sized !== null && a[sized] > s.d.length) return -1;
      const n = putData === null ? 0 : putData(s, a);
      if (n < 0) return -1;
      for (let k = 0; k < puts.length; k++) puts[k]!(s, a);
      return n;
    },
    getArgs(s, len) {
      const a: Fields = {};
      for (let k = 0; k < gets.length; k++) gets[k]!(s, a);
      if (getData !== null) getData(s, len, a);
      return a;
    },
    ...RESULTS[spec.result],
  };
}

/*
 * fd_write and fd_read, the hot calls (bench/sandbox fdwrite, roundtrip):
 * hand-specialised for V8 (no per-field closures, one literal object
 * shape), their words taken from the description; test/sentry/sentry_wire
 * checks each against the derived layout.
 */
const WRITE_FD = wireWord('fd_write', 'fd');
const READ_FD = wireWord('fd_read', 'fd');
const READ_MAX = wireWord('fd_read', 'max');
const READ_NOWAIT = wireWord('fd_read', 'noWait');

const fdWrite: Wire<WriteArgs, number> = {
  putArgs(s, a) {
    const n = a.data.length;
    if (n > s.d.length) return -1;
    s.w[WRITE_FD] = a.fd;
    s.d.set(a.data);
    return n;
  },
  getArgs(s, len) { return { fd: s.w[WRITE_FD]! >>> 0, data: s.view(len), _ret: 0 }; },
  ...numberResult,
};

const NO_IOVS: ReadArgs['_iovs'] = [];

const fdRead: Wire<ReadArgs, Uint8Array> = {
  putArgs(s, a) {
    if (a.max > s.d.length) return -1;
    s.w[READ_FD] = a.fd;
    s.w[READ_MAX] = a.max;
    s.w[READ_NOWAIT] = a.noWait === true ? 1 : 0;
    return 0;
  },
  getArgs(s) { return { fd: s.w[READ_FD]! >>> 0, max: s.w[READ_MAX]!, noWait: s.w[READ_NOWAIT] === 1, _iovs: NO_IOVS, _ret: 0 }; },
  ...bytesResult,
};

/** The hand-specialised layouts, by call; every other described layout is derived (`deriveWire`). */
export const SPECIALISED_WIRES: Readonly<Partial<Record<WasiCallName, Wire>>> = { fd_write: fdWrite, fd_read: fdRead };

/** Fixed wire layouts by opcode (undefined: the generic encoding). */
export type WireTable = readonly (Wire | undefined)[];

/** Wire formats by syscall number (the table's `nr`), from the description; undefined: the call uses the generic encoding. */
export const SENTRY_WIRES: WireTable = SYSCALLS.map((e) => {
  const spec = ABI[e.name].wire;
  return spec === undefined ? undefined : SPECIALISED_WIRES[e.name] ?? deriveWire(spec);
});
