import { mkdirSync, mkdtempSync, readdirSync, existsSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import type { LayerDir, LayerTree } from '../../kernel/fs/layer_tree.js';
import { chainIds } from '../../src/image/snapshot/chain_id.js';
import { putBytes } from '../../src/image/layout/layout_ingest.js';
import { SnapshotStore, type LayerSource } from '../../src/image/snapshot/snapshot.js';
import { decodeTree, encodeTree } from '../../src/image/snapshot/snapshot_codec.js';
import { openStore, type Store } from '../../src/image/content/store_root.js';
import { unpackLayer } from '../../src/image/snapshot/unpack.js';
import { chunks, gzip, makeTar, sha256 } from '../support/oci_fixtures.js';

const GZ = 'application/vnd.oci.image.layer.v1.tar+gzip';

async function layer(store: Store, entries: Parameters<typeof makeTar>[0]): Promise<LayerSource> {
  const tar = await makeTar(entries);
  const gz = gzip(tar);
  const digest = await putBytes(store.content, gz);
  return { descriptor: { mediaType: GZ, digest, size: gz.length }, diffId: sha256(tar) };
}

function file(t: LayerTree, name: string): string {
  const n = t.root.entries.get(name);
  if (n?.kind !== 'file') throw new Error(`${name} is not a file`);
  return Buffer.from(n.data as Uint8Array).toString();
}

describe('chainIds', () => {
  it('follows the OCI definition', () => {
    const a = sha256('a');
    const b = sha256('b');
    const c = sha256('c');
    const ids = chainIds([a, b, c]);
    expect(ids[0]).toBe(a);
    expect(ids[1]).toBe(sha256(`${a} ${b}`));
    expect(ids[2]).toBe(sha256(`${ids[1]} ${c}`));
  });
});

describe('snapshot codec', () => {
  it('round-trips a tree, keeping hard links as one node', async () => {
    const tar = await makeTar([
      { name: 'd/', type: 'directory', mode: 0o700, uid: 5 },
      { name: 'd/f', data: 'content', mode: 0o4755, pax: { mtime: '1.000000001' } },
      { name: 'd/h', type: 'link', linkname: 'd/f' },
      { name: 'e/x', type: 'link', linkname: 'd/f' },
      { name: 'a/y', type: 'link', linkname: 'd/f' },
      { name: 's', type: 'symlink', linkname: '../x' },
      { name: '.wh.gone', data: '' },
      { name: 'o/.wh..wh..opq', data: '' },
    ]);
    const { tree } = await unpackLayer(chunks(tar));
    const { index, data } = encodeTree(tree);
    const back = decodeTree(JSON.parse(JSON.stringify(index)), data);
    expect(back).toEqual(tree);
    const d = back.root.entries.get('d') as LayerDir;
    expect(d.entries.get('f')).toBe(d.entries.get('h'));
    expect((back.root.entries.get('e') as LayerDir).entries.get('x')).toBe(d.entries.get('f'));
    expect((back.root.entries.get('a') as LayerDir).entries.get('y')).toBe(d.entries.get('f'));
  });

  it('refuses an index pointing past the data', () => {
    expect(() => decodeTree({ version: 1, id: 'x', bytes: 0, nodes: [
      { k: 'd', m: 0, u: 0, g: 0, t: '0', e: [['f', 1]] },
      { k: 'f', m: 0, u: 0, g: 0, t: '0', off: 0, size: 10 },
    ] }, new Uint8Array(4))).toThrow(/past the data/);
  });
});

describe('SnapshotStore', () => {
  let root: string;
  let store: Store;
  beforeEach(async () => {
    root = mkdtempSync(path.join(os.tmpdir(), 'wv-snap-'));
    store = await openStore(root);
  });

  it('unpacks once, shares by chain ID across images and reloads from disk', async () => {
    const base = await layer(store, [{ name: 'base', data: 'B' }, { name: 'shared', data: 'S' }]);
    const top1 = await layer(store, [{ name: 'one', data: '1' }, { name: 'link', type: 'link', linkname: 'shared' }]);
    const top2 = await layer(store, [{ name: 'two', data: '2' }]);
    const snaps = new SnapshotStore(root, store.content);
    const unpacked: string[] = [];
    const onUnpacked = (id: string) => unpacked.push(id);
    const img1 = await snaps.prepare([base, top1], { owner: 'img1', onUnpacked });
    const img2 = await snaps.prepare([base, top2], { owner: 'img2', onUnpacked });
    expect(unpacked).toHaveLength(3);
    expect(img1[0]).toBe(img2[0]); // same object: shared
    expect(file(img1[1], 'link')).toBe('S');
    expect(img1[1].root.entries.get('link')).toBe(img1[0].root.entries.get('shared'));
    // a second process: from disk, no unpack
    const again = new SnapshotStore(root, store.content);
    const reload: string[] = [];
    const img1b = await again.prepare([base, top1], { onUnpacked: (id) => reload.push(id) });
    expect(reload).toEqual([]);
    expect(file(img1b[1], 'one')).toBe('1');
    expect(file(img1b[1], 'link')).toBe('S');
    // the hard link into the lower layer is still one node with the lower file after a reload
    expect(img1b[1].root.entries.get('link')).toBe(img1b[0].root.entries.get('shared'));
    const third = new SnapshotStore(root, store.content);
    const top = await third.get(chainIds([base.diffId, top1.diffId])[1]);
    expect(file(top!, 'link')).toBe('S');
    const [c0, c1] = chainIds([base.diffId, top1.diffId]);
    expect(img1b[1].id).toBe(c1);
    const info = await again.info(c0);
    expect(info.owners).toEqual(['img1', 'img2']);
    expect(info.diffId).toBe(base.diffId);
  });

  it('keeps a tree shared while it is in use, past the strong cache size', async () => {
    const a = await layer(store, [{ name: 'a', data: 'a' }]);
    const b = await layer(store, [{ name: 'b', data: 'b' }]);
    const snaps = new SnapshotStore(root, store.content, { keepRecent: 1 });
    const [ta] = await snaps.prepare([a]);
    await snaps.prepare([b]); // pushes a out of the strong set; ta still holds it
    const [again] = await snaps.prepare([a]);
    expect(again).toBe(ta);
  });

  it('shares one unpack between concurrent prepares', async () => {
    const l = await layer(store, [{ name: 'f', data: 'x'.repeat(100000) }]);
    const snaps = new SnapshotStore(root, store.content);
    let n = 0;
    const [a, b] = await Promise.all([
      snaps.prepare([l], { onUnpacked: () => n++ }),
      snaps.prepare([l], { onUnpacked: () => n++ }),
    ]);
    expect(n).toBe(1);
    expect(a[0]).toBe(b[0]);
  });

  it('two stores on one root (as two processes) unpack a layer once; the other reads it back', async () => {
    const l = await layer(store, [{ name: 'f', data: 'y'.repeat(300_000) }]);
    let n = 0;
    const [a, b] = await Promise.all([
      new SnapshotStore(root, store.content).prepare([l], { onUnpacked: () => n++ }),
      new SnapshotStore(root, store.content).prepare([l], { onUnpacked: () => n++ }),
    ]);
    expect(n).toBe(1);
    expect(file(a[0], 'f')).toBe(file(b[0], 'f'));
    expect(readdirSync(path.join(root, 'snapshots', '.locks'))).toEqual([]);
  });

  it('release and prune drop unowned snapshots only', async () => {
    const a = await layer(store, [{ name: 'a', data: 'a' }]);
    const b = await layer(store, [{ name: 'b', data: 'b' }]);
    const snaps = new SnapshotStore(root, store.content);
    await snaps.prepare([a], { owner: 'x' });
    await snaps.prepare([b], { owner: 'y' });
    await snaps.release(a.diffId, 'x');
    expect(await snaps.prune()).toEqual([a.diffId]);
    expect(await snaps.has(a.diffId)).toBe(false);
    expect(await snaps.has(b.diffId)).toBe(true);
    await snaps.release(b.diffId, 'y');
    expect(await snaps.prune(new Set([b.diffId]))).toEqual([]);
    // leftovers of a dead unpacker go; a live one's work in progress stays
    const top = path.join(root, 'snapshots');
    mkdirSync(path.join(top, '.tmp-999999999-dead'));
    mkdirSync(path.join(top, `.tmp-${process.pid}-live`));
    await snaps.prune(new Set([b.diffId]));
    expect(readdirSync(top).filter((n) => n.startsWith('.') && n !== '.locks')).toEqual([`.tmp-${process.pid}-live`]);
  });

  it('publishes nothing when a layer is refused, and checks the diff ID', async () => {
    const good = await layer(store, [{ name: 'ok', data: 'ok' }]);
    const bad = await layer(store, [{ name: '../escape', data: 'x' }]);
    const snaps = new SnapshotStore(root, store.content);
    await expect(snaps.prepare([good, bad])).rejects.toMatchObject({ name: 'UnpackError', code: 'PATH_TRAVERSAL' });
    const wrong = { ...good, diffId: sha256('not it') };
    await expect(snaps.prepare([wrong])).rejects.toMatchObject({ code: 'DIFF_ID_MISMATCH' });
    const names = readdirSync(path.join(root, 'snapshots', 'sha256'));
    expect(names).toEqual([good.diffId.slice(7)]);
    expect(readdirSync(path.join(root, 'snapshots')).filter((n) => n.startsWith('.') && n !== '.locks')).toEqual([]);
    expect(readdirSync(path.join(root, 'snapshots', '.locks'))).toEqual([]);
    expect(existsSync(path.join(root, 'snapshots', 'sha256', good.diffId.slice(7), 'meta.json'))).toBe(true);
  });

  it('rebuilds a damaged snapshot from its layer, keeping its owners', async () => {
    const l = await layer(store, [{ name: 'f', data: 'fine' }]);
    const snaps = new SnapshotStore(root, store.content);
    await snaps.prepare([l], { owner: 'o' });
    const dir = snaps.pathOf(l.diffId);
    writeFileSync(path.join(dir, 'index.json'), '{"version":1,"nodes":[{"k":"d","m":0,"u":0,"g":0,"t":"0","e":[["f",1]]},{"k":"f","m":0,"u":0,"g":0,"t":"0","off":0,"size":99}]}');
    const warnings: string[] = [];
    const again = new SnapshotStore(root, store.content, { onWarning: (w) => warnings.push(w) });
    const [t] = await again.prepare([l]);
    expect(file(t, 'f')).toBe('fine');
    expect(warnings.join()).toMatch(/damaged.*rebuilding/);
    expect((await again.info(l.diffId)).owners).toEqual(['o']);
    rmSync(path.join(dir, 'data'));
    const [t2] = await new SnapshotStore(root, store.content).prepare([l]);
    expect(file(t2, 'f')).toBe('fine');
  });

  it('keeps file bytes in SharedArrayBuffers, so a clone for a worker shares them', async () => {
    const l = await layer(store, [{ name: 'a', data: 'A'.repeat(1000) }, { name: 'b', data: 'B' }]);
    for (const snaps of [new SnapshotStore(root, store.content), new SnapshotStore(root, store.content)]) {
      const [t] = await snaps.prepare([l]); // the first unpacks, the second reads from disk
      const a = t.root.entries.get('a') as { data: Uint8Array };
      const b = t.root.entries.get('b') as { data: Uint8Array };
      expect(a.data.buffer).toBeInstanceOf(SharedArrayBuffer);
      expect(a.data.buffer).toBe(b.data.buffer);
      const clone = structuredClone(t);
      const ca = clone.root.entries.get('a') as { data: Uint8Array };
      expect(file(clone, 'a')).toBe('A'.repeat(1000));
      expect(ca.data.buffer).toBeInstanceOf(SharedArrayBuffer);
      ca.data[0] = 0x61; // the clone writes into the same memory (only to prove sharing)
      expect(file(t, 'a')[0]).toBe('a');
    }
    const [plain] = await new SnapshotStore(root, store.content, { sharedMemory: false, persist: false }).prepare([l]);
    expect((plain.root.entries.get('a') as { data: Uint8Array }).data.buffer).not.toBeInstanceOf(SharedArrayBuffer);
  });

  it('refuses layers it cannot unpack: unknown media types, a Wasm layer that is not a module', async () => {
    const snaps = new SnapshotStore(root, store.content);
    const blob = new TextEncoder().encode('just text');
    const digest = await putBytes(store.content, blob);
    const desc = { digest, size: blob.length };
    await expect(snaps.prepare([{ descriptor: { ...desc, mediaType: 'application/vnd.cncf.helm.chart.content.v1.tar+gzip' }, diffId: digest }]))
      .rejects.toMatchObject({ name: 'SnapshotError', code: 'UNSUPPORTED_LAYER' });
    await expect(snaps.prepare([{ descriptor: { ...desc, mediaType: 'application/wasm' }, diffId: digest }]))
      .rejects.toMatchObject({ name: 'UnpackError', message: expect.stringMatching(/\\0asm/) });
    expect(existsSync(path.join(root, 'snapshots', 'sha256'))).toBe(false);
  });
});
