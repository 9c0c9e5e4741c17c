/**
 * Permission checks: mode bits against the caller's uid/gid, as POSIX.
 * uid 0 passes every read/write/search check; executing a regular file
 * still needs one x bit. As in a Linux user namespace, root's overrides
 * (CAP_DAC_OVERRIDE, CAP_FOWNER) only cover inodes whose owner and group
 * are mapped (`Inode.idsMapped`): on any other inode root is checked by the
 * mode bits like anyone (except the runtime's own setup, `Credentials.hostRoot`).
 */
import { E } from '../errno.js';
import type { Inode } from './inode.js';
import { type Credentials, FileType } from './types.js';

/** Access bits. */
export const MAY_READ = 4;
/** Write access. */
export const MAY_WRITE = 2;
/** Search (directory) or execute access. */
export const MAY_EXEC = 1;

/** True if `cred` is root with power over `ino` (its ids are mapped). */
export function privileged(cred: Credentials, ino: Inode): boolean {
  return cred.uid === 0 && (ino.idsMapped !== false || cred.hostRoot === true);
}

/** True if `cred` may access `ino` with every bit of `want` (MAY_*). */
export function permits(cred: Credentials, ino: Inode, want: number): boolean {
  const mode = ino.mode;
  if (privileged(cred, ino)) {
    if ((want & MAY_EXEC) !== 0 && ino.type !== FileType.DIRECTORY) return (mode & 0o111) !== 0;
    return true;
  }
  // An unmapped owner (shown as 65534) is nobody in the container, not its uid 65534.
  const mapped = ino.idsMapped !== false;
  let bits: number;
  if (mapped && cred.uid === ino.uid) bits = mode >> 6;
  else if (mapped && (cred.gid === ino.gid || (cred.groups !== undefined && cred.groups.includes(ino.gid)))) bits = mode >> 3;
  else bits = mode;
  return (bits & want) === want;
}

/** Throw EACCES unless `cred` may access `ino` with `want`. */
export function checkPerm(cred: Credentials, ino: Inode, want: number): void {
  if (!permits(cred, ino, want)) throw E.ACCES;
}

/** True if `cred` owns `ino` or is root (may change its times, mode...). */
export function isOwner(cred: Credentials, ino: Inode): boolean {
  return privileged(cred, ino) || (cred.uid === ino.uid && ino.idsMapped !== false);
}

/**
 * Sticky directories (`/tmp`): only the owner of the entry, of the
 * directory, or root may remove or rename an entry.
 */
export function checkSticky(cred: Credentials, dir: Inode, child: Inode): void {
  if ((dir.mode & 0o1000) === 0 || privileged(cred, child)) return;
  if ((cred.uid === child.uid && child.idsMapped !== false) || (cred.uid === dir.uid && dir.idsMapped !== false)) return;
  throw E.PERM;
}
