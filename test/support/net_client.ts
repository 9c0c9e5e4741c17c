/**
 * Host-side clients for the published-port tests (test/cli/publish*.test.ts): an HTTP GET, a one-shot
 * echo exchange, the web root they serve, and probes of whether a port on 127.0.0.1 refuses connections or can be bound again.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import { join } from 'node:path';

/** GET `path` from 127.0.0.1:`port` on a fresh connection (no agent): its status and whole body. */
export function httpGet(port: number, path = '/'): Promise<{ status: number; body: Buffer }> {
  return new Promise((resolve, reject) => {
    http.get({ host: '127.0.0.1', port, path, agent: false }, (res) => {
      const parts: Buffer[] = [];
      res.on('data', (d: Buffer) => parts.push(d));
      res.on('end', () => resolve({ status: res.statusCode!, body: Buffer.concat(parts) }));
    }).on('error', reject);
  });
}

/** Send `data` on a fresh connection, half-close, and collect everything that comes back. */
export function echoOnce(port: number, data: Buffer): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const s = net.connect(port, '127.0.0.1', () => s.end(data));
    const parts: Buffer[] = [];
    s.on('data', (d: Buffer) => parts.push(d));
    s.on('end', () => resolve(Buffer.concat(parts)));
    s.on('error', reject);
  });
}

/** True if a connection to 127.0.0.1:`port` is refused (nothing listens there). */
export function refused(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect(port, '127.0.0.1', () => { s.destroy(); resolve(false); });
    s.on('error', () => resolve(true));
  });
}

/** Whether this process can bind 127.0.0.1:`port` (the container released it). */
export function canBind(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.createServer();
    s.once('error', () => resolve(false));
    s.listen({ host: '127.0.0.1', port, exclusive: true }, () => s.close(() => resolve(true)));
  });
}

/** The web root the HTTP-server tests serve: `DIR/www` with index.html and big.bin (300,000 patterned bytes, returned). */
export function makeWebRoot(dir: string): { www: string; big: Buffer } {
  const www = join(dir, 'www');
  mkdirSync(www);
  writeFileSync(join(www, 'index.html'), 'hello from wasm\n');
  const big = Buffer.alloc(300_000, 0);
  for (let i = 0; i < big.length; i++) big[i] = (i * 7919) & 0xff;
  writeFileSync(join(www, 'big.bin'), big);
  return { www, big };
}
