/** Helpers shared by handlers: directory fds and time flags. */
import { E } from '../errno.js';
import type { Task } from '../task/task.js';
import type { DirHandle } from '../vfs/types.js';
import { FstFlags } from '../vfs/types.js';

/**
 * The DirHandle of directory fd `fd`, which must hold `right`: EBADF, then
 * ENOTDIR for a non-directory (whatever its rights, as the wasi-testsuite
 * expects), then ENOTCAPABLE.
 */
export function dirOf(task: Task, fd: number, right: number): DirHandle {
  const dir = task.fds.get(fd).desc.file.dir;
  if (dir === undefined) throw E.NOTDIR;
  task.fds.get(fd, right);
  return dir;
}

/** Decode fst_flags into setTimes arguments; EINVAL on both X and X_NOW, or unknown bits. */
export function timesFromFlags(atim: bigint, mtim: bigint, fst: number): [bigint | 'now' | null, bigint | 'now' | null] {
  if (fst & ~0xf) throw E.INVAL;
  if ((fst & FstFlags.ATIM) && (fst & FstFlags.ATIM_NOW)) throw E.INVAL;
  if ((fst & FstFlags.MTIM) && (fst & FstFlags.MTIM_NOW)) throw E.INVAL;
  const a = fst & FstFlags.ATIM_NOW ? 'now' : fst & FstFlags.ATIM ? atim : null;
  const m = fst & FstFlags.MTIM_NOW ? 'now' : fst & FstFlags.MTIM ? mtim : null;
  return [a, m];
}
