/**
 * memory.high end to end: OCI memory.reservation and --memory-reservation
 * set it; a tenant writing files above it is slowed (each allocating write
 * parked for its penalty), not refused; memory.events high and memory.stat
 * are visible in /sys/fs/cgroup, stats() and events --stats.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Runtime } from '../../src/index.js';
import { requireDist } from './helpers.js';

const ROOT = join(import.meta.dirname, '../..');
const HOG_FILE = join(ROOT, 'wasm/hog.wasm');
const HOG = readFileSync(HOG_FILE);
const MiB = 1 << 20;

let rt: Runtime;
beforeAll(async () => {
  requireDist();
  rt = await Runtime.create({ poolSize: 1 });
});
afterAll(async () => { await rt?.close(); });

describe('memory.high', () => {
  it('Runtime: memory.reservation → memory.high; writes above it are parked (slower), none refused; events and stat counted', async () => {
    const args = ['hog', 'fill:/t/f', 'cat:/sys/fs/cgroup/memory.high', 'cat:/sys/fs/cgroup/memory.stat'];
    const mounts = [{ destination: '/t', type: 'tmpfs', source: 'tmpfs', options: ['size=4m'] }];
    const t0 = Date.now();
    const c = await rt.run({ module: HOG, config: { process: { args }, mounts, linux: { resources: { memory: { reservation: MiB } } } } });
    await c.wait();
    const slow = Date.now() - t0;
    const out = c.init.stdout.text();
    expect(out).toMatch(/^fill:\/t\/f: wrote \d+ short \d+ then No space left on device$/m); // the tmpfs's size, not memory.high, stopped it
    expect(out).toContain('cat:/sys/fs/cgroup/memory.high: 1048576\n');
    expect(Number(/^cat:\/sys\/fs\/cgroup\/memory.stat: anon (\d+)$/m.exec(out)![1])).toBeGreaterThan(65536); // the running task's linear memory
    const s = await c.stats();
    expect(s.memoryHigh).toBe(MiB);
    expect(s.memoryEvents.high).toBeGreaterThan(40); // about one per 64 KiB write above high
    expect(s.memoryStat!.file).toBeGreaterThan(3 * MiB);
    expect(s.memoryStat!.anon).toBe(0); // the task has ended: its linear memory is uncharged
    // without memory.high the same fill is not parked
    const t1 = Date.now();
    const d = await rt.run({ module: HOG, config: { process: { args }, mounts } });
    await d.wait();
    const fast = Date.now() - t1;
    expect((await d.stats()).memoryEvents.high).toBe(0);
    expect(slow).toBeGreaterThan(fast + 100); // ≥ 48 writes parked 2–5 ms each
    await expect(rt.create({ module: HOG, config: { linux: { resources: { memory: { reservation: -5 } } } } })).rejects.toThrow(/memory.reservation must be a positive number/);
  });

  it('wasmvisor run --memory-reservation on both platforms; a bad size is one line, 125', () => {
    for (const platform of ['inline', 'sentry']) {
      const r = spawnSync(process.execPath, [join(ROOT, 'bin/wasmvisor.js'), 'run', '--platform', platform, '--memory-reservation', '2m', '--tmpfs', '/t:size=3m', HOG_FILE, 'fill:/t/f', 'cat:/sys/fs/cgroup/memory.high'], { encoding: 'utf8', input: '' });
      expect(r.status, r.stderr).toBe(0);
      expect(r.stdout).toContain('cat:/sys/fs/cgroup/memory.high: 2097152\n');
    }
    const bad = spawnSync(process.execPath, [join(ROOT, 'bin/wasmvisor.js'), 'run', '--memory-reservation', 'lots', HOG_FILE], { encoding: 'utf8', input: '' });
    expect(bad.stderr).toBe('wasmvisor: invalid --memory-reservation lots: give a positive size such as 512k, 64m or 1g\n');
    expect(bad.status).toBe(125);
  });
});
