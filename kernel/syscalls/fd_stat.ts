/** Handlers: fd_fdstat_get, fd_fdstat_set_flags, fd_fdstat_set_rights, fd_filestat_get, fd_filestat_set_size, fd_filestat_set_times. */
import type { FdArgs, Fdstat, SetRightsArgs, TimesArgs } from '../abi/calls_fd.js';
import { RIGHTS_ALL, Rights } from '../abi/wasi.js';
import { E } from '../errno.js';
import type { Task } from '../task/task.js';
import { FdFlags, type Filestat } from '../vfs/types.js';
import { timesFromFlags } from './util.js';

/** Flags that `fd_fdstat_set_flags` may change (as Linux F_SETFL: append and nonblock). */
const SETTABLE = FdFlags.APPEND | FdFlags.NONBLOCK;
const ALL_FDFLAGS = 0x1f;

/** `fd_fdstat_get`: file type, status flags and the fd's rights. */
export function fd_fdstat_get(task: Task, a: FdArgs): Fdstat {
  const e = task.fds.get(a.fd);
  const f = e.desc.file;
  return { filetype: f.filetype, flags: f.fdflags, rightsBase: e.rightsBase, rightsInheriting: e.rightsInheriting };
}

/** `fd_fdstat_set_flags`: APPEND and NONBLOCK change; asking to change a SYNC flag is ENOTSUP. */
export function fd_fdstat_set_flags(task: Task, a: { fd: number; flags: number }): void {
  const f = task.fds.file(a.fd, Rights.FD_FDSTAT_SET_FLAGS);
  if (a.flags & ~ALL_FDFLAGS) throw E.INVAL;
  if ((a.flags & ~SETTABLE) !== (f.fdflags & ~SETTABLE)) throw E.NOTSUP;
  f.fdflags = (f.fdflags & ~SETTABLE) | (a.flags & SETTABLE);
}

/** `fd_fdstat_set_rights`: rights can only be dropped (ENOTCAPABLE when asking for more). */
export function fd_fdstat_set_rights(task: Task, a: SetRightsArgs): void {
  const e = task.fds.get(a.fd);
  const all = BigInt(RIGHTS_ALL);
  if ((a.rightsBase & ~all) !== 0n || (a.rightsInheriting & ~all) !== 0n) throw E.NOTCAPABLE;
  const base = Number(a.rightsBase);
  const inh = Number(a.rightsInheriting);
  if ((base & ~e.rightsBase) !== 0 || (inh & ~e.rightsInheriting) !== 0) throw E.NOTCAPABLE;
  e.rightsBase = base;
  e.rightsInheriting = inh;
}

/** `fd_filestat_get`. */
export function fd_filestat_get(task: Task, a: FdArgs): Filestat {
  return task.fds.file(a.fd, Rights.FD_FILESTAT_GET).stat();
}

/** `fd_filestat_set_size`: truncate or extend. */
export function fd_filestat_set_size(task: Task, a: { fd: number; size: bigint }): void {
  const f = task.fds.file(a.fd, Rights.FD_FILESTAT_SET_SIZE);
  if (a.size > (1n << 63n) - 1n) throw E.FBIG;
  f.truncate(a.size);
}

/** `fd_filestat_set_times`. */
export function fd_filestat_set_times(task: Task, a: TimesArgs): void {
  const f = task.fds.file(a.fd, Rights.FD_FILESTAT_SET_TIMES);
  const [at, mt] = timesFromFlags(a.atim, a.mtim, a.fstflags);
  f.setTimes(at, mt);
}
