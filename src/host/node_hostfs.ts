/**
 * The Node implementation of `HostFs` (bind mounts, `--rootfs`) over
 * node:fs sync calls. Node has no openat, so a (directory handle, name)
 * pair becomes the path `/proc/self/fd/DIR/NAME`: Linux resolves the
 * `/proc/self/fd/DIR` magic link to the open directory itself (it does not
 * re-walk that directory's host path), then looks up NAME in it, exactly as
 * the *at calls do; `*At` calls never follow NAME (lstat, O_NOFOLLOW,
 * lutimes, lchown, readlink). Without /proc (macOS) the handle's path is
 * used instead, which a host process racing renames can redirect: only
 * Linux is race-free. Host errors become kernel errors in one place
 * (`toSysError`).
 */
import * as fs from 'node:fs';
import { E, type SysError } from '../../kernel/errno.js';
import type { HostDirent, HostFs, HostStat } from '../../kernel/host.js';

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

function direntKind(e: fs.Dirent): HostDirent['kind'] {
  if (e.isFile()) return 'file';
  if (e.isDirectory()) return 'dir';
  if (e.isSymbolicLink()) return 'symlink';
  if (e.isCharacterDevice()) return 'chardev';
  if (e.isBlockDevice()) return 'blockdev';
  if (e.isFIFO()) return 'fifo';
  if (e.isSocket()) return 'socket';
  return 'unknown';
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
const sec = (ns: bigint) => Number(ns / NS_PER_S) + Number(ns % NS_PER_S) / 1e9;
/** Linux: name an entry of an open directory through procfs (see top). */
const PROC_FD = fs.existsSync('/proc/self/fd') ? '/proc/self/fd' : null;
const DIR_FLAGS = C.O_RDONLY | C.O_DIRECTORY | C.O_NOFOLLOW;

/** node:fs-backed HostFs. */
export class NodeHostFs implements HostFs {
  /** Fallback without /proc: the path each directory handle was opened at. */
  private readonly dirPaths = new Map<number, string>();
  private readonly streams = new Map<number, fs.Dir>();
  private nextStream = 1;

  /** Host path naming `name` in open directory `dir`. */
  private at(dir: number, name: string): string {
    if (PROC_FD !== null) return `${PROC_FD}/${dir}/${name}`;
    const p = this.dirPaths.get(dir);
    if (p === undefined) throw E.BADF;
    return `${p}/${name}`;
  }
  private dirPath(dir: number): string {
    return PROC_FD !== null ? `${PROC_FD}/${dir}` : (this.dirPaths.get(dir) ?? '/nonexistent');
  }

  lstat(path: string): HostStat {
    return run(() => toHostStat(fs.lstatSync(path, { bigint: true })));
  }
  openDir(path: string): number {
    const fd = run(() => fs.openSync(path, C.O_RDONLY | C.O_DIRECTORY));
    if (PROC_FD === null) this.dirPaths.set(fd, path);
    return fd;
  }
  open(path: string, flags: string, mode: number): number {
    return run(() => fs.openSync(path, openFlags(flags), mode));
  }
  statAt(dir: number, name: string): HostStat {
    return run(() => toHostStat(fs.lstatSync(this.at(dir, name), { bigint: true })));
  }
  openAt(dir: number, name: string, flags: string, mode: number): number {
    return run(() => fs.openSync(this.at(dir, name), openFlags(flags), mode));
  }
  openDirAt(dir: number, name: string): number {
    const p = this.at(dir, name);
    const fd = run(() => fs.openSync(p, DIR_FLAGS));
    if (PROC_FD === null) this.dirPaths.set(fd, p);
    return fd;
  }
  openDirStream(dir: number): number {
    const d = run(() => fs.opendirSync(this.dirPath(dir), { bufferSize: 128 }));
    const id = this.nextStream++;
    this.streams.set(id, d);
    return id;
  }
  readDirStream(stream: number, max: number): HostDirent[] {
    const d = this.streams.get(stream);
    if (d === undefined) throw E.BADF;
    const out: HostDirent[] = [];
    return run(() => {
      while (out.length < max) {
        const e = d.readSync();
        if (e === null) break;
        out.push({ name: e.name, kind: direntKind(e) });
      }
      return out;
    });
  }
  closeDirStream(stream: number): void {
    const d = this.streams.get(stream);
    if (d === undefined) return;
    this.streams.delete(stream);
    run(() => d.closeSync());
  }
  readlinkAt(dir: number, name: string): string {
    return run(() => fs.readlinkSync(this.at(dir, name)));
  }
  mkdirAt(dir: number, name: string, mode: number): void {
    run(() => fs.mkdirSync(this.at(dir, name), { mode }));
  }
  rmdirAt(dir: number, name: string): void {
    run(() => fs.rmdirSync(this.at(dir, name)));
  }
  unlinkAt(dir: number, name: string): void {
    run(() => fs.unlinkSync(this.at(dir, name)));
  }
  renameAt(from: number, fromName: string, to: number, toName: string): void {
    run(() => fs.renameSync(this.at(from, fromName), this.at(to, toName)));
  }
  /** link(2) does not follow a symlink source on Linux: the link is to the symlink itself. */
  linkAt(from: number, fromName: string, to: number, toName: string): void {
    run(() => fs.linkSync(this.at(from, fromName), this.at(to, toName)));
  }
  symlinkAt(target: string, dir: number, name: string): void {
    run(() => fs.symlinkSync(target, this.at(dir, name)));
  }
  /** lutimes; Node takes seconds as numbers, so precision below about a microsecond is lost. */
  utimesAt(dir: number, name: string, atimeNs: bigint | null, mtimeNs: bigint | null): void {
    const p = this.at(dir, name);
    run(() => {
      const cur = atimeNs === null || mtimeNs === null ? fs.lstatSync(p, { bigint: true }) : null;
      fs.lutimesSync(p, sec(atimeNs ?? cur!.atimeNs), sec(mtimeNs ?? cur!.mtimeNs));
    });
  }
  futimes(handle: number, atimeNs: bigint | null, mtimeNs: bigint | null): void {
    run(() => {
      const cur = atimeNs === null || mtimeNs === null ? fs.fstatSync(handle, { bigint: true }) : null;
      fs.futimesSync(handle, sec(atimeNs ?? cur!.atimeNs), sec(mtimeNs ?? cur!.mtimeNs));
    });
  }
  fchown(handle: number, uid: number, gid: number): void {
    run(() => fs.fchownSync(handle, uid, gid));
  }
  lchownAt(dir: number, name: string, uid: number, gid: number): void {
    run(() => fs.lchownSync(this.at(dir, name), uid, gid));
  }
  close(handle: number): void {
    this.dirPaths.delete(handle);
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
}
