/**
 * Mounts and locations. A mount attaches a filesystem's root (or, for a bind
 * of a subdirectory, any of its directories) on a directory of a parent
 * mount. A location (`Loc`) is a (mount, inode) pair: the VFS's name for
 * "this directory as reached in this mount tree", which is what `..` and
 * mount crossing need. `Loc` is the concrete `DirHandle`.
 */
import type { Inode } from './inode.js';
import type { FileSystem } from './superblock.js';
import type { DirHandle } from './types.js';

/** One mount in a mount tree. */
export class Mount {
  constructor(
    readonly fs: FileSystem,
    /** The directory this mount shows at its mountpoint. */
    readonly root: Inode,
    /** Mount-level read-only flag (EROFS on any modification). */
    readonly readonly: boolean,
    /** Parent mount, null for the namespace root mount. */
    readonly parent: Mount | null,
    /** Directory of `parent` covered by this mount. */
    readonly mountpoint: Inode | null,
    /** Absolute path of the mountpoint in its namespace (for /proc/mounts). */
    readonly path: string,
  ) {}

  /** True if nothing may be modified through this mount. */
  get isReadonly(): boolean {
    return this.readonly || this.fs.sb.readonly;
  }
}

/** A directory or file as reached through a mount: the concrete DirHandle. */
export class Loc implements DirHandle {
  readonly __dirHandle = true as const;
  private shown: string | null;
  constructor(
    readonly mnt: Mount,
    readonly inode: Inode,
    /** Absolute path, or the location and relative path it was reached by (joined on demand). */
    path: string | { base: Loc; rel: string } = '?',
    /**
     * WASI capability semantics for walks starting here (see walk.ts):
     * absolute paths, and `..` or symlinks leading above this directory, fail
     * with EPERM. Directories opened through such a handle inherit it.
     */
    readonly beneath = false,
  ) {
    if (typeof path === 'string') this.shown = path;
    else {
      this.shown = null;
      this.from = path;
    }
  }
  private from: { base: Loc; rel: string } | null = null;

  /** Best-known absolute path, for describe() and strace; informative only. */
  get path(): string {
    if (this.shown === null) {
      // Iteratively: a chain of relative opens can be arbitrarily long.
      const chain: Loc[] = [];
      for (let l: Loc = this; l.shown === null; l = l.from!.base) chain.push(l);
      for (let i = chain.length - 1; i >= 0; i--) {
        const l = chain[i];
        l.shown = displayPath(l.from!.base.shown!, l.from!.rel);
        l.from = null;
      }
    }
    return this.shown!;
  }
}

/**
 * The parent of a directory location: `..` semantics. At a mount's root it
 * crosses to the mountpoint's parent; at the namespace root it stays put.
 */
export function parentLoc(mnt: Mount, ino: Inode): Loc {
  while (ino === mnt.root) {
    if (mnt.parent === null || mnt.mountpoint === null) return new Loc(mnt, ino);
    ino = mnt.mountpoint;
    mnt = mnt.parent;
  }
  return new Loc(mnt, ino.parentDir());
}

/** Join and lexically normalise `base` and `rel` for display (never used for resolution). */
export function displayPath(base: string, rel: string): string {
  // Fast path: a plain relative name list under a clean base (the common case).
  // (Bases are Loc paths: displayPath results, hence clean. Reading `base`
  // would flatten a long concatenation, so it is not inspected.)
  if (rel.length > 0 && !/(^|\/)\.\.?(\/|$)|\/\/|^\/|\/$/.test(rel)) {
    return base === '/' ? `/${rel}` : `${base}/${rel}`;
  }
  const parts = (rel.startsWith('/') ? rel : `${base}/${rel}`).split('/');
  const out: string[] = [];
  for (const p of parts) {
    if (p === '' || p === '.') continue;
    if (p === '..') out.pop();
    else out.push(p);
  }
  return `/${out.join('/')}`;
}
