/**
 * CPU control by fuel metering on the sentry platform (issue 11 point 1):
 * a busy loop that makes no system call (wasm/spin.c) is paused, resumed
 * and killed; cpu.max throttles it (cpu.stat nr_throttled, usage within
 * the quota); RLIMIT_CPU ends it with SIGXCPU; /sys/fs/cgroup shows the
 * cpu files.
 */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Runtime } from '../../src/index.js';
import { PROBE, probe, requireDist, until } from './helpers.js';

const SPIN = readFileSync(new URL('../../wasm/spin.wasm', import.meta.url));
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

let rt: Runtime;
beforeAll(async () => {
  requireDist();
  rt = await Runtime.create({ poolSize: 2 });
});
afterAll(async () => { await rt?.close(); });

describe('cpu metering', () => {
  it('a busy loop without syscalls is paused, resumed and killed; cpu.stat counts its usage', async () => {
    const c = await rt.run({ module: SPIN, config: { process: { args: ['spin'] } } });
    await until(() => c.init.stdout.text().includes('spinning'), 20_000, 'spinning');
    await until(async () => ((await c.stats()).cpu?.usageUsec ?? 0) > 20_000, 20_000, 'usage grows');
    await c.pause();
    await sleep(100); // the current slice ends
    const u1 = (await c.stats()).cpu!.usageUsec;
    await sleep(500);
    const u2 = (await c.stats()).cpu!.usageUsec;
    expect(u2 - u1, 'no fuel is spent while paused').toBe(0);
    await c.resume();
    await until(async () => (await c.stats()).cpu!.usageUsec > u2 + 20_000, 20_000, 'usage grows after resume');
    await c.kill('SIGKILL');
    expect(await c.wait()).toMatchObject({ exitCode: 137, signal: 'SIGKILL' });
    await c.delete();
  });

  it('cpu.max throttles a busy loop: nr_throttled counts, usage stays near the quota', async () => {
    const c = await rt.run({ module: SPIN, config: { process: { args: ['spin'] }, linux: { resources: { cpu: { quota: 10_000, period: 50_000 } } } } });
    await until(() => c.init.stdout.text().includes('spinning'), 20_000, 'spinning');
    const s0 = (await c.stats()).cpu!;
    const t0 = performance.now();
    await sleep(1500);
    const s1 = (await c.stats()).cpu!;
    const ms = performance.now() - t0;
    expect(s1.quota).toBe(10_000);
    expect(s1.period).toBe(50_000);
    expect(s1.nrThrottled).toBeGreaterThan(s0.nrThrottled);
    expect(s1.nrPeriods).toBeGreaterThan(s0.nrPeriods);
    expect(s1.throttledUsec).toBeGreaterThan(0);
    // at most 20% of the elapsed time (one quota per period), plus a period of slack
    expect(s1.usageUsec - s0.usageUsec).toBeLessThanOrEqual((ms * 1000) * 0.2 + 10_000);
    await c.kill('SIGKILL');
    await c.wait();
    await c.delete();
  });

  it('RLIMIT_CPU ends a busy loop with SIGXCPU', async () => {
    const c = await rt.run({ module: SPIN, config: { process: { args: ['spin'], rlimits: [{ type: 'RLIMIT_CPU', soft: 1, hard: 2 }] } } });
    expect(await c.wait()).toMatchObject({ exitCode: 152, signal: 'SIGXCPU' });
    expect((await c.stats().catch(() => null))?.cpu?.usageUsec ?? 1_000_000).toBeGreaterThanOrEqual(1_000_000);
    await c.delete();
  });

  it('/sys/fs/cgroup shows cpu.max, cpu.weight and cpu.stat', async () => {
    const show = async (f: string) => {
      const c = await rt.run({ module: PROBE, config: { ...probe('show', `/sys/fs/cgroup/${f}`), linux: { resources: { cpu: { quota: 20_000, period: 100_000, shares: 2048 } } } } });
      await c.wait();
      const out = c.init.stdout.text();
      await c.delete();
      return out;
    };
    expect(await show('cpu.max')).toBe('20000 100000\n');
    expect(await show('cpu.weight')).toBe('79\n');
    expect(await show('cpu.stat')).toMatch(/^usage_usec \d+\nuser_usec \d+\nsystem_usec 0\nnr_periods \d+\nnr_throttled \d+\nthrottled_usec \d+\nnr_bursts 0\nburst_usec 0\n$/);
  });
});
