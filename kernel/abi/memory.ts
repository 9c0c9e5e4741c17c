/**
 * Bounds-checked access to a guest's linear memory. Every pointer and length
 * a guest passes goes through here; anything out of range throws `E.FAULT`
 * (never a host RangeError). Views are re-taken after `memory.grow`, which
 * detaches the old ArrayBuffer.
 */
import { E } from '../errno.js';

const U32_MAX = 0xffff_ffff;

/** A guest's linear memory with bounds-checked helpers. */
export class GuestMemory {
  private buf: ArrayBuffer | SharedArrayBuffer;
  private u8: Uint8Array;
  private dv: DataView;

  /** True for a shared memory (its buffer grows in place instead of being detached). */
  private readonly shared: boolean;

  constructor(private readonly memory: WebAssembly.Memory) {
    this.shared = typeof SharedArrayBuffer !== 'undefined' && memory.buffer instanceof SharedArrayBuffer;
    this.buf = memory.buffer;
    this.u8 = new Uint8Array(this.buf);
    this.dv = new DataView(this.buf);
  }

  /** Refresh views if the memory grew since the last access. */
  private sync(): void {
    const b = this.memory.buffer;
    if (b !== this.buf) {
      this.buf = b;
      this.u8 = new Uint8Array(b);
      this.dv = new DataView(b);
    }
  }

  /**
   * The size as of the last access, without asking the engine when it can:
   * 0 once a `memory.grow` detached the cached buffer (then read `size`). A
   * shared memory's buffer is never detached, so for one this is `size`.
   */
  get cachedSize(): number {
    return this.shared ? this.size : this.u8.byteLength;
  }

  /** Current size in bytes. */
  get size(): number {
    this.sync();
    return this.u8.byteLength;
  }

  /**
   * Throw EFAULT unless [ptr, ptr+len) lies inside memory. `ptr` and `len`
   * are u32. Fast path: the cached view; after `memory.grow` the old buffer
   * is detached (length 0), so the range check fails and views are re-taken.
   * The fast path is strict (`<`): an empty range at 0 right after a grow
   * must still re-take the views, or the caller would use a detached one.
   */
  check(ptr: number, len: number): void {
    if (ptr < 0 || len < 0 || ptr > U32_MAX || len > U32_MAX) throw E.FAULT;
    if (ptr + len < this.u8.byteLength) return;
    this.sync();
    if (ptr + len > this.u8.byteLength) throw E.FAULT;
  }

  /** Check that a `len`-byte struct at `ptr` is inside memory and aligned to `align`. */
  checkAligned(ptr: number, len: number, align: number): void {
    this.check(ptr, len);
    if (ptr % align !== 0) throw E.FAULT;
  }

  /** A view (no copy) of [ptr, ptr+len). Valid until the next memory.grow. */
  view(ptr: number, len: number): Uint8Array {
    this.check(ptr, len);
    return this.u8.subarray(ptr, ptr + len);
  }

  /**
   * The whole memory as bytes after checking [ptr, ptr+len) once: for
   * copying into that range without a subarray per call (the inline read
   * fast path). Valid until the next memory.grow.
   */
  bytes(ptr: number, len: number): Uint8Array {
    this.check(ptr, len);
    return this.u8;
  }

  /**
   * The memory's DataView after checking [ptr, ptr+len) once: for codecs
   * that write a whole struct (filestat, fdstat, events) without a check per
   * field. Valid until the next memory.grow.
   */
  struct(ptr: number, len: number): DataView {
    this.check(ptr, len);
    return this.dv;
  }

  /** A copy of [ptr, ptr+len). */
  copy(ptr: number, len: number): Uint8Array {
    this.check(ptr, len);
    return this.u8.slice(ptr, ptr + len);
  }

  /** Copy `data` to `ptr` (bounds-checked). */
  write(ptr: number, data: Uint8Array): void {
    this.check(ptr, data.byteLength);
    this.u8.set(data, ptr);
  }

  /** Read a u32 (little endian). */
  u32(ptr: number): number {
    this.check(ptr, 4);
    return this.dv.getUint32(ptr, true);
  }

  /** Read a u16. */
  u16(ptr: number): number {
    this.check(ptr, 2);
    return this.dv.getUint16(ptr, true);
  }

  /** Read a u8. */
  u8At(ptr: number): number {
    this.check(ptr, 1);
    return this.u8[ptr]!;
  }

  /** Read a u64. */
  u64(ptr: number): bigint {
    this.check(ptr, 8);
    return this.dv.getBigUint64(ptr, true);
  }

  /** Write a u8. */
  setU8(ptr: number, v: number): void {
    this.check(ptr, 1);
    this.u8[ptr] = v;
  }

  /** Write a u16. */
  setU16(ptr: number, v: number): void {
    this.check(ptr, 2);
    this.dv.setUint16(ptr, v, true);
  }

  /** Write a u32. */
  setU32(ptr: number, v: number): void {
    this.check(ptr, 4);
    this.dv.setUint32(ptr, v >>> 0, true);
  }

  /** Write a u64. */
  setU64(ptr: number, v: bigint): void {
    this.check(ptr, 8);
    this.dv.setBigUint64(ptr, BigInt.asUintN(64, v), true);
  }

  /** Fill [ptr, ptr+len) with zeros. */
  zero(ptr: number, len: number): void {
    this.check(ptr, len);
    this.u8.fill(0, ptr, ptr + len);
  }
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * Decode a guest path or name: bytes → string. Invalid UTF-8 → EILSEQ; an
 * embedded NUL → EINVAL (a NUL would silently truncate the name in C).
 */
export function decodeGuestString(bytes: Uint8Array): string {
  const n = bytes.byteLength;
  if (n <= 256) {
    // Fast path: short ASCII names (most paths) without TextDecoder.
    let ascii = true;
    for (let i = 0; i < n; i++) {
      const c = bytes[i]!;
      if (c === 0) throw E.INVAL;
      if (c >= 0x80) {
        ascii = false;
        break;
      }
    }
    if (ascii) return String.fromCharCode.apply(null, bytes as unknown as number[]);
  }
  if (bytes.indexOf(0) !== -1) throw E.INVAL;
  // TextDecoder refuses views of shared memory (wasi-threads modules): decode a copy.
  const plain = typeof SharedArrayBuffer !== 'undefined' && bytes.buffer instanceof SharedArrayBuffer ? bytes.slice() : bytes;
  try {
    return utf8.decode(plain);
  } catch {
    throw E.ILSEQ;
  }
}
