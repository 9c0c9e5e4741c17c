import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { LayerDir, LayerNode } from '../../kernel/fs/layer_tree.js';
import { nodeDecompressors } from '../../src/image/snapshot/decompress_node.js';
import { unpackLayer } from '../../src/image/snapshot/unpack.js';
import { UnpackError } from '../../src/image/snapshot/unpack_error.js';
import { chunks, gzip, makeTar, type TarEntrySpec } from '../support/oci_fixtures.js';
import { decodeTree, encodeTree } from '../../src/image/snapshot/snapshot_codec.js';

const segment = fc.stringMatching(/^[a-z0-9_.-]{1,12}$/).filter((s) => s !== '.' && s !== '..' && !s.startsWith('.wh.'));
const filePath = fc.array(segment, { minLength: 1, maxLength: 4 }).map((p) => p.join('/'));

/** Unique files whose paths never sit under each other. */
const files = fc.uniqueArray(
  fc.record({ path: filePath, data: fc.uint8Array({ maxLength: 2000 }), mode: fc.integer({ min: 0, max: 0o7777 }) }),
  { selector: (f) => f.path, maxLength: 25 },
).map((fs) => fs.filter((f) => !fs.some((g) => g !== f && (f.path.startsWith(`${g.path}/`) || g.path.startsWith(`${f.path}/`)))));

function at(root: LayerDir, p: string): LayerNode | undefined {
  let n: LayerNode | undefined = root;
  for (const c of p.split('/')) n = n?.kind === 'dir' ? n.entries.get(c) : undefined;
  return n;
}

describe('unpackLayer properties', () => {
  it('keeps every file of a well-formed tar, with its bytes and mode', async () => {
    await fc.assert(fc.asyncProperty(files, fc.integer({ min: 1, max: 5000 }), async (fs, chunk) => {
      const tar = await makeTar(fs.map((f) => ({ name: f.path, data: f.data, mode: f.mode })));
      const { tree } = await unpackLayer(chunks(gzip(tar), chunk), { decompressors: nodeDecompressors });
      for (const f of fs) {
        const n = at(tree.root, f.path);
        expect(n?.kind).toBe('file');
        expect(n).toMatchObject({ mode: f.mode, size: f.data.length });
        expect(Buffer.from((n as { data: Uint8Array }).data).equals(Buffer.from(f.data))).toBe(true);
      }
    }), { numRuns: 60 });
  });

  it('fails only with UnpackError on corrupted or truncated input', async () => {
    const entry: fc.Arbitrary<TarEntrySpec> = fc.oneof(
      fc.record({ name: filePath, data: fc.string({ maxLength: 600 }) }),
      fc.record({ name: filePath, type: fc.constant('directory' as const) }),
      fc.record({ name: filePath, type: fc.constant('symlink' as const), linkname: filePath }),
      fc.record({ name: filePath, type: fc.constant('link' as const), linkname: filePath }),
      fc.record({ name: fc.constantFrom('../x', '/abs', 'a/../../b', '.wh..wh..opq', 'd/.wh.f'), data: fc.constant('') }),
    );
    await fc.assert(fc.asyncProperty(
      fc.array(entry, { maxLength: 8 }),
      fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 6 }),
      fc.option(fc.nat(), { nil: undefined }),
      fc.boolean(),
      async (entries, flips, cut, compress) => {
        const tar = await makeTar(entries);
        let bytes = compress ? gzip(tar) : new Uint8Array(tar);
        for (const [pos, v] of flips) if (bytes.length) bytes[pos % bytes.length] = v;
        if (cut !== undefined && bytes.length) bytes = bytes.subarray(0, cut % bytes.length);
        try {
          await unpackLayer(chunks(bytes, 333), { decompressors: nodeDecompressors, limits: { maxBytes: 1 << 20 } });
        } catch (err) {
          expect(err).toBeInstanceOf(UnpackError);
        }
      },
    ), { numRuns: 300 });
  });

  it('snapshot index/data round-trip any unpacked tree, hard links staying one node', async () => {
    await fc.assert(fc.asyncProperty(files, fc.array(fc.tuple(fc.nat(), filePath), { maxLength: 5 }), async (fs, links) => {
      const entries: TarEntrySpec[] = fs.map((f) => ({ name: f.path, data: f.data, mode: f.mode }));
      const taken = new Set(fs.map((f) => f.path));
      const linkNames: [string, string][] = [];
      for (const [i, name] of links) {
        const l = `links/${name}`;
        if (fs.length === 0 || taken.has(l) || [...taken].some((t) => t.startsWith(`${l}/`) || l.startsWith(`${t}/`))) continue;
        taken.add(l);
        const target = fs[i % fs.length].path;
        entries.push({ name: l, type: 'link', linkname: target });
        linkNames.push([l, target]);
      }
      const { tree } = await unpackLayer(chunks(await makeTar(entries)));
      const { index, data } = encodeTree(tree);
      const back = decodeTree(JSON.parse(JSON.stringify(index)), data);
      expect(back).toEqual(tree);
      for (const [l, t] of linkNames) expect(at(back.root, l)).toBe(at(back.root, t));
    }), { numRuns: 60 });
  });
});
