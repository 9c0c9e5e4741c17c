/**
 * The contract between the VFS (kernel/vfs, kernel/fs) and the rest of the
 * kernel (kernel/syscalls, kernel/task). Syscall handlers only ever use the
 * `PathOps` facade and the `OpenFile` interface below; everything about
 * inodes, mounts and filesystems stays behind them.
 *
 * All methods throw prebuilt SysError singletons (`E.NOENT`) on failure.
 * Times are nanoseconds since the epoch as bigint. Sizes and offsets are
 * bigint at this boundary (WASI uses u64).
 */

/** WASI `filetype` values. */
export const FileType = {
  UNKNOWN: 0,
  BLOCK_DEVICE: 1,
  CHARACTER_DEVICE: 2,
  DIRECTORY: 3,
  REGULAR_FILE: 4,
  SOCKET_DGRAM: 5,
  SOCKET_STREAM: 6,
  SYMBOLIC_LINK: 7,
} as const;
/** One WASI filetype number. */
export type FileTypeValue = (typeof FileType)[keyof typeof FileType];

/** WASI `fdflags` bits. */
export const FdFlags = { APPEND: 1, DSYNC: 2, NONBLOCK: 4, RSYNC: 8, SYNC: 16 } as const;
/** WASI `oflags` bits. */
export const OFlags = { CREAT: 1, DIRECTORY: 2, EXCL: 4, TRUNC: 8 } as const;
/** WASI `lookupflags` bits. */
export const LookupFlags = { SYMLINK_FOLLOW: 1 } as const;
/** WASI `fstflags` bits. */
export const FstFlags = { ATIM: 1, ATIM_NOW: 2, MTIM: 4, MTIM_NOW: 8 } as const;
/** WASI `whence` values. */
export const Whence = { SET: 0, CUR: 1, END: 2 } as const;

/** WASI `filestat`, plus the POSIX fields procfs and permission checks need. */
export interface Filestat {
  dev: bigint;
  ino: bigint;
  filetype: FileTypeValue;
  nlink: bigint;
  size: bigint;
  atim: bigint;
  mtim: bigint;
  ctim: bigint;
  /** Permission bits (0o7777). */
  mode: number;
  uid: number;
  gid: number;
}

/** One directory entry as `fd_readdir` returns it. */
export interface DirEntry {
  /** Cookie of the *next* entry: pass it back to continue after this one. */
  next: bigint;
  ino: bigint;
  name: string;
  filetype: FileTypeValue;
}

/**
 * Who is asking: permission checks use uid/gid (already mapped by the user
 * namespace); devfs (`/dev/fd/N`, `/dev/stdout`) and procfs (`/proc/self`)
 * use `pid` and `fd` to see the calling task.
 */
export interface Credentials {
  uid: number;
  gid: number;
  groups?: readonly number[];
  /**
   * The runtime itself preparing the root before the guest runs (mount
   * points, seeded files), as runc does as host root: with uid 0, root's
   * overrides cover unmapped inodes too. Never a task's credentials.
   */
  hostRoot?: true;
  /** Pid of the calling task in its pid namespace. */
  pid?: number;
  /** Look up an open fd of the calling task. */
  fd?(n: number): OpenFile | undefined;
  /** The open fd numbers of the calling task, ascending (for listing /dev/fd). */
  fdList?(): readonly number[];
}

/** How an open file may be used; checked once when the fd is looked up (wasmtime style). */
export interface OpenMode {
  read: boolean;
  write: boolean;
}

/**
 * An open file description (POSIX sense): shared by fds that were dup'ed,
 * it owns the offset and status flags. Regular files, directories, devices,
 * pipes, consoles and sockets all implement it. Methods a kind of file does
 * not support throw the errno POSIX gives (EBADF, ESPIPE, EISDIR, ENOTDIR,
 * EINVAL, ENOTSOCK...).
 *
 * Blocking: a read or write that cannot make progress on a blocking
 * description throws a `WouldBlock` (kernel/vfs/wait.ts) naming what to wait
 * on; the platform waits (inline) or parks the request (sentry) and retries.
 * With NONBLOCK set it throws E.AGAIN instead.
 */
export interface OpenFile {
  readonly filetype: FileTypeValue;
  /** Current status flags (FdFlags bits). */
  fdflags: number;
  readonly mode: OpenMode;
  /**
   * Read at the current offset, advancing it; returns the bytes read (0 = EOF).
   * The result may be a view of the file's own storage (zero copy): copy it
   * out before the next operation on the file. Same for `pread`.
   */
  read(max: number): Uint8Array;
  /**
   * Optional `read` straight into `dst[dstOff, dstOff+len)` (the inline
   * platform's guest memory): one copy, no intermediate buffer; returns the
   * bytes read. Only for files whose reads never block.
   */
  readInto?(dst: Uint8Array, dstOff: number, len: number): number;
  /** Read at `offset` without moving the offset. */
  pread(max: number, offset: bigint): Uint8Array;
  /** Write at the offset (or at the end with APPEND), advancing it; returns bytes written. */
  write(data: Uint8Array): number;
  /** Write at `offset` without moving the offset. */
  pwrite(data: Uint8Array, offset: bigint): number;
  /** Reposition; returns the new offset. */
  seek(delta: bigint, whence: number): bigint;
  /** Current offset (`fd_tell`). */
  tell(): bigint;
  stat(): Filestat;
  /** `fd_filestat_set_size`. */
  truncate(size: bigint): void;
  /** `fd_filestat_set_times`; null leaves a time unchanged; 'now' uses the clock. */
  setTimes(atim: bigint | 'now' | null, mtim: bigint | 'now' | null): void;
  sync(): void;
  /**
   * `fd_readdir` from `cookie`; directories only. Returns at most `max`
   * entries when given (the caller asks again from the last `next`), else all.
   * Entry 0 is `.`, then `..`, then the directory's names; cookies stay valid
   * while the directory changes (no entry that survives is skipped or repeated).
   */
  readdir(cookie: bigint, max?: number): DirEntry[];
  /** `fd_advise`/`fd_allocate` validate and may do nothing. */
  allocate(offset: bigint, len: bigint): void;
  /** Bytes readable now (for poll), or null if unknown/not applicable. */
  readable(): boolean;
  writable(): boolean;
  /** Called when the last fd referring to this description closes. */
  release(): void;
  /** The PathOps handle for a directory description, used as `dirfd` in path_* calls. */
  readonly dir?: DirHandle;
  /** Human-readable path for /proc/<pid>/fd and strace. */
  describe(): string;
}

/**
 * Opaque handle for a directory a path walk can start from (an open dir or a
 * preopen). Preopens made with `MountNamespace.rootHandle({ beneath: true })`
 * or `openDirHandle(cred, path, { beneath: true })` follow the WASI
 * capability rules (EPERM for absolute paths and for `..` or symlinks that
 * lead above the handle), and so do directories opened through them.
 */
export interface DirHandle {
  readonly __dirHandle: true;
}

/** Options for `PathOps.open`. */
export interface OpenOptions {
  oflags: number;
  fdflags: number;
  followSymlinks: boolean;
  mode: OpenMode;
}

/**
 * The path-based operations of the VFS, as syscall handlers use them. Each
 * takes a starting directory and a relative (or absolute, resolved against
 * the task's root) path, walks it inside the task's mount namespace with
 * symlinks (ELOOP after 40), never lets `..` leave the root, and checks
 * permissions against `cred`.
 */
export interface PathOps {
  open(cred: Credentials, dir: DirHandle, path: string, opts: OpenOptions): OpenFile;
  stat(cred: Credentials, dir: DirHandle, path: string, follow: boolean): Filestat;
  setTimes(cred: Credentials, dir: DirHandle, path: string, follow: boolean,
    atim: bigint | 'now' | null, mtim: bigint | 'now' | null): void;
  mkdir(cred: Credentials, dir: DirHandle, path: string, mode: number): void;
  rmdir(cred: Credentials, dir: DirHandle, path: string): void;
  unlink(cred: Credentials, dir: DirHandle, path: string): void;
  rename(cred: Credentials, oldDir: DirHandle, oldPath: string, newDir: DirHandle, newPath: string): void;
  link(cred: Credentials, oldDir: DirHandle, oldPath: string, follow: boolean, newDir: DirHandle, newPath: string): void;
  symlink(cred: Credentials, target: string, dir: DirHandle, path: string): void;
  readlink(cred: Credentials, dir: DirHandle, path: string): string;
}
