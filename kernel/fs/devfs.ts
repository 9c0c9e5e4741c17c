/**
 * devfs: `/dev` as a tmpfs (so programs may add files, as with devtmpfs)
 * holding the character devices null, zero, full, random and urandom, the
 * `fd/` directory of the caller's fds (magic links) and the stdin, stdout
 * and stderr links to `fd/0..2`. Devices never block. The root stays a
 * tmpfs (as devtmpfs is); its synthetic entries (`fd/`) are kernfs nodes
 * and its open devices DefaultFiles.
 */
import { E } from '../errno.js';
import type { Host } from '../host.js';
import type { OpenRequest } from '../vfs/inode.js';
import { DefaultFile } from '../vfs/default_file.js';
import { applyTimes } from '../vfs/file_description.js';
import { type Filestat, FileType, type OpenFile, type OpenMode } from '../vfs/types.js';
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

/** An open device (the rest of its behaviour is DefaultFile's). */
export class DeviceFile extends DefaultFile {
  readonly filetype = FileType.CHARACTER_DEVICE;
  fdflags: number;
  readonly mode: OpenMode;

  constructor(private readonly node: DevNode, private readonly req: OpenRequest) {
    super();
    this.fdflags = req.fdflags;
    this.mode = req.mode;
  }
  override read(max: number): Uint8Array {
    if (!this.mode.read) throw E.BADF;
    const k = this.node.kind;
    if (k === 'null' || max <= 0) return EMPTY;
    const out = new Uint8Array(Math.min(max, MAX_READ));
    if (k === 'random' || k === 'urandom') this.node.host.randomFill(out);
    return out;
  }
  override pread(max: number, _offset: bigint): Uint8Array {
    return this.read(max);
  }
  override write(data: Uint8Array): number {
    if (!this.mode.write) throw E.BADF;
    if (this.node.kind === 'full') throw E.NOSPC;
    return data.length;
  }
  override pwrite(data: Uint8Array, _offset: bigint): number {
    return this.write(data);
  }
  override seek(_delta: bigint, whence: number): bigint {
    if (whence < 0 || whence > 2) throw E.INVAL;
    return 0n;
  }
  override tell(): bigint {
    return 0n;
  }
  stat(): Filestat {
    return this.node.stat();
  }
  override setTimes(atim: bigint | 'now' | null, mtim: bigint | 'now' | null): void {
    applyTimes(this.req.cred, this.req.loc, atim, mtim);
  }
  override sync(): void {}
  override allocate(_offset: bigint, _len: bigint): void {
    throw E.NODEV;
  }
  override readable(): boolean {
    return true;
  }
  override writable(): boolean {
    return true;
  }
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
