/**
 * How one WASI call crosses the guest boundary. A codec turns the raw wasm
 * arguments (i32 as JS numbers, i64 as bigints) into plain JS values
 * (`decode`), and writes a handler's result back into guest memory
 * (`encode`). Handlers never see pointers: an app worker can decode and
 * encode while a kernel in another worker runs the handler.
 *
 * Rules every codec follows:
 * - Every pointer and length is bounds-checked; a bad one throws E.FAULT.
 * - Out-pointers are checked in `decode`, before the handler runs, so a call
 *   with side effects (path_open, fd_read) never half-succeeds and then
 *   faults. Only side-effect-free calls (args_get, fd_readdir, readlink)
 *   may fault in `encode`.
 * - Args fields starting with `_` are ABI-private (pointers kept for
 *   `encode`); handlers ignore them and strace hides them.
 * - Input buffers are views into guest memory (no copy) on the inline
 *   platform; anything that crosses a thread must copy them.
 */
import { E } from '../errno.js';
import { GuestMemory, decodeGuestString } from './memory.js';

/** Raw arguments of an import call. */
export type RawArgs = ArrayLike<number | bigint>;

/** A wasm value type of an import parameter. */
export type WasmType = 'i32' | 'i64';

/** Encoder/decoder of one call. */
export interface Codec<A, R> {
  /** Parameter names and wasm types, in order (the import's signature). */
  readonly params: readonly (readonly [string, WasmType])[];
  /** False for `proc_exit` (returns nothing); others return an errno (i32). */
  readonly returnsErrno: boolean;
  decode(mem: GuestMemory, raw: RawArgs): A;
  encode?(mem: GuestMemory, args: A, result: R): void;
}

/** Shorthand for building a params list: `sig('fd:i32', 'offset:i64')`. */
export function sig(...spec: string[]): readonly (readonly [string, WasmType])[] {
  return spec.map((s) => {
    const [n, t] = s.split(':');
    return [n!, t as WasmType] as const;
  });
}

/** A u32 argument (wasm passes i32 as a signed JS number). */
export function u32(x: number | bigint | undefined): number {
  return typeof x === 'number' ? x >>> 0 : Number(x) >>> 0;
}

/** A u64 argument. */
export function u64(x: number | bigint | undefined): bigint {
  return typeof x === 'bigint' ? BigInt.asUintN(64, x) : BigInt(Number(x ?? 0) >>> 0);
}

/** An s64 argument. */
export function s64(x: number | bigint | undefined): bigint {
  return typeof x === 'bigint' ? BigInt.asIntN(64, x) : BigInt(Number(x ?? 0) | 0);
}

/** One guest iovec: pointer and length, both checked to lie in memory. */
export interface Iov {
  ptr: number;
  len: number;
}

/** Most iovecs one call takes (IOV_MAX of wasi-libc and Linux); more is EINVAL, as writev(2). */
export const IOV_MAX = 1024;

/**
 * The checks of an iovec array, in the order every iovec call makes them,
 * with no allocation: EINVAL for more than IOV_MAX iovecs, EFAULT unless the
 * array and then each iovec lie in memory, EINVAL for a total above
 * SSIZE_MAX (i32) once all are checked. Returns the total capped at the size
 * of guest memory: iovecs may overlap, and 1024 of them over the same bytes
 * must not make the kernel allocate 1024 times the guest's memory. The cap
 * makes such a call a short read or write (legal for every file, as Linux's
 * MAX_RW_COUNT). With `out` (2 × count entries) it also copies iovec i to
 * `out[2i]` (ptr) and `out[2i + 1]` (len): a fast path that writes guest
 * memory between iovecs must not see an iovec it overwrote, exactly as the
 * array `readIovs` decodes up front. Shared by `readIovs` and the inline
 * fast paths (kernel/platform/inline_fast.ts).
 */
export function checkIovs(mem: GuestMemory, ptr: number, count: number, out: Uint32Array | null): number {
  if (count > IOV_MAX) throw E.INVAL;
  const dv = mem.struct(ptr, count * 8);
  let total = 0;
  for (let i = 0, a = ptr; i < count; i++, a += 8) {
    const p = dv.getUint32(a, true);
    const l = dv.getUint32(a + 4, true);
    mem.check(p, l);
    if (out !== null) {
      out[2 * i] = p;
      out[2 * i + 1] = l;
    }
    total += l;
  }
  // An iovec total above SSIZE_MAX is EINVAL in POSIX; ours is i32 in the result.
  if (total > 0x7fff_ffff) throw E.INVAL;
  // `size` asks the engine for the buffer; a total within the size seen by the checks above needs no cap.
  return total <= dv.byteLength ? total : Math.min(total, mem.size);
}

/** Iovecs copied byte by byte up to this length (cheaper than a view and `set`). */
const SMALL_COPY = 32;

/**
 * Copy `n` bytes between `buf` [0, n) and the bytes [from, from + n) of
 * `count` iovecs checked by `checkIovs` (`iov`: their ptr, len pairs) in
 * guest memory `u8`: out of the guest (`toGuest` false, a gather) or into
 * it (a scatter). Returns the bytes copied (fewer only if the iovecs hold
 * less). No views or arrays per iovec.
 */
function copyIovs(u8: Uint8Array, iov: Uint32Array, count: number, from: number, buf: Uint8Array, n: number, toGuest: boolean): number {
  let off = 0;
  for (let i = 0; i < count && off < n; i++) {
    let p = iov[2 * i]!;
    let len = iov[2 * i + 1]!;
    if (from >= len) {
      from -= len;
      continue;
    }
    p += from;
    len -= from;
    from = 0;
    const k = Math.min(len, n - off);
    if (toGuest) {
      if (k <= SMALL_COPY) for (let j = 0; j < k; j++) u8[p + j] = buf[off + j]!;
      else u8.set(buf.subarray(off, off + k), p);
    } else if (k <= SMALL_COPY) for (let j = 0; j < k; j++) buf[off + j] = u8[p + j]!;
    else buf.set(u8.subarray(p, p + k), off);
    off += k;
  }
  return off;
}

/**
 * Copy `total` bytes of `count` iovecs checked by `checkIovs` (`iov`: their
 * ptr, len pairs), starting `from` bytes into them, from guest memory `u8`
 * to `out` (the gather of a write, or of one piece of it).
 */
export function gatherChecked(u8: Uint8Array, iov: Uint32Array, count: number, total: number, out: Uint8Array, from = 0): void {
  copyIovs(u8, iov, count, from, out, total, false);
}

/**
 * Copy `data` over `count` iovecs checked by `checkIovs`, in order, starting
 * `from` bytes into them, into guest memory `u8` (the scatter of a read, or
 * of one piece of it, as `scatter` does); returns the bytes copied (all of
 * `data` unless the iovecs hold less).
 */
export function scatterChecked(data: Uint8Array, iov: Uint32Array, count: number, u8: Uint8Array, from = 0): number {
  return copyIovs(u8, iov, count, from, data, data.length, true);
}

/**
 * Read and check an iovec array (`checkIovs`). Returns the iovecs and their
 * total length, capped at the size of guest memory.
 */
export function readIovs(mem: GuestMemory, ptr: number, count: number): { iovs: Iov[]; total: number } {
  const total = checkIovs(mem, ptr, count, null);
  const dv = mem.struct(ptr, count * 8);
  const iovs: Iov[] = new Array(count);
  for (let i = 0, a = ptr; i < count; i++, a += 8) iovs[i] = { ptr: dv.getUint32(a, true), len: dv.getUint32(a + 4, true) };
  return { iovs, total };
}

/**
 * Gather the first `total` bytes of `iovs` into one buffer (a view when a
 * single non-empty iovec holds them all).
 */
export function gather(mem: GuestMemory, iovs: readonly Iov[], total: number): Uint8Array {
  let single: Iov | undefined;
  let nonEmpty = 0;
  for (const v of iovs) if (v.len > 0) { nonEmpty++; single = v; }
  if (nonEmpty === 0 || total === 0) return new Uint8Array(0);
  if (nonEmpty === 1) return mem.view(single!.ptr, Math.min(single!.len, total));
  const out = new Uint8Array(total);
  let off = 0;
  for (const v of iovs) {
    if (off >= total) break;
    if (v.len === 0) continue;
    const n = Math.min(v.len, total - off);
    out.set(mem.view(v.ptr, n), off);
    off += n;
  }
  return out;
}

/** Scatter `data` across `iovs` (in order); returns bytes written. */
export function scatter(mem: GuestMemory, iovs: readonly Iov[], data: Uint8Array): number {
  let off = 0;
  for (const v of iovs) {
    if (off >= data.byteLength) break;
    const n = Math.min(v.len, data.byteLength - off);
    mem.write(v.ptr, data.subarray(off, off + n));
    off += n;
  }
  return off;
}

/** PATH_MAX of Linux: a path (or symlink target) of more bytes is ENAMETOOLONG. */
export const PATH_MAX = 4096;

/**
 * Read a guest path or symlink target of `len` bytes at `ptr`: EFAULT,
 * ENAMETOOLONG past PATH_MAX (before decoding: a guest cannot make the kernel
 * decode megabytes), EILSEQ, EINVAL on NUL.
 */
export function readString(mem: GuestMemory, ptr: number, len: number): string {
  const bytes = mem.view(ptr, len);
  if (len > PATH_MAX) throw E.NAMETOOLONG;
  return decodeGuestString(bytes);
}

const enc = new TextEncoder();

/** UTF-8 bytes of a string. */
export function utf8(s: string): Uint8Array {
  return enc.encode(s);
}
