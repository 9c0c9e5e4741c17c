import { describe, expect, it } from 'vitest';
import { E } from '../../../kernel/errno.js';
import { TmpFs } from '../../../kernel/fs/tmpfs.js';
import { MountNamespace } from '../../../kernel/vfs/mount_ns.js';
import { FakeHost } from '../../support/fake_host.js';
import { expectErr, Fx, ROOT } from './helpers.js';

describe('MountNamespace', () => {
  it('mounts, binds, lists, unmounts and clones', () => {
    const host = new FakeHost();
    const ns = new MountNamespace(new TmpFs(host, { source: 'rootfs' }));
    const fx = new Fx(ns);
    const data = new TmpFs(host, { source: 'data' });
    ns.mount('/mnt/data', data, { mkdirs: true });
    fx.mkdir('/mnt/data/sub');
    fx.write('/mnt/data/sub/f', 'f');
    ns.bind('/mnt/data/sub', '/sub', { mkdirs: true, readonly: true });
    expect(fx.read('/sub/f')).toBe('f');
    expectErr(() => fx.write('/sub/g', 'g'), E.ROFS);
    // `..` at a bind of a subdirectory leaves the bind, not into the bound filesystem.
    expect(fx.stat('/sub/..').ino).toBe(fx.stat('/').ino);
    expect(ns.mounts()).toEqual([
      { source: 'rootfs', target: '/', fsType: 'tmpfs', options: 'rw' },
      { source: 'data', target: '/mnt/data', fsType: 'tmpfs', options: 'rw' },
      { source: 'data', target: '/sub', fsType: 'tmpfs', options: 'ro' },
    ]);
    const pre = ns.openDirHandle(ROOT, '/mnt/data');
    const clone = ns.clone();
    clone.mount('/mnt', new TmpFs(host, { source: 'only-in-clone' }));
    expect(new Fx(clone).exists('/mnt/data')).toBe(false);
    expect(fx.read('/mnt/data/sub/f')).toBe('f');
    const moved = clone.translate(pre);
    // A handle taken before an overmount keeps seeing what it saw (as an open fd on Linux).
    expect(new Fx(clone).ops.stat(ROOT, moved, 'sub/f', true).size).toBe(1n);
    clone.umount('/mnt');
    expect(new Fx(clone).read('/mnt/data/sub/f')).toBe('f');
    expect(new Fx(clone).ops.stat(ROOT, moved, 'sub/f', true).size).toBe(1n);
    expectErr(() => ns.umount('/mnt'), E.INVAL);
    ns.umount('/sub');
    expect(fx.exists('/sub/f')).toBe(false);
    expectErr(() => ns.mount('/sub/nope', data), E.NOENT);
    expectErr(() => ns.mount('relative', data), E.INVAL);
  });
});
