/**
 * Opening a magic link (`/dev/fd/N`, `/dev/stdout`, `/proc/<pid>/fd/N`).
 * As Linux: a regular file or directory is opened afresh (a new description
 * with its own offset and flags, permission-checked); anything else (pipes,
 * consoles, sockets) gets a description that forwards to the original,
 * which stays owned by the fd that holds it (`release` here does nothing).
 */
import { E } from '../errno.js';
import { DefaultFile } from './default_file.js';
import { DirDescription, RegularDescription } from './file_description.js';
import type { TimeSpec } from './inode.js';
import { MAY_READ, MAY_WRITE, checkPerm } from './perm.js';
import { type Credentials, type DirEntry, type DirHandle, type Filestat, FileType, type FileTypeValue, type OpenFile, type OpenMode, OFlags, type OpenOptions } from './types.js';

/** A second handle on a description owned elsewhere. */
export class ForwardingFile extends DefaultFile {
  constructor(private readonly f: OpenFile, readonly mode: OpenMode) {
    super();
  }
  get filetype(): FileTypeValue {
    return this.f.filetype;
  }
  get fdflags(): number {
    return this.f.fdflags;
  }
  set fdflags(v: number) {
    this.f.fdflags = v;
  }
  override get dir(): DirHandle | undefined {
    return this.f.dir;
  }
  override read(max: number): Uint8Array {
    return this.f.read(max);
  }
  override pread(max: number, offset: bigint): Uint8Array {
    return this.f.pread(max, offset);
  }
  override write(data: Uint8Array): number {
    return this.f.write(data);
  }
  override pwrite(data: Uint8Array, offset: bigint): number {
    return this.f.pwrite(data, offset);
  }
  override seek(delta: bigint, whence: number): bigint {
    return this.f.seek(delta, whence);
  }
  override tell(): bigint {
    return this.f.tell();
  }
  stat(): Filestat {
    return this.f.stat();
  }
  override truncate(size: bigint): void {
    this.f.truncate(size);
  }
  override setTimes(atim: TimeSpec, mtim: TimeSpec): void {
    this.f.setTimes(atim, mtim);
  }
  override sync(): void {
    this.f.sync();
  }
  override readdir(cookie: bigint, max?: number): DirEntry[] {
    return this.f.readdir(cookie, max);
  }
  override allocate(offset: bigint, len: bigint): void {
    this.f.allocate(offset, len);
  }
  override readable(): boolean {
    return this.f.readable();
  }
  override writable(): boolean {
    return this.f.writable();
  }
  override release(): void {}
  describe(): string {
    return this.f.describe();
  }
}

/** Open what magic link target `f` stands for, as `opts` asks. */
export function reopen(cred: Credentials, f: OpenFile, opts: OpenOptions): OpenFile {
  if ((opts.oflags & OFlags.DIRECTORY) !== 0 && f.filetype !== FileType.DIRECTORY) throw E.NOTDIR;
  if ((opts.oflags & OFlags.EXCL) !== 0 && (opts.oflags & OFlags.CREAT) !== 0) throw E.EXIST;
  const mode = opts.mode;
  if (f instanceof RegularDescription || f instanceof DirDescription) {
    const loc = f.loc;
    const ino = loc.inode;
    const isDir = f instanceof DirDescription;
    const trunc = (opts.oflags & OFlags.TRUNC) !== 0;
    if (isDir && (mode.write || trunc)) throw E.ISDIR;
    checkPerm(cred, ino, (mode.read ? MAY_READ : 0) | (mode.write || trunc ? MAY_WRITE : 0));
    if ((mode.write || trunc) && loc.mnt.isReadonly) throw E.ROFS;
    const req = { mode, fdflags: opts.fdflags, cred, loc };
    if (isDir) return new DirDescription(req);
    const nf = ino.open(req);
    if (trunc) ino.truncate(0);
    return nf;
  }
  if ((mode.write && !f.mode.write) || (mode.read && !f.mode.read)) throw E.ACCES;
  return new ForwardingFile(f, mode);
}
