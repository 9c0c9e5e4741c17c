/**
 * Container stdio as streams. Output arrives as chunks pushed by the
 * Sentry's events; `OutputStream` keeps listeners, an optional capture and
 * hands out web `ReadableStream`s (and, in Node, `Readable.fromWeb` of one
 * gives a Node stream). Isomorphic: web streams are global in Node ≥ 18.
 *
 * Flow control, as a pipe: the Sentry lets a stream have a window of bytes
 * (1 MiB) in flight to the host; the host acknowledges a chunk (`onDelivered`)
 * once it is delivered: captured (up to `captureLimit`), handed to the `on`
 * listeners, and queued into every ReadableStream whose queue was below its
 * high-water mark. A ReadableStream that is full holds the acknowledgement
 * until its reader pulls, so a slow reader slows the guest's writes instead
 * of growing the host's memory. With no reader and no capture, chunks go
 * nowhere and are acknowledged at once.
 */

/** Default bytes `capture` keeps per stream (16 MiB); past it captured output is cut and `truncated` set. */
export const DEFAULT_CAPTURE_LIMIT = 16 << 20;
/** Default high-water mark, in bytes, of each `readable()` queue (64 KiB). */
export const DEFAULT_READABLE_HWM = 64 << 10;
/** What a queued chunk counts in a `readable()` queue besides its bytes (its objects): a flood of tiny chunks fills it too. */
export const READABLE_CHUNK_COST = 256;

/** Smallest block a CaptureBuffer allocates: small writes are copied into the last block, not kept one object each. */
const CAPTURE_BLOCK = 64 << 10;

/**
 * Bytes kept up to `limit`, then cut: later bytes are dropped and
 * `truncated` is set. Stored in blocks of at least 64 KiB (never more than
 * `limit` bytes in all), so a million one-byte writes cost no million
 * objects.
 */
export class CaptureBuffer {
  private readonly blocks: Uint8Array[] = [];
  private fill = 0; // bytes used in the last block
  private kept = 0;
  private cut = false;

  constructor(readonly limit: number) {
    if (!(limit >= 0)) throw new RangeError(`capture limit must be a byte count ≥ 0 (got ${limit})`);
  }

  /** Bytes kept (at most `limit`). */
  get length(): number {
    return this.kept;
  }

  /** True once bytes past `limit` were dropped. */
  get truncated(): boolean {
    return this.cut;
  }

  /** Keep a copy of `data`, or of what fits under the limit. */
  append(data: Uint8Array): void {
    let n = data.byteLength;
    if (n > this.limit - this.kept) {
      this.cut = true;
      n = this.limit - this.kept;
    }
    let off = 0;
    while (off < n) {
      let last = this.blocks[this.blocks.length - 1];
      if (last === undefined || this.fill === last.byteLength) {
        last = new Uint8Array(Math.min(Math.max(CAPTURE_BLOCK, n - off), this.limit - this.kept));
        this.blocks.push(last);
        this.fill = 0;
      }
      const k = Math.min(n - off, last.byteLength - this.fill);
      last.set(data.subarray(off, off + k), this.fill);
      this.fill += k;
      this.kept += k;
      off += k;
    }
  }

  /** The bytes kept, in one array. */
  bytes(): Uint8Array {
    const out = new Uint8Array(this.kept);
    let off = 0;
    for (const b of this.blocks) {
      const k = Math.min(b.byteLength, this.kept - off);
      out.set(k === b.byteLength ? b : b.subarray(0, k), off);
      off += k;
    }
    return out;
  }
}

/** Options of an OutputStream. */
export interface OutputStreamOptions {
  /** Keep output for `bytes()`/`text()` (default true). */
  capture?: boolean;
  /** Bytes kept by `capture` (default DEFAULT_CAPTURE_LIMIT); later output is not kept and `truncated` is set. */
  captureLimit?: number;
  /** Called with the byte count of chunks once delivered (the acknowledgement to the Sentry). */
  onDelivered?: (bytes: number) => void;
}

/** One output stream of a process (stdout or stderr). */
export class OutputStream {
  private readonly listeners: ((chunk: Uint8Array) => void)[] = [];
  private readonly captured: CaptureBuffer | null;
  private controllers: ReadableStreamDefaultController<Uint8Array>[] = [];
  private closed = false;
  /** Bytes `capture` keeps at most. */
  readonly captureLimit: number;
  private readonly onDelivered: (bytes: number) => void;
  private received = 0;
  private unacked = 0;

  /** `opts` as a boolean is the `capture` option (the former signature). */
  constructor(opts: OutputStreamOptions | boolean = {}) {
    const o = typeof opts === 'boolean' ? { capture: opts } : opts;
    this.captureLimit = o.captureLimit ?? DEFAULT_CAPTURE_LIMIT;
    this.captured = (o.capture ?? true) ? new CaptureBuffer(this.captureLimit) : null;
    this.onDelivered = o.onDelivered ?? (() => {});
  }

  /** True once captured output was cut at `captureLimit` (later chunks were delivered, not kept). */
  get truncated(): boolean {
    return this.captured?.truncated ?? false;
  }

  /** Bytes captured (at most `captureLimit`). */
  get capturedLength(): number {
    return this.captured?.length ?? 0;
  }

  /** Bytes pushed in so far (delivered or not). */
  get receivedLength(): number {
    return this.received;
  }

  /** Bytes pushed in and not yet acknowledged (held for a full ReadableStream). */
  get pendingLength(): number {
    return this.unacked;
  }

  /** Deliver a chunk; it is acknowledged now, or when full ReadableStreams drain. */
  push(chunk: Uint8Array): void {
    this.received += chunk.byteLength;
    if (this.closed) {
      this.onDelivered(chunk.byteLength);
      return;
    }
    this.captured?.append(chunk);
    for (const l of this.listeners) l(chunk);
    for (const c of this.controllers) c.enqueue(chunk);
    this.unacked += chunk.byteLength;
    this.release();
  }

  /** Acknowledge held bytes once no ReadableStream is at or over its high-water mark. */
  private release(): void {
    if (this.unacked === 0) return;
    for (const c of this.controllers) if ((c.desiredSize ?? 1) <= 0) return;
    const n = this.unacked;
    this.unacked = 0;
    this.onDelivered(n);
  }

  /** End of stream (the process exited): readers get what is queued, then the end. */
  end(): void {
    if (this.closed) return;
    this.closed = true;
    for (const c of this.controllers) c.close();
    this.controllers = [];
  }

  /** Call `fn` with every chunk from now on (synchronously: a listener never holds back the guest). */
  on(fn: (chunk: Uint8Array) => void): void {
    this.listeners.push(fn);
  }

  /**
   * A web ReadableStream of the chunks from now on (closes at exit). Its
   * queue holds `highWaterMark` bytes (default 64 KiB; each chunk counts
   * READABLE_CHUNK_COST more) before it slows the guest: while it is full,
   * the guest's writes to this stream block once the Sentry's window is
   * used up. Cancel it to stop reading.
   */
  readable(opts: { highWaterMark?: number } = {}): ReadableStream<Uint8Array> {
    let ctl!: ReadableStreamDefaultController<Uint8Array>;
    const rs = new ReadableStream<Uint8Array>({
      start: (c) => { ctl = c; },
      pull: () => { this.release(); },
      cancel: () => {
        this.controllers = this.controllers.filter((x) => x !== ctl);
        this.release();
      },
    }, { highWaterMark: opts.highWaterMark ?? DEFAULT_READABLE_HWM, size: (chunk) => chunk.byteLength + READABLE_CHUNK_COST });
    if (this.closed) ctl.close();
    else this.controllers.push(ctl);
    return rs;
  }

  /** Everything captured (when created with capture): at most `captureLimit` bytes. */
  bytes(): Uint8Array {
    return this.captured?.bytes() ?? new Uint8Array(0);
  }

  /** Captured output as UTF-8 text (cut at a byte count when `truncated`: the last character may be replaced by U+FFFD). */
  text(): string {
    return new TextDecoder().decode(this.bytes());
  }
}

/** A web WritableStream that feeds a process's stdin through `write` and closes it with `close`. */
export function stdinWritable(write: (data: Uint8Array) => Promise<void>, close: () => Promise<void>): WritableStream<Uint8Array | string> {
  const enc = new TextEncoder();
  return new WritableStream<Uint8Array | string>({
    write: (chunk) => write(typeof chunk === 'string' ? enc.encode(chunk) : chunk),
    close: () => close(),
  });
}
