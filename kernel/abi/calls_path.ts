/** Argument types of the `path_*` calls (the codecs: derive.ts from spec.ts). Paths are decoded as UTF-8 (EILSEQ) without NUL (EINVAL). */

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
