/**
 * File contents for tmpfs: a list of fixed-size chunks, each a Uint8Array
 * that grows geometrically up to CHUNK bytes (so a 10-byte file costs tens
 * of bytes and a 256 MiB file 1024 chunks). Missing chunks and bytes past a
 * chunk's length read as zeros (holes). A read inside one chunk returns a
 * view, without copying. Allocation is charged to a `SpaceAccount` first,
 * so a full filesystem fails with ENOSPC before anything changes.
 */
import { E } from '../errno.js';
import { WouldBlock } from '../vfs/wait.js';

/** Chunk size in bytes (256 KiB). */
export const CHUNK = 1 << 18;
const EMPTY = new Uint8Array(0);

/**
 * Byte budget of one filesystem: `used` grows with allocated file memory.
 * Accounts nest (a container's memory cgroup as the parent of its upper and
 * its /tmp): a charge must fit every limit up the chain and counts in each.
 */
export class SpaceAccount {
  /** Bytes of file memory currently allocated. */
  used = 0;
  constructor(
    /** Maximum bytes, or Infinity. */
    public limit = Infinity,
    /** Account also charged for everything charged here (set to null when a cgroup leaves its parent: kernel/cgroup/memory.ts `remove`). */
    public parent: SpaceAccount | null = null,
  ) {}

  /** Reserve `n` more bytes or throw ENOSPC (nothing is charged then). */
  charge(n: number): void {
    for (let a: SpaceAccount | null = this; a !== null; a = a.parent) if (a.used + n > a.limit) throw E.NOSPC;
    for (let a: SpaceAccount | null = this; a !== null; a = a.parent) a.used += n;
  }

  /**
   * Count `n` more bytes (negative: fewer) that are already taken elsewhere
   * (a guest's linear memory, which shares the container's budget): never
   * refused, so `used` may pass `limit` (the caller then OOM-kills, see `over`).
   */
  force(n: number): void {
    for (let a: SpaceAccount | null = this; a !== null; a = a.parent) a.used += n;
  }

  /**
   * A throttle on allocations that may wait (set by the memory controller
   * for memory.high): null to go on, or the monotonic ns until which the
   * allocating call must be parked. Consulted up the chain by `waitUntil`.
   */
  gate: (() => bigint | null) | null = null;

  /** The latest park deadline of any gate up the chain, or null to go on now. */
  waitUntil(): bigint | null {
    let until: bigint | null = null;
    for (let a: SpaceAccount | null = this; a !== null; a = a.parent) {
      const u = a.gate?.() ?? null;
      if (u !== null && (until === null || u > until)) until = u;
    }
    return until;
  }

  /** Bytes that may still be charged here: the least headroom up the chain (0 when full or over). */
  room(): number {
    let r = Infinity;
    for (let a: SpaceAccount | null = this; a !== null; a = a.parent) r = Math.min(r, a.limit - a.used);
    return Math.max(0, r);
  }

  /** True when more bytes are counted here than the limit allows. */
  get over(): boolean {
    return this.used > this.limit;
  }

  /** Give back `n` bytes. */
  release(n: number): void {
    for (let a: SpaceAccount | null = this; a !== null; a = a.parent) a.used -= n;
  }
}

/** The bytes of one regular file. */
export class ChunkedData {
  /** Logical size in bytes. */
  size = 0;
  /** Chunk i holds bytes [i*CHUNK, (i+1)*CHUNK); holes are missing entries. */
  private chunks: (Uint8Array | undefined)[] = [];
  /** Bytes allocated in chunks (charged to the account). */
  private allocated = 0;

  constructor(private readonly account: SpaceAccount) {}

  /** Up to `max` bytes at `pos`: a view when the range sits in one chunk. */
  read(pos: number, max: number): Uint8Array {
    const size = this.size;
    if (pos >= size || max <= 0) return EMPTY;
    const n = Math.min(max, size - pos);
    const ci = Math.floor(pos / CHUNK);
    const off = pos - ci * CHUNK;
    if (off + n <= CHUNK) {
      const c = this.chunks[ci];
      if (c !== undefined && off + n <= c.length) return c.subarray(off, off + n);
    }
    const out = new Uint8Array(n);
    let done = 0;
    while (done < n) {
      const p = pos + done;
      const i = Math.floor(p / CHUNK);
      const o = p - i * CHUNK;
      const len = Math.min(CHUNK - o, n - done);
      const c = this.chunks[i];
      if (c !== undefined && o < c.length) out.set(c.subarray(o, Math.min(c.length, o + len)), done);
      done += len;
    }
    return out;
  }

  /** Write `data` at `pos`, growing the file; returns data.length. */
  write(pos: number, data: Uint8Array): number {
    const n = data.length;
    if (n === 0) return 0;
    const end = pos + n;
    this.reserve(pos, end, Math.max(end, this.size));
    let done = 0;
    while (done < n) {
      const p = pos + done;
      const i = Math.floor(p / CHUNK);
      const o = p - i * CHUNK;
      const len = Math.min(CHUNK - o, n - done);
      (this.chunks[i] as Uint8Array).set(done === 0 && len === n ? data : data.subarray(done, done + len), o);
      done += len;
    }
    if (end > this.size) this.size = end;
    return n;
  }

  /**
   * Write as much of `data` at `pos` as the account has room for, as a
   * write(2) on a full Linux tmpfs does: all of it, or the longest prefix
   * that fits (a short count), or E.NOSPC when not one byte fits. Copy-up
   * uses `write` (all or nothing) instead.
   */
  writeSome(pos: number, data: Uint8Array): number {
    // memory.high: a write that allocates above it waits its penalty first (restartable: nothing changed yet)
    if (pos + data.length > this.allocated || pos + data.length > this.size) {
      const until = this.account.waitUntil();
      if (until !== null) throw new WouldBlock([], until);
    }
    try {
      return this.write(pos, data);
    } catch (e) {
      if (e !== E.NOSPC || data.length <= 1) throw e;
    }
    const room = this.account.room();
    // the longest prefix whose exact allocation fits (need grows with the prefix): binary search
    let lo = 0;
    let hi = data.length - 1;
    while (lo < hi) {
      const mid = Math.ceil((lo + hi) / 2);
      if (this.need(pos, mid) <= room) lo = mid;
      else hi = mid - 1;
    }
    if (lo === 0) throw E.NOSPC;
    return this.write(pos, data.subarray(0, lo));
  }

  /** Bytes a write of `n` bytes at `pos` must charge, allocating exactly. */
  private need(pos: number, n: number): number {
    const end = pos + n;
    return this.capacities(Math.floor(pos / CHUNK), Math.floor((end - 1) / CHUNK), end, Math.max(end, this.size), true).need;
  }

  /** Set the size; shrinking frees chunks and zeroes the cut tail, growing makes a hole. */
  truncate(size: number): void {
    if (size >= this.size) {
      this.size = size;
      return;
    }
    const keep = Math.ceil(size / CHUNK);
    // forEach skips holes: a sparse file's chunk list may be mostly holes.
    this.chunks.forEach((_c, i) => {
      if (i >= keep) this.freeChunk(i);
    });
    this.chunks.length = Math.min(this.chunks.length, keep);
    const last = keep - 1;
    const c = last >= 0 ? this.chunks[last] : undefined;
    if (c !== undefined) {
      const o = size - last * CHUNK;
      if (o < c.length) c.fill(0, o);
    }
    this.size = size;
  }

  /**
   * Give back the unused tail of the last chunk (allocated whole while the
   * file was being written): called when the last description closes, so a
   * closed file costs its size rounded up to 64 bytes.
   */
  trim(): void {
    if (this.size === 0) return;
    const li = Math.floor((this.size - 1) / CHUNK);
    const c = this.chunks[li];
    if (c === undefined) return;
    const want = Math.min(c.length, ((this.size - li * CHUNK + 63) >> 6) << 6);
    if (want >= c.length) return;
    this.chunks[li] = c.slice(0, want);
    this.account.release(c.length - want);
    this.allocated -= c.length - want;
  }

  /** Free everything (the file is gone). */
  free(): void {
    this.account.release(this.allocated);
    this.allocated = 0;
    this.chunks = [];
    this.size = 0;
  }

  /** Bytes allocated. */
  get allocatedBytes(): number {
    return this.allocated;
  }

  /** Make sure chunks covering [pos, end) exist and are long enough; charge first. */
  private reserve(pos: number, end: number, newSize: number): void {
    const first = Math.floor(pos / CHUNK);
    const last = Math.floor((end - 1) / CHUNK);
    // Whole chunks for big files (no regrowth copies; `trim` gives the tail
    // back on close), doubling for small ones; near the limit, exact sizes.
    let caps = this.capacities(first, last, end, newSize, false);
    try {
      this.account.charge(caps.need);
    } catch {
      caps = this.capacities(first, last, end, newSize, true);
      this.account.charge(caps.need);
    }
    this.allocated += caps.need;
    for (let i = first; i <= last; i++) {
      const cap = caps.caps[i - first];
      const c = this.chunks[i];
      const have = c?.length ?? 0;
      if (cap === have) continue;
      const nc = new Uint8Array(cap);
      if (c !== undefined) nc.set(c);
      this.chunks[i] = nc;
    }
  }

  /** Chunk capacities for a write of [.., end) into chunks first..last, and the bytes to charge. */
  private capacities(first: number, last: number, end: number, newSize: number, exact: boolean): { caps: number[]; need: number } {
    const lastOfFile = Math.floor((newSize - 1) / CHUNK);
    const caps: number[] = [];
    let need = 0;
    for (let i = first; i <= last; i++) {
      const want = i < last ? CHUNK : end - i * CHUNK;
      const have = this.chunks[i]?.length ?? 0;
      let cap = have;
      if (want > have) {
        if (i < lastOfFile) cap = CHUNK;
        else if (exact) cap = want;
        else cap = newSize > CHUNK ? CHUNK : Math.min(CHUNK, Math.max(want, have * 2, 64));
      }
      caps.push(cap);
      need += cap - have;
    }
    return { caps, need };
  }

  private freeChunk(i: number): void {
    const c = this.chunks[i];
    if (c === undefined) return;
    this.account.release(c.length);
    this.allocated -= c.length;
    this.chunks[i] = undefined;
  }
}
