/** Codecs of args/environ, clocks, random, poll_oneoff, proc_* / sched_yield and sock_*. */
import { E } from '../errno.js';
import { Codec, Iov, gather, readIovs, scatter, sig, u32, u64, utf8 } from './codec.js';
import type { GuestMemory } from './memory.js';
import { EventType, Layout } from './wasi.js';

/** args_get/environ_get input: where to put the pointer array and the strings. */
export interface StringsArgs { _ptrs: number; _buf: number }
/** args_sizes_get/environ_sizes_get input. */
export interface SizesArgs { _count: number; _size: number }
/** Sizes result. */
export interface Sizes { count: number; bytes: number }
/** clock_* input. */
export interface ClockArgs { id: number; precision?: bigint; _ret: number }
/** One poll_oneoff subscription, decoded. */
export type Subscription =
  | { userdata: bigint; type: 0; clockId: number; timeout: bigint; precision: bigint; flags: number }
  | { userdata: bigint; type: 1 | 2; fd: number };
/** One poll_oneoff event. */
export interface PollEvent { userdata: bigint; error: number; type: number; nbytes: bigint; flags: number }
/** poll_oneoff input. `t0` is set by the handler on its first attempt (restarts keep relative timeouts). */
export interface PollArgs { subs: Subscription[]; t0?: bigint; _out: number; _ret: number }
/** sock_recv input. */
export interface RecvArgs { fd: number; max: number; riflags: number; _iovs: Iov[]; _ret: number; _ret2: number }
/** sock_recv result. */
export interface RecvResult { data: Uint8Array; roflags: number }
/** sock_send input. */
export interface SendArgs { fd: number; data: Uint8Array; siflags: number; _ret: number }

function stringsEncode(m: GuestMemory, a: StringsArgs, list: readonly string[]): void {
  let off = a._buf;
  for (let i = 0; i < list.length; i++) {
    const b = utf8(list[i]!);
    m.setU32(a._ptrs + i * 4, off);
    m.write(off, b);
    m.setU8(off + b.byteLength, 0);
    off += b.byteLength + 1;
  }
}

const strings: Codec<StringsArgs, readonly string[]> = {
  params: sig('ptrs:i32', 'buf:i32'), returnsErrno: true,
  decode: (_m, r) => ({ _ptrs: u32(r[0]), _buf: u32(r[1]) }),
  encode: stringsEncode,
};

const sizes: Codec<SizesArgs, Sizes> = {
  params: sig('count:i32', 'buf_size:i32'), returnsErrno: true,
  decode: (m, r) => { const a = { _count: u32(r[0]), _size: u32(r[1]) }; m.check(a._count, 4); m.check(a._size, 4); return a; },
  encode: (m, a, s) => { m.setU32(a._count, s.count); m.setU32(a._size, s.bytes); },
};

/** Total bytes of NUL-terminated UTF-8 strings (for *_sizes_get). */
export function stringsSize(list: readonly string[]): number {
  let n = 0;
  for (const s of list) n += utf8(s).byteLength + 1;
  return n;
}

/**
 * Most subscriptions one poll_oneoff takes; more is EINVAL (as poll(2) past
 * RLIMIT_NOFILE): 8 times the default RLIMIT_NOFILE, room for a poll of
 * 4,095 fds for reading and writing plus a timeout (wasi-libc's poll makes
 * up to two subscriptions per pollfd). Each becomes a JS object, and on the
 * sentry platform the call and its events cross the channel in the generic
 * encoding: at 8,192 the Sentry holds about 4 MiB for one call (0.9 MiB
 * request, 2 MiB of decoded objects, 0.7 MiB of events); at the former
 * 65,536, about 30 MiB, charged to no one.
 */
export const MAX_SUBSCRIPTIONS = 8192;

function decodeSubs(m: GuestMemory, ptr: number, n: number): Subscription[] {
  if (n > MAX_SUBSCRIPTIONS) throw E.INVAL;
  m.check(ptr, n * Layout.SUBSCRIPTION_SIZE);
  const subs: Subscription[] = [];
  for (let i = 0; i < n; i++) {
    const p = ptr + i * Layout.SUBSCRIPTION_SIZE;
    const userdata = m.u64(p);
    const tag = m.u8At(p + 8);
    if (tag === EventType.CLOCK) {
      subs.push({ userdata, type: 0, clockId: m.u32(p + 16), timeout: m.u64(p + 24), precision: m.u64(p + 32), flags: m.u16(p + 40) });
    } else if (tag === EventType.FD_READ || tag === EventType.FD_WRITE) {
      subs.push({ userdata, type: tag, fd: m.u32(p + 16) });
    } else {
      throw E.INVAL;
    }
  }
  return subs;
}

/** Codecs of the remaining calls, by name. */
export const miscCodecs = {
  args_get: strings,
  args_sizes_get: sizes,
  environ_get: strings,
  environ_sizes_get: sizes,
  clock_res_get: {
    params: sig('id:i32', 'resolution:i32'), returnsErrno: true,
    decode: (m, r) => { const _ret = u32(r[1]); m.check(_ret, 8); return { id: u32(r[0]), _ret }; },
    encode: (m, a, v) => m.setU64(a._ret, v),
  } as Codec<ClockArgs, bigint>,
  clock_time_get: {
    params: sig('id:i32', 'precision:i64', 'time:i32'), returnsErrno: true,
    decode: (m, r) => { const _ret = u32(r[2]); m.check(_ret, 8); return { id: u32(r[0]), precision: u64(r[1]), _ret }; },
    encode: (m, a, v) => m.setU64(a._ret, v),
  } as Codec<ClockArgs, bigint>,
  random_get: {
    params: sig('buf:i32', 'buf_len:i32'), returnsErrno: true,
    decode: (m, r) => { const _buf = u32(r[0]); const len = u32(r[1]); m.check(_buf, len); return { len, _buf }; },
    encode: (m, a, data) => m.write(a._buf, data),
  } as Codec<{ len: number; _buf: number }, Uint8Array>,
  poll_oneoff: {
    params: sig('in:i32', 'out:i32', 'nsubscriptions:i32', 'nevents:i32'), returnsErrno: true,
    decode: (m, r) => {
      const n = u32(r[2]);
      const _out = u32(r[1]); const _ret = u32(r[3]);
      if (n > MAX_SUBSCRIPTIONS) throw E.INVAL;
      m.check(_out, n * Layout.EVENT_SIZE);
      m.check(_ret, 4);
      return { subs: decodeSubs(m, u32(r[0]), n), _out, _ret };
    },
    encode: (m, a, events) => {
      events.forEach((ev, i) => {
        const p = a._out + i * Layout.EVENT_SIZE;
        m.zero(p, Layout.EVENT_SIZE);
        m.setU64(p, ev.userdata);
        m.setU16(p + 8, ev.error);
        m.setU8(p + 10, ev.type);
        m.setU64(p + 16, ev.nbytes);
        m.setU16(p + 24, ev.flags);
      });
      m.setU32(a._ret, events.length);
    },
  } as Codec<PollArgs, PollEvent[]>,
  proc_exit: {
    params: sig('rval:i32'), returnsErrno: false,
    decode: (_m, r) => ({ code: u32(r[0]) }),
  } as Codec<{ code: number }, never>,
  proc_raise: {
    params: sig('sig:i32'), returnsErrno: true,
    decode: (_m, r) => ({ sig: u32(r[0]) & 0xff }),
  } as Codec<{ sig: number }, void>,
  sched_yield: {
    params: sig(), returnsErrno: true,
    decode: () => ({}),
  } as Codec<Record<string, never>, void>,
  sock_accept: {
    params: sig('fd:i32', 'flags:i32', 'result_fd:i32'), returnsErrno: true,
    decode: (m, r) => { const _ret = u32(r[2]); m.check(_ret, 4); return { fd: u32(r[0]), flags: u32(r[1]) & 0xffff, _ret }; },
    encode: (m, a, fd) => m.setU32(a._ret, fd),
  } as Codec<{ fd: number; flags: number; _ret: number }, number>,
  sock_recv: {
    params: sig('fd:i32', 'ri_data:i32', 'ri_data_len:i32', 'ri_flags:i32', 'ro_datalen:i32', 'ro_flags:i32'), returnsErrno: true,
    decode: (m, r) => {
      const { iovs, total } = readIovs(m, u32(r[1]), u32(r[2]));
      const _ret = u32(r[4]); const _ret2 = u32(r[5]);
      m.check(_ret, 4);
      m.check(_ret2, 2);
      return { fd: u32(r[0]), max: total, riflags: u32(r[3]) & 0xffff, _iovs: iovs, _ret, _ret2 };
    },
    encode: (m, a, res) => { m.setU32(a._ret, scatter(m, a._iovs, res.data)); m.setU16(a._ret2, res.roflags); },
  } as Codec<RecvArgs, RecvResult>,
  sock_send: {
    params: sig('fd:i32', 'si_data:i32', 'si_data_len:i32', 'si_flags:i32', 'so_datalen:i32'), returnsErrno: true,
    decode: (m, r) => {
      const { iovs, total } = readIovs(m, u32(r[1]), u32(r[2]));
      const _ret = u32(r[4]);
      m.check(_ret, 4);
      return { fd: u32(r[0]), data: gather(m, iovs, total), siflags: u32(r[3]) & 0xffff, _ret };
    },
    encode: (m, a, n) => m.setU32(a._ret, n),
  } as Codec<SendArgs, number>,
  sock_shutdown: {
    params: sig('fd:i32', 'how:i32'), returnsErrno: true,
    decode: (_m, r) => ({ fd: u32(r[0]), how: u32(r[1]) & 0xff }),
  } as Codec<{ fd: number; how: number }, void>,
} satisfies Record<string, Codec<any, any>>;
