/**
 * The thread that owns a NodeNet's host sockets (node:net), as CommonJS
 * source eval'd in a worker (no file to resolve under dist/, bundles or
 * vitest). The kernel's thread may be blocked in Atomics.wait (inline
 * platform), so node:net cannot live there: this thread accepts, reads
 * and writes, and talks to it over a MessagePort, bumping a shared counter
 * (and notifying it) after every message so that a blocked kernel wakes.
 *
 * Messages are arrays, tag first. To the kernel: ['listening', req, id,
 * port] · ['listenError', req, code, message] · ['conn', listener, conn,
 * peer] · ['data', conn, bytes] · ['end', conn] · ['closed', conn] ·
 * ['sent', conn, n]. From it: ['listen', req, host, port] · ['send', conn,
 * bytes] · ['shutdown', conn] · ['close', conn] · ['credit', conn, n] ·
 * ['backlog', listener, n] · ['closeListener', listener].
 */

/** Constants the helper is built with (kernel/fs/socket_ns.ts's, passed in). */
export interface HelperLimits {
  recvWindow: number;
  backlog: number;
  /** Send acknowledgements are batched up to this many bytes. */
  ackBatch: number;
  /** A closed connection whose peer does not read its last bytes is dropped after this many ms. */
  lingerMs: number;
}

/** CommonJS source of the helper; `workerData` is { port, seq, limits }. */
export const NET_HELPER_SOURCE = `
const { workerData } = require('node:worker_threads');
const net = require('node:net');
const { port, limits } = workerData;
const seq = new Int32Array(workerData.seq);
const servers = new Map();
const conns = new Map();
let nextId = 1;
function post(m, transfer) {
  port.postMessage(m, transfer);
  Atomics.add(seq, 0, 1);
  Atomics.notify(seq, 0);
}
function own(d) {
  if (d.byteOffset === 0 && d.byteLength === d.buffer.byteLength) return new Uint8Array(d.buffer);
  return new Uint8Array(d);
}
function onConnection(lid, sock) {
  const s = servers.get(lid);
  if (s === undefined || s.pending >= limits.backlog) { sock.destroy(); return; }
  s.pending++;
  const id = nextId++;
  const c = { sock, credit: limits.recvWindow, paused: false, unacked: 0 };
  conns.set(id, c);
  sock.setNoDelay(true);
  sock.on('error', () => {});
  post(['conn', lid, id, String(sock.remoteAddress) + ':' + String(sock.remotePort)]);
  sock.on('data', (d) => {
    if (!conns.has(id)) return;
    const b = own(d);
    c.credit -= b.byteLength; // before the post: transferring b detaches it (byteLength 0 after)
    post(['data', id, b], [b.buffer]);
    if (c.credit <= 0 && !c.paused) { c.paused = true; sock.pause(); }
  });
  sock.on('end', () => { if (conns.has(id)) post(['end', id]); });
  sock.on('close', () => { if (conns.delete(id)) post(['closed', id]); });
}
port.on('message', (m) => {
  switch (m[0]) {
    case 'send': {
      const c = conns.get(m[1]);
      if (c === undefined) return;
      const n = m[2].byteLength;
      c.sock.write(m[2], () => {
        c.unacked += n;
        if (c.unacked >= limits.ackBatch && conns.has(m[1])) { post(['sent', m[1], c.unacked]); c.unacked = 0; }
      });
      return;
    }
    case 'credit': {
      const c = conns.get(m[1]);
      if (c === undefined) return;
      c.credit += m[2];
      if (c.credit > 0 && c.paused) { c.paused = false; c.sock.resume(); }
      return;
    }
    case 'backlog': {
      const s = servers.get(m[1]);
      if (s !== undefined) s.pending = Math.max(0, s.pending - m[2]);
      return;
    }
    case 'shutdown': {
      const c = conns.get(m[1]);
      if (c !== undefined) c.sock.end();
      return;
    }
    case 'close': {
      const c = conns.get(m[1]);
      if (c === undefined) return;
      conns.delete(m[1]);
      c.sock.end();
      if (c.paused) c.sock.resume();
      setTimeout(() => c.sock.destroy(), limits.lingerMs).unref();
      return;
    }
    case 'closeListener': {
      const s = servers.get(m[1]);
      if (s === undefined) return;
      servers.delete(m[1]);
      s.server.close();
      return;
    }
    case 'listen': {
      const [, req, host, p] = m;
      const server = net.createServer({ allowHalfOpen: true, noDelay: true });
      const id = nextId++;
      server.once('error', (e) => post(['listenError', req, String(e.code || 'EIO'), String(e.message)]));
      server.listen({ host, port: p, exclusive: true, backlog: 511 }, () => {
        servers.set(id, { server, pending: 0 });
        server.on('error', () => {});
        server.on('connection', (sock) => onConnection(id, sock));
        post(['listening', req, id, server.address().port]);
      });
      return;
    }
  }
});
`;
