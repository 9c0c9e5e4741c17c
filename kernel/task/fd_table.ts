/**
 * A task's file descriptor table. Each slot points at a shared
 * `FileDescription` (the open file plus a reference count) and carries the
 * slot's WASI rights. Rights are checked once, at lookup:
 * `task.fds.get(fd, Rights.FD_READ)` throws EBADF for a closed fd, EBADF for
 * a missing FD_READ/FD_WRITE (what POSIX and the wasi-testsuite expect of an
 * access-mode mismatch), and ENOTCAPABLE for any other missing right.
 */
import { E } from '../errno.js';
import type { OpenFile } from '../vfs/types.js';
import { Rights } from '../abi/wasi.js';

/** An open file shared by every fd (of any task) that refers to it. */
export class FileDescription {
  private refs = 0;
  constructor(readonly file: OpenFile) {}
  /** Take a reference. */
  ref(): this {
    this.refs++;
    return this;
  }
  /** Drop a reference; the last one releases the file. */
  unref(): void {
    if (--this.refs === 0) this.file.release();
  }
  /** Current reference count (for invariants). */
  get count(): number {
    return this.refs;
  }
}

/** One fd slot. */
export interface FdEntry {
  readonly desc: FileDescription;
  /** WASI rights of this fd (`fs_rights_base`). */
  rightsBase: number;
  /** Rights that files opened through this fd may have (`fs_rights_inheriting`). */
  rightsInheriting: number;
  /** Container path if this fd is a preopened directory (`fd_prestat_*`). */
  readonly preopen?: string;
}

/** Default `RLIMIT_NOFILE`. */
export const DEFAULT_FD_LIMIT = 1024;

const ACCESS_RIGHTS = Rights.FD_READ | Rights.FD_WRITE;

/** A task's fd table. */
export class FdTable {
  private readonly slots: (FdEntry | undefined)[] = [];
  private open = 0;
  /** Every fd below this is open: the search for the lowest free fd starts here (no O(n) scan per open). */
  private firstFree = 0;

  /** `limit` is RLIMIT_NOFILE: fds are numbered below it (EMFILE otherwise). */
  constructor(public limit = DEFAULT_FD_LIMIT) {}

  /** The entry of `fd` with at least rights `need`, or throw EBADF / ENOTCAPABLE. */
  get(fd: number, need = 0): FdEntry {
    const e = this.slots[fd];
    if (e === undefined) throw E.BADF;
    const missing = need & ~e.rightsBase;
    if (missing !== 0) throw (missing & ACCESS_RIGHTS) !== 0 ? E.BADF : E.NOTCAPABLE;
    return e;
  }

  /** The open file of `fd` with at least rights `need`. */
  file(fd: number, need = 0): OpenFile {
    return this.get(fd, need).desc.file;
  }

  /** The entry of `fd` or undefined (no rights check; for devfs and procfs). */
  peek(fd: number): FdEntry | undefined {
    return fd >= 0 ? this.slots[fd] : undefined;
  }

  /** Install `file` at the lowest free fd ≥ `min`; returns the fd. EMFILE at the limit. */
  insert(file: OpenFile | FileDescription, rightsBase: number, rightsInheriting: number, preopen?: string, min = 0): number {
    let fd = Math.max(min, this.firstFree);
    while (this.slots[fd] !== undefined) fd++;
    if (fd >= this.limit) throw E.MFILE;
    const desc = file instanceof FileDescription ? file : new FileDescription(file);
    this.slots[fd] = { desc: desc.ref(), rightsBase, rightsInheriting, preopen };
    this.open++;
    if (fd === this.firstFree) this.advanceFirstFree();
    return fd;
  }

  private advanceFirstFree(): void {
    while (this.slots[this.firstFree] !== undefined) this.firstFree++;
  }

  private freed(fd: number): void {
    if (fd < this.firstFree) this.firstFree = fd;
  }

  /** Close `fd` (EBADF if not open). The file is released when its last fd closes. */
  close(fd: number): void {
    const e = this.slots[fd];
    if (e === undefined) throw E.BADF;
    this.slots[fd] = undefined;
    this.freed(fd);
    this.open--;
    e.desc.unref();
  }

  /**
   * `fd_renumber(from, to)`: dup2 semantics. `to` is closed first if open,
   * then `from` moves to `to` (keeping its rights and preopen name). Unlike
   * other WASI hosts, `to` need not be open. `from === to` is a no-op after
   * checking that `from` is open.
   */
  renumber(from: number, to: number): void {
    const e = this.get(from);
    if (from === to) return;
    if (to >= this.limit) throw E.BADF;
    const old = this.slots[to];
    this.slots[to] = e;
    this.slots[from] = undefined;
    this.freed(from);
    if (to === this.firstFree) this.advanceFirstFree();
    if (old !== undefined) {
      this.open--;
      old.desc.unref();
    }
  }

  /** Number of open fds. */
  get count(): number {
    return this.open;
  }

  /** Every open fd with its entry, in fd order. */
  *entries(): IterableIterator<[number, FdEntry]> {
    for (let i = 0; i < this.slots.length; i++) {
      const e = this.slots[i];
      if (e !== undefined) yield [i, e];
    }
  }

  /**
   * Close every fd (task exit). A release that throws (a filesystem bug) is
   * handed to `onError` and the other fds are still closed.
   */
  closeAll(onError: (fd: number, err: unknown) => void = () => {}): void {
    for (const [fd] of [...this.entries()]) {
      try {
        this.close(fd);
      } catch (err) {
        onError(fd, err);
      }
    }
  }
}
