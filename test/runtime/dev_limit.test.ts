/**
 * A container cannot fill host memory through /dev or a sizeless tmpfs
 * mount: both count against its memory cgroup (and /dev is capped at 64 MiB).
 */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Runtime } from '../../src/index.js';
import { requireDist } from './helpers.js';

const ABUSE = join(import.meta.dirname, '../security/fixtures/abuse.wasm');
const MiB = 1024 * 1024;

let rt: Runtime;
beforeAll(async () => {
  requireDist();
  rt = await Runtime.create({ poolSize: 1 });
});
afterAll(async () => { await rt?.close(); });

describe('in-memory files count against memory.max', () => {
  for (const target of ['/dev/big', '/scratch/big']) {
    it(`writing ${target} stops at the limit`, async () => {
      const c = await rt.run({
        module: ABUSE,
        config: {
          process: { args: ['abuse', `fill:${target}`] },
          mounts: [{ destination: '/scratch', type: 'tmpfs', source: 'tmpfs' }],
          linux: { resources: { memory: { limit: 8 * MiB } } },
        },
      });
      const r = await c.wait();
      const out = c.init.stdout.text();
      const m = /(\d+) bytes, then No space left on device/.exec(out);
      // either the write hit ENOSPC within the budget, or the container was OOM-killed
      if (m) expect(Number(m[1])).toBeLessThanOrEqual(8 * MiB);
      else expect(r.oomKilled, `stdout: ${out}`).toBe(true);
      const st = await c.stats();
      expect(st.memoryPeak).toBeLessThanOrEqual(16 * MiB);
      await c.delete();
    });
  }
});
