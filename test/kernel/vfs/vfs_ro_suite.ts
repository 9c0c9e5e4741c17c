/**
 * The read-only part of the shared VFS suite: what every filesystem that
 * can hold the seed tree must do for reads (layerfs runs it too; tmpfs and
 * overlay run it through a read-only mount). Every modification is EROFS.
 */
import { describe, expect, it } from 'vitest';
import { E } from '../../../kernel/errno.js';
import { FileType, OFlags } from '../../../kernel/vfs/types.js';
import { expectErr, Fx, USER } from './helpers.js';
import type { VfsFixture } from './vfs_suite.js';

/** Run the read-only suite: `make` returns a namespace whose root holds the seed tree, read-only. */
export function vfsReadOnlySuite(name: string, make: () => VfsFixture): void {
  const setup = () => new Fx(make().ns);

  describe(`${name}: read-only VFS suite`, () => {
    it('reads the seed tree', () => {
      const fx = setup();
      expect(fx.ls('/seed')).toEqual(['a.txt', 'dir', 'empty', 'hard1', 'hard2', 'link', 'secret']);
      expect(fx.read('/seed/dir/sub/c.txt')).toBe('gamma');
      expect(fx.read('/seed/link')).toBe('alpha');
      expect(fx.readlink('/seed/link')).toBe('a.txt');
      expect(fx.stat('/seed/link', false).filetype).toBe(FileType.SYMBOLIC_LINK);
      expect(fx.stat('/seed/hard1').nlink).toBe(2n);
      expect(fx.stat('/seed/hard1').ino).toBe(fx.stat('/seed/hard2').ino);
      expect(fx.stat('/seed/dir').nlink).toBe(3n);
      expect(fx.stat('/seed/a.txt').mtim).toBe(1_600_000_000_000_000_007n);
      expect(fx.stat('/seed/dir/..').ino).toBe(fx.stat('/seed').ino);
      expectErr(() => fx.open('/seed/a.txt/'), E.NOTDIR);
      expectErr(() => fx.open('/seed/nope'), E.NOENT);
      expectErr(() => fx.readlink('/seed/a.txt'), E.INVAL);
    });

    it('readdir: . and .., cookies, types', () => {
      const fx = setup();
      const d = fx.open('/seed', OFlags.DIRECTORY);
      const all = d.readdir(0n);
      expect(all.slice(0, 2).map((e) => e.name)).toEqual(['.', '..']);
      expect(all[0].ino).toBe(fx.stat('/seed').ino);
      expect(all[1].ino).toBe(fx.stat('/').ino);
      const paged: string[] = [];
      let c = 0n;
      for (;;) {
        const p = d.readdir(c, 2);
        if (p.length === 0) break;
        paged.push(...p.map((e) => e.name));
        c = p[p.length - 1].next;
      }
      expect(paged).toEqual(all.map((e) => e.name));
      expect(all.find((e) => e.name === 'link')!.filetype).toBe(FileType.SYMBOLIC_LINK);
      expect(all.find((e) => e.name === 'dir')!.filetype).toBe(FileType.DIRECTORY);
      expect(all.find((e) => e.name === 'a.txt')!.ino).toBe(fx.stat('/seed/a.txt').ino);
      d.release();
    });

    it('every modification is EROFS', () => {
      const fx = setup();
      expectErr(() => fx.write('/seed/new', 'x'), E.ROFS);
      expectErr(() => fx.open('/seed/a.txt', 0, true), E.ROFS);
      expectErr(() => fx.open('/seed/a.txt', OFlags.TRUNC), E.ROFS);
      expectErr(() => fx.mkdir('/seed/d'), E.ROFS);
      expectErr(() => fx.rmdir('/seed/empty'), E.ROFS);
      expectErr(() => fx.unlink('/seed/a.txt'), E.ROFS);
      expectErr(() => fx.rename('/seed/a.txt', '/seed/b'), E.ROFS);
      expectErr(() => fx.link('/seed/a.txt', '/seed/b'), E.ROFS);
      expectErr(() => fx.symlink('x', '/seed/s'), E.ROFS);
      expectErr(() => fx.ops.setTimes(fx.cred, fx.root, '/seed/a.txt', true, 1n, 1n), E.ROFS);
      expectErr(() => fx.mkdir('/seed/dir'), E.EXIST);
      expect(fx.read('/seed/a.txt')).toBe('alpha');
    });

    it('permissions for an unprivileged user', () => {
      const u = setup().as(USER);
      expect(u.read('/seed/a.txt')).toBe('alpha');
      expectErr(() => u.read('/seed/secret'), E.ACCES);
    });
  });
}
