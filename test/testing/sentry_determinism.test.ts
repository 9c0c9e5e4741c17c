/**
 * The determinism switches and fault injection on the sentry platform
 * (startProgram, the Runtime): the clock, the seed and the fault rules
 * travel in the container's config (annotation org.wasmvisor.testing) to
 * the Sentry, whose kernel applies them. Two runs give byte-identical
 * stdout and traces; an injected fault is marked in the trace; the virtual
 * clock moves when the test advances it from outside.
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { formatTrace, startProgram } from '../../src/testing/index.js';
import type { StartProgramOptions } from '../../src/testing/index.js';

const PROBE = join(import.meta.dirname, 'fixtures/det_probe.wasm');
const WASM = join(import.meta.dirname, '../../wasm');

async function once(opts: StartProgramOptions): Promise<{ stdout: string; trace: string; exitCode: number }> {
  const p = await startProgram(PROBE, opts);
  try {
    const r = await p.wait();
    return { stdout: r.stdout, exitCode: r.exitCode, trace: formatTrace(await p.trace()) };
  } finally {
    await p.close();
  }
}

describe('determinism and faults on the sentry platform', () => {
  const opts: StartProgramOptions = {
    clock: { realtime: '2024-01-01T00:00:00Z' }, random: 9,
    faults: [{ call: 'path_open', path: '/data/*', nth: 2, errno: 'ENOENT' }],
    files: { '/etc/app.conf': 'x=1\n' }, limits: { tmpfs: ['/data'] },
  };

  it('two runs with clock, seed and faults give byte-identical stdout and traces; the fault is marked injected', async () => {
    const a = await once(opts);
    const b = await once(opts);
    expect(a.exitCode).toBe(0);
    expect(b.stdout).toBe(a.stdout);
    expect(b.trace).toBe(a.trace);
    // the virtual clock: the 1.5 s sleep ends at once, the clock moved by exactly that
    expect(a.stdout).toContain('start: realtime 1704067200.000000000 monotonic 0.000000000\n');
    expect(a.stdout).toContain('after 1.5 s: realtime 1704067201.500000000 monotonic 1.500000000\n');
    expect(a.stdout).toContain('open /data/alpha failed: No such file or directory\n');
    expect(a.stdout).toContain('app.conf x=1\n');
    expect(a.trace).toMatch(/path_open\(.*path="data\/alpha".*\) = 44 ENOENT .*\[injected: ENOENT\]/);
    expect(a.trace.match(/\[injected/g)).toHaveLength(1);
    // without the switches the clock and the random bytes differ
    const plain = { files: opts.files, limits: opts.limits };
    expect((await once(plain)).stdout).not.toBe((await once(plain)).stdout);
  });

  it('the test advances the virtual clock from outside while the program runs', async () => {
    const p = await startProgram(join(import.meta.dirname, 'fixtures/clock_lines.wasm'), { clock: { realtime: '2024-01-01T00:00:00Z' }, stdin: 'pipe' });
    try {
      const init = p.container.init;
      await init.write('a\n');
      await expect.poll(() => init.stdout.text(), { timeout: 30_000 }).toContain('a realtime');
      await p.advanceClock(3_600_000);
      await init.write('b\n');
      await init.closeStdin();
      const r = await p.wait();
      expect(r.exitCode).toBe(0);
      expect(r.stdout).toBe('a realtime 1704067200.000000000 monotonic 0.000000000\nb realtime 1704070800.000000000 monotonic 3600.000000000\n');
    } finally {
      await p.close();
    }
  });
});
