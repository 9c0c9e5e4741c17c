/**
 * The Node implementation of `HostFs` (bind mounts) over node:fs sync calls.
 * Never follows a symlink in the last component: `lstat`, `readlink`, and
 * `open` with O_NOFOLLOW. Host errors become kernel errors in one place
 * (`toSysError`).
 */
import * as fs from 'node:fs';
import { E, type SysError } from '../../kernel/errno.js';
import type { HostFs, HostStat } from '../../kernel/host.js';

const C = fs.constants;

const CODES: Record<string, SysError> = {
  ENOENT: E.NOENT,
  EEXIST: E.EXIST,
  ENOTDIR: E.NOTDIR,
  EISDIR: E.ISDIR,
  EACCES: E.ACCES,
  EPERM: E.PERM,
  ENOTEMPTY: E.NOTEMPTY,
  EXDEV: E.XDEV,
  ELOOP: E.LOOP,
  EROFS: E.ROFS,
  ENOSPC: E.NOSPC,
  EDQUOT: E.DQUOT,
  EBADF: E.BADF,
  EINVAL: E.INVAL,
  ENAMETOOLONG: E.NAMETOOLONG,
  EBUSY: E.BUSY,
  EMFILE: E.MFILE,
  ENFILE: E.NFILE,
  EFBIG: E.FBIG,
  EMLINK: E.MLINK,
  ETXTBSY: E.TXTBSY,
  ENXIO: E.NXIO,
  EAGAIN: E.AGAIN,
  EIO: E.IO,
};

/** Map a Node fs error to the kernel error (EIO for anything unexpected). */
export function toSysError(err: unknown): SysError {
  const code = (err as NodeJS.ErrnoException | null)?.code;
  return (code !== undefined && CODES[code]) || E.IO;
}

function run<T>(fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    throw toSysError(e);
  }
}

function kindOf(s: fs.BigIntStats): HostStat['kind'] {
  if (s.isFile()) return 'file';
  if (s.isDirectory()) return 'dir';
  if (s.isSymbolicLink()) return 'symlink';
  if (s.isCharacterDevice()) return 'chardev';
  if (s.isBlockDevice()) return 'blockdev';
  if (s.isFIFO()) return 'fifo';
  return 'socket';
}

function toHostStat(s: fs.BigIntStats): HostStat {
  return {
    dev: s.dev,
    ino: s.ino,
    kind: kindOf(s),
    mode: Number(s.mode & 0o7777n),
    nlink: s.nlink,
    size: s.size,
    uid: Number(s.uid),
    gid: Number(s.gid),
    atimeNs: s.atimeNs,
    mtimeNs: s.mtimeNs,
    ctimeNs: s.ctimeNs,
  };
}

/** Numeric open flags for the HostFs flag strings, always with O_NOFOLLOW. */
function openFlags(flags: string): number {
  let f: number;
  const plus = flags.includes('+');
  if (flags.startsWith('r')) f = plus ? C.O_RDWR : C.O_RDONLY;
  else if (flags.startsWith('w')) f = (plus ? C.O_RDWR : C.O_WRONLY) | C.O_CREAT | C.O_TRUNC;
  else if (flags.startsWith('a')) f = (plus ? C.O_RDWR : C.O_WRONLY) | C.O_CREAT | C.O_APPEND;
  else throw E.INVAL;
  if (flags.includes('x')) f |= C.O_EXCL;
  return f | C.O_NOFOLLOW;
}

const NS_PER_S = 1_000_000_000n;

/** node:fs-backed HostFs. */
export class NodeHostFs implements HostFs {
  lstat(path: string): HostStat {
    return run(() => toHostStat(fs.lstatSync(path, { bigint: true })));
  }
  readdir(path: string): string[] {
    return run(() => fs.readdirSync(path));
  }
  readlink(path: string): string {
    return run(() => fs.readlinkSync(path));
  }
  open(path: string, flags: string, mode: number): number {
    return run(() => fs.openSync(path, openFlags(flags), mode));
  }
  close(handle: number): void {
    run(() => fs.closeSync(handle));
  }
  pread(handle: number, buf: Uint8Array, pos: number): number {
    return run(() => fs.readSync(handle, buf, 0, buf.length, pos));
  }
  pwrite(handle: number, buf: Uint8Array, pos: number): number {
    return run(() => fs.writeSync(handle, buf, 0, buf.length, pos));
  }
  fstat(handle: number): HostStat {
    return run(() => toHostStat(fs.fstatSync(handle, { bigint: true })));
  }
  ftruncate(handle: number, size: number): void {
    run(() => fs.ftruncateSync(handle, size));
  }
  fsync(handle: number): void {
    run(() => fs.fsyncSync(handle));
  }
  mkdir(path: string, mode: number): void {
    run(() => fs.mkdirSync(path, { mode }));
  }
  rmdir(path: string): void {
    run(() => fs.rmdirSync(path));
  }
  unlink(path: string): void {
    run(() => fs.unlinkSync(path));
  }
  rename(from: string, to: string): void {
    run(() => fs.renameSync(from, to));
  }
  link(from: string, to: string): void {
    run(() => fs.linkSync(from, to));
  }
  symlink(target: string, path: string): void {
    run(() => fs.symlinkSync(target, path));
  }
  /**
   * Set times without following a final symlink (lutimes). Node takes
   * seconds as numbers, so precision below about a microsecond is lost.
   */
  utimes(path: string, atimeNs: bigint | null, mtimeNs: bigint | null): void {
    run(() => {
      const cur = fs.lstatSync(path, { bigint: true });
      const a = atimeNs ?? cur.atimeNs;
      const m = mtimeNs ?? cur.mtimeNs;
      const sec = (ns: bigint) => Number(ns / NS_PER_S) + Number(ns % NS_PER_S) / 1e9;
      fs.lutimesSync(path, sec(a), sec(m));
    });
  }
  chmod(path: string, mode: number): void {
    run(() => fs.chmodSync(path, mode));
  }
}
