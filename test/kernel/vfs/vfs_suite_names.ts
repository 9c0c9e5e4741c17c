/** Shared VFS suite, part: symlinks, hard links, rename. See vfs_suite.ts. */
import { expect, it } from 'vitest';
import { E } from '../../../kernel/errno.js';
import { TmpFs } from '../../../kernel/fs/tmpfs.js';
import { FileType, OFlags } from '../../../kernel/vfs/types.js';
import { expectErr } from './helpers.js';
import type { SuiteSetup } from './vfs_suite.js';


/** Register the symlinks, hard links, rename tests. */
export function vfsSuiteNames(setup: SuiteSetup): void {
  it('symlinks: relative, absolute, dangling, loops, nofollow', () => {
    const { fx } = setup();
    fx.mkdir('/s');
    fx.symlink('../seed/a.txt', '/s/rel');
    fx.symlink('/seed/dir', '/s/abs');
    fx.symlink('nowhere', '/s/dangling');
    fx.symlink('loop2', '/s/loop1');
    fx.symlink('loop1', '/s/loop2');
    expect(fx.read('/s/rel')).toBe('alpha');
    expect(fx.read('/s/abs/b.txt')).toBe('beta');
    expect(fx.read('/s/abs/../a.txt')).toBe('alpha');
    expect(fx.readlink('/s/rel')).toBe('../seed/a.txt');
    expect(fx.stat('/s/rel', false).filetype).toBe(FileType.SYMBOLIC_LINK);
    expect(fx.stat('/s/rel', false).size).toBe(13n);
    expect(fx.stat('/s/rel').filetype).toBe(FileType.REGULAR_FILE);
    expectErr(() => fx.readlink('/seed/a.txt'), E.INVAL);
    expectErr(() => fx.readlink('/s/abs/'), E.INVAL);
    expectErr(() => fx.stat('/s/dangling'), E.NOENT);
    expect(fx.stat('/s/dangling', false).filetype).toBe(FileType.SYMBOLIC_LINK);
    expectErr(() => fx.open('/s/dangling', 0, false, 0, false), E.LOOP);
    expectErr(() => fx.open('/s/dangling', OFlags.DIRECTORY, false, 0, false), E.NOTDIR);
    expectErr(() => fx.open('/s/rel', 0, false, 0, false), E.LOOP);
    expectErr(() => fx.open('/s/loop1'), E.LOOP);
    expectErr(() => fx.stat('/s/loop1/x'), E.LOOP);
    expect(fx.stat('/s/loop1', false).filetype).toBe(FileType.SYMBOLIC_LINK);
    expectErr(() => fx.symlink('x', '/s/rel'), E.EXIST);
    expectErr(() => fx.symlink('x', '/s/newlink/'), E.NOENT);
    expectErr(() => fx.symlink('', '/s/empty'), E.NOENT);
    // O_CREAT through a dangling symlink creates its target.
    fx.write('/s/dangling', 'made');
    expect(fx.read('/s/nowhere')).toBe('made');
    expectErr(() => fx.open('/s/rel', OFlags.CREAT | OFlags.EXCL, true), E.EXIST);
    // A trailing slash follows a symlink to a directory.
    expect(fx.stat('/s/abs/').filetype).toBe(FileType.DIRECTORY);
    expectErr(() => fx.stat('/s/rel/'), E.NOTDIR);
    // unlink removes the link, not the target.
    fx.unlink('/s/abs');
    expect(fx.exists('/seed/dir/b.txt')).toBe(true);
  });

  it('symlink chains: 40 follows work, 41 give ELOOP', () => {
    const { fx } = setup();
    fx.mkdir('/c');
    fx.write('/c/target', 'end');
    fx.symlink('target', '/c/l0');
    for (let i = 1; i <= 40; i++) fx.symlink(`l${i - 1}`, `/c/l${i}`);
    expect(fx.read('/c/l39')).toBe('end');
    expectErr(() => fx.read('/c/l40'), E.LOOP);
  });

  it('symlinks through mounts, absolute targets resolve at the namespace root', () => {
    const { fx, ns, host } = setup();
    fx.mkdir('/mnt');
    ns.mount('/mnt', new TmpFs(host));
    fx.write('/mnt/inner', 'in');
    fx.symlink('/mnt/inner', '/toinner');
    fx.symlink('/seed/a.txt', '/mnt/out');
    fx.symlink('../seed/dir', '/mnt/up');
    expect(fx.read('/toinner')).toBe('in');
    expect(fx.read('/mnt/out')).toBe('alpha');
    expect(fx.read('/mnt/up/b.txt')).toBe('beta');
    expect(fx.read('/mnt/../seed/a.txt')).toBe('alpha');
    expect(fx.read('/../../seed/../../seed/a.txt')).toBe('alpha');
    expect(fx.stat('/mnt').dev).not.toBe(fx.stat('/').dev);
    expect(fx.stat('/mnt/..').ino).toBe(fx.stat('/').ino);
    expectErr(() => fx.rmdir('/mnt'), E.BUSY);
  });

  it('hard links', () => {
    const { fx, ns, host } = setup();
    fx.write('/a', 'one');
    fx.link('/a', '/b');
    expect(fx.stat('/a').nlink).toBe(2n);
    expect(fx.stat('/a').ino).toBe(fx.stat('/b').ino);
    fx.append('/b', 'two');
    expect(fx.read('/a')).toBe('onetwo');
    fx.unlink('/a');
    expect(fx.stat('/b').nlink).toBe(1n);
    expectErr(() => fx.link('/seed', '/dirlink'), E.PERM);
    expectErr(() => fx.link('/b', '/seed/a.txt'), E.EXIST);
    expectErr(() => fx.link('/missing', '/x'), E.NOENT);
    expectErr(() => fx.link('/b', '/x/'), E.NOENT);
    fx.mkdir('/mnt');
    ns.mount('/mnt', new TmpFs(host));
    expectErr(() => fx.link('/b', '/mnt/b'), E.XDEV);
    // Linking a symlink itself, or what it points to.
    fx.link('/seed/link', '/l2');
    expect(fx.stat('/l2', false).filetype).toBe(FileType.SYMBOLIC_LINK);
    fx.link('/seed/link', '/l3', true);
    expect(fx.stat('/l3', false).filetype).toBe(FileType.REGULAR_FILE);
    expect(fx.stat('/l3').ino).toBe(fx.stat('/seed/a.txt').ino);
    // Seed hard links stay one file when written through either name.
    fx.append('/seed/hard1', '+1');
    expect(fx.read('/seed/hard2')).toBe('shared+1');
    expect(fx.stat('/seed/hard2').ino).toBe(fx.stat('/seed/hard1').ino);
    expect(fx.stat('/seed/hard2').nlink).toBe(2n);
    fx.unlink('/seed/hard1');
    expect(fx.stat('/seed/hard2').nlink).toBe(1n);
    expect(fx.read('/seed/hard2')).toBe('shared+1');
  });

  it('rename: replace, errors, same inode, into own subdir, trailing slashes', () => {
    const { fx, ns, host } = setup();
    fx.write('/x', 'X');
    fx.write('/y', 'Y');
    const ino = fx.stat('/x').ino;
    fx.rename('/x', '/y');
    expect(fx.exists('/x')).toBe(false);
    expect(fx.read('/y')).toBe('X');
    expect(fx.stat('/y').ino).toBe(ino);
    fx.mkdir('/d1');
    fx.mkdir('/d2');
    fx.write('/d2/f', 'f');
    expectErr(() => fx.rename('/y', '/d1'), E.ISDIR);
    expectErr(() => fx.rename('/d1', '/y'), E.NOTDIR);
    expectErr(() => fx.rename('/d1', '/d2'), E.NOTEMPTY);
    expectErr(() => fx.rename('/d1', '/d1/sub'), E.INVAL);
    fx.mkdir('/d1/sub');
    expectErr(() => fx.rename('/d1', '/d1/sub/deeper'), E.INVAL);
    expectErr(() => fx.rename('/missing', '/z'), E.NOENT);
    expectErr(() => fx.rename('/y/', '/z'), E.NOTDIR);
    expectErr(() => fx.rename('/y', '/z/'), E.NOTDIR);
    expectErr(() => fx.rename('/d1/.', '/z'), E.BUSY);
    fx.mkdir('/empty');
    fx.rename('/d1', '/empty/');
    expect(fx.ls('/empty')).toEqual(['sub']);
    expect(fx.stat('/empty/sub/..').ino).toBe(fx.stat('/empty').ino);
    // Same inode through two names: nothing happens.
    fx.link('/y', '/y2');
    fx.rename('/y', '/y2');
    expect(fx.exists('/y')).toBe(true);
    expect(fx.exists('/y2')).toBe(true);
    fx.rename('/y', '/y');
    expect(fx.read('/y')).toBe('X');
    // Across mounts.
    fx.mkdir('/mnt');
    ns.mount('/mnt', new TmpFs(host));
    expectErr(() => fx.rename('/y', '/mnt/y'), E.XDEV);
    expectErr(() => fx.rename('/mnt', '/mnt2'), E.BUSY);
    // Directory moves update nlink and ..
    const n = fx.stat('/').nlink;
    fx.rename('/empty/sub', '/d2/sub');
    expect(fx.stat('/d2').nlink).toBe(3n);
    expect(fx.stat('/empty').nlink).toBe(2n);
    expect(fx.stat('/').nlink).toBe(n);
    expect(fx.stat('/d2/sub/..').ino).toBe(fx.stat('/d2').ino);
  });

  it('rename of seed (lower) files and directories', () => {
    const { fx } = setup();
    fx.rename('/seed/a.txt', '/seed/renamed.txt');
    expect(fx.read('/seed/renamed.txt')).toBe('alpha');
    expect(fx.exists('/seed/a.txt')).toBe(false);
    const ino = fx.stat('/seed/dir').ino;
    fx.rename('/seed/dir', '/moved');
    expect(fx.exists('/seed/dir')).toBe(false);
    expect(fx.ls('/moved')).toEqual(['b.txt', 'sub']);
    expect(fx.read('/moved/sub/c.txt')).toBe('gamma');
    expect(fx.stat('/moved').ino).toBe(ino);
    expect(fx.ls('/seed')).toEqual(['empty', 'hard1', 'hard2', 'link', 'renamed.txt', 'secret']);
    // A new directory at the old name is empty: nothing shows through.
    fx.mkdir('/seed/dir');
    expect(fx.ls('/seed/dir')).toEqual([]);
    // Rename over a seed directory that is empty.
    fx.rename('/moved', '/seed/empty');
    expect(fx.read('/seed/empty/b.txt')).toBe('beta');
    // Rename a file over a seed file.
    fx.write('/new', 'N');
    fx.rename('/new', '/seed/secret');
    expect(fx.read('/seed/secret')).toBe('N');
    fx.unlink('/seed/secret');
    expect(fx.exists('/seed/secret')).toBe(false);
    fx.rename('/seed/hard1', '/h1');
    fx.append('/h1', '!');
    expect(fx.read('/seed/hard2')).toBe('shared!');
  });
}
