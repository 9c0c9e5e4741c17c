/**
 * Base class for non-seekable kernel files (pipes, consoles, non-sockets):
 * every operation defaults to the errno Linux gives for a pipe, so a
 * subclass only overrides what it supports.
 */
import { DefaultFile } from '../vfs/default_file.js';
import type { Filestat, FileTypeValue, OpenMode } from '../vfs/types.js';
import { FileType } from '../vfs/types.js';
import type { WaitQueue } from '../vfs/wait.js';

/** Identity and times of a stream file. */
export interface StreamMeta {
  ino?: bigint;
  nowNs?: bigint;
  filetype?: FileTypeValue;
}

/** A non-seekable file with pipe-like defaults (DefaultFile's), plus times and poll details. */
export abstract class StreamFile extends DefaultFile {
  readonly filetype: FileTypeValue;
  fdflags = 0;
  private readonly ino: bigint;
  private atim: bigint;
  private mtim: bigint;
  private ctim: bigint;

  constructor(readonly mode: OpenMode, meta: StreamMeta = {}) {
    super();
    this.filetype = meta.filetype ?? FileType.UNKNOWN;
    this.ino = meta.ino ?? 0n;
    this.atim = this.mtim = this.ctim = meta.nowNs ?? 0n;
  }

  stat(): Filestat {
    return {
      dev: 0n, ino: this.ino, filetype: this.filetype, nlink: 1n, size: 0n,
      atim: this.atim, mtim: this.mtim, ctim: this.ctim, mode: 0o600, uid: 0, gid: 0,
    };
  }
  override setTimes(atim: bigint | 'now' | null, mtim: bigint | 'now' | null): void {
    // 'now' is resolved by the caller for streams; keep the last explicit value.
    if (typeof atim === 'bigint') this.atim = atim;
    if (typeof mtim === 'bigint') this.mtim = mtim;
  }
  /** The queue notified when this file becomes readable (`write` false) or writable; for poll_oneoff. */
  pollQueue(_write: boolean): WaitQueue | undefined {
    return undefined;
  }
  /** True when the other side is gone (poll's FD_READWRITE_HANGUP). */
  hangup(): boolean {
    return false;
  }
  /** Bytes readable now without blocking, if known (poll's nbytes). */
  available(): number | null {
    return null;
  }
}

/** Poll details of an open file that is a kernel stream: hang-up and bytes available. */
export function streamPollInfo(file: object): { hangup: boolean; available: number | null } {
  if (file instanceof StreamFile) return { hangup: file.hangup(), available: file.available() };
  return { hangup: false, available: null };
}

/**
 * The wait queue of an open file for poll_oneoff, if it has one. Kernel
 * stream files (pipes, consoles) expose `pollQueue`; VFS files that block
 * may implement the same optional method; regular files are always ready.
 */
export function pollQueueOf(file: object, write: boolean): WaitQueue | undefined {
  const f = file as { pollQueue?: (write: boolean) => WaitQueue | undefined };
  return typeof f.pollQueue === 'function' ? f.pollQueue(write) : undefined;
}
