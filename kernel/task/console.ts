/**
 * The console: a task's stdout/stderr connected to host streams. Closing
 * the fd releases only the kernel's reference; the host stream stays open.
 * Stdin is a kernel pipe fed by the host (see `Pipe.hostWrite`); on the
 * inline platform its read queue gets a `syncPump` that reads the host.
 */
import { E } from '../errno.js';
import { FileType } from '../vfs/types.js';
import { StreamFile, type StreamMeta } from './stream_file.js';

/**
 * Where console output goes (a host stream). Implementations must not throw
 * when the host stream is gone (EPIPE): they drop the data and set `closed`.
 */
export interface ConsoleSink {
  /** Take `data` now: it may be a view of guest memory or of a channel, valid only during the call (copy to keep it). */
  write(data: Uint8Array): void;
  /** True if the host stream is a terminal (the guest then sees a tty). */
  readonly isTty: boolean;
  /** Set once the host stream is closed (its reader went away): later writes fail with EPIPE. */
  readonly closed?: boolean;
}

/** Where console input comes from, read synchronously (inline platform). */
export interface ConsoleSource {
  /**
   * Read up to `max` bytes, waiting at most `timeoutNs` (null: forever).
   * Returns the bytes, an empty array at EOF, or null if nothing came in time.
   */
  read(max: number, timeoutNs: bigint | null): Uint8Array | null;
  readonly isTty: boolean;
  /** Release host resources (extra descriptors, helper threads) once the container is done. */
  close?(): void;
}

/** An output console file (stdout or stderr). */
export class ConsoleFile extends StreamFile {
  private closed = false;
  constructor(private readonly sink: ConsoleSink, private readonly label: string, meta: StreamMeta = {}) {
    super({ read: false, write: true }, { filetype: FileType.CHARACTER_DEVICE, ...meta });
  }
  /**
   * Writes go straight to the host stream. Once the host's reader is gone
   * (`sink.closed`), writes fail with EPIPE; preview1 has no signal handlers,
   * so the guest sees the error (as under other WASI runtimes) instead of a
   * SIGPIPE.
   */
  override write(data: Uint8Array): number {
    if (this.closed) throw E.BADF;
    if (this.sink.closed) throw E.PIPE;
    if (data.byteLength > 0) this.sink.write(data);
    if (this.sink.closed) throw E.PIPE;
    return data.byteLength;
  }
  override sync(): void {}
  override writable(): boolean {
    return true;
  }
  override release(): void {
    // Only the kernel's reference goes away: never close the host stream.
    this.closed = true;
  }
  describe(): string {
    return this.label;
  }
}
