/**
 * A task's file descriptor table. Each slot points at a shared
 * `FileDescription` (the open file plus a reference count) and carries the
 * slot's WASI rights. Rights are checked once, at lookup:
 * `task.fds.get(fd, Rights.FD_READ)` throws EBADF for a closed fd, EBADF for
 * a missing FD_READ/FD_WRITE (what POSIX and the wasi-testsuite expect of an
 * access-mode mismatch), and ENOTCAPABLE for any other missing right.
 *
 * Storage is sparse, so that no operation costs O(fd number) (a guest
 * renumbering to fd 4,294,967,294 must not make the kernel walk 4e9
 * slots): fds below LOW_FDS sit in an array (the hot path), higher ones in
 * a Map. The lowest free fd comes from a min-heap of the free numbers below
 * the high-water mark `hwm` (every fd below it was handed out once), with
 * lazy deletion of numbers that `renumber` filled meanwhile. Costs:
 * get O(1), insert/close/renumber O(log n), entries O(n log n) in the open
 * count n, never in the fd numbers.
 */
import { E } from '../errno.js';
import { FileDescription } from '../vfs/file_description.js';
import type { OpenFile } from '../vfs/types.js';
import { Rights } from '../abi/wasi.js';

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

/** Highest RLIMIT_NOFILE, as Linux's `fs.nr_open` (1,048,576): a larger one is refused by the config checks, clamped here. */
export const NR_OPEN = 1 << 20;

/** Fds below this live in an array; higher ones in a Map. */
const LOW_FDS = 1024;

const ACCESS_RIGHTS = Rights.FD_READ | Rights.FD_WRITE;

/** A task's fd table. */
export class FdTable {
  private readonly low: (FdEntry | undefined)[] = [];
  private readonly high = new Map<number, FdEntry>();
  private open = 0;
  /** High-water mark: every fd below it was allocated once; the free ones among them are in `free`. */
  private hwm = 0;
  /** Min-heap of free fds below `hwm` (may hold fds that `renumber` filled since: skipped when popped). */
  private readonly free: number[] = [];
  /** The numbers in `free` (no duplicates, so the heap stays below `hwm` entries). */
  private readonly inFree = new Set<number>();
  /** RLIMIT_NOFILE: fds are numbered below it (EMFILE otherwise), at most NR_OPEN. */
  public limit: number;

  /** `limit` is RLIMIT_NOFILE (clamped to NR_OPEN). */
  constructor(limit = DEFAULT_FD_LIMIT) {
    this.limit = Math.min(limit, NR_OPEN);
  }

  private slot(fd: number): FdEntry | undefined {
    return fd < LOW_FDS ? this.low[fd] : this.high.get(fd);
  }

  private set(fd: number, e: FdEntry | undefined): void {
    if (fd < LOW_FDS) this.low[fd] = e;
    else if (e === undefined) this.high.delete(fd);
    else this.high.set(fd, e);
  }

  /** The entry of `fd` with at least rights `need`, or throw EBADF / ENOTCAPABLE. */
  get(fd: number, need = 0): FdEntry {
    const e = fd < LOW_FDS ? this.low[fd] : this.high.get(fd);
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
    return fd >= 0 ? this.slot(fd) : undefined;
  }

  /** Install `file` at the lowest free fd ≥ `min`; returns the fd. EMFILE at the limit. */
  insert(file: OpenFile | FileDescription, rightsBase: number, rightsInheriting: number, preopen?: string, min = 0): number {
    const fd = min === 0 ? this.lowestFree() : this.lowestFreeFrom(min);
    if (fd >= this.limit) throw E.MFILE;
    const desc = file instanceof FileDescription ? file : new FileDescription(file);
    this.set(fd, { desc: desc.ref(), rightsBase, rightsInheriting, preopen });
    this.open++;
    this.taken(fd);
    return fd;
  }

  /** The lowest free fd: the heap's smallest live entry, else the first free fd from the high-water mark. */
  private lowestFree(): number {
    const h = this.free;
    while (h.length > 0) {
      const fd = h[0]!;
      if (this.slot(fd) === undefined) return fd;
      this.popFree(); // filled by renumber since it was freed
    }
    let fd = this.hwm;
    // fds at or above hwm are open only if renumber put them there: each step passes one open fd
    while (this.slot(fd) !== undefined) fd++;
    return fd;
  }

  /** The lowest free fd ≥ `min` (setup only: stdio at 0..2, preopens from 3); passes only open fds. */
  private lowestFreeFrom(min: number): number {
    let fd = min;
    while (this.slot(fd) !== undefined) fd++;
    return fd;
  }

  /** `fd` was just filled by insert: keep the heap and the high-water mark exact. */
  private taken(fd: number): void {
    if (this.free.length > 0 && this.free[0] === fd) this.popFree();
    if (fd >= this.hwm) {
      for (let i = this.hwm; i < fd; i++) if (this.slot(i) === undefined) this.pushFree(i);
      this.hwm = fd + 1;
    }
  }

  /** `fd` was closed or moved away. */
  private freed(fd: number): void {
    if (fd < this.hwm) this.pushFree(fd);
  }

  private pushFree(fd: number): void {
    if (this.inFree.has(fd)) return;
    this.inFree.add(fd);
    const h = this.free;
    let i = h.length;
    h.push(fd);
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (h[p]! <= fd) break;
      h[i] = h[p]!;
      i = p;
    }
    h[i] = fd;
  }

  private popFree(): void {
    const h = this.free;
    this.inFree.delete(h[0]!);
    const last = h.pop()!;
    if (h.length === 0) return;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= h.length) break;
      const c = l + 1 < h.length && h[l + 1]! < h[l]! ? l + 1 : l;
      if (h[c]! >= last) break;
      h[i] = h[c]!;
      i = c;
    }
    h[i] = last;
  }

  /** Close `fd` (EBADF if not open). The file is released when its last fd closes. */
  close(fd: number): void {
    const e = fd >= 0 ? this.slot(fd) : undefined;
    if (e === undefined) throw E.BADF;
    this.set(fd, undefined);
    this.freed(fd);
    this.open--;
    e.desc.unref();
  }

  /**
   * `fd_renumber(from, to)`: dup2 semantics. `to` is closed first if open,
   * then `from` moves to `to` (keeping its rights and preopen name). Unlike
   * other WASI hosts, `to` need not be open. `from === to` is a no-op after
   * checking that `from` is open. O(log n) whatever `to` is.
   */
  renumber(from: number, to: number): void {
    const e = this.get(from);
    if (from === to) return;
    if (to >= this.limit) throw E.BADF;
    const old = this.slot(to);
    this.set(to, e);
    this.set(from, undefined);
    this.freed(from);
    if (old !== undefined) {
      this.open--;
      old.desc.unref();
    }
  }

  /** Number of open fds. */
  get count(): number {
    return this.open;
  }

  /** Every open fd with its entry, in fd order (O(n log n) in the open fds). */
  *entries(): IterableIterator<[number, FdEntry]> {
    const low = this.low;
    for (let i = 0; i < low.length; i++) {
      const e = low[i];
      if (e !== undefined) yield [i, e];
    }
    if (this.high.size === 0) return;
    for (const fd of [...this.high.keys()].sort((a, b) => a - b)) {
      const e = this.high.get(fd);
      if (e !== undefined) yield [fd, e];
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
