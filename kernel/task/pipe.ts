/**
 * Kernel pipes: a bounded byte buffer with a read end and a write end.
 * A read of an empty pipe with writers blocks (throws WouldBlock on
 * `readQueue`); with no writers left it returns EOF. A write with no readers
 * left fails with EPIPE; a write to a full pipe blocks on `writeQueue`.
 * Writes of at most PIPE_BUF bytes are atomic; larger ones may be partial.
 * The host (stdin feeding, the sentry control plane) writes with `hostWrite`
 * and ends input with `hostClose`.
 */
import { E } from '../errno.js';
import { FdFlags } from '../vfs/types.js';
import { WaitQueue, WouldBlock } from '../vfs/wait.js';
import { StreamFile, type StreamMeta } from './stream_file.js';

/** Default pipe capacity (Linux: 64 KiB). */
export const PIPE_CAPACITY = 65536;
/** Writes up to this size are atomic. */
export const PIPE_BUF = 4096;

/** Smallest chunk a pipe allocates: small writes are appended to the last chunk, not kept one object each. */
const MIN_CHUNK = 4096;

/** One buffer of a pipe: `len` bytes of `buf` are filled. */
interface PipeChunk {
  buf: Uint8Array;
  len: number;
}

/** A pipe's shared buffer and state. */
export class Pipe {
  private chunks: PipeChunk[] = [];
  private head = 0; // offset into chunks[0]
  private buffered = 0;
  /** Open read ends. */
  readers = 0;
  /** Open write ends (the host counts as one while `hostOpen`). */
  writers = 0;
  private hostOpen = false;
  /** Notified when data or EOF arrives. */
  readonly readQueue = new WaitQueue();
  /** Notified when space frees up or the last reader leaves. */
  readonly writeQueue = new WaitQueue();

  constructor(readonly capacity = PIPE_CAPACITY) {}

  /** Bytes waiting to be read. */
  get size(): number {
    return this.buffered;
  }

  /** Number of buffers held (host memory per byte stays bounded: tests). */
  get chunkCount(): number {
    return this.chunks.length;
  }

  /** Copy `data` in: fill the last chunk's free room, then one new chunk of at least MIN_CHUNK bytes. */
  private append(data: Uint8Array): void {
    let off = 0;
    const last = this.chunks[this.chunks.length - 1];
    if (last !== undefined && last.len < last.buf.byteLength) {
      off = Math.min(last.buf.byteLength - last.len, data.byteLength);
      last.buf.set(data.subarray(0, off), last.len);
      last.len += off;
    }
    const rest = data.byteLength - off;
    if (rest > 0) {
      const buf = new Uint8Array(Math.max(rest, MIN_CHUNK));
      buf.set(data.subarray(off), 0);
      this.chunks.push({ buf, len: rest });
    }
    this.buffered += data.byteLength;
  }

  /** A new read end. */
  readEnd(meta?: StreamMeta): PipeReadEnd {
    this.readers++;
    return new PipeReadEnd(this, meta);
  }

  /** A new write end. */
  writeEnd(meta?: StreamMeta): PipeWriteEnd {
    this.writers++;
    return new PipeWriteEnd(this, meta);
  }

  /** Make the host a writer (stdin feeding). */
  openHostWriter(): void {
    if (!this.hostOpen) {
      this.hostOpen = true;
      this.writers++;
    }
  }

  /** Append bytes from the host, ignoring capacity (the host is not blocked). */
  hostWrite(data: Uint8Array): void {
    if (data.byteLength === 0) return;
    this.append(data);
    this.readQueue.notify();
  }

  /** The host closes its write side: readers see EOF once the buffer drains. */
  hostClose(): void {
    if (this.hostOpen) {
      this.hostOpen = false;
      this.dropWriter();
    }
  }

  /** True once no writer remains. */
  get eof(): boolean {
    return this.writers === 0;
  }

  /** Take up to `max` bytes. */
  take(max: number): Uint8Array {
    const n = Math.min(max, this.buffered);
    const out = new Uint8Array(n);
    let off = 0;
    while (off < n) {
      const c = this.chunks[0]!;
      const k = Math.min(n - off, c.len - this.head);
      out.set(c.buf.subarray(this.head, this.head + k), off);
      off += k;
      this.head += k;
      if (this.head === c.len) {
        this.chunks.shift();
        this.head = 0;
      }
    }
    this.buffered -= n;
    if (n > 0) this.writeQueue.notify();
    return out;
  }

  /** Put up to the free space of `data`; returns bytes taken (0 if full). */
  put(data: Uint8Array): number {
    const free = this.capacity - this.buffered;
    if (free <= 0) return 0;
    if (data.byteLength <= PIPE_BUF && data.byteLength > free) return 0; // atomic or nothing
    const n = Math.min(free, data.byteLength);
    this.append(data.subarray(0, n));
    this.readQueue.notify();
    return n;
  }

  /** Called by a write end's release. */
  dropWriter(): void {
    this.writers--;
    if (this.writers === 0) this.readQueue.notify();
  }

  /** Called by a read end's release. */
  dropReader(): void {
    this.readers--;
    if (this.readers === 0) {
      this.chunks = [];
      this.head = 0;
      this.buffered = 0;
      this.writeQueue.notify();
    }
  }
}

/** The read end of a pipe. */
export class PipeReadEnd extends StreamFile {
  private released = false;
  constructor(readonly pipe: Pipe, meta?: StreamMeta) {
    super({ read: true, write: false }, meta);
  }
  override read(max: number): Uint8Array {
    if (max === 0) return new Uint8Array(0);
    if (this.pipe.size > 0) return this.pipe.take(max);
    if (this.pipe.eof) return new Uint8Array(0);
    if (this.fdflags & FdFlags.NONBLOCK) throw E.AGAIN;
    throw new WouldBlock([this.pipe.readQueue]);
  }
  override readable(): boolean {
    return this.pipe.size > 0 || this.pipe.eof;
  }
  override pollQueue(write: boolean): WaitQueue | undefined {
    return write ? undefined : this.pipe.readQueue;
  }
  override hangup(): boolean {
    return this.pipe.eof && this.pipe.size === 0;
  }
  override available(): number {
    return this.pipe.size;
  }
  override release(): void {
    if (!this.released) {
      this.released = true;
      this.pipe.dropReader();
    }
  }
  describe(): string {
    return 'pipe:[read]';
  }
}

/** The write end of a pipe. */
export class PipeWriteEnd extends StreamFile {
  private released = false;
  constructor(readonly pipe: Pipe, meta?: StreamMeta) {
    super({ read: false, write: true }, meta);
  }
  override write(data: Uint8Array): number {
    if (this.pipe.readers === 0) throw E.PIPE;
    if (data.byteLength === 0) return 0;
    const n = this.pipe.put(data);
    if (n > 0) return n;
    if (this.fdflags & FdFlags.NONBLOCK) throw E.AGAIN;
    throw new WouldBlock([this.pipe.writeQueue]);
  }
  override writable(): boolean {
    return this.pipe.readers === 0 || this.pipe.size < this.pipe.capacity;
  }
  override pollQueue(write: boolean): WaitQueue | undefined {
    return write ? this.pipe.writeQueue : undefined;
  }
  override hangup(): boolean {
    return this.pipe.readers === 0;
  }
  override available(): number {
    return Math.max(0, this.pipe.capacity - this.pipe.size);
  }
  override release(): void {
    if (!this.released) {
      this.released = true;
      this.pipe.dropWriter();
    }
  }
  describe(): string {
    return 'pipe:[write]';
  }
}
