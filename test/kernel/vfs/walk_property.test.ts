/**
 * Property tests of the path walk: random paths made of names, `.`, `..`,
 * empty components and symlinks (relative, absolute, escaping, looping)
 * never leave the namespace root, never throw anything but a SysError, and
 * agree with a lexical model when no symlink is involved.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isSysError } from '../../../kernel/errno.js';
import { OverlayFs } from '../../../kernel/fs/overlay.js';
import { TmpFs } from '../../../kernel/fs/tmpfs.js';
import type { Inode } from '../../../kernel/vfs/inode.js';
import { type Loc } from '../../../kernel/vfs/mount.js';
import { MountNamespace } from '../../../kernel/vfs/mount_ns.js';
import { FileType } from '../../../kernel/vfs/types.js';
import { walkFull, walkParent } from '../../../kernel/vfs/walk.js';
import { FakeHost } from '../../support/fake_host.js';
import { dir, file, tree } from '../fs/layer_fixtures.js';
import { Fx, ROOT } from './helpers.js';

const NAMES = ['a', 'b', 'f', 'mnt', 'x'];
const LINKS = ['l_abs', 'l_rel', 'l_up', 'l_out', 'loop', 'l_file', 'l_mnt'];
const component = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom(...NAMES) },
  { weight: 3, arbitrary: fc.constantFrom('..', '.', '') },
  { weight: 2, arbitrary: fc.constantFrom(...LINKS) },
);
const pathArb = fc.tuple(fc.boolean(), fc.array(component, { minLength: 1, maxLength: 12 }), fc.boolean())
  .map(([abs, parts, slash]) => (abs ? '/' : '') + parts.join('/') + (slash ? '/' : ''));

/**
 * A jail: the namespace root is /jail of a bigger filesystem that also has
 * /outside; the jail holds a/b/f, symlinks of every kind, and a mount.
 */
function build(kind: 'tmpfs' | 'overlay') {
  const host = new FakeHost();
  const fs = kind === 'tmpfs'
    ? new TmpFs(host)
    : new OverlayFs([tree('t', dir({ outside: dir({ secret: file('s') }), jail: dir({ a: dir({ b: dir({ f: file('f') }) }) }) }))], host);
  const whole = new Fx(new MountNamespace(fs));
  if (kind === 'tmpfs') {
    whole.mkdir('/outside');
    whole.write('/outside/secret', 's');
    whole.mkdir('/jail');
    whole.mkdir('/jail/a');
    whole.mkdir('/jail/a/b');
    whole.write('/jail/a/b/f', 'f');
  }
  const jailIno = walkFull(whole.ns, ROOT, whole.ns.rootLoc, '/jail', true).inode;
  const ns = new MountNamespace(fs, { root: jailIno });
  const fx = new Fx(ns);
  fx.symlink('/a', '/l_abs');
  fx.symlink('../..', '/a/l_rel');
  fx.symlink('../../../..', '/a/b/l_up');
  fx.symlink('/../outside', '/l_out');
  fx.symlink('loop', '/a/loop');
  fx.symlink('b/f', '/a/l_file');
  fx.symlink('/mnt/x', '/l_mnt');
  fx.mkdir('/mnt');
  ns.mount('/mnt', new TmpFs(host));
  fx.mkdir('/mnt/x');
  fx.symlink('../..', '/mnt/x/l_up');
  // Every inode reachable inside the jail.
  const inside = new Set<Inode>();
  const visit = (p: string) => {
    const loc = walkFull(ns, ROOT, ns.rootLoc, p, false);
    inside.add(loc.inode);
    if (loc.inode.type === FileType.DIRECTORY) for (const n of fx.ls(p)) visit(`${p === '/' ? '' : p}/${n}`);
  };
  visit('/');
  const starts = ['/', '/a', '/a/b', '/mnt', '/mnt/x'].map((p) => walkFull(ns, ROOT, ns.rootLoc, p, true));
  return { ns, inside, starts, fx };
}

/** Lexical model for symlink-free paths: `..` clamps at the root. */
function lexical(start: string, path: string): string {
  const out = path.startsWith('/') ? [] : start.split('/').filter(Boolean);
  for (const p of path.split('/')) {
    if (p === '' || p === '.') continue;
    if (p === '..') out.pop();
    else out.push(p);
  }
  return `/${out.join('/')}`;
}

for (const kind of ['tmpfs', 'overlay'] as const) {
  describe(`path walk properties (${kind})`, () => {
    const { ns, inside, starts } = build(kind);
    const startPaths = ['/', '/a', '/a/b', '/mnt', '/mnt/x'];

    it('never escapes the root and only throws SysErrors', () => {
      fc.assert(
        fc.property(pathArb, fc.integer({ min: 0, max: starts.length - 1 }), fc.boolean(), (path, si, follow) => {
          for (const fn of [
            () => walkFull(ns, ROOT, starts[si], path, follow).inode,
            () => {
              const p = walkParent(ns, ROOT, starts[si], path, follow);
              return p.child?.inode ?? p.dir.inode;
            },
          ]) {
            try {
              const ino = fn();
              expect(inside.has(ino)).toBe(true);
            } catch (e) {
              if (!isSysError(e)) throw e;
            }
          }
        }),
        { numRuns: 3000, seed: 42 },
      );
    });

    it('agrees with the lexical model when no symlink is named', () => {
      const plain = fc.tuple(fc.boolean(), fc.array(fc.constantFrom('a', 'b', 'f', 'mnt', 'x', '..', '.', ''), { minLength: 1, maxLength: 10 }))
        .map(([abs, parts]) => (abs ? '/' : '') + parts.join('/'));
      fc.assert(
        fc.property(plain, fc.integer({ min: 0, max: starts.length - 1 }), (path, si) => {
          let got: Loc | null = null;
          try {
            got = walkFull(ns, ROOT, starts[si], path, false);
          } catch (e) {
            if (!isSysError(e)) throw e;
          }
          // The model's answer only counts when each prefix exists as a directory.
          const want = lexical(startPaths[si], path);
          let expected: Loc | null = null;
          try {
            expected = walkFull(ns, ROOT, ns.rootLoc, want, false);
          } catch {
            expected = null;
          }
          if (got !== null && expected !== null) {
            expect(got.inode).toBe(expected.inode);
            expect(got.mnt).toBe(expected.mnt);
          }
          if (path !== '' && path.split('/').every((p) => p === '' || p === '.' || p === '..')) expect(got).not.toBeNull();
        }),
        { numRuns: 2000, seed: 7 },
      );
    });

    it('capability handles never resolve above themselves', () => {
      // Inodes below each start (walking down only, no symlinks).
      const below = startPaths.map((sp) => {
        const set = new Set<Inode>();
        const fx = new Fx(ns);
        const visit = (p: string) => {
          const loc = walkFull(ns, ROOT, ns.rootLoc, p, false);
          set.add(loc.inode);
          if (loc.inode.type === FileType.DIRECTORY) for (const n of fx.ls(p)) visit(`${p === '/' ? '' : p}/${n}`);
        };
        visit(sp);
        return set;
      });
      const capStarts = startPaths.map((sp) => ns.openDirHandle(ROOT, sp, { beneath: true }) as Loc);
      fc.assert(
        fc.property(pathArb, fc.integer({ min: 1, max: starts.length - 1 }), fc.boolean(), (path, si, follow) => {
          try {
            const ino = walkFull(ns, ROOT, capStarts[si], path, follow).inode;
            expect(below[si].has(ino)).toBe(true);
          } catch (e) {
            if (!isSysError(e)) throw e;
          }
        }),
        { numRuns: 3000, seed: 11 },
      );
    });

    it('escaping symlinks land inside', () => {
      const fx = new Fx(ns);
      expect(fx.stat('/a/b/l_up').ino).toBe(fx.stat('/').ino);
      expect(fx.stat('/mnt/x/l_up').ino).toBe(fx.stat('/').ino);
      expect(() => fx.stat('/l_out/secret')).toThrow();
      expect(fx.read('/a/l_file')).toBe('f');
    });
  });
}
