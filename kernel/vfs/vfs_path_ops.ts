/**
 * `PathOps` over a mount table: the POSIX semantics of each path call.
 * Order of checks follows Linux where tests can tell (existence before
 * EROFS for creation, type errors before permission...). Filesystems are
 * called only once a call is known valid, except for what only they know
 * (ENOTEMPTY, ENOSPC).
 */
import { E } from '../errno.js';
import { type Inode, isDir } from './inode.js';
import { DirDescription, applyTimes } from './file_description.js';
import { Loc } from './mount.js';
import { checkPerm, checkSticky, MAY_EXEC, MAY_READ, MAY_WRITE } from './perm.js';
import {
  type Credentials,
  type DirHandle,
  type Filestat,
  FileType,
  OFlags,
  type OpenFile,
  type OpenOptions,
  type PathOps,
} from './types.js';
import { reopen } from './reopen.js';
import { checkPath, type MountTable, type ParentWalk, walkFull, walkParent } from './walk.js';

/** Default mode of files created through path_open (WASI passes none). */
export const DEFAULT_FILE_MODE = 0o644;
/** Default mode of directories created through path_create_directory. */
export const DEFAULT_DIR_MODE = 0o755;

function asLoc(h: DirHandle): Loc {
  if (!(h instanceof Loc)) throw E.BADF;
  return h;
}

function isDotName(name: string): boolean {
  return name === '.' || name === '..';
}

/** True if directory `d` is `anc` or lies below it (same filesystem, by parent links). */
function isWithin(d: Inode, anc: Inode): boolean {
  for (;;) {
    if (d === anc) return true;
    const up = d.parentDir();
    if (up === d) return false;
    d = up;
  }
}

/** The directory `p.dir` must accept a new or removed entry: EROFS, then w+x. */
function checkDirWritable(cred: Credentials, dir: Loc): void {
  if (dir.mnt.isReadonly) throw E.ROFS;
  checkPerm(cred, dir.inode, MAY_WRITE | MAY_EXEC);
}

/** PathOps implementation over one mount table. */
export class VfsPathOps implements PathOps {
  constructor(private readonly table: MountTable) {}

  open(cred: Credentials, dir: DirHandle, path: string, opts: OpenOptions): OpenFile {
    const start = asLoc(dir);
    const { oflags } = opts;
    let loc: Loc;
    let created = false;
    if ((oflags & OFlags.CREAT) !== 0) {
      const excl = (oflags & OFlags.EXCL) !== 0;
      const p = walkParent(this.table, cred, start, path, opts.followSymlinks && !excl);
      if (p.slash) throw E.ISDIR;
      if (p.child !== null) {
        if (excl) throw E.EXIST;
        // Linux: O_CREAT on an existing directory is EISDIR, whatever the access mode.
        if (p.child.inode.type === FileType.DIRECTORY && (oflags & OFlags.DIRECTORY) === 0) throw E.ISDIR;
        loc = p.child;
      } else {
        checkDirWritable(cred, p.dir);
        if ((oflags & OFlags.DIRECTORY) !== 0) throw E.NOENT;
        const ino = p.dir.inode.create(p.name, DEFAULT_FILE_MODE, cred);
        loc = new Loc(p.dir.mnt, ino);
        created = true;
      }
    } else {
      loc = walkFull(this.table, cred, start, path, opts.followSymlinks);
    }
    const ino = loc.inode;
    if (ino.magic !== undefined && opts.followSymlinks) {
      const target = ino.magic(cred);
      if (target === undefined) throw E.NOENT;
      return reopen(cred, target, opts);
    }
    if (ino.type === FileType.SYMBOLIC_LINK) throw (oflags & OFlags.DIRECTORY) !== 0 ? E.NOTDIR : E.LOOP;
    if ((oflags & OFlags.DIRECTORY) !== 0 && ino.type !== FileType.DIRECTORY) throw E.NOTDIR;
    const trunc = (oflags & OFlags.TRUNC) !== 0;
    const writing = opts.mode.write || trunc;
    if (ino.type === FileType.DIRECTORY) {
      if (writing) throw E.ISDIR;
      if (opts.mode.read) checkPerm(cred, ino, MAY_READ);
      const dloc = new Loc(loc.mnt, ino, { base: start, rel: path }, start.beneath);
      return new DirDescription({ mode: opts.mode, fdflags: opts.fdflags, cred, loc: dloc });
    }
    if (!created) {
      checkPerm(cred, ino, (opts.mode.read ? MAY_READ : 0) | (writing ? MAY_WRITE : 0));
    }
    const isData = ino.type === FileType.REGULAR_FILE;
    if (writing && isData && loc.mnt.isReadonly) throw E.ROFS;
    const req = { mode: opts.mode, fdflags: opts.fdflags, cred, loc: new Loc(loc.mnt, ino, { base: start, rel: path }) };
    const file = ino.open(req);
    if (trunc && isData && !created) {
      try {
        ino.truncate(0);
      } catch (e) {
        file.release();
        throw e;
      }
    }
    return file;
  }

  stat(cred: Credentials, dir: DirHandle, path: string, follow: boolean): Filestat {
    const ino = walkFull(this.table, cred, asLoc(dir), path, follow).inode;
    if (ino.magic !== undefined && follow) {
      const f = ino.magic(cred);
      if (f === undefined) throw E.NOENT;
      return f.stat();
    }
    return ino.stat();
  }

  setTimes(cred: Credentials, dir: DirHandle, path: string, follow: boolean,
    atim: bigint | 'now' | null, mtim: bigint | 'now' | null): void {
    const loc = walkFull(this.table, cred, asLoc(dir), path, follow);
    applyTimes(cred, loc, atim, mtim);
  }

  mkdir(cred: Credentials, dir: DirHandle, path: string, mode: number): void {
    const p = walkParent(this.table, cred, asLoc(dir), path, false);
    if (p.child !== null) throw E.EXIST;
    checkDirWritable(cred, p.dir);
    p.dir.inode.mkdir(p.name, mode & 0o7777, cred);
  }

  rmdir(cred: Credentials, dir: DirHandle, path: string): void {
    // Linux's order: . / .., EROFS, ENOENT, EACCES, sticky, ENOTDIR, EBUSY, ENOTEMPTY.
    const p = walkParent(this.table, cred, asLoc(dir), path, false);
    if (p.name === '.') throw E.INVAL;
    if (p.name === '..') throw E.NOTEMPTY;
    if (p.dir.mnt.isReadonly) throw E.ROFS;
    const child = this.existing(p);
    checkDirWritable(cred, p.dir);
    checkSticky(cred, p.dir.inode, child);
    if (child.type !== FileType.DIRECTORY) throw E.NOTDIR;
    if (p.mounted) throw E.BUSY;
    p.dir.inode.rmdir(p.name);
  }

  unlink(cred: Credentials, dir: DirHandle, path: string): void {
    // Linux's order: . / .. (EISDIR), EROFS, trailing slash, ENOENT, EACCES, sticky, EISDIR.
    const p = walkParent(this.table, cred, asLoc(dir), path, false);
    if (isDotName(p.name)) throw E.ISDIR;
    if (p.dir.mnt.isReadonly) throw E.ROFS;
    const child = this.existing(p);
    if (p.slash) throw child.type === FileType.DIRECTORY ? E.ISDIR : E.NOTDIR;
    checkDirWritable(cred, p.dir);
    checkSticky(cred, p.dir.inode, child);
    if (child.type === FileType.DIRECTORY) throw E.ISDIR;
    if (p.mounted) throw E.BUSY;
    p.dir.inode.unlink(p.name);
  }

  rename(cred: Credentials, oldDir: DirHandle, oldPath: string, newDir: DirHandle, newPath: string): void {
    // Linux's order: EXDEV, . / .. (EBUSY), EROFS, ENOENT, ENOTDIR (slash),
    // EINVAL (into itself), ENOTEMPTY (onto an ancestor), same file, EACCES,
    // sticky, ENOTDIR / EISDIR, EBUSY (mountpoints), then the filesystem.
    const a = walkParent(this.table, cred, asLoc(oldDir), oldPath, false);
    const b = walkParent(this.table, cred, asLoc(newDir), newPath, false);
    if (a.dir.mnt !== b.dir.mnt) throw E.XDEV;
    if (isDotName(a.name) || isDotName(b.name)) throw E.BUSY;
    if (a.dir.mnt.isReadonly) throw E.ROFS;
    const src = this.existing(a);
    const srcIsDir = src.type === FileType.DIRECTORY;
    if (!srcIsDir && (a.slash || b.slash)) throw E.NOTDIR;
    if (srcIsDir && isWithin(b.dir.inode, src)) throw E.INVAL;
    const dst = b.child?.inode;
    if (dst !== undefined) {
      if (dst.type === FileType.DIRECTORY && isWithin(a.dir.inode, dst)) throw E.NOTEMPTY;
      // Two names of one file: POSIX says do nothing.
      if (dst === src || (dst.sb === src.sb && dst.ino === src.ino)) return;
    }
    checkPerm(cred, a.dir.inode, MAY_WRITE | MAY_EXEC);
    checkPerm(cred, b.dir.inode, MAY_WRITE | MAY_EXEC);
    if (srcIsDir && a.dir.inode !== b.dir.inode) checkPerm(cred, src, MAY_WRITE);
    checkSticky(cred, a.dir.inode, src);
    if (dst !== undefined) {
      checkSticky(cred, b.dir.inode, dst);
      const dstIsDir = dst.type === FileType.DIRECTORY;
      if (srcIsDir && !dstIsDir) throw E.NOTDIR;
      if (!srcIsDir && dstIsDir) throw E.ISDIR;
      if (b.mounted) throw E.BUSY;
    }
    if (a.mounted) throw E.BUSY;
    a.dir.inode.rename(a.name, b.dir.inode, b.name);
  }

  link(cred: Credentials, oldDir: DirHandle, oldPath: string, follow: boolean, newDir: DirHandle, newPath: string): void {
    const src = walkFull(this.table, cred, asLoc(oldDir), oldPath, follow);
    const b = walkParent(this.table, cred, asLoc(newDir), newPath, false);
    // Linux's order: EEXIST, ENOENT (trailing slash), EROFS, EXDEV, EACCES, EPERM.
    if (b.child !== null) throw E.EXIST;
    if (b.slash) throw E.NOENT;
    if (b.dir.mnt.isReadonly) throw E.ROFS;
    if (src.mnt !== b.dir.mnt) throw E.XDEV;
    checkDirWritable(cred, b.dir);
    if (isDir(src.inode)) throw E.PERM;
    b.dir.inode.link(b.name, src.inode);
  }

  symlink(cred: Credentials, target: string, dir: DirHandle, path: string): void {
    checkPath(target);
    const start = asLoc(dir);
    // A capability handle below the root can never follow an absolute link
    // (EPERM in the walk), so it cannot make one either, as WASI hosts refuse.
    const root = this.table.rootLoc;
    if (target.charCodeAt(0) === 47 && start.beneath && (start.mnt !== root.mnt || start.inode !== root.inode)) throw E.PERM;
    const p = walkParent(this.table, cred, start, path, false);
    if (p.child !== null) throw E.EXIST;
    if (p.slash) throw E.NOENT;
    checkDirWritable(cred, p.dir);
    p.dir.inode.symlink(p.name, target, cred);
  }

  readlink(cred: Credentials, dir: DirHandle, path: string): string {
    const ino = walkFull(this.table, cred, asLoc(dir), path, false).inode;
    if (ino.type !== FileType.SYMBOLIC_LINK) throw E.INVAL;
    return ino.readlink(cred);
  }

  private existing(p: ParentWalk): Inode {
    if (p.child === null) throw E.NOENT;
    return p.child.inode;
  }
}
