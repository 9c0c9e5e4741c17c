/**
 * The registry client against node:http / node:https servers the test
 * controls: basic auth, retries, TLS policy, plain-HTTP fallback for
 * loopback registries; and the credential and registries.conf files.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, promises as fsp, readFileSync, statSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { authFilesToRead, authFileToWrite, findCredentials, removeAllCredentials, removeCredentials, saveCredentials } from '../../src/image/registry/auth.js';
import { parseManifest } from '../../src/image/content/manifest.js';
import { MediaType } from '../../src/image/content/media_types.js';
import { pullImage } from '../../src/image/registry/pull.js';
import { parseReference } from '../../src/image/reference/reference.js';
import { RegistryClient } from '../../src/image/registry/registry.js';
import { isLoopback, parseRegistriesConf } from '../../src/image/registry/registry_config.js';
import { openStore } from '../../src/image/content/store_root.js';
import { listenLocal as listen, sha256 as sha, tinyRegistry } from '../support/oci_fixtures.js';
import { itWithTools } from '../support/tools.js';

const tmp: string[] = [];
const mk = (): string => {
  const d = mkdtempSync(path.join(os.tmpdir(), 'wv-client-'));
  tmp.push(d);
  return d;
};
afterAll(async () => {
  for (const d of tmp) await fsp.rm(d, { recursive: true, force: true });
});

describe('registry client', () => {
  it('answers a Basic challenge with the configured credentials; a wrong password is one clear line', async () => {
    const reg = tinyRegistry();
    reg.setGate((req, res) => {
      if (req.headers.authorization === `Basic ${Buffer.from('bob:pw').toString('base64')}`) return true;
      res.writeHead(401, { 'WWW-Authenticate': 'Basic realm="test"' }).end();
      return false;
    });
    const server = http.createServer(reg.handler);
    const host = await listen(server);
    try {
      const ok = await pullImage(await openStore(mk()), `${host}/app:1`, { client: new RegistryClient({ credentials: { username: 'bob', password: 'pw' } }) });
      expect(ok.digest).toBe(reg.digest);
      const err = await pullImage(await openStore(mk()), `${host}/app:1`, { client: new RegistryClient({ credentials: { username: 'bob', password: 'no' } }) }).catch((e: Error) => e);
      expect(err).toMatchObject({ code: 'UNAUTHORIZED' });
      expect((err as Error).message).toBe(`registry ${host} refused the credentials of user "bob" for app: check the username and password (wasmvisor login ${host}) and that the user may access this repository`);
      const anon = await pullImage(await openStore(mk()), `${host}/app:1`, { client: new RegistryClient({ authFile: '/nonexistent' }) }).catch((e: Error) => e);
      expect(anon).toMatchObject({ code: 'AUTH_REQUIRED' });
    } finally {
      server.close();
    }
  });

  it('retries 503 and dropped connections with backoff', async () => {
    const reg = tinyRegistry();
    let failures = 0;
    reg.setGate((req, res) => {
      if (req.url?.includes('/blobs/') && failures < 3) {
        failures++;
        if (failures === 2) res.destroy();
        else res.writeHead(503, { 'Retry-After': '0' }).end();
        return false;
      }
      return true;
    });
    const server = http.createServer(reg.handler);
    const host = await listen(server);
    try {
      const r = await pullImage(await openStore(mk()), `${host}/app:1`, { client: new RegistryClient({ backoffMs: 5 }) });
      expect(r.fetched.blobs).toBe(2);
      expect(failures).toBe(3);
    } finally {
      server.close();
    }
  });

  it('a loopback registry on plain HTTP is used after a failed TLS handshake; other hosts need --tls-verify=false', async () => {
    const conf = parseRegistriesConf('[[registry]]\nlocation = "reg.internal:5000"\ninsecure = true\n');
    const c = new RegistryClient({ conf });
    expect(c.endpoints(parseReference('reg.internal:5000/a'))[0].insecure).toBe(true);
    expect(c.endpoints(parseReference('other.example/a'))[0].insecure).toBe(false);
    expect(new RegistryClient({ tlsVerify: false }).endpoints(parseReference('other.example/a'))[0].insecure).toBe(true);
    expect(['localhost:5000', '127.0.0.1', '127.1.2.3:80', '[::1]:5000'].every(isLoopback)).toBe(true);
    expect(['10.0.0.1:5000', 'localhost.evil.com', '128.0.0.1'].some(isLoopback)).toBe(false);
    const reg = tinyRegistry();
    const server = http.createServer(reg.handler);
    const host = await listen(server);
    try {
      const client = new RegistryClient({});
      await pullImage(await openStore(mk()), `${host}/app:1`, { client });
      expect(client.baseUrl(client.endpoints(parseReference(`${host}/app`))[0])).toBe(`http://${host}`);
    } finally {
      server.close();
    }
  });

  itWithTools('openssl')('a self-signed HTTPS registry needs --tls-verify=false, and then works', async () => {
    const d = mk();
    execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', `${d}/k.pem`, '-out', `${d}/c.pem`, '-days', '1', '-subj', '/CN=reg.test', '-addext', 'subjectAltName=DNS:reg.test'], { stdio: 'ignore' });
    const reg = tinyRegistry();
    const server = https.createServer({ key: readFileSync(`${d}/k.pem`), cert: readFileSync(`${d}/c.pem`) }, reg.handler);
    const host = await listen(server);
    const port = host.split(':')[1];
    // a non-loopback name for the same server, so that the default is to verify
    const conf = parseRegistriesConf(`[[registry]]\nlocation = "reg.test:${port}"\n[[registry.mirror]]\nlocation = "${host}"\n`);
    try {
      // the loopback mirror is insecure by default: unverified TLS works
      const viaMirror = await pullImage(await openStore(mk()), `reg.test:${port}/app:1`, { client: new RegistryClient({ conf, attempts: 1 }) });
      expect(viaMirror.source.mirror).toBe(true);
      const strict = new RegistryClient({ attempts: 1 });
      const ep = { host, repository: 'app', insecure: false, mirror: false };
      const err = await strict.ping(ep).catch((e: Error) => e);
      expect((err as Error).message).toMatch(/cannot reach registry .*self.signed certificate.*--tls-verify=false/);
      await new RegistryClient({ attempts: 1 }).ping({ ...ep, insecure: true });
    } finally {
      server.close();
    }
  });

  it('follows blob redirects to another host without sending the registry credentials there', async () => {
    const reg = tinyRegistry();
    const layer = reg.layer;
    const seen: (string | undefined)[] = [];
    const storage = http.createServer((req, res) => {
      seen.push(req.headers.authorization);
      res.writeHead(200).end(layer);
    });
    const storageHost = await listen(storage);
    reg.setGate((req, res) => {
      if (req.headers.authorization !== `Basic ${Buffer.from('u:p').toString('base64')}`) {
        res.writeHead(401, { 'WWW-Authenticate': 'Basic realm="r"' }).end();
        return false;
      }
      if (req.url === `/v2/app/blobs/${sha(layer)}`) {
        res.writeHead(307, { Location: `http://${storageHost.replace('127.0.0.1', 'localhost')}/blob?sig=1` }).end();
        return false;
      }
      return true;
    });
    const server = http.createServer(reg.handler);
    const host = await listen(server);
    try {
      const store = await openStore(mk());
      await pullImage(store, `${host}/app:1`, { client: new RegistryClient({ credentials: { username: 'u', password: 'p' } }) });
      expect(await store.content.has(sha(layer))).toBe(true);
      expect(seen).toEqual([undefined]);
    } finally {
      server.close();
      storage.close();
    }
  });

  it('a second writer on a blob waits for the first and reuses its result (one download across processes)', async () => {
    const reg = tinyRegistry();
    const server = http.createServer(reg.handler);
    const host = await listen(server);
    const store = await openStore(mk());
    const layer = reg.layer;
    try {
      // another "process" holds the ingest of the layer
      const w = await store.content.writer({ ref: `blob-${sha(layer)}`, expected: sha(layer) });
      const pulling = pullImage(store, `${host}/app:1`, { client: new RegistryClient({}) });
      await new Promise((r) => setTimeout(r, 300));
      await w.write(layer);
      await w.commit(layer.length, sha(layer));
      const r = await pulling;
      expect(r.fetched.blobs).toBe(1); // the config only
      expect(reg.log.filter((l) => l.includes(sha(layer).slice(7)))).toEqual([]);
    } finally {
      server.close();
    }
  });
});

describe('credentials files', () => {
  it('reads in order REGISTRY_AUTH_FILE, XDG_RUNTIME_DIR, ~/.config, ~/.docker; writes the first; longest key wins', async () => {
    const d = mk();
    const env = { HOME: d, XDG_RUNTIME_DIR: `${d}/run`, REGISTRY_AUTH_FILE: `${d}/reg.json` };
    expect(authFilesToRead(undefined, env)).toEqual([`${d}/reg.json`, `${d}/run/containers/auth.json`, `${d}/.config/containers/auth.json`, `${d}/.docker/config.json`]);
    expect(authFileToWrite(undefined, env)).toBe(`${d}/reg.json`);
    expect(authFileToWrite(undefined, { HOME: d, XDG_RUNTIME_DIR: `${d}/run` })).toBe(`${d}/run/containers/auth.json`);
    await fsp.mkdir(`${d}/.docker`);
    const b = (s: string): string => Buffer.from(s).toString('base64');
    writeFileSync(`${d}/.docker/config.json`, JSON.stringify({ auths: { 'https://index.docker.io/v1/': { auth: b('hub:1') }, 'r.io': { auth: b('r:2') }, 'r.io/team': { auth: b('team:3') } } }));
    const files = authFilesToRead(undefined, env);
    expect(findCredentials('docker.io', 'library/x', files)).toEqual({ username: 'hub', password: '1' });
    expect(findCredentials('r.io', 'other/x', files)).toEqual({ username: 'r', password: '2' });
    expect(findCredentials('r.io', 'team/x', files)).toEqual({ username: 'team', password: '3' });
    await saveCredentials(`${d}/reg.json`, 'r.io', { username: 'new', password: 'p:w' });
    expect(statSync(`${d}/reg.json`).mode & 0o777).toBe(0o600);
    expect(findCredentials('r.io', 'team/x', authFilesToRead(undefined, env))).toEqual({ username: 'new', password: 'p:w' });
    expect(await removeCredentials(`${d}/reg.json`, 'r.io')).toBe(true);
    expect(await removeCredentials(`${d}/reg.json`, 'r.io')).toBe(false);
    await saveCredentials(`${d}/reg.json`, 'a.io', { username: 'a', password: 'b' });
    writeFileSync(`${d}/other.json`, JSON.stringify({ auths: { 'x.io': { auth: b('x:y') } }, credsStore: 'keep-me' }));
    expect(await removeAllCredentials(`${d}/other.json`)).toBe(1);
    expect(JSON.parse(readFileSync(`${d}/other.json`, 'utf8'))).toEqual({ auths: {}, credsStore: 'keep-me' });
    writeFileSync(`${d}/reg.json`, '{oops');
    expect(() => findCredentials('r.io', '', [`${d}/reg.json`])).toThrow(/not valid JSON/);
  });

  it('asks a Docker credential helper named by credHelpers or credsStore', async () => {
    const d = mk();
    const helper = `${d}/docker-credential-wvtest`;
    writeFileSync(helper, '#!/bin/sh\nread server\nif [ "$server" = "helped.io" ]; then echo \'{"ServerURL":"helped.io","Username":"hu","Secret":"hs"}\'; else echo "credentials not found" >&2; exit 1; fi\n', { mode: 0o755 });
    writeFileSync(`${d}/config.json`, JSON.stringify({ credHelpers: { 'helped.io': 'wvtest' }, auths: { 'plain.io': { auth: Buffer.from('p:q').toString('base64') } } }));
    writeFileSync(`${d}/store.json`, JSON.stringify({ credsStore: 'wvtest' }));
    writeFileSync(`${d}/missing.json`, JSON.stringify({ credsStore: 'nosuchhelper' }));
    const oldPath = process.env.PATH;
    process.env.PATH = `${d}:${oldPath}`;
    try {
      expect(findCredentials('helped.io', 'x', [`${d}/config.json`])).toEqual({ username: 'hu', password: 'hs' });
      expect(findCredentials('plain.io', 'x', [`${d}/config.json`])).toEqual({ username: 'p', password: 'q' });
      expect(findCredentials('helped.io', '', [`${d}/store.json`])).toEqual({ username: 'hu', password: 'hs' });
      expect(findCredentials('other.io', '', [`${d}/store.json`])).toBeUndefined();
      expect(() => findCredentials('x.io', '', [`${d}/missing.json`])).toThrow(/docker-credential-nosuchhelper is configured but not on PATH/);
    } finally {
      process.env.PATH = oldPath;
    }
  });

  it('registries.conf errors name the file', () => {
    expect(() => parseRegistriesConf('[[registry]]\ninsecure = true\n', '/etc/x.conf')).toThrow(/\/etc\/x.conf: registry #1 has no location/);
    expect(() => parseRegistriesConf('[[registry', 'y.conf')).toThrow(/y.conf: not valid TOML/);
  });
});

describe('manifest parsing', () => {
  const m = (o: unknown): Buffer => Buffer.from(JSON.stringify(o));
  const desc = { mediaType: MediaType.OCI_CONFIG, digest: sha('c'), size: 1 };
  it('tells index from manifest by mediaType, Content-Type or shape', () => {
    expect(parseManifest(m({ schemaVersion: 2, manifests: [] }), undefined, 'x').kind).toBe('index');
    expect(parseManifest(m({ schemaVersion: 2, config: desc, layers: [] }), 'application/json', 'x').mediaType).toBe(MediaType.OCI_MANIFEST);
    expect(parseManifest(m({ schemaVersion: 2, config: desc, layers: [] }), MediaType.DOCKER_MANIFEST, 'x').mediaType).toBe(MediaType.DOCKER_MANIFEST);
  });
  it('refuses schema 1, bad descriptors and non-JSON with clear errors', () => {
    expect(() => parseManifest(m({ schemaVersion: 1, fsLayers: [] }), undefined, 'x')).toThrow(/schema 1 manifests are not supported/);
    expect(() => parseManifest(m({ schemaVersion: 2, config: { ...desc, digest: 'sha256:12' }, layers: [] }), undefined, 'x')).toThrow(/64 lowercase hex/);
    expect(() => parseManifest(m({ schemaVersion: 2, config: { ...desc, size: -1 }, layers: [] }), undefined, 'x')).toThrow(/valid size/);
    expect(() => parseManifest(Buffer.from('\xff\xfe'), undefined, 'x')).toThrow(/not UTF-8 JSON/);
  });
});
