/**
 * kernfs: one base for synthetic filesystems, after gVisor's
 * `fsimpl/kernfs`. procfs, cgroupfs and devfs's synthetic entries (`fd/`)
 * are built from these pieces instead of each writing its own inode, stat
 * and directory code:
 * - `KernfsNode`: an inode of a synthetic filesystem (root-owned by
 *   default, size 0, times fixed at the filesystem's boot unless the owner
 *   has none, then now);
 * - `KernfsFile`: a read-only file whose content is generated on open
 *   (a snapshot per open, as Linux's seq files) and read through a
 *   `GeneratedFile`;
 * - `KernfsSymlink`: a link whose target is computed for the caller;
 * - `KernfsDir`: a directory of fixed children plus, for a subclass,
 *   children computed on lookup (`/proc/<pid>`), listed after the fixed
 *   ones;
 * - `KernfsFs`: the filesystem instance (superblock, boot time, root).
 */
import { E } from '../errno.js';
import { DefaultFile } from '../vfs/default_file.js';
import { BaseInode, FIRST_SEQ, type Inode, type InodeDirEntry, type OpenRequest } from '../vfs/inode.js';
import { type Clock, type FileSystem, SuperBlock } from '../vfs/superblock.js';
import { type Credentials, type Filestat, FileType, type FileTypeValue, type OpenFile, type OpenMode, Whence } from '../vfs/types.js';

/** What a kernfs node belongs to: a superblock and, for fixed times, the boot time. */
export interface KernfsOwner {
  readonly sb: SuperBlock;
  /** Times every node shows; absent: the clock's now at each stat. */
  readonly bootNs?: bigint;
}

const enc = new TextEncoder();

/** An inode of a synthetic filesystem. */
export abstract class KernfsNode extends BaseInode {
  readonly ino: bigint;
  constructor(
    readonly owner: KernfsOwner,
    readonly type: FileTypeValue,
    readonly mode: number,
    readonly uid = 0,
    readonly gid = 0,
    ino?: bigint,
  ) {
    super();
    this.ino = ino ?? owner.sb.nextIno();
  }
  get sb(): SuperBlock {
    return this.owner.sb;
  }
  /** Size stat reports (0: generated content has no size until read). */
  protected statSize(): bigint {
    return 0n;
  }
  stat(): Filestat {
    const t = this.owner.bootNs ?? this.owner.sb.now();
    return {
      dev: this.sb.dev, ino: this.ino, filetype: this.type, nlink: this.type === FileType.DIRECTORY ? 2n : 1n,
      size: this.statSize(), atim: t, mtim: t, ctim: t, mode: this.mode, uid: this.uid, gid: this.gid,
    };
  }
}

/** A read-only file generated on open from `gen(cred)`. */
export class KernfsFile extends KernfsNode {
  constructor(owner: KernfsOwner, private readonly gen: (cred: Credentials) => string, mode = 0o444, uid = 0, gid = 0) {
    super(owner, FileType.REGULAR_FILE, mode, uid, gid);
  }
  override open(req: OpenRequest): OpenFile {
    if (req.mode.write) throw E.ACCES;
    return new GeneratedFile(this, enc.encode(this.gen(req.cred)), req);
  }
}

/** A symlink whose target is computed for the caller ('' is ENOENT). */
export class KernfsSymlink extends KernfsNode {
  constructor(owner: KernfsOwner, private readonly target: (cred: Credentials) => string) {
    super(owner, FileType.SYMBOLIC_LINK, 0o777);
  }
  override readlink(cred: Credentials): string {
    const t = this.target(cred);
    if (t === '') throw E.NOENT;
    return t;
  }
}

/** A directory: fixed children (`kids`, listed in insertion order), then the dynamic ones of a subclass. */
export class KernfsDir extends KernfsNode {
  readonly kids = new Map<string, Inode>();
  /** Makes the fixed children on first lookup or listing (`fillLater`), then null. */
  private fill: (() => void) | null = null;
  constructor(owner: KernfsOwner, readonly parent: Inode | null, uid = 0, gid = 0, mode = 0o555) {
    super(owner, FileType.DIRECTORY, mode, uid, gid);
  }
  /**
   * Make the fixed children with `fill` only when the directory is first
   * looked in or listed: most containers never open /proc or
   * /sys/fs/cgroup, and each start would pay for their inodes. Inode
   * numbers are then taken at that moment, in `fill`'s order.
   */
  protected fillLater(fill: () => void): void {
    this.fill = fill;
  }
  private filled(): void {
    const f = this.fill;
    this.fill = null;
    f?.();
  }
  override parentDir(): Inode {
    return this.parent ?? this;
  }
  override lookup(name: string, cred: Credentials): Inode | undefined {
    if (this.fill !== null) this.filled();
    return this.kids.get(name) ?? this.lookupDynamic(name, cred);
  }
  override readdir(after: number, max: number, cred: Credentials): InodeDirEntry[] {
    if (this.fill !== null) this.filled();
    const out: InodeDirEntry[] = [];
    let seq = FIRST_SEQ;
    for (const [name, k] of this.kids) {
      if (seq > after && out.length < max) out.push({ name, ino: k.ino, type: k.type, seq });
      seq++;
    }
    this.readdirDynamic(after, max, cred, out);
    return out;
  }
  /** A child that is not fixed (a subclass's computed entries). */
  protected lookupDynamic(_name: string, _cred: Credentials): Inode | undefined {
    return undefined;
  }
  /** Append computed entries with `seq > after` to `out` while it holds fewer than `max` (their seqs above the fixed ones'). */
  protected readdirDynamic(_after: number, _max: number, _cred: Credentials, _out: InodeDirEntry[]): void {}
}

/** A synthetic filesystem instance; the subclass builds `root`. */
export abstract class KernfsFs implements FileSystem, KernfsOwner {
  readonly sb: SuperBlock;
  readonly bootNs: bigint;
  abstract readonly root: Inode;
  constructor(fsType: string, readonly source: string, clock: Clock) {
    this.sb = new SuperBlock(fsType, clock);
    this.bootNs = clock.realtimeNs();
  }
}

/** An open read-only snapshot of generated content (seekable; pread/pwrite as a regular file). */
export class GeneratedFile extends DefaultFile {
  readonly filetype = FileType.REGULAR_FILE;
  fdflags: number;
  readonly mode: OpenMode;
  private off = 0;
  private readonly loc: OpenRequest['loc'];

  constructor(private readonly node: Inode, private readonly data: Uint8Array, req: OpenRequest) {
    super();
    this.fdflags = req.fdflags;
    this.mode = req.mode;
    this.loc = req.loc;
  }
  override read(max: number): Uint8Array {
    const r = this.pread(max, BigInt(this.off));
    this.off += r.length;
    return r;
  }
  override pread(max: number, offset: bigint): Uint8Array {
    if (!this.mode.read) throw E.BADF;
    if (offset < 0n) throw E.INVAL;
    const o = offset > BigInt(this.data.length) ? this.data.length : Number(offset);
    return this.data.subarray(o, Math.min(this.data.length, o + Math.max(0, max)));
  }
  override pwrite(): number {
    throw E.BADF;
  }
  override seek(delta: bigint, whence: number): bigint {
    const base = whence === Whence.SET ? 0n : whence === Whence.CUR ? BigInt(this.off) : whence === Whence.END ? BigInt(this.data.length) : -1n;
    if (base < 0n) throw E.INVAL;
    const n = base + delta;
    if (n < 0n || n > BigInt(Number.MAX_SAFE_INTEGER)) throw E.INVAL;
    this.off = Number(n);
    return n;
  }
  override tell(): bigint {
    return BigInt(this.off);
  }
  stat(): Filestat {
    return this.node.stat();
  }
  override sync(): void {}
  override allocate(): void {
    throw E.BADF;
  }
  override readable(): boolean {
    return true;
  }
  describe(): string {
    return this.loc.path;
  }
}
