import { describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { appendFileSync, mkdtempSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { LayerDir } from '../../kernel/fs/layer_tree.js';
import { unpackLayer } from '../../src/image/snapshot/unpack.js';
import { UnpackError } from '../../src/image/snapshot/unpack_error.js';
import { nodeDecompressors } from '../../src/image/snapshot/decompress_node.js';
import { browserDecompressors } from '../../src/image/snapshot/decompress.js';
import { chunks, gzip, makeTar, type TarEntrySpec } from '../support/oci_fixtures.js';

async function refused(entries: TarEntrySpec[], code: string, opts = {}): Promise<UnpackError> {
  const tar = await makeTar(entries);
  const err = await unpackLayer(chunks(tar, 512), opts).then(() => null, (e: unknown) => e);
  expect(err).toBeInstanceOf(UnpackError);
  expect((err as UnpackError).code).toBe(code);
  return err as UnpackError;
}

describe('unpackLayer refuses hostile layers', () => {
  it('".." components', async () => {
    const e = await refused([{ name: 'ok', data: '1' }, { name: '../../etc/passwd', data: 'x' }], 'PATH_TRAVERSAL');
    expect(e.message).toMatch(/\.\./);
    await refused([{ name: 'a/../../b', data: 'x' }], 'PATH_TRAVERSAL');
    await refused([{ name: 'a/..', type: 'directory' }], 'PATH_TRAVERSAL');
  });

  it('strips a leading "/" as tar and containerd do', async () => {
    const { tree } = await unpackLayer(chunks(await makeTar([{ name: '/etc/abs', data: 'a' }, { name: './rel', data: 'b' }])));
    expect((tree.root.entries.get('etc') as LayerDir).entries.get('abs')).toMatchObject({ kind: 'file', size: 1 });
    expect(tree.root.entries.get('rel')).toMatchObject({ kind: 'file' });
  });

  it('a file written through an earlier symlink of the same layer', async () => {
    await refused([{ name: 'evil', type: 'symlink', linkname: '/etc' }, { name: 'evil/passwd', data: 'x' }], 'WRITE_THROUGH_SYMLINK');
    await refused([{ name: 'up', type: 'symlink', linkname: '../../..' }, { name: 'up/x/y', type: 'directory' }], 'WRITE_THROUGH_SYMLINK');
  });

  it('hard links outside, to missing paths, to directories, through symlinks, to themselves', async () => {
    await refused([{ name: 'h', type: 'link', linkname: '../../etc/shadow' }], 'PATH_TRAVERSAL');
    await refused([{ name: 'h', type: 'link', linkname: 'nope' }], 'UNSAFE_LINK');
    await refused([{ name: 'd/', type: 'directory' }, { name: 'h', type: 'link', linkname: 'd' }], 'UNSAFE_LINK');
    await refused([
      { name: 's', type: 'symlink', linkname: '/' },
      { name: 'h', type: 'link', linkname: 's/etc/passwd' },
    ], 'UNSAFE_LINK');
    await refused([{ name: 'f', type: 'link', linkname: 'f' }], 'DUPLICATE_ENTRY');
  });

  it('device nodes and fifos (refused by default, skipped on request)', async () => {
    await refused([{ name: 'dev/null', type: 'character-device' }], 'DEVICE_NODE');
    await refused([{ name: 'p', type: 'fifo' }], 'DEVICE_NODE');
    const tar = await makeTar([{ name: 'dev/sda', type: 'block-device' }, { name: 'f', data: 'x' }]);
    const r = await unpackLayer(chunks(tar), { devices: 'skip' });
    expect(r.warnings.join('\n')).toMatch(/block-device dev\/sda/);
    expect(r.tree.root.entries.has('f')).toBe(true);
    expect((r.tree.root.entries.get('dev') as LayerDir).entries.size).toBe(0);
  });

  it('a file listed twice', async () => {
    await refused([{ name: 'f', data: 'one' }, { name: 'f', data: 'two' }], 'DUPLICATE_ENTRY');
    await refused([{ name: 'd/', type: 'directory' }, { name: 'd', data: 'file now' }], 'CONFLICT');
    await refused([{ name: 'f', data: 'x' }, { name: 'f/g', data: 'y' }], 'CONFLICT');
    // a directory listed twice is accepted; the last metadata wins
    const { tree } = await unpackLayer(chunks(await makeTar([
      { name: 'd/', type: 'directory', mode: 0o700 }, { name: 'd/', type: 'directory', mode: 0o750 },
    ])));
    expect(tree.root.entries.get('d')).toMatchObject({ mode: 0o750 });
  });

  it('a gzip bomb past the byte cap or the ratio cap, with either gunzip', async () => {
    const tar = await makeTar([{ name: 'zeros', data: new Uint8Array(8 * 1024 * 1024) }]);
    const gz = gzip(tar, 9);
    expect(tar.length / gz.length).toBeGreaterThan(500);
    for (const decompressors of [undefined, nodeDecompressors, browserDecompressors]) {
      await expect(unpackLayer(chunks(gz, 65536), { decompressors, limits: { maxBytes: 1024 * 1024 } }))
        .rejects.toMatchObject({ code: 'TOO_LARGE', message: expect.stringMatching(/size limit/) });
      await expect(unpackLayer(chunks(gz, 65536), { decompressors, limits: { maxRatio: 100, ratioGraceBytes: 1024 * 1024 } }))
        .rejects.toMatchObject({ code: 'TOO_LARGE', message: expect.stringMatching(/bomb/) });
    }
    // within the limits it unpacks
    const ok = await unpackLayer(chunks(gz, 65536), { decompressors: nodeDecompressors });
    expect(ok.uncompressedBytes).toBe(tar.length);
  });

  it('an entry count past the cap', async () => {
    const many = Array.from({ length: 20 }, (_, i) => ({ name: `f${i}`, data: '' }));
    await refused(many, 'TOO_MANY_ENTRIES', { limits: { maxEntries: 10 } });
  });

  it('a NUL byte in a name', async () => {
    await refused([{ name: 'a', data: '' }, { name: 'x', type: 'link', linkname: 'a', pax: { linkpath: 'a\0b' } }], 'PATH_TRAVERSAL');
  });

  it('a truncated tar', async () => {
    const tar = await makeTar([{ name: 'f', data: 'x'.repeat(3000) }]);
    const err = await unpackLayer(chunks(tar.subarray(0, 1500))).then(() => null, (e: unknown) => e);
    expect(err).toMatchObject({ code: 'BAD_TAR' });
  });

  it('follows a lower layer\'s symlink only inside the root', async () => {
    const lower = await unpackLayer(chunks(await makeTar([
      { name: 'esc', type: 'symlink', linkname: '../../../../etc' },
      { name: 'lib', type: 'symlink', linkname: '/usr/lib' },
    ])));
    const { tree } = await unpackLayer(chunks(await makeTar([
      { name: 'esc/passwd', data: 'x' },
      { name: 'lib/libc.so', data: 'c' },
    ])), { lowers: [lower.tree] });
    expect([...tree.root.entries.keys()]).toEqual(['etc', 'usr']);
    expect((tree.root.entries.get('etc') as LayerDir).entries.get('passwd')).toMatchObject({ kind: 'file', size: 1 });
    const usr = tree.root.entries.get('usr') as LayerDir;
    expect((usr.entries.get('lib') as LayerDir).entries.get('libc.so')).toMatchObject({ kind: 'file' });
  });

  it('a name past PATH_MAX (deep nesting)', async () => {
    await refused([{ name: 'a/'.repeat(3000) + 'f', data: 'x' }], 'UNSUPPORTED_ENTRY');
    // the deepest accepted nesting still unpacks (no recursion limit hit)
    const { tree } = await unpackLayer(chunks(await makeTar([{ name: 'a/'.repeat(2000) + 'f', data: 'x' }])));
    expect(tree.root.entries.get('a')).toMatchObject({ kind: 'dir' });
  });

  it('sparse files (GNU and PAX formats) and unknown entry types, instead of wrong contents', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'wv-sparse-'));
    writeFileSync(join(dir, 'sparse'), '');
    truncateSync(join(dir, 'sparse'), 1 << 20);
    appendFileSync(join(dir, 'sparse'), 'tail');
    for (const format of ['gnu', 'pax']) {
      const tar = new Uint8Array(execFileSync('tar', ['-C', dir, `--format=${format}`, '-S', '-cf', '-', 'sparse']));
      const err = await unpackLayer(chunks(tar)).then(() => null, (e: unknown) => e);
      expect(err, format).toMatchObject({ code: 'UNSUPPORTED_ENTRY', message: expect.stringMatching(/sparse|type/) });
    }
  });
});
