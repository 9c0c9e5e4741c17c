import { linkSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { resolveUser, emptyRootReader } from '../../src/cli/run_user.js';
import { runWasm } from '../../src/runtime/run_wasm.js';

const FSUTIL = join(import.meta.dirname, 'fixtures/fsutil.wasm');

async function fsutil(args: string[], opts: Parameters<typeof runWasm>[0] = {}) {
  const r = await runWasm({ file: FSUTIL, args, stdout: 'capture', stderr: 'capture', ...opts });
  return r.stdout!;
}

function snapshot(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (d: string) => {
    for (const n of readdirSync(d).sort()) {
      const p = join(d, n);
      const st = statSync(p);
      if (st.isDirectory()) walk(p);
      else out[p] = `${st.mtimeMs}:${readFileSync(p, 'utf8')}`;
    }
  };
  walk(dir);
  return out;
}

describe('the default container filesystem', () => {
  it('has an empty root with /dev, /proc, /tmp, /etc/hostname and /sys/fs/cgroup (as on the sentry platform)', async () => {
    expect(await fsutil(['/', '/dev', '/tmp'])).toBe([
      '/: . .. tmp dev proc etc sys',
      '/dev: . .. null zero full random urandom fd stdin stdout stderr',
      '/tmp: . ..',
      '',
    ].join('\n'));
  });

  it('/proc shows the task', async () => {
    const out = await fsutil(['@/proc/self/status', '@/proc/mounts'], { argv0: 'myprog' });
    expect(out).toMatch(/^Name:\tmyprog$/m);
    expect(out).toMatch(/^Pid:\t1$/m);
    expect(out).toContain('overlay / overlay rw 0 0\n');
    expect(out).toContain('proc /proc proc rw 0 0\n');
  });

  it('--hostname shows in /proc/sys/kernel/hostname', async () => {
    expect(await fsutil(['@/proc/sys/kernel/hostname'], { hostname: 'box1' })).toBe('box1\n');
    expect(await fsutil(['@/proc/sys/kernel/hostname'])).toBe('wasmvisor\n');
  });

  it('files written in the container are gone afterwards', async () => {
    expect(await fsutil(['>/tmp/a=1', '@/tmp/a'])).toBe('1');
    expect(await fsutil(['@/tmp/a'])).toBe('cat /tmp/a: fail\n');
  });
});

describe('--rootfs', () => {
  it('shows the host directory and never modifies it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'wv-rootfs-'));
    mkdirSync(join(dir, 'etc'));
    writeFileSync(join(dir, 'etc/msg'), 'from host\n');
    symlinkSync('msg', join(dir, 'etc/link'));
    linkSync(join(dir, 'etc/msg'), join(dir, 'etc/hard'));
    const before = snapshot(dir);
    const out = await fsutil(['/etc', '@/etc/link', '>/etc/msg=changed', '@/etc/msg', '@/etc/hard', '>/new=x', '/'], { rootfs: dir });
    expect(out).toBe([
      '/etc: . .. hard link msg hostname',
      'from host',
      'changedchanged/: . .. etc tmp dev proc sys new',
      '',
    ].join('\n'));
    expect(snapshot(dir)).toEqual(before);
  });

  it('a missing rootfs is a runtime error naming it', async () => {
    await expect(runWasm({ file: FSUTIL, rootfs: '/nonexistent-rootfs' })).rejects.toThrow(/--rootfs: \/nonexistent-rootfs does not exist/);
  });
});

describe('-v HOST:CTR[:ro]', () => {
  it('binds a host directory read-write, and read-only with :ro', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'wv-bind-'));
    writeFileSync(join(dir, 'in.txt'), 'in\n');
    const out = await fsutil(['@/data/in.txt', '>/data/out.txt=out', '>/ro/x=no', '/ro'], {
      mounts: [{ host: dir, container: '/data' }, { host: dir, container: '/ro', readonly: true }],
    });
    expect(out).toBe('in\nwrite /ro/x: fail\n/ro: . .. in.txt out.txt\n');
    expect(readFileSync(join(dir, 'out.txt'), 'utf8')).toBe('out');
    expect(readdirSync(dir).sort()).toEqual(['in.txt', 'out.txt']);
  });

  it('each bind is also a preopen under its container path', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'wv-bind-'));
    const lines: string[] = [];
    await runWasm({ file: FSUTIL, args: ['/data'], stdout: 'null', mounts: [{ host: dir, container: '/data' }], strace: (l) => lines.push(l) });
    expect(lines.some((l) => /fd_prestat_get\(fd=4\) = 0 SUCCESS → "\/data"/.test(l))).toBe(true);
  });

  it('a missing host directory is a runtime error', async () => {
    await expect(runWasm({ file: FSUTIL, mounts: [{ host: '/nonexistent-bind', container: '/x' }] })).rejects.toThrow(/does not exist/);
  });
});

describe('image layers as lowers', () => {
  it('stacks layer trees (top first) under the private upper', async () => {
    const file = (text: string) => ({ kind: 'file' as const, mode: 0o644, uid: 0, gid: 0, mtimeNs: 0n, size: text.length, data: new TextEncoder().encode(text) });
    const dir = (entries: [string, unknown][]) => ({ kind: 'dir' as const, mode: 0o755, uid: 0, gid: 0, mtimeNs: 0n, entries: new Map(entries) as never });
    const bottom = { id: 'b', bytes: 6, root: dir([['etc', dir([['a', file('bottom')], ['b', file('bottom')]])]]) };
    const top = { id: 't', bytes: 3, root: dir([['etc', dir([['a', file('top')], ['b', { kind: 'whiteout' }]])]]) };
    const out = await fsutil(['/etc', '@/etc/a'], { lowers: [top, bottom] });
    expect(out).toBe('/etc: . .. a hostname\ntop');
  });
});

describe('--read-only, --tmpfs and -u', () => {
  it('a read-only root refuses writes even to root; /tmp and --tmpfs mounts stay writable', async () => {
    const out = await fsutil(['>/x=1', '>/tmp/y=2', '>/scratch/z=3', '@/tmp/y', '@/scratch/z', '@/proc/mounts'], { readOnly: true, tmpfs: ['/scratch'] });
    expect(out).toMatch(/^write \/x: fail\n23/);
    expect(out).toContain('overlay / overlay ro 0 0\n');
    expect(out).toContain('tmpfs /scratch tmpfs rw 0 0\n');
  });

  it('a non-root user cannot write to the root-owned / but can write to /tmp', async () => {
    const out = await fsutil(['>/x=1', '>/tmp/y=2', '@/tmp/y', '@/proc/self/status'], { user: { uid: 1000, gid: 100 } });
    expect(out).toMatch(/^write \/x: fail\n2/);
    expect(out).toMatch(/^Uid:\t1000\t/m);
    expect(out).toMatch(/^Gid:\t100\t/m);
  });

  it('the CLI passes --read-only, --tmpfs, -u and --hostname', () => {
    const r = spawnSync(process.execPath, [join(import.meta.dirname, '../../bin/wasmvisor.js'), 'run', '--read-only', '--tmpfs', '/scratch:size=1m', '-u', '7:8',
      '--hostname', 'box', FSUTIL, '>/scratch/a=ok', '@/scratch/a', '@/proc/sys/kernel/hostname', '@/proc/self/status'], { encoding: 'utf8', input: '' });
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^okbox\n/);
    expect(r.stdout).toMatch(/^Uid:\t7\t/m);
  });

  it('-u without /etc/passwd: numeric ids only, a lone UID gets group 0 (as podman)', () => {
    expect(resolveUser('5', emptyRootReader)).toEqual({ uid: 5, gid: 0 });
    expect(resolveUser('5:6', emptyRootReader)).toEqual({ uid: 5, gid: 6 });
    expect(() => resolveUser('alice', emptyRootReader)).toThrow(/unable to find user alice/);
  });
});
