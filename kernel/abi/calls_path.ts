/** Codecs of the `path_*` calls. Paths are decoded as UTF-8 (EILSEQ) without NUL (EINVAL). */
import type { Filestat } from '../vfs/types.js';
import { Codec, readString, sig, u32, u64, utf8 } from './codec.js';
import { writeFilestat } from './calls_fd.js';
import { Layout } from './wasi.js';

/** `{fd, path}` calls. */
export interface PathArgs { fd: number; path: string }
/** path_filestat_get input. */
export interface PathStatArgs extends PathArgs { flags: number; _ret: number }
/** path_filestat_set_times input. */
export interface PathTimesArgs extends PathArgs { flags: number; atim: bigint; mtim: bigint; fstflags: number }
/** path_link input. */
export interface LinkArgs { oldFd: number; oldFlags: number; oldPath: string; newFd: number; newPath: string }
/** path_rename input. */
export interface RenameArgs { fd: number; oldPath: string; newFd: number; newPath: string }
/** path_symlink input. */
export interface SymlinkArgs { target: string; fd: number; path: string }
/** path_open input. */
export interface OpenArgs extends PathArgs {
  dirflags: number;
  oflags: number;
  rightsBase: bigint;
  rightsInheriting: bigint;
  fdflags: number;
  _ret: number;
}
/** path_readlink input. */
export interface ReadlinkArgs extends PathArgs { bufLen: number; _buf: number; _ret: number }

const fdPath: Codec<PathArgs, void> = {
  params: sig('fd:i32', 'path:i32', 'path_len:i32'), returnsErrno: true,
  decode: (m, r) => ({ fd: u32(r[0]), path: readString(m, u32(r[1]), u32(r[2])) }),
};

/** Codecs of every path_* call, by name. */
export const pathCodecs = {
  path_create_directory: fdPath,
  path_filestat_get: {
    params: sig('fd:i32', 'flags:i32', 'path:i32', 'path_len:i32', 'buf:i32'), returnsErrno: true,
    decode: (m, r) => {
      const path = readString(m, u32(r[2]), u32(r[3]));
      const _ret = u32(r[4]);
      m.check(_ret, Layout.FILESTAT_SIZE);
      return { fd: u32(r[0]), flags: u32(r[1]), path, _ret };
    },
    encode: (m, a, st) => writeFilestat(m, a._ret, st),
  } as Codec<PathStatArgs, Filestat>,
  path_filestat_set_times: {
    params: sig('fd:i32', 'flags:i32', 'path:i32', 'path_len:i32', 'atim:i64', 'mtim:i64', 'fst_flags:i32'), returnsErrno: true,
    decode: (m, r) => ({
      fd: u32(r[0]), flags: u32(r[1]), path: readString(m, u32(r[2]), u32(r[3])),
      atim: u64(r[4]), mtim: u64(r[5]), fstflags: u32(r[6]) & 0xffff,
    }),
  } as Codec<PathTimesArgs, void>,
  path_link: {
    params: sig('old_fd:i32', 'old_flags:i32', 'old_path:i32', 'old_path_len:i32', 'new_fd:i32', 'new_path:i32', 'new_path_len:i32'), returnsErrno: true,
    decode: (m, r) => ({
      oldFd: u32(r[0]), oldFlags: u32(r[1]), oldPath: readString(m, u32(r[2]), u32(r[3])),
      newFd: u32(r[4]), newPath: readString(m, u32(r[5]), u32(r[6])),
    }),
  } as Codec<LinkArgs, void>,
  path_open: {
    params: sig('fd:i32', 'dirflags:i32', 'path:i32', 'path_len:i32', 'oflags:i32', 'fs_rights_base:i64', 'fs_rights_inheriting:i64', 'fdflags:i32', 'opened_fd:i32'), returnsErrno: true,
    decode: (m, r) => {
      const path = readString(m, u32(r[2]), u32(r[3]));
      const _ret = u32(r[8]);
      m.check(_ret, 4);
      return {
        fd: u32(r[0]), dirflags: u32(r[1]), path, oflags: u32(r[4]) & 0xffff,
        rightsBase: u64(r[5]), rightsInheriting: u64(r[6]), fdflags: u32(r[7]) & 0xffff, _ret,
      };
    },
    encode: (m, a, fd) => m.setU32(a._ret, fd),
  } as Codec<OpenArgs, number>,
  path_readlink: {
    params: sig('fd:i32', 'path:i32', 'path_len:i32', 'buf:i32', 'buf_len:i32', 'bufused:i32'), returnsErrno: true,
    decode: (m, r) => {
      const path = readString(m, u32(r[1]), u32(r[2]));
      const _buf = u32(r[3]); const bufLen = u32(r[4]); const _ret = u32(r[5]);
      m.check(_buf, bufLen);
      m.check(_ret, 4);
      return { fd: u32(r[0]), path, bufLen, _buf, _ret };
    },
    encode: (m, a, target) => {
      const b = utf8(target).subarray(0, a.bufLen);
      m.write(a._buf, b);
      m.setU32(a._ret, b.byteLength);
    },
  } as Codec<ReadlinkArgs, string>,
  path_remove_directory: fdPath,
  path_rename: {
    params: sig('fd:i32', 'old_path:i32', 'old_path_len:i32', 'new_fd:i32', 'new_path:i32', 'new_path_len:i32'), returnsErrno: true,
    decode: (m, r) => ({
      fd: u32(r[0]), oldPath: readString(m, u32(r[1]), u32(r[2])),
      newFd: u32(r[3]), newPath: readString(m, u32(r[4]), u32(r[5])),
    }),
  } as Codec<RenameArgs, void>,
  path_symlink: {
    params: sig('old_path:i32', 'old_path_len:i32', 'fd:i32', 'new_path:i32', 'new_path_len:i32'), returnsErrno: true,
    decode: (m, r) => ({
      target: readString(m, u32(r[0]), u32(r[1])), fd: u32(r[2]), path: readString(m, u32(r[3]), u32(r[4])),
    }),
  } as Codec<SymlinkArgs, void>,
  path_unlink_file: fdPath,
} satisfies Record<string, Codec<any, any>>;
