/**
 * The inode: what every filesystem implements, and the only thing the VFS
 * (path walk, PathOps, file descriptions) knows about a filesystem. In the
 * memfs / gVisor split: the inode is the file (node), directory entries
 * belong to directory inodes (links), the superblock is the filesystem
 * instance, and open file descriptions live in file_description.ts.
 *
 * The VFS checks types, permissions, EROFS and EXDEV before calling a
 * mutating method, so filesystems only check what only they can know
 * (ENOTEMPTY, ENOSPC, a removed directory) and may assume the rest.
 */
import { E } from '../errno.js';
import type { Loc } from './mount.js';
import type { SuperBlock } from './superblock.js';
import { type Credentials, type Filestat, FileType, type FileTypeValue, type OpenFile, type OpenMode } from './types.js';

/** One directory entry as a filesystem lists it (`.` and `..` are added by the VFS). */
export interface InodeDirEntry {
  name: string;
  ino: bigint;
  type: FileTypeValue;
  /** Position cookie: entries come in increasing `seq`, all >= FIRST_SEQ. */
  seq: number;
}

/** Cookie of the first real entry; 0 is `.`, 1 is `..`, 2 the position after `..`. */
export const FIRST_SEQ = 3;

/** What an inode is told when it is opened. */
export interface OpenRequest {
  mode: OpenMode;
  fdflags: number;
  cred: Credentials;
  /** Where the inode was reached (mount flags; `loc.path` for describe()). */
  loc: Loc;
}

/** Time argument of setTimes: absolute ns, 'now', or null (unchanged). */
export type TimeSpec = bigint | 'now' | null;

/**
 * A filesystem object. Directories implement the directory methods, symlinks
 * `readlink`, regular files the data methods and every non-directory `open`.
 * `BaseInode` supplies the errors for the methods a kind does not support.
 */
export interface Inode {
  readonly sb: SuperBlock;
  readonly ino: bigint;
  readonly type: FileTypeValue;
  /** Permission bits 0o7777. */
  readonly mode: number;
  readonly uid: number;
  readonly gid: number;
  /**
   * False when the owner or group has no mapping in the container's user
   * namespace (a bind's host file shown as 65534): root has no override on it
   * (vfs/perm.ts). Absent means mapped.
   */
  readonly idsMapped?: boolean;
  stat(): Filestat;
  /** Change atime/mtime (ctime becomes now). */
  setTimes(atim: TimeSpec, mtim: TimeSpec): void;

  /** Directory: the parent directory in this filesystem (the root returns itself). */
  parentDir(): Inode;
  /** Directory: the child called `name` (never `.`/`..`), or undefined. */
  lookup(name: string, cred: Credentials): Inode | undefined;
  /** Directory: entries with `seq > after`, at most `max`, in seq order. */
  readdir(after: number, max: number, cred: Credentials): InodeDirEntry[];
  /** Directory: create a regular file (EEXIST if the name exists). */
  create(name: string, mode: number, cred: Credentials): Inode;
  /** Directory: create a directory. */
  mkdir(name: string, mode: number, cred: Credentials): Inode;
  /** Directory: create a symbolic link. */
  symlink(name: string, target: string, cred: Credentials): Inode;
  /** Directory: add a hard link to `target` (a non-directory of this filesystem). */
  link(name: string, target: Inode): void;
  /** Directory: remove a non-directory entry. */
  unlink(name: string): void;
  /** Directory: remove an empty directory entry (ENOTEMPTY otherwise). */
  rmdir(name: string): void;
  /** Directory: move `oldName` to `newDir/newName`, atomically replacing a compatible target. */
  rename(oldName: string, newDir: Inode, newName: string): void;

  /** Symlink: its target. */
  readlink(cred: Credentials): string;

  /** Regular file: size in bytes. */
  size(): number;
  /** Regular file: up to `max` bytes at `pos` (may be a view of the storage). */
  readAt(pos: number, max: number): Uint8Array;
  /** Regular file: write `data` at `pos`; returns bytes written. */
  writeAt(pos: number, data: Uint8Array): number;
  /** Regular file: set the size (zero-filling when growing). */
  truncate(size: number): void;

  /** Non-directory: open a description (directories are opened by the VFS). */
  open(req: OpenRequest): OpenFile;
  /**
   * Magic link (`/dev/fd/N`, `/proc/self/fd/N`): the open file it stands for,
   * resolved for the caller; opening or stat'ing the path uses that file.
   */
  magic?(cred: Credentials): OpenFile | undefined;
  /** Called when a description of this inode is opened (tmpfs keeps unlinked data alive). */
  opened?(): void;
  /** Called when such a description is released. */
  closed?(): void;
  /** Flush to stable storage (`fd_sync`/`fd_datasync`); in-memory filesystems have none. */
  sync?(): void;
}

/** Default behaviour for every method, as POSIX gives for a kind that lacks it. */
export abstract class BaseInode implements Inode {
  abstract readonly sb: SuperBlock;
  abstract readonly ino: bigint;
  abstract readonly type: FileTypeValue;
  abstract readonly mode: number;
  abstract readonly uid: number;
  abstract readonly gid: number;
  abstract stat(): Filestat;

  setTimes(_a: TimeSpec, _m: TimeSpec): void {
    throw E.PERM;
  }
  parentDir(): Inode {
    throw E.NOTDIR;
  }
  lookup(_name: string, _cred: Credentials): Inode | undefined {
    throw E.NOTDIR;
  }
  readdir(_after: number, _max: number, _cred: Credentials): InodeDirEntry[] {
    throw E.NOTDIR;
  }
  create(_name: string, _mode: number, _cred: Credentials): Inode {
    throw this.type === FileType.DIRECTORY ? E.PERM : E.NOTDIR;
  }
  mkdir(_name: string, _mode: number, _cred: Credentials): Inode {
    throw this.type === FileType.DIRECTORY ? E.PERM : E.NOTDIR;
  }
  symlink(_name: string, _target: string, _cred: Credentials): Inode {
    throw this.type === FileType.DIRECTORY ? E.PERM : E.NOTDIR;
  }
  link(_name: string, _target: Inode): void {
    throw this.type === FileType.DIRECTORY ? E.PERM : E.NOTDIR;
  }
  unlink(_name: string): void {
    throw this.type === FileType.DIRECTORY ? E.PERM : E.NOTDIR;
  }
  rmdir(_name: string): void {
    throw this.type === FileType.DIRECTORY ? E.PERM : E.NOTDIR;
  }
  rename(_oldName: string, _newDir: Inode, _newName: string): void {
    throw this.type === FileType.DIRECTORY ? E.PERM : E.NOTDIR;
  }
  readlink(_cred: Credentials): string {
    throw E.INVAL;
  }
  size(): number {
    return 0;
  }
  readAt(_pos: number, _max: number): Uint8Array {
    throw this.type === FileType.DIRECTORY ? E.ISDIR : E.INVAL;
  }
  writeAt(_pos: number, _data: Uint8Array): number {
    throw this.type === FileType.DIRECTORY ? E.ISDIR : E.INVAL;
  }
  truncate(_size: number): void {
    throw this.type === FileType.DIRECTORY ? E.ISDIR : E.INVAL;
  }
  open(_req: OpenRequest): OpenFile {
    throw E.NXIO;
  }
}

/** True if `ino` is a directory. */
export function isDir(ino: Inode): boolean {
  return ino.type === FileType.DIRECTORY;
}
