/**
 * Handlers of the path_* calls. Each looks up its directory fd with the
 * right the call needs, then asks the VFS (`task.pathOps`) with the task's
 * credentials; the VFS does the walk, symlinks, `..` confinement and
 * permission checks.
 */
import type { LinkArgs, OpenArgs, PathArgs, PathStatArgs, PathTimesArgs, ReadlinkArgs, RenameArgs, SymlinkArgs } from '../abi/calls_path.js';
import { RIGHTS_ALL, RIGHTS_DIR_BASE, RIGHTS_FILE_BASE, Rights } from '../abi/wasi.js';
import { E } from '../errno.js';
import type { Task } from '../task/task.js';
import { type Filestat, FileType, LookupFlags, OFlags } from '../vfs/types.js';
import { dirOf, timesFromFlags } from './util.js';

const follow = (flags: number) => (flags & LookupFlags.SYMLINK_FOLLOW) !== 0;
const ALL_OFLAGS = OFlags.CREAT | OFlags.DIRECTORY | OFlags.EXCL | OFlags.TRUNC;
const ALL_FDFLAGS = 0x1f;

/**
 * `path_open`. The new fd's rights are the requested ones intersected with
 * the directory fd's inheriting rights (unknown bits dropped), then with
 * what the opened kind of file can use (a directory never holds FD_READ,
 * FD_WRITE, FD_SEEK or FD_FILESTAT_SET_SIZE). The access mode follows from
 * them: read with FD_READ or FD_READDIR, write with FD_WRITE (so a directory
 * asked for FD_WRITE is EISDIR, as open(2) with O_RDWR). TRUNC without
 * PATH_FILESTAT_SET_SIZE is EPERM (the wasi-testsuite's expectation);
 * CREAT without PATH_CREATE_FILE is ENOTCAPABLE.
 */
export function path_open(task: Task, a: OpenArgs): number {
  if (a.oflags & ~ALL_OFLAGS || a.fdflags & ~ALL_FDFLAGS) throw E.INVAL;
  let need = Rights.PATH_OPEN;
  if (a.oflags & OFlags.CREAT) need |= Rights.PATH_CREATE_FILE;
  const dir = dirOf(task, a.fd, need);
  const e = task.fds.get(a.fd);
  if ((a.oflags & OFlags.TRUNC) !== 0 && (e.rightsBase & Rights.PATH_FILESTAT_SET_SIZE) === 0) throw E.PERM;
  const all = BigInt(RIGHTS_ALL);
  let base = Number(a.rightsBase & all) & e.rightsInheriting;
  const inheriting = Number(a.rightsInheriting & all) & e.rightsInheriting;
  const mode = {
    read: (base & (Rights.FD_READ | Rights.FD_READDIR)) !== 0,
    write: (base & Rights.FD_WRITE) !== 0,
  };
  const file = task.pathOps.open(task.credentials(), dir, a.path, {
    oflags: a.oflags, fdflags: a.fdflags, followSymlinks: follow(a.dirflags), mode,
  });
  base &= file.filetype === FileType.DIRECTORY ? RIGHTS_DIR_BASE : RIGHTS_FILE_BASE;
  try {
    return task.fds.insert(file, base, inheriting);
  } catch (err) {
    file.release();
    throw err;
  }
}

/** `path_create_directory` (mode 0755). */
export function path_create_directory(task: Task, a: PathArgs): void {
  task.pathOps.mkdir(task.credentials(), dirOf(task, a.fd, Rights.PATH_CREATE_DIRECTORY), a.path, 0o755);
}

/** `path_filestat_get`. */
export function path_filestat_get(task: Task, a: PathStatArgs): Filestat {
  return task.pathOps.stat(task.credentials(), dirOf(task, a.fd, Rights.PATH_FILESTAT_GET), a.path, follow(a.flags));
}

/** `path_filestat_set_times`. */
export function path_filestat_set_times(task: Task, a: PathTimesArgs): void {
  const dir = dirOf(task, a.fd, Rights.PATH_FILESTAT_SET_TIMES);
  const [at, mt] = timesFromFlags(a.atim, a.mtim, a.fstflags);
  task.pathOps.setTimes(task.credentials(), dir, a.path, follow(a.flags), at, mt);
}

/** `path_link`: hard link. */
export function path_link(task: Task, a: LinkArgs): void {
  const from = dirOf(task, a.oldFd, Rights.PATH_LINK_SOURCE);
  const to = dirOf(task, a.newFd, Rights.PATH_LINK_TARGET);
  task.pathOps.link(task.credentials(), from, a.oldPath, follow(a.oldFlags), to, a.newPath);
}

/** `path_readlink`: the target (the ABI cuts it to the buffer, as readlink(2) does). */
export function path_readlink(task: Task, a: ReadlinkArgs): string {
  return task.pathOps.readlink(task.credentials(), dirOf(task, a.fd, Rights.PATH_READLINK), a.path);
}

/** `path_remove_directory`. */
export function path_remove_directory(task: Task, a: PathArgs): void {
  task.pathOps.rmdir(task.credentials(), dirOf(task, a.fd, Rights.PATH_REMOVE_DIRECTORY), a.path);
}

/** `path_rename`. */
export function path_rename(task: Task, a: RenameArgs): void {
  const from = dirOf(task, a.fd, Rights.PATH_RENAME_SOURCE);
  const to = dirOf(task, a.newFd, Rights.PATH_RENAME_TARGET);
  task.pathOps.rename(task.credentials(), from, a.oldPath, to, a.newPath);
}

/** `path_symlink`. */
export function path_symlink(task: Task, a: SymlinkArgs): void {
  task.pathOps.symlink(task.credentials(), a.target, dirOf(task, a.fd, Rights.PATH_SYMLINK), a.path);
}

/** `path_unlink_file`. */
export function path_unlink_file(task: Task, a: PathArgs): void {
  task.pathOps.unlink(task.credentials(), dirOf(task, a.fd, Rights.PATH_UNLINK_FILE), a.path);
}
