/**
 * `wasmvisor run --clock fake[=ISO-TIME] --seed N --inject RULE`: with all
 * three, two runs print byte-identical stdout and --strace output (faults
 * marked); the grammar is in `run --help`; bad values are one line, exit
 * 125. On the sentry platform, with -d and with create the container's
 * config carries them to the Sentry. The CLI runs from dist/ (`npm run
 * build` first).
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { REPO, WASMVISOR_BIN } from '../support/wasm_run.js';

const PROBE = join(REPO, 'test/testing/fixtures/det_probe.wasm');
const run = (...args: string[]) => spawnSync(process.execPath, [WASMVISOR_BIN, 'run', ...args], { encoding: 'utf8', input: '', timeout: 60_000 });

beforeAll(() => {
  if (!existsSync(join(REPO, 'dist/src/cli/wasmvisor.js'))) throw new Error('dist/ is missing: run `npm run build` (npm test does)');
});

describe('run --clock / --seed / --inject', () => {
  it('with all three, two runs give byte-identical stdout and strace, injected calls marked', () => {
    const args = ['--clock', 'fake=2024-01-01T00:00:00Z', '--seed', '9', '--tmpfs', '/data', '--inject', 'path_open:ENOENT:nth=2:path=/data/*', '--strace', PROBE];
    const a = run(...args);
    const b = run(...args);
    expect(a.status, a.stderr).toBe(0);
    expect(b.stdout).toBe(a.stdout);
    expect(b.stderr).toBe(a.stderr);
    expect(a.stdout).toContain('start: realtime 1704067200.000000000 monotonic 0.000000000\n');
    expect(a.stdout).toContain('after 1.5 s: realtime 1704067201.500000000 monotonic 1.500000000\n');
    expect(a.stdout).toContain('open /data/alpha failed: No such file or directory\n');
    expect(a.stderr).toMatch(/path_open\(.*path="data\/alpha".*\) = 44 NOENT .*\[injected: ENOENT\]/);
    // without the switches the clock and random bytes differ
    const c = run('--tmpfs', '/data', PROBE);
    expect(c.stdout).not.toBe(run('--tmpfs', '/data', PROBE).stdout);
  });

  it('documents the grammar in run --help', () => {
    const h = spawnSync(process.execPath, [WASMVISOR_BIN, 'run', '--help'], { encoding: 'utf8' });
    expect(h.stdout).toContain('--inject <rule>');
    expect(h.stdout).toContain('CALL:ACTION[:KEY=VALUE]...');
    expect(h.stdout).toContain('--clock <fake[=ISO-TIME]|real>');
  });

  it('refuses bad values and other platforms with one line, exit 125', () => {
    for (const [args, msg] of [
      [['--inject', 'path_open'], /give CALL:ACTION/],
      [['--inject', 'path_open:ENOPE'], /unknown errno ENOPE/],
      [['--inject', 'fd_write:EIO:nth=0'], /nth counts from 1/],
      [['--inject', 'path_open:EIO:when=3'], /unknown key when/],
      [['--clock', 'fake=yesterday'], /--clock fake=yesterday: yesterday is not a date/],
      [['--clock', 'slow'], /--clock slow: use fake/],
      [['--seed', '-1'], /--seed -1: give a whole number/],
      [['--inject', 'path_open:short=1'], /short applies to reads and writes/],
      [['--platform', 'sentry', '--inject', 'path_open:ENOPE'], /unknown errno ENOPE/],
    ] as const) {
      const r = run(...args, PROBE);
      expect(r.status, `${args.join(' ')}: ${r.stderr}`).toBe(125);
      expect(r.stderr).toMatch(msg);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
    }
  });
});
