/**
 * The console: a task's stdout/stderr connected to host streams. Closing
 * the fd releases only the kernel's reference; the host stream stays open.
 * Stdin is a kernel pipe fed by the host (see `Pipe.hostWrite`); on the
 * inline platform its read queue gets a `syncPump` that reads the host.
 *
 * Flow control (sentry platform): a sink with a `window` takes at most
 * `window.limit` bytes that the host has not yet acknowledged. A write that
 * does not fit blocks on `window.queue` like a write to a full pipe; the
 * host's acknowledgements (`ConsoleWindow.ack`) free room and wake it. As
 * on a blocking Linux pipe, a blocking write returns its full count: it
 * waits for room for all of it (a write larger than the window waits for
 * an empty window and takes `limit` bytes: the only short write). On a
 * non-blocking fd a write takes what fits (all or nothing up to PIPE_BUF)
 * and fails with EAGAIN when nothing does.
 */
import { E } from '../errno.js';
import { FdFlags, FileType } from '../vfs/types.js';
import { WaitQueue, WouldBlock } from '../vfs/wait.js';
import { PIPE_BUF } from './pipe.js';
import { StreamFile, type StreamMeta } from './stream_file.js';

/** Default bytes of one console stream in flight to the host (written, not yet acknowledged): 1 MiB. */
export const CONSOLE_WINDOW = 1 << 20;
/**
 * Bytes each output event (a batch of writes carried to the host as one
 * chunk) is charged in the window besides its data: what the host spends on
 * a chunk object, so a flood of one-byte writes is bounded in objects too.
 */
export const CONSOLE_EVENT_COST = 256;

/**
 * The flow-control window of one console stream: bytes handed to the host
 * and not yet acknowledged, at most `limit`. Owned by whoever carries the
 * bytes to the host (the Sentry); the console file only reads `room` and
 * `take`s what it writes.
 */
export class ConsoleWindow {
  private held = 0;
  /** Data bytes of each event posted to the host and not yet fully acknowledged, oldest first. */
  private readonly posted: number[] = [];
  /** Bytes of `posted[0]` already acknowledged. */
  private headAcked = 0;
  /** Notified when acknowledgements free room (or the window is opened). */
  readonly queue = new WaitQueue();
  /** Largest `inFlight` ever seen (tests and stats: proves the bound). */
  peak = 0;

  constructor(readonly limit = CONSOLE_WINDOW) {
    if (!(limit > 0)) throw new RangeError(`console window must be positive (got ${limit})`);
  }

  /** Bytes written and not yet acknowledged, plus CONSOLE_EVENT_COST per event posted and not yet acknowledged. */
  get inFlight(): number {
    return this.held;
  }

  /** Bytes a write may hand to the host now. */
  get room(): number {
    return Math.max(0, this.limit - this.held);
  }

  /** Count `n` bytes handed to the host. */
  take(n: number): void {
    this.held += n;
    if (this.held > this.peak) this.peak = this.held;
  }

  /** `bytes` already taken were posted to the host as one event: charge CONSOLE_EVENT_COST more until it is acknowledged. */
  sent(bytes: number): void {
    this.posted.push(bytes);
    this.take(CONSOLE_EVENT_COST);
  }

  /** The host delivered `n` more bytes (acknowledged in the order posted): free their room, and their events', and wake blocked writers. */
  ack(n: number): void {
    if (!(n > 0)) return;
    let free = n;
    let left = n;
    while (left > 0 && this.posted.length > 0) {
      const rest = this.posted[0]! - this.headAcked;
      if (left < rest) {
        this.headAcked += left;
        break;
      }
      left -= rest;
      this.posted.shift();
      this.headAcked = 0;
      free += CONSOLE_EVENT_COST;
    }
    this.held = Math.max(0, this.held - free);
    this.queue.notify();
  }
}

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
  /** Flow control: when set, writes block while the host has `window.limit` bytes unacknowledged. */
  readonly window?: ConsoleWindow;
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
   * SIGPIPE. With a flow-control window, see the module comment: blocking
   * writes wait for room for all their bytes (at most `limit`),
   * non-blocking ones take what fits or fail with EAGAIN.
   */
  override write(data: Uint8Array): number {
    if (this.closed) throw E.BADF;
    if (this.sink.closed) throw E.PIPE;
    let n = data.byteLength;
    if (n === 0) return 0;
    const w = this.sink.window;
    if (w !== undefined) {
      const room = w.room;
      const nonblock = (this.fdflags & FdFlags.NONBLOCK) !== 0;
      // bytes that must fit at once: all (blocking, up to the window; non-blocking up to PIPE_BUF), else any
      const need = nonblock ? (n <= PIPE_BUF ? n : 1) : Math.min(n, w.limit);
      if (room < need) {
        if (nonblock) throw E.AGAIN;
        throw new WouldBlock([w.queue]);
      }
      if (n > room) n = room;
    }
    this.sink.write(n === data.byteLength ? data : data.subarray(0, n));
    w?.take(n);
    if (this.sink.closed) throw E.PIPE;
    return n;
  }
  override sync(): void {}
  override writable(): boolean {
    const w = this.sink.window;
    // as a pipe: writable once PIPE_BUF bytes fit
    return w === undefined || w.room >= Math.min(PIPE_BUF, w.limit) || this.sink.closed === true;
  }
  override pollQueue(write: boolean): WaitQueue | undefined {
    return write ? this.sink.window?.queue : undefined;
  }
  override available(): number | null {
    const w = this.sink.window;
    return w === undefined ? null : w.room;
  }
  override release(): void {
    // Only the kernel's reference goes away: never close the host stream.
    this.closed = true;
  }
  describe(): string {
    return this.label;
  }
}
