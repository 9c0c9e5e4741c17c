/** HTTP_PROXY / HTTPS_PROXY / NO_PROXY: a CONNECT and absolute-form proxy in the test, in front of test registries. */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, promises as fsp, readFileSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { pullImage } from '../../src/image/registry/pull.js';
import { RegistryClient } from '../../src/image/registry/registry.js';
import { proxyFor } from '../../src/image/registry/registry_http.js';
import { openStore } from '../../src/image/content/store_root.js';
import { listenLocal, tinyRegistry } from '../support/oci_fixtures.js';
import { itWithTools } from '../support/tools.js';

const tmp: string[] = [];
const saved = { ...process.env };
afterEach(() => {
  for (const k of ['HTTP_PROXY', 'HTTPS_PROXY', 'NO_PROXY', 'http_proxy', 'https_proxy', 'no_proxy']) {
    if (saved[k] === undefined) delete process.env[k];
    else process.env[k] = saved[k];
  }
});
afterAll(async () => {
  for (const d of tmp) await fsp.rm(d, { recursive: true, force: true });
});

/** A forward proxy that resolves `registry.test` to 127.0.0.1 and logs what it carried. */
async function startProxy(log: string[]): Promise<{ url: string; close: () => void }> {
  const target = (host: string): string => host.replace(/^registry\.test/, '127.0.0.1');
  const server = http.createServer((req, res) => {
    log.push(`${req.method} ${req.url}`);
    const u = new URL(req.url!);
    const up = http.request({ host: '127.0.0.1', port: u.port, method: req.method, path: u.pathname + u.search, headers: req.headers }, (r) => {
      res.writeHead(r.statusCode ?? 502, r.headers);
      r.pipe(res);
    });
    up.on('error', () => res.writeHead(502).end());
    req.pipe(up);
  });
  server.on('connect', (req, socket, head) => {
    log.push(`CONNECT ${req.url}`);
    const [host, port] = target(req.url!).split(':');
    const up = net.connect(Number(port), host, () => {
      socket.write('HTTP/1.1 200 Connection Established\r\n\r\n');
      up.write(head);
      up.pipe(socket);
      socket.pipe(up);
    });
    up.on('error', () => socket.destroy());
    socket.on('error', () => up.destroy());
  });
  return { url: `http://${await listenLocal(server)}`, close: () => (server.closeAllConnections(), server.close()) };
}

describe('registry access through a proxy', () => {
  it('chooses the proxy from the environment', () => {
    const env = { HTTPS_PROXY: 'proxy:3128', http_proxy: 'http://p2:8080', NO_PROXY: 'internal.corp,.svc' };
    expect(proxyFor(new URL('https://ghcr.io/v2/'), env)?.href).toBe('http://proxy:3128/');
    expect(proxyFor(new URL('http://reg.example/v2/'), env)?.href).toBe('http://p2:8080/');
    expect(proxyFor(new URL('https://internal.corp/v2/'), env)).toBeUndefined();
    expect(proxyFor(new URL('https://a.internal.corp/v2/'), env)).toBeUndefined();
    expect(proxyFor(new URL('https://x.svc/v2/'), env)).toBeUndefined();
    expect(proxyFor(new URL('https://127.0.0.1:5000/v2/'), env)).toBeUndefined();
    expect(proxyFor(new URL('https://localhost/v2/'), env)).toBeUndefined();
    expect(proxyFor(new URL('https://ghcr.io/v2/'), { ...env, NO_PROXY: '*' })).toBeUndefined();
  });

  it('pulls from a plain-HTTP registry through HTTP_PROXY (absolute-form), and NO_PROXY bypasses it', async () => {
    const reg = http.createServer(tinyRegistry('proxied layer').handler);
    const port = (await listenLocal(reg)).split(':')[1];
    const log: string[] = [];
    const proxy = await startProxy(log);
    try {
      process.env.HTTP_PROXY = proxy.url;
      process.env.HTTPS_PROXY = proxy.url;
      const store = await openStore(mkdtempSync(path.join(os.tmpdir(), 'wv-proxy-')));
      tmp.push(store.root);
      const r = await pullImage(store, `registry.test:${port}/app:1`, { client: new RegistryClient({ tlsVerify: false, attempts: 1 }) });
      expect(r.fetched.blobs).toBe(2);
      expect(log).toContain(`GET http://registry.test:${port}/v2/app/manifests/1`);
      process.env.NO_PROXY = 'registry.test';
      const direct = await pullImage(store, `registry.test:${port}/app:1`, { client: new RegistryClient({ tlsVerify: false, attempts: 1 }) }).catch((e: Error) => e);
      expect((direct as Error).message).toMatch(/ENOTFOUND/);
    } finally {
      proxy.close();
      reg.close();
    }
  });

  itWithTools('openssl')('pulls from an HTTPS registry through an HTTPS_PROXY CONNECT tunnel', async () => {
    const d = mkdtempSync(path.join(os.tmpdir(), 'wv-proxy-tls-'));
    tmp.push(d);
    execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', `${d}/k.pem`, '-out', `${d}/c.pem`, '-days', '1', '-subj', '/CN=registry.test'], { stdio: 'ignore' });
    const reg = https.createServer({ key: readFileSync(`${d}/k.pem`), cert: readFileSync(`${d}/c.pem`) }, tinyRegistry('proxied layer').handler);
    const port = (await listenLocal(reg)).split(':')[1];
    const log: string[] = [];
    const proxy = await startProxy(log);
    try {
      process.env.HTTPS_PROXY = proxy.url;
      const store = await openStore(path.join(d, 'store'));
      const r = await pullImage(store, `registry.test:${port}/app:1`, { client: new RegistryClient({ tlsVerify: false, attempts: 1 }) });
      expect(r.fetched.blobs).toBe(2);
      expect(log.filter((l) => l === `CONNECT registry.test:${port}`).length).toBeGreaterThan(0);
      const strict = await pullImage(await openStore(path.join(d, 'store2')), `registry.test:${port}/app:1`, { client: new RegistryClient({ attempts: 1 }) }).catch((e: Error) => e);
      expect((strict as Error).message).toMatch(/self.signed certificate.*--tls-verify=false/);
    } finally {
      proxy.close();
      reg.close();
    }
  });
});
