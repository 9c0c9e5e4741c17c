/**
 * devfs: `/dev` as a tmpfs (so programs may add files, as with devtmpfs)
 * holding the character devices null, zero, full, random and urandom, the
 * `fd/` directory of the caller's fds (magic links) and the stdin, stdout
 * and stderr links to `fd/0..2`. Devices never block.
 */
import { E } from '../errno.js';
import type { Host } from '../host.js';
import type { OpenRequest } from '../vfs/inode.js';
import { applyTimes } from '../vfs/file_description.js';
import { type DirEntry, type DirHandle, type Filestat, FileType, type OpenFile, type OpenMode } from '../vfs/types.js';
import { CALLER_FDS, FdDir } from './fd_link.js';
import { TmpFs, TmpNode, TmpSymlink } from './tmpfs.js';
import type { SpaceAccount } from './tmpfs_data.js';

/** The devices devfs provides. */
export type DeviceKind = 'null' | 'zero' | 'full' | 'random' | 'urandom';

const MAX_READ = 16 << 20;
const EMPTY = new Uint8Array(0);

/** A character device inode. */
export class DevNode extends TmpNode {
  readonly type = FileType.CHARACTER_DEVICE;
  constructor(fs: TmpFs, readonly kind: DeviceKind, readonly host: Host) {
    super(fs, 0o666, 0, 0);
  }
  statSize(): number {
    return 0;
  }
  override open(req: OpenRequest): OpenFile {
    return new DeviceFile(this, req);
  }
}

/** An open device. */
export class DeviceFile implements OpenFile {
  readonly filetype = FileType.CHARACTER_DEVICE;
  fdflags: number;
  readonly mode: OpenMode;
  readonly dir: DirHandle | undefined = undefined;

  constructor(private readonly node: DevNode, private readonly req: OpenRequest) {
    this.fdflags = req.fdflags;
    this.mode = req.mode;
  }
  read(max: number): Uint8Array {
    if (!this.mode.read) throw E.BADF;
    const k = this.node.kind;
    if (k === 'null' || max <= 0) return EMPTY;
    const out = new Uint8Array(Math.min(max, MAX_READ));
    if (k === 'random' || k === 'urandom') this.node.host.randomFill(out);
    return out;
  }
  pread(max: number, _offset: bigint): Uint8Array {
    return this.read(max);
  }
  write(data: Uint8Array): number {
    if (!this.mode.write) throw E.BADF;
    if (this.node.kind === 'full') throw E.NOSPC;
    return data.length;
  }
  pwrite(data: Uint8Array, _offset: bigint): number {
    return this.write(data);
  }
  seek(_delta: bigint, whence: number): bigint {
    if (whence < 0 || whence > 2) throw E.INVAL;
    return 0n;
  }
  tell(): bigint {
    return 0n;
  }
  stat(): Filestat {
    return this.node.stat();
  }
  truncate(_size: bigint): void {
    throw E.INVAL;
  }
  setTimes(atim: bigint | 'now' | null, mtim: bigint | 'now' | null): void {
    applyTimes(this.req.cred, this.req.loc, atim, mtim);
  }
  sync(): void {}
  readdir(_cookie: bigint): DirEntry[] {
    throw E.NOTDIR;
  }
  allocate(_offset: bigint, _len: bigint): void {
    throw E.NODEV;
  }
  readable(): boolean {
    return true;
  }
  writable(): boolean {
    return true;
  }
  release(): void {}
  describe(): string {
    return this.req.loc.path;
  }
}

/** Default byte cap of files a guest creates under /dev (Docker mounts it with size=64m). */
export const DEV_SIZE_LIMIT = 64 * 1024 * 1024;

/**
 * Build a devfs instance. /dev is a writable tmpfs, as in podman; files a
 * guest creates there count against `opts.limit` (default DEV_SIZE_LIMIT)
 * and `opts.parentAccount`, so it can never fill host memory.
 */
export function createDevFs(host: Host, opts: { limit?: number; parentAccount?: SpaceAccount } = {}): TmpFs {
  const fs = new TmpFs(host, {
    fsType: 'devtmpfs', source: 'devtmpfs', mode: 0o755, limit: opts.limit ?? DEV_SIZE_LIMIT, parentAccount: opts.parentAccount,
  });
  const root = fs.root;
  for (const kind of ['null', 'zero', 'full', 'random', 'urandom'] as const) root.attach(kind, new DevNode(fs, kind, host));
  // fd/ is not a tmpfs node: pinned (tmpfs refuses to unlink or rename it), never charged.
  root.entries.set('fd', new FdDir(fs.sb, root, CALLER_FDS) as unknown as TmpNode);
  root.nlink++;
  for (const [i, name] of ['stdin', 'stdout', 'stderr'].entries()) root.attach(name, new TmpSymlink(fs, `fd/${i}`, 0, 0));
  return fs;
}
