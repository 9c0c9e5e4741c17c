import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { layerSources } from '../../src/image/content/image_config.js';
import { prepareRun } from '../../src/image/run/manifest_run.js';
import { resolveImage } from '../../src/image/content/manifest_store.js';
import { RegistryClient } from '../../src/image/registry/registry.js';
import { RegistryTransport } from '../../src/image/registry/registry_transport.js';
import { buildSamples, sameLayout } from '../../src/image/samples/build.js';
import { isBundledSample, loadBundledSamples, SAMPLE_ARTIFACT, SAMPLE_IMAGE, samplesDir, SamplesTransport } from '../../src/image/samples/index.js';
import { SnapshotStore } from '../../src/image/snapshot/snapshot.js';
import { openStore } from '../../src/image/content/store_root.js';

describe('bundled samples', () => {
  it('load offline into an empty store, once, and unpack to the hello module', async () => {
    const store = await openStore(mkdtempSync(path.join(os.tmpdir(), 'wv-samples-')));
    expect((await loadBundledSamples(store)).sort()).toEqual([SAMPLE_ARTIFACT, SAMPLE_IMAGE].sort());
    const before = await store.images.get(SAMPLE_IMAGE);
    await loadBundledSamples(store);
    expect((await store.images.get(SAMPLE_IMAGE))?.updatedAt).toBe(before?.updatedAt); // not reloaded
    for (const name of [SAMPLE_IMAGE, SAMPLE_ARTIFACT]) {
      const r = await resolveImage(store, name);
      const [tree] = await new SnapshotStore(store.root, store.content).prepare(layerSources(r.manifest, r.config));
      const mod = tree.root.entries.get('hello.wasm');
      expect(mod?.kind).toBe('file');
      expect(Buffer.from((mod as { data: Uint8Array }).data.subarray(0, 4))).toEqual(Buffer.from('\0asm'));
    }
    expect((await resolveImage(store, SAMPLE_IMAGE)).config.config?.Entrypoint).toEqual(['/hello.wasm']);
    expect([SAMPLE_IMAGE, SAMPLE_ARTIFACT, 'localhost/wasmvisor/hello'].every(isBundledSample)).toBe(true);
    expect(['hello', 'docker.io/library/hello:latest'].some(isBundledSample)).toBe(false);
  });

  it('run IMAGE of a sample name in an empty store loads it from the package (no pull, offline); --pull never does not', async () => {
    const store = await openStore(mkdtempSync(path.join(os.tmpdir(), 'wv-samples-run-')));
    // a pull would go to https://localhost/ and fail: the sample must come from the package
    const client = new RegistryClient({});
    const r = await prepareRun(store, 'localhost/wasmvisor/hello', {}, { transports: [new SamplesTransport(store.content), new RegistryTransport(client)] });
    expect(r.name).toBe(SAMPLE_IMAGE);
    expect(r.process.path).toBe('/hello.wasm');
    const empty = await openStore(mkdtempSync(path.join(os.tmpdir(), 'wv-samples-never-')));
    await expect(prepareRun(empty, 'localhost/wasmvisor/hello', {}, { transports: [new SamplesTransport(empty.content), new RegistryTransport(client)], pull: 'never' })).rejects.toThrow(/not in the store/);
  });

  it('the committed layout is what build.ts makes from wasm/hello.wasm (else: npm run build && node dist/src/image/samples/build.js)', async () => {
    const out = path.join(mkdtempSync(path.join(os.tmpdir(), 'wv-samples-check-')), 'hello');
    await buildSamples(out, path.resolve('wasm/hello.wasm'));
    expect(sameLayout(out, path.join(samplesDir(), 'hello'))).toBe(true);
  });
});
