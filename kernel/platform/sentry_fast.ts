/**
 * Fast paths of the sentry platform, app side: the iovec calls (`fd_write`,
 * `fd_read`, `fd_pwrite`, `fd_pread`, `sock_send`) go from the guest's
 * iovecs straight into the channel's data area (and back) in their fixed
 * wire layout (sentry_wire.ts), with no arguments object, no iovec array
 * and no generic codec. The checks are the codec's own (`checkIovs`, then
 * the result pointer), in the same order, so a bad call gets the same errno
 * as through the generic import. Under `--strace` they print the generic
 * import's line (`traceFast`). The Sentry sees the same request either way.
 * Which argument word holds what, where a call's own argument sits and the
 * size of its count out-pointer come from the calls' ABI description
 * (kernel/abi/spec.ts), checked at load against the shape these take.
 *
 * A call bigger than the data area goes in pieces (`inPieces`), each a
 * fixed-layout call of at most the data area, so that no message and no
 * answer is ever bigger than it: the Sentry is shared by every container,
 * and a 2 GiB write through the generic codec made it reassemble, decode
 * and copy about twice the bytes, charged to no one (a big read: the whole
 * result, then its encoding). The checks come first (EFAULT before any
 * call).
 * - `fd_write`, `fd_pwrite` (each piece at the call's offset plus the bytes
 *   before it), `sock_send`: the counts add up; the call ends at the first short piece,
 *   or at a failure: the bytes written so far if any (a partial write, as
 *   POSIX), else the errno. Pieces may block (a blocking write waits for
 *   room for all its bytes).
 * - `fd_read`, `fd_pread`: the same, but only the first piece may wait: the others ask
 *   the Sentry not to (`noWait`: would-block is an empty answer), since
 *   read(2) returns what is there. A short or empty piece (EOF, nothing
 *   more yet) ends the call.
 * - `random_get`: the only call whose length is not capped at SSIZE_MAX (a
 *   4 GiB request could not even be encoded: the Sentry failed); a failing
 *   piece fails the call with its errno.
 * - `fd_readdir` (`pieceReaddir`): its answer, entries for the buffer, in
 *   calls of a data area's worth of buffer, each from the last cookie.
 * Other tasks' calls may run between two pieces (as between the chunks of
 * a pipe write over PIPE_BUF in Linux).
 *
 * Isomorphic: the channel is injected.
 */
import { encodeDirents, type ReaddirArgs } from '../abi/calls_fd.js';
import { checkIovs, type Codec, gather, gatherChecked, type Iov, IOV_MAX, scatterChecked, u32, u64 } from '../abi/codec.js';
import type { GuestMemory } from '../abi/memory.js';
import { E, SysError } from '../errno.js';
import { errnoOf } from '../syscalls/dispatch.js';
import { TaskExit, type ExitStatus } from '../task/exit.js';
import { SYSCALL_BY_NAME } from '../syscalls/table.js';
import type { DirEntry } from '../vfs/types.js';
import { fixedArity, plainCall, tracer, type ImportContext } from './imports.js';
import { ABI, outSize, paramIndex, wireWord } from '../abi/spec.js';
import type { WasiCallName } from '../abi/wasi.js';
import { SentryStatus, type SentryReply } from './sentry_protocol.js';
import type { WireSlots } from './sentry_wire.js';
import { MAX_BYTES } from './strace.js';

/** A channel that can send a call whose arguments are already in its slots. */
export interface FixedChannel {
  readonly slots: WireSlots;
  /** Send `op` (arguments in `slots`, `len` data bytes); the reply is valid until the next call. */
  callFixed(op: number, len: number): SentryReply;
}

/** An import as the wasm instance calls it. */
type RawImport = (...raw: (number | bigint)[]) => number | void;

const RANDOM_NR = SYSCALL_BY_NAME.get('random_get')!.nr;

/**
 * The app side's one mapping of a reply status to the call's errno (the
 * generic imports' `invoke` and the fast paths): an errno (≥ 0) as is;
 * EXIT throws TaskExit (the task ended); BUG (a kernel bug the Sentry
 * logged through the dispatcher's `errnoOf` or its serve loop) is EIO.
 */
export function replyErrno(r: SentryReply): number {
  if (r.status >= 0) return r.status;
  if (r.status === SentryStatus.EXIT) throw new TaskExit(r.value as ExitStatus);
  return E.IO.errno;
}

/** The errno of a reply that is not a success; throws for an exit. */
const failed = replyErrno;

/** Per-task iovec scratch (ptr, len pairs), grown once to IOV_MAX when a call needs it. */
class Iovs {
  a = new Uint32Array(2 * 8);
  for(count: number): Uint32Array {
    if (2 * count > this.a.length && count <= IOV_MAX) this.a = new Uint32Array(2 * IOV_MAX);
    return this.a;
  }
}

/**
 * A call of `total` bytes as pieces of at most `size` bytes, in order (see
 * the top): `send(off, n)` sends the piece of `n` bytes at `off` and
 * returns its reply; `take(r, off)` takes a success reply's bytes and
 * returns how many moved. Returns the bytes moved, or `-errno` for a
 * failure before any moved (any failure unless `partial`). An exit answer
 * throws TaskExit.
 */
function inPieces(total: number, size: number, partial: boolean, send: (off: number, n: number) => SentryReply, take: (r: SentryReply, off: number) => number): number {
  let off = 0;
  while (off < total) {
    const n = Math.min(size, total - off);
    const r = send(off, n);
    if (r.status !== 0) {
      const errno = failed(r);
      return partial && off > 0 ? off : -errno;
    }
    const k = take(r, off);
    off += k;
    if (k < n) break;
  }
  return off;
}

/**
 * Where an iovec call puts its own argument besides fd and length (the
 * offset of fd_pwrite and fd_pread, the flags of sock_send) for the piece
 * that starts `off` bytes into the call. An offset moves with the piece;
 * it is below 2^63 when a piece after the first is sent (the first one
 * fails with EINVAL otherwise), so the sum cannot wrap.
 */
type PutExtra = (s: WireSlots, extra: number | bigint, off: number) => void;

const noExtra: PutExtra = () => {};

/**
 * Size of iovec call `call`'s count out-pointer (nwritten, nread,
 * so_datalen), after checking that its description still has the shape the
 * fast paths take: (fd, iovs, iovs_len, [extra,] count out-pointer), so a
 * changed description fails at load, not at a guest's call.
 */
function retSize(call: WasiCallName): number {
  const params = ABI[call].params;
  const out = params.find((x) => x[1].startsWith('out:'));
  const arity = wasmParams(call);
  if (params[0]?.[1] !== 'fd' || !params[1]?.[1].startsWith('iovs_') || out === undefined || paramIndex(call, out[0]) !== arity - 1 || (arity !== 4 && arity !== 5)) {
    throw new Error(`sentry fast path: ${call}'s parameters are no longer (fd, iovs, iovs_len, [extra,] out)`);
  }
  return outSize(call, out[0]);
}

/** Number of wasm parameters of `call`. */
function wasmParams(call: WasiCallName): number {
  return SYSCALL_BY_NAME.get(call)!.codec.params.length;
}

/** Fields of an iovec call's wire layout that every such call has (spec.ts `writeWire`, `readWire`). */
const COMMON = new Set(['fd', 'max', 'noWait']);

/**
 * The PutExtra of iovec call `call`, from its description: its one wire
 * field besides fd, max and noWait (none: `noExtra`), which must be its
 * wasm parameter 3 (the `extra` of IovCall). A 64-bit word is an offset
 * (moved with the piece), an i32 word flags (masked to their ABI width).
 */
function extraOf(call: WasiCallName): PutExtra {
  const wire = ABI[call].wire!;
  const field = Object.keys(wire.args).find((f) => !COMMON.has(f));
  if (field === undefined) return noExtra;
  const param = ABI[call].params.find((p) => p[2] === field)!;
  if (paramIndex(call, param[0]) !== 3) throw new Error(`sentry fast path: ${call}.${field} is not wasm parameter 3`);
  const slot = wire.args[field]!;
  if ('q' in slot) {
    const i = slot.q;
    return (s, extra, off) => {
      const offset = u64(extra);
      s.q[i] = off === 0 ? offset : offset + BigInt(off);
    };
  }
  const i = wireWord(call, field);
  const mask = param[1] === 'u8' ? 0xff : param[1] === 'u16' ? 0xffff : -1;
  return (s, extra) => { s.w[i] = u32(extra) & mask; };
}

/**
 * An iovec call as the fast paths take it: (fd, iovs, count, extra, ret),
 * `extra` being the call's own argument (0 if none). Returns the errno, or
 * -1 for "take the generic import" (no memory yet, or an i64 count).
 */
type IovCall = (fdRaw: number | bigint, iovsRaw: number | bigint, countRaw: number | bigint, extraRaw: number | bigint, retRaw: number | bigint) => number;

/** fd_write, fd_pwrite, sock_send: the iovecs gathered into the data area, in pieces when bigger. */
function fastWrite(ctx: ImportContext, chan: FixedChannel, report: () => void, call: WasiCallName): IovCall {
  const nr = SYSCALL_BY_NAME.get(call)!.nr;
  const put = extraOf(call);
  const FD = wireWord(call, 'fd');
  const RET = retSize(call);
  const iovs = new Iovs();
  const s = chan.slots;
  const { w, d } = s;
  const countOf = (r: SentryReply) => r.value as number;
  return (fdRaw, iovsRaw, countRaw, extraRaw, retRaw) => {
    const mem = ctx.memory;
    if (mem === null || typeof countRaw !== 'number') return -1;
    let r: SentryReply;
    let ret: number;
    try {
      const count = countRaw >>> 0;
      const iov = iovs.for(count);
      const total = checkIovs(mem, Number(iovsRaw) >>> 0, count, iov);
      ret = Number(retRaw) >>> 0;
      const u8 = mem.bytes(ret, RET);
      const fd = Number(fdRaw) >>> 0;
      // before the data goes in: a memory report is a generic message in the same area
      report();
      if (total > d.length) {
        const n = inPieces(total, d.length, true, (off, k) => {
          gatherChecked(u8, iov, count, k, d, off);
          w[FD] = fd;
          put(s, extraRaw, off);
          return chan.callFixed(nr, k);
        }, countOf);
        if (n < 0) return -n;
        mem.setU32(ret, n);
        return 0;
      }
      gatherChecked(u8, iov, count, total, d);
      w[FD] = fd;
      put(s, extraRaw, 0);
      r = chan.callFixed(nr, total);
    } catch (err) {
      if (err instanceof SysError) return errnoOf(err, ctx.host, 'sentry fast path');
      throw err; // the channel's own failures (closed: the task was killed) unwind the guest, as through `invoke`
    }
    if (r.status !== 0) return failed(r);
    mem.setU32(ret, r.value as number);
    return 0;
  };
}

/**
 * fd_write's own closure for a write that fits the data area, the hot case:
 * the shared `fastWrite` closure is made for three calls (fd_write,
 * fd_pwrite, sock_send), so V8 shares its call sites' feedback and inlines
 * neither its `put` hook nor the arity wrapper; a one-byte write took
 * 50–80 ns more CPU through it (bench/sandbox [0], interleaved A/B). The
 * checks are the same, in the same order; anything else goes to `other`
 * (which checks again: same errnos).
 */
function smallWrite(ctx: ImportContext, chan: FixedChannel, report: () => void, other: RawImport): RawImport {
  const nr = SYSCALL_BY_NAME.get('fd_write')!.nr;
  const FD = wireWord('fd_write', 'fd');
  const RET = retSize('fd_write');
  const iovs = new Iovs();
  const { w, d } = chan.slots;
  return function fd_write(fdRaw, iovsRaw, countRaw, retRaw): number {
    const mem = ctx.memory;
    if (mem === null || typeof countRaw !== 'number') return other(fdRaw, iovsRaw, countRaw, retRaw) as number;
    let r: SentryReply;
    let ret: number;
    try {
      const count = countRaw >>> 0;
      const iov = iovs.for(count);
      const total = checkIovs(mem, Number(iovsRaw) >>> 0, count, iov);
      ret = Number(retRaw) >>> 0;
      const u8 = mem.bytes(ret, RET);
      if (total > d.length) return other(fdRaw, iovsRaw, countRaw, retRaw) as number;
      report();
      gatherChecked(u8, iov, count, total, d);
      w[FD] = Number(fdRaw) >>> 0;
      r = chan.callFixed(nr, total);
    } catch (err) {
      if (err instanceof SysError) return errnoOf(err, ctx.host, 'sentry fast path');
      throw err; // the channel's own failures (closed: the task was killed) unwind the guest, as through `invoke`
    }
    if (r.status !== 0) return failed(r);
    mem.setU32(ret, r.value as number);
    return 0;
  };
}

/** fd_read, fd_pread: the answer scattered over the iovecs, in pieces when bigger (only the first may wait). */
function fastRead(ctx: ImportContext, chan: FixedChannel, report: () => void, call: WasiCallName): IovCall {
  const nr = SYSCALL_BY_NAME.get(call)!.nr;
  const put = extraOf(call);
  const FD = wireWord(call, 'fd');
  const MAX = wireWord(call, 'max');
  const NOWAIT = wireWord(call, 'noWait');
  const RET = retSize(call);
  const iovs = new Iovs();
  const s = chan.slots;
  const { w, d } = s;
  return (fdRaw, iovsRaw, countRaw, extraRaw, retRaw) => {
    const mem = ctx.memory;
    if (mem === null || typeof countRaw !== 'number') return -1;
    let r: SentryReply;
    let ret: number;
    let count: number;
    try {
      count = countRaw >>> 0;
      const iov = iovs.for(count);
      const total = checkIovs(mem, Number(iovsRaw) >>> 0, count, iov);
      ret = Number(retRaw) >>> 0;
      const u8 = mem.bytes(ret, RET);
      const fd = Number(fdRaw) >>> 0;
      report();
      if (total > d.length) {
        const n = inPieces(total, d.length, true, (off, k) => {
          w[FD] = fd;
          w[MAX] = k;
          w[NOWAIT] = off > 0 ? 1 : 0; // noWait after the first piece
          put(s, extraRaw, off);
          return chan.callFixed(nr, 0);
        }, (rr, off) => scatterChecked(rr.value as Uint8Array, iov, count, u8, off));
        if (n < 0) return -n;
        mem.setU32(ret, n);
        return 0;
      }
      w[FD] = fd;
      w[MAX] = total;
      w[NOWAIT] = 0;
      put(s, extraRaw, 0);
      r = chan.callFixed(nr, 0);
    } catch (err) {
      if (err instanceof SysError) return errnoOf(err, ctx.host, 'sentry fast path');
      throw err; // the channel's own failures (closed: the task was killed) unwind the guest, as through `invoke`
    }
    if (r.status !== 0) return failed(r);
    // scatter the answer over the iovecs, in order (the codec's `scatter`)
    mem.setU32(ret, scatterChecked(r.value as Uint8Array, iovs.a, count, mem.bytes(ret, RET)));
    return 0;
  };
}

/** A call of four raw arguments (fd, iovs, count, ret) over `fast`, else `generic`. */
function fourArgs(fast: IovCall, generic: RawImport): RawImport {
  return (a, b, c, d) => {
    const r = fast(a!, b!, c!, 0, d!);
    return r >= 0 ? r : generic(a!, b!, c!, d!) as number;
  };
}

/** A call of five raw arguments (fd, iovs, count, extra, ret) over `fast`, else `generic`. */
function fiveArgs(fast: IovCall, generic: RawImport): RawImport {
  return (a, b, c, e, d) => {
    const r = fast(a!, b!, c!, e!, d!);
    return r >= 0 ? r : generic(a!, b!, c!, e!, d!) as number;
  };
}

/** `random_get` longer than the data area, in pieces of at most the data area (see the top). */
function pieceRandom(ctx: ImportContext, chan: FixedChannel, report: () => void, generic: RawImport): RawImport {
  const { w, d } = chan.slots;
  const LEN = wireWord('random_get', 'len');
  return function random_get(bufRaw: number | bigint, lenRaw: number | bigint): number {
    const mem = ctx.memory;
    if (mem === null || typeof lenRaw !== 'number' || typeof bufRaw !== 'number') return generic(bufRaw, lenRaw) as number;
    const buf = bufRaw >>> 0;
    const len = lenRaw >>> 0;
    try {
      mem.check(buf, len);
      if (len <= d.length) return generic(bufRaw, lenRaw) as number;
      report();
      const n = inPieces(len, d.length, false, (_off, k) => {
        w[LEN] = k;
        return chan.callFixed(RANDOM_NR, 0);
      }, (rr, off) => {
        const bytes = rr.value as Uint8Array;
        mem.write(buf + off, bytes);
        return bytes.length;
      });
      return n < 0 ? -n : 0;
    } catch (err) {
      if (err instanceof SysError) return errnoOf(err, ctx.host, 'sentry fast path');
      throw err; // the channel's own failures (closed: the task was killed) unwind the guest, as through `invoke`
    }
  };
}
/**
 * `fd_readdir` with a buffer bigger than the data area: calls for a data
 * area's worth of buffer each (the handler answers the entries that start
 * inside it: at most a data area plus one entry of names and headers),
 * each from the cookie of the last entry written, written into the guest's
 * buffer in order. The same bytes and bufused as one call: entries in
 * order, the last cut at the end of the buffer, bufused below buf_len only
 * at the end of the directory. A failure after some entries ends the call
 * with them. Calls with a smaller buffer take the generic import. With
 * `shown` (under `--strace`) the entries written are collected there: they
 * are the entries one call would answer (those starting inside the buffer).
 */
function pieceReaddir(ctx: ImportContext, chan: FixedChannel, generic: RawImport, shown: DirEntry[] | null = null): RawImport {
  const entry = SYSCALL_BY_NAME.get('fd_readdir')!;
  const codec = entry.codec as Codec<ReaddirArgs, DirEntry[]>;
  const size = chan.slots.d.length;
  return function fd_readdir(fdRaw, bufRaw, lenRaw, cookieRaw, retRaw) {
    const mem = ctx.memory;
    if (mem === null || u32(lenRaw) <= size) return generic(fdRaw!, bufRaw!, lenRaw!, cookieRaw!, retRaw!) as number;
    try {
      const a = codec.decode(mem, [fdRaw!, bufRaw!, lenRaw!, cookieRaw!, retRaw!]);
      if (shown !== null) shown.length = 0;
      let used = 0;
      let cookie = a.cookie;
      while (used < a.bufLen) {
        const want = Math.min(size, a.bufLen - used);
        const out = ctx.invoke(entry, { fd: a.fd, bufLen: want, cookie, _buf: 0, _ret: 0 });
        if (out.errno !== 0) {
          if (used === 0) return out.errno;
          break;
        }
        const entries = out.value as DirEntry[];
        if (shown !== null) for (const d of entries) shown.push(d);
        const n = encodeDirents(mem, a._buf + used, a.bufLen - used, entries);
        used += n;
        // less than `want` bytes of entries: the end of the directory; else the last
        // entry was written whole (the space left was more than `want`) unless the buffer is full
        if (n < want) break;
        cookie = entries[entries.length - 1]!.next;
      }
      mem.setU32(a._ret, used);
      return 0;
    } catch (err) {
      if (err instanceof SysError) return errnoOf(err, ctx.host, 'sentry fast path');
      throw err; // the channel's own failures (closed: the task was killed) unwind the guest, as through `invoke`
    }
  };
}

/** What a traced piecewise call shows as its result, read back from guest memory after it succeeded. */
type Shown = (mem: GuestMemory, args: any) => unknown;

/** A count written at `_ret`. */
const countShown: Shown = (mem, a: { _ret: number }) => mem.u32(a._ret);
/** The bytes read into the iovecs: as many as the line shows, and one more to mark a longer buffer. */
const readShown: Shown = (mem, a: { _iovs: Iov[]; _ret: number }) => gather(mem, a._iovs, Math.min(mem.u32(a._ret), MAX_BYTES + 1));
/** The random bytes, as many as the line shows (and one more). */
const randomShown: Shown = (mem, a: { len: number; _buf: number }) => mem.view(a._buf, Math.min(a.len, MAX_BYTES + 1));

/**
 * `fast` under `--strace`: one line per guest call (`tracer`, the generic
 * imports' own), the arguments as the codec decodes them and the result
 * read back by `shown`, so the line is the generic import's while the
 * call still goes in pieces. A decode failure is the call's errno without
 * calling `fast` (its checks are the codec's, in the same order).
 */
function traceFast(ctx: ImportContext, name: string, fast: RawImport, shown: Shown): RawImport {
  const entry = SYSCALL_BY_NAME.get(name)!;
  return fixedArity(entry.codec.params.length, tracer(entry, ctx, (mem, raw, args, out) => {
    const errno = fast(raw[0]!, raw[1]!, raw[2]!, raw[3]!, raw[4]!) as number;
    if (errno === 0) out.value = shown(mem, args);
    return errno;
  }));
}

/**
 * Replace the iovec calls of `ns` (the generic imports: fd_write, fd_read,
 * fd_pwrite, fd_pread, sock_send) with the fast paths over `chan`, and
 * `random_get` and `fd_readdir` with their piecewise forms. `report` sends
 * a guest memory size change before a call, as the generic `invoke` does.
 * With `--strace` (`ctx.strace`) each prints the generic import's line
 * (`traceFast`).
 */
export function installSentryFastPaths(ns: Record<string, RawImport>, ctx: ImportContext, chan: FixedChannel, report: () => void): void {
  const install = (name: string, make: (generic: RawImport) => RawImport, shown: Shown) => {
    if (ns[name] === undefined) return;
    if (!ctx.strace) {
      ns[name] = make(ns[name]);
      return;
    }
    // the fallback inside the traced line must not print a second one
    const entry = SYSCALL_BY_NAME.get(name)!;
    ns[name] = traceFast(ctx, name, make(fixedArity(entry.codec.params.length, plainCall(entry, ctx))), shown);
  };
  install('fd_write', (g) => smallWrite(ctx, chan, report, fourArgs(fastWrite(ctx, chan, report, 'fd_write'), g)), countShown);
  install('fd_read', (g) => fourArgs(fastRead(ctx, chan, report, 'fd_read'), g), readShown);
  install('fd_pwrite', (g) => fiveArgs(fastWrite(ctx, chan, report, 'fd_pwrite'), g), countShown);
  install('fd_pread', (g) => fiveArgs(fastRead(ctx, chan, report, 'fd_pread'), g), readShown);
  install('sock_send', (g) => fiveArgs(fastWrite(ctx, chan, report, 'sock_send'), g), countShown);
  install('random_get', (g) => pieceRandom(ctx, chan, report, g), randomShown);
  const readdir = ns.fd_readdir;
  if (readdir === undefined) return;
  if (!ctx.strace) {
    ns.fd_readdir = pieceReaddir(ctx, chan, readdir);
    return;
  }
  // traced: a small buffer takes the (traced) generic import, a big one the pieces in one line
  const entries: DirEntry[] = [];
  const size = chan.slots.d.length;
  const pieces = traceFast(ctx, 'fd_readdir', pieceReaddir(ctx, chan, readdir, entries), () => entries.splice(0));
  ns.fd_readdir = (fd, buf, len, cookie, ret) => (u32(len) <= size ? readdir : pieces)(fd!, buf!, len!, cookie!, ret!) as number;
}
