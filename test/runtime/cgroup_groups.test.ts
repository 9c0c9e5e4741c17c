/**
 * Parent cgroups (issue 11 point 2): containers nest under a tenant's or
 * pod's cgroup (`Runtime.createGroup`, OCI `linux.cgroupsPath`
 * "GROUP/ctr"), whose limits bind the sum of its children: two containers
 * whose files together pass the group's memory.max — the second is
 * OOM-killed as if its own limit were hit, and once the first is deleted
 * the group has room again; the group's pids.max refuses a process past it
 * across containers; inside, /sys/fs/cgroup is the container's own cgroup.
 */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ContainerError, Runtime, type Container } from '../../src/index.js';
import { requireDist, until } from './helpers.js';

const WASM = join(import.meta.dirname, '../../wasm');
const MiB = 1024 * 1024;
let rt: Runtime;
beforeAll(async () => {
  requireDist();
  rt = await Runtime.create({ poolSize: 2 });
});
afterAll(async () => { await rt?.close(); });

const under = (group: string, name: string, args: string[]) => ({ process: { args }, linux: { cgroupsPath: `${group}/${name}` } });

describe('parent cgroups', () => {
  it("the group's memory.max binds the sum of its containers: the second to pass it is OOM-killed; a deleted one gives its bytes back", async () => {
    const g = await rt.createGroup('tenant-mem', { memory: 8 * MiB });
    // 5 MiB of files each: alone under the limit, together over it (the files stay charged after the program ends)
    const a = await rt.run({ module: join(WASM, 'memhog.wasm'), config: under('tenant-mem', 'a', ['memhog', '5', 'file']) });
    expect(await a.wait()).toMatchObject({ exitCode: 0, oomKilled: false });
    const after = await g.stats();
    expect(after['memory.current']).toBeGreaterThan(5 * MiB);
    expect(after['memory.max']).toBe(8 * MiB);
    const b = await rt.run({ module: join(WASM, 'memhog.wasm'), config: under('tenant-mem', 'b', ['memhog', '5', 'file']) });
    expect(await b.wait()).toMatchObject({ exitCode: 137, oomKilled: true });
    expect((await b.stats()).memoryEvents.oom_kill).toBe(1);
    // b's own cgroup shows its own (default) limit, not the group's: the group is above its cgroup namespace
    expect((await b.stats()).memoryMax).not.toBe(8 * MiB);
    await b.delete();
    await a.delete();
    expect((await g.stats())['memory.current']).toBe(0);
    const c = await rt.run({ module: join(WASM, 'memhog.wasm'), config: under('tenant-mem', 'c', ['memhog', '5', 'file']) });
    expect(await c.wait()).toMatchObject({ exitCode: 0, oomKilled: false });
    await c.delete();
    // outside the group the same program is not bound by it
    const free = await rt.run({ module: join(WASM, 'memhog.wasm'), config: { process: { args: ['memhog', '9', 'file'] } } });
    expect(await free.wait()).toMatchObject({ exitCode: 0, oomKilled: false });
    await free.delete();
    await g.delete();
  });

  it("the group's pids.max counts every container's processes: one more is refused (EAGAIN), exec included", async () => {
    const g = await rt.createGroup('pod-pids', { pids: 2 });
    const running: Container[] = [];
    try {
      for (const n of ['a', 'b']) running.push(await rt.run({ module: join(WASM, 'ticker.wasm'), config: under('pod-pids', n, ['ticker', '0', '50']) }));
      await until(async () => (await g.stats())['pids.current'] === 2, 20_000, 'two processes in the group');
      const err = await rt.run({ module: join(WASM, 'ticker.wasm'), config: under('pod-pids', 'c', ['ticker', '0', '50']) }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ContainerError);
      expect((err as Error).message).toMatch(/pids\.max of its parent cgroup pod-pids reached/);
      await expect(running[0]!.exec({ module: join(WASM, 'hello.wasm'), process: { args: ['hello'] } })).rejects.toThrow(/pids\.max/);
      // inside, /sys/fs/cgroup is the container's own cgroup (pids.max max), as a cgroup namespace shows it
      await running[1]!.kill('SIGKILL');
      await running[1]!.wait();
      const h = await running[0]!.exec({ module: join(WASM, 'hog.wasm'), process: { args: ['hog', 'cat:/sys/fs/cgroup/pids.max', 'cat:/sys/fs/cgroup/pids.current'] } });
      await h.wait();
      expect(h.stdout.text()).toBe('cat:/sys/fs/cgroup/pids.max: max\ncat:/sys/fs/cgroup/pids.current: 2\n');
    } finally {
      for (const c of running) await c.delete({ force: true }).catch(() => {});
      await g.delete();
    }
  });

  it("the group's cpu.max throttles its containers together: two busy loops share one quota", async () => {
    const g = await rt.createGroup('tenant-cpu', { cpu: { quota: 10_000, period: 50_000 } });
    const spin = (n: string) => rt.run({ module: join(WASM, 'spin.wasm'), config: under('tenant-cpu', n, ['spin']) });
    const cs = [await spin('a'), await spin('b')];
    try {
      for (const c of cs) await until(() => c.init.stdout.text().includes('spinning'), 20_000, 'spinning');
      const g0 = await g.stats();
      const t0 = performance.now();
      await new Promise((r) => setTimeout(r, 1500));
      const g1 = await g.stats();
      const us = (performance.now() - t0) * 1000;
      expect(g1['cpu.max']).toBe(10_000);
      expect(g1['cpu.nr_throttled']!).toBeGreaterThan(g0['cpu.nr_throttled']!);
      // both together within the group's 20% of a core (a slice of slack per period each), where alone each could take a core
      expect(g1['cpu.usage_usec']! - g0['cpu.usage_usec']!).toBeLessThanOrEqual(us * 0.45 + 20_000);
      // each container's own cpu.max is max: it is throttled by its parent's
      for (const c of cs) {
        const s = (await c.stats()).cpu!;
        expect(s.quota).toBeNull();
      }
    } finally {
      for (const c of cs) await c.delete({ force: true }).catch(() => {});
      await g.delete();
    }
  });

  it('refuses a bad group name or limit with a clear message', async () => {
    await expect(rt.createGroup('a b', {})).rejects.toThrow(/letters, digits/);
    await expect(rt.createGroup('ok', { memory: -1 })).rejects.toThrow(/group memory -1/);
  });
});
