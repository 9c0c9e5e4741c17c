/** Argument and result types of the `fd_*` calls, and the struct writers their codecs use (the codecs: derive.ts from spec.ts). */
import { E } from '../errno.js';
import type { DirEntry, Filestat } from '../vfs/types.js';
import { type Iov, utf8 } from './codec.js';
import type { GuestMemory } from './memory.js';
import { Layout } from './wasi.js';

/** `{fd}` for calls taking only an fd. */
export interface FdArgs { fd: number }
/** fd_read / fd_pread / sock_recv input. */
export interface ReadArgs {
  fd: number;
  max: number;
  /**
   * Return what is there, an empty result if the read would block, instead
   * of blocking: set only by the sentry platform for the later pieces of a
   * read bigger than its channel (sentry_fast.ts); the codec never sets it.
   */
  noWait?: boolean;
  _iovs: Iov[];
  _ret: number;
}
/** fd_pread input. */
export interface PreadArgs extends ReadArgs { offset: bigint }
/** fd_write / fd_pwrite input. */
export interface WriteArgs { fd: number; data: Uint8Array; _ret: number }
/** fd_pwrite input. */
export interface PwriteArgs extends WriteArgs { offset: bigint }
/** fd_seek input. */
export interface SeekArgs { fd: number; offset: bigint; whence: number; _ret: number }
/** fd_advise / fd_allocate input. */
export interface RangeArgs { fd: number; offset: bigint; len: bigint; advice?: number }
/** fd_fdstat_get result. */
export interface Fdstat { filetype: number; flags: number; rightsBase: number; rightsInheriting: number }
/** fd_fdstat_set_rights input (rights as given, unknown bits kept so they can be refused). */
export interface SetRightsArgs { fd: number; rightsBase: bigint; rightsInheriting: bigint }
/** fd_filestat_set_times / path_filestat_set_times times. */
export interface TimesArgs { fd: number; atim: bigint; mtim: bigint; fstflags: number }
/** fd_readdir input. */
export interface ReaddirArgs { fd: number; bufLen: number; cookie: bigint; _buf: number; _ret: number }
/** fd_prestat_dir_name input. */
export interface PrestatNameArgs { fd: number; len: number; _buf: number }

/** Write a WASI filestat at `ptr`. */
export function writeFilestat(mem: GuestMemory, ptr: number, st: Filestat): void {
  const dv = mem.struct(ptr, Layout.FILESTAT_SIZE);
  const u64 = (off: number, v: bigint) => dv.setBigUint64(ptr + off, BigInt.asUintN(64, v), true);
  u64(0, st.dev);
  u64(8, st.ino);
  dv.setUint32(ptr + 16, st.filetype, true); // filetype u8 + 7 bytes of padding, zeroed
  dv.setUint32(ptr + 20, 0, true);
  u64(24, st.nlink);
  u64(32, st.size);
  u64(40, st.atim);
  u64(48, st.mtim);
  u64(56, st.ctim);
}

/** Write a WASI fdstat at `ptr`. */
export function writeFdstat(mem: GuestMemory, ptr: number, s: Fdstat): void {
  const dv = mem.struct(ptr, Layout.FDSTAT_SIZE);
  dv.setUint32(ptr, s.filetype | (s.flags << 16), true); // filetype u8, pad, flags u16
  dv.setUint32(ptr + 4, 0, true);
  dv.setBigUint64(ptr + 8, BigInt(s.rightsBase), true);
  dv.setBigUint64(ptr + 16, BigInt(s.rightsInheriting), true);
}

/** Write a WASI prestat at `ptr` for a preopened directory named `name`. */
export function writePrestat(mem: GuestMemory, ptr: number, name: string): void {
  mem.zero(ptr, Layout.PRESTAT_SIZE);
  mem.setU8(ptr, 0); // preopentype dir
  mem.setU32(ptr + 4, utf8(name).byteLength);
}

/**
 * Serialize dirents into [buf, buf+len): each is a 24-byte header then the
 * name; the last one is cut at the end of the buffer (the guest sees
 * bufused == buf_len and calls again with a bigger buffer or the cookie).
 */
export function encodeDirents(mem: GuestMemory, buf: number, len: number, entries: readonly DirEntry[]): number {
  let used = 0;
  const hdr = new Uint8Array(Layout.DIRENT_SIZE);
  const dv = new DataView(hdr.buffer);
  for (const e of entries) {
    if (used >= len) break;
    const name = utf8(e.name);
    dv.setBigUint64(0, e.next, true);
    dv.setBigUint64(8, e.ino, true);
    dv.setUint32(16, name.byteLength, true);
    dv.setUint32(20, e.filetype, true); // d_type u8 then 3 bytes of padding
    const whole = new Uint8Array(Layout.DIRENT_SIZE + name.byteLength);
    whole.set(hdr, 0);
    whole.set(name, Layout.DIRENT_SIZE);
    const n = Math.min(whole.byteLength, len - used);
    mem.write(buf + used, whole.subarray(0, n));
    used += n;
  }
  if (used > len) throw E.FAULT;
  return used;
}
