import * as nfs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { E } from '../../../kernel/errno.js';
import { HostFsMount } from '../../../kernel/fs/hostfs.js';
import { TmpFs } from '../../../kernel/fs/tmpfs.js';
import { MountNamespace } from '../../../kernel/vfs/mount_ns.js';
import { FileType, OFlags } from '../../../kernel/vfs/types.js';
import { NodeHostFs, toSysError } from '../../../src/host/node_hostfs.js';
import { FakeHost } from '../../support/fake_host.js';
import { expectErr, Fx } from '../vfs/helpers.js';

let tmp: string;
let src: string;
let outside: string;

beforeEach(() => {
  tmp = nfs.mkdtempSync(path.join(os.tmpdir(), 'wasmvisor-hostfs-'));
  src = path.join(tmp, 'bind');
  outside = path.join(tmp, 'outside');
  nfs.mkdirSync(src);
  nfs.mkdirSync(outside);
  nfs.writeFileSync(path.join(outside, 'secret'), 'host secret');
  nfs.writeFileSync(path.join(src, 'hello.txt'), 'hello');
  nfs.mkdirSync(path.join(src, 'sub'));
  nfs.writeFileSync(path.join(src, 'sub', 'inner'), 'inner');
  // Links that point outside the bind, absolute and relative.
  nfs.symlinkSync(outside, path.join(src, 'abs_out'));
  nfs.symlinkSync('../outside/secret', path.join(src, 'rel_out'));
  nfs.symlinkSync('/etc/passwd', path.join(src, 'passwd'));
  nfs.symlinkSync('hello.txt', path.join(src, 'ok_link'));
});

afterEach(() => {
  nfs.rmSync(tmp, { recursive: true, force: true });
});

function setup(readonly = false) {
  const host = new FakeHost({ hostfs: new NodeHostFs() });
  const ns = new MountNamespace(new TmpFs(host));
  ns.mount('/data', new HostFsMount(host.hostfs!, src, host), { mkdirs: true, readonly });
  return { ns, fx: new Fx(ns) };
}

describe('hostfs', () => {
  it('reads, writes, lists and stats host files', () => {
    const { fx } = setup();
    expect(fx.read('/data/hello.txt')).toBe('hello');
    expect(fx.read('/data/sub/inner')).toBe('inner');
    expect(fx.read('/data/ok_link')).toBe('hello');
    expect(fx.ls('/data')).toEqual(['abs_out', 'hello.txt', 'ok_link', 'passwd', 'rel_out', 'sub']);
    fx.write('/data/new.txt', 'from guest');
    expect(nfs.readFileSync(path.join(src, 'new.txt'), 'utf8')).toBe('from guest');
    fx.append('/data/new.txt', '!');
    expect(fx.read('/data/new.txt')).toBe('from guest!');
    fx.mkdir('/data/d');
    fx.rename('/data/new.txt', '/data/d/moved.txt');
    expect(nfs.readFileSync(path.join(src, 'd', 'moved.txt'), 'utf8')).toBe('from guest!');
    fx.link('/data/d/moved.txt', '/data/hard');
    expect(fx.stat('/data/hard').nlink).toBe(2n);
    fx.unlink('/data/hard');
    fx.unlink('/data/d/moved.txt');
    fx.rmdir('/data/d');
    expect(nfs.existsSync(path.join(src, 'd'))).toBe(false);
    const st = fx.stat('/data/hello.txt');
    expect(st.size).toBe(5n);
    expect(st.filetype).toBe(FileType.REGULAR_FILE);
    expect(st.ino).toBe(nfs.statSync(path.join(src, 'hello.txt'), { bigint: true }).ino);
    expect(fx.stat('/data/..').ino).toBe(fx.stat('/').ino);
    fx.symlink('hello.txt', '/data/made_link');
    expect(nfs.readlinkSync(path.join(src, 'made_link'))).toBe('hello.txt');
    expectErr(() => fx.rmdir('/data/sub'), E.NOTEMPTY);
    expectErr(() => fx.mkdir('/data/sub'), E.EXIST);
  });

  it('symlinks pointing outside the bind resolve inside the container', () => {
    const { fx } = setup();
    expect(fx.readlink('/data/abs_out')).toBe(outside);
    expectErr(() => fx.read('/data/abs_out/secret'), E.NOENT);
    expectErr(() => fx.read('/data/rel_out'), E.NOENT);
    expectErr(() => fx.read('/data/passwd'), E.NOENT);
    expectErr(() => fx.read('/data/../../outside/secret'), E.NOENT);
    expectErr(() => fx.read('/data/sub/../../../outside/secret'), E.NOENT);
    // Writing through an escaping link creates the file in the container, never on the host.
    fx.mkdir('/etc');
    fx.write('/data/passwd', 'guest');
    expect(fx.read('/etc/passwd')).toBe('guest');
    expect(nfs.readFileSync('/etc/passwd', 'utf8')).not.toBe('guest');
    expect(nfs.readFileSync(path.join(outside, 'secret'), 'utf8')).toBe('host secret');
  });

  it('a directory replaced by a symlink cannot redirect an open handle', () => {
    const { fx, ns } = setup();
    const d = ns.pathOps.open(fx.cred, fx.root, '/data/sub', { oflags: OFlags.DIRECTORY, fdflags: 0, followSymlinks: true, mode: { read: true, write: false } });
    fx.unlink('/data/sub/inner');
    fx.rmdir('/data/sub');
    fx.symlink(outside, '/data/sub');
    expect(nfs.readlinkSync(path.join(src, 'sub'))).toBe(outside);
    expectErr(() => ns.pathOps.stat(fx.cred, d.dir!, 'secret', true), E.NOENT);
    expectErr(() => ns.pathOps.open(fx.cred, d.dir!, 'x', { oflags: OFlags.CREAT, fdflags: 0, followSymlinks: true, mode: { read: true, write: true } }), E.NOENT);
    expect(nfs.existsSync(path.join(outside, 'x'))).toBe(false);
    // Same from the host side, behind our back.
    const { fx: fx2, ns: ns2 } = setup();
    nfs.mkdirSync(path.join(src, 'sub2'));
    const d2 = ns2.pathOps.open(fx2.cred, fx2.root, '/data/sub2', { oflags: OFlags.DIRECTORY, fdflags: 0, followSymlinks: true, mode: { read: true, write: false } });
    nfs.rmdirSync(path.join(src, 'sub2'));
    nfs.symlinkSync(outside, path.join(src, 'sub2'));
    expectErr(() => ns2.pathOps.stat(fx2.cred, d2.dir!, 'secret', true), E.NOENT);
  });

  it('read-only binds give EROFS and leave the host untouched', () => {
    const { fx } = setup(true);
    expect(fx.read('/data/hello.txt')).toBe('hello');
    expectErr(() => fx.write('/data/x', 'x'), E.ROFS);
    expectErr(() => fx.open('/data/hello.txt', 0, true), E.ROFS);
    expectErr(() => fx.unlink('/data/hello.txt'), E.ROFS);
    expectErr(() => fx.mkdir('/data/d'), E.ROFS);
    expect(nfs.readdirSync(src).sort()).toEqual(['abs_out', 'hello.txt', 'ok_link', 'passwd', 'rel_out', 'sub']);
  });

  it('maps Node errors in one place', () => {
    expect(toSysError({ code: 'ENOENT' })).toBe(E.NOENT);
    expect(toSysError({ code: 'EWHATEVER' })).toBe(E.IO);
    expect(toSysError(new Error('x'))).toBe(E.IO);
  });
});

describe('hostfs confinement property', () => {
  it('random paths with .., symlinks and escaping links never reach a host file outside the bind', async () => {
    const fc = (await import('fast-check')).default;
    const { walkFull } = await import('../../../kernel/vfs/walk.js');
    const { HostInode } = await import('../../../kernel/fs/hostfs.js');
    const { isSysError } = await import('../../../kernel/errno.js');
    nfs.symlinkSync('../../..', path.join(src, 'sub', 'up3'));
    nfs.symlinkSync(path.join(outside, 'secret'), path.join(src, 'sub', 'secret_abs'));
    nfs.symlinkSync('/', path.join(src, 'root'));
    const { ns } = setup();
    const names = ['data', 'sub', 'abs_out', 'rel_out', 'passwd', 'up3', 'secret_abs', 'root', 'secret', 'outside', 'hello.txt', '..', '.', ''];
    const arb = fc.tuple(fc.boolean(), fc.array(fc.constantFrom(...names), { minLength: 1, maxLength: 10 }))
      .map(([abs, parts]) => (abs ? '/' : '') + parts.join('/'));
    const starts = ['/', '/data', '/data/sub'].map((p) => walkFull(ns, { uid: 0, gid: 0 }, ns.rootLoc, p, true));
    fc.assert(
      fc.property(arb, fc.integer({ min: 0, max: 2 }), fc.boolean(), (p, si, follow) => {
        try {
          const loc = walkFull(ns, { uid: 0, gid: 0 }, starts[si], p, follow);
          if (loc.inode instanceof HostInode) {
            const hp = loc.inode.path();
            expect(hp === src || hp.startsWith(`${src}/`)).toBe(true);
            expect(hp.includes('/..')).toBe(false);
          }
        } catch (e) {
          if (!isSysError(e)) throw e;
        }
      }),
      { numRuns: 1500, seed: 5 },
    );
  });
});

describe('hostfs single-file binds', () => {
  it('bind one host file onto a file in the container', () => {
    const host = new FakeHost({ hostfs: new NodeHostFs() });
    const ns = new MountNamespace(new TmpFs(host));
    const fx = new Fx(ns);
    const hostFile = path.join(src, 'hello.txt');
    ns.mount('/etc/conf.txt', new HostFsMount(host.hostfs!, hostFile, host), { mkdirs: true });
    expect(fx.read('/etc/conf.txt')).toBe('hello');
    expect(fx.ls('/etc')).toEqual(['conf.txt']);
    fx.append('/etc/conf.txt', ' world');
    expect(nfs.readFileSync(hostFile, 'utf8')).toBe('hello world');
    expect(fx.stat('/etc/conf.txt').ino).toBe(nfs.statSync(hostFile, { bigint: true }).ino);
    expectErr(() => fx.unlink('/etc/conf.txt'), E.BUSY);
    expectErr(() => fx.rename('/etc/conf.txt', '/etc/other'), E.BUSY);
    // A read-only file bind.
    ns.mount('/ro.txt', new HostFsMount(host.hostfs!, hostFile, host, { readonly: true }), { mkdirs: true, readonly: true });
    expectErr(() => fx.open('/ro.txt', 0, true), E.ROFS);
    // A directory cannot take a file bind, nor a file a directory bind.
    fx.mkdir('/adir');
    expectErr(() => ns.mount('/adir', new HostFsMount(host.hostfs!, hostFile, host)), E.ISDIR);
    expectErr(() => ns.mount('/etc/conf.txt', new HostFsMount(host.hostfs!, src, host)), E.NOTDIR);
  });
});
