/**
 * Container stdio as streams. Output arrives as chunks pushed by the
 * Sentry's events; `OutputStream` keeps listeners, an optional capture and
 * hands out a web `ReadableStream` (and, in Node, `Readable.fromWeb` of it
 * gives a Node stream). Isomorphic: web streams are global in Node ≥ 18.
 */

/** One output stream of a process (stdout or stderr). */
export class OutputStream {
  private readonly listeners: ((chunk: Uint8Array) => void)[] = [];
  private readonly captured: Uint8Array[] = [];
  private controllers: ReadableStreamDefaultController<Uint8Array>[] = [];
  private closed = false;

  constructor(private readonly capture: boolean) {}

  /** Deliver a chunk. */
  push(chunk: Uint8Array): void {
    if (this.closed) return;
    if (this.capture) this.captured.push(chunk);
    for (const l of this.listeners) l(chunk);
    for (const c of this.controllers) c.enqueue(chunk);
  }

  /** End of stream (the process exited). */
  end(): void {
    if (this.closed) return;
    this.closed = true;
    for (const c of this.controllers) c.close();
    this.controllers = [];
  }

  /** Call `fn` with every chunk from now on. */
  on(fn: (chunk: Uint8Array) => void): void {
    this.listeners.push(fn);
  }

  /** A web ReadableStream of the chunks from now on (closes at exit). */
  readable(): ReadableStream<Uint8Array> {
    let ctl!: ReadableStreamDefaultController<Uint8Array>;
    const rs = new ReadableStream<Uint8Array>({
      start: (c) => { ctl = c; },
      cancel: () => { this.controllers = this.controllers.filter((x) => x !== ctl); },
    });
    if (this.closed) ctl.close();
    else this.controllers.push(ctl);
    return rs;
  }

  /** Everything captured (when created with capture). */
  bytes(): Uint8Array {
    const n = this.captured.reduce((a, c) => a + c.length, 0);
    const out = new Uint8Array(n);
    let off = 0;
    for (const c of this.captured) {
      out.set(c, off);
      off += c.length;
    }
    return out;
  }

  /** Captured output as UTF-8 text. */
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
