/**
 * cpu.weight and cpu.max across 20 busy-looping containers on one Sentry
 * (issue 11 "Done when"): half weigh twice the other half, each capped by
 * cpu.max at a share it cannot reach on this machine; after a few seconds
 * each container's cpu.stat usage is within 20% of its weighted share.
 * Wall-clock sensitive: in the `timing` project (run alone).
 */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Runtime, type Container } from '../../src/index.js';
import { requireDist, until } from './helpers.js';

const SPIN = readFileSync(new URL('../../wasm/spin.wasm', import.meta.url));
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

let rt: Runtime;
beforeAll(async () => {
  requireDist();
  rt = await Runtime.create({ poolSize: 4 });
});
afterAll(async () => { await rt?.close(); });

describe('cpu.weight across 20 containers', () => {
  it('each busy container gets its weighted share within 20%', async () => {
    const cs: { c: Container; weight: number }[] = [];
    for (let i = 0; i < 20; i++) {
      const shares = i % 2 === 0 ? 2048 : 1024; // cpu.weight 79 and 39
      const c = await rt.run({ module: SPIN, config: { process: { args: ['spin'] }, linux: { resources: { cpu: { quota: 500_000, period: 100_000, shares } } } } });
      cs.push({ c, weight: 0 });
    }
    for (const x of cs) await until(() => x.c.init.stdout.text().includes('spinning'), 60_000, 'spinning');
    for (const x of cs) x.weight = (await x.c.stats()).cpu!.weight;
    const u0 = await Promise.all(cs.map(async (x) => (await x.c.stats()).cpu!.usageUsec));
    await sleep(6000);
    const u1 = await Promise.all(cs.map(async (x) => (await x.c.stats()).cpu!.usageUsec));
    const used = u1.map((u, i) => u - u0[i]!);
    const total = used.reduce((a, b) => a + b, 0);
    const wsum = cs.reduce((a, x) => a + x.weight, 0);
    for (let i = 0; i < cs.length; i++) {
      const want = (total * cs[i]!.weight) / wsum;
      expect(used[i]!, `container ${i} (weight ${cs[i]!.weight}): ${used.join(' ')}`).toBeGreaterThan(want * 0.8);
      expect(used[i]!, `container ${i} (weight ${cs[i]!.weight}): ${used.join(' ')}`).toBeLessThan(want * 1.2);
    }
    await Promise.all(cs.map(async (x) => { await x.c.kill('SIGKILL'); await x.c.wait(); await x.c.delete(); }));
  }, 180_000);
});
