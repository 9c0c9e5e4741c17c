/** Handlers: fd_readdir, fd_prestat_get, fd_prestat_dir_name. */
import type { FdArgs, PrestatNameArgs, ReaddirArgs } from '../abi/calls_fd.js';
import { Layout, Rights } from '../abi/wasi.js';
import { E } from '../errno.js';
import type { Task } from '../task/task.js';
import { type DirEntry, FileType } from '../vfs/types.js';

/**
 * `fd_readdir` from `cookie`: entries that fit in `bufLen` (each takes at
 * least a 24-byte header), plus one more so that a full buffer is seen as
 * "more to come" by the guest.
 */
export function fd_readdir(task: Task, a: ReaddirArgs): DirEntry[] {
  const f = task.fds.file(a.fd);
  if (f.filetype !== FileType.DIRECTORY) throw E.NOTDIR;
  task.fds.get(a.fd, Rights.FD_READDIR);
  const max = Math.floor(a.bufLen / Layout.DIRENT_SIZE) + 1;
  return f.readdir(a.cookie, max);
}

/** `fd_prestat_get`: the preopen's container path (its byte length goes to the guest). EBADF for non-preopens. */
export function fd_prestat_get(task: Task, a: FdArgs): string {
  const e = task.fds.get(a.fd);
  if (e.preopen === undefined) throw E.BADF;
  return e.preopen;
}

/** `fd_prestat_dir_name`: the name, ENAMETOOLONG if `len` is too small. */
export function fd_prestat_dir_name(task: Task, a: PrestatNameArgs): string {
  const e = task.fds.get(a.fd);
  if (e.preopen === undefined) throw E.BADF;
  if (new TextEncoder().encode(e.preopen).byteLength > a.len) throw E.NAMETOOLONG;
  return e.preopen;
}
