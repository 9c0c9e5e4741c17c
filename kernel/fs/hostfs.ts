/**
 * hostfs: a bind mount of a host directory, through `Host.hostfs`.
 *
 * Confinement: the VFS walks paths one name at a time and resolves every
 * symlink itself, inside the container's mount tree. hostfs never hands the
 * host a path below the bind's source: every call is (open directory
 * handle, one name), openat style (kernel/host.ts), and never follows a
 * symlink in that name. A directory's handle comes from the mount's bounded
 * cache (host_dirs.ts), re-opened from its parent's handle by name with
 * O_DIRECTORY | O_NOFOLLOW and checked against the dev/ino lookup recorded
 * (mismatch: ENOENT); a file opened by name is fstat'ed and checked the same
 * way. So a directory swapped for a symlink, by the guest through another
 * mount, by another container, or by a host process racing renames, cannot
 * redirect an operation outside the bind (race-free on Linux; without
 * /proc, see src/host/node_hostfs.ts, the host paths are re-walked).
 *
 * Owners go through the user namespace's mappings (vfs/idmap.ts): an
 * unmapped host owner shows as 65534 and gives container root no override
 * (`idsMapped`, vfs/perm.ts); a new file, directory or symlink is given the
 * host ids the creator's ids map to, or removed again and the call fails
 * when the host refuses or the ids have no mapping.
 *
 * Inodes are cached per directory by name and re-validated (host dev/ino
 * and kind) on each lookup. readdir streams the host directory
 * (hostfs_list.ts) and lstats each entry it returns (the real d_ino): a
 * call costs what it returns. Host devices, fifos and
 * sockets are visible but cannot be opened (ENXIO).
 */
import type { IoAccount } from '../cgroup/io.js';
import { E } from '../errno.js';
import type { HostFs, HostStat } from '../host.js';
import { containerToHost, hostToContainer, type IdMap, OVERFLOW_ID } from '../vfs/idmap.js';
import { BaseInode, type Inode, type InodeDirEntry, type OpenRequest, type TimeSpec } from '../vfs/inode.js';
import { RegularDescription } from '../vfs/file_description.js';
import { type Clock, type FileSystem, SuperBlock } from '../vfs/superblock.js';
import { type Credentials, type Filestat, FileType, type FileTypeValue, type OpenFile } from '../vfs/types.js';
import { WouldBlock } from '../vfs/wait.js';
import { checkName, HostDirCache, type HostDirNode } from './host_dirs.js';
import { HostLister } from './hostfs_list.js';

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

const same = (a: HostStat, b: HostStat) => a.dev === b.dev && a.ino === b.ino && a.kind === b.kind;

/** One host file or directory. */
export class HostInode extends BaseInode implements HostDirNode {
  readonly type: FileTypeValue;
  readonly ino: bigint;
  readonly dev: bigint;
  private st: HostStat;
  private readonly kids = new Map<string, HostInode>();
  private lister: HostLister | null = null;
  private handle: number | null = null;
  private writableHandle = false;
  private opens = 0;
  removed = false;

  constructor(readonly fs: HostFsMount, public parent: HostInode | null, public name: string, st: HostStat) {
    super();
    this.st = st;
    this.type = hostFileType(st.kind);
    this.ino = st.ino;
    this.dev = st.dev;
  }

  get sb(): SuperBlock {
    return this.fs.sb;
  }
  get mode(): number {
    return this.st.mode & 0o7777;
  }
  get uid(): number {
    return hostToContainer(this.fs.uidMappings, this.st.uid) ?? OVERFLOW_ID;
  }
  get gid(): number {
    return hostToContainer(this.fs.gidMappings, this.st.gid) ?? OVERFLOW_ID;
  }
  /** False when the host owner or group has no mapping: root has no override on it. */
  get idsMapped(): boolean {
    return hostToContainer(this.fs.uidMappings, this.st.uid) !== undefined && hostToContainer(this.fs.gidMappings, this.st.gid) !== undefined;
  }
  private get host(): HostFs {
    return this.fs.host;
  }

  /** Host path this inode was last seen at (for messages and tests; never used to reach it). */
  path(): string {
    const names: string[] = [];
    for (let n: HostInode = this; n.parent !== null; n = n.parent) names.push(n.name);
    names.push(this.fs.source);
    return names.reverse().join('/');
  }
  /** The inode number of a deterministic run: a hash of the path under the mount's root (the same on every run). */
  stableIno(name?: string): bigint {
    const names: string[] = name === undefined ? [] : [name];
    for (let n: HostInode = this; n.parent !== null; n = n.parent) names.push(n.name);
    return stableInoOf(names.reverse().join('/'));
  }
  /** Open handle of this directory (checked against its dev/ino; see host_dirs.ts). */
  dirHandle(): number {
    if (this.removed) throw E.NOENT;
    return this.fs.dirs!.handle(this);
  }
  /** The parent's handle, for calls on this entry by name. */
  private parentHandle(): number {
    if (this.removed || this.parent === null) throw E.NOENT;
    return this.parent.dirHandle();
  }

  stat(): Filestat {
    try {
      if (this.handle !== null) this.st = this.host.fstat(this.handle);
      else if (this.type === FileType.DIRECTORY && this.fs.dirs !== null) this.st = this.host.fstat(this.dirHandle());
      else if (this.parent !== null && !this.removed) {
        const st = this.host.statAt(this.parentHandle(), this.name);
        if (same(st, this.st)) this.st = st;
      }
    } catch (e) {
      if (e !== E.NOENT) throw e;
    }
    const s = this.st;
    return {
      dev: this.fs.sb.dev, ino: this.fs.stableIds ? this.stableIno() : s.ino, filetype: this.type, nlink: s.nlink, size: s.size,
      atim: s.atimeNs, mtim: s.mtimeNs, ctim: s.ctimeNs, mode: s.mode & 0o7777, uid: this.uid, gid: this.gid,
    };
  }

  override setTimes(atim: TimeSpec, mtim: TimeSpec): void {
    const now = this.fs.sb.now();
    const a = atim === 'now' ? now : atim;
    const m = mtim === 'now' ? now : mtim;
    if (this.handle !== null) this.host.futimes(this.handle, a, m);
    else if (this.type === FileType.DIRECTORY && this.fs.dirs !== null) this.host.futimes(this.dirHandle(), a, m);
    else this.host.utimesAt(this.parentHandle(), this.name, a, m);
  }

  // ---- directories ----

  override parentDir(): Inode {
    return this.parent ?? this;
  }
  override lookup(name: string): Inode | undefined {
    checkName(name);
    let st: HostStat;
    try {
      st = this.host.statAt(this.dirHandle(), name);
    } catch (e) {
      if (e === E.NOENT) {
        this.kids.delete(name);
        return undefined;
      }
      throw e;
    }
    const cached = this.kids.get(name);
    if (cached !== undefined && same(cached.st, st)) {
      cached.st = st;
      return cached;
    }
    const ino = new HostInode(this.fs, this, name, st);
    this.kids.set(name, ino);
    return ino;
  }
  override readdir(after: number, max: number): InodeDirEntry[] {
    this.lister ??= new HostLister(this.host, this.fs.streams, this.fs.stableIds);
    const out: InodeDirEntry[] = [];
    // The real d_ino (readers such as Rust's std take it at face value):
    // one lstat per entry returned, so a call costs what the guest's buffer
    // asked for, whatever the directory's size. A name gone meanwhile is left out.
    const entries = this.lister.list(this.dirHandle(), after, max);
    const d = this.dirHandle();
    for (const e of entries) {
      let st: HostStat;
      try {
        st = this.host.statAt(d, e.name);
      } catch (err) {
        if (err === E.NOENT) continue;
        throw err;
      }
      out.push({ name: e.name, ino: this.fs.stableIds ? this.stableIno(e.name) : st.ino, type: hostFileType(st.kind), seq: e.seq });
    }
    return out;
  }

  /** Host ids a file created by `cred` gets, or EACCES when they have no mapping. */
  private ownerFor(cred: Credentials): [number, number] {
    const uid = containerToHost(this.fs.uidMappings, cred.uid);
    // A set-group-ID directory gives its group (the host does it): keep it.
    const gid = (this.st.mode & 0o2000) !== 0 ? -1 : containerToHost(this.fs.gidMappings, cred.gid);
    if (uid === undefined || gid === undefined) throw E.ACCES;
    return [uid, gid];
  }
  /**
   * Give the new entry `name` its owner; on failure remove it and fail
   * (fail closed). Without mappings a refusal is accepted: the file stays
   * the runtime user's, as without a user namespace.
   */
  private chownNew(dir: number, name: string, cred: Credentials, chown: (uid: number, gid: number) => void, remove: () => void): void {
    const mapped = this.fs.uidMappings.length > 0 || this.fs.gidMappings.length > 0;
    try {
      const [uid, gid] = this.ownerFor(cred);
      const st = this.host.statAt(dir, name);
      if (st.uid !== uid || (gid !== -1 && st.gid !== gid)) chown(uid, gid);
    } catch (e) {
      if (!mapped && (e === E.PERM || e === E.ACCES)) return;
      try {
        remove();
      } catch {
        // already gone
      }
      throw e === E.PERM ? E.ACCES : e;
    }
  }
  private created(name: string): Inode {
    const c = this.lookup(name);
    if (c === undefined) throw E.IO;
    return c;
  }
  override create(name: string, mode: number, cred: Credentials): Inode {
    const d = this.dirHandle();
    const h = this.host.openAt(d, checkName(name), 'wx', mode);
    try {
      this.chownNew(d, name, cred, (u, g) => this.host.fchown(h, u, g), () => this.host.unlinkAt(d, name));
    } finally {
      this.host.close(h);
    }
    return this.created(name);
  }
  override mkdir(name: string, mode: number, cred: Credentials): Inode {
    const d = this.dirHandle();
    this.host.mkdirAt(d, checkName(name), mode);
    this.chownNew(d, name, cred, (u, g) => this.host.lchownAt(d, name, u, g), () => this.host.rmdirAt(d, name));
    return this.created(name);
  }
  override symlink(name: string, target: string, cred: Credentials): Inode {
    const d = this.dirHandle();
    this.host.symlinkAt(target, d, checkName(name));
    this.chownNew(d, name, cred, (u, g) => this.host.lchownAt(d, name, u, g), () => this.host.unlinkAt(d, name));
    return this.created(name);
  }
  override link(name: string, target: Inode): void {
    if (!(target instanceof HostInode) || target.fs !== this.fs) throw E.XDEV;
    if (target.parent === null || target.removed) throw E.NOENT;
    const from = target.parent.dirHandle();
    const to = this.dirHandle();
    // The name must still be the inode the VFS resolved.
    if (!same(this.host.statAt(from, target.name), target.st)) throw E.NOENT;
    this.host.linkAt(from, checkName(target.name), to, checkName(name));
    this.created(name);
  }
  private forget(name: string): void {
    const c = this.kids.get(name);
    if (c !== undefined) {
      c.removed = true;
      this.fs.dirs?.forget(c);
    }
    this.kids.delete(name);
  }
  override unlink(name: string): void {
    this.host.unlinkAt(this.dirHandle(), checkName(name));
    this.forget(name);
  }
  override rmdir(name: string): void {
    this.host.rmdirAt(this.dirHandle(), checkName(name));
    this.forget(name);
  }
  override rename(oldName: string, newDir: Inode, newName: string): void {
    if (!(newDir instanceof HostInode) || newDir.fs !== this.fs) throw E.XDEV;
    const moving = this.kids.get(oldName);
    const from = this.dirHandle();
    const to = newDir.dirHandle();
    this.host.renameAt(from, checkName(oldName), to, checkName(newName));
    this.kids.delete(oldName);
    newDir.forget(newName);
    if (moving !== undefined) {
      moving.parent = newDir;
      moving.name = newName;
      newDir.kids.set(newName, moving);
    }
  }

  // ---- symlinks and files ----

  override readlink(): string {
    return this.host.readlinkAt(this.parentHandle(), this.name);
  }

  /** Open this file by name from its parent's handle, and check it is still this inode. */
  private openChecked(flags: string): number {
    if (this.removed) throw E.NOENT;
    if (this.fs.closed) throw E.IO;
    const h = this.parent === null ? this.host.open(this.fs.source, flags, 0) : this.host.openAt(this.parentHandle(), this.name, flags, 0);
    const st = this.host.fstat(h);
    if (!same(st, this.st)) {
      this.host.close(h);
      throw E.NOENT;
    }
    return h;
  }
  /** Open the shared host handle (read-write when the mount allows and the host agrees). */
  private ensureHandle(): number {
    if (this.handle !== null) return this.handle;
    if (!this.fs.sb.readonly) {
      try {
        this.handle = this.openChecked('r+');
        this.writableHandle = true;
        this.fs.files.add(this);
        return this.handle;
      } catch (e) {
        if (e !== E.ACCES && e !== E.PERM && e !== E.ROFS) throw e;
      }
    }
    this.handle = this.openChecked('r');
    this.writableHandle = false;
    this.fs.files.add(this);
    return this.handle;
  }
  override size(): number {
    return Number(this.host.fstat(this.ensureHandle()).size);
  }
  override readAt(pos: number, max: number): Uint8Array {
    const h = this.ensureHandle();
    const io = this.fs.io;
    // io.max: wait before anything happens (restartable); the bytes asked, as the size is the host's to know
    const until = io?.gate('r', Math.min(max, MAX_READ)) ?? null;
    if (until !== null) throw new WouldBlock([], until);
    const buf = new Uint8Array(Math.min(max, MAX_READ));
    const n = this.host.pread(h, buf, pos);
    io?.account('r', n);
    return buf.subarray(0, n);
  }
  override writeAt(pos: number, data: Uint8Array): number {
    const h = this.ensureHandle();
    if (!this.writableHandle) throw E.ACCES;
    const io = this.fs.io;
    const until = io?.gate('w', data.length) ?? null;
    if (until !== null) throw new WouldBlock([], until);
    const n = this.host.pwrite(h, data, pos);
    io?.account('w', n);
    return n;
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
    if (--this.opens === 0) this.dropHandle();
  }
  /** Close the shared host handle if open. */
  dropHandle(): void {
    if (this.handle === null) return;
    this.host.close(this.handle);
    this.handle = null;
    this.fs.files.delete(this);
  }
}

/** Options of a bind mount. */
export interface HostFsOptions {
  readonly?: boolean;
  /** User-namespace mappings (none: ids pass unchanged). */
  uidMappings?: readonly IdMap[];
  gidMappings?: readonly IdMap[];
  /** A deterministic run (`Host.stableIds`): names listed sorted, inode numbers from the path, not the host's. */
  stableIds?: boolean;
}

/** A path's inode number for deterministic runs: FNV-1a (64-bit) of the path under the mount's root, never 0. */
export function stableInoOf(path: string): bigint {
  let h = 0xcbf29ce484222325n;
  for (const b of new TextEncoder().encode(path)) h = ((h ^ BigInt(b)) * 0x100000001b3n) & 0xffffffffffffffffn;
  return h === 0n ? 1n : h;
}

/**
 * A bind mount of host directory `source`, or of one host regular file
 * (mount it on a file; see MountNamespace.mount).
 */
export class HostFsMount implements FileSystem {
  readonly sb: SuperBlock;
  readonly root: HostInode;
  /** Directory handles (null for a single-file bind). */
  readonly dirs: HostDirCache | null;
  /** Open readdir streams of the whole mount. */
  readonly streams = new Map<object, number>();
  readonly uidMappings: readonly IdMap[];
  readonly gidMappings: readonly IdMap[];
  /** Files holding a host handle (closed with the mount). */
  readonly files = new Set<HostInode>();
  /** Set by `close`: every later host call of the mount fails (EIO). */
  closed = false;
  /** Where file reads and writes are counted and rate-limited (the container's io controller: io.stat, io.max); null: nowhere. */
  io: IoAccount | null = null;
  /** Names listed sorted, inode numbers from the path (a deterministic run). */
  readonly stableIds: boolean;

  constructor(readonly host: HostFs, readonly source: string, clock: Clock, opts: HostFsOptions = {}) {
    this.sb = new SuperBlock('hostfs', clock, opts.readonly === true);
    this.uidMappings = opts.uidMappings ?? [];
    this.gidMappings = opts.gidMappings ?? [];
    this.stableIds = opts.stableIds === true;
    const st = host.lstat(source);
    if (st.kind === 'file') {
      this.root = new HostInode(this, null, '', st);
      this.dirs = null;
    } else if (st.kind === 'dir') {
      const h = host.openDir(source);
      const hst = host.fstat(h);
      if (hst.dev !== st.dev || hst.ino !== st.ino) {
        host.close(h);
        throw E.NOENT;
      }
      this.root = new HostInode(this, null, '', hst);
      this.dirs = new HostDirCache(host, this.root, h);
    } else throw E.NOTDIR;
  }

  /**
   * Close every host handle of the mount (its directories, readdir streams
   * and open files): the container that made it is gone. Later calls fail
   * with EIO; a description closed afterwards closes nothing twice.
   */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const f of [...this.files]) f.dropHandle();
    for (const s of this.streams.values()) this.host.closeDirStream(s);
    this.streams.clear();
    this.dirs?.close();
  }
}
