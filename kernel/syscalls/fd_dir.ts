/** Handlers: fd_readdir, fd_prestat_get, fd_prestat_dir_name. */
import type { FdArgs, PrestatNameArgs, ReaddirArgs } from '../abi/calls_fd.js';
import { Layout, Rights } from '../abi/wasi.js';
import { E } from '../errno.js';
import type { Task } from '../task/task.js';
import { type DirEntry, FileType } from '../vfs/types.js';
import { utf8Length } from '../vfs/walk.js';

/**
 * `fd_readdir` from `cookie`: the entries that start inside `bufLen` bytes
 * (each a 24-byte header and its name), the last one possibly cut by the
 * ABI, so that a full buffer is seen as "more to come" by the guest. The
 * answer is at most `bufLen` plus one entry (on the sentry platform it
 * crosses the channel whole; a big buffer comes in pieces, sentry_fast.ts).
 */
export function fd_readdir(task: Task, a: ReaddirArgs): DirEntry[] {
  const f = task.fds.file(a.fd);
  if (f.filetype !== FileType.DIRECTORY) throw E.NOTDIR;
  task.fds.get(a.fd, Rights.FD_READDIR);
  const entries = f.readdir(a.cookie, Math.floor(a.bufLen / Layout.DIRENT_SIZE) + 1);
  let used = 0;
  let i = 0;
  while (i < entries.length && used < a.bufLen) used += Layout.DIRENT_SIZE + utf8Length(entries[i++]!.name);
  if (i < entries.length) entries.length = i;
  return entries;
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
