/**
 * hostfs: a bind mount of a host directory, through `Host.hostfs`.
 *
 * Confinement: the VFS walks paths one name at a time and resolves every
 * symlink itself, inside the container's mount tree; hostfs only ever asks
 * the host about `source/name/name...` built from names it looked up with
 * lstat (never following), and opens files with O_NOFOLLOW. Before each
 * operation under a directory it re-checks (one lstat) that the directory's
 * host path still leads to the same host directory, so a directory the
 * guest replaced by a symlink (even through another mount) cannot redirect
 * it. A host process racing between that check and the operation is out of
 * scope (Node has no openat).
 *
 * Inodes are cached per directory by name and re-validated (host dev/ino
 * and kind) on each lookup. Host devices, fifos and sockets are visible but
 * cannot be opened (ENXIO).
 */
import { E } from '../errno.js';
import type { HostFs, HostStat } from '../host.js';
import { DirEntries } from '../vfs/dir_entries.js';
import { BaseInode, type Inode, type InodeDirEntry, type OpenRequest, type TimeSpec } from '../vfs/inode.js';
import { RegularDescription } from '../vfs/file_description.js';
import { type Clock, type FileSystem, SuperBlock } from '../vfs/superblock.js';
import { type Filestat, FileType, type FileTypeValue, type OpenFile } from '../vfs/types.js';

/** Largest single host read. */
const MAX_READ = 16 << 20;

/** WASI filetype of a host file kind. */
export function hostFileType(kind: HostStat['kind']): FileTypeValue {
  switch (kind) {
    case 'file':
      return FileType.REGULAR_FILE;
    case 'dir':
      return FileType.DIRECTORY;
    case 'symlink':
      return FileType.SYMBOLIC_LINK;
    case 'chardev':
      return FileType.CHARACTER_DEVICE;
    case 'blockdev':
      return FileType.BLOCK_DEVICE;
    case 'socket':
      return FileType.SOCKET_STREAM;
    default:
      return FileType.UNKNOWN;
  }
}

/** One host file or directory. */
export class HostInode extends BaseInode {
  readonly type: FileTypeValue;
  readonly ino: bigint;
  private st: HostStat;
  private readonly kids = new Map<string, HostInode>();
  private listing: DirEntries<true> | null = null;
  private handle: number | null = null;
  private writableHandle = false;
  private opens = 0;
  removed = false;

  constructor(readonly fs: HostFsMount, public parent: HostInode | null, public name: string, st: HostStat) {
    super();
    this.st = st;
    this.type = hostFileType(st.kind);
    this.ino = st.ino;
  }

  get sb(): SuperBlock {
    return this.fs.sb;
  }
  get mode(): number {
    return this.st.mode & 0o7777;
  }
  get uid(): number {
    return this.st.uid;
  }
  get gid(): number {
    return this.st.gid;
  }
  private get host(): HostFs {
    return this.fs.host;
  }

  /** Host path of this inode. */
  path(): string {
    const names: string[] = [];
    for (let n: HostInode = this; n.parent !== null; n = n.parent) names.push(n.name);
    names.push(this.fs.source);
    return names.reverse().join('/');
  }

  /** Re-check that this directory's host path still is this directory (see top). */
  private verify(): string {
    if (this.removed) throw E.NOENT;
    const p = this.path();
    const st = this.host.lstat(p);
    if (st.kind !== 'dir' || st.ino !== this.st.ino || st.dev !== this.st.dev) throw E.NOENT;
    this.st = st;
    return p;
  }

  stat(): Filestat {
    if (this.handle !== null) this.st = this.host.fstat(this.handle);
    else if (!this.removed) {
      try {
        if (this.parent !== null) this.parent.verify();
        this.st = this.host.lstat(this.path());
      } catch (e) {
        if (e !== E.NOENT) throw e;
      }
    }
    const s = this.st;
    return {
      dev: this.fs.sb.dev,
      ino: s.ino,
      filetype: this.type,
      nlink: s.nlink,
      size: s.size,
      atim: s.atimeNs,
      mtim: s.mtimeNs,
      ctim: s.ctimeNs,
      mode: s.mode & 0o7777,
      uid: s.uid,
      gid: s.gid,
    };
  }

  override setTimes(atim: TimeSpec, mtim: TimeSpec): void {
    if (this.parent !== null) this.parent.verify();
    const now = this.fs.sb.now();
    this.host.utimes(this.path(), atim === 'now' ? now : atim, mtim === 'now' ? now : mtim);
  }

  // ---- directories ----

  override parentDir(): Inode {
    return this.parent ?? this;
  }
  override lookup(name: string): Inode | undefined {
    const p = `${this.verify()}/${name}`;
    let st: HostStat;
    try {
      st = this.host.lstat(p);
    } catch (e) {
      if (e === E.NOENT) {
        this.kids.delete(name);
        return undefined;
      }
      throw e;
    }
    const cached = this.kids.get(name);
    if (cached !== undefined && cached.st.ino === st.ino && cached.st.dev === st.dev && cached.st.kind === st.kind) {
      cached.st = st;
      return cached;
    }
    const ino = new HostInode(this.fs, this, name, st);
    this.kids.set(name, ino);
    return ino;
  }
  override readdir(after: number, max: number): InodeDirEntry[] {
    const p = this.verify();
    if (this.listing === null || after < 3) {
      const names = new Set(this.host.readdir(p));
      const l = this.listing ?? new DirEntries<true>();
      for (const [n] of [...l.entries()]) if (!names.has(n)) l.delete(n);
      for (const n of names) if (!l.has(n)) l.set(n, true);
      this.listing = l;
    }
    const out: InodeDirEntry[] = [];
    for (const e of this.listing.after(after, max)) {
      const c = this.lookup(e.name);
      if (c !== undefined) out.push({ name: e.name, ino: c.ino, type: c.type, seq: e.seq });
    }
    return out;
  }
  private created(name: string): Inode {
    this.listing?.set(name, true);
    const c = this.lookup(name);
    if (c === undefined) throw E.IO;
    return c;
  }
  override create(name: string, mode: number): Inode {
    const h = this.host.open(`${this.verify()}/${name}`, 'wx', mode);
    this.host.close(h);
    return this.created(name);
  }
  override mkdir(name: string, mode: number): Inode {
    this.host.mkdir(`${this.verify()}/${name}`, mode);
    return this.created(name);
  }
  override symlink(name: string, target: string): Inode {
    this.host.symlink(target, `${this.verify()}/${name}`);
    return this.created(name);
  }
  override link(name: string, target: Inode): void {
    if (!(target instanceof HostInode) || target.fs !== this.fs) throw E.XDEV;
    if (target.parent === null || target.removed) throw E.NOENT;
    const from = `${target.parent.verify()}/${target.name}`;
    this.host.link(from, `${this.verify()}/${name}`);
    this.created(name);
  }
  private forget(name: string): void {
    const c = this.kids.get(name);
    if (c !== undefined) c.removed = true;
    this.kids.delete(name);
    this.listing?.delete(name);
  }
  override unlink(name: string): void {
    this.host.unlink(`${this.verify()}/${name}`);
    this.forget(name);
  }
  override rmdir(name: string): void {
    this.host.rmdir(`${this.verify()}/${name}`);
    this.forget(name);
  }
  override rename(oldName: string, newDir: Inode, newName: string): void {
    if (!(newDir instanceof HostInode) || newDir.fs !== this.fs) throw E.XDEV;
    const moving = this.kids.get(oldName);
    this.host.rename(`${this.verify()}/${oldName}`, `${newDir.verify()}/${newName}`);
    this.kids.delete(oldName);
    this.listing?.delete(oldName);
    newDir.forget(newName);
    newDir.listing?.set(newName, true);
    if (moving !== undefined) {
      moving.parent = newDir;
      moving.name = newName;
      newDir.kids.set(newName, moving);
    }
  }

  // ---- symlinks and files ----

  override readlink(): string {
    if (this.parent !== null) this.parent.verify();
    return this.host.readlink(this.path());
  }

  private hostPathChecked(): string {
    if (this.removed) throw E.NOENT;
    if (this.parent === null) {
      // The root of a single-file bind: still the same host file?
      const st = this.host.lstat(this.fs.source);
      if (st.kind !== this.st.kind || st.ino !== this.st.ino || st.dev !== this.st.dev) throw E.NOENT;
      return this.fs.source;
    }
    return `${this.parent.verify()}/${this.name}`;
  }
  /** Open the shared host handle (read-write when the mount allows and the host agrees). */
  private ensureHandle(): number {
    if (this.handle !== null) return this.handle;
    const p = this.hostPathChecked();
    if (!this.fs.sb.readonly) {
      try {
        this.handle = this.host.open(p, 'r+', 0);
        this.writableHandle = true;
        return this.handle;
      } catch (e) {
        if (e !== E.ACCES && e !== E.PERM && e !== E.ROFS) throw e;
      }
    }
    this.handle = this.host.open(p, 'r', 0);
    this.writableHandle = false;
    return this.handle;
  }
  override size(): number {
    return Number(this.host.fstat(this.ensureHandle()).size);
  }
  override readAt(pos: number, max: number): Uint8Array {
    const h = this.ensureHandle();
    const buf = new Uint8Array(Math.min(max, MAX_READ));
    const n = this.host.pread(h, buf, pos);
    return buf.subarray(0, n);
  }
  override writeAt(pos: number, data: Uint8Array): number {
    const h = this.ensureHandle();
    if (!this.writableHandle) throw E.ACCES;
    return this.host.pwrite(h, data, pos);
  }
  override truncate(size: number): void {
    const h = this.ensureHandle();
    if (!this.writableHandle) throw E.ACCES;
    this.host.ftruncate(h, size);
  }
  override open(req: OpenRequest): OpenFile {
    if (this.type !== FileType.REGULAR_FILE) throw E.NXIO;
    this.ensureHandle();
    if (req.mode.write && !this.writableHandle) throw E.ACCES;
    return new RegularDescription(req);
  }
  opened(): void {
    this.opens++;
  }
  sync(): void {
    if (this.handle !== null && this.writableHandle) this.host.fsync(this.handle);
  }
  closed(): void {
    if (--this.opens === 0 && this.handle !== null) {
      this.host.close(this.handle);
      this.handle = null;
    }
  }
}

/**
 * A bind mount of host directory `source`, or of one host regular file
 * (mount it on a file; see MountNamespace.mount).
 */
export class HostFsMount implements FileSystem {
  readonly sb: SuperBlock;
  readonly root: HostInode;

  constructor(readonly host: HostFs, readonly source: string, clock: Clock, opts: { readonly?: boolean } = {}) {
    this.sb = new SuperBlock('hostfs', clock, opts.readonly === true);
    const st = host.lstat(source);
    if (st.kind !== 'dir' && st.kind !== 'file') throw E.NOTDIR;
    this.root = new HostInode(this, null, '', st);
  }
}
