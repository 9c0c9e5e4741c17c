/**
 * `attach` and `start -ai` send stdin to a detached container made with -i
 * (issue 15 point 3), as podman: what the command reads reaches the
 * container's stdin, EOF closes it; `--no-stdin` sends nothing; a container
 * made without -i is attached to its output only.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it, vi } from 'vitest';
import { storeCli, type Ran } from '../support/wv_cli.js';
import { killLeftovers } from '../runc/fixtures/harness.js';

const TOP = join(import.meta.dirname, '../..');
const BIN = join(TOP, 'bin/wasmvisor.js');
const CAT = join(TOP, 'wasm/cat.wasm');
const TICKER = join(TOP, 'wasm/ticker.wasm');

vi.setConfig({ testTimeout: 120_000, hookTimeout: 60_000 });

let store: string;


const { wv, ok } = storeCli(() => store);


/** Run the CLI with a stdin pipe that stays open until `end` is called. */
function wvOpen(args: string[]): { done: Promise<Ran>; write(s: string): void; end(): void } {
  const p = spawn(process.execPath, [BIN, ...args], { cwd: TOP, env: { ...process.env, WASMVISOR_ROOT: store }, stdio: ['pipe', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  p.stdout.setEncoding('utf8').on('data', (d: string) => { stdout += d; });
  p.stderr.setEncoding('utf8').on('data', (d: string) => { stderr += d; });
  p.stdin.on('error', () => {});
  const done = new Promise<Ran>((resolve) => p.on('close', (code, signal) => resolve({ code: code ?? (signal ? -1 : null), stdout, stderr })));
  return { done, write: (s) => p.stdin.write(s), end: () => p.stdin.end() };
}

beforeAll(() => {
  if (!existsSync(join(TOP, 'dist/src/cli/wasmvisor.js'))) throw new Error('dist/ is missing: run `npm run build`');
  store = mkdtempSync(join(tmpdir(), 'wv-attach-stdin-'));
});

afterAll(() => {
  killLeftovers(join(store, 'containers'));
  rmSync(store, { recursive: true, force: true });
});

it('attach sends its stdin to a run -d -i container; EOF ends cat, and attach exits with its code', () => {
  ok(['run', '-d', '-i', '--name', 'cat1', CAT]);
  const r = wv(['attach', 'cat1'], 'hello\nworld\n');
  expect(r.stderr).toBe('');
  expect(r.stdout).toBe('hello\nworld\n');
  expect(r.code).toBe(0);
  expect(ok(['inspect', '-f', '{{.State.Status}} {{.State.ExitCode}}', 'cat1'])).toBe('exited 0\n');
  expect(ok(['logs', 'cat1'])).toBe('hello\nworld\n');
});

it('start -ai sends stdin to a create -i container', () => {
  ok(['create', '-i', '--name', 'cat2', CAT]);
  const r = wv(['start', '-a', '-i', 'cat2'], 'from start\n');
  expect(r.stderr).toBe('');
  expect(r.stdout).toBe('from start\n');
  expect(r.code).toBe(0);
});

it('attach --no-stdin reads nothing: the container keeps its stdin open and sees none of it', async () => {
  ok(['run', '-d', '-i', '--name', 'cat3', CAT]);
  const a = wvOpen(['attach', '--no-stdin', 'cat3']);
  a.write('not for the container\n');
  a.end();
  await new Promise((r) => setTimeout(r, 3000)); // time enough to have forwarded it, had it read stdin
  expect(ok(['inspect', '-f', '{{.State.Status}}', 'cat3'])).toBe('running\n');
  // a second attach with stdin reaches it, and the first prints what cat echoes then
  const r = wv(['attach', 'cat3'], 'second\n');
  expect(r.stdout).toBe('second\n');
  expect(r.code).toBe(0);
  const first = await a.done;
  expect(first.stdout).toBe('second\n');
  expect(first.code).toBe(0);
  expect(ok(['logs', 'cat3'])).toBe('second\n');
});

it('a container made without -i is attached to its output only', async () => {
  ok(['run', '-d', '--name', 'tick', TICKER, '0', '200']);
  const a = wvOpen(['attach', 'tick']);
  a.write('ignored\n');
  a.end();
  const end = Date.now() + 60_000;
  while (!/tick \d+\n/.test(ok(['logs', '--tail', '1', 'tick'])) && Date.now() < end) await new Promise((r) => setTimeout(r, 200));
  await new Promise((r) => setTimeout(r, 1000));
  ok(['kill', 'tick']);
  const r = await a.done;
  expect(r.stderr).toBe('');
  expect(r.stdout).toMatch(/^(tick \d+\n)+$/);
  expect(r.code).toBe(137); // the container's own code: killed
});
