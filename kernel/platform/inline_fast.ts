/**
 * Fast paths of the inline platform, where the kernel and the guest memory
 * share a thread: `fd_read` of a file that implements `readInto` copies the
 * file's bytes straight into guest memory, and `fd_write` hands the file a
 * view of the guest's bytes, with fixed-arity arguments and no per-call
 * objects. Everything else (several iovecs, pipes and consoles,
 * an installed syscall filter, `--strace`) takes the generic import, so the
 * observable behaviour is the same: the same checks, in the same order,
 * and the same errnos.
 */
import { Rights } from '../abi/wasi.js';
import { E, Errno, SysError } from '../errno.js';
import { TaskExit } from '../task/exit.js';
import type { Task } from '../task/task.js';
import type { Dispatcher } from '../syscalls/dispatch.js';
import { WouldBlock } from '../vfs/wait.js';
import type { ImportContext } from './imports.js';

/** An import as the wasm instance calls it. */
type RawImport = (...raw: (number | bigint)[]) => number | void;

/**
 * `fd_read(fd, iovs, iovs_len, nread)` for one iovec: decode as the codec
 * does (EFAULT on any bad pointer before anything is read), then
 * `readInto` the guest's buffer. Falls back to `generic` whenever the fast
 * path does not apply, before any side effect.
 */
function fastFdRead(ctx: ImportContext, dispatcher: Dispatcher, task: Task, generic: RawImport): RawImport {
  return function fd_read(fdRaw: number | bigint, iovsRaw: number | bigint, countRaw: number | bigint, retRaw: number | bigint): number {
    const mem = ctx.memory;
    if (mem === null || dispatcher.filter !== null || typeof countRaw !== 'number' || countRaw !== 1) {
      return generic(fdRaw, iovsRaw, countRaw, retRaw) as number;
    }
    try {
      const iovs = Number(iovsRaw) >>> 0;
      const ret = Number(retRaw) >>> 0;
      mem.check(iovs, 8);
      const ptr = mem.u32(iovs);
      const len = mem.u32(iovs + 4);
      const dst = mem.bytes(ptr, len);
      if (len > 0x7fff_ffff) throw E.INVAL;
      mem.check(ret, 4);
      const file = task.fds.file(Number(fdRaw) >>> 0, Rights.FD_READ);
      if (file.readInto === undefined) return generic(fdRaw, iovsRaw, countRaw, retRaw) as number;
      const n = file.readInto(dst, ptr, len);
      mem.setU32(ret, n);
      return Errno.SUCCESS;
    } catch (err) {
      if (err instanceof SysError) return err.errno;
      // Nothing happened yet: the generic path waits and retries.
      if (err instanceof WouldBlock) return generic(fdRaw, iovsRaw, countRaw, retRaw) as number;
      if (err instanceof TaskExit) throw err;
      task.host.logBug('fd_read failed with an internal error', err);
      return E.IO.errno;
    }
  };
}

/**
 * `fd_write(fd, iovs, iovs_len, nwritten)` for one iovec: the same checks
 * as the codec, then the file's `write` of a view of the guest's bytes (no
 * args object, no iovec array). A write that would block falls back to
 * `generic`, which waits (a blocked write has written nothing).
 */
function fastFdWrite(ctx: ImportContext, dispatcher: Dispatcher, task: Task, generic: RawImport): RawImport {
  return function fd_write(fdRaw: number | bigint, iovsRaw: number | bigint, countRaw: number | bigint, retRaw: number | bigint): number {
    const mem = ctx.memory;
    if (mem === null || dispatcher.filter !== null || typeof countRaw !== 'number' || countRaw !== 1) {
      return generic(fdRaw, iovsRaw, countRaw, retRaw) as number;
    }
    try {
      const iovs = Number(iovsRaw) >>> 0;
      const ret = Number(retRaw) >>> 0;
      mem.check(iovs, 8);
      const ptr = mem.u32(iovs);
      const len = mem.u32(iovs + 4);
      const src = mem.bytes(ptr, len);
      if (len > 0x7fff_ffff) throw E.INVAL;
      mem.check(ret, 4);
      const n = task.fds.file(Number(fdRaw) >>> 0, Rights.FD_WRITE).write(src.subarray(ptr, ptr + len));
      mem.setU32(ret, n);
      return Errno.SUCCESS;
    } catch (err) {
      if (err instanceof SysError) return err.errno;
      if (err instanceof WouldBlock) return generic(fdRaw, iovsRaw, countRaw, retRaw) as number;
      if (err instanceof TaskExit) throw err;
      task.host.logBug('fd_write failed with an internal error', err);
      return E.IO.errno;
    }
  };
}

/**
 * Replace the imports of `ns` that have an inline fast path (call once the
 * generic imports are built; not with `--strace`, which needs the generic
 * path's decoded arguments).
 */
export function installInlineFastPaths(ns: Record<string, RawImport>, ctx: ImportContext, dispatcher: Dispatcher, task: Task): void {
  const read = ns.fd_read;
  if (read !== undefined) ns.fd_read = fastFdRead(ctx, dispatcher, task, read);
  const write = ns.fd_write;
  if (write !== undefined) ns.fd_write = fastFdWrite(ctx, dispatcher, task, write);
}
