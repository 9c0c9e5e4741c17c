/**
 * `cp HOSTPATH CONTAINER:PATH` into an exited detached container, as podman
 * allows: the files go into the container's kept writable layer, and its
 * next `start` begins with that layer as its upper, so the program sees
 * them (and diff, commit and the next kept layer show them). A missing
 * directory is one line, exit 125.
 */
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it, vi } from 'vitest';
import { storeCli } from '../support/wv_cli.js';
import { killLeftovers } from '../runc/fixtures/harness.js';

const TOP = join(import.meta.dirname, '../..');
const PROBE = join(TOP, 'test/runtime/fixtures/probe.wasm');
const IMAGE = 'localhost/probe-cp-stopped:1';

vi.setConfig({ testTimeout: 180_000, hookTimeout: 60_000 });

let store: string;
let host: string;
const { wv, ok } = storeCli(() => store);

beforeAll(() => {
  if (!existsSync(join(TOP, 'dist/src/cli/wasmvisor.js'))) throw new Error('dist/ is missing: run `npm run build`');
  store = mkdtempSync(join(tmpdir(), 'wv-cp-stopped-'));
  host = mkdtempSync(join(tmpdir(), 'wv-cp-stopped-host-'));
  ok(['pack', '--add', `${PROBE}:/usr/bin/probe`, '-e', 'PATH=/usr/bin', '--entrypoint', '/usr/bin/probe', '-t', IMAGE]);
});

afterAll(() => {
  killLeftovers(join(store, 'containers'));
  rmSync(store, { recursive: true, force: true });
  rmSync(host, { recursive: true, force: true });
});

it('a file copied into an exited container is there when it starts again; so is a directory; diff and commit show them', () => {
  ok(['run', '-d', '--name', 'later', IMAGE, 'show', '/in.txt']);
  expect(ok(['wait', 'later']).trim()).not.toBe('0'); // no /in.txt yet
  writeFileSync(join(host, 'in.txt'), 'copied while exited');
  ok(['cp', join(host, 'in.txt'), 'later:/in.txt']);
  expect(ok(['diff', 'later']).split('\n')).toContain('A /in.txt');
  const started = wv(['start', '-a', 'later']);
  expect(started.stderr).toBe('');
  expect(started.stdout).toBe('copied while exited');
  expect(started.code).toBe(0);

  // the run that saw it kept it (its layer began with it), and a second copy replaces it
  expect(ok(['diff', 'later']).split('\n')).toContain('A /in.txt');
  writeFileSync(join(host, 'in.txt'), 'second copy');
  mkdirSync(join(host, 'tree/sub'), { recursive: true });
  writeFileSync(join(host, 'tree/sub/b.txt'), 'B');
  ok(['cp', join(host, 'in.txt'), 'later:/']);
  ok(['cp', join(host, 'tree'), 'later:/usr']); // into an image directory, under its own name
  expect(ok(['start', '-a', 'later'])).toBe('second copy');
  expect(ok(['diff', 'later']).split('\n')).toEqual(expect.arrayContaining(['A /in.txt', 'C /usr', 'A /usr/tree/sub/b.txt']));
  ok(['cp', 'later:/usr/tree/sub/b.txt', join(host, 'b.out')]);
  expect(ok(['commit', '-q', 'later', 'localhost/cp-stopped:committed']).trim()).toMatch(/^[0-9a-f]{64}$/);
  expect(ok(['run', '--rm', 'localhost/cp-stopped:committed', 'show', '/usr/tree/sub/b.txt'])).toBe('B');

  for (const [dest, dir] of [['later:/nodir/x.txt', '/nodir'], ['later:/in.txt/', '/in.txt']]) {
    const r = wv(['cp', join(host, 'in.txt'), dest]);
    expect(r.code, dest).toBe(125);
    expect(r.stderr).toBe(`wasmvisor: ${dest}: no such directory ${dir} in the container\n`);
  }
  ok(['rm', 'later']);
});
