import { mkdtempSync, promises as fsp, readdirSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ContentStoreError, type ContentStore } from '../../src/image/content/content_store.js';
import { sha256Digest, validateDigest, DigestError } from '../../src/image/content/digest.js';
import { openStore, resolveStoreRoot, type Store } from '../../src/image/content/store_root.js';

/** Every file under `dir` with its size, as a sorted listing. */
export function listing(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string): void => {
    for (const n of readdirSync(d)) {
      const p = path.join(d, n);
      const st = statSync(p);
      if (st.isDirectory()) walk(p);
      else out.push(`${path.relative(dir, p)} ${st.size}`);
    }
  };
  walk(dir);
  return out.sort();
}

async function collect(it: AsyncIterable<Uint8Array>): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const c of it) parts.push(Buffer.from(c));
  return Buffer.concat(parts);
}

/** The shared content store suite: every ContentStore implementation runs it. */
function contentStoreSuite(name: string, make: () => Promise<{ store: ContentStore; dir: string }>): void {
  describe(`ContentStore suite: ${name}`, () => {
    let store: ContentStore;
    let dir: string;
    beforeEach(async () => ({ store, dir } = await make()));

    it('commits verified content and reads it back', async () => {
      const data = Buffer.from('hello content store');
      const d = sha256Digest(data);
      const w = await store.writer({ ref: 'r1', expected: d, total: data.length });
      await w.write(data.subarray(0, 5));
      await w.write(data.subarray(5));
      expect(w.digest()).toBe(d);
      await w.commit(data.length, d, { labels: { a: 'b' } });
      expect(await store.has(d)).toBe(true);
      const info = await store.info(d);
      expect(info.size).toBe(data.length);
      expect(info.labels).toEqual({ a: 'b' });
      expect(Buffer.from(await store.readAll(d, 100)).toString()).toBe('hello content store');
      expect((await collect(store.stream(d, { offset: 6, length: 7 }))).toString()).toBe('content');
      const r = await store.readerAt(d);
      const buf = new Uint8Array(5);
      expect(await r.readAt(buf, 14)).toBe(5);
      expect(Buffer.from(buf).toString()).toBe('store');
      await r.close();
      expect(await store.listStatuses()).toEqual([]);
      expect((await store.list()).map((i) => i.digest)).toEqual([d]);
      await expect(store.readAll(d, 3)).rejects.toMatchObject({ code: 'TOO_LARGE' });
    });

    it('a digest mismatch leaves the store as it was', async () => {
      const before = listing(dir);
      const w = await store.writer({ ref: 'bad' });
      await w.write(Buffer.from('evil'));
      const claimed = sha256Digest('good');
      await expect(w.commit(4, claimed)).rejects.toMatchObject({ code: 'DIGEST_MISMATCH' });
      expect(await store.has(claimed)).toBe(false);
      expect(listing(dir)).toEqual(before);
    });

    it('a truncated blob leaves the store as it was', async () => {
      const before = listing(dir);
      const data = Buffer.from('0123456789');
      const w = await store.writer({ ref: 'short' });
      await w.write(data.subarray(0, 6));
      await expect(w.commit(10, sha256Digest(data))).rejects.toMatchObject({ code: 'SIZE_MISMATCH' });
      expect(listing(dir)).toEqual(before);
    });

    it('resumes an interrupted ingest and locks a ref', async () => {
      const data = Buffer.from('abcdefghijklmnopqrstuvwxyz');
      const d = sha256Digest(data);
      const w1 = await store.writer({ ref: 'res', expected: d, total: data.length });
      await w1.write(data.subarray(0, 10));
      await expect(store.writer({ ref: 'res', expected: d })).rejects.toMatchObject({ code: 'LOCKED' });
      await w1.close();
      const st = await store.status('res');
      expect(st.offset).toBe(10);
      expect(st.expected).toBe(d);
      const w2 = await store.writer({ ref: 'res', expected: d, total: data.length });
      expect(w2.offset).toBe(10);
      await w2.write(data.subarray(10));
      await w2.commit(data.length, d);
      expect(Buffer.from(await store.readAll(d, 1000)).equals(data)).toBe(true);
      await expect(store.status('res')).rejects.toMatchObject({ code: 'NOT_FOUND' });
    });

    it('an ingest reopened for another digest starts over; reset truncates', async () => {
      const w1 = await store.writer({ ref: 'x', expected: sha256Digest('one') });
      await w1.write(Buffer.from('on'));
      await w1.close();
      const w2 = await store.writer({ ref: 'x', expected: sha256Digest('two') });
      expect(w2.offset).toBe(0);
      await w2.write(Buffer.from('zz'));
      await w2.reset();
      await w2.write(Buffer.from('two'));
      await w2.commit(3, sha256Digest('two'));
      expect(await store.has(sha256Digest('two'))).toBe(true);
    });

    it('committing present content is not an error; delete and labels', async () => {
      const d = sha256Digest('dup');
      for (const ref of ['a', 'b']) {
        const w = await store.writer({ ref });
        await w.write(Buffer.from('dup'));
        await w.commit(3, d);
      }
      expect((await store.update(d, { k: 'v' })).labels).toEqual({ k: 'v' });
      expect((await store.update(d, { k: null })).labels).toEqual({});
      await store.delete(d);
      expect(await store.has(d)).toBe(false);
      await expect(store.delete(d)).rejects.toBeInstanceOf(ContentStoreError);
      await expect(store.info(d)).rejects.toMatchObject({ code: 'NOT_FOUND' });
      await expect(collect(store.stream(d))).rejects.toMatchObject({ code: 'NOT_FOUND' });
    });

    it('takes over the lock of an ingest whose writer died', async () => {
      const w = await store.writer({ ref: 'dead' });
      await w.write(Buffer.from('abc'));
      await w.close();
      const { execFileSync } = await import('node:child_process');
      const deadPid = Number(execFileSync('sh', ['-c', 'echo $$'], { encoding: 'utf8' }).trim());
      const { createHash } = await import('node:crypto');
      const lock = path.join(dir, 'content', 'ingest', createHash('sha256').update('dead').digest('hex'), 'lock');
      await fsp.writeFile(lock, String(deadPid));
      const w2 = await store.writer({ ref: 'dead' });
      expect(w2.offset).toBe(3);
      await w2.close();
    });

    it('aborts ingests', async () => {
      const w = await store.writer({ ref: 'gone' });
      await w.write(Buffer.from('x'));
      await w.close();
      expect((await store.listStatuses()).map((s) => s.ref)).toEqual(['gone']);
      await store.abort('gone');
      expect(await store.listStatuses()).toEqual([]);
    });
  });
}

const tmpDirs: string[] = [];
afterEach(async () => {
  for (const d of tmpDirs.splice(0)) await fsp.rm(d, { recursive: true, force: true });
});
function tmp(): string {
  const d = mkdtempSync(path.join(os.tmpdir(), 'wv-store-'));
  tmpDirs.push(d);
  return d;
}

contentStoreSuite('filesystem', async () => {
  const dir = tmp();
  const s = await openStore(dir);
  return { store: s.content, dir };
});

describe('digest', () => {
  it('validates sha256 digests with clear errors', () => {
    const good = sha256Digest('x');
    expect(validateDigest(good)).toBe(good);
    expect(() => validateDigest('sha256:abc')).toThrow(/64 lowercase hex/);
    expect(() => validateDigest('sha512:' + 'a'.repeat(128))).toThrow(/only sha256/);
    expect(() => validateDigest('nonsense')).toThrow(DigestError);
    expect(() => validateDigest(good.toUpperCase())).toThrow(DigestError);
  });
});

describe('image metadata store', () => {
  let store: Store;
  beforeEach(async () => (store = await openStore(tmp())));

  it('puts, lists, gets and deletes names atomically', async () => {
    const target = { mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: sha256Digest('m'), size: 1 };
    await Promise.all(['b', 'a', 'c'].map((n) => store.images.put(`reg/${n}:1`, target)));
    expect((await store.images.list()).map((r) => r.name)).toEqual(['reg/a:1', 'reg/b:1', 'reg/c:1']);
    expect((await store.images.get('reg/a:1'))?.target).toEqual(target);
    expect(await store.images.targets()).toEqual(new Set([target.digest]));
    expect((await store.images.delete('reg/a:1'))?.name).toBe('reg/a:1');
    expect(await store.images.delete('reg/a:1')).toBeUndefined();
    expect(readdirSync(store.root).sort()).toEqual(['content', 'images.json']);
  });

  it('refuses a corrupt images.json with advice', async () => {
    await fsp.writeFile(path.join(store.root, 'images.json'), '{nope');
    await expect(store.images.list()).rejects.toMatchObject({ code: 'CORRUPT' });
  });

  it('resolves the root from flag, env and XDG', () => {
    expect(resolveStoreRoot('/x')).toBe('/x');
    expect(resolveStoreRoot(undefined, { WASMVISOR_ROOT: '/w' })).toBe('/w');
    expect(resolveStoreRoot(undefined, { XDG_DATA_HOME: '/d' })).toBe('/d/wasmvisor');
    expect(resolveStoreRoot(undefined, { HOME: '/h' })).toBe('/h/.local/share/wasmvisor');
  });
});
