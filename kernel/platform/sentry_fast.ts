/**
 * Fast paths of the sentry platform, app side: `fd_write` and `fd_read`
 * go from the guest's iovecs straight into the channel's data area (and
 * back) in their fixed wire layout (sentry_wire.ts), with no arguments
 * object, no iovec array and no generic codec. The checks are the codec's
 * own (`checkIovs`, then the result pointer), in the same order, so a bad
 * call gets the same errno as through the generic import; what does not
 * fit the data area, and every call under `--strace`, takes the generic
 * import. The Sentry sees the same request either way.
 *
 * `random_get` of any length is served in pieces of at most the data area,
 * each a fixed-layout call: the only call whose length is not capped at
 * SSIZE_MAX, it would otherwise make the Sentry allocate about three times
 * the guest's memory (bytes, encoding, chunk copy), and a 4 GiB request
 * cannot be encoded at all (a generic message over 2^32 bytes: the Sentry
 * failed). The checks come first (EFAULT before any call); a failing piece
 * stops the call with its errno.
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

function fastWrite(ctx: ImportContext, chan: FixedChannel, report: () => void, generic: RawImport): RawImport {
  const iovs = new Iovs();
  const { w, d } = chan.slots;
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
      mem.check(ret, 4);
      if (total > d.length) return generic(fdRaw, iovsRaw, countRaw, retRaw) as number;
      // before the data goes in: a memory report is a generic message in the same area
      report();
      gatherChecked(mem.bytes(ret, 4), iov, count, total, d);
      w[0] = Number(fdRaw) >>> 0;
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
  const { w } = chan.slots;
  return function fd_read(fdRaw: number | bigint, iovsRaw: number | bigint, countRaw: number | bigint, retRaw: number | bigint): number {
    const mem = ctx.memory;
    if (mem === null || typeof countRaw !== 'number') return generic(fdRaw, iovsRaw, countRaw, retRaw) as number;
    let r: SentryReply;
    let ret: number;
    let count: number;
    try {
      count = countRaw >>> 0;
      const total = checkIovs(mem, Number(iovsRaw) >>> 0, count, iovs.for(count));
      ret = Number(retRaw) >>> 0;
      mem.check(ret, 4);
      if (total > chan.slots.d.length) return generic(fdRaw, iovsRaw, countRaw, retRaw) as number;
      report();
      w[0] = Number(fdRaw) >>> 0;
      w[1] = total;
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
      for (let off = 0; off < len;) {
        const n = Math.min(d.length, len - off);
        w[0] = n;
        const r = chan.callFixed(RANDOM_NR, 0);
        if (r.status !== 0) return failed(r);
        mem.write(buf + off, r.value as Uint8Array);
        off += n;
      }
    } catch (err) {
      if (err instanceof SysError) return err.errno;
      throw err;
    }
    return 0;
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
