/**
 * Issue 9.6: a guest must not freeze a shared Sentry. Two containers on one
 * Sentry: a neighbour measures the longest time the kernel did not answer
 * it (fixtures/neighbour.c `tick`) while the other makes the kernel do work
 * whose cost it controls: fd_renumber to the top of a huge fd range, and
 * `diff` of 20,000 nested directories. The neighbour must never wait more
 * than 100 ms. Also: RLIMIT_NOFILE above nr_open ("infinity", 2^32) is
 * refused, as Linux refuses it.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NR_OPEN } from '../../kernel/task/fd_table.js';
import { Runtime, type Container } from '../../src/index.js';
import { requireDist } from '../runtime/helpers.js';

const NB = readFileSync(join(import.meta.dirname, 'fixtures/neighbour.wasm'));
const DEPTH = Number(process.env.NEIGHBOUR_DEPTH ?? 20_000);
const MAX_STALL_MS = 100;

let rt: Runtime;
beforeAll(async () => {
  requireDist();
  rt = await Runtime.create({ poolSize: 2 });
});
afterAll(async () => { await rt?.close(); });

function run(args: string[], rlimits?: { type: string; soft: number; hard: number }[]): Promise<Container> {
  return rt.run({ module: NB, config: { process: { args: ['neighbour', ...args], rlimits } } });
}

/** Start a ticking neighbour, run `attack` once it ticks, and return the neighbour's longest wait in ms. */
async function stallDuring(attack: () => Promise<void>): Promise<number> {
  const n = await run(['tick', '4000']);
  await new Promise((r) => setTimeout(r, 300));
  await attack();
  expect(await n.wait()).toMatchObject({ exitCode: 0 });
  const m = /maxgap_us (\d+) calls (\d+)/.exec(n.init.stdout.text());
  expect(m, n.init.stdout.text()).not.toBeNull();
  await n.delete();
  return Number(m![1]) / 1000;
}

describe('a guest cannot freeze its neighbours on a shared Sentry', () => {
  it('RLIMIT_NOFILE above nr_open (2^32, "infinity") is refused with a clear error', async () => {
    for (const hard of [2 ** 32, 2 ** 64 - 1, NR_OPEN + 1]) {
      const err = await run(['renumber', '4294967294'], [{ type: 'RLIMIT_NOFILE', soft: hard, hard }]).catch((e) => e);
      expect(err, `nofile ${hard}`).toBeInstanceOf(Error);
      expect((err as Error).message).toMatch(/above nr_open \(1048576\)/);
    }
  });

  it('fd_renumber to the top of the largest fd range: the neighbour never stalls 100 ms', async () => {
    let out = '';
    const stall = await stallDuring(async () => {
      const a = await run(['renumber', String(NR_OPEN - 1)], [{ type: 'RLIMIT_NOFILE', soft: NR_OPEN, hard: NR_OPEN }]);
      expect(await a.wait()).toMatchObject({ exitCode: 0 });
      out = a.init.stdout.text();
      await a.delete();
    });
    // fd_renumber onto a closed fd is EBADF (8) since 25145af (wasi-testsuite rust/renumber), so a guest can no
    // longer place an fd at the top of the range this way: nothing moved, and the next open takes fd 5
    expect(out).toBe('renumber 8 next 5\n');
    expect(stall).toBeLessThan(MAX_STALL_MS);
  });

  it(`diff of ${DEPTH} nested directories: linear, and the neighbour never stalls 100 ms`, async () => {
    const a = await run(['deep', String(DEPTH)]);
    expect(await a.wait()).toMatchObject({ exitCode: 0 });
    expect(a.init.stdout.text()).toBe(`made ${DEPTH}\n`);
    let entries = 0;
    let ms = 0;
    const stall = await stallDuring(async () => {
      const t0 = performance.now();
      const d = await a.diff();
      ms = performance.now() - t0;
      entries = d.length;
      expect(d[0]).toEqual({ kind: 'C', path: '/tmp' });
      expect(d[1]).toEqual({ kind: 'A', path: '/tmp/deep' });
      expect(d[d.length - 1]!.path).toBe(`/tmp/deep${'/d'.repeat(DEPTH)}`);
    });
    expect(entries).toBe(DEPTH + 2);
    console.log(`diff of ${DEPTH} levels: ${ms.toFixed(0)} ms, neighbour's longest wait ${stall.toFixed(1)} ms`);
    expect(stall).toBeLessThan(MAX_STALL_MS);
    await a.delete();
  }, 60_000);
});
