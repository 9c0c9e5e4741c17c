/**
 * `HostNet` for Node: TCP listeners and connections owned by a helper
 * thread (node_net_helper.ts), so that a kernel whose thread blocks in
 * Atomics.wait (the inline platform) still has its sockets served. Events
 * reach the kernel from this thread's event loop (sentry platform) or from
 * `pump`, which takes them with `receiveMessageOnPort`, waiting on the
 * helper's shared counter when there are none.
 *
 * `listen` binds before the container starts (EADDRINUSE and the like are
 * a `NodeNetError` there, with nothing left open); `dispose` ends the
 * helper thread, which closes every listener and connection, so the host
 * ports are free again.
 */
import { MessageChannel, type MessagePort, receiveMessageOnPort, Worker } from 'node:worker_threads';
import type { HostNet, NetEvents } from '../../kernel/host.js';
import { BACKLOG, RECV_WINDOW, SEND_WINDOW } from '../../kernel/fs/socket_ns.js';
import { type HelperLimits, NET_HELPER_SOURCE } from './node_net_helper.js';

/** Why a port could not be opened. */
export class NodeNetError extends Error {
  constructor(readonly code: 'ADDR_IN_USE' | 'ADDR_NOT_AVAILABLE' | 'ACCESS' | 'LISTEN', message: string) {
    super(message);
    this.name = 'NodeNetError';
  }
}

/** An open host listener. */
export interface HostListener {
  /** Handle for the kernel (`NetNamespace.addListeners`). */
  id: number;
  host: string;
  /** The port bound (the one asked for, or the one the host picked for 0). */
  port: number;
}

type Msg = [string, ...unknown[]];

/** Host sockets served by a helper thread. */
export class NodeNet implements HostNet {
  private readonly worker: Worker;
  private readonly port: MessagePort;
  private readonly seq: Int32Array;
  private readonly sinks = new Map<number, NetEvents>();
  private readonly connListener = new Map<number, number>();
  /** Events of listeners no sink is attached to yet, replayed by `attach`. */
  private readonly early = new Map<number, Msg[]>();
  private readonly requests = new Map<number, { resolve: (l: HostListener) => void; reject: (e: Error) => void; host: string; port: number }>();
  private nextReq = 1;
  private disposed = false;
  /** The helper's count at the last drain. */
  private drained = -1;

  constructor() {
    const { port1, port2 } = new MessageChannel();
    this.port = port1;
    const seq = new SharedArrayBuffer(4);
    this.seq = new Int32Array(seq);
    const limits: HelperLimits = { recvWindow: RECV_WINDOW, backlog: BACKLOG, ackBatch: SEND_WINDOW / 4, lingerMs: 10_000 };
    this.worker = new Worker(NET_HELPER_SOURCE, { eval: true, workerData: { port: port2, seq, limits }, transferList: [port2] });
    this.worker.unref();
    this.port.on('message', (m: Msg) => this.deliver(m));
    this.port.unref();
  }

  /** Listen on `host:port` (port 0: the host picks one). */
  listen(host: string, port: number): Promise<HostListener> {
    const req = this.nextReq++;
    this.port.ref();
    return new Promise<HostListener>((resolve, reject) => {
      this.requests.set(req, { resolve, reject, host, port });
      this.port.postMessage(['listen', req, host, port]);
    }).finally(() => {
      if (this.requests.size === 0) this.port.unref();
    });
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
    const seen = Atomics.load(this.seq, 0);
    // the helper counts after posting: an unchanged count means nothing new since the last drain (the cheap common case)
    if (seen === this.drained && timeoutNs !== null && timeoutNs <= 0n) return false;
    this.drained = seen;
    if (this.drain()) return true;
    if (timeoutNs !== null && timeoutNs <= 0n) return false;
    Atomics.wait(this.seq, 0, seen, timeoutNs === null ? undefined : Number(timeoutNs) / 1e6);
    return this.drain();
  }

  /** End the helper: every listener and connection closes, the ports are free. */
  async dispose(): Promise<void> {
    if (this.disposed) return;
    this.disposed = true;
    this.port.close();
    await this.worker.terminate();
  }

  private post(m: Msg, transfer?: ArrayBuffer[]): void {
    if (!this.disposed) this.port.postMessage(m, transfer);
  }

  private drain(): boolean {
    let any = false;
    for (;;) {
      const r = receiveMessageOnPort(this.port);
      if (r === undefined) return any;
      this.deliver(r.message as Msg);
      any = true;
    }
  }

  private sinkOf(listener: number, m: Msg): NetEvents | undefined {
    const s = this.sinks.get(listener);
    if (s === undefined) {
      const q = this.early.get(listener) ?? [];
      q.push(m);
      this.early.set(listener, q);
    }
    return s;
  }

  private deliver(m: Msg): void {
    const tag = m[0];
    if (tag === 'listening' || tag === 'listenError') {
      const r = this.requests.get(m[1] as number);
      if (r === undefined) return;
      this.requests.delete(m[1] as number);
      if (tag === 'listening') r.resolve({ id: m[2] as number, host: r.host, port: m[3] as number });
      else r.reject(listenError(m[2] as string, r.host, r.port));
      return;
    }
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

function listenError(code: string, host: string, port: number): NodeNetError {
  const where = `${host}:${port}`;
  if (code === 'EADDRINUSE') return new NodeNetError('ADDR_IN_USE', `${where} is already in use on the host: publish another host port (-p HOSTPORT:CTRPORT) or stop what holds it`);
  if (code === 'EADDRNOTAVAIL') return new NodeNetError('ADDR_NOT_AVAILABLE', `${where}: no host interface has that address`);
  if (code === 'EACCES') return new NodeNetError('ACCESS', `${where}: permission denied (ports below 1024 need privileges)`);
  return new NodeNetError('LISTEN', `cannot listen on ${where} (${code})`);
}
