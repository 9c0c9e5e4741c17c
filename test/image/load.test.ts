import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, writeFileSync, existsSync, rmSync, symlinkSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import type { LayerFile, LayerTree } from '../../kernel/fs/layer_tree.js';
import { layerSources } from '../../src/image/content/image_config.js';
import { loadImages } from '../../src/image/layout/load.js';
import { resolveImage } from '../../src/image/content/manifest_store.js';
import { saveImages } from '../../src/image/layout/save.js';
import { SnapshotStore } from '../../src/image/snapshot/snapshot.js';
import { flattenMerged, mergeLayers } from '../../src/image/snapshot/snapshot_view.js';
import { openStore, type Store } from '../../src/image/content/store_root.js';
import { makeTar, writeBlob, writeOciLayout, type WrittenImage } from '../support/oci_fixtures.js';
import { itWithTools, which } from '../support/tools.js';

/** Every file under `dir` with its size, sorted. */
function listing(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string, rel: string): void => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p, `${rel}${e.name}/`);
      else out.push(`${rel}${e.name} ${readFileSync(p).length}`);
    }
  };
  walk(dir, '');
  return out.sort();
}

function tmp(prefix: string): string {
  return mkdtempSync(path.join(os.tmpdir(), prefix));
}

async function fixture(dir: string, tag = 't'): Promise<WrittenImage> {
  return writeOciLayout(dir, {
    tag,
    config: { config: { Entrypoint: ['/app.wasm'], Env: ['A=1'] } },
    layers: [
      { tar: await makeTar([{ name: 'app.wasm', data: '\0asm\x01\0\0\0', mode: 0o755 }, { name: 'etc/x', data: 'x' }]), compression: 'gzip' },
      { tar: await makeTar([{ name: 'etc/.wh.x', data: '' }, { name: 'etc/y', data: 'y' }, { name: 'h', type: 'link', linkname: 'etc/y' }]), compression: 'none' },
    ],
  });
}

/** Paths and contents of an image's merged tree. */
async function view(store: Store, name: string): Promise<string[]> {
  const r = await resolveImage(store, name);
  const trees: LayerTree[] = await new SnapshotStore(store.root, store.content, { persist: false }).prepare(layerSources(r.manifest, r.config));
  return [...flattenMerged(mergeLayers([...trees].reverse()))].map(([p, n]) =>
    `${p} ${n.kind} ${n.node.mode.toString(8)}${n.kind === 'file' ? ' ' + Buffer.from((n.node as LayerFile).data as Uint8Array).toString() : ''}`);
}

describe('load and save', () => {
  let store: Store;
  beforeEach(async () => {
    store = await openStore(tmp('wv-load-store-'));
  });

  it('loads an OCI layout directory, naming it from ref.name and the directory', async () => {
    const dir = path.join(tmp('wv-load-'), 'hello');
    const w = await fixture(dir, 'v1');
    const loaded = await loadImages(store, dir);
    expect(loaded).toEqual([{ name: 'localhost/hello:v1', target: { mediaType: w.manifest.mediaType, digest: w.manifest.digest, size: w.manifest.size } }]);
    expect(await view(store, 'localhost/hello:v1')).toEqual(['app.wasm file 755 \0asm\x01\0\0\0', 'etc dir 755', 'etc/y file 644 y', 'h file 644 y']);
    const r = await resolveImage(store, 'localhost/hello:v1');
    expect(r.config.config?.Entrypoint).toEqual(['/app.wasm']);
  });

  it('round-trips through oci-archive, oci-dir and docker-archive', async () => {
    const dir = path.join(tmp('wv-load-'), 'img');
    const w = await fixture(dir);
    await loadImages(store, dir, { tag: 'example.com/app:1.0' });
    const want = await view(store, 'example.com/app:1.0');
    const out = tmp('wv-save-');
    for (const format of ['oci-archive', 'oci-dir', 'docker-archive'] as const) {
      const file = path.join(out, format);
      await saveImages(store, ['example.com/app:1.0'], file, { format });
      const fresh = await openStore(tmp('wv-load-store2-'));
      const loaded = await loadImages(fresh, file);
      expect(loaded.map((l) => l.name)).toEqual(['example.com/app:1.0']);
      if (format !== 'docker-archive') expect(loaded[0].target.digest).toBe(w.manifest.digest);
      expect(await view(fresh, 'example.com/app:1.0')).toEqual(want);
    }
    // saving the same image twice gives the same archive bytes
    await saveImages(store, ['example.com/app:1.0'], path.join(out, 'again'), { format: 'oci-archive' });
    expect(readFileSync(path.join(out, 'again')).equals(readFileSync(path.join(out, 'oci-archive')))).toBe(true);
    const idx = JSON.parse(readFileSync(path.join(out, 'oci-dir', 'index.json'), 'utf8'));
    expect(idx.manifests[0].annotations).toEqual({ 'io.containerd.image.name': 'example.com/app:1.0', 'org.opencontainers.image.ref.name': '1.0' });
  });

  it('loads a Docker 25+ archive (an OCI layout plus manifest.json), names from RepoTags', async () => {
    const dir = path.join(tmp('wv-load-'), 'docker25');
    const w = await fixture(dir);
    const idx = JSON.parse(readFileSync(path.join(dir, 'index.json'), 'utf8'));
    delete idx.manifests[0].annotations;
    writeFileSync(path.join(dir, 'index.json'), JSON.stringify(idx));
    writeFileSync(path.join(dir, 'manifest.json'), JSON.stringify([{
      Config: `blobs/sha256/${w.config.digest.slice(7)}`,
      RepoTags: ['hello:25', 'example.com/x/hello:25'],
      Layers: w.layers.map((l) => `blobs/sha256/${l.digest.slice(7)}`),
    }]));
    const tar = path.join(tmp('wv-load-'), 'docker25.tar');
    execFileSync('tar', ['-C', dir, '-cf', tar, '.']);
    const loaded = await loadImages(store, tar);
    expect(loaded.map((l) => l.name)).toEqual(['docker.io/library/hello:25', 'example.com/x/hello:25']);
    expect(loaded[0].target.digest).toBe(w.manifest.digest);
  });

  it('loads a gzip- or zstd-compressed oci-archive', async () => {
    const dir = path.join(tmp('wv-load-'), 'comp');
    const w = await fixture(dir);
    const out = tmp('wv-load-arch-');
    execFileSync('tar', ['-C', dir, '-czf', path.join(out, 'img.tar.gz'), '.']);
    const [a] = await loadImages(store, path.join(out, 'img.tar.gz'));
    expect(a).toMatchObject({ name: 'localhost/img:t', target: { digest: w.manifest.digest } });
    if (which('zstd')) {
      execFileSync('tar', ['-C', dir, '--zstd', '-cf', path.join(out, 'z.tar.zst'), '.']);
      const [z] = await loadImages(store, path.join(out, 'z.tar.zst'));
      expect(z).toMatchObject({ name: 'localhost/z:t', target: { digest: w.manifest.digest } });
    }
  });

  it('loads and saves a multi-platform index whole, picking wasip1/wasm where one platform is needed', async () => {
    const dir = path.join(tmp('wv-load-'), 'multi');
    const wasm = writeOciLayout(dir, { os: 'wasip1', architecture: 'wasm', layers: [{ tar: await makeTar([{ name: 'w', data: 'wasm' }]) }] });
    const linux = writeOciLayout(dir, { os: 'linux', architecture: 'amd64', layers: [{ tar: await makeTar([{ name: 'l', data: 'linux' }]) }] });
    const index = {
      schemaVersion: 2, mediaType: 'application/vnd.oci.image.index.v1+json',
      manifests: [
        { ...linux.manifest, platform: { os: 'linux', architecture: 'amd64' } },
        { ...wasm.manifest, platform: { os: 'wasip1', architecture: 'wasm' } },
      ],
    };
    const idx = writeBlob(dir, index.mediaType, JSON.stringify(index));
    writeFileSync(path.join(dir, 'index.json'), JSON.stringify({ schemaVersion: 2, manifests: [{ ...idx, annotations: { 'org.opencontainers.image.ref.name': 'm' } }] }));
    const [l] = await loadImages(store, dir, { tag: 'multi:1' });
    expect(l.target).toEqual({ mediaType: index.mediaType, digest: idx.digest, size: idx.size });
    expect(await view(store, 'multi:1')).toEqual(['w file 644 wasm']);
    const out = tmp('wv-save-');
    await saveImages(store, ['multi:1'], path.join(out, 'm.tar'), { format: 'oci-archive' });
    const fresh = await openStore(tmp('wv-load-store2-'));
    const [back] = await loadImages(fresh, path.join(out, 'm.tar'));
    expect(back.target.digest).toBe(idx.digest);
    expect((await resolveImage(fresh, 'multi:1', [{ os: 'linux', architecture: 'amd64' }])).manifest.layers[0].digest).toBe(linux.layers[0].digest);
    await saveImages(store, ['multi:1'], path.join(out, 'd.tar'), { format: 'docker-archive' });
    const fresh2 = await openStore(tmp('wv-load-store3-'));
    await loadImages(fresh2, path.join(out, 'd.tar'));
    expect(await view(fresh2, 'multi:1')).toEqual(['w file 644 wasm']);
  });

  it('adds to an existing OCI layout directory', async () => {
    const dir = path.join(tmp('wv-load-'), 'img');
    await fixture(dir);
    await loadImages(store, dir, { tag: 'a/one:1' });
    const out = path.join(tmp('wv-save-'), 'layout');
    await saveImages(store, ['a/one:1'], out, { format: 'oci-dir' });
    await store.images.put('docker.io/a/two:2', (await store.images.get('docker.io/a/one:1'))!.target);
    await saveImages(store, ['a/two:2'], out, { format: 'oci-dir' });
    const idx = JSON.parse(readFileSync(path.join(out, 'index.json'), 'utf8'));
    expect(idx.manifests.map((m: { annotations: Record<string, string> }) => m.annotations['io.containerd.image.name']))
      .toEqual(['docker.io/a/one:1', 'docker.io/a/two:2']);
  });

  it('refuses hostile or corrupt input and leaves the store as it was', async () => {
    const before = listing(store.root);
    const dir = path.join(tmp('wv-load-'), 'img');
    const w = await fixture(dir);
    // a layer blob whose bytes do not match its name
    writeFileSync(path.join(dir, 'blobs', 'sha256', w.layers[1].digest.slice(7)), 'tampered');
    await expect(loadImages(store, dir)).rejects.toMatchObject({ name: 'LayoutError', code: 'DIGEST_MISMATCH' });
    // the same as an archive
    const tar = path.join(tmp('wv-load-'), 'bad.tar');
    execFileSync('tar', ['-C', dir, '-cf', tar, '.']);
    await expect(loadImages(store, tar)).rejects.toMatchObject({ code: 'DIGEST_MISMATCH' });
    // a good archive cut short, after some blobs were already stored
    const good = path.join(tmp('wv-load-'), 'good.tar');
    const dir2 = path.join(tmp('wv-load-'), 'img2');
    await fixture(dir2);
    execFileSync('tar', ['-C', dir2, '-cf', good, 'blobs', 'oci-layout', 'index.json']);
    const cut = path.join(tmp('wv-load-'), 'cut.tar');
    writeFileSync(cut, readFileSync(good).subarray(0, 3000));
    await expect(loadImages(store, cut)).rejects.toMatchObject({ code: 'INVALID' });
    // an archive entry with ..
    const evil = path.join(tmp('wv-load-'), 'evil.tar');
    writeFileSync(evil, await makeTar([{ name: '../../oci-layout', data: '{}' }]));
    await expect(loadImages(store, evil)).rejects.toMatchObject({ code: 'UNSAFE_PATH' });
    // a layout blob that is a symlink leading out of the directory
    const out = path.join(tmp('wv-load-'), 'link');
    const w2 = await fixture(out);
    const blob = path.join(out, 'blobs', 'sha256', w2.layers[0].digest.slice(7));
    rmSync(blob);
    symlinkSync('/etc/hostname', blob);
    await expect(loadImages(store, out)).rejects.toMatchObject({ code: 'UNSAFE_PATH' });
    // neither format
    const empty = tmp('wv-load-empty-');
    writeBlob(empty, 'x', 'y');
    await expect(loadImages(store, empty)).rejects.toMatchObject({ code: 'UNKNOWN_FORMAT' });
    await expect(loadImages(store, path.join(empty, 'missing'))).rejects.toMatchObject({ code: 'NOT_FOUND' });
    expect(listing(store.root).filter((l) => !l.startsWith('leases/'))).toEqual(before);
  });

  it('a failed save leaves no partial archive', async () => {
    const dir = path.join(tmp('wv-load-'), 'img');
    const w = await fixture(dir);
    await loadImages(store, dir, { tag: 'x/y:z' });
    await store.content.delete(w.layers[0].digest);
    const out = tmp('wv-save-');
    await expect(saveImages(store, ['x/y:z'], path.join(out, 'a.tar'), { format: 'docker-archive' })).rejects.toThrow();
    await expect(saveImages(store, ['x/y:z'], path.join(out, 'b.tar'), { format: 'oci-archive' })).rejects.toThrow(/incomplete|not in the store/);
    expect(readdirSync(out)).toEqual([]);
  });

  itWithTools('skopeo')('reads what skopeo writes (docker-archive, oci-archive) and skopeo reads what we write', async () => {
    const dir = path.join(tmp('wv-load-'), 'img');
    const w = await fixture(dir);
    const out = tmp('wv-skopeo-');
    const darch = path.join(out, 'skopeo-docker.tar');
    execFileSync('skopeo', ['copy', '--quiet', `oci:${dir}:t`, `docker-archive:${darch}:example.org/sk/app:2`]);
    const l1 = await loadImages(store, darch);
    expect(l1.map((l) => l.name)).toEqual(['example.org/sk/app:2']);
    const oarch = path.join(out, 'skopeo-oci.tar');
    execFileSync('skopeo', ['copy', '--quiet', `oci:${dir}:t`, `oci-archive:${oarch}:v9`]);
    const l2 = await loadImages(store, oarch);
    expect(l2[0].name).toBe('localhost/skopeo-oci:v9');
    expect(w.layers.map((l) => l.digest)).toContain((await resolveImage(store, l2[0].name)).manifest.layers[0].digest);
    const want = await view(store, l2[0].name);
    expect(await view(store, 'example.org/sk/app:2')).toEqual(want);
    // ours → skopeo
    const mine = path.join(out, 'mine-docker.tar');
    await saveImages(store, ['example.org/sk/app:2'], mine, { format: 'docker-archive' });
    const insp = JSON.parse(execFileSync('skopeo', ['inspect', `docker-archive:${mine}`], { encoding: 'utf8' }));
    expect(insp.Layers).toHaveLength(2);
    expect(insp.Env).toEqual(['A=1']);
    const mineOci = path.join(out, 'mine-oci.tar');
    await saveImages(store, [l2[0].name], mineOci, { format: 'oci-archive' });
    const insp2 = JSON.parse(execFileSync('skopeo', ['inspect', `oci-archive:${mineOci}:v9`], { encoding: 'utf8' }));
    expect(insp2.Digest).toBe(l2[0].target.digest);
    expect(existsSync(mineOci)).toBe(true);
    // a Docker schema-2 manifest inside an OCI layout
    const v2 = path.join(out, 'v2s2');
    execFileSync('skopeo', ['copy', '--quiet', '--format', 'v2s2', `oci:${dir}:t`, `oci:${v2}:d2`]);
    const [l3] = await loadImages(store, v2);
    expect(l3.target.mediaType).toBe('application/vnd.docker.distribution.manifest.v2+json');
    expect((await resolveImage(store, l3.name)).manifest.layers[0].mediaType).toBe('application/vnd.docker.image.rootfs.diff.tar.gzip');
    expect(await view(store, l3.name)).toEqual(want);
    // and back out as docker-archive, which skopeo reads
    const v2out = path.join(out, 'v2-docker.tar');
    await saveImages(store, [l3.name], v2out, { format: 'docker-archive' });
    expect(JSON.parse(execFileSync('skopeo', ['inspect', `docker-archive:${v2out}`], { encoding: 'utf8' })).Layers).toHaveLength(2);
  });
});
