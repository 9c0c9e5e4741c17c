/** WASI capability mode: handles created with `beneath` (preopens and what is opened through them). */
import { describe, expect, it } from 'vitest';
import { E } from '../../../kernel/errno.js';
import { TmpFs } from '../../../kernel/fs/tmpfs.js';
import { MountNamespace } from '../../../kernel/vfs/mount_ns.js';
import { type DirHandle, FdFlags, OFlags } from '../../../kernel/vfs/types.js';
import { FakeHost } from '../../support/fake_host.js';
import { expectErr, Fx, ROOT } from './helpers.js';

function setup() {
  const host = new FakeHost();
  const ns = new MountNamespace(new TmpFs(host));
  const fx = new Fx(ns);
  fx.mkdir('/pre');
  fx.mkdir('/pre/dir');
  fx.mkdir('/pre/dir/nested');
  fx.write('/pre/dir/nested/file', 'f');
  fx.write('/outside', 'o');
  fx.symlink('/pre/dir', '/pre/abs');
  fx.symlink('../outside', '/pre/up');
  fx.symlink('nested/../nested/file', '/pre/dir/rel');
  fx.symlink('/usr/lib', '/lib');
  fx.mkdir('/usr');
  fx.mkdir('/usr/lib');
  fx.write('/usr/lib/libc.so', 'libc');
  const pre = ns.openDirHandle(ROOT, '/pre', { beneath: true });
  const root = ns.rootHandle({ beneath: true });
  const ops = ns.pathOps;
  const read = (dir: DirHandle, p: string) => {
    const f = ops.open(ROOT, dir, p, { oflags: 0, fdflags: 0, followSymlinks: true, mode: { read: true, write: false } });
    const s = new TextDecoder().decode(f.read(100));
    f.release();
    return s;
  };
  return { ns, ops, pre, root, read };
}

describe('capability (beneath) handles', () => {
  it('allow paths that stay below the handle', () => {
    const { pre, read } = setup();
    expect(read(pre, 'dir/.//nested/../../dir/nested/../nested///./file')).toBe('f');
    expect(read(pre, 'dir/rel')).toBe('f');
  });

  it('refuse absolute paths, .. above the handle and escaping symlinks with EPERM', () => {
    const { pre, read, ops } = setup();
    expectErr(() => read(pre, '/pre/dir/nested/file'), E.PERM);
    expectErr(() => read(pre, 'dir/nested/../../../pre/dir/nested/file'), E.PERM);
    expectErr(() => read(pre, '..'), E.PERM);
    expectErr(() => read(pre, 'up'), E.PERM);
    expectErr(() => read(pre, 'abs/nested/file'), E.PERM);
    expectErr(() => ops.mkdir(ROOT, pre, '../x', 0o755), E.PERM);
    expectErr(() => ops.stat(ROOT, pre, '/', true), E.PERM);
    // Not following the last symlink: no escape, no error.
    expect(ops.readlink(ROOT, pre, 'up')).toBe('../outside');
  });

  it('directories opened through a beneath handle are beneath themselves', () => {
    const { pre, ops, read } = setup();
    const d = ops.open(ROOT, pre, 'dir', { oflags: OFlags.DIRECTORY, fdflags: FdFlags.NONBLOCK, followSymlinks: true, mode: { read: true, write: false } });
    expect(read(d.dir!, 'nested/file')).toBe('f');
    expectErr(() => read(d.dir!, '../dir/nested/file'), E.PERM);
  });

  it('at the namespace root, absolute symlinks resolve inside (container images)', () => {
    const { root, read } = setup();
    expect(read(root, 'lib/libc.so')).toBe('libc');
    expect(read(root, 'pre/abs/nested/file')).toBe('f');
    // `..` at the namespace root stays there, as on Linux; absolute paths are still refused.
    expect(read(root, '../outside')).toBe('o');
    expectErr(() => read(root, '/outside'), E.PERM);
  });

  it('a symlink with an absolute target can be made at the root only (wasi-testsuite symlink_create)', () => {
    const { ns, pre, root, ops } = setup();
    expectErr(() => ops.symlink(ROOT, '/', pre, 'to_root'), E.PERM);
    expectErr(() => ops.symlink(ROOT, '/usr/lib', pre, 'dir/x'), E.PERM);
    ops.symlink(ROOT, '../dir', pre, 'dir/relative');
    ops.symlink(ROOT, '/usr/lib', root, 'pre/from_root');
    expect(ops.readlink(ROOT, pre, 'from_root')).toBe('/usr/lib');
    // Without `beneath` (the Linux view inside the container) nothing changes.
    ops.symlink(ROOT, '/usr/lib', ns.openDirHandle(ROOT, '/pre'), 'plain');
    expect(ops.readlink(ROOT, pre, 'plain')).toBe('/usr/lib');
  });
});
