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
  /**
   * True for a virtual clock (a deterministic run): time moves only when
   * told, so a wait with a deadline ends at once, the clock advanced to it
   * by `sleepSync` (the sentry platform parks nothing on a real timer).
   */
  readonly virtualTime?: boolean;
  /**
   * True for a deterministic run: filesystems of host directories list
   * names sorted and number inodes from their path, not the host's.
   */
  readonly stableIds?: boolean;
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

/** One entry of a directory stream: its name and kind as the directory says (no stat). */
export interface HostDirent {
  name: string;
  kind: HostStat['kind'] | 'unknown';
}

/**
 * Synchronous host file access for bind mounts and `--rootfs`, relative to
 * open directory handles (openat style). The only calls that take a host
 * path are the mount-time ones (`lstat`, `openDir`, `open` of a single-file
 * bind); everything below a mount's root is reached as (directory handle,
 * one name), so a host path component swapped for a symlink after the walk
 * cannot redirect it. `name` is one component (hostfs checks it is not '',
 * '.', '..' and holds no '/' or NUL); no `*At` call follows a symlink in
 * `name`. Failures throw SysError (kernel/errno). Handles are small numbers
 * the caller must `close`; a directory stream is closed with `closeDirStream`.
 */
export interface HostFs {
  /** lstat of an absolute host path (mount-time checks only). */
  lstat(path: string): HostStat;
  /** Open host directory `path` (the mount source, as the user named it) as a directory handle. */
  openDir(path: string): number;
  /** Open host file `path` (a single-file bind) with O_NOFOLLOW. `flags`: 'r', 'r+', 'wx', 'wx+'... */
  open(path: string, flags: string, mode: number): number;
  /** lstat of `name` in directory `dir`. */
  statAt(dir: number, name: string): HostStat;
  /** Open `name` in `dir` for I/O, never following a symlink (O_NOFOLLOW). */
  openAt(dir: number, name: string, flags: string, mode: number): number;
  /** Open directory `name` in `dir` (O_DIRECTORY | O_NOFOLLOW). */
  openDirAt(dir: number, name: string): number;
  /** Start listing directory `dir` (an independent stream, its own position). */
  openDirStream(dir: number): number;
  /** Up to `max` more entries of a stream ('.' and '..' left out); [] at the end. */
  readDirStream(stream: number, max: number): HostDirent[];
  /** Close a directory stream. */
  closeDirStream(stream: number): void;
  /** Target of symlink `name` in `dir`. */
  readlinkAt(dir: number, name: string): string;
  /** mkdir `name` in `dir`. */
  mkdirAt(dir: number, name: string, mode: number): void;
  /** rmdir `name` in `dir`. */
  rmdirAt(dir: number, name: string): void;
  /** unlink `name` in `dir`. */
  unlinkAt(dir: number, name: string): void;
  /** rename `from/fromName` to `to/toName`. */
  renameAt(from: number, fromName: string, to: number, toName: string): void;
  /** Hard link `from/fromName` (not followed) as `to/toName`. */
  linkAt(from: number, fromName: string, to: number, toName: string): void;
  /** Create symlink `name` in `dir` holding `target` (written verbatim, never resolved on the host). */
  symlinkAt(target: string, dir: number, name: string): void;
  /** Set times of `name` in `dir` without following it; null keeps a time. */
  utimesAt(dir: number, name: string, atimeNs: bigint | null, mtimeNs: bigint | null): void;
  /** Set times of an open handle; null keeps a time. */
  futimes(handle: number, atimeNs: bigint | null, mtimeNs: bigint | null): void;
  /** chown an open handle (-1 keeps an id). */
  fchown(handle: number, uid: number, gid: number): void;
  /** chown `name` in `dir` without following it (-1 keeps an id). */
  lchownAt(dir: number, name: string, uid: number, gid: number): void;
  close(handle: number): void;
  pread(handle: number, buf: Uint8Array, pos: number): number;
  pwrite(handle: number, buf: Uint8Array, pos: number): number;
  fstat(handle: number): HostStat;
  ftruncate(handle: number, size: number): void;
  fsync(handle: number): void;
}

/**
 * Events of the host network, delivered to a container's net namespace
 * (kernel/fs/socket_ns.ts). Handles are small numbers the host chose.
 */
export interface NetEvents {
  /** Connection `conn` arrived on listener `listener` from `peer` ("ip:port"). */
  connection(listener: number, conn: number, peer: string): void;
  /** Bytes arrived on `conn` (the host sends no more than the receive credit given). */
  data(conn: number, bytes: Uint8Array): void;
  /** The peer shut its write side: reads see EOF once the buffer drains. */
  end(conn: number): void;
  /** `conn` is gone (closed by the peer or reset): writes fail with EPIPE. */
  closed(conn: number): void;
  /** `n` bytes given to `send` left the host's buffers (send credit comes back). */
  sent(conn: number, n: number): void;
}

/**
 * Stream sockets on the host, for published ports. The host opens the
 * listeners before the container starts (where it can fail with one clear
 * error) and names them by handle; the kernel only moves bytes. Flow
 * control is by credit both ways: the host sends at most the receive
 * credit of a connection (`RECV_WINDOW` at first, more through `credit`),
 * and keeps at most `BACKLOG` connections of a listener the kernel has not
 * accepted (`backlog` gives slots back), dropping the others; the kernel
 * has at most `SEND_WINDOW` bytes unacknowledged (`sent`) per connection.
 * Events go to the sink `attach` names, either from the host's event loop
 * (the sentry platform) or from `pump` (a thread that must block: inline).
 */
export interface HostNet {
  /** Route the events of `listeners` and of their connections to `events`. */
  attach(listeners: readonly number[], events: NetEvents): void;
  /** Send `bytes` on `conn` (copied). */
  send(conn: number, bytes: Uint8Array): void;
  /** Shut the write side of `conn` once its bytes are sent. */
  shutdown(conn: number): void;
  /** Close `conn`: flush what was sent, then drop it. */
  close(conn: number): void;
  /** Allow `n` more bytes to arrive on `conn`. */
  credit(conn: number, n: number): void;
  /** `n` connections of `listener` were accepted or dropped by the kernel. */
  backlog(listener: number, n: number): void;
  /** Stop listening on `listener` and drop its pending connections (the port is free again). */
  closeListener(listener: number): void;
  /**
   * Deliver pending events now; if none, wait up to `timeoutNs` (null:
   * until one arrives) for one. True if an event was delivered.
   */
  pump(timeoutNs: bigint | null): boolean;
}
