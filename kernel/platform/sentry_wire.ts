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
import type { ReadArgs, PreadArgs, WriteArgs, PwriteArgs, SeekArgs, FdArgs, Fdstat } from '../abi/calls_fd.js';
import type { ClockArgs, SendArgs } from '../abi/calls_misc.js';
import type { OpenArgs, PathStatArgs } from '../abi/calls_path.js';
import { decodeGuestString } from '../abi/memory.js';
import { SYSCALL_BY_NAME } from '../syscalls/table.js';
import type { Filestat, FileTypeValue } from '../vfs/types.js';
import { NOWAIT_WORD, WIRE_WORDS, WIRE_WORDS_OFFSET } from './sentry_protocol.js';

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

const NO_IOVS: ReadArgs['_iovs'] = [];

const fdWrite: Wire<WriteArgs, number> = {
  putArgs(s, a) {
    const n = a.data.length;
    if (n > s.d.length) return -1;
    s.w[0] = a.fd;
    s.d.set(a.data);
    return n;
  },
  getArgs(s, len) { return { fd: s.w[0]! >>> 0, data: s.view(len), _ret: 0 }; },
  ...numberResult,
};

/** A layout's `putArgs` followed, when the arguments fit, by `put` of the call's own scalar. */
function plus<B, A extends B>(base: (s: WireSlots, a: B) => number, put: (s: WireSlots, a: A) => void): (s: WireSlots, a: A) => number {
  return (s, a) => {
    const n = base(s, a);
    if (n >= 0) put(s, a);
    return n;
  };
}

/** fd_pwrite: fd_write's layout plus the offset in u64 word 1. */
const fdPwrite: Wire<PwriteArgs, number> = {
  putArgs: plus(fdWrite.putArgs, (s, a: PwriteArgs) => { s.q[1] = a.offset; }),
  getArgs(s, len) { return { fd: s.w[0]! >>> 0, data: s.view(len), offset: s.q[1]!, _ret: 0 }; },
  ...numberResult,
};

/**
 * fd_read: fd, max and a flag word (1: `noWait`, a later piece of a big
 * read: sentry_fast.ts) in word 4, clear of the offset words of fd_pread.
 */
const fdRead: Wire<ReadArgs, Uint8Array> = {
  putArgs(s, a) {
    if (a.max > s.d.length) return -1;
    s.w[0] = a.fd;
    s.w[1] = a.max;
    s.w[NOWAIT_WORD] = a.noWait === true ? 1 : 0;
    return 0;
  },
  getArgs(s) { return { fd: s.w[0]! >>> 0, max: s.w[1]!, noWait: s.w[NOWAIT_WORD] === 1, _iovs: NO_IOVS, _ret: 0 }; },
  ...bytesResult,
};

/** fd_pread: fd_read's layout plus the offset in u64 word 1 (words 2 and 3). */
const fdPread: Wire<PreadArgs, Uint8Array> = {
  putArgs: plus(fdRead.putArgs, (s, a: PreadArgs) => { s.q[1] = a.offset; }),
  getArgs(s) { return { fd: s.w[0]! >>> 0, max: s.w[1]!, noWait: s.w[NOWAIT_WORD] === 1, offset: s.q[1]!, _iovs: NO_IOVS, _ret: 0 }; },
  ...bytesResult,
};

/** sock_send: fd_write's layout plus the flags in word 1. */
const sockSend: Wire<SendArgs, number> = {
  putArgs: plus(fdWrite.putArgs, (s, a: SendArgs) => { s.w[1] = a.siflags; }),
  getArgs(s, len) { return { fd: s.w[0]! >>> 0, data: s.view(len), siflags: s.w[1]!, _ret: 0 }; },
  ...numberResult,
};

const fdOnly = {
  putArgs(s: WireSlots, a: FdArgs): number { s.w[0] = a.fd; return 0; },
  getArgs(s: WireSlots): FdArgs & { _ret: number } { return { fd: s.w[0]! >>> 0, _ret: 0 }; },
};

const fdSeek: Wire<SeekArgs, bigint> = {
  putArgs(s, a) {
    s.w[0] = a.fd;
    s.w[1] = a.whence;
    s.qs[1] = a.offset;
    return 0;
  },
  getArgs(s) { return { fd: s.w[0]! >>> 0, whence: s.w[1]!, offset: s.qs[1]!, _ret: 0 }; },
  ...u64Result,
};

const clockTimeGet: Wire<ClockArgs, bigint> = {
  putArgs(s, a) {
    s.w[0] = a.id;
    s.q[1] = a.precision ?? 0n;
    return 0;
  },
  getArgs(s) { return { id: s.w[0]! >>> 0, precision: s.q[1]!, _ret: 0 }; },
  ...u64Result,
};

const fdFdstatGet: Wire<FdArgs & { _ret: number }, Fdstat> = {
  ...fdOnly,
  putResult(s, r) {
    const w = s.w;
    w[0] = r.filetype; w[1] = r.flags; w[2] = r.rightsBase; w[3] = r.rightsInheriting;
    // rights are numbers below 2^53 (they fit an i32 today); keep the high words too
    w[4] = Math.floor(r.rightsBase / 0x1_0000_0000); w[5] = Math.floor(r.rightsInheriting / 0x1_0000_0000);
    return 0;
  },
  getResult(s) {
    const w = s.w;
    return {
      filetype: w[0]!, flags: w[1]!,
      rightsBase: (w[2]! >>> 0) + (w[4]! >>> 0) * 0x1_0000_0000,
      rightsInheriting: (w[3]! >>> 0) + (w[5]! >>> 0) * 0x1_0000_0000,
    };
  },
};

const pathOpen: Wire<OpenArgs, number> = {
  putArgs(s, a) {
    const n = putString(s, a.path);
    if (n < 0) return -1;
    const w = s.w;
    w[0] = a.fd; w[1] = a.dirflags; w[2] = a.oflags; w[3] = a.fdflags;
    s.q[2] = a.rightsBase;
    s.q[3] = a.rightsInheriting;
    return n;
  },
  getArgs(s, len) {
    const w = s.w;
    return {
      fd: w[0]! >>> 0, dirflags: w[1]! >>> 0, path: getString(s, len), oflags: w[2]!,
      rightsBase: s.q[2]!, rightsInheriting: s.q[3]!, fdflags: w[3]!, _ret: 0,
    };
  },
  ...numberResult,
};

const pathFilestatGet: Wire<PathStatArgs, Filestat> = {
  putArgs(s, a) {
    const n = putString(s, a.path);
    if (n < 0) return -1;
    s.w[0] = a.fd;
    s.w[1] = a.flags;
    return n;
  },
  getArgs(s, len) { return { fd: s.w[0]! >>> 0, flags: s.w[1]! >>> 0, path: getString(s, len), _ret: 0 }; },
  ...filestatResult,
};

const randomGet: Wire<{ len: number; _buf: number }, Uint8Array> = {
  putArgs(s, a) {
    if (a.len > s.d.length) return -1;
    s.w[0] = a.len;
    return 0;
  },
  getArgs(s) { return { len: s.w[0]!, _buf: 0 }; },
  ...bytesResult,
};

const byName: Record<string, Wire> = {
  fd_write: fdWrite,
  fd_pwrite: fdPwrite,
  fd_read: fdRead,
  fd_pread: fdPread,
  fd_close: { ...fdOnly, ...voidResult },
  fd_seek: fdSeek,
  fd_tell: { ...fdOnly, ...u64Result },
  fd_fdstat_get: fdFdstatGet,
  fd_filestat_get: { ...fdOnly, ...filestatResult },
  clock_time_get: clockTimeGet,
  path_open: pathOpen,
  path_filestat_get: pathFilestatGet,
  random_get: randomGet,
  sock_send: sockSend,
};

/** Fixed wire layouts by opcode (undefined: the generic encoding). */
export type WireTable = readonly (Wire | undefined)[];

/** Wire formats by syscall number (the table's `nr`); undefined: the call uses the generic encoding. */
export const SENTRY_WIRES: WireTable = (() => {
  const out: (Wire | undefined)[] = [];
  for (const [name, wire] of Object.entries(byName)) {
    const e = SYSCALL_BY_NAME.get(name);
    if (!e) throw new Error(`sentry wire: no syscall ${name}`);
    out[e.nr] = wire;
  }
  return out;
})();
