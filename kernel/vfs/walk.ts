/**
 * Path walk. Resolves a path inside one mount tree, component by component:
 * symlinks are expanded in place (ELOOP after 40), absolute paths and
 * absolute symlink targets start at the namespace root, `..` goes up through
 * mounts and stays at the namespace root, and a mountpoint is crossed into
 * the mounted root. Nothing here can reach outside the tree, because every
 * step is a lookup in a directory of the tree.
 *
 * Rules (as Linux): empty path → NOENT; a NUL byte → INVAL; a component over
 * 255 bytes or a path over 4095 bytes → NAMETOOLONG; a non-directory in the
 * middle → NOTDIR; a trailing slash makes the last component follow
 * symlinks and need to be a directory; search (x) permission on every
 * directory walked through.
 *
 * Capability mode (a start `Loc` with `beneath`, for WASI preopens and the
 * directories opened through them): an absolute path, a `..` above the
 * start, or an absolute symlink target fails with EPERM, as the WASI
 * path-resolution rules say; when the start is the namespace root itself,
 * absolute symlink targets are allowed and `..` stays at the root (neither
 * can leave it), so image symlinks such as `/lib -> /usr/lib` keep working.
 */
import { E } from '../errno.js';
import type { Inode } from './inode.js';
import { Loc, type Mount, parentLoc } from './mount.js';
import { MAY_EXEC, permits } from './perm.js';
import { type Credentials, FileType } from './types.js';

/** Symlinks followed in one walk before ELOOP (Linux's MAXSYMLINKS). */
export const MAX_SYMLINKS = 40;
/** Longest path accepted, in bytes (PATH_MAX minus the NUL). */
export const PATH_MAX = 4095;
/** Longest name accepted, in bytes. */
export const NAME_MAX = 255;

/** What the walk needs from a mount namespace. */
export interface MountTable {
  /** The namespace root. */
  readonly rootLoc: Loc;
  /** The mount stacked on `ino` as reached through `parent`, if any (topmost). */
  mountedOn(parent: Mount, ino: Inode): Mount | undefined;
}

/** Result of a walk that stops before the last component (create, remove, rename). */
export interface ParentWalk {
  /** Directory that holds (or would hold) the last component. */
  dir: Loc;
  /** Last component: a name, or `.`/`..` (then `child` is that directory). */
  name: string;
  /** What the name is now (a final symlink is not followed unless asked), or null. */
  child: Loc | null;
  /** True if the name is a mountpoint (child is the mounted root). */
  mounted: boolean;
  /** The path ended with a slash. */
  slash: boolean;
}

/** UTF-8 length of `s` in bytes. */
export function utf8Length(s: string): number {
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x80) n += 1;
    else if (c < 0x800) n += 2;
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length) {
      n += 4;
      i++;
    } else n += 3;
  }
  return n;
}

/** Validate a whole path string (NOENT, INVAL, NAMETOOLONG). */
export function checkPath(path: string): void {
  if (path.length === 0) throw E.NOENT;
  if (path.indexOf('\0') !== -1) throw E.INVAL;
  if (path.length > PATH_MAX / 3 && utf8Length(path) > PATH_MAX) throw E.NAMETOOLONG;
}

function checkName(name: string): void {
  if (name.length > NAME_MAX / 3 && utf8Length(name) > NAME_MAX) throw E.NAMETOOLONG;
}

/** Push the components of `p` onto `stack` in reverse; returns true if `p` ends with '/'. */
function pushPath(stack: string[], p: string): boolean {
  if (p.indexOf('/') === -1) {
    stack.push(p);
    return false;
  }
  const parts = p.split('/');
  for (let i = parts.length - 1; i >= 0; i--) if (parts[i] !== '') stack.push(parts[i]);
  return parts.length > 1 && parts[parts.length - 1] === '';
}

/**
 * One walk in progress. `mnt`/`ino` is the current directory; `stack` holds
 * the components still to resolve, last on top.
 */
class Walk {
  mnt: Mount;
  ino: Inode;
  readonly stack: string[] = [];
  links = 0;
  slash: boolean;
  /** Capability mode (Loc.beneath): directories below the start; -1 when not tracked. */
  depth: number;
  /** In capability mode, the start is the namespace root (absolute symlinks stay beneath it). */
  private readonly startIsRoot: boolean;

  constructor(readonly table: MountTable, readonly cred: Credentials, start: Loc, path: string) {
    checkPath(path);
    this.depth = start.beneath ? 0 : -1;
    this.startIsRoot = start.mnt === table.rootLoc.mnt && start.inode === table.rootLoc.inode;
    if (path.charCodeAt(0) === 47) {
      if (this.depth >= 0) throw E.PERM;
      this.mnt = table.rootLoc.mnt;
      this.ino = table.rootLoc.inode;
    } else {
      this.mnt = start.mnt;
      this.ino = start.inode;
    }
    this.slash = pushPath(this.stack, path);
  }

  /** Moved into a child directory (or any non-`..` step that lands lower). */
  down(): void {
    if (this.depth >= 0) this.depth++;
  }

  /** Check the current inode is a searchable directory. */
  enterable(): void {
    if (this.ino.type !== FileType.DIRECTORY) throw E.NOTDIR;
    if (!permits(this.cred, this.ino, MAY_EXEC)) throw E.ACCES;
  }

  up(): void {
    if (this.depth > 0) this.depth--;
    // Above the start: EPERM, except at the namespace root, where `..` stays
    // put as on Linux (nothing is above it; image links such as
    // `usr/lib/x -> ../../../lib/x` climb past it).
    else if (this.depth === 0 && !this.startIsRoot) throw E.PERM;
    const p = parentLoc(this.mnt, this.ino);
    this.mnt = p.mnt;
    this.ino = p.inode;
  }

  /** Expand symlink `link` found in the current directory in place of a component. */
  expand(link: Inode, last: boolean): void {
    if (++this.links > MAX_SYMLINKS) throw E.LOOP;
    const target = link.readlink(this.cred);
    if (target.length === 0) throw E.NOENT;
    if (target.charCodeAt(0) === 47) {
      if (this.depth >= 0) {
        if (!this.startIsRoot) throw E.PERM;
        this.depth = 0;
      }
      this.mnt = this.table.rootLoc.mnt;
      this.ino = this.table.rootLoc.inode;
    }
    if (pushPath(this.stack, target) && last) this.slash = true;
  }

  /** Continue the walk in the directory an fd magic link (`/dev/fd/3/...`) stands for. */
  enterMagic(link: Inode): void {
    if (++this.links > MAX_SYMLINKS) throw E.LOOP;
    const f = link.magic!(this.cred);
    if (f === undefined) throw E.NOENT;
    const d = f.dir;
    if (!(d instanceof Loc)) throw E.NOTDIR;
    if (this.depth >= 0) {
      if (!this.startIsRoot) throw E.PERM;
      this.depth = 1 << 30;
    }
    this.mnt = d.mnt;
    this.ino = d.inode;
  }

  /** Cross into a mount stacked on `child`, if any; returns the mount to use. */
  /** Step into `child` (a directory or file of the current one), crossing any mount on it. */
  descend(child: Inode): void {
    const crossed = this.cross(child);
    if (crossed !== null) {
      this.mnt = crossed[0];
      this.ino = crossed[1];
    } else this.ino = child;
    this.down();
  }

  cross(child: Inode): [Mount, Inode] | null {
    let m = this.table.mountedOn(this.mnt, child);
    if (m === undefined) return null;
    for (;;) {
      const above = this.table.mountedOn(m, m.root);
      if (above === undefined) return [m, m.root];
      m = above;
    }
  }
}

/** Resolve `path` from `start` to a location; `follow` says whether a final symlink is followed. */
export function walkFull(table: MountTable, cred: Credentials, start: Loc, path: string, follow: boolean): Loc {
  const w = new Walk(table, cred, start, path);
  const stack = w.stack;
  while (stack.length > 0) {
    const name = stack.pop()!;
    w.enterable();
    if (name === '.') continue;
    if (name === '..') {
      w.up();
      continue;
    }
    checkName(name);
    const child = w.ino.lookup(name, cred);
    if (child === undefined) throw E.NOENT;
    const last = stack.length === 0;
    if (child.magic !== undefined && !last) {
      w.enterMagic(child);
      continue;
    }
    if (child.type === FileType.SYMBOLIC_LINK && child.magic === undefined && (!last || follow || w.slash)) {
      w.expand(child, last);
      continue;
    }
    w.descend(child);
  }
  if (w.slash && w.ino.type !== FileType.DIRECTORY) throw E.NOTDIR;
  return new Loc(w.mnt, w.ino);
}

/**
 * Resolve all but the last component of `path`, then look the last one up.
 * With `followFinal`, a final symlink is expanded and the walk goes on with
 * its target's last component (so O_CREAT through a dangling link creates
 * the target, as Linux does).
 */
export function walkParent(table: MountTable, cred: Credentials, start: Loc, path: string, followFinal: boolean): ParentWalk {
  const w = new Walk(table, cred, start, path);
  const stack = w.stack;
  if (stack.length === 0) {
    // "/" or "//": the root itself.
    const root = new Loc(w.mnt, w.ino);
    return { dir: root, name: '.', child: root, mounted: false, slash: w.slash };
  }
  for (;;) {
    const name = stack.pop()!;
    w.enterable();
    const last = stack.length === 0;
    if (name === '.') {
      if (last) {
        const here = new Loc(w.mnt, w.ino);
        return { dir: here, name, child: here, mounted: false, slash: w.slash };
      }
      continue;
    }
    if (name === '..') {
      const dir = new Loc(w.mnt, w.ino);
      w.up();
      if (last) return { dir, name, child: new Loc(w.mnt, w.ino), mounted: false, slash: w.slash };
      continue;
    }
    checkName(name);
    const child = w.ino.lookup(name, cred);
    if (last) {
      // A trailing slash on the last component stops here (O_CREAT then fails with EISDIR, as Linux).
      if (child !== undefined && child.type === FileType.SYMBOLIC_LINK && child.magic === undefined && followFinal && !w.slash) {
        w.expand(child, true);
        if (stack.length === 0) {
          const here = new Loc(w.mnt, w.ino);
          return { dir: here, name: '.', child: here, mounted: false, slash: w.slash };
        }
        continue;
      }
      const dir = new Loc(w.mnt, w.ino);
      if (child === undefined) return { dir, name, child: null, mounted: false, slash: w.slash };
      const crossed = w.cross(child);
      if (crossed !== null) return { dir, name, child: new Loc(crossed[0], crossed[1]), mounted: true, slash: w.slash };
      return { dir, name, child: new Loc(w.mnt, child), mounted: false, slash: w.slash };
    }
    if (child === undefined) throw E.NOENT;
    if (child.magic !== undefined) {
      w.enterMagic(child);
      continue;
    }
    if (child.type === FileType.SYMBOLIC_LINK) {
      w.expand(child, false);
      continue;
    }
    w.descend(child);
  }
}
