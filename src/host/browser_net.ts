/**
 * The host side of a container's published ports where there is no host
 * network: in a web page. It speaks the net helper's protocol
 * (node_net_helper.ts) over a MessageChannel whose other end goes to the
 * kernel (`handOff`, then `Runtime.run({ net })`; the kernel side is the
 * same `NetPort` as on Node), so the guest gets preopened listeners with
 * LISTEN_FDS as with `-p`. Listeners are names only (no socket is bound);
 * a connection is made by the page itself (`exchange`): the playground's
 * service worker turns a `fetch('/ports/8080/…')` into one.
 *
 * Flow control is the helper's: at most `RECV_WINDOW` unread bytes sent to
 * the kernel (more as it gives credit back), at most `BACKLOG` connections
 * not yet accepted per listener; sent bytes are acknowledged as they are
 * taken. Bounded: an answer longer than `maxAnswer` bytes, or one the guest
 * does not finish within `timeoutMs`, fails its exchange and drops the
 * connection.
 */
import type { NetSpec } from '../sentry/control_plane.js';
import { BACKLOG, RECV_WINDOW } from '../../kernel/fs/socket_ns.js';

/** Why an exchange failed: NO_LISTENER (closed or unknown), BACKLOG (the guest accepts no more), TOO_BIG, TIMEOUT, CLOSED. */
export class BrowserNetError extends Error {
  constructor(readonly code: 'NO_LISTENER' | 'BACKLOG' | 'TOO_BIG' | 'TIMEOUT' | 'CLOSED', message: string) {
    super(message);
    this.name = 'BrowserNetError';
  }
}

/** Options of one exchange. */
export interface ExchangeOptions {
  /** Fail (and drop the connection) past this many answer bytes (default 64 MiB). */
  maxAnswer?: number;
  /** Fail if the guest has not closed or shut its side by then (default 30 s). */
  timeoutMs?: number;
  /**
   * Called after each arrival with the answer's first bytes (up to 64 KiB)
   * and its size so far: return true when it is complete (an HTTP response
   * whose length is known), which ends the exchange without waiting for
   * the guest to close.
   */
  complete?: (head: Uint8Array, size: number) => boolean;
}

interface Conn {
  listener: number;
  /** Bytes the kernel may still be sent. */
  credit: number;
  /** Request bytes not yet sent (waiting for credit). */
  rest: Uint8Array;
  chunks: Uint8Array[];
  size: number;
  max: number;
  complete?: (head: Uint8Array, size: number) => boolean;
  done(answer: Uint8Array | BrowserNetError): void;
}

/** Published ports of one container, in a page. */
export class BrowserNet {
  private readonly channel = new MessageChannel();
  private readonly seq = new Int32Array(new SharedArrayBuffer(4));
  private readonly listeners = new Map<number, { name: string; pending: number }>();
  private readonly conns = new Map<number, Conn>();
  private nextId = 1;
  private handed = false;
  private closed = false;

  constructor() {
    this.channel.port1.onmessage = (e) => this.onKernel(e.data as [string, number, unknown]);
  }

  /** A listener named `name` ("8080/tcp", as LISTEN_FDNAMES shows it); its handle. */
  listen(name: string): number {
    const id = this.nextId++;
    this.listeners.set(id, { name, pending: 0 });
    return id;
  }

  /** The kernel's end (once): pass it as `Runtime.run({ net })`, which transfers its port. */
  handOff(): NetSpec {
    if (this.handed) throw new Error('BrowserNet.handOff: already handed off');
    this.handed = true;
    const listeners = [...this.listeners].map(([id, l]) => ({ id, name: l.name }));
    return { port: this.channel.port2, seq: this.seq.buffer as SharedArrayBuffer, listeners, replay: [] };
  }

  /**
   * Connect to `listener`, send `request`, and resolve to what the guest
   * answers until it closes or shuts its side (or `complete` says so).
   */
  exchange(listener: number, request: Uint8Array, o: ExchangeOptions = {}): Promise<Uint8Array> {
    const l = this.listeners.get(listener);
    if (this.closed || l === undefined) return Promise.reject(new BrowserNetError('NO_LISTENER', 'nothing listens there (the container is gone)'));
    if (l.pending >= BACKLOG) return Promise.reject(new BrowserNetError('BACKLOG', `the guest has ${BACKLOG} connections it has not accepted: try again later`));
    const id = this.nextId++;
    const ms = o.timeoutMs ?? 30_000;
    l.pending++;
    return new Promise<Uint8Array>((resolve, reject) => {
      const timer = setTimeout(() => c.done(new BrowserNetError('TIMEOUT', `the guest did not answer within ${ms} ms`)), ms);
      const c: Conn = {
        listener, credit: RECV_WINDOW, rest: request, chunks: [], size: 0, max: o.maxAnswer ?? 64 << 20, complete: o.complete,
        done: (answer) => {
          if (!this.conns.delete(id)) return;
          clearTimeout(timer);
          if (answer instanceof BrowserNetError) {
            this.post(['closed', id]);
            reject(answer);
          } else resolve(answer);
        },
      };
      this.conns.set(id, c);
      this.post(['conn', listener, id, 'page:0']);
      this.pushRequest(id, c);
    });
  }

  /** Every listener and connection ends (the container is gone): pending exchanges fail. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const c of [...this.conns.values()]) c.done(new BrowserNetError('CLOSED', 'the container is gone'));
    this.listeners.clear();
    this.channel.port1.close();
  }

  private joined(c: Conn): Uint8Array {
    if (c.chunks.length !== 1) {
      const all = new Uint8Array(c.size);
      let off = 0;
      for (const b of c.chunks) {
        all.set(b, off);
        off += b.byteLength;
      }
      c.chunks = [all];
    }
    return c.chunks[0] ?? new Uint8Array(0);
  }

  /** The answer's first bytes, up to 64 KiB. */
  private head(c: Conn): Uint8Array {
    const first = c.chunks[0]!;
    if (c.chunks.length === 1 || first.byteLength >= 65536) return first;
    const n = Math.min(c.size, 65536);
    const out = new Uint8Array(n);
    let off = 0;
    for (const b of c.chunks) {
      if (off >= n) break;
      const k = Math.min(b.byteLength, n - off);
      out.set(b.subarray(0, k), off);
      off += k;
    }
    return out;
  }

  /** Send what credit allows of the request. */
  private pushRequest(id: number, c: Conn): void {
    while (c.rest.byteLength > 0 && c.credit > 0) {
      const n = Math.min(c.rest.byteLength, c.credit, 16384);
      const part = c.rest.slice(0, n);
      c.rest = c.rest.subarray(n);
      c.credit -= n;
      this.post(['data', id, part], [part.buffer]);
    }
  }

  private post(m: unknown[], transfer: Transferable[] = []): void {
    if (this.closed) return;
    this.channel.port1.postMessage(m, transfer);
    // a kernel blocked in pump (inline platform) waits on this count, as on Node
    Atomics.add(this.seq, 0, 1);
    Atomics.notify(this.seq, 0);
  }

  private onKernel(m: [string, number, unknown]): void {
    const [tag, id, arg] = m;
    if (tag === 'backlog') {
      const l = this.listeners.get(id);
      if (l) l.pending = Math.max(0, l.pending - (arg as number));
      return;
    }
    if (tag === 'closeListener') {
      this.listeners.delete(id);
      for (const c of [...this.conns.values()]) if (c.listener === id) c.done(new BrowserNetError('NO_LISTENER', 'the guest closed its listener'));
      return;
    }
    const c = this.conns.get(id);
    if (c === undefined) return;
    if (tag === 'send') {
      const b = arg as Uint8Array;
      c.chunks.push(b);
      c.size += b.byteLength;
      this.post(['sent', id, b.byteLength]);
      if (c.size > c.max) c.done(new BrowserNetError('TOO_BIG', `the answer is over ${c.max} bytes`));
      else if (c.complete?.(this.head(c), c.size)) {
        this.post(['closed', id]);
        c.done(this.joined(c));
      }
    } else if (tag === 'credit') {
      c.credit += arg as number;
      this.pushRequest(id, c);
    } else if (tag === 'shutdown' || tag === 'close') {
      // the guest is done writing: the answer is whole
      if (tag === 'shutdown') this.post(['closed', id]);
      c.done(this.joined(c));
    }
  }
}
