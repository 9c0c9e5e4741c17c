import { execFileSync } from 'node:child_process';
import { mkdtempSync, promises as fsp } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { sha256Digest } from '../../src/image/content/digest.js';
import { collectGarbage, Lease } from '../../src/image/content/gc.js';
import { tryLock } from '../../src/image/content/content_store.js';
import { MediaType } from '../../src/image/content/media_types.js';
import { openStore, type Store } from '../../src/image/content/store_root.js';

const tmp: string[] = [];
afterAll(async () => {
  for (const d of tmp) await fsp.rm(d, { recursive: true, force: true });
});

async function put(store: Store, data: string | Buffer): Promise<{ digest: string; size: number }> {
  const buf = Buffer.from(data);
  const w = await store.content.writer({ ref: `t-${Math.random()}` });
  await w.write(buf);
  const digest = sha256Digest(buf);
  await w.commit(buf.length, digest);
  return { digest, size: buf.length };
}

describe('garbage collection', () => {
  it('keeps what image names reach (index → manifest → config and layers) and live leases; removes the rest', async () => {
    const d = mkdtempSync(path.join(os.tmpdir(), 'wv-gc-'));
    tmp.push(d);
    const store = await openStore(d);
    const layer = await put(store, 'layer');
    const config = await put(store, '{"os":"wasip1","architecture":"wasm"}');
    const manifest = await put(store, JSON.stringify({ schemaVersion: 2, mediaType: MediaType.OCI_MANIFEST, config: { mediaType: MediaType.OCI_CONFIG, ...config }, layers: [{ mediaType: MediaType.OCI_LAYER, ...layer }] }));
    const absent = sha256Digest('child not pulled');
    const index = await put(store, JSON.stringify({ schemaVersion: 2, mediaType: MediaType.OCI_INDEX, manifests: [{ mediaType: MediaType.OCI_MANIFEST, ...manifest }, { mediaType: MediaType.OCI_MANIFEST, digest: absent, size: 3 }] }));
    const orphan = await put(store, 'nobody wants me');
    const leased = await put(store, 'being pulled');
    await store.images.put('r/app:1', { mediaType: MediaType.OCI_INDEX, ...index });
    const lease = await Lease.create(d);
    await lease.add(leased.digest);
    // a lease left by a dead process protects nothing
    const deadPid = Number(execFileSync('sh', ['-c', 'echo $$'], { encoding: 'utf8' }).trim());
    await fsp.writeFile(path.join(d, 'leases', `${deadPid}-x.json`), JSON.stringify({ pid: deadPid, digests: [orphan.digest] }));

    const dry = await collectGarbage(store, { dryRun: true });
    expect(dry.removed).toEqual([orphan.digest]);
    expect(await store.content.has(orphan.digest)).toBe(true);
    const gc = await collectGarbage(store);
    expect(gc.removed).toEqual([orphan.digest]);
    expect(gc.bytes).toBe(orphan.size);
    for (const x of [layer, config, manifest, index, leased]) expect(await store.content.has(x.digest)).toBe(true);
    expect((await fsp.readdir(path.join(d, 'leases'))).length).toBe(1);

    await lease.release();
    await store.images.delete('r/app:1');
    const all = await collectGarbage(store);
    expect(all.removed.sort()).toEqual([layer, config, manifest, index, leased].map((x) => x.digest).sort());
    expect(await store.content.list()).toEqual([]);
  });

  it('aborts stale ingests nobody holds, and keeps held ones', async () => {
    const d = mkdtempSync(path.join(os.tmpdir(), 'wv-gc-'));
    tmp.push(d);
    const store = await openStore(d);
    const stale = await store.content.writer({ ref: 'stale' });
    await stale.write(Buffer.from('x'));
    await stale.close();
    const live = await store.content.writer({ ref: 'live', total: 100 });
    await live.write(Buffer.from('y'));
    const gc = await collectGarbage(store, { ingestMaxAgeMs: 0 });
    expect(gc.ingests).toEqual(['stale']);
    expect((await store.content.listStatuses()).map((s) => s.ref)).toEqual(['live']);
    await live.close();
  });

  it('exactly one of many racing takers wins a lock left by a dead process', async () => {
    const d = mkdtempSync(path.join(os.tmpdir(), 'wv-lock-'));
    tmp.push(d);
    const deadPid = Number(execFileSync('sh', ['-c', 'echo $$'], { encoding: 'utf8' }).trim());
    const lock = path.join(d, 'x.lock');
    await fsp.writeFile(lock, String(deadPid));
    const wins = await Promise.all(Array.from({ length: 20 }, () => tryLock(lock)));
    expect(wins.filter(Boolean)).toHaveLength(1);
    expect(await fsp.readFile(lock, 'utf8')).toBe(String(process.pid));
    expect((await fsp.readdir(d)).sort()).toEqual(['x.lock']);
    expect(await tryLock(lock)).toBe(false);
  });
});
