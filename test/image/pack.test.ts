import { execFileSync } from 'node:child_process';
import { linkSync, mkdirSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync, chmodSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { LayerSymlink } from '../../kernel/fs/layer_tree.js';
import { main } from '../../src/cli/wasmvisor.js';
import { layerSources } from '../../src/image/content/image_config.js';
import { loadImages } from '../../src/image/layout/load.js';
import { resolveImage } from '../../src/image/content/manifest_store.js';
import { packImage, parseAdd } from '../../src/image/layout/pack.js';
import { saveImages } from '../../src/image/layout/save.js';
import { SnapshotStore } from '../../src/image/snapshot/snapshot.js';
import { flattenMerged, mergeLayers } from '../../src/image/snapshot/snapshot_view.js';
import { openStore, type Store } from '../../src/image/content/store_root.js';
import { makeTar, writeBlob, writeOciLayout } from '../support/oci_fixtures.js';
import { itWithTools } from '../support/tools.js';

const HELLO = path.resolve('wasm/hello.wasm');

function tmp(prefix: string): string {
  return mkdtempSync(path.join(os.tmpdir(), prefix));
}

function appDir(): string {
  const d = tmp('wv-pack-src-');
  mkdirSync(path.join(d, 'data', 'sub'), { recursive: true });
  writeFileSync(path.join(d, 'data', 'a.txt'), 'A');
  writeFileSync(path.join(d, 'data', 'sub', 'b.txt'), 'B');
  linkSync(path.join(d, 'data', 'a.txt'), path.join(d, 'data', 'z-hard'));
  symlinkSync('a.txt', path.join(d, 'data', 'link'));
  chmodSync(path.join(d, 'data', 'sub', 'b.txt'), 0o600);
  return d;
}

async function tree(store: Store, name: string): Promise<string[]> {
  const r = await resolveImage(store, name);
  const trees = await new SnapshotStore(store.root, store.content, { persist: false }).prepare(layerSources(r.manifest, r.config));
  return [...flattenMerged(mergeLayers([...trees].reverse()))].map(([p, n]) => `${p} ${n.kind} ${n.node.mode.toString(8)}${n.kind === 'symlink' ? ' -> ' + (n.node as LayerSymlink).target : ''}`);
}

describe('pack', () => {
  it('parses --add', () => {
    expect(parseAdd('a.wasm:/app.wasm')).toEqual({ src: 'a.wasm', dest: '/app.wasm' });
    expect(() => parseAdd('a.wasm')).toThrow(/SRC:DEST/);
    expect(() => parseAdd('a.wasm:rel')).toThrow(/absolute/);
  });

  it('builds a deterministic wasip1/wasm image from files, with config settings', async () => {
    const src = appDir();
    const build = async (): Promise<{ store: Store; digest: string }> => {
      const store = await openStore(tmp('wv-pack-store-'));
      const r = await packImage(store, {
        add: [{ src: HELLO, dest: '/bin/hello.wasm' }, { src: path.join(src, 'data'), dest: '/srv/data' }],
        entrypoint: ['/bin/hello.wasm'], cmd: ['--greet'], env: ['A=1', 'B=2', 'A=3'], workdir: '/srv', user: '1000:1000',
        labels: { 'org.example': 'yes' }, tags: ['example.com/hello:1'], sourceDateEpoch: 1_700_000_000,
      });
      return { store, digest: r.manifest.digest };
    };
    const a = await build();
    const b = await build();
    expect(a.digest).toBe(b.digest);
    const r = await resolveImage(a.store, 'example.com/hello:1');
    expect(r.config).toMatchObject({
      os: 'wasip1', architecture: 'wasm', created: '2023-11-14T22:13:20.000Z',
      config: { Entrypoint: ['/bin/hello.wasm'], Cmd: ['--greet'], Env: ['A=3', 'B=2'], WorkingDir: '/srv', User: '1000:1000', Labels: { 'org.example': 'yes' } },
    });
    expect(await tree(a.store, 'example.com/hello:1')).toEqual([
      'bin dir 755', 'bin/hello.wasm file 755', 'srv dir 755', 'srv/data dir 755', 'srv/data/a.txt file 644',
      'srv/data/link symlink 777 -> a.txt', 'srv/data/sub dir 755', 'srv/data/sub/b.txt file 600', 'srv/data/z-hard file 644',
    ]);
    const trees = await new SnapshotStore(a.store.root, a.store.content, { persist: false }).prepare(layerSources(r.manifest, r.config));
    const flat = flattenMerged(mergeLayers([...trees].reverse()));
    expect(flat.get('srv/data/z-hard')!.node).toBe(flat.get('srv/data/a.txt')!.node);
    expect(flat.get('bin/hello.wasm')!.node).toMatchObject({ mtimeNs: 1_700_000_000_000_000_000n, uid: 0 });
  });

  it('builds on --from IMAGE, inheriting layers and config', async () => {
    const store = await openStore(tmp('wv-pack-store-'));
    const dir = path.join(tmp('wv-pack-base-'), 'base');
    writeOciLayout(dir, { tag: 'b', config: { config: { Env: ['PATH=/bin', 'A=0'], Entrypoint: ['/old'], Cmd: ['x'] } },
      layers: [{ tar: await makeTar([{ name: 'etc/base', data: 'b' }]) }] });
    await loadImages(store, dir, { tag: 'base:1' });
    await packImage(store, { from: 'base:1', add: [{ src: HELLO, dest: '/app/' }], env: ['A=1'], entrypoint: ['/app/hello.wasm'], tags: ['derived:1'] });
    const r = await resolveImage(store, 'derived:1');
    expect(r.manifest.layers).toHaveLength(2);
    expect(r.config.rootfs?.diff_ids).toHaveLength(2);
    expect(r.config.history).toHaveLength(2);
    expect(r.config.config).toMatchObject({ Env: ['PATH=/bin', 'A=1'], Entrypoint: ['/app/hello.wasm'] });
    expect(r.config.config?.Cmd).toBeUndefined();
    expect(await tree(store, 'derived:1')).toEqual(['app dir 755', 'app/hello.wasm file 755', 'etc dir 755', 'etc/base file 644']);
  });

  it('turns a Docker schema-2 base\'s layer types into OCI ones', async () => {
    const store = await openStore(tmp('wv-pack-store-'));
    const dir = path.join(tmp('wv-pack-base-'), 'dock');
    const w = writeOciLayout(dir, { tag: 'd', layers: [{ tar: await makeTar([{ name: 'f', data: 'f' }]) }] });
    const manifest = {
      schemaVersion: 2, mediaType: 'application/vnd.docker.distribution.manifest.v2+json',
      config: { ...w.config, mediaType: 'application/vnd.docker.container.image.v1+json' },
      layers: [{ ...w.layers[0], mediaType: 'application/vnd.docker.image.rootfs.diff.tar.gzip' }],
    };
    const desc = writeBlob(dir, manifest.mediaType, JSON.stringify(manifest));
    writeFileSync(path.join(dir, 'index.json'), JSON.stringify({ schemaVersion: 2, manifests: [{ ...desc, annotations: { 'org.opencontainers.image.ref.name': 'd' } }] }));
    await loadImages(store, dir, { tag: 'dock:1' });
    await packImage(store, { from: 'dock:1', add: [{ src: HELLO, dest: '/h.wasm' }], tags: ['dock:2'] });
    const r = await resolveImage(store, 'dock:2');
    expect(r.manifest.layers.map((l) => l.mediaType)).toEqual(['application/vnd.oci.image.layer.v1.tar+gzip', 'application/vnd.oci.image.layer.v1.tar+gzip']);
    expect(await tree(store, 'dock:2')).toEqual(['f file 644', 'h.wasm file 755']);
  });

  it('builds a Wasm OCI artifact', async () => {
    const store = await openStore(tmp('wv-pack-store-'));
    const r = await packImage(store, { artifact: true, add: [{ src: HELLO, dest: '/hello.wasm' }], tags: ['art:1'] });
    const img = await resolveImage(store, 'art:1');
    expect(img.manifest.config.mediaType).toBe('application/vnd.wasm.config.v0+json');
    expect(img.manifest.artifactType).toBe('application/vnd.wasm.config.v0+json');
    expect(img.manifest.layers).toEqual([expect.objectContaining({ mediaType: 'application/wasm', annotations: { 'org.opencontainers.image.title': 'hello.wasm' } })]);
    expect(img.config).toMatchObject({ os: 'wasip1', architecture: 'wasm', layerDigests: [r.layers[0].digest] });
    expect(await tree(store, 'art:1')).toEqual(['hello.wasm file 755']);
    const untagged = await packImage(store, { artifact: true, add: [{ src: HELLO, dest: '/other.wasm' }] });
    expect(untagged.names).toEqual([`localhost/pack@${untagged.manifest.digest}`]);
    expect((await resolveImage(store, untagged.manifest.digest.slice(7, 19))).manifest.layers[0].annotations)
      .toEqual({ 'org.opencontainers.image.title': 'other.wasm' });
    await expect(packImage(store, { artifact: true, add: [{ src: HELLO, dest: '/x' }], env: ['A=1'] })).rejects.toMatchObject({ code: 'ARTIFACT' });
    const notWasm = path.join(tmp('wv-pack-'), 'x.wasm');
    writeFileSync(notWasm, 'hello');
    await expect(packImage(store, { artifact: true, add: [{ src: notWasm, dest: '/x' }] })).rejects.toMatchObject({ code: 'NOT_WASM' });
  });

  it('saves an untagged image to docker-archive with no RepoTags', async () => {
    const store = await openStore(tmp('wv-pack-store-'));
    const r = await packImage(store, { add: [{ src: HELLO, dest: '/h.wasm' }] });
    const out = path.join(tmp('wv-pack-out-'), 'u.tar');
    await saveImages(store, [r.names[0]], out, { format: 'docker-archive' });
    const manifest = JSON.parse(execFileSync('tar', ['-xOf', out, 'manifest.json'], { encoding: 'utf8' }));
    expect(manifest[0].RepoTags).toEqual([]);
    const fresh = await openStore(tmp('wv-pack-store-'));
    expect((await loadImages(fresh, out)).map((l) => l.name)).toEqual(['localhost/u:latest']);
  });

  it('runs through the CLI: pack, save, load', async () => {
    const root = tmp('wv-pack-cli-');
    const out = path.join(tmp('wv-pack-out-'), 'img.tar');
    const quiet = (): (() => void) => {
      const w = process.stdout.write;
      process.stdout.write = (() => true) as typeof process.stdout.write;
      return () => { process.stdout.write = w; };
    };
    let restore = quiet();
    try {
      expect(await main(['--root', root, 'pack', '--add', `${HELLO}:/hello.wasm`, '--entrypoint', '["/hello.wasm"]', '-e', 'X=1', '-t', 'cli/hello:1'])).toBe(0);
      expect(await main(['--root', root, 'save', '-o', out, '--format', 'docker-archive', 'cli/hello:1'])).toBe(0);
      expect(await main(['--root', root, 'save', '-o', out, '--format', 'zip', 'cli/hello:1'])).toBe(125);
    } finally {
      restore();
    }
    const root2 = tmp('wv-pack-cli2-');
    restore = quiet();
    try {
      expect(await main(['--root', root2, 'load', '-i', out])).toBe(0);
      expect(await main(['--root', root2, 'load', '-i', path.join(root2, 'missing.tar')])).toBe(125);
    } finally {
      restore();
    }
    const store = await openStore(root2);
    expect((await resolveImage(store, 'cli/hello:1')).config.config?.Env).toEqual(['X=1']);
    expect(readFileSync(out).length).toBeGreaterThan(27000);
  });

  itWithTools('umoci')('umoci unpacks a packed image to the same tree', async () => {
    const store = await openStore(tmp('wv-pack-store-'));
    await packImage(store, { add: [{ src: HELLO, dest: '/bin/hello.wasm' }, { src: path.join(appDir(), 'data'), dest: '/data' }], tags: ['u/p:t'] });
    const dir = path.join(tmp('wv-pack-oci-'), 'layout');
    await saveImages(store, ['u/p:t'], dir, { format: 'oci-dir' });
    const bundle = path.join(tmp('wv-pack-umoci-'), 'rootfs');
    execFileSync('umoci', ['raw', 'unpack', '--rootless', '--image', `${dir}:t`, bundle], { stdio: 'pipe' });
    const listing = execFileSync('find', ['.', '-mindepth', '1', '-printf', '%P %y %m\\n'], { cwd: bundle, encoding: 'utf8' })
      .trim().split('\n').sort();
    const ours = (await tree(store, 'u/p:t')).map((l) => l.replace(/ dir /, ' d ').replace(/ file /, ' f ').replace(/ symlink (\d+) -> .*/, ' l $1'));
    expect(listing).toEqual(ours);
  });
});
