/**
 * Permission checks: mode bits against the caller's uid/gid, as POSIX.
 * uid 0 passes every read/write/search check; executing a regular file
 * still needs one x bit.
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

/** True if `cred` may access `ino` with every bit of `want` (MAY_*). */
export function permits(cred: Credentials, ino: Inode, want: number): boolean {
  const mode = ino.mode;
  if (cred.uid === 0) {
    if ((want & MAY_EXEC) !== 0 && ino.type !== FileType.DIRECTORY) return (mode & 0o111) !== 0;
    return true;
  }
  let bits: number;
  if (cred.uid === ino.uid) bits = mode >> 6;
  else if (cred.gid === ino.gid || (cred.groups !== undefined && cred.groups.includes(ino.gid))) bits = mode >> 3;
  else bits = mode;
  return (bits & want) === want;
}

/** Throw EACCES unless `cred` may access `ino` with `want`. */
export function checkPerm(cred: Credentials, ino: Inode, want: number): void {
  if (!permits(cred, ino, want)) throw E.ACCES;
}

/** True if `cred` owns `ino` or is root (may change its times, mode...). */
export function isOwner(cred: Credentials, ino: Inode): boolean {
  return cred.uid === 0 || cred.uid === ino.uid;
}

/**
 * Sticky directories (`/tmp`): only the owner of the entry, of the
 * directory, or root may remove or rename an entry.
 */
export function checkSticky(cred: Credentials, dir: Inode, child: Inode): void {
  if ((dir.mode & 0o1000) === 0 || cred.uid === 0) return;
  if (cred.uid === child.uid || cred.uid === dir.uid) return;
  throw E.PERM;
}
