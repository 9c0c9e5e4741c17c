import { execFileSync } from 'node:child_process';
import { createHash, createPrivateKey, createPublicKey, sign } from 'node:crypto';
import { mkdtempSync, promises as fsp, readFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it as vit } from 'vitest';
import { findCredentials, parseChallenges } from '../../src/image/registry/auth.js';
import { pullImage } from '../../src/image/registry/pull.js';
import { pushImage } from '../../src/image/registry/push.js';
import { RegistryClient } from '../../src/image/registry/registry.js';
import { openStore } from '../../src/image/content/store_root.js';
import { startRegistry, type RunningRegistry } from '../support/registry.js';
import { itWithTools } from '../support/tools.js';
import { cli, gzipLayer, OciLayout, pushLayout, skopeo, wasmModule } from './registry_fixtures.js';

const it = itWithTools('docker-registry', 'skopeo', 'openssl');
const USERS: Record<string, string> = { alice: 'secret' };
const b64url = (b: Buffer | string): string => Buffer.from(b).toString('base64url');

/** libtrust key ID of a public key, which distribution matches against the `kid` of a token. */
function libtrustKid(pem: string): string {
  const der = createPublicKey(pem).export({ type: 'spki', format: 'der' });
  const hash = createHash('sha256').update(der).digest().subarray(0, 30);
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  let bits = '';
  for (const byte of hash) bits += byte.toString(2).padStart(8, '0');
  let s = '';
  for (let i = 0; i < bits.length; i += 5) s += alphabet[parseInt(bits.slice(i, i + 5), 2)];
  return s.match(/.{4}/g)!.join(':');
}

describe('token auth against docker-registry with a token server in the test', () => {
  let reg: RunningRegistry;
  let tokenServer: http.Server;
  let dir: string;
  let tokenRequests = 0;

  beforeAll(async () => {
    if (it === vit.skip) return;
    dir = mkdtempSync(path.join(os.tmpdir(), 'wv-auth-'));
    execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', path.join(dir, 'key.pem'), '-out', path.join(dir, 'cert.pem'), '-days', '1', '-subj', '/CN=wv-token'], { stdio: 'ignore' });
    const keyPem = readFileSync(path.join(dir, 'key.pem'), 'utf8');
    const key = createPrivateKey(keyPem);
    const kid = libtrustKid(readFileSync(path.join(dir, 'cert.pem'), 'utf8'));
    tokenServer = http.createServer((req, res) => {
      tokenRequests++;
      const url = new URL(req.url ?? '/', 'http://x');
      const auth = req.headers.authorization ?? '';
      let user = '';
      if (auth.startsWith('Basic ')) {
        const [u, p] = Buffer.from(auth.slice(6), 'base64').toString().split(':');
        if (USERS[u] !== p) {
          res.writeHead(401).end('{"details":"bad credentials"}');
          return;
        }
        user = u;
      }
      const access = url.searchParams.getAll('scope').map((s) => {
        const [type, name, actions] = s.split(':');
        return { type, name, actions: user ? actions.split(',') : [] };
      });
      const now = Math.floor(Date.now() / 1000);
      const head = b64url(JSON.stringify({ alg: 'RS256', typ: 'JWT', kid }));
      const claims = b64url(JSON.stringify({ iss: 'wv-test', sub: user, aud: 'wv-registry', exp: now + 300, nbf: now - 10, iat: now, jti: String(Math.random()), access }));
      const sig = b64url(sign('sha256', Buffer.from(`${head}.${claims}`), key));
      res.writeHead(200, { 'Content-Type': 'application/json' }).end(JSON.stringify({ token: `${head}.${claims}.${sig}`, expires_in: 300 }));
    });
    await new Promise<void>((r) => tokenServer.listen(0, '127.0.0.1', r));
    const tport = (tokenServer.address() as AddressInfo).port;
    reg = await startRegistry({
      token: { realm: `http://127.0.0.1:${tport}/token`, service: 'wv-registry', issuer: 'wv-test', rootCertBundle: path.join(dir, 'cert.pem') },
    });
    const layout = new OciLayout();
    layout.tag('x', layout.image({ layers: [await gzipLayer({ 'x.wasm': wasmModule() })] }));
    await pushLayout(layout, 'x', `${reg.host}/private/app:1`, '--dest-creds', 'alice:secret');
    await fsp.rm(layout.dir, { recursive: true, force: true });
  });

  afterAll(async () => {
    await reg?.cleanup();
    tokenServer?.close();
    if (dir) await fsp.rm(dir, { recursive: true, force: true });
  });

  it('parses Bearer and Basic challenges', () => {
    expect(parseChallenges('Bearer realm="https://a/token",service="reg",scope="repository:x/y:pull,push", Basic realm="r"')).toEqual([
      { scheme: 'bearer', params: { realm: 'https://a/token', service: 'reg', scope: 'repository:x/y:pull,push' } },
      { scheme: 'basic', params: { realm: 'r' } },
    ]);
  });

  it('pulls and pushes with a bearer token fetched with the right password', async () => {
    const store = await openStore(path.join(dir, 'store-ok'));
    const client = new RegistryClient({ credentials: { username: 'alice', password: 'secret' } });
    const before = tokenRequests;
    const r = await pullImage(store, `${reg.host}/private/app:1`, { client });
    expect(r.fetched.blobs).toBe(2);
    expect(tokenRequests).toBeGreaterThan(before);
    const p = await pushImage(store, `${reg.host}/private/app:1`, `${reg.host}/private/copy:1`, { client });
    expect(p.blobs.mounted + p.blobs.uploaded).toBe(2);
    const info = JSON.parse(await skopeo('inspect', '--tls-verify=false', '--creds', 'alice:secret', `docker://${reg.host}/private/copy:1`)) as { Digest: string };
    expect(info.Digest).toBe(r.digest);
  });

  it('a wrong password fails in one line naming the registry and what to check, storing nothing', async () => {
    const store = await openStore(path.join(dir, 'store-bad'));
    const client = new RegistryClient({ credentials: { username: 'alice', password: 'wrong' } });
    const err = await pullImage(store, `${reg.host}/private/app:1`, { client }).catch((e: Error) => e);
    expect(err).toMatchObject({ code: 'UNAUTHORIZED' });
    expect((err as Error).message).not.toContain('\n');
    expect((err as Error).message).toMatch(new RegExp(`registry ${reg.host} refused the credentials of user "alice".*check the username and password`));
    expect(await store.content.list()).toEqual([]);
  });

  it('anonymous pulls are refused with advice to log in', async () => {
    const store = await openStore(path.join(dir, 'store-anon'));
    const client = new RegistryClient({ authFile: path.join(dir, 'none.json') });
    await expect(pullImage(store, `${reg.host}/private/app:1`, { client })).rejects.toThrow(/denied|login/i);
  });

  it('login checks the password and writes auth.json; pull then uses it; logout removes it', async () => {
    const authfile = path.join(dir, 'auth.json');
    const root = path.join(dir, 'store-cli');
    const bad = await cli(['login', reg.host, '-u', 'alice', '-p', 'nope', '--authfile', authfile]);
    expect(bad.code).toBe(125);
    expect(bad.err.trim().split('\n')).toHaveLength(1);
    expect(bad.err).toMatch(/refused the credentials of user "alice"/);
    const ok = await cli(['login', reg.host, '-u', 'alice', '-p', 'secret', '--authfile', authfile]);
    expect(ok).toMatchObject({ code: 0, out: 'Login Succeeded!\n' });
    expect(findCredentials(reg.host, 'private/app', [authfile])).toEqual({ username: 'alice', password: 'secret' });
    const pulled = await cli(['--root', root, 'pull', '--authfile', authfile, '--format', 'json', `${reg.host}/private/app:1`]);
    expect(pulled.code).toBe(0);
    expect(JSON.parse(pulled.out).name).toBe(`${reg.host}/private/app:1`);
    const out = await cli(['logout', reg.host, '--authfile', authfile]);
    expect(out.code).toBe(0);
    expect(findCredentials(reg.host, '', [authfile])).toBeUndefined();
    expect((await cli(['logout', reg.host, '--authfile', authfile])).code).toBe(125);
  });
});
