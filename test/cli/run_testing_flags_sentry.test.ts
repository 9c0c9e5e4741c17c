/**
 * `wasmvisor run --clock/--seed/--inject` off the inline platform: with
 * --platform sentry, -d and create the container's config carries them to
 * the Sentry (annotation org.wasmvisor.testing), and the runs repeat byte
 * for byte. The CLI runs from dist/ (`npm run build` first).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { REPO, WASMVISOR_BIN } from '../support/wasm_run.js';

const PROBE = join(REPO, 'test/testing/fixtures/det_probe.wasm');
const run = (...args: string[]) => spawnSync(process.execPath, [WASMVISOR_BIN, 'run', ...args], { encoding: 'utf8', input: '', timeout: 60_000 });

beforeAll(() => {
  if (!existsSync(join(REPO, 'dist/src/cli/wasmvisor.js'))) throw new Error('dist/ is missing: run `npm run build` (npm test does)');
});

describe('run --clock / --seed / --inject off the inline platform', () => {
  it('work on the sentry platform: the same bytes twice, the fault acts', () => {
    const args = ['--platform', 'sentry', '--clock', 'fake=2024-01-01T00:00:00Z', '--seed', '9', '--tmpfs', '/data', '--inject', 'path_open:ENOENT:nth=2:path=/data/*', PROBE];
    const a = run(...args);
    const b = run(...args);
    expect(a.status, a.stderr).toBe(0);
    expect(b.stdout).toBe(a.stdout);
    expect(a.stdout).toContain('start: realtime 1704067200.000000000 monotonic 0.000000000\n');
    expect(a.stdout).toContain('after 1.5 s: realtime 1704067201.500000000 monotonic 1.500000000\n');
    expect(a.stdout).toContain('open /data/alpha failed: No such file or directory\n');
    // the same output as the inline platform's
    const inline = run(...args.slice(2));
    expect(inline.stdout).toBe(a.stdout);
  });

  it('run -d --seed and create --clock keep them in the container\'s config: the detached run and start use them', () => {
    const root = mkdtempSync(join(tmpdir(), 'wv-detached-testing-'));
    const wv = (...args: string[]) => spawnSync(process.execPath, [WASMVISOR_BIN, '--root', root, ...args], { encoding: 'utf8', input: '', timeout: 60_000 });
    try {
      const flags = ['--clock', 'fake=2024-01-01T00:00:00Z', '--seed', '9', '--tmpfs', '/data', '--inject', 'path_open:ENOENT:nth=2:path=/data/*'];
      const d = wv('run', '-d', ...flags, PROBE);
      expect(d.status, d.stderr).toBe(0);
      const id = d.stdout.trim();
      expect(wv('wait', id).stdout.trim()).toBe('0');
      const logs = wv('logs', id).stdout;
      expect(logs).toContain('after 1.5 s: realtime 1704067201.500000000 monotonic 1.500000000\n');
      expect(logs).toContain('open /data/alpha failed: No such file or directory\n');
      const c = wv('create', ...flags, PROBE);
      expect(c.status, c.stderr).toBe(0);
      const cid = c.stdout.trim();
      expect(wv('start', cid).status).toBe(0);
      expect(wv('wait', cid).stdout.trim()).toBe('0');
      // the same bytes as the detached run's
      expect(wv('logs', cid).stdout).toBe(logs);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});
