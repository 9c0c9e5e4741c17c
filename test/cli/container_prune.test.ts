/**
 * `container prune` (filters, confirmation, ids printed), `system prune`
 * removing containers through it, and `system df -v`'s three tables, as
 * podman (issue 15 point 4), through the real CLI.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it, vi } from 'vitest';
import { storeCli } from '../support/wv_cli.js';
import { killLeftovers } from '../runc/fixtures/harness.js';

const TOP = join(import.meta.dirname, '../..');
const HELLO = join(TOP, 'wasm/hello.wasm');
const TICKER = join(TOP, 'wasm/ticker.wasm');
const PROBE = join(TOP, 'test/runtime/fixtures/probe.wasm');

vi.setConfig({ testTimeout: 180_000, hookTimeout: 60_000 });

let store: string;


const { wv, ok } = storeCli(() => store);


const ids = () => ok(['ps', '-a', '--no-trunc', '--format', '{{.ID}}']).split('\n').filter(Boolean).sort();

beforeAll(() => {
  if (!existsSync(join(TOP, 'dist/src/cli/wasmvisor.js'))) throw new Error('dist/ is missing: run `npm run build`');
  store = mkdtempSync(join(tmpdir(), 'wv-container-prune-'));
});

afterAll(() => {
  killLeftovers(join(store, 'containers'));
  rmSync(store, { recursive: true, force: true });
});

it('container prune removes created and exited containers (filters, confirmation), never running ones', () => {
  const labelled = ok(['create', '-l', 'keep=yes', HELLO]).trim();
  const created = ok(['create', HELLO]).trim();
  const exited = ok(['run', '-d', '-l', 'keep=no', HELLO]).trim();
  const running = ok(['run', '-d', TICKER, '0', '200']).trim();
  for (let i = 0; i < 300 && ok(['inspect', '-f', '{{.State.Status}}', exited]).trim() !== 'exited'; i++) spawnSync('sleep', ['0.2']);

  // no answer, or not yes: nothing removed
  expect(ok(['container', 'prune'], 'n\n')).toMatch(/^WARNING! This will remove all non running containers\.\nAre you sure you want to continue\? \[y\/N\] $/);
  expect(ids()).toEqual([labelled, created, exited, running].sort());

  const bad = wv(['container', 'prune', '-f', '--filter', 'name=x']);
  expect(bad.code).toBe(125);
  expect(bad.stderr).toMatch(/^wasmvisor: invalid --filter "name=x": use until=TIME, label=KEY\[=VALUE\] or label!=KEY\[=VALUE\]\n$/);

  expect(ok(['container', 'prune', '-f', '--filter', 'label=keep=no'])).toBe(`${exited}\n`);
  expect(ok(['container', 'prune', '-f', '--filter', 'until=2000-01-01'])).toBe(''); // all made after it
  expect(ok(['container', 'prune', '-f', '--filter', 'label!=keep'])).toBe(`${created}\n`);
  expect(ok(['container', 'prune'], 'yes\n')).toBe(`WARNING! This will remove all non running containers.\nAre you sure you want to continue? [y/N] ${labelled}\n`);
  expect(ids()).toEqual([running]);
  expect(existsSync(join(store, 'containers', exited))).toBe(false);
  ok(['rm', '-f', running]);
});

it('system prune removes stopped containers as container prune does; system df -v shows images, containers and volumes', () => {
  ok(['pack', '--add', `${PROBE}:/usr/bin/probe`, '--entrypoint', '/usr/bin/probe', '-t', 'localhost/df-probe:1']);
  ok(['volume', 'create', 'vol1']);
  const c = ok(['create', '-v', 'vol1:/data', 'localhost/df-probe:1', 'show', '/data']).trim();
  const df = ok(['system', 'df', '-v']);
  const [images, containers, volumes] = df.split(/\n\n(?=Containers space usage:|Local Volumes space usage:)/);
  expect(images).toMatch(/^Images space usage:\n\nREPOSITORY +TAG +IMAGE ID +CREATED +SIZE +SHARED SIZE +UNIQUE SIZE +CONTAINERS\n/);
  expect(images).toMatch(/\nlocalhost\/df-probe +1 +[0-9a-f]{12} +.+ ago +[\d.]+ [KM]i?B +0 ?B +[\d.]+ [KM]i?B +1$/m);
  expect(containers).toMatch(/^Containers space usage:\n\nCONTAINER ID +IMAGE +COMMAND +LOCAL VOLUMES +SIZE +CREATED +STATUS +NAMES\n/);
  expect(containers).toContain(`${c.slice(0, 12)}  localhost/df-probe:1`);
  expect(volumes).toMatch(/^Local Volumes space usage:\n\nVOLUME NAME +LINKS +SIZE\nvol1 +1 +/);
  const both = wv(['system', 'df', '-v', '--format', 'json']);
  expect(both.code).toBe(125);
  expect(both.stderr).toBe('wasmvisor: cannot combine --format and --verbose flags\n');

  const out = ok(['system', 'prune', '-f']);
  expect(out).toMatch(new RegExp(`^Deleted Containers\\n${c}\\n`));
  expect(ids()).toEqual([]);
});
