/**
 * A `HostNet` for kernel tests: it records what the kernel asks (sends,
 * credits, backlog slots, closes) and lets the test play the host's events
 * (`connect`, `data`, `end`, `closed`, `sent`), queued until the kernel
 * pumps (as the Node host's helper thread would deliver them). A pump with
 * nothing queued calls `onIdle` (the outside world acting while a call
 * waits), once.
 */
import type { HostNet, NetEvents } from '../../kernel/host.js';

/** What the fake saw the kernel do. */
export interface FakeNetLog {
  sent: Map<number, string>;
  credit: Map<number, number>;
  backlog: Map<number, number>;
  shutdown: Set<number>;
  closed: Set<number>;
  closedListeners: Set<number>;
}

/** The fake host network. */
export class FakeNet implements HostNet {
  readonly log: FakeNetLog = { sent: new Map(), credit: new Map(), backlog: new Map(), shutdown: new Set(), closed: new Set(), closedListeners: new Set() };
  private sink: NetEvents | null = null;
  private readonly queue: ((s: NetEvents) => void)[] = [];
  private nextConn = 1000;
  /** Called by a pump that finds nothing queued. */
  onIdle: (() => void) | null = null;
  pumps = 0;

  attach(_listeners: readonly number[], events: NetEvents): void {
    this.sink = events;
  }
  send(conn: number, bytes: Uint8Array): void {
    this.log.sent.set(conn, (this.log.sent.get(conn) ?? '') + new TextDecoder().decode(bytes));
  }
  shutdown(conn: number): void {
    this.log.shutdown.add(conn);
  }
  close(conn: number): void {
    this.log.closed.add(conn);
  }
  credit(conn: number, n: number): void {
    this.log.credit.set(conn, (this.log.credit.get(conn) ?? 0) + n);
  }
  backlog(listener: number, n: number): void {
    this.log.backlog.set(listener, (this.log.backlog.get(listener) ?? 0) + n);
  }
  closeListener(listener: number): void {
    this.log.closedListeners.add(listener);
  }
  pump(_timeoutNs: bigint | null): boolean {
    this.pumps++;
    if (this.queue.length === 0 && this.onIdle) {
      const f = this.onIdle;
      this.onIdle = null;
      f();
    }
    if (this.queue.length === 0 || this.sink === null) return false;
    for (const e of this.queue.splice(0)) e(this.sink);
    return true;
  }

  /** A client connects to `listener`; returns the connection's handle. */
  connect(listener: number, peer = '127.0.0.1:5555'): number {
    const c = this.nextConn++;
    this.queue.push((s) => s.connection(listener, c, peer));
    return c;
  }
  data(conn: number, text: string | Uint8Array): void {
    const b = typeof text === 'string' ? new TextEncoder().encode(text) : text;
    this.queue.push((s) => s.data(conn, b));
  }
  end(conn: number): void {
    this.queue.push((s) => s.end(conn));
  }
  closed(conn: number): void {
    this.queue.push((s) => s.closed(conn));
  }
  sent(conn: number, n: number): void {
    this.queue.push((s) => s.sent(conn, n));
  }
}
