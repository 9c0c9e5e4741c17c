/**
 * Argument and result types of args/environ, clocks, random, poll_oneoff,
 * proc_* / sched_yield and sock_*, and the two hand-written codec parts
 * (spec.ts `custom`): args_get's string table and poll_oneoff's
 * subscriptions and events. The rest is derived (derive.ts).
 */
import { E } from '../errno.js';
import { type Iov, u32, utf8 } from './codec.js';
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

/** args_get / environ_get: the pointer array at `_ptrs`, the NUL-terminated strings at `_buf`. */
export function stringsEncode(m: GuestMemory, a: StringsArgs, list: readonly string[]): void {
  let off = a._buf;
  for (let i = 0; i < list.length; i++) {
    const b = utf8(list[i]!);
    m.setU32(a._ptrs + i * 4, off);
    m.write(off, b);
    m.setU8(off + b.byteLength, 0);
    off += b.byteLength + 1;
  }
}

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

/**
 * poll_oneoff's decode (in, out, nsubscriptions, nevents): EINVAL past
 * MAX_SUBSCRIPTIONS, then the events array and nevents are checked, then
 * the subscriptions are read (EFAULT, EINVAL for an unknown tag).
 */
export function pollDecode(m: GuestMemory, r: ArrayLike<number | bigint>): PollArgs {
  const n = u32(r[2]);
  const _out = u32(r[1]); const _ret = u32(r[3]);
  if (n > MAX_SUBSCRIPTIONS) throw E.INVAL;
  m.check(_out, n * Layout.EVENT_SIZE);
  m.check(_ret, 4);
  return { subs: decodeSubs(m, u32(r[0]), n), _out, _ret };
}

/** poll_oneoff's encode: the events, then their count at nevents. */
export function pollEncode(m: GuestMemory, a: PollArgs, events: PollEvent[]): void {
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
}
