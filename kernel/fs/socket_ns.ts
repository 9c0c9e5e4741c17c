/**
 * A container's net namespace: the kernel side of its published ports.
 * It holds, per host listener, the queue of connections the guest has not
 * accepted, and per connection the bytes received and not yet read and the
 * count of bytes sent and not yet acknowledged by the host. Both are
 * bounded (credit flow control, see `HostNet` in kernel/host.ts) and
 * charged to the container's memory account while held.
 *
 * Events come from the host either on its event loop (sentry platform) or
 * when a blocked call pumps (inline platform: every queue here has a
 * `syncPump`, and every check drains pending events first with `pump(0)`).
 */
import type { HostNet, NetEvents } from '../host.js';
import { WaitQueue } from '../vfs/wait.js';
import type { SpaceAccount } from './tmpfs_data.js';

/** Receive window of one connection: the host sends no more unread bytes than this (plus one host chunk). */
export const RECV_WINDOW = 65536;
/** Send window of one connection: bytes given to the host and not yet acknowledged. */
export const SEND_WINDOW = 262144;
/** Connections of a listener kept for the guest to accept; the host drops more. */
export const BACKLOG = 128;
/**
 * Bytes one connection may hold unread: its window plus one host chunk (a
 * host stops reading once the credit is used up, so it overshoots by at
 * most the chunk it had in hand). A host that sends past this broke the
 * window: the connection is reset rather than buffered (the kernel's own
 * bound, whatever the host does).
 */
export const RECV_LIMIT = 2 * RECV_WINDOW;
/** Read bytes are given back to the host as credit in batches of this size. */
const CREDIT_BATCH = 16384;
/** Accepted connections are given back to the host as backlog slots in batches of this size (or when the queue empties). */
const BACKLOG_BATCH = 16;

/** One connection's kernel state. */
export class Conn {
  private chunks: Uint8Array[] = [];
  private head = 0;
  /** Bytes received and not yet read. */
  buffered = 0;
  /** Read bytes not yet given back to the host as credit. */
  uncredited = 0;
  /** Bytes sent and not yet acknowledged by the host. */
  inFlight = 0;
  /** The peer shut its write side. */
  eof = false;
  /** The connection is gone on the host (closed, reset). */
  gone = false;
  /** The guest shut its read side (reads give EOF, arriving bytes are dropped). */
  shutRd = false;
  /** The guest shut its write side (writes give EPIPE). */
  shutWr = false;
  /** The guest closed it. */
  closed = false;
  /** Notified when bytes, EOF or a close arrive. */
  readonly readQueue = new WaitQueue();
  /** Notified when send credit comes back or the connection is gone. */
  readonly writeQueue = new WaitQueue();

  constructor(readonly ns: NetNamespace, readonly id: number, readonly peer: string) {
    const pump = (t: bigint | null) => ns.net.pump(t);
    this.readQueue.syncPump = pump;
    this.writeQueue.syncPump = pump;
  }

  /** Bytes arrived from the host. */
  push(bytes: Uint8Array): void {
    if (this.shutRd || this.closed) {
      this.ns.net.credit(this.id, bytes.byteLength); // dropped unread: the window stays open
      return;
    }
    if (this.buffered + bytes.byteLength > RECV_LIMIT) {
      this.ns.overrun(this);
      return;
    }
    this.chunks.push(bytes);
    this.buffered += bytes.byteLength;
    this.ns.account?.force(bytes.byteLength);
    this.readQueue.notify();
  }

  /** Copy out up to `max` bytes; `peek` leaves them in the buffer. */
  take(max: number, peek: boolean): Uint8Array {
    const n = Math.min(max, this.buffered);
    const out = new Uint8Array(n);
    let off = 0;
    let i = 0;
    let head = this.head;
    while (off < n) {
      const c = this.chunks[i]!;
      const k = Math.min(n - off, c.byteLength - head);
      out.set(c.subarray(head, head + k), off);
      off += k;
      head += k;
      if (head === c.byteLength) {
        i++;
        head = 0;
      }
    }
    if (peek || n === 0) return out;
    this.chunks.splice(0, i);
    this.head = head;
    this.buffered -= n;
    this.ns.account?.force(-n);
    this.uncredited += n;
    if (this.uncredited >= CREDIT_BATCH && !this.gone) {
      this.ns.net.credit(this.id, this.uncredited);
      this.uncredited = 0;
    }
    return out;
  }

  /** Drop what is buffered (shutdown RD, close); the host gets the credit back. */
  discard(): void {
    const n = this.buffered;
    this.chunks = [];
    this.head = 0;
    this.buffered = 0;
    this.ns.account?.force(-n);
    if (!this.gone && n + this.uncredited > 0) this.ns.net.credit(this.id, n + this.uncredited);
    this.uncredited = 0;
  }

  /** Hand `data` to the host; returns bytes taken (0: the send window is full). */
  send(data: Uint8Array): number {
    const n = Math.min(data.byteLength, SEND_WINDOW - this.inFlight);
    if (n <= 0) return 0;
    this.ns.net.send(this.id, n === data.byteLength ? data : data.subarray(0, n));
    this.inFlight += n;
    this.ns.account?.force(n);
    return n;
  }

  /** The host acknowledged `n` sent bytes. */
  acked(n: number): void {
    const k = Math.min(n, this.inFlight);
    this.inFlight -= k;
    this.ns.account?.force(-k);
    this.writeQueue.notify();
  }
}

/** One listener's queue of connections not yet accepted. */
export class Listener {
  /** Connections waiting for sock_accept, oldest first. */
  readonly pending: Conn[] = [];
  /** Accepted or dropped connections not yet given back to the host as backlog slots. */
  returned = 0;
  /** Closed by the guest (or the container). */
  closed = false;
  /** Notified when a connection arrives. */
  readonly queue = new WaitQueue();

  constructor(readonly ns: NetNamespace, readonly id: number, readonly name: string) {
    this.queue.syncPump = (t) => ns.net.pump(t);
  }

  /** The oldest pending connection, taken off the queue. */
  shift(): Conn | undefined {
    const c = this.pending.shift();
    if (c === undefined) return undefined;
    this.returned++;
    if (this.returned >= BACKLOG_BATCH || this.pending.length === 0) {
      this.ns.net.backlog(this.id, this.returned);
      this.returned = 0;
    }
    return c;
  }
}

/** The published ports and connections of one container. */
export class NetNamespace implements NetEvents {
  private readonly listeners = new Map<number, Listener>();
  private readonly conns = new Map<number, Conn>();

  constructor(
    /** The host network the listeners live on. */
    readonly net: HostNet,
    /** Account charged with buffered bytes (the container's memory cgroup), if any. */
    readonly account: SpaceAccount | null = null,
  ) {}

  /** Take over host listeners `ids` (opened by the runtime), named for LISTEN_FDNAMES. */
  addListeners(ports: readonly { id: number; name: string }[]): Listener[] {
    const out = ports.map((p) => {
      const l = new Listener(this, p.id, p.name);
      this.listeners.set(p.id, l);
      return l;
    });
    this.net.attach(ports.map((p) => p.id), this);
    return out;
  }

  /** Deliver events the host already has (inline: nobody else will). */
  drain(): void {
    this.net.pump(0n);
  }

  /** Live connections (accepted or pending). */
  get connectionCount(): number {
    return this.conns.size;
  }

  /** Close a listener: the host port is released, pending connections dropped. */
  closeListener(l: Listener): void {
    if (l.closed) return;
    l.closed = true;
    for (const c of l.pending.splice(0)) this.closeConn(c);
    this.listeners.delete(l.id);
    this.net.closeListener(l.id);
    l.queue.notify();
  }

  /** The guest closed `c`: buffers are released, the host flushes and drops it. */
  closeConn(c: Conn): void {
    if (c.closed) return;
    c.closed = true;
    c.discard();
    this.account?.force(-c.inFlight);
    c.inFlight = 0;
    this.conns.delete(c.id);
    if (!c.gone) this.net.close(c.id);
  }

  /** Close everything (the container is gone). */
  close(): void {
    for (const l of [...this.listeners.values()]) this.closeListener(l);
    for (const c of [...this.conns.values()]) this.closeConn(c);
  }

  /** The host sent `c` past its window (RECV_LIMIT): reset it (what it held is dropped, reads give EOF, writes EPIPE) and drop it on the host. */
  overrun(c: Conn): void {
    this.closed(c.id);
    c.discard();
    this.net.close(c.id);
  }

  connection(listener: number, conn: number, peer: string): void {
    const l = this.listeners.get(listener);
    // a host that ignores the backlog (BACKLOG waiting) gets the connection refused here: the queue never grows past it
    if (l === undefined || l.closed || l.pending.length >= BACKLOG) {
      this.net.close(conn);
      this.net.backlog(listener, 1);
      return;
    }
    const c = new Conn(this, conn, peer);
    this.conns.set(conn, c);
    l.pending.push(c);
    l.queue.notify();
  }

  data(conn: number, bytes: Uint8Array): void {
    this.conns.get(conn)?.push(bytes);
  }

  end(conn: number): void {
    const c = this.conns.get(conn);
    if (c === undefined) return;
    c.eof = true;
    c.readQueue.notify();
  }

  closed(conn: number): void {
    const c = this.conns.get(conn);
    if (c === undefined) return;
    c.gone = true;
    c.eof = true;
    this.account?.force(-c.inFlight);
    c.inFlight = 0;
    c.readQueue.notify();
    c.writeQueue.notify();
  }

  sent(conn: number, n: number): void {
    this.conns.get(conn)?.acked(n);
  }
}
