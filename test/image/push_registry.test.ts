import { randomBytes } from 'node:crypto';
import { mkdtempSync, promises as fsp, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it as vit } from 'vitest';
import { sha256Digest } from '../../src/image/content/digest.js';
import { MediaType } from '../../src/image/content/media_types.js';
import { parsePlatform } from '../../src/image/reference/platform.js';
import { pullImage } from '../../src/image/registry/pull.js';
import { packImage } from '../../src/image/layout/pack.js';
import { pushImage } from '../../src/image/registry/push.js';
import { RegistryClient } from '../../src/image/registry/registry.js';
import { openStore, type Store } from '../../src/image/content/store_root.js';
import { startRegistry, type RunningRegistry } from '../support/registry.js';
import { itWithTools } from '../support/tools.js';
import { gzipLayer, OciLayout, pushLayout, skopeo, wasmModule } from './registry_fixtures.js';

const it = itWithTools('docker-registry', 'skopeo');

describe('push to a real docker-registry, read back by skopeo', () => {
  let reg: RunningRegistry;
  let store: Store;
  const tmp: string[] = [];
  const client = (): RegistryClient => new RegistryClient({});
  const mk = (p: string): string => {
    const d = mkdtempSync(path.join(os.tmpdir(), p));
    tmp.push(d);
    return d;
  };

  beforeAll(async () => {
    if (it === vit.skip) return;
    reg = await startRegistry();
    store = await openStore(mk('wv-push-store-'));
    const layout = new OciLayout();
    tmp.push(layout.dir);
    const big = await gzipLayer({ 'big.bin': randomBytes(200_000), 'app.wasm': wasmModule() });
    layout.tag('img', layout.image({ layers: [await gzipLayer({ 'a.txt': 'a' }), big] }));
    layout.tag('artifact', layout.image({
      layers: [{ data: wasmModule(100), mediaType: MediaType.WASM_LAYER }],
      config: { architecture: 'wasm', os: 'wasip1' },
      configType: MediaType.WASM_CONFIG,
      artifactType: MediaType.WASM_CONFIG,
    }));
    const p1 = layout.image({ layers: [await gzipLayer({ 'p1': 'x' })], platform: { os: 'wasip1', architecture: 'wasm' } });
    const amd = layout.image({ layers: [await gzipLayer({ 'amd': 'y' })], platform: { os: 'linux', architecture: 'amd64' } });
    layout.tag('multi', layout.index([amd, p1]));
    await pushLayout(layout, 'img', `${reg.host}/src/img:1`);
    await pushLayout(layout, 'artifact', `${reg.host}/src/artifact:1`);
    await pushLayout(layout, 'multi', `${reg.host}/src/multi:1`, '--all');
    await pushLayout(layout, 'img', `${reg.host}/src/docker:1`, '--format', 'v2s2');
    for (const r of ['img:1', 'artifact:1', 'multi:1', 'docker:1']) await pullImage(store, `${reg.host}/src/${r}`, { client: client() });
  });

  afterAll(async () => {
    await reg?.cleanup();
    for (const d of tmp) await fsp.rm(d, { recursive: true, force: true });
  });

  const inspect = async (ref: string): Promise<{ Digest: string; Layers: string[] }> =>
    JSON.parse(await skopeo('inspect', '--tls-verify=false', `docker://${ref}`)) as { Digest: string; Layers: string[] };

  it('mounts blobs across repositories of one registry', async () => {
    const r = await pushImage(store, `${reg.host}/src/img:1`, `${reg.host}/dst/img:1`, { client: client() });
    expect(r.blobs.mounted).toBe(3);
    expect(r.blobs.uploaded).toBe(0);
    const info = await inspect(`${reg.host}/dst/img:1`);
    expect(info.Digest).toBe(r.digest);
  });

  it('uploads monolithically and in chunks; skopeo copies the result back byte for byte', async () => {
    const mono = await pushImage(store, `${reg.host}/src/img:1`, `${reg.host}/mono/img:1`, { client: client(), mountFrom: '' });
    expect(mono.blobs.uploaded).toBe(3);
    const chunked = await pushImage(store, `${reg.host}/src/img:1`, `${reg.host}/chunked/img:2`, { client: client(), mountFrom: '', chunkSize: 64 * 1024 });
    expect(chunked.blobs.uploaded).toBe(3);
    expect(chunked.digest).toBe(mono.digest);
    const again = await pushImage(store, `${reg.host}/src/img:1`, `${reg.host}/chunked/img:3`, { client: client(), mountFrom: '' });
    expect(again.blobs).toMatchObject({ uploaded: 0, existed: 3 });
    const out = mk('wv-push-back-');
    await skopeo('copy', '--src-tls-verify=false', `docker://${reg.host}/chunked/img:2`, `oci:${out}:back`);
    const index = JSON.parse(readFileSync(path.join(out, 'index.json'), 'utf8')) as { manifests: { digest: string }[] };
    expect(index.manifests[0].digest).toBe(mono.digest);
    const info = await inspect(`${reg.host}/chunked/img:2`);
    for (const l of info.Layers) {
      const mine = await store.content.readAll(l, 1 << 22);
      expect(readFileSync(path.join(out, 'blobs', 'sha256', l.slice(7))).equals(mine)).toBe(true);
    }
  });

  it('pushes a Wasm artifact that skopeo reads back', async () => {
    const r = await pushImage(store, `${reg.host}/src/artifact:1`, `${reg.host}/art/x:1`, { client: client(), mountFrom: '' });
    const raw = JSON.parse(await skopeo('inspect', '--raw', '--tls-verify=false', `docker://${reg.host}/art/x:1`)) as { config: { mediaType: string }; layers: { mediaType: string }[] };
    expect(raw.config.mediaType).toBe(MediaType.WASM_CONFIG);
    expect(raw.layers[0].mediaType).toBe(MediaType.WASM_LAYER);
    expect(r.mediaType).toBe(MediaType.OCI_MANIFEST);
  });

  it('pushes the pulled platform of a partly present index as a single manifest', async () => {
    const r = await pushImage(store, `${reg.host}/src/multi:1`, `${reg.host}/single/m:1`, { client: client() });
    expect(r.mediaType).toBe(MediaType.OCI_MANIFEST);
    const raw = JSON.parse(await skopeo('inspect', '--raw', '--tls-verify=false', `docker://${reg.host}/single/m:1`)) as { mediaType: string };
    expect(raw.mediaType).toBe(MediaType.OCI_MANIFEST);
  });

  it('pushes a whole index when every platform is in the store', async () => {
    const s2 = await openStore(mk('wv-push-all-'));
    await pullImage(s2, `${reg.host}/src/multi:1`, { client: client(), platforms: [parsePlatform('linux/amd64')] });
    const r0 = await pullImage(s2, `${reg.host}/src/multi:1`, { client: client() });
    const r = await pushImage(s2, `${reg.host}/src/multi:1`, `${reg.host}/full/m:1`, { client: client(), mountFrom: '' });
    expect(r.mediaType).toBe(MediaType.OCI_INDEX);
    expect(r.digest).toBe(r0.digest);
    const raw = JSON.parse(await skopeo('inspect', '--raw', '--tls-verify=false', `docker://${reg.host}/full/m:1`)) as { manifests: { platform: { os: string } }[] };
    expect(raw.manifests.map((m) => m.platform.os).sort()).toEqual(['linux', 'wasip1']);
    const out = mk('wv-push-all-back-');
    await skopeo('copy', '--all', '--src-tls-verify=false', `docker://${reg.host}/full/m:1`, `oci:${out}:x`);
  });

  it('pushes a Docker schema 2 image keeping its media types', async () => {
    const r = await pushImage(store, `${reg.host}/src/docker:1`, `${reg.host}/v2s2/x:1`, { client: client(), mountFrom: '' });
    expect(r.mediaType).toBe(MediaType.DOCKER_MANIFEST);
    const raw = JSON.parse(await skopeo('inspect', '--raw', '--tls-verify=false', `docker://${reg.host}/v2s2/x:1`)) as { mediaType: string; layers: { mediaType: string }[] };
    expect(raw.mediaType).toBe(MediaType.DOCKER_MANIFEST);
    expect(raw.layers.every((l) => l.mediaType === MediaType.DOCKER_LAYER_GZIP)).toBe(true);
    expect((await inspect(`${reg.host}/v2s2/x:1`)).Digest).toBe(r.digest);
  });

  it('pushes images built by pack (image and Wasm artifact), pulled back and identical', async () => {
    const hello = path.resolve(import.meta.dirname, '../../wasm/hello.wasm');
    for (const artifact of [false, true]) {
      const name = `${reg.host}/packed/${artifact ? 'artifact' : 'image'}:1`;
      const built = await packImage(store, { add: [{ src: hello, dest: '/hello.wasm' }], entrypoint: artifact ? undefined : ['/hello.wasm'], tags: [name], artifact, sourceDateEpoch: 0 });
      const r = await pushImage(store, name, undefined, { client: client() });
      expect(r.digest).toBe(built.manifest.digest);
      // skopeo's image inspect refuses artifacts: compare the raw manifest's digest
      const raw = await skopeo('inspect', '--raw', '--tls-verify=false', `docker://${name}`);
      expect(sha256Digest(raw)).toBe(built.manifest.digest);
      const again = await openStore(mk('wv-push-packed-'));
      const p = await pullImage(again, name, { client: client() });
      expect(p.digest).toBe(built.manifest.digest);
      expect(p.layers.map((l) => l.mediaType)).toEqual(built.layers.map((l) => l.mediaType));
    }
  });
});
