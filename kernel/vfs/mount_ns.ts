/**
 * A mount namespace: a tree of mounts with one root, the `PathOps` that
 * resolve paths inside it, and the listing /proc/mounts shows. Each
 * container (and, after `clone`, each task that unshares) has its own.
 */
import { E } from '../errno.js';
import { type Inode, isDir } from './inode.js';
import { displayPath, Loc, Mount } from './mount.js';
import { VfsPathOps } from './vfs_path_ops.js';
import type { FileSystem } from './superblock.js';
import { type Credentials, type DirHandle, OFlags, type PathOps } from './types.js';
import { type MountTable, walkFull } from './walk.js';

/** Options of `MountNamespace.mount`. */
export interface MountOptions {
  /** Mount read-only: EROFS on any modification through it. */
  readonly?: boolean;
  /** Create the mountpoint (and missing parents) if it does not exist. */
  mkdirs?: boolean;
}

/** One line of /proc/mounts. */
export interface MountInfo {
  source: string;
  target: string;
  fsType: string;
  options: string;
}

const ROOT_CRED: Credentials = { uid: 0, gid: 0 };

/** A mount tree with its path operations. */
export class MountNamespace implements MountTable {
  readonly rootLoc: Loc;
  /** Path operations resolved inside this namespace. */
  readonly pathOps: PathOps;
  private readonly byPoint = new Map<Inode, Mount[]>();
  private readonly list: Mount[] = [];

  constructor(rootFs: FileSystem, opts: { readonly?: boolean; root?: Inode } = {}) {
    const m = new Mount(rootFs, opts.root ?? rootFs.root, opts.readonly === true, null, null, '/');
    this.list.push(m);
    this.rootLoc = new Loc(m, m.root, '/');
    this.pathOps = new VfsPathOps(this);
  }

  /** The mount stacked on `ino` as reached through `parent` (MountTable). */
  mountedOn(parent: Mount, ino: Inode): Mount | undefined {
    if (this.byPoint.size === 0) return undefined;
    const ms = this.byPoint.get(ino);
    if (ms === undefined) return undefined;
    for (let i = ms.length - 1; i >= 0; i--) if (ms[i].parent === parent) return ms[i];
    return undefined;
  }

  /** Mount `fs` (or its directory `root`) on the directory at absolute `path`. */
  mount(path: string, fs: FileSystem, opts: MountOptions & { root?: Inode } = {}): Mount {
    const root = opts.root ?? fs.root;
    const at = this.mountpointAt(path, opts.mkdirs === true, isDir(root));
    const target = displayPath('/', path);
    const m = new Mount(fs, root, opts.readonly === true, at.mnt, at.inode, target);
    this.attach(m);
    return m;
  }

  /** Bind mount: show the directory (or file) at `srcPath` of this namespace also at `dstPath`. */
  bind(srcPath: string, dstPath: string, opts: MountOptions = {}): Mount {
    const src = walkFull(this, ROOT_CRED, this.rootLoc, srcPath, true);
    return this.mount(dstPath, src.mnt.fs, { ...opts, root: src.inode });
  }

  /** Unmount the topmost mount at `path` (EBUSY if something is mounted below it, EINVAL if none). */
  umount(path: string): void {
    const loc = walkFull(this, ROOT_CRED, this.rootLoc, path, true);
    const m = loc.mnt;
    if (loc.inode !== m.root || m.parent === null || m.mountpoint === null) throw E.INVAL;
    if (this.list.some((x) => x.parent === m)) throw E.BUSY;
    const ms = this.byPoint.get(m.mountpoint)!;
    ms.splice(ms.indexOf(m), 1);
    if (ms.length === 0) this.byPoint.delete(m.mountpoint);
    this.list.splice(this.list.indexOf(m), 1);
  }

  /**
   * Handle of the namespace root, for the preopen of `/`. With `beneath`,
   * walks from it follow WASI capability rules (see walk.ts).
   */
  rootHandle(opts: { beneath?: boolean } = {}): DirHandle {
    return opts.beneath === true ? new Loc(this.rootLoc.mnt, this.rootLoc.inode, '/', true) : this.rootLoc;
  }

  /** Handle of the directory at `path` (absolute, or relative to the root), for preopens. */
  openDirHandle(cred: Credentials, path: string, opts: { beneath?: boolean } = {}): DirHandle {
    const loc = walkFull(this, cred, this.rootLoc, path, true);
    if (!isDir(loc.inode)) throw E.NOTDIR;
    return new Loc(loc.mnt, loc.inode, displayPath('/', path), opts.beneath === true);
  }

  /** Every mount, parents first, as /proc/mounts lists them. */
  mounts(): MountInfo[] {
    return this.list.map((m) => ({
      source: m.fs.source,
      target: m.path,
      fsType: m.fs.sb.fsType,
      options: m.isReadonly ? 'ro' : 'rw',
    }));
  }

  /**
   * A copy of this namespace (CLONE_NEWNS): same filesystems, new mount
   * objects, so later mounts in either do not show in the other. Handles of
   * this namespace stay valid in it; use `translate` to move one across.
   */
  clone(): MountNamespace {
    const root = this.list[0];
    const ns = new MountNamespace(root.fs, { readonly: root.readonly, root: root.root });
    const map = new Map<Mount, Mount>([[root, ns.list[0]]]);
    for (const m of this.list.slice(1)) {
      const parent = map.get(m.parent!)!;
      const nm = new Mount(m.fs, m.root, m.readonly, parent, m.mountpoint, m.path);
      map.set(m, nm);
      ns.attach(nm);
    }
    ns.cloneMap = map;
    return ns;
  }

  private cloneMap: Map<Mount, Mount> | null = null;

  /** The handle in this (cloned) namespace for `h`, a handle of the namespace it was cloned from. */
  translate(h: DirHandle): DirHandle {
    const loc = h as Loc;
    const m = this.cloneMap?.get(loc.mnt);
    return m === undefined ? h : new Loc(m, loc.inode, loc.path, loc.beneath);
  }

  private attach(m: Mount): void {
    const key = m.mountpoint!;
    const ms = this.byPoint.get(key);
    if (ms === undefined) this.byPoint.set(key, [m]);
    else ms.push(m);
    this.list.push(m);
  }

  /**
   * The mountpoint at `path`: a directory for a directory root, a
   * non-directory for a file root (a bind of one file), as Linux requires.
   * With `mkdirs`, missing parents are created, and the mountpoint itself
   * (an empty file for a file root).
   */
  private mountpointAt(path: string, mkdirs: boolean, dirRoot: boolean): Loc {
    if (!path.startsWith('/')) throw E.INVAL;
    if (mkdirs) {
      const parts = path.split('/').filter((p) => p !== '');
      let cur = '';
      for (const [i, part] of parts.entries()) {
        cur += `/${part}`;
        try {
          if (dirRoot || i < parts.length - 1) this.pathOps.mkdir(ROOT_CRED, this.rootLoc, cur, 0o755);
          else {
            const f = this.pathOps.open(ROOT_CRED, this.rootLoc, cur, {
              oflags: OFlags.CREAT | OFlags.EXCL, fdflags: 0, followSymlinks: false, mode: { read: false, write: true },
            });
            f.release();
          }
        } catch (e) {
          if (e !== E.EXIST) throw e;
        }
      }
    }
    const loc = walkFull(this, ROOT_CRED, this.rootLoc, path, true);
    if (dirRoot && !isDir(loc.inode)) throw E.NOTDIR;
    if (!dirRoot && isDir(loc.inode)) throw E.ISDIR;
    return loc;
  }
}
