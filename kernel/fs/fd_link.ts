/**
 * Magic fd links and fd directories, shared by devfs (`/dev/fd`) and procfs
 * (`/proc/<pid>/fd`). An entry `N` is a symlink-looking inode whose
 * `magic(cred)` is the open file behind fd N of the task the directory
 * belongs to; its readlink shows that file's `describe()`. Both are kernfs
 * nodes (kernfs.ts) whose times are the clock's now.
 */
import { E } from '../errno.js';
import { FIRST_SEQ, type Inode, type InodeDirEntry } from '../vfs/inode.js';
import type { SuperBlock } from '../vfs/superblock.js';
import { type Credentials, FileType, type OpenFile } from '../vfs/types.js';
import { KernfsNode } from './kernfs.js';

/** Where an fd directory finds its task's fds. */
export interface FdSource {
  fd(cred: Credentials, n: number): OpenFile | undefined;
  list(cred: Credentials): readonly number[];
}

/** The calling task's own fds (`/dev/fd`, `/proc/self/fd`). */
export const CALLER_FDS: FdSource = {
  fd: (cred, n) => cred.fd?.(n),
  list: (cred) => cred.fdList?.() ?? [],
};

/** Parse a canonical decimal fd number, or -1. */
export function parseFd(name: string): number {
  if (!/^(0|[1-9][0-9]{0,8})$/.test(name)) return -1;
  return Number(name);
}

/** A magic link for fd `n`. */
export class FdLink extends KernfsNode {
  constructor(sb: SuperBlock, private readonly src: FdSource, readonly n: number, uid: number, gid: number, baseIno: bigint) {
    super({ sb }, FileType.SYMBOLIC_LINK, 0o700, uid, gid, baseIno + BigInt(n) + 1n);
  }
  magic(cred: Credentials): OpenFile | undefined {
    return this.src.fd(cred, this.n);
  }
  override readlink(cred: Credentials): string {
    const f = this.src.fd(cred, this.n);
    if (f === undefined) throw E.NOENT;
    return f.describe();
  }
  protected override statSize(): bigint {
    return 64n;
  }
}

/** A directory listing fds as magic links. */
export class FdDir extends KernfsNode {
  private readonly linkBase: bigint;

  constructor(sb: SuperBlock, private readonly parent: Inode, private readonly src: FdSource, uid = 0, gid = 0) {
    super({ sb }, FileType.DIRECTORY, 0o500, uid, gid);
    // Reserve a block of inode numbers for the links.
    this.linkBase = sb.nextIno() * 0x10000n;
  }
  override parentDir(): Inode {
    return this.parent;
  }
  override lookup(name: string, cred: Credentials): Inode | undefined {
    const n = parseFd(name);
    if (n < 0 || this.src.fd(cred, n) === undefined) return undefined;
    return new FdLink(this.sb, this.src, n, this.uid, this.gid, this.linkBase);
  }
  override readdir(after: number, max: number, cred: Credentials): InodeDirEntry[] {
    const out: InodeDirEntry[] = [];
    for (const n of this.src.list(cred)) {
      const seq = FIRST_SEQ + n;
      if (seq <= after) continue;
      if (out.length >= max) break;
      out.push({ name: String(n), ino: this.linkBase + BigInt(n) + 1n, type: FileType.SYMBOLIC_LINK, seq });
    }
    return out;
  }
}
