/**
 * Issue 9.5: every platform has one default memory budget (memory_default.ts;
 * WASMVISOR_MEMORY_DEFAULT lowers it so the test is fast, the code path is
 * the default's), and all of a container's in-memory bytes share it.
 */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Runtime } from '../../src/index.js';
import { runWasm } from '../../src/runtime/run_wasm.js';
import { requireDist } from '../runtime/helpers.js';

const ABUSE = join(import.meta.dirname, 'fixtures/abuse.wasm');
const MiB = 1024 * 1024;
const bytes = (s: string) => Number(/(\d+) bytes, then No space left on device/.exec(s)?.[1] ?? NaN);

let rt: Runtime;
let saved: string | undefined;
beforeAll(async () => {
  requireDist();
  saved = process.env.WASMVISOR_MEMORY_DEFAULT;
  process.env.WASMVISOR_MEMORY_DEFAULT = '16m';
  rt = await Runtime.create({ poolSize: 1 });
});
afterAll(async () => {
  await rt?.close();
  if (saved === undefined) delete process.env.WASMVISOR_MEMORY_DEFAULT;
  else process.env.WASMVISOR_MEMORY_DEFAULT = saved;
});

describe('default memory budget', () => {
  it('Runtime (sentry platform) with no memory limit: writing /tmp stops at the default, not host memory', async () => {
    const c = await rt.run({ module: ABUSE, config: { process: { args: ['abuse', 'fill:/tmp/big'] } } });
    const r = await c.wait();
    const out = c.init.stdout.text();
    // ENOSPC within the budget, or the container's OOM kill, as with an explicit memory.max
    if (!Number.isNaN(bytes(out))) expect(bytes(out)).toBeLessThanOrEqual(16 * MiB);
    else expect(r.oomKilled, `stdout: ${out}`).toBe(true);
    const st = await c.stats();
    expect(st.memoryMax).toBe(16 * MiB);
    expect(st.memoryPeak).toBeLessThanOrEqual(17 * MiB);
    await c.delete();
  });

  it('runWasm (inline) with no -m: files stop at the same default', async () => {
    const r = await runWasm({ file: ABUSE, args: ['fill:/tmp/big'], stdout: 'capture', stderr: 'capture' });
    expect(bytes(r.stdout!)).toBeLessThanOrEqual(16 * MiB);
    expect(bytes(r.stdout!)).toBeGreaterThan(14 * MiB);
  });

  it('inline -m 64m: /tmp + /dev + malloc together stay within 64 MiB (ENOSPC, then the OOM kill)', async () => {
    const r = await runWasm({ file: ABUSE, args: ['fill:/tmp/a', 'fill:/dev/b', 'malloc'], memoryLimit: 64 * MiB, stdout: 'capture', stderr: 'capture' });
    const lines = r.stdout!.split('\n');
    const tmp = bytes(lines.find((l) => l.startsWith('fill:/tmp/a')) ?? '');
    // /tmp's writes are cut short at the budget (as on a full tmpfs), so /dev may have no room left even to create the file
    const devLine = lines.find((l) => l.startsWith('fill:/dev/b')) ?? '';
    const dev = devLine === 'fill:/dev/b: No space left on device' ? 0 : bytes(devLine);
    expect(tmp + dev).toBeLessThanOrEqual(64 * MiB);
    expect(dev).toBeLessThan(MiB); // /dev shares the budget: nothing left after /tmp
    const malloc = /malloc: (\d+) MiB/.exec(r.stdout!);
    if (malloc) expect(tmp + dev + Number(malloc[1]) * MiB).toBeLessThanOrEqual(64 * MiB);
    else expect(r.status).toMatchObject({ signal: 9, reason: expect.stringMatching(/^OOM-killed/) });
    expect(r.exitCode).toBe(137);
  });
});
