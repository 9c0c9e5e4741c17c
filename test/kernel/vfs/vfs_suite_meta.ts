/** Shared VFS suite, part: readdir, EROFS, timestamps, permissions. See vfs_suite.ts. */
import { expect, it } from 'vitest';
import { E } from '../../../kernel/errno.js';
import { TmpFs } from '../../../kernel/fs/tmpfs.js';
import { MountNamespace } from '../../../kernel/vfs/mount_ns.js';
import { FileType, OFlags } from '../../../kernel/vfs/types.js';
import { expectErr, Fx, USER } from './helpers.js';
import type { SuiteSetup } from './vfs_suite.js';

const enc = new TextEncoder();

/** Register the readdir, EROFS, timestamps, permissions tests. */
export function vfsSuiteMeta(setup: SuiteSetup): void {
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
}
