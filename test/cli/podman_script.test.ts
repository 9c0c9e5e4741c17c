/**
 * The "done when": a script written for podman (test/cli/podman_script.sh:
 * podman's flags, formats and exit codes) runs unchanged with `podman` being
 * wasmvisor, for a Wasm image: create, start, logs, exec, stats --no-stream
 * --format, cp both ways, diff (also after stop), commit, stop, rm, images --format,
 * inspect -f, logs -t/--since/--until.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { killLeftovers } from '../runc/fixtures/harness.js';

const TOP = join(import.meta.dirname, '../..');
const BIN = join(TOP, 'bin/wasmvisor.js');
let store: string;
let bin: string;

beforeAll(() => {
  if (!existsSync(join(TOP, 'dist/src/cli/wasmvisor.js'))) throw new Error('dist/ is missing: run `npm run build`');
  store = mkdtempSync(join(tmpdir(), 'wv-podman-script-'));
  bin = mkdtempSync(join(tmpdir(), 'wv-podman-bin-'));
  symlinkSync(BIN, join(bin, 'podman')); // podman is wasmvisor (its shebang runs node)
  const pack = spawnSync(process.execPath, [BIN, 'pack', '--add', `${join(TOP, 'test/runtime/fixtures/probe.wasm')}:/usr/bin/probe`, '-e', 'PATH=/usr/bin',
    '--entrypoint', '/usr/bin/probe', '-t', 'localhost/probe-script:1'], { encoding: 'utf8', env: { ...process.env, WASMVISOR_ROOT: store } });
  expect(pack.status, pack.stderr).toBe(0);
});

afterAll(() => {
  killLeftovers(join(store, 'containers'));
  rmSync(store, { recursive: true, force: true });
  rmSync(bin, { recursive: true, force: true });
});

it('a podman script runs unchanged against wasmvisor', () => {
  const r = spawnSync('bash', [join(TOP, 'test/cli/podman_script.sh')], {
    encoding: 'utf8', cwd: TOP, timeout: 240_000,
    env: { ...process.env, WASMVISOR_ROOT: store, IMAGE: 'localhost/probe-script:1', PATH: `${bin}:${process.env.PATH}` },
  });
  expect(r.stderr).toBe('');
  expect(r.stdout).toBe('PASS\n');
  expect(r.status).toBe(0);
}, 300_000);
