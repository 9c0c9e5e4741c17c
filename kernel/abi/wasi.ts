/**
 * WASI preview1 constants (witx `wasi_snapshot_preview1`) that both the ABI
 * layer and the handlers use: rights, clocks, event types, signals and the
 * byte layouts of the structs the ABI reads and writes.
 */

/** WASI `rights` bits. All fit in 30 bits, so they are kept as JS numbers. */
export const Rights = {
  FD_DATASYNC: 1 << 0,
  FD_READ: 1 << 1,
  FD_SEEK: 1 << 2,
  FD_FDSTAT_SET_FLAGS: 1 << 3,
  FD_SYNC: 1 << 4,
  FD_TELL: 1 << 5,
  FD_WRITE: 1 << 6,
  FD_ADVISE: 1 << 7,
  FD_ALLOCATE: 1 << 8,
  PATH_CREATE_DIRECTORY: 1 << 9,
  PATH_CREATE_FILE: 1 << 10,
  PATH_LINK_SOURCE: 1 << 11,
  PATH_LINK_TARGET: 1 << 12,
  PATH_OPEN: 1 << 13,
  FD_READDIR: 1 << 14,
  PATH_READLINK: 1 << 15,
  PATH_RENAME_SOURCE: 1 << 16,
  PATH_RENAME_TARGET: 1 << 17,
  PATH_FILESTAT_GET: 1 << 18,
  PATH_FILESTAT_SET_SIZE: 1 << 19,
  PATH_FILESTAT_SET_TIMES: 1 << 20,
  FD_FILESTAT_GET: 1 << 21,
  FD_FILESTAT_SET_SIZE: 1 << 22,
  FD_FILESTAT_SET_TIMES: 1 << 23,
  PATH_SYMLINK: 1 << 24,
  PATH_REMOVE_DIRECTORY: 1 << 25,
  PATH_UNLINK_FILE: 1 << 26,
  POLL_FD_READWRITE: 1 << 27,
  SOCK_SHUTDOWN: 1 << 28,
  SOCK_ACCEPT: 1 << 29,
} as const;

/** Every right defined by preview1. */
export const RIGHTS_ALL = (1 << 30) - 1;

/** Rights that only make sense on an open file (not a path walk). */
export const RIGHTS_FD_ALL =
  Rights.FD_DATASYNC | Rights.FD_READ | Rights.FD_SEEK | Rights.FD_FDSTAT_SET_FLAGS |
  Rights.FD_SYNC | Rights.FD_TELL | Rights.FD_WRITE | Rights.FD_ADVISE | Rights.FD_ALLOCATE |
  Rights.FD_FILESTAT_GET | Rights.FD_FILESTAT_SET_SIZE | Rights.FD_FILESTAT_SET_TIMES |
  Rights.POLL_FD_READWRITE;

/** Rights a directory fd can hold (no read, write, seek, size: those are for files). */
export const RIGHTS_DIR_BASE =
  Rights.FD_FDSTAT_SET_FLAGS | Rights.FD_SYNC | Rights.FD_ADVISE | Rights.PATH_CREATE_DIRECTORY |
  Rights.PATH_CREATE_FILE | Rights.PATH_LINK_SOURCE | Rights.PATH_LINK_TARGET | Rights.PATH_OPEN |
  Rights.FD_READDIR | Rights.PATH_READLINK | Rights.PATH_RENAME_SOURCE | Rights.PATH_RENAME_TARGET |
  Rights.PATH_FILESTAT_GET | Rights.PATH_FILESTAT_SET_SIZE | Rights.PATH_FILESTAT_SET_TIMES |
  Rights.FD_FILESTAT_GET | Rights.FD_FILESTAT_SET_TIMES | Rights.PATH_SYMLINK | Rights.PATH_REMOVE_DIRECTORY |
  Rights.PATH_UNLINK_FILE | Rights.POLL_FD_READWRITE | Rights.FD_DATASYNC;

/** Rights a regular file (or device) fd can hold. */
export const RIGHTS_FILE_BASE = RIGHTS_FD_ALL;

/** Rights of a stream (pipe, console): no seek, tell, allocate or size. */
export const RIGHTS_STREAM =
  Rights.FD_READ | Rights.FD_WRITE | Rights.FD_FDSTAT_SET_FLAGS | Rights.FD_SYNC |
  Rights.FD_DATASYNC | Rights.FD_FILESTAT_GET | Rights.FD_FILESTAT_SET_TIMES |
  Rights.POLL_FD_READWRITE | Rights.FD_ADVISE;

/** Rights of a socket. */
export const RIGHTS_SOCKET = RIGHTS_STREAM | Rights.SOCK_SHUTDOWN | Rights.SOCK_ACCEPT;

/** WASI clock ids. */
export const ClockId = { REALTIME: 0, MONOTONIC: 1, PROCESS_CPUTIME_ID: 2, THREAD_CPUTIME_ID: 3 } as const;

/** WASI `eventtype`. */
export const EventType = { CLOCK: 0, FD_READ: 1, FD_WRITE: 2 } as const;

/** WASI `subclockflags`. */
export const SubclockFlags = { ABSTIME: 1 } as const;

/** WASI `eventrwflags`. */
export const EventRwFlags = { FD_READWRITE_HANGUP: 1 } as const;

/** WASI `riflags` / `roflags` / `sdflags`. */
export const RiFlags = { RECV_PEEK: 1, RECV_WAITALL: 2 } as const;
/** WASI `roflags`. */
export const RoFlags = { RECV_DATA_TRUNCATED: 1 } as const;
/** WASI `sdflags`. */
export const SdFlags = { RD: 1, WR: 2 } as const;

/** WASI `advice` values (0..5). */
export const Advice = { NORMAL: 0, SEQUENTIAL: 1, RANDOM: 2, WILLNEED: 3, DONTNEED: 4, NOREUSE: 5 } as const;

/** WASI `preopentype`. */
export const PreopenType = { DIR: 0 } as const;

/**
 * WASI `signal` numbers. They match Linux up to 15 and then diverge (WASI
 * has no STKFLT), so `linuxSignal` maps them for exit statuses (128+n).
 */
export const Signal = {
  NONE: 0, HUP: 1, INT: 2, QUIT: 3, ILL: 4, TRAP: 5, ABRT: 6, BUS: 7, FPE: 8, KILL: 9,
  USR1: 10, SEGV: 11, USR2: 12, PIPE: 13, ALRM: 14, TERM: 15, CHLD: 16, CONT: 17, STOP: 18,
  TSTP: 19, TTIN: 20, TTOU: 21, URG: 22, XCPU: 23, XFSZ: 24, VTALRM: 25, PROF: 26, WINCH: 27,
  POLL: 28, PWR: 29, SYS: 30,
} as const;

/** Names of WASI signals by number (for strace and statuses). */
export const SIGNAL_NAMES: readonly string[] = Object.keys(Signal);

/** Linux number of a WASI signal (for 128+n exit statuses), or 0. */
export function linuxSignal(wasiSig: number): number {
  if (wasiSig <= 0 || wasiSig > 30) return 0;
  return wasiSig <= 15 ? wasiSig : wasiSig + 1;
}

/** Byte sizes and offsets of the preview1 structs (wasm32). */
export const Layout = {
  IOVEC_SIZE: 8,
  FDSTAT_SIZE: 24,
  FILESTAT_SIZE: 64,
  PRESTAT_SIZE: 8,
  DIRENT_SIZE: 24,
  SUBSCRIPTION_SIZE: 48,
  EVENT_SIZE: 32,
} as const;

/**
 * Every import of the `wasi_snapshot_preview1` module, in witx order. The
 * witx of 2020 has 45 functions; `sock_accept` was added in 2022 and is here
 * too, making 46.
 */
export const WASI_PREVIEW1_IMPORTS = [
  'args_get', 'args_sizes_get', 'environ_get', 'environ_sizes_get',
  'clock_res_get', 'clock_time_get',
  'fd_advise', 'fd_allocate', 'fd_close', 'fd_datasync', 'fd_fdstat_get', 'fd_fdstat_set_flags',
  'fd_fdstat_set_rights', 'fd_filestat_get', 'fd_filestat_set_size', 'fd_filestat_set_times',
  'fd_pread', 'fd_prestat_get', 'fd_prestat_dir_name', 'fd_pwrite', 'fd_read', 'fd_readdir',
  'fd_renumber', 'fd_seek', 'fd_sync', 'fd_tell', 'fd_write',
  'path_create_directory', 'path_filestat_get', 'path_filestat_set_times', 'path_link', 'path_open',
  'path_readlink', 'path_remove_directory', 'path_rename', 'path_symlink', 'path_unlink_file',
  'poll_oneoff', 'proc_exit', 'proc_raise', 'sched_yield', 'random_get',
  'sock_accept', 'sock_recv', 'sock_send', 'sock_shutdown',
] as const;

/** Name of one preview1 import. */
export type WasiCallName = (typeof WASI_PREVIEW1_IMPORTS)[number];

/** Name of the import module. */
export const WASI_MODULE = 'wasi_snapshot_preview1';
