import { describe, expect, it } from 'vitest';
import { E } from '../../../kernel/errno.js';
import { OverlayFs } from '../../../kernel/fs/overlay.js';
import { isWhiteout, TmpDir } from '../../../kernel/fs/tmpfs.js';
import { MountNamespace } from '../../../kernel/vfs/mount_ns.js';
import { OFlags } from '../../../kernel/vfs/types.js';
import { FakeHost } from '../../support/fake_host.js';
import { expectErr, Fx } from '../vfs/helpers.js';
import { vfsSuite } from '../vfs/vfs_suite.js';
import { vfsReadOnlySuite } from '../vfs/vfs_ro_suite.js';
import { dir, file, LAYER_TIME, seedLayers, snapshot, tree } from './layer_fixtures.js';

const layers = seedLayers();
const before = layers.map(snapshot);

vfsSuite('overlay', () => {
  const host = new FakeHost();
  const ns = new MountNamespace(new OverlayFs(layers, host));
  return { ns, host };
});

vfsReadOnlySuite('overlay (read-only mount)', () => {
  const host = new FakeHost();
  return { ns: new MountNamespace(new OverlayFs(layers, host), { readonly: true }), host };
});

function setup() {
  const host = new FakeHost();
  const ov = new OverlayFs(layers, host);
  const ns = new MountNamespace(ov);
  return { host, ov, ns, fx: new Fx(ns) };
}

/** The upper directory at `path` (names only). */
function upperDir(ov: OverlayFs, path: string): TmpDir {
  let d: TmpDir = ov.upper.root;
  for (const p of path.split('/').filter(Boolean)) d = d.entries.get(p) as TmpDir;
  return d;
}

describe('overlay specifics', () => {
  it('merges layers: whiteouts hide, opaque dirs hide, top wins', () => {
    const { fx } = setup();
    expect(fx.exists('/seed/gone')).toBe(false);
    expect(fx.read('/seed/a.txt')).toBe('alpha');
    expect(fx.ls('/opq')).toEqual(['y']);
    expect(fx.ls('/merged')).toEqual(['both', 'bottom', 'dir', 'top']);
    expect(fx.read('/merged/both')).toBe('top wins');
    expect(fx.ls('/merged/dir')).toEqual(['b', 't']);
    expect(fx.stat('/merged').nlink).toBe(3n);
  });

  it('copies up on write, keeping metadata; reading does not copy up', () => {
    const { fx, ov, host } = setup();
    fx.read('/seed/dir/b.txt');
    expect(ov.upper.root.entries.size).toBe(0);
    const st0 = fx.stat('/seed/dir/b.txt');
    host.advance(1000n);
    fx.append('/seed/dir/b.txt', '!');
    const up = upperDir(ov, '/seed/dir');
    expect(up.entries.has('b.txt')).toBe(true);
    expect(up.entries.has('sub')).toBe(false);
    const st1 = fx.stat('/seed/dir/b.txt');
    expect(st1.ino).toBe(st0.ino);
    expect(st1.mode).toBe(st0.mode);
    expect(st1.mtim).toBe(host.nowNs);
    // Parents copied up keep their times.
    expect(fx.stat('/seed/dir').mtim).toBe(LAYER_TIME);
    expect(fx.read('/seed/dir/b.txt')).toBe('beta!');
    // Metadata-only change copies up too.
    fx.ops.setTimes(fx.cred, fx.root, '/seed/secret', true, 5n, 6n);
    expect(upperDir(ov, '/seed').entries.has('secret')).toBe(true);
    expect(fx.stat('/seed/secret').mode).toBe(0o600);
    expect(fx.read('/seed/secret')).toBe('secret');
  });

  it('unlink and rmdir of lower names leave whiteouts', () => {
    const { fx, ov } = setup();
    fx.unlink('/seed/a.txt');
    fx.unlink('/merged/dir/b');
    fx.unlink('/merged/dir/t');
    fx.rmdir('/merged/dir');
    expect(isWhiteout(upperDir(ov, '/seed').entries.get('a.txt'))).toBe(true);
    expect(isWhiteout(upperDir(ov, '/merged').entries.get('dir'))).toBe(true);
    expect(fx.exists('/seed/a.txt')).toBe(false);
    expect(fx.exists('/merged/dir')).toBe(false);
    expect(fx.ls('/merged')).toEqual(['both', 'bottom', 'top']);
    // A new file over a whiteout; removing it again restores the whiteout.
    fx.write('/seed/a.txt', 'again');
    expect(fx.read('/seed/a.txt')).toBe('again');
    fx.unlink('/seed/a.txt');
    expect(isWhiteout(upperDir(ov, '/seed').entries.get('a.txt'))).toBe(true);
    // An upper-only file leaves no whiteout.
    fx.write('/seed/tmp', 't');
    fx.unlink('/seed/tmp');
    expect(upperDir(ov, '/seed').entries.has('tmp')).toBe(false);
  });

  it('a directory recreated over a whiteout is opaque', () => {
    const { fx, ov } = setup();
    for (const n of fx.ls('/merged/dir')) fx.unlink(`/merged/dir/${n}`);
    fx.rmdir('/merged/dir');
    fx.mkdir('/merged/dir');
    expect(fx.ls('/merged/dir')).toEqual([]);
    expect(upperDir(ov, '/merged/dir').opaque).toBe(true);
    // A fresh overlay over the same upper sees the same thing.
    const again = new Fx(new MountNamespace(new OverlayFs(layers, new FakeHost(), { upper: ov.upper })));
    expect(again.ls('/merged/dir')).toEqual([]);
    expect(again.ls('/merged')).toEqual(['both', 'bottom', 'dir', 'top']);
  });

  it('hard links survive copy-up: both names are one upper file', () => {
    const { fx, ov } = setup();
    const ino = fx.stat('/seed/hard1').ino;
    fx.write('/seed/hard2', 'rewritten', OFlags.TRUNC);
    expect(fx.read('/seed/hard1')).toBe('rewritten');
    const up = upperDir(ov, '/seed');
    expect(up.entries.get('hard1')).toBe(up.entries.get('hard2'));
    expect(fx.stat('/seed/hard1').nlink).toBe(2n);
    expect(fx.stat('/seed/hard1').ino).toBe(ino);
    expect(fx.stat('/seed/hard2').ino).toBe(ino);
    // Unlinking an untouched hard-linked lower name keeps the count right.
    const s = setup();
    s.fx.unlink('/seed/hard1');
    expect(s.fx.stat('/seed/hard2').nlink).toBe(1n);
    expect(s.fx.read('/seed/hard2')).toBe('shared');
  });

  it('an open read-only description sees the copied-up data', () => {
    const { fx } = setup();
    const r = fx.open('/seed/a.txt');
    fx.write('/seed/a.txt', 'ALPHA', OFlags.TRUNC);
    expect(new TextDecoder().decode(r.read(10))).toBe('ALPHA');
    r.release();
  });

  it('renames lower directories by copying the subtree up, opaque at the new name', () => {
    const { fx, ov } = setup();
    fx.rename('/merged/dir', '/moved');
    expect(fx.ls('/moved')).toEqual(['b', 't']);
    expect(upperDir(ov, '/moved').opaque).toBe(true);
    expect(isWhiteout(upperDir(ov, '/merged').entries.get('dir'))).toBe(true);
    expect(fx.exists('/merged/dir')).toBe(false);
    fx.rename('/moved', '/merged/dir');
    expect(fx.ls('/merged/dir')).toEqual(['b', 't']);
    fx.unlink('/merged/dir/b');
    expect(fx.ls('/merged/dir')).toEqual(['t']);
    const again = new Fx(new MountNamespace(new OverlayFs(layers, new FakeHost(), { upper: ov.upper })));
    expect(again.ls('/merged/dir')).toEqual(['t']);
    expect(again.exists('/moved')).toBe(false);
  });

  it('inode numbers are stable across copy-up and between calls', () => {
    const { fx } = setup();
    const paths = ['/seed', '/seed/a.txt', '/seed/dir', '/seed/dir/sub/c.txt', '/merged/both'];
    const inos = paths.map((p) => fx.stat(p).ino);
    expect(new Set(inos).size).toBe(inos.length);
    fx.append('/seed/dir/sub/c.txt', 'x');
    fx.append('/merged/both', 'x');
    expect(paths.map((p) => fx.stat(p).ino)).toEqual(inos);
  });

  it('charges the upper and honours its limit', () => {
    const host = new FakeHost();
    const big = tree('big', dir({ f: file(new Uint8Array(1 << 20)) }));
    const ov = new OverlayFs([big], host, { limit: 1 << 19 });
    const fx = new Fx(new MountNamespace(ov));
    expectErr(() => fx.append('/f', 'x'), E.NOSPC);
    expect(ov.upper.root.entries.size).toBe(0);
    expect(fx.stat('/f').size).toBe(BigInt(1 << 20));
    fx.write('/small', 'abc');
    expect(ov.bytesUsed).toBeGreaterThan(0);
  });

  it('never mutates the lower trees', () => {
    // Runs last in this file: every test above used the same `layers`.
    expect(layers.map(snapshot)).toEqual(before);
  });
});

describe('invariant checkers', () => {
  it('hold after a run of overlay operations', async () => {
    const { overlayViolations } = await import('../../../kernel/fs/invariants.js');
    const { fx, ov } = setup();
    fx.append('/seed/hard1', '+');
    fx.rename('/merged/dir', '/moved');
    fx.unlink('/seed/a.txt');
    fx.mkdir('/new');
    fx.write('/new/f', 'x');
    fx.rename('/new/f', '/seed/f');
    fx.rmdir('/seed/empty');
    expect(overlayViolations(ov)).toEqual([]);
    // A broken invariant is reported.
    ov.upper.root.nlink += 1;
    expect(overlayViolations(ov).length).toBeGreaterThan(0);
    ov.upper.root.nlink -= 1;
    expect(layers.map(snapshot)).toEqual(before);
  });
});
