/**
 * Open file descriptions for regular files and directories, shared by every
 * filesystem whose inodes implement the data methods (`readAt`, `writeAt`,
 * `truncate`) or the directory methods (`readdir`). A description owns the
 * offset and the status flags; fds that were dup'ed share it.
 */
import { E } from '../errno.js';
import { DefaultFile } from './default_file.js';
import type { OpenRequest, TimeSpec } from './inode.js';
import { type Loc, parentLoc } from './mount.js';
import { isOwner, MAY_WRITE, permits } from './perm.js';
import {
  type Credentials,
  type DirEntry,
  type DirHandle,
  type Filestat,
  FdFlags,
  FileType,
  type FileTypeValue,
  type OpenFile,
  type OpenMode,
  Whence,
} from './types.js';

const MAX_OFFSET = Number.MAX_SAFE_INTEGER;
const EMPTY = new Uint8Array(0);

/** Convert a u64 offset or size to a number, throwing `err` past 2^53. */
export function toSafe(v: bigint, err = E.FBIG): number {
  if (v < 0n) throw E.INVAL;
  if (v > BigInt(MAX_OFFSET)) throw err;
  return Number(v);
}

/**
 * Apply `futimens`/`utimensat` permission rules, then set the times: explicit
 * times need the owner (or root) → EPERM; 'now' also allows write access →
 * EACCES; a read-only mount → EROFS.
 */
export function applyTimes(cred: Credentials, loc: Loc, atim: TimeSpec, mtim: TimeSpec): void {
  const ino = loc.inode;
  if (loc.mnt.isReadonly) throw E.ROFS;
  if (atim === null && mtim === null) return;
  if (!isOwner(cred, ino)) {
    if ((atim !== null && atim !== 'now') || (mtim !== null && mtim !== 'now')) throw E.PERM;
    if (!permits(cred, ino, MAY_WRITE)) throw E.ACCES;
  }
  ino.setTimes(atim, mtim);
}

/** Behaviour shared by both kinds of description (the rest comes from DefaultFile). */
abstract class Description extends DefaultFile {
  fdflags: number;
  readonly mode: OpenMode;
  protected released = false;

  readonly loc: Loc;

  constructor(protected readonly req: OpenRequest) {
    super();
    this.loc = req.loc;
    this.fdflags = req.fdflags;
    this.mode = req.mode;
    this.loc.inode.opened?.();
  }

  stat(): Filestat {
    return this.loc.inode.stat();
  }
  override setTimes(atim: TimeSpec, mtim: TimeSpec): void {
    applyTimes(this.req.cred, this.loc, atim, mtim);
  }
  override sync(): void {
    this.loc.inode.sync?.();
  }
  override readable(): boolean {
    return true;
  }
  override writable(): boolean {
    return true;
  }
  override release(): void {
    if (this.released) return;
    this.released = true;
    this.loc.inode.closed?.();
  }
  describe(): string {
    return this.req.loc.path;
  }
}

/** An open regular file: offset, APPEND, pread/pwrite, seek, truncate, allocate. */
export class RegularDescription extends Description {
  readonly filetype = FileType.REGULAR_FILE;
  private off = 0;

  override read(max: number): Uint8Array {
    if (!this.mode.read) throw E.BADF;
    const data = max > 0 ? this.loc.inode.readAt(this.off, max) : EMPTY;
    this.off += data.length;
    return data;
  }
  readInto(dst: Uint8Array, dstOff: number, len: number): number {
    if (!this.mode.read) throw E.BADF;
    if (len <= 0) return 0;
    // readAt returns a view of the file's storage when it can (tmpfs): then this is the only copy.
    // Never past dst[dstOff + len), even if a filesystem returned more than asked.
    let data = this.loc.inode.readAt(this.off, len);
    if (data.length > len) data = data.subarray(0, len);
    dst.set(data, dstOff);
    this.off += data.length;
    return data.length;
  }
  override pread(max: number, offset: bigint): Uint8Array {
    if (!this.mode.read) throw E.BADF;
    if (offset < 0n) throw E.INVAL;
    if (offset > BigInt(MAX_OFFSET) || max <= 0) return EMPTY;
    return this.loc.inode.readAt(Number(offset), max);
  }
  override write(data: Uint8Array): number {
    if (!this.mode.write) throw E.BADF;
    const ino = this.loc.inode;
    const pos = (this.fdflags & FdFlags.APPEND) !== 0 ? ino.size() : this.off;
    if (pos + data.length > MAX_OFFSET) throw E.FBIG;
    const n = ino.writeAt(pos, data);
    this.off = pos + n;
    return n;
  }
  override pwrite(data: Uint8Array, offset: bigint): number {
    if (!this.mode.write) throw E.BADF;
    const ino = this.loc.inode;
    // WASI (wasi-testsuite pwrite-with-append): the offset counts even with
    // APPEND, unlike Linux's pwrite on O_APPEND.
    const pos = toSafe(offset);
    if (pos + data.length > MAX_OFFSET) throw E.FBIG;
    return ino.writeAt(pos, data);
  }
  override seek(delta: bigint, whence: number): bigint {
    let base: number;
    if (whence === Whence.SET) base = 0;
    else if (whence === Whence.CUR) base = this.off;
    else if (whence === Whence.END) base = this.loc.inode.size();
    else throw E.INVAL;
    const n = BigInt(base) + delta;
    if (n < 0n) throw E.INVAL;
    this.off = toSafe(n, E.OVERFLOW);
    return n;
  }
  override tell(): bigint {
    return BigInt(this.off);
  }
  override truncate(size: bigint): void {
    if (!this.mode.write) throw E.INVAL;
    this.loc.inode.truncate(toSafe(size));
  }
  override readdir(_cookie: bigint, _max?: number): DirEntry[] {
    throw E.NOTDIR;
  }
  override allocate(offset: bigint, len: bigint): void {
    if (offset < 0n || len <= 0n) throw E.INVAL;
    if (!this.mode.write) throw E.BADF;
    const end = toSafe(offset + len);
    if (end > this.loc.inode.size()) this.loc.inode.truncate(end);
  }
}

/** An open directory: readdir with `.` and `..`, and the DirHandle for path calls. */
export class DirDescription extends Description {
  readonly filetype = FileType.DIRECTORY;

  /** The location, usable as `dirfd` in path_* calls. */
  override get dir(): DirHandle {
    return this.loc;
  }
  override read(_max: number): Uint8Array {
    throw E.ISDIR;
  }
  override pread(_max: number, _offset: bigint): Uint8Array {
    throw E.ISDIR;
  }
  // A directory is never open for writing: EBADF, as Linux (reads are EISDIR).
  override write(_data: Uint8Array): number {
    throw E.BADF;
  }
  override pwrite(_data: Uint8Array, _offset: bigint): number {
    throw E.BADF;
  }
  override seek(_delta: bigint, _whence: number): bigint {
    throw E.BADF;
  }
  override tell(): bigint {
    throw E.BADF;
  }
  override truncate(_size: bigint): void {
    throw E.ISDIR;
  }
  override allocate(_offset: bigint, _len: bigint): void {
    throw E.ISDIR;
  }
  override readdir(cookie: bigint, max = Number.MAX_SAFE_INTEGER): DirEntry[] {
    const out: DirEntry[] = [];
    const { mnt, inode } = this.loc;
    if (max <= 0) return out;
    if (cookie === 0n) out.push({ next: 1n, ino: inode.ino, name: '.', filetype: FileType.DIRECTORY });
    if (cookie <= 1n && out.length < max) {
      const up = parentLoc(mnt, inode).inode;
      out.push({ next: 2n, ino: up.ino, name: '..', filetype: FileType.DIRECTORY });
    }
    if (out.length >= max) return out;
    const after = cookie < 2n ? 2 : cookie > BigInt(MAX_OFFSET) ? MAX_OFFSET : Number(cookie);
    for (const e of inode.readdir(after, max - out.length, this.req.cred)) {
      out.push({ next: BigInt(e.seq), ino: e.ino, name: e.name, filetype: e.type });
    }
    return out;
  }
}

/** An open file shared by every fd (of any task) that refers to it. */
export class FileDescription {
  private refs = 0;
  constructor(readonly file: OpenFile) {}
  /** Take a reference. */
  ref(): this {
    this.refs++;
    return this;
  }
  /** Drop a reference; the last one releases the file. */
  unref(): void {
    if (--this.refs === 0) this.file.release();
  }
  /** Current reference count (for invariants). */
  get count(): number {
    return this.refs;
  }
}
