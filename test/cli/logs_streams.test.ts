/**
 * `wasmvisor logs` prints what a detached container wrote to stderr on its
 * own stderr and the rest on stdout, as podman's logs does: plainly, with
 * -t and --tail (the record path), with several containers (each line
 * prefixed), and through `start -a` of an exited container.
 */
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it, vi } from 'vitest';
import { storeCli } from '../support/wv_cli.js';
import { killLeftovers } from '../runc/fixtures/harness.js';

const TOP = join(import.meta.dirname, '../..');
const CAT = join(TOP, 'wasm/cat.wasm');

vi.setConfig({ testTimeout: 120_000, hookTimeout: 60_000 });

let store: string;
let data: string;

const { wv } = storeCli(() => store);

beforeAll(() => {
  if (!existsSync(join(TOP, 'dist/src/cli/wasmvisor.js'))) throw new Error('dist/ is missing: run `npm run build`');
  store = mkdtempSync(join(tmpdir(), 'wv-logs-streams-'));
  data = mkdtempSync(join(tmpdir(), 'wv-logs-streams-data-'));
  writeFileSync(join(data, 'a.txt'), 'out line\n');
});

afterAll(() => {
  killLeftovers(join(store, 'containers'));
  rmSync(store, { recursive: true, force: true });
  rmSync(data, { recursive: true, force: true });
});

it('stderr lines go to stderr, stdout lines to stdout, in every form of logs', () => {
  // cat: the file to stdout, a missing file's error to stderr, the file again
  const made = wv(['run', '-d', '-v', `${data}:/d:ro`, CAT, '/d/a.txt', '/missing', '/d/a.txt']);
  expect(made.code, made.stderr).toBe(0);
  const id = made.stdout.trim();
  expect(wv(['wait', id]).stdout.trim()).toBe('1');
  const err = 'cat: /missing: No such file or directory\n';

  const plain = wv(['logs', id]);
  expect(plain.code).toBe(0);
  expect(plain.stdout).toBe('out line\nout line\n');
  expect(plain.stderr).toBe(err);

  const stamped = wv(['logs', '-t', '--tail', '2', id]);
  expect(stamped.stdout).toMatch(/^\S+Z out line\n$/); // the last two lines: the error, then the file
  expect(stamped.stderr).toMatch(/^\S+Z cat: \/missing: No such file or directory\n$/);

  const second = wv(['run', '-d', CAT, '/nothing']).stdout.trim();
  wv(['wait', second]);
  const both = wv(['logs', id, second]);
  expect(both.stdout).toBe(`${id.slice(0, 12)} out line\n${id.slice(0, 12)} out line\n`);
  expect(both.stderr).toBe(`${id.slice(0, 12)} ${err}${second.slice(0, 12)} cat: /nothing: No such file or directory\n`);
});
