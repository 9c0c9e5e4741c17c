/**
 * The kernel's only window on the world. `kernel/` imports nothing from
 * `node:*` and no DOM API: clocks, randomness, host directories (bind
 * mounts), consoles and blocking waits come in through this interface.
 * `src/host/` implements it for Node and the browser; `test/` has a fake.
 */
export interface Host {
  /** Wall clock, nanoseconds since the Unix epoch. */
  realtimeNs(): bigint;
  /** Monotonic clock, nanoseconds from an arbitrary origin. */
  monotonicNs(): bigint;
  /** CPU time used by the current thread (or a monotonic fallback), in ns. */
  cpuTimeNs(): bigint;
  /** Fill `buf` with cryptographically secure random bytes. */
  randomFill(buf: Uint8Array): void;
  /**
   * Block the calling thread for up to `ns` nanoseconds without spinning,
   * returning early if `wake` (when given) is notified. Used by the inline
   * platform only; the sentry platform parks requests instead.
   */
  sleepSync(ns: bigint): void;
  /** Host directories for bind mounts; absent in the browser. */
  readonly hostfs?: HostFs;
  /** Report an internal kernel bug (an exception that was not a SysError). */
  logBug(message: string, err: unknown): void;
}

/** Stat of a host file, as hostfs needs it. Times are ns since the epoch. */
export interface HostStat {
  dev: bigint;
  ino: bigint;
  kind: 'file' | 'dir' | 'symlink' | 'chardev' | 'blockdev' | 'fifo' | 'socket';
  mode: number;
  nlink: bigint;
  size: bigint;
  uid: number;
  gid: number;
  atimeNs: bigint;
  mtimeNs: bigint;
  ctimeNs: bigint;
}

/**
 * Synchronous host file access for bind mounts. Paths are absolute host
 * paths already confined by hostfs to the bind's source; implementations
 * must not follow symlinks in the final component unless asked
 * (`lstat`, `readlink`), and throw SysError (kernel/errno) on failure.
 */
export interface HostFs {
  lstat(path: string): HostStat;
  readdir(path: string): string[];
  readlink(path: string): string;
  /** Open for I/O; returns a host handle. `flags` are 'r', 'r+', 'w+', 'wx+' etc. */
  open(path: string, flags: string, mode: number): number;
  close(handle: number): void;
  pread(handle: number, buf: Uint8Array, pos: number): number;
  pwrite(handle: number, buf: Uint8Array, pos: number): number;
  fstat(handle: number): HostStat;
  ftruncate(handle: number, size: number): void;
  fsync(handle: number): void;
  mkdir(path: string, mode: number): void;
  rmdir(path: string): void;
  unlink(path: string): void;
  rename(from: string, to: string): void;
  link(from: string, to: string): void;
  symlink(target: string, path: string): void;
  utimes(path: string, atimeNs: bigint | null, mtimeNs: bigint | null): void;
  chmod(path: string, mode: number): void;
}
