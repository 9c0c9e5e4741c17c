/**
 * Differential property test against Linux itself: random path operations
 * (with trailing slashes, `.`, `..`, symlinks, hard links) run through
 * node:fs on a real directory and through PathOps on tmpfs must give the
 * same results and the same errors. Relative symlink targets only (an
 * absolute one means different things in the two trees).
 */
import * as nfs from 'node:fs';
import * as os from 'node:os';
import * as npath from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { E, isSysError } from '../../../kernel/errno.js';
import { HostFsMount } from '../../../kernel/fs/hostfs.js';
import { TmpFs } from '../../../kernel/fs/tmpfs.js';
import { MountNamespace } from '../../../kernel/vfs/mount_ns.js';
import { FdFlags, FileType, type OpenFile } from '../../../kernel/vfs/types.js';
import { NodeHostFs, toSysError } from '../../../src/host/node_hostfs.js';
import { FakeHost } from '../../support/fake_host.js';
import { Fx } from '../vfs/helpers.js';

const base = nfs.mkdtempSync(npath.join(os.tmpdir(), 'wasmvisor-linuxdiff-'));
afterAll(() => nfs.rmSync(base, { recursive: true, force: true }));

const PATHS = ['a', 'a/', 'd', 'd/', 'd/f', 'd/f/', 'd/e', 'd/e/', 'd/.', 'd/..', 'l', 'l/', 'l/f', 'ld', 'ld/', 'ld/f',
  'loop', 'x', 'x/y', 'd/e/g', '.', 'a/.', 'e/../d/f'];
const TARGETS = ['a', 'd', 'd/f', 'nowhere', 'loop', '../d', 'd/e', 'x/'];
const opArb = fc.record({
  op: fc.constantFrom('write', 'append', 'read', 'unlink', 'mkdir', 'rmdir', 'rename', 'link', 'symlink', 'ls', 'stat', 'lstat', 'readlink', 'open',
    'hold', 'fdread', 'fdwrite', 'fdstat'),
  k: fc.nat(7),
  /** open: oflags (CREAT 1, DIRECTORY 2, EXCL 4, TRUNC 8), nofollow, access (0 r, 1 w, 2 rw). */
  oflags: fc.constantFrom(0, 1, 2, 4, 5, 8, 9, 13, 10),
  nofollow: fc.boolean(),
  access: fc.constantFrom(0, 1, 2),
  a: fc.constantFrom(...PATHS),
  b: fc.constantFrom(...PATHS),
  t: fc.constantFrom(...TARGETS),
  data: fc.constantFrom('', 'x', 'hello'),
});
type Op = typeof opArb extends fc.Arbitrary<infer T> ? T : never;

const typeOf = (s: nfs.Stats) => (s.isDirectory() ? FileType.DIRECTORY : s.isSymbolicLink() ? FileType.SYMBOLIC_LINK : FileType.REGULAR_FILE);

/** fds held open across operations, per run. */
const linuxFds = new Map<string, number[]>();
const kernelFds = new WeakMap<Fx, OpenFile[]>();

function onLinux(root: string, o: Op): string {
  const P = (p: string) => `${root}/r/${p}`;
  const held = linuxFds.get(root) ?? [];
  linuxFds.set(root, held);
  try {
    switch (o.op) {
      case 'hold': {
        let fd: number;
        try {
          fd = nfs.openSync(P(o.a), nfs.constants.O_RDWR);
        } catch (e) {
          if ((e as NodeJS.ErrnoException).code !== 'EISDIR') throw e;
          fd = nfs.openSync(P(o.a), nfs.constants.O_RDONLY);
        }
        held.push(fd);
        return `fd ${typeOf(nfs.fstatSync(fd))}`;
      }
      case 'fdread': {
        if (held.length === 0) return 'BADF';
        const buf = Buffer.alloc(100);
        const n = nfs.readSync(held[o.k % held.length], buf, 0, 100, 0);
        return `=${buf.subarray(0, n).toString()}`;
      }
      case 'fdwrite':
        if (held.length === 0) return 'BADF';
        return `${nfs.writeSync(held[o.k % held.length], Buffer.from('Z'), 0, 1, 1)}`;
      case 'fdstat': {
        if (held.length === 0) return 'BADF';
        const st = nfs.fstatSync(held[o.k % held.length]);
        const t = typeOf(st);
        return `${t}/${t === FileType.DIRECTORY ? '-' : st.size}/${st.nlink}`;
      }
      case 'write': nfs.writeFileSync(P(o.a), o.data); return 'ok';
      case 'append': {
        const fd = nfs.openSync(P(o.a), nfs.constants.O_WRONLY | nfs.constants.O_APPEND);
        nfs.writeSync(fd, o.data);
        nfs.closeSync(fd);
        return 'ok';
      }
      case 'read': return `=${nfs.readFileSync(P(o.a), 'utf8')}`;
      case 'unlink': nfs.unlinkSync(P(o.a)); return 'ok';
      case 'mkdir': nfs.mkdirSync(P(o.a), 0o755); return 'ok';
      case 'rmdir': nfs.rmdirSync(P(o.a)); return 'ok';
      case 'rename': nfs.renameSync(P(o.a), P(o.b)); return 'ok';
      case 'link': nfs.linkSync(P(o.a), P(o.b)); return 'ok';
      case 'symlink': nfs.symlinkSync(o.t, P(o.a)); return 'ok';
      case 'readlink': return `=${nfs.readlinkSync(P(o.a))}`;
      case 'ls': return nfs.readdirSync(P(o.a)).sort().join(',');
      case 'open': {
        const C = nfs.constants;
        let f = [C.O_RDONLY, C.O_WRONLY, C.O_RDWR][o.access];
        if (o.oflags & 1) f |= C.O_CREAT;
        if (o.oflags & 2) f |= C.O_DIRECTORY;
        if (o.oflags & 4) f |= C.O_EXCL;
        if (o.oflags & 8) f |= C.O_TRUNC;
        if (o.nofollow) f |= C.O_NOFOLLOW;
        const fd = nfs.openSync(P(o.a), f, 0o644);
        const t = typeOf(nfs.fstatSync(fd));
        nfs.closeSync(fd);
        return `fd ${t}`;
      }
      default: {
        const s = o.op === 'stat' ? nfs.statSync(P(o.a)) : nfs.lstatSync(P(o.a));
        const t = typeOf(s);
        return `${t}/${t === FileType.DIRECTORY ? '-' : s.size}/${s.nlink}`;
      }
    }
  } catch (e) {
    return toSysError(e).errnoName;
  }
}

function onKernel(fx: Fx, o: Op): string {
  const P = (p: string) => `/r/${p}`;
  const held = kernelFds.get(fx) ?? [];
  kernelFds.set(fx, held);
  try {
    switch (o.op) {
      case 'hold': {
        let f: OpenFile;
        try {
          f = fx.open(P(o.a), 0, true);
        } catch (e) {
          if (e !== E.ISDIR) throw e;
          f = fx.open(P(o.a));
        }
        held.push(f);
        return `fd ${f.stat().filetype}`;
      }
      case 'fdread':
        if (held.length === 0) return 'BADF';
        return `=${new TextDecoder().decode(held[o.k % held.length].pread(100, 0n))}`;
      case 'fdwrite':
        if (held.length === 0) return 'BADF';
        return `${held[o.k % held.length].pwrite(new TextEncoder().encode('Z'), 1n)}`;
      case 'fdstat': {
        if (held.length === 0) return 'BADF';
        const st = held[o.k % held.length].stat();
        return `${st.filetype}/${st.filetype === FileType.DIRECTORY ? '-' : st.size}/${st.nlink}`;
      }
      case 'write': fx.write(P(o.a), o.data); return 'ok';
      case 'append': {
        const f = fx.open(P(o.a), 0, true, FdFlags.APPEND);
        f.write(new TextEncoder().encode(o.data));
        f.release();
        return 'ok';
      }
      case 'read': return `=${fx.read(P(o.a))}`;
      case 'unlink': fx.unlink(P(o.a)); return 'ok';
      case 'mkdir': fx.mkdir(P(o.a)); return 'ok';
      case 'rmdir': fx.rmdir(P(o.a)); return 'ok';
      case 'rename': fx.rename(P(o.a), P(o.b)); return 'ok';
      case 'link': fx.link(P(o.a), P(o.b)); return 'ok';
      case 'symlink': fx.symlink(o.t, P(o.a)); return 'ok';
      case 'readlink': return `=${fx.readlink(P(o.a))}`;
      case 'ls': return fx.ls(P(o.a)).join(',');
      case 'open': {
        const f = fx.ops.open(fx.cred, fx.root, P(o.a), {
          oflags: o.oflags, fdflags: 0, followSymlinks: !o.nofollow, mode: { read: o.access !== 1, write: o.access !== 0 },
        });
        const t = f.stat().filetype;
        f.release();
        return `fd ${t}`;
      }
      default: {
        const s = fx.stat(P(o.a), o.op === 'stat');
        return `${s.filetype}/${s.filetype === FileType.DIRECTORY ? '-' : s.size}/${s.nlink}`;
      }
    }
  } catch (e) {
    if (isSysError(e)) return e.errnoName;
    throw e;
  }
}

let run = 0;
describe('tmpfs and hostfs through PathOps agree with Linux', () => {
  it('random operation sequences', () => {
    fc.assert(
      fc.property(fc.array(opArb, { minLength: 1, maxLength: 20 }), (ops) => {
        const root = npath.join(base, String(run++));
        // The tree lives one level down in both, so `..` means the same (an empty parent).
        nfs.mkdirSync(root);
        const r = `${root}/r`;
        nfs.mkdirSync(r);
        nfs.writeFileSync(`${r}/a`, 'A');
        nfs.mkdirSync(`${r}/d`);
        nfs.writeFileSync(`${r}/d/f`, 'F');
        nfs.symlinkSync('a', `${r}/l`);
        nfs.symlinkSync('d', `${r}/ld`);
        nfs.symlinkSync('loop', `${r}/loop`);
        const fx = new Fx(new MountNamespace(new TmpFs(new FakeHost())));
        fx.mkdir('/r');
        fx.write('/r/a', 'A');
        fx.mkdir('/r/d');
        fx.write('/r/d/f', 'F');
        fx.symlink('a', '/r/l');
        fx.symlink('d', '/r/ld');
        fx.symlink('loop', '/r/loop');
        // The same tree on the host again, bind-mounted at /r through hostfs.
        const hroot = `${root}-h`;
        nfs.mkdirSync(hroot);
        nfs.cpSync(r, `${hroot}/r`, { recursive: true, verbatimSymlinks: true });
        const host = new FakeHost({ hostfs: new NodeHostFs() });
        const hns = new MountNamespace(new TmpFs(host));
        hns.mount('/r', new HostFsMount(host.hostfs!, `${hroot}/r`, host), { mkdirs: true });
        const hfx = new Fx(hns);
        try {
          for (const o of ops) {
            const want = onLinux(root, o);
            const got = onKernel(fx, o);
            const viaHost = onKernel(hfx, o);
            expect(`${o.op} ${o.a} ${o.b} ${o.t}: ${got}`).toBe(`${o.op} ${o.a} ${o.b} ${o.t}: ${want}`);
            expect(`hostfs ${o.op} ${o.a} ${o.b} ${o.t}: ${viaHost}`).toBe(`hostfs ${o.op} ${o.a} ${o.b} ${o.t}: ${want}`);
          }
        } finally {
          for (const fd of linuxFds.get(root) ?? []) nfs.closeSync(fd);
          linuxFds.delete(root);
          nfs.rmSync(root, { recursive: true, force: true });
          nfs.rmSync(hroot, { recursive: true, force: true });
        }
      }),
      { numRuns: 250, seed: 99 },
    );
  });
});
