/**
 * `HostNet` over the message port of a net helper (node_net_helper.ts's
 * protocol), isomorphic: the kernel side of a container's published ports,
 * in whichever thread runs the kernel. `NodeNet` (node_net.ts) owns the
 * helper thread and binds the ports; it is a NetPort itself for a kernel
 * in its own thread (inline platform), or it hands its port over
 * (`handOff`) to a kernel in another thread (the Sentry worker), which
 * makes a NetPort of it (`NetPort.fromHandOff`).
 *
 * Events are delivered by the port's message listener (the kernel thread's
 * event loop) or, when a `receive` function is given (Node's
 * receiveMessageOnPort), by `pump`, which may wait on the helper's shared
 * counter: the inline kernel blocks its thread and is served that way.
 */
import type { HostNet, NetEvents } from '../../kernel/host.js';
import type { NetSpec } from '../sentry/control_plane.js';

/** A message of the helper protocol: tag first (node_net_helper.ts). */
export type NetMsg = [string, ...unknown[]];

/** The port end a NetPort talks through (Node's MessagePort or a browser one). */
export interface NetMessagePort {
  postMessage(m: unknown, transfer?: readonly Transferable[] | readonly ArrayBuffer[]): void;
  addEventListener(type: 'message', h: (e: { data: unknown }) => void): void;
  removeEventListener(type: 'message', h: (e: { data: unknown }) => void): void;
  start?(): void;
  close(): void;
}

/** What crosses to the kernel's thread (transfer `port`): the Sentry's `NetSpec`. */
export type NetHandOff = NetSpec;

/** A HostNet on one helper port. */
export class NetPort implements HostNet {
  private readonly sinks = new Map<number, NetEvents>();
  private readonly connListener = new Map<number, number>();
  /** Events of listeners no sink is attached to yet, replayed by `attach` (or handed off). */
  protected readonly early = new Map<number, NetMsg[]>();
  protected readonly seq: Int32Array;
  /** The helper's count at the last drain. */
  private drained = -1;
  private listening = false;
  private readonly onMessage = (e: { data: unknown }) => this.deliver(e.data as NetMsg);
  protected stopped = false;

  constructor(
    protected readonly port: NetMessagePort,
    seq: SharedArrayBuffer,
    /** Take one queued message now (Node: receiveMessageOnPort); without it `pump` never waits. */
    private readonly receive?: (port: NetMessagePort) => NetMsg | undefined,
    replay: readonly NetMsg[] = [],
  ) {
    this.seq = new Int32Array(seq);
    for (const m of replay) this.deliver(m);
    this.startListening();
  }

  /** The kernel side of a hand-off (NodeNet.handOff), in the kernel's thread. */
  static fromHandOff(h: NetHandOff, receive?: (port: NetMessagePort) => NetMsg | undefined): NetPort {
    return new NetPort(h.port as unknown as NetMessagePort, h.seq, receive, h.replay as NetMsg[]);
  }

  protected startListening(): void {
    if (this.listening) return;
    this.listening = true;
    this.port.addEventListener('message', this.onMessage);
    this.port.start?.();
  }

  /** Stop taking messages from the port (they stay queued on it, for whoever takes the port next). */
  protected unlisten(): void {
    if (!this.listening) return;
    this.listening = false;
    this.port.removeEventListener('message', this.onMessage);
  }

  attach(listeners: readonly number[], events: NetEvents): void {
    for (const l of listeners) {
      this.sinks.set(l, events);
      const queued = this.early.get(l);
      this.early.delete(l);
      for (const m of queued ?? []) this.deliver(m);
    }
  }

  send(conn: number, bytes: Uint8Array): void {
    const copy = bytes.slice(); // a view of guest memory: never clone its whole buffer
    this.post(['send', conn, copy], [copy.buffer]);
  }
  shutdown(conn: number): void {
    this.post(['shutdown', conn]);
  }
  close(conn: number): void {
    this.connListener.delete(conn);
    this.post(['close', conn]);
  }
  credit(conn: number, n: number): void {
    this.post(['credit', conn, n]);
  }
  backlog(listener: number, n: number): void {
    this.post(['backlog', listener, n]);
  }
  closeListener(listener: number): void {
    this.sinks.delete(listener);
    this.post(['closeListener', listener]);
  }

  pump(timeoutNs: bigint | null): boolean {
    if (this.receive === undefined) return false; // events come through the event loop
    const seen = Atomics.load(this.seq, 0);
    // the helper counts after posting: an unchanged count means nothing new since the last drain (the cheap common case)
    if (seen === this.drained && timeoutNs !== null && timeoutNs <= 0n) return false;
    this.drained = seen;
    if (this.drain()) return true;
    if (timeoutNs !== null && timeoutNs <= 0n) return false;
    Atomics.wait(this.seq, 0, seen, timeoutNs === null ? undefined : Number(timeoutNs) / 1e6);
    return this.drain();
  }

  /** The kernel side is done (its container is gone): no more messages are sent or taken. */
  detach(): void {
    if (this.stopped) return;
    this.stopped = true;
    this.unlisten();
    this.port.close();
  }

  protected post(m: NetMsg, transfer?: ArrayBuffer[]): void {
    if (!this.stopped) this.port.postMessage(m, transfer);
  }

  protected drain(): boolean {
    let any = false;
    for (;;) {
      const m = this.receive?.(this.port);
      if (m === undefined) return any;
      this.deliver(m);
      any = true;
    }
  }

  private sinkOf(listener: number, m: NetMsg): NetEvents | undefined {
    const s = this.sinks.get(listener);
    if (s === undefined) {
      const q = this.early.get(listener) ?? [];
      q.push(m);
      this.early.set(listener, q);
    }
    return s;
  }

  /** A message from the helper (NodeNet also gets the replies to its listen requests here). */
  protected deliver(m: NetMsg): void {
    const tag = m[0];
    if (tag === 'conn') {
      const l = m[1] as number;
      this.connListener.set(m[2] as number, l);
      this.sinkOf(l, m)?.connection(l, m[2] as number, m[3] as string);
      return;
    }
    const conn = m[1] as number;
    const l = this.connListener.get(conn);
    if (l === undefined) return;
    const sink = this.sinkOf(l, m);
    if (sink === undefined) return;
    if (tag === 'data') sink.data(conn, m[2] as Uint8Array);
    else if (tag === 'end') sink.end(conn);
    else if (tag === 'sent') sink.sent(conn, m[2] as number);
    else if (tag === 'closed') {
      this.connListener.delete(conn);
      sink.closed(conn);
    }
  }
}
