/**
 * tmpfs: an in-memory filesystem. Directories hold their entries in a
 * `DirEntries` map (stable readdir cookies); regular files hold their bytes
 * in `ChunkedData`; all file memory is charged to the filesystem's
 * `SpaceAccount` (`bytesUsed`, optional limit → ENOSPC) so a memory cgroup
 * can charge it. Also the overlay's upper layer: it can hold whiteouts
 * (character devices 0/0, as Linux overlayfs) and opaque directories.
 *
 * Invariants: a directory's nlink is 2 + its subdirectories; a removed
 * directory has nlink 0 and refuses new entries (NOENT); a file's data is
 * freed when its nlink and open count both reach 0.
 */
import { E } from '../errno.js';
import { DirEntries } from '../vfs/dir_entries.js';
import { BaseInode, type Inode, type InodeDirEntry, type OpenRequest, type TimeSpec } from '../vfs/inode.js';
import { RegularDescription } from '../vfs/file_description.js';
import { type Clock, type FileSystem, SuperBlock } from '../vfs/superblock.js';
import { type Credentials, type Filestat, FileType, type OpenFile } from '../vfs/types.js';
import { utf8Length } from '../vfs/walk.js';
import { ChunkedData, SpaceAccount } from './tmpfs_data.js';
import type { IoAccount } from '../cgroup/io.js';
import { WouldBlock } from '../vfs/wait.js';

/** Options of a tmpfs instance. */
export interface TmpFsOptions {
  /** Byte limit for file data (ENOSPC past it). */
  limit?: number;
  /** Account to charge as well (e.g. the container's memory cgroup), see SpaceAccount. */
  parentAccount?: SpaceAccount;
  /** Root directory mode (default 0o755), owner and group (default 0). */
  mode?: number;
  uid?: number;
  gid?: number;
  /** Source shown in /proc/mounts. */
  source?: string;
  /** Filesystem type shown in /proc/mounts. */
  fsType?: string;
}

/** Bytes charged for an inode's metadata (so millions of empty files still count). */
export const INODE_COST = 256;

/** Bytes charged for a directory entry called `name`. */
export function entryCost(name: string): number {
  return 64 + 2 * name.length;
}

/** Common metadata of tmpfs inodes. */
export abstract class TmpNode extends BaseInode {
  readonly ino: bigint;
  nlink = 1;
  atim: bigint;
  mtim: bigint;
  ctim: bigint;

  constructor(readonly fs: TmpFs, public mode: number, public uid: number, public gid: number) {
    super();
    this.ino = fs.sb.nextIno();
    const now = fs.sb.now();
    this.atim = now;
    this.mtim = now;
    this.ctim = now;
  }

  get sb(): SuperBlock {
    return this.fs.sb;
  }

  /** Size as stat reports it. */
  abstract statSize(): number;

  stat(): Filestat {
    return {
      dev: this.fs.sb.dev,
      ino: this.ino,
      filetype: this.type,
      nlink: BigInt(this.nlink),
      size: BigInt(this.statSize()),
      atim: this.atim,
      mtim: this.mtim,
      ctim: this.ctim,
      mode: this.mode,
      uid: this.uid,
      gid: this.gid,
    };
  }

  override setTimes(atim: TimeSpec, mtim: TimeSpec): void {
    const now = this.fs.sb.now();
    if (atim !== null) this.atim = atim === 'now' ? now : atim;
    if (mtim !== null) this.mtim = mtim === 'now' ? now : mtim;
    this.ctim = now;
  }

  /** Entry removed or added elsewhere: ctime changes. */
  touchCtime(): void {
    this.ctim = this.fs.sb.now();
  }
}

/** A regular file. */
export class TmpFile extends TmpNode {
  readonly type = FileType.REGULAR_FILE;
  readonly data: ChunkedData;
  private openCount = 0;

  constructor(fs: TmpFs, mode: number, uid: number, gid: number) {
    super(fs, mode, uid, gid);
    this.data = new ChunkedData(fs.account);
  }

  statSize(): number {
    return this.data.size;
  }
  override size(): number {
    return this.data.size;
  }
  override readAt(pos: number, max: number): Uint8Array {
    const io = this.fs.io;
    if (io !== null) {
      // io.max: wait before anything happens (restartable)
      const until = io.gate('r', Math.min(max, Math.max(0, this.data.size - pos)));
      if (until !== null) throw new WouldBlock([], until);
    }
    const r = this.data.read(pos, max);
    io?.account('r', r.length);
    // relatime: only when atime is not newer than mtime/ctime.
    if (this.atim <= this.mtim || this.atim <= this.ctim) this.atim = this.fs.sb.now();
    return r;
  }
  override writeAt(pos: number, data: Uint8Array): number {
    const io = this.fs.io;
    if (io !== null) {
      const until = io.gate('w', data.length);
      if (until !== null) throw new WouldBlock([], until);
    }
    const n = this.data.writeSome(pos, data);
    io?.account('w', n);
    const now = this.fs.sb.now();
    this.mtim = now;
    this.ctim = now;
    return n;
  }
  override truncate(size: number): void {
    this.data.truncate(size);
    const now = this.fs.sb.now();
    this.mtim = now;
    this.ctim = now;
  }
  override open(req: OpenRequest): OpenFile {
    return new RegularDescription(req);
  }
  opened(): void {
    this.openCount++;
  }
  closed(): void {
    this.openCount--;
    if (this.openCount === 0) this.data.trim();
    this.maybeFree();
  }
  private dead = false;
  /** Free the data (and the inode's charge) once nothing names or holds the file. */
  maybeFree(): void {
    if (this.nlink === 0 && this.openCount === 0 && !this.dead) {
      this.dead = true;
      this.data.free();
      this.fs.account.release(INODE_COST);
    }
  }
}

/** A symbolic link. */
export class TmpSymlink extends TmpNode {
  readonly type = FileType.SYMBOLIC_LINK;
  constructor(fs: TmpFs, readonly target: string, uid: number, gid: number) {
    super(fs, 0o777, uid, gid);
  }
  statSize(): number {
    return utf8Length(this.target);
  }
  override readlink(_cred: Credentials): string {
    const now = this.fs.sb.now();
    if (this.atim <= this.mtim) this.atim = now;
    return this.target;
  }
}

/** An overlay whiteout in an upper tmpfs: a character device 0/0 that hides a lower name. */
export class TmpWhiteout extends TmpNode {
  readonly type = FileType.CHARACTER_DEVICE;
  constructor(fs: TmpFs) {
    super(fs, 0, 0, 0);
  }
  statSize(): number {
    return 0;
  }
}

/** A directory. */
export class TmpDir extends TmpNode {
  readonly type = FileType.DIRECTORY;
  readonly entries = new DirEntries<TmpNode>();
  /** Parent directory (the root is its own parent). */
  parent: TmpDir;
  /** Overlay upper: this directory hides every lower directory below it. */
  opaque = false;

  constructor(fs: TmpFs, parent: TmpDir | null, mode: number, uid: number, gid: number) {
    super(fs, mode, uid, gid);
    this.nlink = 2;
    this.parent = parent ?? this;
  }

  statSize(): number {
    return 4096;
  }
  override parentDir(): Inode {
    return this.parent;
  }
  override lookup(name: string): Inode | undefined {
    return this.entries.get(name);
  }
  override readdir(after: number, max: number): InodeDirEntry[] {
    const now = this.fs.sb.now();
    if (this.atim <= this.mtim) this.atim = now;
    return this.entries.after(after, max).map((e) => ({ name: e.name, ino: e.value.ino, type: e.value.type, seq: e.seq }));
  }

  /** Group of a new child: the directory's if setgid, else the caller's. */
  private childGid(cred: Credentials): number {
    return (this.mode & 0o2000) !== 0 ? this.gid : cred.gid;
  }

  /**
   * Make a new child: check the name is free, charge the entry (and the
   * inode, when `make` creates one), then insert and stamp the directory.
   */
  private add<T extends TmpNode>(name: string, newInode: boolean, make: () => T): T {
    if (this.nlink === 0) throw E.NOENT;
    if (this.entries.has(name)) throw E.EXIST;
    this.fs.account.charge(entryCost(name) + (newInode ? INODE_COST : 0));
    const node = make();
    this.entries.set(name, node);
    this.changed();
    return node;
  }

  /** Put a node made elsewhere (devfs devices) under `name`, charged like any entry. */
  attach(name: string, node: TmpNode): void {
    this.add(name, true, () => node);
  }

  /** Remove the entry `name` and give back its charge. */
  private drop(name: string): void {
    this.entries.delete(name);
    this.fs.account.release(entryCost(name));
  }

  /** Entries changed: mtime and ctime become now. */
  changed(): void {
    const now = this.fs.sb.now();
    this.mtim = now;
    this.ctim = now;
  }

  override create(name: string, mode: number, cred: Credentials): Inode {
    return this.add(name, true, () => new TmpFile(this.fs, mode & 0o7777, cred.uid, this.childGid(cred)));
  }
  override mkdir(name: string, mode: number, cred: Credentials): Inode {
    const d = this.add(name, true, () => new TmpDir(this.fs, this, (mode & 0o7777) | (this.mode & 0o2000), cred.uid, this.childGid(cred)));
    this.nlink++;
    return d;
  }
  override symlink(name: string, target: string, cred: Credentials): Inode {
    return this.add(name, true, () => new TmpSymlink(this.fs, target, cred.uid, this.childGid(cred)));
  }
  override link(name: string, target: Inode): void {
    if (!(target instanceof TmpNode) || target.fs !== this.fs) throw E.XDEV;
    if (target instanceof TmpDir) throw E.PERM;
    if (target.nlink === 0) throw E.NOENT;
    this.add(name, false, () => target);
    target.nlink++;
    target.touchCtime();
  }
  /** Overlay upper: put a whiteout at `name` (which must be free). */
  mkWhiteout(name: string): void {
    this.add(name, true, () => new TmpWhiteout(this.fs));
  }
  override unlink(name: string): void {
    const child = this.entries.get(name);
    if (child === undefined) throw E.NOENT;
    if (child instanceof TmpDir) throw E.ISDIR;
    if (!(child instanceof TmpNode)) throw E.PERM;
    this.drop(name);
    this.changed();
    dropLink(child);
  }
  override rmdir(name: string): void {
    const child = this.entries.get(name);
    if (child === undefined) throw E.NOENT;
    if (!(child instanceof TmpDir)) throw E.NOTDIR;
    if (child.entries.size > 0) throw E.NOTEMPTY;
    this.drop(name);
    this.nlink--;
    killDir(child);
    this.changed();
  }
  override rename(oldName: string, newDir: Inode, newName: string): void {
    const src = this.entries.get(oldName);
    if (src === undefined) throw E.NOENT;
    if (!(newDir instanceof TmpDir) || newDir.fs !== this.fs) throw E.XDEV;
    if (newDir.nlink === 0) throw E.NOENT;
    const dst = newDir.entries.get(newName);
    // Foreign nodes (devfs's fd/) are pinned.
    if (!(src instanceof TmpNode) || (dst !== undefined && !(dst instanceof TmpNode))) throw E.PERM;
    if (dst === src) return;
    if (dst !== undefined) {
      if (dst instanceof TmpDir) {
        if (!(src instanceof TmpDir)) throw E.ISDIR;
        if (dst.entries.size > 0) throw E.NOTEMPTY;
      } else if (src instanceof TmpDir) throw E.NOTDIR;
    }
    // The only allocation: a new entry name (a replaced name keeps its entry).
    if (dst === undefined) this.fs.account.charge(entryCost(newName));
    this.drop(oldName);
    newDir.entries.set(newName, src);
    if (dst !== undefined) {
      if (dst instanceof TmpDir) {
        newDir.nlink--;
        killDir(dst);
      } else dropLink(dst);
    }
    if (src instanceof TmpDir && newDir !== this) {
      this.nlink--;
      newDir.nlink++;
      src.parent = newDir;
    }
    this.changed();
    if (newDir !== this) newDir.changed();
    src.touchCtime();
  }

  /** Overlay upper: remove every whiteout in this directory (before it is replaced or removed). */
  clearWhiteouts(): void {
    for (const [name, node] of [...this.entries.entries()]) {
      if (node instanceof TmpWhiteout) {
        this.drop(name);
        dropLink(node);
      }
    }
  }
}

/** One name of `node` is gone; the last one frees it. */
function dropLink(node: TmpNode): void {
  node.nlink--;
  node.touchCtime();
  if (node instanceof TmpFile) node.maybeFree();
  else if (node.nlink === 0) node.fs.account.release(INODE_COST);
}

/** A directory was removed (rmdir or replaced by rename). */
function killDir(d: TmpDir): void {
  d.nlink = 0;
  d.touchCtime();
  d.fs.account.release(INODE_COST);
}

/** A tmpfs instance. */
export class TmpFs implements FileSystem {
  readonly sb: SuperBlock;
  readonly root: TmpDir;
  readonly account: SpaceAccount;
  /** The io controller its file reads and writes report to (the container's upper: io.stat, io.max); null: none. */
  io: IoAccount | null = null;
  readonly source: string;

  constructor(clock: Clock, opts: TmpFsOptions = {}) {
    this.sb = new SuperBlock(opts.fsType ?? 'tmpfs', clock);
    this.account = new SpaceAccount(opts.limit ?? Infinity, opts.parentAccount ?? null);
    this.source = opts.source ?? 'tmpfs';
    this.root = new TmpDir(this, null, opts.mode ?? 0o755, opts.uid ?? 0, opts.gid ?? 0);
  }

  /** Bytes of file data allocated now (for memory cgroup charging). */
  get bytesUsed(): number {
    return this.account.used;
  }

  /** Change the byte limit (existing data stays even if over). */
  setLimit(limit: number): void {
    this.account.limit = limit;
  }
}

/** True if `node` is an overlay whiteout. */
export function isWhiteout(node: Inode | undefined): node is TmpWhiteout {
  return node instanceof TmpWhiteout;
}
