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
import { createRequire } from 'node:module';
import type { MessagePort, Worker } from 'node:worker_threads';
import { BACKLOG, RECV_WINDOW, SEND_WINDOW } from '../../kernel/fs/socket_ns.js';
import { type HelperLimits, NET_HELPER_SOURCE } from './node_net_helper.js';
import { type NetHandOff, type NetMessagePort, type NetMsg, NetPort } from './net_port.js';

// node:worker_threads is loaded by the first NodeNet (a published port), not with this module (start-up of `run`)
let load: NodeJS.Require | undefined;
const threads = () => (load ??= createRequire(import.meta.url))('node:worker_threads') as typeof import('node:worker_threads');

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

/** Host sockets served by a helper thread; a HostNet for a kernel in this thread, or handed off to another. */
export class NodeNet extends NetPort {
  private readonly worker: Worker;
  private readonly requests = new Map<number, { resolve: (l: HostListener) => void; reject: (e: Error) => void; host: string; port: number }>();
  private nextReq = 1;
  private disposed = false;
  private handedOff = false;
  private readonly seqBuffer: SharedArrayBuffer;

  constructor() {
    const { MessageChannel, receiveMessageOnPort, Worker: WorkerThread } = threads();
    const { port1, port2 } = new MessageChannel();
    const seq = new SharedArrayBuffer(4);
    super(port1 as unknown as NetMessagePort, seq, (p) => receiveMessageOnPort(p as unknown as MessagePort)?.message as NetMsg | undefined);
    this.seqBuffer = seq;
    const limits: HelperLimits = { recvWindow: RECV_WINDOW, backlog: BACKLOG, ackBatch: SEND_WINDOW / 4, lingerMs: 10_000 };
    this.worker = new WorkerThread(NET_HELPER_SOURCE, { eval: true, workerData: { port: port2, seq, limits }, transferList: [port2] });
    this.worker.unref();
    this.nodePort.unref();
  }

  private get nodePort(): MessagePort {
    return this.port as unknown as MessagePort;
  }

  /** Listen on `host:port` (port 0: the host picks one). */
  listen(host: string, port: number): Promise<HostListener> {
    if (this.handedOff) return Promise.reject(new NodeNetError('LISTEN', 'this host network was handed to a kernel in another thread'));
    const req = this.nextReq++;
    this.nodePort.ref();
    return new Promise<HostListener>((resolve, reject) => {
      this.requests.set(req, { resolve, reject, host, port });
      this.post(['listen', req, host, port]);
    }).finally(() => {
      if (this.requests.size === 0) this.nodePort.unref();
    });
  }

  /**
   * Give the helper's port to a kernel in another thread (transfer
   * `port`): this object keeps only `dispose`. Events already received
   * for `listeners` (a client that connected before the container
   * started) go along, in order.
   */
  handOff(listeners: readonly { id: number; name: string }[]): NetHandOff {
    if (this.handedOff || this.disposed) throw new NodeNetError('LISTEN', 'this host network was already handed off or disposed');
    this.handedOff = true;
    this.unlisten();
    const replay: NetMsg[] = [];
    for (const l of listeners) replay.push(...(this.early.get(l.id) ?? []));
    this.early.clear();
    this.stopped = true; // nothing more goes out from here
    return { port: this.nodePort as unknown as globalThis.MessagePort, seq: this.seqBuffer, listeners: [...listeners], replay };
  }

  /** End the helper: every listener and connection closes, the ports are free. */
  async dispose(): Promise<void> {
    if (this.disposed) return;
    this.disposed = true;
    if (!this.handedOff) this.detach();
    await this.worker.terminate();
  }

  protected override deliver(m: NetMsg): void {
    const tag = m[0];
    if (tag === 'listening' || tag === 'listenError') {
      const r = this.requests.get(m[1] as number);
      if (r === undefined) return;
      this.requests.delete(m[1] as number);
      if (tag === 'listening') r.resolve({ id: m[2] as number, host: r.host, port: m[3] as number });
      else r.reject(listenError(m[2] as string, r.host, r.port));
      return;
    }
    super.deliver(m);
  }
}

function listenError(code: string, host: string, port: number): NodeNetError {
  const where = `${host}:${port}`;
  if (code === 'EADDRINUSE') return new NodeNetError('ADDR_IN_USE', `${where} is already in use on the host: publish another host port (-p HOSTPORT:CTRPORT) or stop what holds it`);
  if (code === 'EADDRNOTAVAIL') return new NodeNetError('ADDR_NOT_AVAILABLE', `${where}: no host interface has that address`);
  if (code === 'EACCES') return new NodeNetError('ACCESS', `${where}: permission denied (ports below 1024 need privileges)`);
  return new NodeNetError('LISTEN', `cannot listen on ${where} (${code})`);
}
