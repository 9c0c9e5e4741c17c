import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadBundledSamples, SAMPLE_IMAGE } from '../../src/image/samples/index.js';
import { prepareImage, sharedSnapshots } from '../../src/image/snapshot/snapshot_image.js';
import { openStore } from '../../src/image/content/store_root.js';

describe('prepareImage', () => {
  it('gives every caller in the process the same trees, owned when asked', async () => {
    const store = await openStore(mkdtempSync(path.join(os.tmpdir(), 'wv-prep-')));
    await loadBundledSamples(store);
    const a = await prepareImage(store, SAMPLE_IMAGE, { owner: 'container:a' });
    const b = await prepareImage(await openStore(store.root), SAMPLE_IMAGE);
    expect(a.layers).toHaveLength(1);
    expect(b.layers[0]).toBe(a.layers[0]);
    expect(a.lowers).toEqual([...a.layers].reverse());
    expect(a.image.config.config?.Entrypoint).toEqual(['/hello.wasm']);
    const info = await sharedSnapshots(store).info(a.layers[0].id);
    expect(info.owners).toEqual(['container:a']);
    await expect(prepareImage(store, 'nope:1')).rejects.toMatchObject({ code: 'IMAGE_NOT_FOUND' });
  });
});
