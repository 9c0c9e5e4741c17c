/**
 * Differential property test: random sequences of path operations on an
 * overlay (seed tree in two lower layers) and on a tmpfs holding the same
 * visible tree must give the same results and errors, the invariants must
 * hold afterwards, and the lower layers must be untouched.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isSysError } from '../../../kernel/errno.js';
import { overlayViolations, tmpfsViolations } from '../../../kernel/fs/invariants.js';
import { OverlayFs } from '../../../kernel/fs/overlay.js';
import { TmpFs } from '../../../kernel/fs/tmpfs.js';
import { MountNamespace } from '../../../kernel/vfs/mount_ns.js';
import { E } from '../../../kernel/errno.js';
import { FileType, type OpenFile } from '../../../kernel/vfs/types.js';
import { FakeHost } from '../../support/fake_host.js';
import { Fx } from '../vfs/helpers.js';
import { seedLayers, snapshot } from './layer_fixtures.js';

const layers = seedLayers();
const before = layers.map(snapshot);

/** Copy the visible tree of `src` into `dst` (hard links kept by inode number). */
function copyTree(src: Fx, dst: Fx, p = ''): void {
  const links = new Map<bigint, string>();
  const walk = (dir: string) => {
    for (const name of src.ls(dir || '/')) {
      const path = `${dir}/${name}`;
      const st = src.stat(path, false);
      if (st.filetype === FileType.DIRECTORY) {
        dst.mkdir(path, st.mode);
        walk(path);
      } else if (st.filetype === FileType.SYMBOLIC_LINK) dst.symlink(src.readlink(path), path);
      else if (links.has(st.ino)) dst.link(links.get(st.ino)!, path);
      else {
        dst.write(path, src.read(path));
        links.set(st.ino, path);
      }
    }
  };
  walk(p);
}

const PATHS = ['/seed', '/seed/a.txt', '/seed/dir', '/seed/dir/b.txt', '/seed/dir/sub', '/seed/hard1', '/seed/hard2', '/seed/link',
  '/seed/empty', '/merged', '/merged/both', '/merged/dir', '/merged/dir/b', '/opq', '/opq/y', '/x', '/x/y', '/seed/new'];
const p = fc.constantFrom(...PATHS);
type Op = { op: string; a: string; b: string; data: string };
const opArb: fc.Arbitrary<Op> = fc.record({
  op: fc.constantFrom('write', 'append', 'read', 'unlink', 'mkdir', 'rmdir', 'rename', 'link', 'symlink', 'ls', 'stat', 'lstat', 'trunc',
    'open', 'fdread', 'fdwrite', 'fdstat', 'fdls'),
  a: p,
  b: p,
  data: fc.constantFrom('', 'x', 'hello'),
});

/** Open descriptions of one run, per tree (an fd table stand-in). */
const fds = new WeakMap<Fx, OpenFile[]>();

function apply(fx: Fx, o: Op): string {
  const mine = fds.get(fx) ?? [];
  fds.set(fx, mine);
  const pick = () => {
    if (mine.length === 0) throw E.BADF;
    return mine[o.data.length % mine.length];
  };
  try {
    switch (o.op) {
      case 'open': {
        let f: OpenFile;
        try {
          f = fx.open(o.a, 0, true);
        } catch (e) {
          if (e !== E.ISDIR) throw e;
          f = fx.open(o.a);
        }
        mine.push(f);
        return `fd${f.filetype}`;
      }
      case 'fdread': return `=${new TextDecoder().decode(pick().pread(100, 0n))}`;
      case 'fdwrite': return `${pick().pwrite(new TextEncoder().encode('Z'), 1n)}`;
      case 'fdstat': { const st = pick().stat(); return `${st.filetype}/${st.size}/${st.nlink}`; }
      case 'fdls': return pick().readdir(0n).map((e) => e.name).sort().join(',');
      case 'write': fx.write(o.a, o.data); return 'ok';
      case 'append': fx.append(o.a, o.data); return 'ok';
      case 'read': return `=${fx.read(o.a)}`;
      case 'unlink': fx.unlink(o.a); return 'ok';
      case 'mkdir': fx.mkdir(o.a); return 'ok';
      case 'rmdir': fx.rmdir(o.a); return 'ok';
      case 'rename': fx.rename(o.a, o.b); return 'ok';
      case 'link': fx.link(o.a, o.b); return 'ok';
      case 'symlink': fx.symlink(o.b, o.a); return 'ok';
      case 'ls': return fx.ls(o.a).join(',');
      case 'trunc': { const f = fx.open(o.a, 0, true); f.truncate(2n); f.release(); return 'ok'; }
      default: {
        const st = fx.stat(o.a, o.op === 'stat');
        return `${st.filetype}/${st.size}/${st.nlink}/${st.mode.toString(8)}`;
      }
    }
  } catch (e) {
    if (isSysError(e)) return e.errnoName;
    throw e;
  }
}

describe('overlay behaves as tmpfs with the same content', () => {
  it('random operation sequences', () => {
    fc.assert(
      fc.property(fc.array(opArb, { minLength: 1, maxLength: 25 }), (ops) => {
        const host = new FakeHost();
        const ov = new OverlayFs(layers, host);
        const ofx = new Fx(new MountNamespace(ov));
        const tmp = new TmpFs(host);
        const tfx = new Fx(new MountNamespace(tmp));
        copyTree(ofx, tfx);
        for (const o of ops) {
          const a = apply(ofx, o);
          const b = apply(tfx, o);
          expect(`${o.op} ${o.a} ${o.b}: ${a}`).toBe(`${o.op} ${o.a} ${o.b}: ${b}`);
        }
        // Both trees end up identical.
        const dump = (fx: Fx) => {
          const out: string[] = [];
          const walk = (d: string) => {
            for (const n of fx.ls(d || '/')) {
              const q = `${d}/${n}`;
              const st = fx.stat(q, false);
              out.push(`${q} ${st.filetype} ${st.size} ${st.nlink}`);
              if (st.filetype === FileType.DIRECTORY) walk(q);
            }
          };
          walk('');
          return out.join('\n');
        };
        expect(dump(ofx)).toBe(dump(tfx));
        expect(overlayViolations(ov)).toEqual([]);
        expect(tmpfsViolations(tmp)).toEqual([]);
        // A second overlay over the same upper sees the same tree.
        const again = new Fx(new MountNamespace(new OverlayFs(layers, host, { upper: ov.upper })));
        expect(dump(again)).toBe(dump(ofx));
      }),
      { numRuns: 400, seed: 2024 },
    );
    expect(layers.map(snapshot)).toEqual(before);
  });
});

