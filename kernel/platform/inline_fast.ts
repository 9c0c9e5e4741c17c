/**
 * Fast paths of the inline platform, where the kernel and the guest memory
 * share a thread: `fd_read` of a file that implements `readInto` copies the
 * file's bytes straight into each iovec of guest memory, and `fd_write`
 * hands the file one buffer holding the iovecs' bytes (a view of guest
 * memory when they are contiguous, else a reused scratch copy), with
 * fixed-arity arguments and no per-call objects. The iovec checks are the
 * codec's own (`checkIovs`), so any iovec count up to IOV_MAX gets the same
 * errnos in the same order as the generic import. Everything else (pipes and
 * consoles on read, an installed syscall filter, a write that would block,
 * `--strace`) takes the generic import, before any side effect.
 *
 * One difference is allowed, because both answers are legal short reads:
 * the fast read fills iovec after iovec with one `readInto` each and stops at
 * the first short one, where the generic path makes one `read` of the
 * total. For tmpfs and layer files (reads are short only at EOF) the results
 * are identical; a host file may give a multi-iovec read more bytes than the
 * generic path's one 16 MiB-capped read, and an error after some iovecs were
 * filled returns the bytes read so far (as readv(2)), the error coming on
 * the next call.
 */
import { checkIovs, gatherChecked, IOV_MAX } from '../abi/codec.js';
import type { GuestMemory } from '../abi/memory.js';
import { outSize, paramIndex } from '../abi/spec.js';
import { Rights, WASI_PREVIEW1_IMPORTS } from '../abi/wasi.js';
import { Errno, SysError } from '../errno.js';
import { TaskExit } from '../task/exit.js';
import type { Task } from '../task/task.js';
import { errnoOf, type Dispatcher } from '../syscalls/dispatch.js';
import { WouldBlock } from '../vfs/wait.js';
import type { ImportContext } from './imports.js';

/** Table numbers of the calls with a fast path (a filter that must see one sends it the generic way). */
const FD_READ_NR = WASI_PREVIEW1_IMPORTS.indexOf('fd_read');
const FD_WRITE_NR = WASI_PREVIEW1_IMPORTS.indexOf('fd_write');

/** An import as the wasm instance calls it. */
type RawImport = (...raw: (number | bigint)[]) => number | void;

/**
 * The ABI these paths are specialised for, from the calls' description
 * (kernel/abi/spec.ts): the wasm parameters (fd, iovs, iovs_len, out) in
 * that order, and the out-pointer's size. A description that no longer
 * matches fails at load, not at a guest's call.
 */
function iovCallShape(call: 'fd_read' | 'fd_write', iovs: string, out: string): number {
  if (paramIndex(call, 'fd') !== 0 || paramIndex(call, iovs) !== 1 || paramIndex(call, out) !== 3) {
    throw new Error(`inline fast path: ${call}'s parameters are no longer (fd, ${iovs}, ${iovs}_len, ${out})`);
  }
  return outSize(call, out);
}
const NREAD_SIZE = iovCallShape('fd_read', 'iovs', 'nread');
const NWRITTEN_SIZE = iovCallShape('fd_write', 'iovs', 'nwritten');

/** Largest write gathered into the reused scratch buffer; bigger ones get a fresh buffer, as the generic path. */
const SCRATCH_MAX = 64 * 1024;
const EMPTY = new Uint8Array(0);

/**
 * Per-task buffers of both fast paths, reused by every call (the paths never
 * nest: neither runs guest code). `iov` holds the checked iovecs of the
 * current call (ptr, len pairs); `bytes` the gathered bytes of a write of
 * several non-contiguous iovecs, and `view` its last exact-length view.
 */
class Scratch {
  iov = new Uint32Array(2 * 8);
  bytes = new Uint8Array(256);
  view = EMPTY;

  /** `iov` with room for `count` iovecs. */
  iovFor(count: number): Uint32Array {
    if (2 * count > this.iov.length) this.iov = new Uint32Array(2 * IOV_MAX);
    return this.iov;
  }

  /** A buffer of exactly `len` (1 to SCRATCH_MAX) bytes, reusing the last view when the length repeats. */
  bytesFor(len: number): Uint8Array {
    if (this.view.length === len) return this.view;
    if (len > this.bytes.length) {
      let size = this.bytes.length;
      while (size < len) size *= 2;
      this.bytes = new Uint8Array(size);
    }
    this.view = this.bytes.subarray(0, len);
    return this.view;
  }
}

/**
 * The first `total` bytes of the `count` checked iovecs in `s.iov`, as
 * `gather` in kernel/abi/codec.ts: a view of guest memory when the
 * non-empty iovecs are contiguous (one iovec, or a buffer split in two),
 * else a copy in `s`'s scratch buffer (a fresh one above SCRATCH_MAX).
 */
function gatherIovs(mem: GuestMemory, s: Scratch, count: number, total: number): Uint8Array {
  const iov = s.iov;
  let start = -1;
  let end = 0;
  let contiguous = true;
  for (let i = 0; i < count; i++) {
    const l = iov[2 * i + 1]!;
    if (l === 0) continue;
    const p = iov[2 * i]!;
    if (start < 0) { start = p; end = p + l; } else if (p === end) end += l;
    else { contiguous = false; break; }
  }
  if (start < 0 || total === 0) return EMPTY;
  const u8 = mem.bytes(0, 0);
  if (contiguous) return u8.subarray(start, start + Math.min(end - start, total));
  const out = total <= SCRATCH_MAX ? s.bytesFor(total) : new Uint8Array(total);
  gatherChecked(u8, iov, count, total, out);
  return out;
}

/**
 * `fd_read(fd, iovs, iovs_len, nread)`: the codec's checks (`checkIovs`,
 * then nread: EINVAL/EFAULT before anything is read), the fd's rights, then
 * `readInto` each non-empty iovec in turn, up to the capped total, stopping
 * at EOF or a short read. Falls back to `generic` whenever the fast path
 * does not apply, before any side effect.
 */
function fastFdRead(ctx: ImportContext, dispatcher: Dispatcher, task: Task, s: Scratch, generic: RawImport, before: (() => void) | null): RawImport {
  return function fd_read(fdRaw: number | bigint, iovsRaw: number | bigint, countRaw: number | bigint, retRaw: number | bigint): number {
    if (before !== null) before();
    const mem = ctx.memory;
    if (mem === null || dispatcher.sees(FD_READ_NR) || typeof countRaw !== 'number') {
      return generic(fdRaw, iovsRaw, countRaw, retRaw) as number;
    }
    let done = 0;
    let ret = 0;
    try {
      const count = countRaw >>> 0;
      ret = Number(retRaw) >>> 0;
      const total = checkIovs(mem, Number(iovsRaw) >>> 0, count, s.iovFor(count));
      // The checked nread word's DataView (fewer GuestMemory calls keep V8's inlining budget for the file's read).
      const rv = mem.struct(ret, NREAD_SIZE);
      const file = task.fds.file(Number(fdRaw) >>> 0, Rights.FD_READ);
      if (file.readInto === undefined) return generic(fdRaw, iovsRaw, countRaw, retRaw) as number;
      const u8 = mem.bytes(0, 0);
      if (total === 0) {
        file.readInto(u8, 0, 0); // the file's own checks (a read of 0 bytes, as the generic path)
      } else {
        const iov = s.iov;
        for (let i = 0; i < count && done < total; i++) {
          const l = iov[2 * i + 1]!;
          if (l === 0) continue;
          const want = Math.min(l, total - done);
          const got = file.readInto(u8, iov[2 * i]!, want);
          done += got;
          if (got < want) break;
        }
      }
      rv.setUint32(ret, done, true);
      return Errno.SUCCESS;
    } catch (err) {
      if (err instanceof TaskExit) throw err;
      if (done > 0 && (err instanceof SysError || err instanceof WouldBlock)) {
        // Some iovecs were filled: report them, as readv(2); the error comes on the next call.
        mem.setU32(ret, done);
        return Errno.SUCCESS;
      }
      // Nothing happened yet: the generic path waits and retries.
      if (err instanceof WouldBlock) return generic(fdRaw, iovsRaw, countRaw, retRaw) as number;
      return errnoOf(err, task.host, 'fd_read failed with an internal error');
    }
  };
}

/**
 * `fd_write(fd, iovs, iovs_len, nwritten)`: the codec's checks, then one
 * `write` of the gathered bytes (`gatherIovs`: no args object, no iovec
 * array, a copy only for non-contiguous iovecs). A write that would block
 * falls back to `generic`, which waits (a blocked write has written nothing).
 */
function fastFdWrite(ctx: ImportContext, dispatcher: Dispatcher, task: Task, s: Scratch, generic: RawImport, before: (() => void) | null): RawImport {
  return function fd_write(fdRaw: number | bigint, iovsRaw: number | bigint, countRaw: number | bigint, retRaw: number | bigint): number {
    if (before !== null) before();
    const mem = ctx.memory;
    if (mem === null || dispatcher.sees(FD_WRITE_NR) || typeof countRaw !== 'number') {
      return generic(fdRaw, iovsRaw, countRaw, retRaw) as number;
    }
    try {
      const count = countRaw >>> 0;
      const ret = Number(retRaw) >>> 0;
      const total = checkIovs(mem, Number(iovsRaw) >>> 0, count, s.iovFor(count));
      // The checked nwritten word's DataView (fewer GuestMemory calls keep V8's inlining budget for the file's write).
      const rv = mem.struct(ret, NWRITTEN_SIZE);
      const file = task.fds.file(Number(fdRaw) >>> 0, Rights.FD_WRITE);
      // One iovec (the most common call): a view, without gatherIovs' scan.
      const n = file.write(count !== 1 ? gatherIovs(mem, s, count, total) : total === 0 ? EMPTY : new Uint8Array(rv.buffer, s.iov[0]!, total));
      rv.setUint32(ret, n, true);
      return Errno.SUCCESS;
    } catch (err) {
      if (err instanceof WouldBlock) return generic(fdRaw, iovsRaw, countRaw, retRaw) as number;
      return errnoOf(err, task.host, 'fd_write failed with an internal error');
    }
  };
}

/**
 * Replace the imports of `ns` that have an inline fast path (call once the
 * generic imports are built; not with `--strace`, which needs the generic
 * path's decoded arguments). `before` runs first in each (the memory report,
 * which may end the task); the generic fallback runs it again, harmlessly.
 */
export function installInlineFastPaths(ns: Record<string, RawImport>, ctx: ImportContext, dispatcher: Dispatcher, task: Task, before: (() => void) | null = null): void {
  const s = new Scratch();
  const read = ns.fd_read;
  if (read !== undefined) ns.fd_read = fastFdRead(ctx, dispatcher, task, s, read, before);
  const write = ns.fd_write;
  if (write !== undefined) ns.fd_write = fastFdWrite(ctx, dispatcher, task, s, write, before);
}
