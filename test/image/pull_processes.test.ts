/** Two processes pulling one image at once share each layer download through the ingest lock. */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, promises as fsp } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { MediaType } from '../../src/image/content/media_types.js';
import { openStore } from '../../src/image/content/store_root.js';
import { imageBlobs, sha256 as sha } from '../support/oci_fixtures.js';

const root = path.resolve(import.meta.dirname, '../..');

describe('pulls in two processes', () => {
  const tmp: string[] = [];
  afterAll(async () => {
    for (const d of tmp) await fsp.rm(d, { recursive: true, force: true });
  });

  it('download each layer once and both name the image', async () => {
    const layers = [randomBytes(600_000), randomBytes(600_000)];
    const { manifest, blobs } = imageBlobs(layers);
    const gets = new Map<string, number>();
    const server = http.createServer((req, res) => {
      if (req.url === '/v2/') return void res.writeHead(200).end();
      if (req.url === '/v2/p/manifests/1') return void res.writeHead(200, { 'Content-Type': MediaType.OCI_MANIFEST }).end(manifest);
      const d = (req.url ?? '').replace('/v2/p/blobs/', '');
      const b = blobs.get(d);
      if (!b) return void res.writeHead(404).end();
      gets.set(d, (gets.get(d) ?? 0) + 1);
      const start = Number(/bytes=(\d+)-/.exec(req.headers.range ?? '')?.[1] ?? 0);
      res.writeHead(start ? 206 : 200, { 'Content-Length': b.length - start, ...(start ? { 'Content-Range': `bytes ${start}-${b.length - 1}/${b.length}` } : {}) });
      // slow: 100 kB every 100 ms, so that the second process finds the first at work
      let off = start;
      const t = setInterval(() => {
        const end = Math.min(off + 100_000, b.length);
        res.write(b.subarray(off, end));
        off = end;
        if (off >= b.length) {
          clearInterval(t);
          res.end();
        }
      }, 100);
      res.on('close', () => clearInterval(t));
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const host = `127.0.0.1:${(server.address() as AddressInfo).port}`;
    const dir = mkdtempSync(path.join(os.tmpdir(), 'wv-procs-'));
    tmp.push(dir);
    const run = (): Promise<{ code: number | null; err: string }> =>
      new Promise((resolve) => {
        const child = spawn(path.join(root, 'node_modules/.bin/vite-node'), [path.join(root, 'test/image/pull_child_fixture.ts'), dir, `${host}/p:1`], { stdio: ['ignore', 'ignore', 'pipe'] });
        let err = '';
        child.stderr.on('data', (d: Buffer) => (err += d.toString()));
        child.on('close', (code) => resolve({ code, err }));
      });
    try {
      // the second process starts once the first holds both layers' ingests (both requested), so that it
      // finds the first at work. Started at the same instant, each may lock one layer and wait for the other's
      // commit, which comes only once all its layers are in: that cross-wait ends by the 5 s stall fallback,
      // a second download (a known limit, see the closing note of session 5), not what this test checks.
      const first = run();
      for (let i = 0; i < 600 && !layers.every((l) => gets.has(sha(l))); i++) await new Promise((r) => setTimeout(r, 50));
      const results = await Promise.all([first, run()]);
      expect(results, results.map((r) => r.err).join('\n')).toEqual([{ code: 0, err: '' }, { code: 0, err: '' }]);
      for (const l of layers) expect(gets.get(sha(l))).toBe(1);
      const store = await openStore(dir);
      expect((await store.images.list()).map((r) => r.name)).toEqual([`${host}/p:1`]);
      expect(await store.content.listStatuses()).toEqual([]);
    } finally {
      server.closeAllConnections();
      server.close();
    }
  });
});
