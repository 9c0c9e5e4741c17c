/**
 * Socket files (SOCKET_STREAM) over a container's net namespace
 * (socket_ns.ts): a listener, preopened for each published port, and the
 * stream of each accepted connection. `fd_read`/`fd_write` on a stream are
 * `sock_recv`/`sock_send` without flags. Every operation is restartable:
 * it throws WouldBlock (or EAGAIN with NONBLOCK) before changing anything.
 */
import { RiFlags, SdFlags } from '../abi/wasi.js';
import type { RecvResult } from '../abi/calls_misc.js';
import { E } from '../errno.js';
import type { SocketOps } from '../syscalls/sock.js';
import { StreamFile } from '../task/stream_file.js';
import { FdFlags, FileType, type OpenFile } from '../vfs/types.js';
import { type WaitQueue, WouldBlock } from '../vfs/wait.js';
import { type Conn, type Listener, RECV_WINDOW, SEND_WINDOW } from './socket_ns.js';

const EMPTY = new Uint8Array(0);

/** A listening socket: `sock_accept` takes its connections. */
export class SocketListenerFile extends StreamFile implements SocketOps {
  constructor(readonly listener: Listener, nowNs?: bigint) {
    super({ read: true, write: true }, { filetype: FileType.SOCKET_STREAM, nowNs });
  }

  accept(fdflags: number, install: (f: OpenFile) => number): number {
    const l = this.listener;
    if (l.closed) throw E.BADF;
    l.ns.drain();
    const c = l.pending[0];
    if (c === undefined) {
      if (this.fdflags & FdFlags.NONBLOCK) throw E.AGAIN;
      throw new WouldBlock([l.queue]);
    }
    const fd = install(new SocketStreamFile(c, fdflags & FdFlags.NONBLOCK)); // EMFILE leaves it pending
    l.shift();
    return fd;
  }
  recv(): RecvResult {
    throw E.NOTCONN;
  }
  send(): number {
    throw E.NOTCONN;
  }
  shutdown(): void {
    throw E.NOTCONN;
  }
  override read(): Uint8Array {
    throw E.NOTCONN;
  }
  override write(): number {
    throw E.NOTCONN;
  }
  override readable(): boolean {
    this.listener.ns.drain();
    return this.listener.pending.length > 0 || this.listener.closed;
  }
  override pollQueue(write: boolean): WaitQueue | undefined {
    return write ? undefined : this.listener.queue;
  }
  override available(): number {
    return this.listener.pending.length;
  }
  override release(): void {
    this.listener.ns.closeListener(this.listener);
  }
  describe(): string {
    return `socket:[listen ${this.listener.name}]`;
  }
}

/** A connected stream socket. */
export class SocketStreamFile extends StreamFile implements SocketOps {
  constructor(readonly conn: Conn, fdflags = 0, nowNs?: bigint) {
    super({ read: true, write: true }, { filetype: FileType.SOCKET_STREAM, nowNs });
    this.fdflags = fdflags;
  }

  accept(): number {
    throw E.INVAL; // not a listening socket
  }

  recv(max: number, riflags: number): RecvResult {
    if (riflags & ~(RiFlags.RECV_PEEK | RiFlags.RECV_WAITALL)) throw E.INVAL;
    const c = this.conn;
    c.ns.drain();
    if (max === 0 || c.shutRd) return { data: EMPTY, roflags: 0 };
    const done = c.eof || c.gone;
    const enough = riflags & RiFlags.RECV_WAITALL
      // WAITALL: all `max` bytes, or as many as the receive window can ever hold, or EOF
      ? c.buffered >= max || c.buffered + c.uncredited >= RECV_WINDOW
      : c.buffered > 0;
    if (!enough && !done) {
      if (this.fdflags & FdFlags.NONBLOCK) throw E.AGAIN;
      throw new WouldBlock([c.readQueue]);
    }
    return { data: c.take(max, (riflags & RiFlags.RECV_PEEK) !== 0), roflags: 0 };
  }

  send(data: Uint8Array): number {
    const c = this.conn;
    c.ns.drain();
    if (c.gone || c.shutWr) throw E.PIPE;
    if (data.byteLength === 0) return 0;
    const n = c.send(data);
    if (n > 0) return n;
    if (this.fdflags & FdFlags.NONBLOCK) throw E.AGAIN;
    throw new WouldBlock([c.writeQueue]);
  }

  shutdown(how: number): void {
    const c = this.conn;
    if (how & SdFlags.RD && !c.shutRd) {
      c.shutRd = true;
      c.discard();
      c.readQueue.notify();
    }
    if (how & SdFlags.WR && !c.shutWr) {
      c.shutWr = true;
      if (!c.gone) c.ns.net.shutdown(c.id);
      c.writeQueue.notify();
    }
  }

  override read(max: number): Uint8Array {
    return this.recv(max, 0).data;
  }
  override write(data: Uint8Array): number {
    return this.send(data);
  }
  override readable(): boolean {
    const c = this.conn;
    c.ns.drain();
    return c.buffered > 0 || c.eof || c.gone || c.shutRd;
  }
  override writable(): boolean {
    const c = this.conn;
    c.ns.drain();
    return c.gone || c.shutWr || c.inFlight < SEND_WINDOW;
  }
  override pollQueue(write: boolean): WaitQueue | undefined {
    return write ? this.conn.writeQueue : this.conn.readQueue;
  }
  override hangup(): boolean {
    const c = this.conn;
    return c.gone || (c.eof && c.buffered === 0);
  }
  override available(): number {
    return this.conn.buffered;
  }
  override release(): void {
    this.conn.ns.closeConn(this.conn);
  }
  describe(): string {
    return `socket:[${this.conn.peer}]`;
  }
}
