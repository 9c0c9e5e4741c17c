/**
 * The umoci cross-check: each image is unpacked by `umoci raw unpack` and by
 * wasmvisor (layer trees, merged), and the two trees are compared file by
 * file: paths, types, modes, sizes, contents, link targets, hard-link
 * groups, owners (when umoci runs as root) and file mtimes.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, linkSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect } from 'vitest';
import type { LayerTree } from '../../kernel/fs/layer_tree.js';
import { nodeDecompressors } from '../../src/image/snapshot/decompress_node.js';
import { loadImages } from '../../src/image/layout/load.js';
import { prepareImage } from '../../src/image/snapshot/snapshot_image.js';
import { SnapshotStore } from '../../src/image/snapshot/snapshot.js';
import { layerSources } from '../../src/image/content/image_config.js';
import { resolveImage } from '../../src/image/content/manifest_store.js';
import { openStore } from '../../src/image/content/store_root.js';
import { flattenMerged, mergeLayers } from '../../src/image/snapshot/snapshot_view.js';
import { unpackLayer } from '../../src/image/snapshot/unpack.js';
import { makeTar, writeOciLayout, type TarEntrySpec } from '../support/oci_fixtures.js';
import { itWithTools } from '../support/tools.js';
import { OverlayFs } from '../../kernel/fs/overlay.js';
import { FileType } from '../../kernel/vfs/types.js';
import type { Inode } from '../../kernel/vfs/inode.js';
import { FakeHost } from '../support/fake_host.js';

const T = new Date(1_650_000_000_000);

/** One comparable line per path. */
interface Row { type: string; mode: string; size: number; sha?: string; target?: string; owner?: string; mtime?: string; link?: number }

function hash(b: Uint8Array): string {
  return createHash('sha256').update(b).digest('hex').slice(0, 16);
}

/** Read a rootfs from disk: path → row; hard-link groups numbered by first path. */
function diskTree(root: string, owners: boolean): Map<string, Row> {
  const out = new Map<string, Row>();
  const inodes = new Map<number, number>();
  const walk = (dir: string, prefix: string): void => {
    for (const name of readdirSync(dir).sort()) {
      const p = path.join(dir, name);
      const rel = prefix ? `${prefix}/${name}` : name;
      const st = lstatSync(p, { bigint: true });
      const row: Row = { type: '', mode: (Number(st.mode) & 0o7777).toString(8), size: 0 };
      if (owners) row.owner = `${st.uid}:${st.gid}`;
      if (st.isDirectory()) {
        row.type = 'dir';
        out.set(rel, row);
        walk(p, rel);
        continue;
      }
      if (st.isSymbolicLink()) {
        row.type = 'symlink';
        row.target = readlinkSync(p);
        delete (row as Partial<Row>).mode; // symlink modes are not kept by Linux
      } else if (st.isFile()) {
        row.type = 'file';
        row.size = Number(st.size);
        row.sha = hash(readFileSync(p));
        row.mtime = st.mtimeNs.toString();
        if (st.nlink > 1n) {
          const ino = Number(st.ino);
          if (!inodes.has(ino)) inodes.set(ino, inodes.size);
          row.link = inodes.get(ino);
        }
      } else {
        row.type = 'other';
      }
      out.set(rel, row);
    }
  };
  walk(root, '');
  return out;
}

/** The same rows from our merged layer trees. */
function ourTree(trees: LayerTree[], owners: boolean): Map<string, Row> {
  const flat = flattenMerged(mergeLayers([...trees].reverse()));
  const out = new Map<string, Row>();
  const nodes = new Map<object, number>();
  const counts = new Map<object, number>();
  for (const n of flat.values()) if (n.kind === 'file') counts.set(n.node, (counts.get(n.node) ?? 0) + 1);
  for (const [p, n] of flat) {
    const node = n.node;
    const row: Row = { type: n.kind, mode: (node.mode & 0o7777).toString(8), size: 0 };
    if (owners) row.owner = `${node.uid}:${node.gid}`;
    if (node.kind === 'symlink') {
      row.target = node.target;
      delete (row as Partial<Row>).mode;
    } else if (node.kind === 'file') {
      row.size = node.size;
      row.sha = hash(node.data as Uint8Array);
      row.mtime = node.mtimeNs.toString();
      if ((counts.get(node) ?? 0) > 1) {
        if (!nodes.has(node)) nodes.set(node, nodes.size);
        row.link = nodes.get(node);
      }
    }
    out.set(p, row);
  }
  return out;
}

/** The same rows as the kernel's overlay shows them (lowers top first), walked through its inodes. */
function kernelTree(trees: LayerTree[], owners: boolean): Map<string, Row> {
  const fs = new OverlayFs([...trees].reverse(), new FakeHost());
  const cred = { uid: 0, gid: 0 };
  const out = new Map<string, Row>();
  const byIno = new Map<bigint, string[]>();
  const walk = (dir: Inode, prefix: string): void => {
    const names = dir.readdir(0, 1 << 30, cred).map((e) => e.name).filter((n) => n !== '.' && n !== '..').sort();
    for (const name of names) {
      const node = dir.lookup(name, cred)!;
      const st = node.stat();
      const p = prefix ? `${prefix}/${name}` : name;
      const row: Row = { type: '', mode: (st.mode & 0o7777).toString(8), size: 0 };
      if (owners) row.owner = `${st.uid}:${st.gid}`;
      if (st.filetype === FileType.DIRECTORY) {
        row.type = 'dir';
        out.set(p, row);
        walk(node, p);
        continue;
      }
      if (st.filetype === FileType.SYMBOLIC_LINK) {
        row.type = 'symlink';
        row.target = node.readlink(cred);
        delete (row as Partial<Row>).mode;
      } else {
        row.type = 'file';
        row.size = Number(st.size);
        row.sha = hash(node.readAt(0, row.size));
        row.mtime = st.mtim.toString();
        byIno.set(st.ino, [...(byIno.get(st.ino) ?? []), p]);
      }
      out.set(p, row);
    }
  };
  walk(fs.root as unknown as Inode, '');
  // hard-link groups: visible names sharing an inode, numbered in walk order (nlink may count hidden names)
  const ids = new Map<string[], number>();
  const groupOf = new Map<string, string[]>();
  for (const g of byIno.values()) if (g.length > 1) g.forEach((p) => groupOf.set(p, g));
  for (const [p, row] of out) {
    const g = groupOf.get(p);
    if (!g) continue;
    if (!ids.has(g)) ids.set(g, ids.size);
    row.link = ids.get(g);
  }
  return out;
}

/** Unpack an OCI layout's tagged image with wasmvisor (reading the layout by hand). */
async function unpackLayout(dir: string, tag: string): Promise<LayerTree[]> {
  const blob = (d: string) => readFileSync(path.join(dir, 'blobs', 'sha256', d.slice(7)));
  const index = JSON.parse(readFileSync(path.join(dir, 'index.json'), 'utf8'));
  const desc = index.manifests.find((m: { annotations?: Record<string, string> }) => m.annotations?.['org.opencontainers.image.ref.name'] === tag);
  const manifest = JSON.parse(blob(desc.digest).toString());
  const config = JSON.parse(blob(manifest.config.digest).toString());
  const trees: LayerTree[] = [];
  for (const [i, l] of manifest.layers.entries()) {
    const data = new Uint8Array(blob(l.digest));
    const r = await unpackLayer((async function* () { yield data; })(), {
      mediaType: l.mediaType, diffId: config.rootfs.diff_ids[i], decompressors: nodeDecompressors, lowers: trees,
    });
    trees.push(r.tree);
  }
  return trees;
}

function umociUnpack(dir: string, tag: string): { rootfs: string; owners: boolean } {
  const bundle = mkdtempSync(path.join(os.tmpdir(), 'wv-umoci-bundle-'));
  const rootfs = path.join(bundle, 'rootfs');
  const asRoot = process.getuid?.() === 0;
  execFileSync('umoci', ['raw', 'unpack', ...(asRoot ? [] : ['--rootless']), '--image', `${dir}:${tag}`, rootfs], { stdio: 'pipe' });
  return { rootfs, owners: asRoot };
}

async function crossCheck(dir: string, tag: string): Promise<number> {
  const { rootfs, owners } = umociUnpack(dir, tag);
  const theirs = diskTree(rootfs, owners);
  const trees = await unpackLayout(dir, tag);
  // the same image through load, snapshots on disk and a reload in a fresh process-like store
  const store = await openStore(mkdtempSync(path.join(os.tmpdir(), 'wv-umoci-store-')));
  const loaded = (await loadImages(store, dir)).find((l) => l.name.endsWith(`:${tag}`))!;
  const r = await resolveImage(store, loaded.name);
  await new SnapshotStore(store.root, store.content).prepare(layerSources(r.manifest, r.config));
  let unpacked = 0;
  const reloaded = await new SnapshotStore(store.root, store.content, { onWarning: (w) => { throw new Error(w); } })
    .prepare(layerSources(r.manifest, r.config), { onUnpacked: () => unpacked++ });
  expect(unpacked).toBe(0); // read back from disk, not unpacked again
  for (const ours of [ourTree(trees, owners), kernelTree(trees, owners), ourTree(reloaded, owners)]) {
    expect([...ours.keys()]).toEqual([...theirs.keys()]);
    for (const [p, row] of theirs) expect({ path: p, ...ours.get(p) }).toEqual({ path: p, ...row });
  }
  return theirs.size;
}

function hostileFreeLayers(): TarEntrySpec[][] {
  const long = `deep/${'n'.repeat(90)}/${'m'.repeat(90)}/file-with-a-long-name.txt`;
  const l1: TarEntrySpec[] = [
    { name: 'bin/', type: 'directory', mtime: T },
    { name: 'bin/app.wasm', data: '\0asm\x01\0\0\0', mode: 0o755, mtime: T },
    { name: 'bin/suid', data: 'suid', mode: 0o4755, uid: 1000, gid: 1000, mtime: T },
    { name: 'bin/sgid', data: 'sgid', mode: 0o2750, uid: 0, gid: 50, mtime: T },
    { name: 'bin/hard', type: 'link', linkname: 'bin/app.wasm' },
    { name: 'tmp/', type: 'directory', mode: 0o1777, mtime: T },
    { name: 'etc/motd', data: 'welcome\n', mode: 0o644, mtime: T, pax: { mtime: '1650000000.123456789' } },
    { name: 'etc/rel', type: 'symlink', linkname: '../bin/app.wasm' },
    { name: 'etc/abs', type: 'symlink', linkname: '/etc/motd' },
    { name: 'opq/a', data: 'a', mtime: T },
    { name: 'opq/sub/b', data: 'b', mtime: T },
    { name: 'del/x', data: 'x', mtime: T },
    { name: 'del/y', data: 'y', mtime: T },
    { name: 'gone/inside', data: 'i', mtime: T },
    { name: 'rm-me', data: 'bye', mtime: T },
    { name: 'was-dir/child', data: 'c', mtime: T },
    { name: 'was-file', data: 'f', mtime: T },
    { name: long, data: 'long', mtime: T },
    { name: 'empty', data: '', mode: 0o600, mtime: T },
  ];
  const l2: TarEntrySpec[] = [
    { name: '.wh.rm-me', data: '' },
    { name: 'del/.wh.x', data: '' },
    { name: '.wh.gone', data: '' },
    { name: 'opq/', type: 'directory', mode: 0o750, mtime: T },
    { name: 'opq/.wh..wh..opq', data: '' },
    { name: 'opq/c', data: 'c after opaque', mtime: T },
    { name: 'etc/motd', data: 'replaced\n', mode: 0o640, uid: 7, gid: 8, mtime: T },
    { name: 'was-dir', data: 'now a file', mtime: T },
    { name: 'was-file', type: 'symlink', linkname: 'etc/motd' },
  ];
  const l3: TarEntrySpec[] = [
    { name: 'gone/', type: 'directory', mode: 0o700, mtime: T },
    { name: 'gone/new', data: 'recreated', mtime: T },
    { name: 'lib/one', data: 'shared bytes', mode: 0o644, mtime: T },
    { name: 'lib/two', type: 'link', linkname: 'lib/one' },
    { name: 'lib/three', type: 'link', linkname: 'lib/one' },
    { name: 'bin/app.wasm', data: '\0asm\x01\0\0\0v2', mode: 0o755, mtime: T },
  ];
  return [l1, l2, l3];
}

describe('umoci cross-check', () => {
  itWithTools('umoci')('hand-made layers: whiteouts, opaque dirs, hard links, symlinks, modes, long names', async () => {
    const dir = path.join(mkdtempSync(path.join(os.tmpdir(), 'wv-umoci-')), 'layout');
    const [l1, l2, l3] = hostileFreeLayers();
    writeOciLayout(dir, {
      tag: 't',
      layers: [
        { tar: await makeTar(l1), compression: 'gzip' },
        { tar: await makeTar(l2), compression: 'none' },
        { tar: await makeTar(l3), compression: 'gzip' },
      ],
    });
    // a fourth layer added by umoci from a hand-made tar with an opaque marker at the root of del/
    const l4 = path.join(dir, '..', 'l4.tar');
    writeFileSync(l4, await makeTar([
      { name: 'del/.wh..wh..opq', data: '' },
      { name: 'del/z', data: 'z', mtime: T },
    ]));
    execFileSync('umoci', ['raw', 'add-layer', '--image', `${dir}:t`, l4], { stdio: 'pipe' });
    const n = await crossCheck(dir, 't');
    expect(n).toBeGreaterThan(20);
  });

  itWithTools('umoci', 'tar')('layers made by GNU tar and umoci insert from a real directory', async () => {
    const work = mkdtempSync(path.join(os.tmpdir(), 'wv-umoci-real-'));
    const dir = path.join(work, 'layout');
    execFileSync('umoci', ['init', '--layout', dir]);
    execFileSync('umoci', ['new', '--image', `${dir}:r`]);
    const src = path.join(work, 'src');
    mkdirSync(path.join(src, 'usr', 'share', 'x'.repeat(120)), { recursive: true });
    writeFileSync(path.join(src, 'usr', 'share', 'x'.repeat(120), 'y'.repeat(140)), 'gnu long name');
    writeFileSync(path.join(src, 'usr', 'data.bin'), Buffer.alloc(70_000, 7));
    linkSync(path.join(src, 'usr', 'data.bin'), path.join(src, 'usr', 'data.link'));
    symlinkSync('data.bin', path.join(src, 'usr', 'sym'));
    symlinkSync('/nonexistent/dangling', path.join(src, 'dangling'));
    chmodSync(path.join(src, 'usr', 'data.bin'), 0o6711);
    linkSync(path.join(src, 'usr', 'data.bin'), path.join(src, 'a-far-link')); // a hard link in another directory
    mkdirSync(path.join(src, 'sticky'), { mode: 0o1770 });
    chmodSync(path.join(src, 'sticky'), 0o1770);
    const tarFile = path.join(work, 'gnu.tar');
    execFileSync('tar', ['-C', src, '--format=gnu', '-cf', tarFile, '.']);
    execFileSync('umoci', ['raw', 'add-layer', '--image', `${dir}:r`, tarFile], { stdio: 'pipe' });
    const extra = path.join(work, 'extra');
    mkdirSync(path.join(extra, 'conf'), { recursive: true });
    writeFileSync(path.join(extra, 'conf', 'a.conf'), 'a=1');
    execFileSync('umoci', ['insert', '--image', `${dir}:r`, '--opaque', extra, '/usr'], { stdio: 'pipe' });
    execFileSync('umoci', ['insert', '--image', `${dir}:r`, '--whiteout', '/dangling'], { stdio: 'pipe' });
    const n = await crossCheck(dir, 'r');
    expect(n).toBeGreaterThan(3);
  });

  itWithTools('umoci')('entries under symlinks of lower layers land where the symlink leads, inside the root', async () => {
    const dir = path.join(mkdtempSync(path.join(os.tmpdir(), 'wv-umoci-sl-')), 'layout');
    writeOciLayout(dir, {
      tag: 's',
      layers: [
        { tar: await makeTar([
          { name: 'usr/lib/', type: 'directory', mtime: T },
          { name: 'lib', type: 'symlink', linkname: 'usr/lib' },
          { name: 'abs', type: 'symlink', linkname: '/usr' },
          { name: 'esc', type: 'symlink', linkname: '../../../../tmp' },
          { name: 'a', type: 'symlink', linkname: 'b' },
          { name: 'b', type: 'symlink', linkname: './usr/./lib/../lib' },
        ]) },
        { tar: await makeTar([
          { name: 'lib/foo', data: 'foo', mtime: T },
          { name: 'abs/bar', data: 'bar', mtime: T },
          { name: 'esc/baz', data: 'baz', mtime: T },
          { name: 'a/x/deep', data: 'deep', mtime: T },
          { name: 'lib/.wh.gone', data: '' },
        ]) },
      ],
    });
    const n = await crossCheck(dir, 's');
    expect(n).toBe(13);
  });

  itWithTools('umoci', 'tar')('a host tree (/etc, /usr/share/zoneinfo) through load and snapshots, as umoci unpacks it', async () => {
    const work = mkdtempSync(path.join(os.tmpdir(), 'wv-umoci-host-'));
    const dir = path.join(work, 'layout');
    execFileSync('umoci', ['init', '--layout', dir]);
    execFileSync('umoci', ['new', '--image', `${dir}:h`]);
    const tarFile = path.join(work, 'host.tar');
    execFileSync('tar', ['-C', '/', '--format=pax', '--numeric-owner', '--ignore-failed-read', '-cf', tarFile, 'etc', 'usr/share/zoneinfo'], { stdio: 'pipe' });
    execFileSync('umoci', ['raw', 'add-layer', '--image', `${dir}:h`, tarFile], { stdio: 'pipe' });
    execFileSync('umoci', ['insert', '--image', `${dir}:h`, '--whiteout', '/usr/share/zoneinfo/Europe'], { stdio: 'pipe' });
    execFileSync('umoci', ['insert', '--image', `${dir}:h`, '--whiteout', '/etc/passwd'], { stdio: 'pipe' });
    const { rootfs, owners } = umociUnpack(dir, 'h');
    const theirs = diskTree(rootfs, owners);
    const store = await openStore(path.join(work, 'store'));
    const [img] = await loadImages(store, dir);
    const { layers } = await prepareImage(store, img.name);
    for (const ours of [ourTree(layers, owners), kernelTree(layers, owners)]) {
      expect([...ours.keys()]).toEqual([...theirs.keys()]);
      for (const [p, row] of theirs) expect({ path: p, ...ours.get(p) }).toEqual({ path: p, ...row });
    }
    expect(theirs.size).toBeGreaterThan(500);
    expect(theirs.has('etc/passwd')).toBe(false);
  });
});
