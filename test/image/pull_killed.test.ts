/** A pull killed with SIGKILL leaves nothing but resumable ingests; the next pull resumes them. */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, promises as fsp, readdirSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { MediaType } from '../../src/image/content/media_types.js';
import { pullImage } from '../../src/image/registry/pull.js';
import { RegistryClient } from '../../src/image/registry/registry.js';
import { openStore } from '../../src/image/content/store_root.js';
import { imageBlobs, sha256 as sha } from '../support/oci_fixtures.js';

const root = path.resolve(import.meta.dirname, '../..');

describe('killed pull', () => {
  const tmp: string[] = [];
  afterAll(async () => {
    for (const d of tmp) await fsp.rm(d, { recursive: true, force: true });
  });

  it('SIGKILL mid-download: no blob, no name, no lease; a re-pull resumes with Range', async () => {
    const small = randomBytes(50_000);
    const big = randomBytes(2_000_000);
    const { manifest, config, blobs } = imageBlobs([small, big]);
    let stall = true;
    const log: string[] = [];
    const server = http.createServer((req, res) => {
      log.push(`${req.method} ${req.url} ${req.headers.range ?? ''}`.trim());
      if (req.url === '/v2/') return void res.writeHead(200).end();
      if (req.url === '/v2/k/manifests/1') return void res.writeHead(200, { 'Content-Type': MediaType.OCI_MANIFEST }).end(manifest);
      const b = blobs.get((req.url ?? '').replace('/v2/k/blobs/', ''));
      if (!b) return void res.writeHead(404).end();
      const start = Number(/bytes=(\d+)-/.exec(req.headers.range ?? '')?.[1] ?? 0);
      res.writeHead(start ? 206 : 200, { 'Content-Length': b.length - start, ...(start ? { 'Content-Range': `bytes ${start}-${b.length - 1}/${b.length}` } : {}) });
      if (b === big && stall) res.write(b.subarray(start, start + 1_500_000)); // then hang
      else res.end(b.subarray(start));
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const host = `127.0.0.1:${(server.address() as AddressInfo).port}`;
    const dir = mkdtempSync(path.join(os.tmpdir(), 'wv-killed-'));
    tmp.push(dir);
    try {
      const child = spawn(path.join(root, 'node_modules/.bin/vite-node'), [path.join(root, 'test/image/pull_child_fixture.ts'), dir, `${host}/k:1`], { stdio: 'ignore' });
      const store = await openStore(dir);
      const deadline = Date.now() + 20_000;
      for (;;) {
        const st = await store.content.listStatuses();
        if (st.length === 2 && st.every((s) => s.offset > 0)) break;
        if (Date.now() > deadline) throw new Error(`child did not get going: ${JSON.stringify(st)}`);
        await new Promise((r) => setTimeout(r, 50));
      }
      await new Promise((r) => setTimeout(r, 200));
      child.kill('SIGKILL');
      await new Promise((r) => child.once('exit', r));

      expect(readdirSync(path.join(dir, 'content', 'blobs', 'sha256'))).toEqual([]);
      expect(existsSync(path.join(dir, 'images.json'))).toBe(false);
      expect(existsSync(path.join(dir, 'leases'))).toBe(false);
      const ingests = await store.content.listStatuses();
      const bigIngest = ingests.find((s) => s.expected === sha(big))!;
      expect(ingests.find((s) => s.expected === sha(small))?.offset).toBe(small.length);
      expect(bigIngest.offset).toBeGreaterThan(0);
      expect(bigIngest.offset).toBeLessThan(big.length);

      stall = false;
      log.length = 0;
      const r = await pullImage(store, `${host}/k:1`, { client: new RegistryClient({}) });
      expect(r.fetched.bytes).toBe(config.length + big.length - bigIngest.offset);
      expect(log.some((l) => l.includes(sha(small).slice(7)))).toBe(false);
      expect(log.find((l) => l.includes(sha(big).slice(7)))).toContain(`bytes=${bigIngest.offset}-`);
      expect(Buffer.from(await store.content.readAll(sha(big), 1 << 22)).equals(big)).toBe(true);
      expect(await store.content.listStatuses()).toEqual([]);
    } finally {
      server.closeAllConnections();
      server.close();
    }
  });
});
