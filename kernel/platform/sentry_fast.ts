/**
 * Fast paths of the sentry platform, app side: `fd_write` and `fd_read`
 * go from the guest's iovecs straight into the channel's data area (and
 * back) in their fixed wire layout (sentry_wire.ts), with no arguments
 * object, no iovec array and no generic codec. The checks are the codec's
 * own (`checkIovs`, then the result pointer), in the same order, so a bad
 * call gets the same errno as through the generic import; every call under
 * `--strace` takes the generic import. The Sentry sees the same request
 * either way.
 *
 * A call bigger than the data area goes in pieces (`inPieces`), each a
 * fixed-layout call of at most the data area, so that no message and no
 * answer is ever bigger than it: the Sentry is shared by every container,
 * and a 2 GiB write through the generic codec made it reassemble, decode
 * and copy about twice the bytes, charged to no one (a big read: the whole
 * result, then its encoding). The checks come first (EFAULT before any
 * call).
 * - `fd_write`: the counts add up; the call ends at the first short piece,
 *   or at a failure: the bytes written so far if any (a partial write, as
 *   POSIX), else the errno. Pieces may block (a blocking write waits for
 *   room for all its bytes).
 * - `fd_read`: the same, but only the first piece may wait: the others ask
 *   the Sentry not to (`noWait`: would-block is an empty answer), since
 *   read(2) returns what is there. A short or empty piece (EOF, nothing
 *   more yet) ends the call.
 * - `random_get`: the only call whose length is not capped at SSIZE_MAX (a
 *   4 GiB request could not even be encoded: the Sentry failed); a failing
 *   piece fails the call with its errno.
 * Other tasks' calls may run between two pieces (as between the chunks of
 * a pipe write over PIPE_BUF in Linux).
 *
 * Isomorphic: the channel is injected.
 */
import { checkIovs, gatherChecked, IOV_MAX, scatterChecked } from '../abi/codec.js';
import { E, SysError } from '../errno.js';
import { TaskExit, type ExitStatus } from '../task/exit.js';
import { SYSCALL_BY_NAME } from '../syscalls/table.js';
import type { ImportContext } from './imports.js';
import { SentryStatus, type SentryReply } from './sentry.js';
import type { WireSlots } from './sentry_wire.js';

/** A channel that can send a call whose arguments are already in its slots. */
export interface FixedChannel {
  readonly slots: WireSlots;
  /** Send `op` (arguments in `slots`, `len` data bytes); the reply is valid until the next call. */
  callFixed(op: number, len: number): SentryReply;
}

/** An import as the wasm instance calls it. */
type RawImport = (...raw: (number | bigint)[]) => number | void;

const WRITE_NR = SYSCALL_BY_NAME.get('fd_write')!.nr;
const READ_NR = SYSCALL_BY_NAME.get('fd_read')!.nr;
const RANDOM_NR = SYSCALL_BY_NAME.get('random_get')!.nr;

/** The errno of a reply that is not a success; throws for an exit. */
function failed(r: SentryReply): number {
  if (r.status > 0) return r.status;
  if (r.status === SentryStatus.EXIT) throw new TaskExit(r.value as ExitStatus);
  return E.IO.errno;
}

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

function fastWrite(ctx: ImportContext, chan: FixedChannel, report: () => void, generic: RawImport): RawImport {
  const iovs = new Iovs();
  const { w, d } = chan.slots;
  const countOf = (r: SentryReply) => r.value as number;
  return function fd_write(fdRaw: number | bigint, iovsRaw: number | bigint, countRaw: number | bigint, retRaw: number | bigint): number {
    const mem = ctx.memory;
    if (mem === null || typeof countRaw !== 'number') return generic(fdRaw, iovsRaw, countRaw, retRaw) as number;
    let r: SentryReply;
    let ret: number;
    try {
      const count = countRaw >>> 0;
      const iov = iovs.for(count);
      const total = checkIovs(mem, Number(iovsRaw) >>> 0, count, iov);
      ret = Number(retRaw) >>> 0;
      const u8 = mem.bytes(ret, 4);
      const fd = Number(fdRaw) >>> 0;
      // before the data goes in: a memory report is a generic message in the same area
      report();
      if (total > d.length) {
        const n = inPieces(total, d.length, true, (off, k) => {
          gatherChecked(u8, iov, count, k, d, off);
          w[0] = fd;
          return chan.callFixed(WRITE_NR, k);
        }, countOf);
        if (n < 0) return -n;
        mem.setU32(ret, n);
        return 0;
      }
      gatherChecked(u8, iov, count, total, d);
      w[0] = fd;
      r = chan.callFixed(WRITE_NR, total);
    } catch (err) {
      if (err instanceof SysError) return err.errno;
      throw err;
    }
    if (r.status !== 0) return failed(r);
    mem.setU32(ret, r.value as number);
    return 0;
  };
}

function fastRead(ctx: ImportContext, chan: FixedChannel, report: () => void, generic: RawImport): RawImport {
  const iovs = new Iovs();
  const { w, d } = chan.slots;
  return function fd_read(fdRaw: number | bigint, iovsRaw: number | bigint, countRaw: number | bigint, retRaw: number | bigint): number {
    const mem = ctx.memory;
    if (mem === null || typeof countRaw !== 'number') return generic(fdRaw, iovsRaw, countRaw, retRaw) as number;
    let r: SentryReply;
    let ret: number;
    let count: number;
    try {
      count = countRaw >>> 0;
      const iov = iovs.for(count);
      const total = checkIovs(mem, Number(iovsRaw) >>> 0, count, iov);
      ret = Number(retRaw) >>> 0;
      const u8 = mem.bytes(ret, 4);
      const fd = Number(fdRaw) >>> 0;
      report();
      if (total > d.length) {
        const n = inPieces(total, d.length, true, (off, k) => {
          w[0] = fd;
          w[1] = k;
          w[2] = off > 0 ? 1 : 0; // noWait after the first piece
          return chan.callFixed(READ_NR, 0);
        }, (rr, off) => scatterChecked(rr.value as Uint8Array, iov, count, u8, off));
        if (n < 0) return -n;
        mem.setU32(ret, n);
        return 0;
      }
      w[0] = fd;
      w[1] = total;
      w[2] = 0;
      r = chan.callFixed(READ_NR, 0);
    } catch (err) {
      if (err instanceof SysError) return err.errno;
      throw err;
    }
    if (r.status !== 0) return failed(r);
    // scatter the answer over the iovecs, in order (the codec's `scatter`)
    mem.setU32(ret, scatterChecked(r.value as Uint8Array, iovs.a, count, mem.bytes(ret, 4)));
    return 0;
  };
}

/** `random_get` longer than the data area, in pieces of at most the data area (see the top). */
function pieceRandom(ctx: ImportContext, chan: FixedChannel, report: () => void, generic: RawImport): RawImport {
  const { w, d } = chan.slots;
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
        w[0] = k;
        return chan.callFixed(RANDOM_NR, 0);
      }, (rr, off) => {
        const bytes = rr.value as Uint8Array;
        mem.write(buf + off, bytes);
        return bytes.length;
      });
      return n < 0 ? -n : 0;
    } catch (err) {
      if (err instanceof SysError) return err.errno;
      throw err;
    }
  };
}
/**
 * Replace `fd_write` and `fd_read` of `ns` (the generic imports) with the
 * fast paths over `chan`, and `random_get` with its piecewise form.
 * `report` sends a guest memory size change before a call, as the generic
 * `invoke` does. Not with `--strace`.
 */
export function installSentryFastPaths(ns: Record<string, RawImport>, ctx: ImportContext, chan: FixedChannel, report: () => void): void {
  const write = ns.fd_write;
  if (write !== undefined) ns.fd_write = fastWrite(ctx, chan, report, write);
  const read = ns.fd_read;
  if (read !== undefined) ns.fd_read = fastRead(ctx, chan, report, read);
  const random = ns.random_get;
  if (random !== undefined) ns.random_get = pieceRandom(ctx, chan, report, random);
}
