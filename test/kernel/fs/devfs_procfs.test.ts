import { describe, expect, it } from 'vitest';
import { E } from '../../../kernel/errno.js';
import { createDevFs } from '../../../kernel/fs/devfs.js';
import { ProcFs, type ProcSource, type ProcTaskInfo } from '../../../kernel/fs/procfs.js';
import { TmpFs } from '../../../kernel/fs/tmpfs.js';
import { MountNamespace } from '../../../kernel/vfs/mount_ns.js';
import { ForwardingFile } from '../../../kernel/vfs/reopen.js';
import { type Credentials, FileType, type OpenFile, OFlags, Whence } from '../../../kernel/vfs/types.js';
import { FakeHost } from '../../support/fake_host.js';
import { expectErr, Fx } from '../vfs/helpers.js';

const enc = new TextEncoder();
const dec = new TextDecoder();

/** A namespace with /dev and /proc, a caller with fds 0-2 (a "console") and 3 (a tmpfs file). */
function setup() {
  const host = new FakeHost();
  const ns = new MountNamespace(new TmpFs(host));
  const root: Credentials = { uid: 0, gid: 0 };
  new Fx(ns, root).write('/file', 'file data');
  const written: string[] = [];
  const open = (p: string, write = false) =>
    ns.pathOps.open(root, ns.rootHandle(), p, { oflags: 0, fdflags: 0, followSymlinks: true, mode: { read: true, write } });
  const consoleBase = open('/file');
  let released = 0;
  const consoleFile = new (class extends ForwardingFile {
    override get filetype() {
      return FileType.CHARACTER_DEVICE;
    }
    override write(d: Uint8Array): number {
      written.push(dec.decode(d));
      return d.length;
    }
    override describe(): string {
      return '/dev/console';
    }
    override release(): void {
      released++;
    }
  })(consoleBase, { read: true, write: true });
  const fds = new Map<number, OpenFile>([[0, consoleFile], [1, consoleFile], [2, consoleFile], [3, open('/file', true)]]);
  fds.get(3)!.seek(5n, Whence.SET);
  const cred: Credentials = { uid: 0, gid: 0, pid: 7, fd: (n) => fds.get(n), fdList: () => [...fds.keys()] };
  const task = (pid: number, ppid: number): ProcTaskInfo => ({
    pid, ppid, name: 'prog', state: 'R (running)', uid: 0, gid: 0, cmdline: ['prog', 'a b'], environ: ['K=V'],
    vmRssKb: 1024, fds: () => [...fds.keys()], fd: (n) => fds.get(n),
  });
  const source: ProcSource = {
    tasks: () => [task(1, 0), task(7, 1)],
    task: (pid) => (pid === 1 || pid === 7 ? task(pid, pid === 7 ? 1 : 0) : undefined),
    mounts: () => ns.mounts(),
    hostname: () => 'box',
    meminfo: () => ({ totalKb: 1000, freeKb: 600, availableKb: 700 }),
    uptimeNs: () => 12_345_000_000n,
  };
  ns.mount('/dev', createDevFs(host), { mkdirs: true });
  ns.mount('/proc', new ProcFs(source, host), { mkdirs: true });
  return { ns, fx: new Fx(ns, cred), cred, written, fds, released: () => released };
}

describe('devfs', () => {
  it('null, zero, full, random, urandom', () => {
    const { fx } = setup();
    const n = fx.open('/dev/null', 0, true);
    expect(n.write(new Uint8Array(10))).toBe(10);
    expect(n.read(10).length).toBe(0);
    expect(n.stat().filetype).toBe(FileType.CHARACTER_DEVICE);
    n.release();
    const z = fx.open('/dev/zero');
    expect([...z.read(4)]).toEqual([0, 0, 0, 0]);
    const f = fx.open('/dev/full', 0, true);
    expectErr(() => f.write(new Uint8Array(1)), E.NOSPC);
    const r = fx.open('/dev/urandom').read(16);
    expect(r.some((b) => b !== 0)).toBe(true);
    expect(fx.open('/dev/random').read(8).length).toBe(8);
    expect(fx.ls('/dev')).toEqual(['fd', 'full', 'null', 'random', 'stderr', 'stdin', 'stdout', 'urandom', 'zero']);
    fx.write('/dev/shm_file', 'ok');
    expect(fx.read('/dev/shm_file')).toBe('ok');
    expectErr(() => fx.rename('/dev/fd', '/dev/fd2'), E.PERM);
    expectErr(() => fx.rmdir('/dev/fd'), E.NOTDIR);
  });

  it('stdout and fd/N reach the caller\'s own fds', () => {
    const { fx, written, released } = setup();
    const out = fx.open('/dev/stdout', 0, true);
    out.write(enc.encode('hi'));
    expect(written).toEqual(['hi']);
    out.release();
    expect(released()).toBe(0);
    expect(fx.readlink('/dev/stdout')).toBe('fd/1');
    expect(fx.readlink('/dev/fd/1')).toBe('/dev/console');
    expect(fx.readlink('/dev/fd/3')).toBe('/file');
    // The fake console's stat is that of /file: stat follows fd 2.
    expect(fx.stat('/dev/stderr')).toEqual(fx.stat('/file'));
    expect(fx.stat('/dev/fd/3').filetype).toBe(FileType.REGULAR_FILE);
    expect(fx.stat('/dev/fd/3', false).filetype).toBe(FileType.SYMBOLIC_LINK);
    // A regular file is reopened: its own offset.
    const again = fx.open('/dev/fd/3');
    expect(dec.decode(again.read(4))).toBe('file');
    expectErr(() => fx.open('/dev/fd/9'), E.NOENT);
    expectErr(() => fx.open('/dev/fd/3', OFlags.DIRECTORY), E.NOTDIR);
    expect(fx.ls('/dev/fd')).toEqual(['0', '1', '2', '3']);
    // Without a task (no fd lookup): nothing there.
    const anon = fx.as({ uid: 0, gid: 0 });
    expectErr(() => anon.open('/dev/stdout', 0, true), E.NOENT);
  });

  it('a directory fd can be walked through', () => {
    const { fx, fds, ns, cred } = setup();
    fx.mkdir('/d');
    fx.write('/d/inner', 'in');
    fds.set(4, ns.pathOps.open(cred, ns.rootHandle(), '/d', { oflags: OFlags.DIRECTORY, fdflags: 0, followSymlinks: true, mode: { read: true, write: false } }));
    expect(fx.read('/dev/fd/4/inner')).toBe('in');
    expect(fx.ls('/dev/fd/4')).toEqual(['inner']);
  });
});

describe('procfs', () => {
  it('self, status, cmdline, environ, mounts, fd', () => {
    const { fx } = setup();
    expect(fx.readlink('/proc/self')).toBe('7');
    expect(fx.read('/proc/self/status')).toContain('Pid:\t7\n');
    expect(fx.read('/proc/self/status')).toContain('PPid:\t1\n');
    expect(fx.read('/proc/7/cmdline')).toBe('prog\0a b\0');
    expect(fx.read('/proc/self/environ')).toBe('K=V\0');
    const mounts = fx.read('/proc/mounts');
    expect(mounts).toContain(' /dev devtmpfs rw 0 0\n');
    expect(mounts).toContain(' /proc proc rw 0 0\n');
    expect(mounts.split('\n')[0]).toBe('tmpfs / tmpfs rw 0 0');
    expect(fx.ls('/proc/self/fd')).toEqual(['0', '1', '2', '3']);
    expect(fx.readlink('/proc/self/fd/3')).toBe('/file');
    expect(fx.read('/proc/self/fd/3')).toBe('file data');
    expect(fx.stat('/proc/self/status').size).toBe(0n);
    expectErr(() => fx.open('/proc/self/status', 0, true), E.ACCES);
    expectErr(() => fx.stat('/proc/99'), E.NOENT);
  });

  it('meminfo, uptime, hostname and the root listing', () => {
    const { fx } = setup();
    expect(fx.read('/proc/meminfo')).toMatch(/^MemTotal: +1000 kB\nMemFree: +600 kB\nMemAvailable: +700 kB\n$/);
    expect(fx.read('/proc/uptime')).toBe('12.34 0.00\n');
    expect(fx.read('/proc/sys/kernel/hostname')).toBe('box\n');
    expect(fx.ls('/proc')).toEqual(['1', '7', 'meminfo', 'mounts', 'self', 'sys', 'uptime']);
    const d = fx.open('/proc', OFlags.DIRECTORY);
    const all: string[] = [];
    let c = 0n;
    for (;;) {
      const p = d.readdir(c, 2);
      if (p.length === 0) break;
      all.push(...p.map((e) => e.name));
      c = p[p.length - 1].next;
    }
    expect(all).toEqual(['.', '..', 'self', 'mounts', 'meminfo', 'uptime', 'sys', '1', '7']);
    expect(fx.stat('/proc/sys/..').ino).toBe(fx.stat('/proc').ino);
    expect(fx.stat('/proc/..').ino).toBe(fx.stat('/').ino);
  });
});
