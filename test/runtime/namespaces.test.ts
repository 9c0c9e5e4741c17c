import { chownSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync, chmodSync } from 'node:fs';
import { tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { emptyLayerDir } from '../../kernel/fs/layer_tree.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Runtime } from '../../src/index.js';
import { defaultMemoryLimit } from '../../src/runtime/memory_default.js';
import { PROBE, probe, requireDist } from './helpers.js';

let rt: Runtime;
let dir: string;
beforeAll(async () => {
  requireDist();
  rt = await Runtime.create({ poolSize: 2 });
  dir = mkdtempSync(join(tmpdir(), 'wasmvisor-ns-'));
});
afterAll(async () => {
  await rt?.close();
  rmSync(dir, { recursive: true, force: true });
});

async function runProbe(config: object, extra: object = {}) {
  const c = await rt.run({ module: PROBE, config, ...extra });
  const r = await c.wait();
  const out = c.init.stdout.text();
  await c.delete();
  return { r, out };
}

describe('namespaces', () => {
  it('pid: init is pid 1 and /proc shows only the container\'s tasks', async () => {
    const a = await rt.run({ module: PROBE, config: probe('cat'), stdin: 'pipe' });
    const b = await rt.run({ module: PROBE, config: probe('cat'), stdin: 'pipe' });
    await b.exec({ process: { args: ['probe', 'cat'] }, stdin: 'pipe' });
    const ls = await a.exec({ process: { args: ['probe', 'ls', '/proc'] } });
    await ls.wait();
    const pids = ls.stdout.text().split('\n').filter((l) => /^\d+$/.test(l));
    expect(pids).toEqual(['1', '2']);
    const st = await b.exec({ process: { args: ['probe', 'show', '/proc/1/status'] } });
    await st.wait();
    expect(st.stdout.text()).toMatch(/Pid:\t1\n/);
    await a.delete({ force: true });
    await b.delete({ force: true });
  });

  it('uts: the hostname shows in /proc/sys/kernel/hostname and /etc/hostname', async () => {
    const cfg = { hostname: 'sandbox-7', linux: { namespaces: [{ type: 'uts' }, { type: 'pid' }, { type: 'mount' }] } };
    expect((await runProbe({ ...cfg, ...probe('show', '/proc/sys/kernel/hostname') })).out).toBe('sandbox-7\n');
    expect((await runProbe({ ...cfg, ...probe('hostname') })).out).toBe('sandbox-7\n');
  });

  it('cgroup: /sys/fs/cgroup shows the v2 files with the limits', async () => {
    const cfg = { linux: { resources: { memory: { limit: 32 << 20 }, pids: { limit: 5 } } } };
    expect((await runProbe({ ...cfg, ...probe('show', '/sys/fs/cgroup/memory.max') })).out).toBe(`${32 << 20}\n`);
    expect((await runProbe({ ...cfg, ...probe('show', '/sys/fs/cgroup/pids.max') })).out).toBe('5\n');
    expect((await runProbe({ ...cfg, ...probe('show', '/sys/fs/cgroup/pids.current') })).out).toBe('1\n');
    // no limit in the config: the default budget of every platform, shown as it is enforced (memory_default.ts)
    expect((await runProbe(probe('show', '/sys/fs/cgroup/memory.max'))).out).toBe(`${defaultMemoryLimit(totalmem())}\n`);
    const cur = Number((await runProbe({ ...cfg, ...probe('show', '/sys/fs/cgroup/memory.current') })).out);
    expect(cur).toBeGreaterThan(65536);
    expect((await runProbe({ ...cfg, ...probe('show', '/sys/fs/cgroup/memory.events') })).out).toMatch(/^low 0\nhigh 0\nmax \d+\noom 0\noom_kill 0\n$/);
    expect((await runProbe(probe('ls', '/sys/fs/cgroup'))).out.split('\n').filter(Boolean).sort()).toEqual(
      ['cgroup.controllers', 'cgroup.procs', 'cpu.max', 'cpu.stat', 'cpu.weight', 'io.max', 'io.stat', 'memory.current', 'memory.events', 'memory.high', 'memory.max', 'memory.peak', 'memory.stat', 'pids.current', 'pids.max']);
    expect((await runProbe(probe('put', '/sys/fs/cgroup/memory.max', '1'))).out).not.toBe('ok\n');
  });

  it('mount: a host rootfs under a private upper (never modified), ro and rw binds, tmpfs, read-only root', async () => {
    const root = join(dir, 'rootfs');
    mkdirSync(join(root, 'etc'), { recursive: true });
    writeFileSync(join(root, 'etc/motd'), 'from the image\n');
    const rw = join(dir, 'rw');
    const ro = join(dir, 'ro');
    mkdirSync(rw);
    mkdirSync(ro);
    writeFileSync(join(ro, 'f'), 'ro file\n');
    const mounts = [
      { destination: '/data', type: 'bind', source: rw, options: ['rbind', 'rw'] },
      { destination: '/cfg', type: 'bind', source: ro, options: ['rbind', 'ro'] },
      { destination: '/scratch', type: 'tmpfs', options: ['size=1m'] },
    ];
    const base = { root: { path: root }, mounts };
    expect((await runProbe({ ...base, ...probe('show', '/etc/motd') })).out).toBe('from the image\n');
    expect((await runProbe({ ...base, ...probe('put', '/etc/motd', 'changed') })).out).toBe('ok\n');
    expect(readFileSync(join(root, 'etc/motd'), 'utf8')).toBe('from the image\n');
    expect((await runProbe({ ...base, ...probe('put', '/data/out', 'hi') })).out).toBe('ok\n');
    expect(readFileSync(join(rw, 'out'), 'utf8')).toBe('hi');
    expect((await runProbe({ ...base, ...probe('show', '/cfg/f') })).out).toBe('ro file\n');
    expect((await runProbe({ ...base, ...probe('put', '/cfg/new', 'x') })).out).toMatch(/read-only/i);
    expect(existsSync(join(ro, 'new'))).toBe(false);
    expect((await runProbe({ ...base, ...probe('put', '/scratch/x', 'x') })).out).toBe('ok\n');
    const roRoot = { ...base, root: { path: root, readonly: true } };
    expect((await runProbe({ ...roRoot, ...probe('put', '/etc/motd', 'no') })).out).toMatch(/read-only/i);
    expect((await runProbe({ ...roRoot, ...probe('put', '/data/ok', 'yes') })).out).toBe('ok\n');
    const mountsSeen = (await runProbe({ ...base, ...probe('show', '/proc/mounts') })).out;
    for (const t of ['/ ', '/dev ', '/proc ', '/sys/fs/cgroup ', '/data ', '/cfg ', '/scratch ']) expect(mountsSeen).toContain(t);
  });

  it('diff walks the upper layer: copy-up is C, a whiteout D, new paths A; the image is untouched', async () => {
    const root = join(dir, 'difffs');
    mkdirSync(join(root, 'etc'), { recursive: true });
    mkdirSync(join(root, 'usr/share'), { recursive: true });
    writeFileSync(join(root, 'etc/motd'), 'image\n');
    writeFileSync(join(root, 'etc/gone'), 'x');
    writeFileSync(join(root, 'usr/share/keep'), 'k');
    const c = await rt.run({ module: PROBE, config: { root: { path: root }, process: { args: ['probe', 'cat'] } }, stdin: 'pipe' });
    expect(await c.diff()).toEqual([]);
    for (const args of [['put', '/etc/motd', 'changed'], ['put', '/usr/share/new', 'n'], ['files']]) {
      const p = await c.exec({ process: { args: ['probe', ...args] } });
      await p.wait();
    }
    expect(await c.diff()).toEqual([
      { kind: 'C', path: '/etc' },
      { kind: 'D', path: '/etc/gone' },
      { kind: 'C', path: '/etc/hostname' },
      { kind: 'C', path: '/etc/motd' },
      { kind: 'A', path: '/new' },
      { kind: 'A', path: '/new/b' },
      { kind: 'C', path: '/tmp' },
      { kind: 'A', path: '/tmp/a' },
      { kind: 'C', path: '/usr' },
      { kind: 'C', path: '/usr/share' },
      { kind: 'A', path: '/usr/share/new' },
    ]);
    expect(readFileSync(join(root, 'etc/motd'), 'utf8')).toBe('image\n');
    expect(existsSync(join(root, 'etc/gone'))).toBe(true);
    await c.delete({ force: true });
  });

  it('user: host file owners are mapped into the container and permission checks use them', async () => {
    const root = join(dir, 'userns');
    mkdirSync(root);
    writeFileSync(join(root, 'secret'), 'mapped owner can read\n');
    chmodSync(join(root, 'secret'), 0o600);
    chownSync(join(root, 'secret'), 4242, 4242);
    const linux = {
      namespaces: [{ type: 'user' }],
      uidMappings: [{ containerID: 0, hostID: 4000, size: 1000 }],
      gidMappings: [{ containerID: 0, hostID: 4000, size: 1000 }],
    };
    const as = (uid: number) => ({ root: { path: root }, linux, process: { args: ['probe', 'show', '/secret'], user: { uid, gid: uid } } });
    expect((await runProbe(as(242))).out).toBe('mapped owner can read\n');
    expect((await runProbe(as(243))).out).toMatch(/open: Permission denied/);
    const status = await runProbe({ ...as(242), process: { args: ['probe', 'show', '/proc/self/status'], user: { uid: 242, gid: 242 } } });
    expect(status.out).toMatch(/Uid:\t242/);
  });

  it('user: image layer owners stay as the image records them (as idmapped mounts), whatever the mapping', async () => {
    // A layer is shared by every container of its image: its owners are the image's own,
    // in the container's id space, as containerd shows a userns pod's image through
    // idmapped mounts. Only host directories (rootfs, binds) carry host ids to map.
    const text = new TextEncoder().encode('owned by 7 in the image\n');
    const root = emptyLayerDir();
    root.entries.set('secret', { kind: 'file', mode: 0o600, uid: 7, gid: 7, mtimeNs: 0n, size: text.length, data: text });
    const layers = [{ id: 'test:userns-layer', root, bytes: text.length }];
    const linux = {
      namespaces: [{ type: 'user' }],
      uidMappings: [{ containerID: 0, hostID: 100000, size: 65536 }],
      gidMappings: [{ containerID: 0, hostID: 100000, size: 65536 }],
    };
    const run = async (uid: number, args: string[]) => {
      const c = await rt.run({ module: PROBE, config: { linux, process: { args: ['probe', ...args], user: { uid, gid: uid } } }, rootfs: { layers } });
      await c.wait();
      const out = c.init.stdout.text();
      await c.delete();
      return out;
    };
    // (WASI's filestat carries no owner: the permission checks show it)
    expect(await run(7, ['show', '/secret'])).toBe('owned by 7 in the image\n');
    expect(await run(8, ['show', '/secret'])).toMatch(/open: Permission denied/);
  });
});
