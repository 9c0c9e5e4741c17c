/** Codecs of the `fd_*` calls. */
import { E } from '../errno.js';
import type { DirEntry, Filestat } from '../vfs/types.js';
import { Codec, Iov, gather, readIovs, s64, scatter, sig, u32, u64, utf8 } from './codec.js';
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
export interface PrestatNameArgs { fd: number; len: number; _ptr: number }

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

const fdOnly: Codec<FdArgs, void> = {
  params: sig('fd:i32'), returnsErrno: true,
  decode: (_m, r) => ({ fd: u32(r[0]) }),
};

const retU32 = (mem: GuestMemory, a: { _ret: number }, n: number) => mem.setU32(a._ret, n);
const retU64 = (mem: GuestMemory, a: { _ret: number }, n: bigint) => mem.setU64(a._ret, n);

/** Codecs of every fd_* call, by name. */
export const fdCodecs = {
  fd_advise: {
    params: sig('fd:i32', 'offset:i64', 'len:i64', 'advice:i32'), returnsErrno: true,
    decode: (_m, r) => ({ fd: u32(r[0]), offset: u64(r[1]), len: u64(r[2]), advice: u32(r[3]) & 0xff }),
  } as Codec<RangeArgs, void>,
  fd_allocate: {
    params: sig('fd:i32', 'offset:i64', 'len:i64'), returnsErrno: true,
    decode: (_m, r) => ({ fd: u32(r[0]), offset: u64(r[1]), len: u64(r[2]) }),
  } as Codec<RangeArgs, void>,
  fd_close: fdOnly,
  fd_datasync: fdOnly,
  fd_fdstat_get: {
    params: sig('fd:i32', 'stat:i32'), returnsErrno: true,
    decode: (m, r) => { const _ret = u32(r[1]); m.check(_ret, Layout.FDSTAT_SIZE); return { fd: u32(r[0]), _ret }; },
    encode: (m, a, s) => {
      const dv = m.struct(a._ret, Layout.FDSTAT_SIZE);
      dv.setUint32(a._ret, s.filetype | (s.flags << 16), true); // filetype u8, pad, flags u16
      dv.setUint32(a._ret + 4, 0, true);
      dv.setBigUint64(a._ret + 8, BigInt(s.rightsBase), true);
      dv.setBigUint64(a._ret + 16, BigInt(s.rightsInheriting), true);
    },
  } as Codec<FdArgs & { _ret: number }, Fdstat>,
  fd_fdstat_set_flags: {
    params: sig('fd:i32', 'flags:i32'), returnsErrno: true,
    decode: (_m, r) => ({ fd: u32(r[0]), flags: u32(r[1]) & 0xffff }),
  } as Codec<{ fd: number; flags: number }, void>,
  fd_fdstat_set_rights: {
    params: sig('fd:i32', 'fs_rights_base:i64', 'fs_rights_inheriting:i64'), returnsErrno: true,
    decode: (_m, r) => ({ fd: u32(r[0]), rightsBase: u64(r[1]), rightsInheriting: u64(r[2]) }),
  } as Codec<SetRightsArgs, void>,
  fd_filestat_get: {
    params: sig('fd:i32', 'buf:i32'), returnsErrno: true,
    decode: (m, r) => { const _ret = u32(r[1]); m.check(_ret, Layout.FILESTAT_SIZE); return { fd: u32(r[0]), _ret }; },
    encode: (m, a, st) => writeFilestat(m, a._ret, st),
  } as Codec<FdArgs & { _ret: number }, Filestat>,
  fd_filestat_set_size: {
    params: sig('fd:i32', 'size:i64'), returnsErrno: true,
    decode: (_m, r) => ({ fd: u32(r[0]), size: u64(r[1]) }),
  } as Codec<{ fd: number; size: bigint }, void>,
  fd_filestat_set_times: {
    params: sig('fd:i32', 'atim:i64', 'mtim:i64', 'fst_flags:i32'), returnsErrno: true,
    decode: (_m, r) => ({ fd: u32(r[0]), atim: u64(r[1]), mtim: u64(r[2]), fstflags: u32(r[3]) & 0xffff }),
  } as Codec<TimesArgs, void>,
  fd_pread: {
    params: sig('fd:i32', 'iovs:i32', 'iovs_len:i32', 'offset:i64', 'nread:i32'), returnsErrno: true,
    decode: (m, r) => {
      const { iovs, total } = readIovs(m, u32(r[1]), u32(r[2]));
      const _ret = u32(r[4]);
      m.check(_ret, 4);
      return { fd: u32(r[0]), max: total, offset: u64(r[3]), _iovs: iovs, _ret };
    },
    encode: (m, a, data) => retU32(m, a, scatter(m, a._iovs, data)),
  } as Codec<PreadArgs, Uint8Array>,
  fd_prestat_get: {
    params: sig('fd:i32', 'buf:i32'), returnsErrno: true,
    decode: (m, r) => { const _ret = u32(r[1]); m.check(_ret, Layout.PRESTAT_SIZE); return { fd: u32(r[0]), _ret }; },
    encode: (m, a, name) => {
      m.zero(a._ret, Layout.PRESTAT_SIZE);
      m.setU8(a._ret, 0); // preopentype dir
      m.setU32(a._ret + 4, utf8(name).byteLength);
    },
  } as Codec<FdArgs & { _ret: number }, string>,
  fd_prestat_dir_name: {
    params: sig('fd:i32', 'path:i32', 'path_len:i32'), returnsErrno: true,
    decode: (m, r) => { const _ptr = u32(r[1]); const len = u32(r[2]); m.check(_ptr, len); return { fd: u32(r[0]), len, _ptr }; },
    encode: (m, a, name) => m.write(a._ptr, utf8(name).subarray(0, a.len)),
  } as Codec<PrestatNameArgs, string>,
  fd_pwrite: {
    params: sig('fd:i32', 'iovs:i32', 'iovs_len:i32', 'offset:i64', 'nwritten:i32'), returnsErrno: true,
    decode: (m, r) => {
      const { iovs, total } = readIovs(m, u32(r[1]), u32(r[2]));
      const _ret = u32(r[4]);
      m.check(_ret, 4);
      return { fd: u32(r[0]), data: gather(m, iovs, total), offset: u64(r[3]), _ret };
    },
    encode: retU32,
  } as Codec<PwriteArgs, number>,
  fd_read: {
    params: sig('fd:i32', 'iovs:i32', 'iovs_len:i32', 'nread:i32'), returnsErrno: true,
    decode: (m, r) => {
      const { iovs, total } = readIovs(m, u32(r[1]), u32(r[2]));
      const _ret = u32(r[3]);
      m.check(_ret, 4);
      return { fd: u32(r[0]), max: total, _iovs: iovs, _ret };
    },
    encode: (m, a, data) => retU32(m, a, scatter(m, a._iovs, data)),
  } as Codec<ReadArgs, Uint8Array>,
  fd_readdir: {
    params: sig('fd:i32', 'buf:i32', 'buf_len:i32', 'cookie:i64', 'bufused:i32'), returnsErrno: true,
    decode: (m, r) => {
      const _buf = u32(r[1]); const bufLen = u32(r[2]); const _ret = u32(r[4]);
      m.check(_buf, bufLen);
      m.check(_ret, 4);
      return { fd: u32(r[0]), bufLen, cookie: u64(r[3]), _buf, _ret };
    },
    encode: (m, a, entries) => m.setU32(a._ret, encodeDirents(m, a._buf, a.bufLen, entries)),
  } as Codec<ReaddirArgs, DirEntry[]>,
  fd_renumber: {
    params: sig('fd:i32', 'to:i32'), returnsErrno: true,
    decode: (_m, r) => ({ fd: u32(r[0]), to: u32(r[1]) }),
  } as Codec<{ fd: number; to: number }, void>,
  fd_seek: {
    params: sig('fd:i32', 'offset:i64', 'whence:i32', 'newoffset:i32'), returnsErrno: true,
    decode: (m, r) => { const _ret = u32(r[3]); m.check(_ret, 8); return { fd: u32(r[0]), offset: s64(r[1]), whence: u32(r[2]) & 0xff, _ret }; },
    encode: retU64,
  } as Codec<SeekArgs, bigint>,
  fd_sync: fdOnly,
  fd_tell: {
    params: sig('fd:i32', 'offset:i32'), returnsErrno: true,
    decode: (m, r) => { const _ret = u32(r[1]); m.check(_ret, 8); return { fd: u32(r[0]), _ret }; },
    encode: retU64,
  } as Codec<FdArgs & { _ret: number }, bigint>,
  fd_write: {
    params: sig('fd:i32', 'iovs:i32', 'iovs_len:i32', 'nwritten:i32'), returnsErrno: true,
    decode: (m, r) => {
      const { iovs, total } = readIovs(m, u32(r[1]), u32(r[2]));
      const _ret = u32(r[3]);
      m.check(_ret, 4);
      return { fd: u32(r[0]), data: gather(m, iovs, total), _ret };
    },
    encode: retU32,
  } as Codec<WriteArgs, number>,
} satisfies Record<string, Codec<any, any>>;

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
