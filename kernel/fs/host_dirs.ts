/**
 * Host directory handles for hostfs and the `--rootfs` host layer: a
 * bounded LRU of open directory handles (a guest can create 100k
 * directories; host fds are never held without bound), and the walk that
 * re-opens an evicted directory from its nearest open ancestor one name at a
 * time (O_DIRECTORY | O_NOFOLLOW through `HostFs.openDirAt`), checking at
 * every step that the host directory is the one recorded (dev, ino); a
 * mismatch (the directory was replaced, or is now a symlink) is ENOENT.
 * The walk is iterative: depth can be in the tens of thousands.
 */
import { E } from '../errno.js';
import type { HostFs } from '../host.js';

/** A directory as the walk knows it: where it was seen and what it was. */
export interface HostDirNode {
  readonly parent: HostDirNode | null;
  readonly name: string;
  readonly dev: bigint;
  readonly ino: bigint;
}

/** Open directory handles this many at most per mount (plus the root's). */
export const DIR_HANDLES = 64;

/** True if `name` is one host path component hostfs may pass to the host. */
export function isPlainName(name: string): boolean {
  return name !== '' && name !== '.' && name !== '..' && !name.includes('/') && !name.includes('\0');
}

/** Throw EINVAL unless `name` is a plain component (belt and braces: the VFS never sends others). */
export function checkName(name: string): string {
  if (!isPlainName(name)) throw E.INVAL;
  return name;
}

/** The bounded handle cache of one mount; the root handle is pinned. */
export class HostDirCache {
  private readonly lru = new Map<HostDirNode, number>();
  private closed = false;

  constructor(private readonly host: HostFs, readonly root: HostDirNode, readonly rootHandle: number, private readonly cap = DIR_HANDLES) {}

  /** An open handle of directory `node` (valid until the next `handle` call evicts it; use it at once); EIO once closed. */
  handle(node: HostDirNode): number {
    if (this.closed) throw E.IO;
    if (node === this.root) return this.rootHandle;
    const hit = this.lru.get(node);
    if (hit !== undefined) {
      this.lru.delete(node);
      this.lru.set(node, hit);
      return hit;
    }
    // Nearest ancestor with an open handle, then down one name at a time.
    const chain: HostDirNode[] = [];
    let n: HostDirNode | null = node;
    let fd = -1;
    while (n !== null) {
      if (n === this.root) {
        fd = this.rootHandle;
        break;
      }
      const h = this.lru.get(n);
      if (h !== undefined) {
        fd = h;
        break;
      }
      chain.push(n);
      n = n.parent;
    }
    if (n === null) throw E.NOENT; // detached from the mount's root
    let owned = false;
    for (let i = chain.length - 1; i >= 0; i--) {
      const c = chain[i]!;
      let next: number;
      try {
        next = this.host.openDirAt(fd, checkName(c.name));
      } catch (e) {
        if (owned) this.host.close(fd);
        throw e === E.NOTDIR || e === E.LOOP ? E.NOENT : e;
      }
      if (owned) this.host.close(fd);
      fd = next;
      owned = true;
      const st = this.host.fstat(fd);
      if (st.kind !== 'dir' || st.dev !== c.dev || st.ino !== c.ino) {
        this.host.close(fd);
        throw E.NOENT;
      }
    }
    this.lru.set(node, fd);
    if (this.lru.size > this.cap) {
      const [old, ofd] = this.lru.entries().next().value as [HostDirNode, number];
      this.lru.delete(old);
      this.host.close(ofd);
    }
    return fd;
  }

  /** Close `node`'s handle if one is open (the directory was removed). */
  forget(node: HostDirNode): void {
    const h = this.lru.get(node);
    if (h === undefined) return;
    this.lru.delete(node);
    this.host.close(h);
  }

  /**
   * Close every handle, the root's too (the mount or layer is gone). Later
   * calls fail with EIO: a closed handle number may already name another
   * host file, so it is never used again.
   */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const h of this.lru.values()) this.host.close(h);
    this.lru.clear();
    this.host.close(this.rootHandle);
  }

  /** Number of open handles, the root's excluded (for tests). */
  get open(): number {
    return this.lru.size;
  }
}
