import { describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, writeFileSync, symlinkSync, linkSync, chmodSync, utimesSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { LayerDir, LayerNode } from '../../kernel/fs/layer_tree.js';
import { unpackLayer } from '../../src/image/snapshot/unpack.js';
import { SlabAllocator, unpackLayerWith } from '../../src/image/snapshot/unpack_core.js';
import { readFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { nodeDecompressors } from '../../src/image/snapshot/decompress_node.js';
import { browserDecompressors, webGunzip } from '../../src/image/snapshot/decompress.js';
import { chunks, gzip, makeTar, sha256, zstd } from '../support/oci_fixtures.js';
import { itWithTools } from '../support/tools.js';

function at(root: LayerDir, path: string): LayerNode | undefined {
  let n: LayerNode | undefined = root;
  for (const c of path.split('/').filter(Boolean)) {
    if (n?.kind !== 'dir') return undefined;
    n = n.entries.get(c);
  }
  return n;
}

function text(n: LayerNode | undefined): string {
  if (n?.kind !== 'file') throw new Error(`not a file: ${n?.kind}`);
  return Buffer.from(n.data as Uint8Array).toString();
}

describe('unpackLayer', () => {
  it('builds a tree with files, dirs, symlinks, hard links, modes, owners and mtimes', async () => {
    const tar = await makeTar([
      { name: 'bin/', type: 'directory', mode: 0o755 },
      { name: 'bin/app.wasm', data: 'wasm!', mode: 0o4755, uid: 1000, gid: 100 },
      { name: 'bin/app2', type: 'link', linkname: 'bin/app.wasm' },
      { name: 'etc/motd', data: 'hello', pax: { mtime: '1700000000.123456789' } },
      { name: 'lib', type: 'symlink', linkname: 'usr/lib' },
    ]);
    const r = await unpackLayer(chunks(tar, 100));
    expect(r.diffId).toBe(sha256(tar));
    expect(r.compression).toBe('none');
    const app = at(r.tree.root, 'bin/app.wasm');
    expect(app).toMatchObject({ kind: 'file', mode: 0o4755, uid: 1000, gid: 100, size: 5 });
    expect(at(r.tree.root, 'bin/app2')).toBe(app);
    expect(at(r.tree.root, 'etc/motd')).toMatchObject({ mtimeNs: 1700000000123456789n });
    expect(at(r.tree.root, 'etc')).toMatchObject({ kind: 'dir', mode: 0o755 });
    expect(at(r.tree.root, 'lib')).toMatchObject({ kind: 'symlink', target: 'usr/lib' });
    expect(text(at(r.tree.root, 'etc/motd'))).toBe('hello');
    expect(r.tree.bytes).toBe(10);
    expect(Object.isFrozen(app)).toBe(true);
    expect([...r.tree.root.entries.keys()]).toEqual(['bin', 'etc', 'lib']);
  });

  it('turns .wh. files into whiteouts and .wh..wh..opq into opaque dirs', async () => {
    const tar = await makeTar([
      { name: 'a/.wh..wh..opq', data: '' },
      { name: 'a/keep', data: 'k' },
      { name: '.wh.gone', data: '' },
      { name: 'd/.wh.x', data: '' },
    ]);
    const { tree } = await unpackLayer(chunks(tar));
    expect(at(tree.root, 'a')).toMatchObject({ kind: 'dir', opaque: true });
    expect(at(tree.root, 'gone')).toEqual({ kind: 'whiteout' });
    expect(at(tree.root, 'd/x')).toEqual({ kind: 'whiteout' });
    expect(at(tree.root, 'a/.wh..wh..opq')).toBeUndefined();
  });

  it('reads gzip (zlib and fflate) and verifies the diff ID', async () => {
    const tar = await makeTar([{ name: 'f', data: 'x'.repeat(100_000) }]);
    const gz = gzip(tar);
    for (const decompressors of [undefined, nodeDecompressors, browserDecompressors]) {
      const r = await unpackLayer(chunks(gz, 1000), { diffId: sha256(tar), decompressors, mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip' });
      expect(r.compression).toBe('gzip');
      expect(at(r.tree.root, 'f')).toMatchObject({ size: 100_000 });
      expect(r.compressedBytes).toBe(gz.length);
    }
  });

  itWithTools('zstd')('reads zstd', async () => {
    const tar = await makeTar([{ name: 'z', data: 'zz' }]);
    const r = await unpackLayer(chunks(zstd(tar), 7), { diffId: sha256(tar) });
    expect(r.compression).toBe('zstd');
    expect(text(at(r.tree.root, 'z'))).toBe('zz');
    const big = zstd(await makeTar([{ name: 'r', data: 'x'.repeat(300_000) + 'y'.repeat(300_000) }]));
    await expect(unpackLayer(chunks(big.subarray(0, big.length - 9)), { decompressors: nodeDecompressors }))
      .rejects.toMatchObject({ code: expect.stringMatching(/BAD_COMPRESSION|BAD_TAR/) });
  });

  it('DecompressionStream is used where it exists (Node 20 has it)', () => {
    expect(webGunzip).toBeDefined();
    expect(browserDecompressors.gzip).toBe(webGunzip);
  });

  it('refuses a diff ID mismatch', async () => {
    const tar = await makeTar([{ name: 'f', data: 'a' }]);
    await expect(unpackLayer(chunks(gzip(tar)), { diffId: sha256('other') })).rejects.toMatchObject({ code: 'DIFF_ID_MISMATCH' });
  });

  it('refuses corrupt gzip and non-tar data', async () => {
    const gz = gzip(await makeTar([{ name: 'f', data: 'a'.repeat(5000) }]));
    const cut = gz.subarray(0, gz.length - 20);
    await expect(unpackLayer(chunks(cut), { decompressors: nodeDecompressors })).rejects.toMatchObject({ code: 'BAD_COMPRESSION' });
    await expect(unpackLayer(chunks(cut))).rejects.toMatchObject({ code: 'BAD_COMPRESSION' });
    // Node 20's DecompressionStream ends quietly on a truncated stream; the tar check catches it
    await expect(unpackLayer(chunks(cut), { decompressors: browserDecompressors })).rejects.toMatchObject({ code: expect.stringMatching(/BAD_COMPRESSION|BAD_TAR/) });
    await expect(unpackLayer(chunks(new TextEncoder().encode('not a tar '.repeat(100))))).rejects.toMatchObject({ code: 'BAD_TAR' });
  });

  it('handles GNU long names and PAX headers written by GNU tar', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'wv-unpack-'));
    const long = 'd'.repeat(120) + '/' + 'f'.repeat(130);
    mkdirSync(join(dir, 'd'.repeat(120)));
    writeFileSync(join(dir, long), 'long');
    symlinkSync('x'.repeat(150), join(dir, 'sl'));
    linkSync(join(dir, long), join(dir, 'hl'));
    chmodSync(join(dir, 'hl'), 0o2750);
    utimesSync(join(dir, 'hl'), 1_600_000_000.5, 1_600_000_000.5);
    for (const format of ['gnu', 'pax']) {
      const tar = new Uint8Array(execFileSync('tar', ['-C', dir, `--format=${format}`, '--sort=name', '-cf', '-', '.']));
      const { tree } = await unpackLayer(chunks(tar, 512));
      expect(text(at(tree.root, long))).toBe('long');
      expect(at(tree.root, 'hl')).toBe(at(tree.root, long));
      expect(at(tree.root, 'hl')).toMatchObject({ mode: 0o2750 });
      expect(at(tree.root, 'sl')).toMatchObject({ kind: 'symlink', target: 'x'.repeat(150) });
      if (format === 'pax') expect(at(tree.root, 'hl')).toMatchObject({ mtimeNs: 1_600_000_000_500_000_000n });
    }
  });

  it('accepts a tar that stops right after the last entry\'s data (umoci 0.4 insert), refuses one cut inside it', async () => {
    const tar = await makeTar([{ name: 'a', data: 'first' }, { name: 'b', data: 'xy' }]);
    const cut = tar.subarray(0, 512 * 3 + 2); // header a, data a, header b, two bytes of b
    const r = await unpackLayer(chunks(cut, 100));
    expect(text(at(r.tree.root, 'b'))).toBe('xy');
    expect(r.diffId).toBe(sha256(cut));
    expect(r.warnings.join()).toMatch(/end-of-archive/);
    await expect(unpackLayer(chunks(tar.subarray(0, 512 * 3 + 1)))).rejects.toMatchObject({ code: 'BAD_TAR' });
    await expect(unpackLayer(chunks(tar.subarray(0, 512 * 2 + 100)))).rejects.toMatchObject({ code: 'BAD_TAR' });
  });

  it('the core runs with any hasher and imports nothing from node: (browser-ready)', async () => {
    const tar = await makeTar([{ name: 'f', data: 'x' }]);
    let fed = 0;
    const h = createHash('sha256');
    const r = await unpackLayerWith(chunks(gzip(tar)), () => ({
      update: (c) => { fed += c.length; h.update(c); },
      digest: () => `sha256:${h.copy().digest('hex')}`,
    }));
    expect(fed).toBe(tar.length);
    expect(r.diffId).toBe(sha256(tar));
    const seen = new Set<string>();
    const visit = (file: string): void => {
      if (seen.has(file)) return;
      seen.add(file);
      const text = readFileSync(file, 'utf8');
      expect(text, file).not.toMatch(/from 'node:/);
      for (const m of text.matchAll(/^import (?!type)[^;]*from '(\.[^']+)\.js'/gm)) visit(join(file, '..', `${m[1]}.ts`));
    };
    visit(join(__dirname, '../../src/image/snapshot/unpack_core.ts'));
    expect(seen.size).toBeGreaterThan(3);
  });

  it('SlabAllocator packs small files into growing slabs and gives big ones their own buffer', () => {
    const sizes: number[] = [];
    const slabs = new SlabAllocator((n) => { sizes.push(n); return new Uint8Array(n); }, 1 << 20);
    const a = slabs.alloc(100);
    const b = slabs.alloc(200);
    expect(a.buffer).toBe(b.buffer);
    expect(sizes).toEqual([64 * 1024]);
    slabs.alloc(64 * 1024); // does not fit: a new, doubled slab
    expect(sizes).toEqual([64 * 1024, 128 * 1024]);
    const big = slabs.alloc(300 * 1024);
    expect(big.buffer.byteLength).toBe(300 * 1024);
    expect(sizes.at(-1)).toBe(300 * 1024);
  });
});
