import { mkdtempSync, promises as fsp } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect } from 'vitest';
import { resolveImage } from '../../src/image/content/manifest_store.js';
import { MediaType } from '../../src/image/content/media_types.js';
import { parsePlatform } from '../../src/image/reference/platform.js';
import { pullImage } from '../../src/image/registry/pull.js';
import { RegistryClient } from '../../src/image/registry/registry.js';
import { openStore, type Store } from '../../src/image/content/store_root.js';
import { startRegistry, type RunningRegistry } from '../support/registry.js';
import { itWithTools } from '../support/tools.js';
import { gzipLayer, OciLayout, pushLayout, wasmModule } from './registry_fixtures.js';

const it = itWithTools('docker-registry', 'skopeo');

describe('pull from a real docker-registry', () => {
  let reg: RunningRegistry;
  let layout: OciLayout;
  const tmp: string[] = [];
  const newStore = async (): Promise<Store> => {
    const d = mkdtempSync(path.join(os.tmpdir(), 'wv-pull-'));
    tmp.push(d);
    return openStore(d);
  };
  const client = (): RegistryClient => new RegistryClient({});
  const digests: Record<string, string> = {};

  beforeAll(async () => {
    if (it === (await import('vitest')).it.skip) return;
    reg = await startRegistry();
    layout = new OciLayout();
    tmp.push(layout.dir);
    const l1 = await gzipLayer({ 'bin/': '', 'bin/app.wasm': wasmModule(), 'etc/gone': 'x', 'data/': '', 'data/a': 'a' });
    const l2 = await gzipLayer({ 'etc/.wh.gone': '', 'data/.wh..wh..opq': '', 'data/b': 'b' });
    const simple = layout.image({ layers: [l1, l2] });
    digests.simple = simple.digest;
    layout.tag('simple', simple);

    const wasip1 = layout.image({ layers: [await gzipLayer({ 'p1.wasm': wasmModule() })], platform: { os: 'wasip1', architecture: 'wasm' } });
    const wasi = layout.image({ layers: [await gzipLayer({ 'wasi.wasm': wasmModule() })], platform: { os: 'wasi', architecture: 'wasm' } });
    const amd64 = layout.image({ layers: [await gzipLayer({ 'amd64': 'elf' })], platform: { os: 'linux', architecture: 'amd64' } });
    const arm64 = layout.image({ layers: [await gzipLayer({ 'arm64': 'elf' })], platform: { os: 'linux', architecture: 'arm64', variant: 'v8' } });
    digests.wasip1 = wasip1.digest;
    digests.wasi = wasi.digest;
    digests.amd64 = amd64.digest;
    layout.tag('multi', layout.index([amd64, wasi, wasip1]));
    layout.tag('wasi-only', layout.index([amd64, wasi]));
    layout.tag('linux-only', layout.index([amd64, arm64]));

    const artifact = layout.image({
      layers: [{ data: wasmModule(64), mediaType: MediaType.WASM_LAYER }],
      config: { architecture: 'wasm', os: 'wasip1', layerDigests: [] },
      configType: MediaType.WASM_CONFIG,
      artifactType: MediaType.WASM_CONFIG,
    });
    layout.tag('artifact', artifact);
    const legacy = layout.image({ layers: [{ data: wasmModule(32), mediaType: MediaType.WASM_LAYER_LEGACY }] });
    layout.tag('legacy', legacy);

    const x = await gzipLayer({ 'x.bin': wasmModule(4000) });
    const y = await gzipLayer({ 'y.bin': wasmModule(4000) });
    layout.tag('xy', layout.image({ layers: [x, y] }));
    layout.tag('yx', layout.image({ layers: [y, x] }));
    await pushLayout(layout, 'xy', `${reg.host}/test/shared:xy`);
    await pushLayout(layout, 'yx', `${reg.host}/test/shared:yx`);
    await pushLayout(layout, 'simple', `${reg.host}/test/simple:1`);
    await pushLayout(layout, 'simple', `${reg.host}/test/docker:v2s2`, '--format', 'v2s2');
    await pushLayout(layout, 'multi', `${reg.host}/test/multi:1`, '--all');
    await pushLayout(layout, 'wasi-only', `${reg.host}/test/multi:wasi`, '--all');
    await pushLayout(layout, 'linux-only', `${reg.host}/test/multi:linux`, '--all');
    await pushLayout(layout, 'artifact', `${reg.host}/test/artifact:1`);
    await pushLayout(layout, 'legacy', `${reg.host}/test/artifact:legacy`);
  });

  afterAll(async () => {
    await reg?.cleanup();
    for (const d of tmp) await fsp.rm(d, { recursive: true, force: true });
  });

  it('pulls an OCI image: every blob verified in the store, name written last', async () => {
    const store = await newStore();
    const r = await pullImage(store, `${reg.host}/test/simple:1`, { client: client() });
    expect(r.digest).toBe(digests.simple);
    expect(r.mediaType).toBe(MediaType.OCI_MANIFEST);
    expect(r.layers).toHaveLength(2);
    expect(r.fetched.blobs).toBe(3);
    for (const l of r.layers) expect(Buffer.from(await store.content.readAll(l.digest, 1 << 20)).equals(layout.read(l.digest))).toBe(true);
    expect(await store.content.has(r.config)).toBe(true);
    expect(await store.content.has(r.digest)).toBe(true);
    expect((await store.images.get(`${reg.host}/test/simple:1`))?.target.digest).toBe(digests.simple);
    const img = await resolveImage(store, `${reg.host}/test/simple:1`);
    expect(img.config.os).toBe('wasip1');
    expect(await store.content.listStatuses()).toEqual([]);
  });

  it('a re-pull of a present image downloads nothing', async () => {
    const store = await newStore();
    await pullImage(store, `${reg.host}/test/simple:1`, { client: client() });
    const again = await pullImage(store, `${reg.host}/test/simple:1`, { client: client() });
    expect(again.fetched).toEqual({ blobs: 0, bytes: 0 });
  });

  it('pulls a Docker schema 2 image pushed by skopeo --format v2s2', async () => {
    const store = await newStore();
    const r = await pullImage(store, `${reg.host}/test/docker:v2s2`, { client: client() });
    expect(r.mediaType).toBe(MediaType.DOCKER_MANIFEST);
    expect(r.layers.every((l) => l.mediaType === MediaType.DOCKER_LAYER_GZIP)).toBe(true);
    const img = await resolveImage(store, `${reg.host}/test/docker:v2s2`);
    expect(img.manifest.config.mediaType).toBe(MediaType.DOCKER_CONFIG);
  });

  it('chooses wasip1/wasm, then wasi/wasm, from a multi-platform index; --platform overrides', async () => {
    const store = await newStore();
    const r = await pullImage(store, `${reg.host}/test/multi:1`, { client: client() });
    expect(r.mediaType).toBe(MediaType.OCI_INDEX);
    expect(r.manifest).toBe(digests.wasip1);
    expect(r.platform).toBe('wasip1/wasm');
    expect(await store.content.has(digests.amd64)).toBe(false);
    const w = await pullImage(store, `${reg.host}/test/multi:wasi`, { client: client() });
    expect(w.manifest).toBe(digests.wasi);
    const a = await pullImage(store, `${reg.host}/test/multi:1`, { client: client(), platforms: [parsePlatform('linux/amd64')] });
    expect(a.manifest).toBe(digests.amd64);
    expect((await resolveImage(store, `${reg.host}/test/multi:1`)).manifestDesc.digest).toBe(digests.amd64);
  });

  it('--all-platforms brings in every manifest of an index, even when none is for wasm', async () => {
    const store = await newStore();
    const r = await pullImage(store, `${reg.host}/test/multi:1`, { client: client(), allPlatforms: true });
    expect(r.manifest).toBe(digests.wasip1);
    for (const d of [digests.wasip1, digests.wasi, digests.amd64]) expect(await store.content.has(d)).toBe(true);
    expect(r.fetched.blobs).toBe(6); // three configs, three layers
    const linux = await pullImage(store, `${reg.host}/test/multi:linux`, { client: client(), allPlatforms: true });
    expect(linux.platform).toBe('linux/amd64');
    expect(await store.content.listStatuses()).toEqual([]);
  });

  it('names the available platforms when none fits, and stores nothing', async () => {
    const store = await newStore();
    await expect(pullImage(store, `${reg.host}/test/multi:linux`, { client: client() })).rejects.toThrow(
      /no manifest for wasip1\/wasm or wasi\/wasm; available: linux\/amd64, linux\/arm64\/v8 \(choose one with --platform\)/,
    );
    expect(await store.content.list()).toEqual([]);
    expect(await store.images.list()).toEqual([]);
  });

  it('pulls Wasm OCI artifacts (application/wasm and the older content layer type)', async () => {
    const store = await newStore();
    const r = await pullImage(store, `${reg.host}/test/artifact:1`, { client: client() });
    expect(r.layers[0].mediaType).toBe(MediaType.WASM_LAYER);
    const img = await resolveImage(store, `${reg.host}/test/artifact:1`);
    expect(img.manifest.config.mediaType).toBe(MediaType.WASM_CONFIG);
    const wasm = await store.content.readAll(r.layers[0].digest, 1 << 20);
    expect(WebAssembly.validate(wasm as Uint8Array<ArrayBuffer>)).toBe(true);
    const l = await pullImage(store, `${reg.host}/test/artifact:legacy`, { client: client() });
    expect(l.layers[0].mediaType).toBe(MediaType.WASM_LAYER_LEGACY);
  });

  it('pulls by digest and reports a missing tag clearly', async () => {
    const store = await newStore();
    const r = await pullImage(store, `${reg.host}/test/simple@${digests.simple}`, { client: client() });
    expect(r.name).toBe(`${reg.host}/test/simple@${digests.simple}`);
    await expect(pullImage(store, `${reg.host}/test/simple:nope`, { client: client() })).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });

  it('pulls of images sharing layers in opposite orders run together without deadlock, each layer fetched once', async () => {
    const store = await newStore();
    const [a, b] = await Promise.all(['xy', 'yx'].map((t) => pullImage(store, `${reg.host}/test/shared:${t}`, { client: client(), concurrency: 2 })));
    expect(a.layers.map((l) => l.digest).reverse()).toEqual(b.layers.map((l) => l.digest));
    const layerFetches = a.fetched.blobs + b.fetched.blobs - 2; // minus the two configs
    expect(layerFetches).toBe(2);
    expect((await store.images.list()).length).toBe(2);
  });

  it('shares one download between concurrent pulls of one image', async () => {
    const store = await newStore();
    const rs = await Promise.all([1, 2, 3].map(() => pullImage(store, `${reg.host}/test/simple:1`, { client: client() })));
    expect(rs.reduce((n, r) => n + r.fetched.blobs, 0)).toBe(3);
  });
});
