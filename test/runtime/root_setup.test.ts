import { describe, expect, it } from 'vitest';
import { E } from '../../kernel/errno.js';
import { OverlayFs } from '../../kernel/fs/overlay.js';
import { TmpDir, TmpFile, TmpFs, type TmpNode } from '../../kernel/fs/tmpfs.js';
import { createNodeHost } from '../../src/host/node_host.js';
import type { FileSystem } from '../../kernel/vfs/superblock.js';
import { prepareRoot, RootSetupError, type RootSpec } from '../../src/runtime/root_setup.js';

const host = createNodeHost();
const enc = new TextEncoder();

/** Every node under `dir` as `path mode uid:gid kind size`, sorted (what a guest could tell apart). */
function tree(dir: TmpDir, prefix = ''): string[] {
  const out: string[] = [];
  for (const e of dir.entries.after(0, 1000)) {
    const n = e.value as TmpNode;
    const path = `${prefix}/${e.name}`;
    const kind = n instanceof TmpDir ? 'dir' : n instanceof TmpFile ? `file ${new TextDecoder().decode(n.data.read(0, 1 << 20))}` : 'other';
    out.push(`${path} ${n.mode.toString(8)} ${n.uid}:${n.gid} nlink=${n.nlink} ${kind} alloc=${n instanceof TmpFile ? n.data.allocatedBytes : 0}`);
    if (n instanceof TmpDir) out.push(...tree(n, path));
  }
  return out.sort();
}

/** A tmpfs seen through a plain FileSystem record, which prepareRoot can only walk. */
function walkOnly(fs: TmpFs): FileSystem {
  return { sb: fs.sb, root: fs.root, source: fs.source };
}

/** The spec made directly in an empty overlay's upper, and through the path walk. */
function both(spec: RootSpec): { direct: OverlayFs; walked: TmpFs } {
  const direct = new OverlayFs([], host);
  prepareRoot(direct, spec);
  const walked = new TmpFs(host);
  prepareRoot(walkOnly(walked), spec);
  return { direct, walked };
}

describe('prepareRoot', () => {
  it('writes an empty root directly as the path walk does: modes, owners, parents, contents, charges', () => {
    const spec: RootSpec = {
      dirs: [{ path: '/tmp', mode: 0o1777 }, '/dev', '/proc', '/etc', '/sys/fs/cgroup', '/data/deep/er', { path: '/etc/conf.d', mode: 0o700 }],
      files: [
        { path: '/etc/hostname', data: enc.encode('box\n') },
        { path: '/srv/www/index.html', data: enc.encode('<p>hi</p>') },
        { path: '/etc/hostname', data: enc.encode('again\n') },
        { path: '/top', data: new Uint8Array(0) },
      ],
      readonly: true,
    };
    const { direct, walked } = both(spec);
    expect(tree(direct.upper.root)).toEqual(tree(walked.root));
    expect(tree(direct.upper.root)).toContain('/etc/hostname 644 0:0 nlink=1 file again\n alloc=64');
    expect(direct.upper.account.used).toBe(walked.account.used);
    // a container without lowers has a bare tmpfs root: written directly too, the same
    const bare = new TmpFs(host);
    prepareRoot(bare, spec);
    expect(tree(bare.root)).toEqual(tree(walked.root));
    expect(bare.account.used).toBe(walked.account.used);
  });

  it('still sees what it made through the overlay, and the namespace is read-only when asked', () => {
    const fs = new OverlayFs([], host);
    const ns = prepareRoot(fs, { dirs: ['/a/b'], files: [{ path: '/a/f', data: enc.encode('x') }], readonly: true });
    const names = fs.root.lookup('a')?.readdir(0, 10, { uid: 0, gid: 0 }).map((e) => e.name);
    expect(names).toEqual(['b', 'f']);
    expect(() => ns.pathOps.mkdir({ uid: 0, gid: 0 }, ns.rootHandle(), '/c', 0o755)).toThrow(E.ROFS);
  });

  it('leaves what the direct path cannot do to the walk, with the walk\'s errors', () => {
    // a file where a mount point wants a directory: EISDIR from the open, as before
    const spec: RootSpec = { dirs: ['/etc/hostname'], files: [{ path: '/etc/hostname', data: enc.encode('h\n') }], readonly: false };
    expect(() => prepareRoot(new OverlayFs([], host), spec)).toThrow(E.ISDIR);
    expect(() => prepareRoot(walkOnly(new TmpFs(host)), spec)).toThrow(E.ISDIR);
    // a file that is the parent of a later one: ENOTDIR from the open, as before
    const under: RootSpec = { dirs: [], files: [{ path: '/f', data: enc.encode('1') }, { path: '/f/g', data: enc.encode('2') }], readonly: false };
    expect(() => prepareRoot(new OverlayFs([], host), under)).toThrow(E.NOTDIR);
    expect(() => prepareRoot(walkOnly(new TmpFs(host)), under)).toThrow(E.NOTDIR);
    // a seeded file where a mount point is: EISDIR, as before
    const over: RootSpec = { dirs: ['/f/g'], files: [{ path: '/f', data: enc.encode('1') }], readonly: false };
    expect(() => prepareRoot(new OverlayFs([], host), over)).toThrow(E.ISDIR);
    expect(() => prepareRoot(walkOnly(new TmpFs(host)), over)).toThrow(E.ISDIR);
    // no room for a directory: the same RootSetupError either way
    const full: RootSpec = { dirs: ['/tmp'], readonly: false };
    expect(() => prepareRoot(new OverlayFs([], host, { limit: 100 }), full)).toThrow(RootSetupError);
    expect(() => prepareRoot(new OverlayFs([], host, { limit: 100 }), full)).toThrow(/cannot create \/tmp in the container for \/tmp: .*NOSPC|no space/i);
    expect(() => prepareRoot(walkOnly(new TmpFs(host, { limit: 100 })), full)).toThrow(RootSetupError);
    // "." and "//" in a path are resolved by the walk
    const { direct, walked } = both({ dirs: ['/x/./y', '/z//w/'], readonly: false });
    expect(tree(direct.upper.root)).toEqual(tree(walked.root));
    expect(tree(direct.upper.root).map((l) => l.split(' ')[0])).toEqual(['/x', '/x/y', '/z', '/z/w']);
  });

  it('a root whose upper is already used goes through the walk, which finds what is there', () => {
    const lower = new OverlayFs([], host);
    prepareRoot(lower, { dirs: ['/etc'], files: [{ path: '/etc/passwd', data: enc.encode('root:x:0:0::/root:/bin/sh\n') }], readonly: false });
    const used = new OverlayFs([], host, { upper: lower.upper });
    // a used upper is not empty: the walk again, which finds /etc there
    prepareRoot(used, { dirs: ['/etc'], files: [{ path: '/etc/hostname', data: enc.encode('h\n') }], readonly: false });
    expect(tree(lower.upper.root).map((l) => l.split(' ')[0])).toEqual(['/etc', '/etc/hostname', '/etc/passwd']);
  });
});
