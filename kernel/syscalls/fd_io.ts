/** Handlers: fd_read, fd_write, fd_pread, fd_pwrite, fd_seek, fd_tell, fd_close, fd_renumber, fd_sync, fd_datasync, fd_advise, fd_allocate. */
import type { FdArgs, PreadArgs, PwriteArgs, RangeArgs, ReadArgs, SeekArgs, WriteArgs } from '../abi/calls_fd.js';
import { Advice, Rights } from '../abi/wasi.js';
import { E } from '../errno.js';
import type { Task } from '../task/task.js';
import { FileType, Whence } from '../vfs/types.js';
import { WouldBlock } from '../vfs/wait.js';

const I64_MAX = (1n << 63n) - 1n;

const NOTHING = new Uint8Array(0);

/**
 * `read()` for a call with `noWait` (a later piece of a big read on the
 * sentry platform): nothing instead of blocking. The call then ends with
 * what its earlier pieces read, as read(2) returns what is there.
 */
function readNow(read: () => Uint8Array): Uint8Array {
  try {
    return read();
  } catch (err) {
    if (err instanceof WouldBlock) return NOTHING;
    throw err;
  }
}

/** `fd_read`: read up to `max` bytes at the offset (`noWait`: see `readNow`). */
export function fd_read(task: Task, a: ReadArgs): Uint8Array {
  const f = task.fds.file(a.fd, Rights.FD_READ);
  return a.noWait !== true ? f.read(a.max) : readNow(() => f.read(a.max));
}

/**
 * `fd_pread`: read at `offset` without moving the offset (`noWait`: see
 * `readNow`; pipes and sockets fail with ESPIPE before it matters).
 */
export function fd_pread(task: Task, a: PreadArgs): Uint8Array {
  const f = task.fds.file(a.fd, Rights.FD_READ | Rights.FD_SEEK);
  if (a.offset > I64_MAX) throw E.INVAL;
  return a.noWait !== true ? f.pread(a.max, a.offset) : readNow(() => f.pread(a.max, a.offset));
}

/** `fd_write`: write at the offset (or the end with APPEND). */
export function fd_write(task: Task, a: WriteArgs): number {
  return task.fds.file(a.fd, Rights.FD_WRITE).write(a.data);
}

/** `fd_pwrite`: write at `offset` without moving the offset. */
export function fd_pwrite(task: Task, a: PwriteArgs): number {
  const f = task.fds.file(a.fd, Rights.FD_WRITE | Rights.FD_SEEK);
  if (a.offset > I64_MAX) throw E.INVAL;
  return f.pwrite(a.data, a.offset);
}

/** `fd_seek`: `seek(0, CUR)` needs only FD_TELL, as the witx says. */
export function fd_seek(task: Task, a: SeekArgs): bigint {
  if (a.whence !== Whence.SET && a.whence !== Whence.CUR && a.whence !== Whence.END) throw E.INVAL;
  const right = a.offset === 0n && a.whence === Whence.CUR ? Rights.FD_TELL : Rights.FD_SEEK;
  return task.fds.file(a.fd, right).seek(a.offset, a.whence);
}

/** `fd_tell`. */
export function fd_tell(task: Task, a: FdArgs): bigint {
  return task.fds.file(a.fd, Rights.FD_TELL).tell();
}

/** `fd_close`: drops this fd only; the description lives while other fds use it. */
export function fd_close(task: Task, a: FdArgs): void {
  task.fds.close(a.fd);
}

/** Highest fd `fd_renumber` may move onto while it is closed: the stdio numbers. */
const STDIO_MAX = 2;

/**
 * `fd_renumber`: dup2 onto an open fd (closed first, as wasi-libc's freopen
 * needs). Onto a closed fd it is EBADF, as wasmtime and wasi-testsuite
 * (rust/renumber) require, except onto a closed 0, 1 or 2: a program may
 * move stdio away and back (yosys: `fd_renumber(1, 7)`, later
 * `fd_renumber(6, 1)`), as the wasmtime preview1 adapter allows.
 */
export function fd_renumber(task: Task, a: { fd: number; to: number }): void {
  task.fds.get(a.fd);
  if (a.to > STDIO_MAX) task.fds.get(a.to);
  task.fds.renumber(a.fd, a.to);
}

/** `fd_sync`. */
export function fd_sync(task: Task, a: FdArgs): void {
  task.fds.file(a.fd, Rights.FD_SYNC).sync();
}

/** `fd_datasync`. */
export function fd_datasync(task: Task, a: FdArgs): void {
  task.fds.file(a.fd, Rights.FD_DATASYNC).sync();
}

function isStream(t: number): boolean {
  return t === FileType.UNKNOWN || t === FileType.SOCKET_STREAM || t === FileType.SOCKET_DGRAM;
}

/** `fd_advise`: validated, then ignored (advice only). ESPIPE on pipes and sockets. */
export function fd_advise(task: Task, a: RangeArgs): void {
  const f = task.fds.file(a.fd, Rights.FD_ADVISE);
  if ((a.advice ?? 0) > Advice.NOREUSE) throw E.INVAL;
  if (a.offset > I64_MAX || a.len > I64_MAX) throw E.INVAL;
  if (isStream(f.filetype)) throw E.SPIPE;
}

/** `fd_allocate`: make sure [offset, offset+len) is backed (grows the file). */
export function fd_allocate(task: Task, a: RangeArgs): void {
  const f = task.fds.file(a.fd, Rights.FD_ALLOCATE);
  if (a.len === 0n || a.offset > I64_MAX || a.len > I64_MAX) throw E.INVAL;
  if (a.offset + a.len > I64_MAX) throw E.FBIG;
  f.allocate(a.offset, a.len);
}
