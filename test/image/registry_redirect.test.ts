/**
 * Issue 9, point 8: a redirect from https to plain http, on the same host
 * and port (one server speaking both, as the attack used), must neither
 * downgrade a TLS-verified registry nor carry the Basic credentials in
 * clear. The verified case runs the built client in a child process that
 * trusts the test's self-signed certificate (NODE_EXTRA_CA_CERTS); the
 * insecure case runs the CLI (loopback registries are insecure by default).
 */
import { execFile, execFileSync } from 'node:child_process';
import { promisify } from 'node:util';
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { redirectPolicy } from '../../src/image/registry/registry_http.js';
import { runCli } from './cli_process.js';
import { itWithTools } from '../support/tools.js';

const itTls = itWithTools('openssl');
const CREDS = `Basic ${Buffer.from('user:secret').toString('base64')}`;

describe('redirectPolicy', () => {
  const u = (s: string) => new URL(s);
  it('refuses https → http unless insecure, and keeps credentials only for the same scheme, host and port', () => {
    expect(redirectPolicy(u('https://r.io/v2/x'), u('http://r.io/v2/x'), false)).toMatchObject({ follow: false, keepAuth: false });
    expect(redirectPolicy(u('https://r.io:5000/v2/x'), u('http://r.io:5000/v2/x'), false).follow).toBe(false);
    expect(redirectPolicy(u('https://r.io/v2/x'), u('http://r.io/v2/x'), true)).toEqual({ follow: true, keepAuth: false });
    expect(redirectPolicy(u('https://r.io/a'), u('https://r.io:443/b'), false)).toEqual({ follow: true, keepAuth: true });
    expect(redirectPolicy(u('https://r.io/a'), u('https://r.io:8443/b'), false)).toEqual({ follow: true, keepAuth: false });
    expect(redirectPolicy(u('https://r.io/a'), u('https://cdn.r.io/b'), false)).toEqual({ follow: true, keepAuth: false });
    expect(redirectPolicy(u('http://r.io/a'), u('https://r.io/b'), true)).toEqual({ follow: true, keepAuth: false });
    expect(redirectPolicy(u('http://r.io:5000/a'), u('http://r.io:5001/b'), true)).toEqual({ follow: true, keepAuth: false });
    expect(redirectPolicy(u('http://R.io:80/a'), u('http://r.io/b'), true)).toEqual({ follow: true, keepAuth: true });
    expect(redirectPolicy(u('https://r.io/a'), u('file:///etc/passwd'), true).follow).toBe(false);
  });
});

describe('https → http redirect on the same host and port', () => {
  let dir: string;
  let port: number;
  let front: net.Server;
  let inners: net.Server[] = [];
  const seen: { proto: string; url: string; auth?: string }[] = [];

  beforeAll(async () => {
    if (itTls === it.skip) return;
    dir = mkdtempSync(path.join(os.tmpdir(), 'wv-redirect-'));
    execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=127.0.0.1',
      '-addext', 'subjectAltName=IP:127.0.0.1', '-keyout', path.join(dir, 'key.pem'), '-out', path.join(dir, 'cert.pem')], { stdio: 'ignore' });
    const handler = (proto: string) => (req: http.IncomingMessage, res: http.ServerResponse): void => {
      seen.push({ proto, url: req.url ?? '', auth: req.headers.authorization });
      if (proto === 'https' && !req.headers.authorization) return void res.writeHead(401, { 'WWW-Authenticate': 'Basic realm="r"' }).end();
      if (proto === 'https') return void res.writeHead(302, { Location: `http://127.0.0.1:${port}${req.url}` }).end();
      res.writeHead(404).end();
    };
    const tlsServer = https.createServer({ key: readFileSync(path.join(dir, 'key.pem')), cert: readFileSync(path.join(dir, 'cert.pem')) }, handler('https'));
    const plainServer = http.createServer(handler('http'));
    const inner = async (srv: net.Server): Promise<number> => {
      await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
      return (srv.address() as net.AddressInfo).port;
    };
    const tlsPort = await inner(tlsServer);
    const plainPort = await inner(plainServer);
    inners = [tlsServer, plainServer];
    // one port, both protocols (a TLS ClientHello starts with 0x16), each relayed to its server
    front = net.createServer((sock) => {
      sock.once('data', (first: Buffer) => {
        const up = net.connect(first[0] === 0x16 ? tlsPort : plainPort, '127.0.0.1', () => {
          up.write(first);
          sock.pipe(up).pipe(sock);
        });
        up.on('error', () => sock.destroy());
        sock.on('error', () => up.destroy());
      });
    });
    await new Promise<void>((r) => front.listen(0, '127.0.0.1', r));
    port = (front.address() as net.AddressInfo).port;
  });
  beforeEach(() => { seen.length = 0; });
  afterAll(() => {
    front?.close();
    for (const srv of inners) (srv as http.Server).closeAllConnections?.(), srv.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  itTls('a TLS-verified registry: the downgrade is refused, nothing reaches plain http', async () => {
    const lib = path.resolve(import.meta.dirname, '..', '..', 'dist', 'src', 'image', 'registry', 'registry.js');
    const script = `
      const { RegistryClient } = await import(${JSON.stringify(lib)});
      const c = new RegistryClient({ credentials: { username: 'user', password: 'secret' }, attempts: 1 });
      const ep = { host: '127.0.0.1:${port}', repository: 'r', insecure: false, mirror: false };
      try { const res = await c.request(ep, { path: 'manifests/1' }); res.body.resume(); console.log(JSON.stringify({ status: res.status })); }
      catch (e) { console.log(JSON.stringify({ code: e.code, message: e.message })); }`;
    const r = await promisify(execFile)(process.execPath, ['--input-type=module', '-e', script], {
      env: { ...process.env, NODE_EXTRA_CA_CERTS: path.join(dir, 'cert.pem') }, encoding: 'utf8', timeout: 20_000,
    });
    const out = JSON.parse(r.stdout.trim().split('\n').pop() ?? '{}') as { code?: string; message?: string; status?: number };
    expect(seen.filter((s) => s.proto === 'http')).toEqual([]);
    expect(seen.some((s) => s.proto === 'https' && s.auth === CREDS)).toBe(true); // TLS was verified and used
    expect(out.code).toBe('PROTOCOL');
    expect(out.message).toBe(`registry 127.0.0.1:${port} redirected from https to plain http (127.0.0.1:${port}); refusing to downgrade a TLS-verified registry (the request and its credentials would travel in clear)`);
  }, 30_000);

  itTls('an insecure registry (loopback, --tls-verify=false): followed, but the credentials never go out in clear', async () => {
    const root = mkdtempSync(path.join(dir, 'store-'));
    for (const extra of [[], ['--tls-verify=false']]) {
      seen.length = 0;
      const r = await runCli(['--root', root, 'pull', ...extra, '--creds', 'user:secret', `127.0.0.1:${port}/r:1`], { timeoutMs: 20_000 });
      expect(r.code).toBe(125);
      expect(seen.some((s) => s.proto === 'https' && s.auth === CREDS)).toBe(true);
      const plain = seen.filter((s) => s.proto === 'http');
      expect(plain.length).toBeGreaterThan(0); // the redirect was followed
      expect(plain.map((s) => s.auth)).toEqual(plain.map(() => undefined));
    }
  }, 45_000);
});
