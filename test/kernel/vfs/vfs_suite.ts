/**
 * The shared VFS suite: every writable filesystem that can be a container's
 * root (tmpfs, overlay) runs it. The factory returns a namespace whose root
 * is the filesystem under test, already holding the seed tree below (an
 * overlay keeps it in its lower layers, so the same tests exercise copy-up):
 *
 *   /seed/a.txt "alpha"            /seed/dir/b.txt "beta"
 *   /seed/dir/sub/c.txt "gamma"    /seed/link -> a.txt
 *   /seed/hard1, /seed/hard2: one file "shared" (2 links)
 *   /seed/empty/                   /seed/secret 0600 "secret"
 */
import { describe, expect, it } from 'vitest';
import { E } from '../../../kernel/errno.js';
import { TmpFs } from '../../../kernel/fs/tmpfs.js';
import type { MountNamespace } from '../../../kernel/vfs/mount_ns.js';
import { FdFlags, FileType, OFlags, Whence } from '../../../kernel/vfs/types.js';
import type { FakeHost } from '../../support/fake_host.js';
import { expectErr, Fx, USER } from './helpers.js';

/** What a suite run gets from the filesystem under test. */
export interface VfsFixture {
  ns: MountNamespace;
  host: FakeHost;
}

/** The seed tree's files and contents, for factories that build it. */
export const SEED_FILES: Record<string, string> = {
  'a.txt': 'alpha',
  'dir/b.txt': 'beta',
  'dir/sub/c.txt': 'gamma',
  secret: 'secret',
};

const enc = new TextEncoder();
const dec = new TextDecoder();

/** Run the shared suite against filesystems made by `make`. */
export function vfsSuite(name: string, make: () => VfsFixture): void {
  const setup = () => {
    const f = make();
    return { ...f, fx: new Fx(f.ns) };
  };

  describe(`${name}: VFS suite`, () => {
    it('seed tree is visible', () => {
      const { fx } = setup();
      expect(fx.ls('/seed')).toEqual(['a.txt', 'dir', 'empty', 'hard1', 'hard2', 'link', 'secret']);
      expect(fx.read('/seed/a.txt')).toBe('alpha');
      expect(fx.read('seed/dir/sub/c.txt')).toBe('gamma');
      expect(fx.read('/seed/link')).toBe('alpha');
      expect(fx.stat('/seed/hard1').nlink).toBe(2n);
      expect(fx.stat('/seed/hard1').ino).toBe(fx.stat('/seed/hard2').ino);
    });

    it('create, write, read, seek, pread/pwrite, append, truncate', () => {
      const { fx } = setup();
      const f = fx.open('/f', OFlags.CREAT | OFlags.EXCL, true);
      expect(f.write(enc.encode('hello world'))).toBe(11);
      expect(f.tell()).toBe(11n);
      expect(f.seek(0n, Whence.SET)).toBe(0n);
      expect(dec.decode(f.read(5))).toBe('hello');
      expect(dec.decode(f.pread(5, 6n))).toBe('world');
      expect(f.tell()).toBe(5n);
      f.pwrite(enc.encode('W'), 6n);
      expect(f.seek(-5n, Whence.END)).toBe(6n);
      expect(dec.decode(f.read(100))).toBe('World');
      expect(f.read(10).length).toBe(0);
      expectErr(() => f.seek(-100n, Whence.CUR), E.INVAL);
      expectErr(() => f.seek(0n, 7), E.INVAL);
      f.truncate(5n);
      expect(f.stat().size).toBe(5n);
      f.truncate(8n);
      expect([...f.pread(10, 0n)]).toEqual([...enc.encode('hello'), 0, 0, 0]);
      f.release();
      fx.append('/f', '!');
      expect(fx.stat('/f').size).toBe(9n);
      expect(fx.read('/f').endsWith('\0!')).toBe(true);
      fx.write('/f', 'new', OFlags.TRUNC);
      expect(fx.read('/f')).toBe('new');
      const g = fx.open('/f', 0, true, FdFlags.APPEND);
      g.seek(0n, Whence.SET);
      g.write(enc.encode('+'));
      expect(g.tell()).toBe(4n);
      expect(g.fdflags & FdFlags.APPEND).toBe(FdFlags.APPEND);
      g.release();
      expect(fx.read('/f')).toBe('new+');
      const r = fx.open('/f');
      expectErr(() => r.write(enc.encode('x')), E.BADF);
      expectErr(() => r.allocate(0n, 100n), E.BADF);
      expectErr(() => r.truncate(0n), E.INVAL);
      r.release();
    });

    it('allocate grows, holes read as zeros, large offsets', () => {
      const { fx } = setup();
      const f = fx.open('/h', OFlags.CREAT, true);
      f.allocate(10n, 20n);
      expect(f.stat().size).toBe(30n);
      expectErr(() => f.allocate(0n, 0n), E.INVAL);
      f.pwrite(enc.encode('end'), 1_000_000n);
      expect(f.stat().size).toBe(1_000_003n);
      const mid = f.pread(10, 500_000n);
      expect([...mid]).toEqual(new Array(10).fill(0));
      expect(dec.decode(f.pread(3, 1_000_000n))).toBe('end');
      expect(f.pread(10, 1n << 60n).length).toBe(0);
      f.release();
    });

    it('open errors: EXCL, NOENT, trailing slash, dirs, NUL, long names, empty', () => {
      const { fx } = setup();
      fx.write('/f', 'x');
      expectErr(() => fx.open('/f', OFlags.CREAT | OFlags.EXCL, true), E.EXIST);
      expectErr(() => fx.open('/missing'), E.NOENT);
      expectErr(() => fx.open('/missing/x'), E.NOENT);
      expectErr(() => fx.open('/f/'), E.NOTDIR);
      expectErr(() => fx.open('/f/x'), E.NOTDIR);
      expectErr(() => fx.open('/new/', OFlags.CREAT, true), E.ISDIR);
      expectErr(() => fx.open('/seed', 0, true), E.ISDIR);
      expectErr(() => fx.open('/seed', OFlags.TRUNC), E.ISDIR);
      expectErr(() => fx.open('/seed', OFlags.CREAT), E.ISDIR);
      expectErr(() => fx.open('/f', OFlags.DIRECTORY), E.NOTDIR);
      expectErr(() => fx.open('/f\0'), E.INVAL);
      expectErr(() => fx.open('/se\0ed/a.txt'), E.INVAL);
      expectErr(() => fx.open(''), E.NOENT);
      expectErr(() => fx.open('/' + 'n'.repeat(256), OFlags.CREAT, true), E.NAMETOOLONG);
      expectErr(() => fx.open('/' + 'é'.repeat(128), OFlags.CREAT, true), E.NAMETOOLONG);
      fx.write('/' + 'n'.repeat(255), 'ok');
      expect(fx.read('/' + 'n'.repeat(255))).toBe('ok');
      expectErr(() => fx.open('/a'.repeat(2100)), E.NAMETOOLONG);
      const d = fx.open('/seed/', OFlags.DIRECTORY);
      expect(d.filetype).toBe(FileType.DIRECTORY);
      expectErr(() => d.read(1), E.ISDIR);
      d.release();
      expect(fx.read('/seed/./dir/../a.txt')).toBe('alpha');
      expect(fx.read('//seed///a.txt')).toBe('alpha');
    });

    it('mkdir, rmdir, unlink and their errors', () => {
      const { fx } = setup();
      const n0 = fx.stat('/').nlink;
      fx.mkdir('/d');
      expect(fx.stat('/').nlink).toBe(n0 + 1n);
      expect(fx.stat('/d').nlink).toBe(2n);
      expectErr(() => fx.mkdir('/d'), E.EXIST);
      expectErr(() => fx.mkdir('/seed/a.txt'), E.EXIST);
      expectErr(() => fx.mkdir('/d/.'), E.EXIST);
      fx.mkdir('/e/'.replace('/e/', '/e') + '/');
      expect(fx.stat('/e').filetype).toBe(FileType.DIRECTORY);
      fx.write('/d/f', 'x');
      expectErr(() => fx.rmdir('/d'), E.NOTEMPTY);
      expectErr(() => fx.rmdir('/d/f'), E.NOTDIR);
      expectErr(() => fx.unlink('/d'), E.ISDIR);
      expectErr(() => fx.unlink('/d/f/'), E.NOTDIR);
      expectErr(() => fx.rmdir('/d/.'), E.INVAL);
      expectErr(() => fx.rmdir('/d/..'), E.NOTEMPTY);
      expectErr(() => fx.rmdir('/nope'), E.NOENT);
      fx.unlink('/d/f');
      expect(fx.exists('/d/f')).toBe(false);
      fx.rmdir('/d/');
      expect(fx.stat('/').nlink).toBe(n0 + 1n);
      fx.rmdir('/e');
      expectErr(() => fx.rmdir('/seed/dir'), E.NOTEMPTY);
      fx.rmdir('/seed/empty');
      expect(fx.exists('/seed/empty')).toBe(false);
      fx.unlink('/seed/a.txt');
      expect(fx.exists('/seed/a.txt')).toBe(false);
      expectErr(() => fx.read('/seed/link'), E.NOENT);
      fx.unlink('/seed/dir/sub/c.txt');
      fx.rmdir('/seed/dir/sub');
      fx.unlink('/seed/dir/b.txt');
      fx.rmdir('/seed/dir');
      expect(fx.ls('/seed')).toEqual(['hard1', 'hard2', 'link', 'secret']);
    });

    it('an unlinked open file stays readable and writable', () => {
      const { fx } = setup();
      fx.write('/u', 'data');
      const f = fx.open('/u', 0, true);
      fx.unlink('/u');
      expect(f.stat().nlink).toBe(0n);
      f.pwrite(enc.encode('D'), 0n);
      expect(dec.decode(f.pread(10, 0n))).toBe('Data');
      f.release();
      const g = fx.open('/seed/a.txt', 0, true);
      fx.unlink('/seed/a.txt');
      expect(dec.decode(g.pread(10, 0n))).toBe('alpha');
      g.release();
    });

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

    it('readdir lists . and .. with correct inodes and resumes by cookie', () => {
      const { fx, ns, host } = setup();
      fx.mkdir('/r');
      for (const n of ['a', 'b', 'c']) fx.write(`/r/${n}`, n);
      const d = fx.open('/r', OFlags.DIRECTORY);
      const all = d.readdir(0n);
      expect(all.map((e) => e.name)).toEqual(['.', '..', 'a', 'b', 'c']);
      expect(all[0].ino).toBe(fx.stat('/r').ino);
      expect(all[1].ino).toBe(fx.stat('/').ino);
      expect(all[2].ino).toBe(fx.stat('/r/a').ino);
      expect(all[2].filetype).toBe(FileType.REGULAR_FILE);
      const names: string[] = [];
      let cookie = 0n;
      for (;;) {
        const page = d.readdir(cookie, 1);
        if (page.length === 0) break;
        expect(page.length).toBe(1);
        names.push(page[0].name);
        cookie = page[0].next;
      }
      expect(names).toEqual(['.', '..', 'a', 'b', 'c']);
      d.release();
      const root = fx.open('/', OFlags.DIRECTORY).readdir(0n);
      expect(root[1].ino).toBe(root[0].ino);
      fx.mkdir('/mnt');
      ns.mount('/mnt', new TmpFs(host));
      const m = fx.open('/mnt', OFlags.DIRECTORY).readdir(0n);
      expect(m[0].ino).toBe(fx.stat('/mnt').ino);
      expect(m[1].ino).toBe(fx.stat('/').ino);
      const seed = fx.open('/seed/dir', OFlags.DIRECTORY).readdir(0n);
      expect(seed.map((e) => e.name)).toEqual(expect.arrayContaining(['.', '..', 'b.txt', 'sub']));
      expect(seed.find((e) => e.name === '..')!.ino).toBe(fx.stat('/seed').ino);
      expect(seed.find((e) => e.name === 'sub')!.filetype).toBe(FileType.DIRECTORY);
    });

    it('readdir while deleting and adding: no survivor skipped or repeated', () => {
      const { fx } = setup();
      fx.mkdir('/big');
      const all = Array.from({ length: 60 }, (_, i) => `f${i}`);
      for (const n of all) fx.write(`/big/${n}`, n);
      const d = fx.open('/big', OFlags.DIRECTORY);
      const seen: string[] = [];
      let cookie = 0n;
      let round = 0;
      const removed = new Set<string>();
      for (;;) {
        const page = d.readdir(cookie, 7);
        if (page.length === 0) break;
        for (const e of page) seen.push(e.name);
        cookie = page[page.length - 1].next;
        // Delete some already-seen and some not-yet-seen entries, add new ones.
        const victims = [`f${round * 3}`, `f${59 - round * 2}`];
        for (const v of victims) {
          if (!removed.has(v) && fx.exists(`/big/${v}`)) {
            fx.unlink(`/big/${v}`);
            removed.add(v);
          }
        }
        if (round < 4) fx.write(`/big/new${round}`, 'n');
        round++;
      }
      d.release();
      const counts = new Map<string, number>();
      for (const s of seen) counts.set(s, (counts.get(s) ?? 0) + 1);
      for (const [, c] of counts) expect(c).toBe(1);
      for (const n of all) if (!removed.has(n)) expect(counts.get(n)).toBe(1);
      // Seed (lower) directory: delete entries while iterating.
      const sd = fx.open('/seed', OFlags.DIRECTORY);
      const first = sd.readdir(0n, 4);
      fx.unlink('/seed/secret');
      fx.unlink('/seed/a.txt');
      const rest = sd.readdir(first[first.length - 1].next);
      const names = [...first, ...rest].map((e) => e.name);
      expect(new Set(names).size).toBe(names.length);
      for (const n of ['dir', 'empty', 'hard1', 'hard2', 'link']) expect(names).toContain(n);
      sd.release();
    });

    it('read-only mounts give EROFS', () => {
      const { fx, ns, host } = setup();
      const inner = new TmpFs(host);
      fx.mkdir('/ro');
      fx.mkdir('/rw');
      ns.mount('/rw', inner);
      fx.write('/rw/f', 'f');
      fx.mkdir('/rw/d');
      ns.mount('/ro', inner, { readonly: true });
      expect(fx.read('/ro/f')).toBe('f');
      expectErr(() => fx.write('/ro/g', 'g'), E.ROFS);
      expectErr(() => fx.open('/ro/f', 0, true), E.ROFS);
      expectErr(() => fx.open('/ro/f', OFlags.TRUNC), E.ROFS);
      expectErr(() => fx.mkdir('/ro/e'), E.ROFS);
      expectErr(() => fx.rmdir('/ro/d'), E.ROFS);
      expectErr(() => fx.unlink('/ro/f'), E.ROFS);
      expectErr(() => fx.rename('/ro/f', '/ro/g'), E.ROFS);
      expectErr(() => fx.symlink('f', '/ro/s'), E.ROFS);
      expectErr(() => fx.link('/ro/f', '/ro/h'), E.ROFS);
      expectErr(() => fx.ops.setTimes(fx.cred, fx.root, '/ro/f', true, 'now', 'now'), E.ROFS);
      expectErr(() => fx.mkdir('/ro/f'), E.EXIST);
      // The same filesystem stays writable through the rw mount.
      fx.write('/rw/g', 'g');
      expect(fx.read('/ro/g')).toBe('g');
      expectErr(() => fx.rename('/rw/g', '/ro/g2'), E.XDEV);
      // A read-only namespace root.
      const ro = new (ns.constructor as typeof MountNamespace)(inner, { readonly: true });
      const rfx = new Fx(ro);
      expect(rfx.read('/f')).toBe('f');
      expectErr(() => rfx.write('/z', 'z'), E.ROFS);
    });

    it('timestamps: nanoseconds kept, POSIX updates', () => {
      const { fx, host } = setup();
      fx.write('/t', 'x');
      const t = 1_700_000_000_123_456_789n;
      fx.ops.setTimes(fx.cred, fx.root, '/t', true, t, t + 1n);
      let st = fx.stat('/t');
      expect(st.atim).toBe(t);
      expect(st.mtim).toBe(t + 1n);
      const c0 = st.ctim;
      host.advance(1_000_000_123n);
      fx.ops.setTimes(fx.cred, fx.root, '/t', true, null, 'now');
      st = fx.stat('/t');
      expect(st.atim).toBe(t);
      expect(st.mtim).toBe(host.nowNs);
      expect(st.ctim).toBe(host.nowNs);
      expect(st.ctim > c0).toBe(true);
      host.advance(5n);
      const f = fx.open('/t', 0, true);
      f.write(enc.encode('y'));
      st = f.stat();
      expect(st.mtim).toBe(host.nowNs);
      expect(st.ctim).toBe(host.nowNs);
      host.advance(7n);
      f.setTimes(3n, null);
      expect(f.stat().atim).toBe(3n);
      expect(f.stat().ctim).toBe(host.nowNs);
      f.release();
      host.advance(11n);
      const before = fx.stat('/seed').mtim;
      fx.write('/seed/newfile', 'n');
      expect(fx.stat('/seed').mtim).toBe(host.nowNs);
      expect(fx.stat('/seed').mtim).not.toBe(before);
      host.advance(13n);
      fx.link('/seed/newfile', '/seed/nl');
      expect(fx.stat('/seed/newfile').ctim).toBe(host.nowNs);
      host.advance(17n);
      fx.rename('/seed/nl', '/seed/nl2');
      expect(fx.stat('/seed').ctim).toBe(host.nowNs);
      // Creation stamps all three times.
      host.advance(19n);
      fx.write('/fresh', '');
      st = fx.stat('/fresh');
      expect([st.atim, st.mtim, st.ctim]).toEqual([host.nowNs, host.nowNs, host.nowNs]);
      // Seed files keep their times until changed.
      expect(fx.stat('/seed/a.txt').mtim).toBe(1_600_000_000_000_000_007n);
    });

    it('permissions for an unprivileged user', () => {
      const { fx } = setup();
      const u = fx.as(USER);
      expect(u.read('/seed/a.txt')).toBe('alpha');
      expectErr(() => u.read('/seed/secret'), E.ACCES);
      expectErr(() => u.write('/seed/mine', 'x'), E.ACCES);
      expectErr(() => u.mkdir('/seed/d'), E.ACCES);
      expectErr(() => u.unlink('/seed/a.txt'), E.ACCES);
      expectErr(() => u.open('/seed/a.txt', 0, true), E.ACCES);
      expectErr(() => u.ops.setTimes(USER, u.root, '/seed/a.txt', true, 5n, 5n), E.PERM);
      expectErr(() => u.ops.setTimes(USER, u.root, '/seed/a.txt', true, 'now', 'now'), E.ACCES);
      fx.mkdir('/home', 0o777);
      u.write('/home/mine', 'm');
      expect(u.stat('/home/mine').uid).toBe(1000);
      expect(u.stat('/home/mine').gid).toBe(1000);
      u.ops.setTimes(USER, u.root, '/home/mine', true, 5n, 5n);
      u.mkdir('/home/private', 0o700);
      u.write('/home/private/x', 'x');
      expect(fx.read('/home/private/x')).toBe('x');
      fx.mkdir('/closed', 0o700);
      fx.write('/closed/f', 'f');
      expectErr(() => u.stat('/closed/f'), E.ACCES);
      expectErr(() => u.ls('/closed'), E.ACCES);
      // Sticky directory: others cannot remove my files.
      fx.mkdir('/tmp', 0o1777);
      fx.write('/tmp/roots', 'r');
      expectErr(() => u.unlink('/tmp/roots'), E.PERM);
      u.write('/tmp/users', 'u');
      u.unlink('/tmp/users');
    });
  });
}
