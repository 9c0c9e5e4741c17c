/**
 * The cpu flags of `wasmvisor run` (issue 11 point 5): --ulimit cpu=N ends
 * a busy loop with SIGXCPU (152), --cpus throttles it (metered on the
 * inline platform too), bad values are one line and exit 125.
 */
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { ensureBuilt, REPO, spawnCollect, WASMVISOR_BIN } from '../support/wasm_run.js';

const SPIN = join(REPO, 'wasm/spin.wasm');
const run = (...args: string[]) => spawnCollect(process.execPath, [WASMVISOR_BIN, 'run', ...args], undefined, 60_000);

beforeAll(() => ensureBuilt());

describe('run cpu flags', () => {
  it('--ulimit cpu=1 ends a busy loop with SIGXCPU, exit 152', async () => {
    const r = await run('--ulimit', 'cpu=1', SPIN);
    expect(r.exitCode).toBe(152);
    expect(r.stderr).toMatch(/CPU time limit exceeded/);
  });

  it('--cpus 0.2 throttles a finite busy loop that still finishes', async () => {
    const r = await run('--cpus', '0.2', SPIN, '20');
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toBe('spinning\nspun 20\n');
  });

  it.each([
    [['--cpus', 'abc'], /invalid --cpus abc/],
    [['--cpus', '1', '--cpu-quota', '50000'], /--cpus and --cpu-quota both/],
    [['--cpu-quota', '10'], /the minimum is 1000/],
    [['--cpu-period', '5'], /invalid --cpu-period 5/],
    [['--cpu-shares', '1'], /invalid --cpu-shares 1/],
    [['--ulimit', 'cpu=0'], /at least 1 second/],
  ])('%j is one line, exit 125', async (flags, re) => {
    const r = await run(...(flags as string[]), SPIN, '1');
    expect(r.exitCode).toBe(125);
    expect(r.stderr).toMatch(re as RegExp);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
  });
});
