/**
 * Hostile and broken registries, played by a node:http server that serves
 * hand-made manifests and blobs: every failure leaves the store as it was
 * (or, for an interrupted download, with only a resumable ingest).
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, promises as fsp, readdirSync, statSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { MediaType } from '../../src/image/content/media_types.js';
import { pullImage } from '../../src/image/registry/pull.js';
import { RegistryClient } from '../../src/image/registry/registry.js';
import { openStore, type Store } from '../../src/image/content/store_root.js';

const sha = (b: Buffer | string): string => `sha256:${createHash('sha256').update(b).digest('hex')}`;

/** Every file under `dir` with its size. */
function listing(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string): void => {
    for (const n of readdirSync(d)) {
      const p = path.join(d, n);
      if (statSync(p).isDirectory()) walk(p);
      else out.push(`${path.relative(dir, p)} ${statSync(p).size}`);
    }
  };
  walk(dir);
  return out.sort();
}

interface Blob {
  data: Buffer;
  /** Override what is served. */
  serve?: (req: http.IncomingMessage, res: http.ServerResponse, data: Buffer) => void;
}

describe('pull from a misbehaving registry', () => {
  let server: http.Server;
  let host: string;
  const manifests = new Map<string, { body: Buffer; type: string }>();
  const blobs = new Map<string, Blob>();
  let log: string[] = [];
  let store: Store;
  const tmp: string[] = [];

  beforeAll(async () => {
    server = http.createServer((req, res) => {
      log.push(`${req.method} ${req.url} ${req.headers.range ?? ''}`.trim());
      const m = /^\/v2\/(.+)\/(manifests|blobs)\/([^/]+)$/.exec(req.url ?? '');
      if (req.url === '/v2/') return void res.writeHead(200).end('{}');
      if (m?.[2] === 'manifests') {
        const mf = manifests.get(`${m[1]}:${m[3]}`) ?? [...manifests.values()].find((x) => sha(x.body) === m[3]);
        if (!mf) return void res.writeHead(404).end('{"errors":[{"code":"MANIFEST_UNKNOWN","message":"manifest unknown"}]}');
        return void res.writeHead(200, { 'Content-Type': mf.type, 'Content-Length': mf.body.length }).end(mf.body);
      }
      if (m?.[2] === 'blobs') {
        const b = blobs.get(m[3]);
        if (!b) return void res.writeHead(404).end('{"errors":[{"code":"BLOB_UNKNOWN"}]}');
        if (b.serve) return b.serve(req, res, b.data);
        return void res.writeHead(200, { 'Content-Length': b.data.length }).end(b.data);
      }
      res.writeHead(404).end();
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    host = `127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    server.close();
    for (const d of tmp) await fsp.rm(d, { recursive: true, force: true });
  });
  beforeEach(async () => {
    const d = mkdtempSync(path.join(os.tmpdir(), 'wv-bad-'));
    tmp.push(d);
    store = await openStore(d);
    log = [];
  });

  const client = (): RegistryClient => new RegistryClient({ backoffMs: 1, attempts: 2 });
  const pull = (ref: string) => pullImage(store, `${host}/${ref}`, { client: client(), blobAttempts: 3 });

  /** Publish `repo:tag` with one layer whose served bytes `layer` describes; returns the layer descriptor digest. */
  function publish(repo: string, layer: Blob & { claimed?: { digest: string; size: number } }, layerType: string = MediaType.OCI_LAYER_GZIP, type: string = MediaType.OCI_MANIFEST): string {
    const config = Buffer.from(JSON.stringify({ architecture: 'wasm', os: 'wasip1', rootfs: { type: 'layers', diff_ids: [sha('x')] } }));
    blobs.set(sha(config), { data: config });
    const digest = layer.claimed?.digest ?? sha(layer.data);
    blobs.set(digest, layer);
    const manifest = Buffer.from(JSON.stringify({
      schemaVersion: 2,
      mediaType: type,
      config: { mediaType: MediaType.OCI_CONFIG, digest: sha(config), size: config.length },
      layers: [{ mediaType: layerType, digest, size: layer.claimed?.size ?? layer.data.length }],
    }));
    manifests.set(`${repo}:1`, { body: manifest, type });
    return digest;
  }

  const expectUnchanged = async (p: Promise<unknown>, code: string): Promise<void> => {
    const before = listing(store.root);
    await expect(p).rejects.toMatchObject({ code });
    expect(listing(store.root)).toEqual(before);
  };

  it('a pull re-fetches nothing but the manifest when the image is present', async () => {
    publish('ok/app', { data: randomBytes(1000) });
    await pull('ok/app:1');
    log = [];
    const again = await pull('ok/app:1');
    expect(again.fetched.blobs).toBe(0);
    expect(log).toEqual(['GET /v2/ok/app/manifests/1']);
  });

  it('digest mismatch: the blob is not what the manifest says', async () => {
    const data = randomBytes(4096);
    publish('bad/digest', { data, claimed: { digest: sha('something else'), size: data.length } });
    await expectUnchanged(pull('bad/digest:1'), 'DIGEST_MISMATCH');
  });

  it('truncated blob: the registry keeps sending fewer bytes', async () => {
    const data = randomBytes(10_000);
    publish('bad/short', { data, serve: (_q, res, d) => void res.writeHead(200, { 'Content-Length': 6000 }).end(d.subarray(0, 6000)) });
    await expectUnchanged(pull('bad/short:1'), 'TRUNCATED');
  });

  it('oversized blob: more bytes than the descriptor says', async () => {
    const data = randomBytes(5000);
    publish('bad/long', { data, serve: (_q, res, d) => void res.writeHead(200).end(Buffer.concat([d, Buffer.from('extra')])) });
    await expectUnchanged(pull('bad/long:1'), 'OVERSIZED');
  });

  it('a manifest over the 4 MiB limit', async () => {
    const huge = Buffer.alloc(4 * 1024 * 1024 + 10, 0x20);
    manifests.set('bad/huge:1', { body: huge, type: MediaType.OCI_MANIFEST });
    await expectUnchanged(pull('bad/huge:1'), 'TOO_LARGE');
  });

  it('unknown media types: a manifest type, and a layer type', async () => {
    manifests.set('bad/type:1', { body: Buffer.from('{"schemaVersion":2,"mediaType":"application/vnd.example.thing+json"}'), type: 'application/vnd.example.thing+json' });
    await expectUnchanged(pull('bad/type:1'), 'MEDIA_TYPE_UNKNOWN');
    publish('bad/layer', { data: randomBytes(100) }, 'application/vnd.cncf.helm.chart.content.v1.tar+gzip');
    await expect(pull('bad/layer:1')).rejects.toThrow(/helm.*cannot unpack/);
    expect(log.some((l) => l.includes('/blobs/'))).toBe(false);
  });

  it('a manifest pulled by digest that does not hash to it', async () => {
    publish('bad/bydigest', { data: randomBytes(10) });
    const wrong = sha('not it');
    manifests.set(`bad/bydigest:${wrong}`, manifests.get('bad/bydigest:1')!);
    await expectUnchanged(pull(`bad/bydigest@${wrong}`), 'DIGEST_MISMATCH');
  });

  it('an interrupted download resumes with Range, and a killed pull leaves only a resumable ingest', async () => {
    const data = randomBytes(300_000);
    let cut = true;
    const digest = publish('flaky/app', {
      data,
      serve: (req, res, d) => {
        const m = /^bytes=(\d+)-$/.exec(req.headers.range ?? '');
        const start = m ? Number(m[1]) : 0;
        const rest = d.subarray(start);
        res.writeHead(m ? 206 : 200, { 'Content-Length': rest.length, ...(m ? { 'Content-Range': `bytes ${start}-${d.length - 1}/${d.length}` } : {}) });
        if (cut) {
          res.write(rest.subarray(0, 50_000));
          setTimeout(() => res.destroy(), 20);
        } else res.end(rest);
      },
    });
    const blobsBefore = listing(path.join(store.root, 'content', 'blobs'));
    // every attempt is cut: the pull gives up, keeping what it has as an ingest
    await expect(pull('flaky/app:1')).rejects.toMatchObject({ code: 'INTERRUPTED' });
    expect(listing(path.join(store.root, 'content', 'blobs'))).toEqual(blobsBefore);
    const ingests = await store.content.listStatuses();
    expect(ingests).toHaveLength(1);
    expect(ingests[0].expected).toBe(digest);
    expect(ingests[0].offset).toBeGreaterThanOrEqual(100_000); // later attempts resumed where earlier ones stopped
    expect(ingests[0].offset).toBeLessThan(data.length);
    expect(log.filter((l) => l.includes(digest)).some((l) => /bytes=\d+-/.test(l))).toBe(true);
    // the network is back: the next pull resumes from the ingest's offset
    cut = false;
    log = [];
    const r = await pull('flaky/app:1');
    expect(log.find((l) => l.includes(digest))).toContain(`bytes=${ingests[0].offset}-`);
    expect(r.fetched.bytes).toBe(data.length - ingests[0].offset + (await store.content.info(r.config)).size);
    expect(Buffer.from(await store.content.readAll(digest, 1 << 20)).equals(data)).toBe(true);
    expect(await store.content.listStatuses()).toEqual([]);
  });

  it('a resumed ingest whose kept bytes are wrong is downloaded again from the start', async () => {
    const data = randomBytes(20_000);
    const digest = publish('ok/resume-bad', { data });
    const w = await store.content.writer({ ref: `blob-${digest}`, expected: digest, total: data.length });
    await w.write(randomBytes(5_000)); // not the blob's first bytes
    await w.close();
    const r = await pull('ok/resume-bad:1');
    expect(Buffer.from(await store.content.readAll(digest, 1 << 20)).equals(data)).toBe(true);
    expect(r.fetched.bytes).toBeGreaterThanOrEqual(data.length);
    expect(await store.content.listStatuses()).toEqual([]);
  });
});
