import { mkdtempSync, readdirSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { main } from '../../src/cli/wasmvisor.js';
import { loadBundledSamples, SAMPLE_ARTIFACT, SAMPLE_IMAGE } from '../../src/image/samples/index.js';
import { SnapshotStore } from '../../src/image/snapshot/snapshot.js';
import { prepareImage } from '../../src/image/snapshot/snapshot_image.js';
import { openStore } from '../../src/image/content/store_root.js';

async function quietly<T>(fn: () => Promise<T>): Promise<T> {
  const w = process.stdout.write;
  process.stdout.write = (() => true) as typeof process.stdout.write;
  try {
    return await fn();
  } finally {
    process.stdout.write = w;
  }
}

describe('snapshots and prune', () => {
  it('prune keeps snapshots of named images and owned ones, and drops the rest', async () => {
    const root = mkdtempSync(path.join(os.tmpdir(), 'wv-snap-prune-'));
    const store = await openStore(root);
    await loadBundledSamples(store);
    const img = await prepareImage(store, SAMPLE_IMAGE);
    const art = await prepareImage(store, SAMPLE_ARTIFACT, { owner: 'container:c1' });
    const dir = path.join(root, 'snapshots', 'sha256');
    expect(readdirSync(dir)).toHaveLength(2);
    expect(await quietly(() => main(['--root', root, 'prune']))).toBe(0);
    expect(readdirSync(dir)).toHaveLength(2); // both images still named
    expect(await quietly(() => main(['--root', root, 'rmi', SAMPLE_IMAGE, SAMPLE_ARTIFACT]))).toBe(0);
    expect(await quietly(() => main(['--root', root, 'prune']))).toBe(0);
    expect(readdirSync(dir)).toEqual([art.layers[0].id.slice(7)]); // owned by a container
    const snaps = new SnapshotStore(root, store.content);
    await snaps.release(art.layers[0].id, 'container:c1');
    expect(await quietly(() => main(['--root', root, 'prune']))).toBe(0);
    expect(readdirSync(dir)).toEqual([]);
    expect(img.layers[0].id).not.toBe(art.layers[0].id);
  });
});
