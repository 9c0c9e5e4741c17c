/**
 * An exited detached container keeps its writable layer until rm (issue 15
 * point 3, as podman): diff, cp out of it, export and commit work after it
 * exited; cp into it adds to that layer; rm takes the layer too.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it, vi } from 'vitest';
import { storeCli } from '../support/wv_cli.js';
import { killLeftovers, until } from '../runc/fixtures/harness.js';

const TOP = join(import.meta.dirname, '../..');
const PROBE = join(TOP, 'test/runtime/fixtures/probe.wasm');
const IMAGE = 'localhost/probe-stopped:1';

vi.setConfig({ testTimeout: 180_000, hookTimeout: 60_000 });

let store: string;
let host: string;


const { wv, ok } = storeCli(() => store);


beforeAll(() => {
  if (!existsSync(join(TOP, 'dist/src/cli/wasmvisor.js'))) throw new Error('dist/ is missing: run `npm run build`');
  store = mkdtempSync(join(tmpdir(), 'wv-stopped-fs-'));
  host = mkdtempSync(join(tmpdir(), 'wv-stopped-host-'));
  ok(['pack', '--add', `${PROBE}:/usr/bin/probe`, '-e', 'PATH=/usr/bin', '--entrypoint', '/usr/bin/probe', '-t', IMAGE]);
});

afterAll(() => {
  killLeftovers(join(store, 'containers'));
  rmSync(store, { recursive: true, force: true });
  rmSync(host, { recursive: true, force: true });
});

it('diff, cp out, export and commit of an exited container; cp into a missing directory refused; rm takes the layer', async () => {
  const id = ok(['run', '-d', '--name', 'gone', IMAGE, 'put', '/data.txt', 'kept after exit']).trim();
  await until('the container to exit', () => (wv(['inspect', '-f', '{{.State.Status}}', 'gone']).stdout.trim() === 'exited' ? true : undefined), 60_000);
  expect(ok(['logs', 'gone'])).toBe('ok\n');

  expect(ok(['diff', 'gone']).split('\n')).toContain('A /data.txt');
  expect(JSON.parse(ok(['diff', '--format', 'json', 'gone'])).added).toContain('/data.txt');

  ok(['cp', 'gone:/data.txt', join(host, 'out.txt')]);
  expect(readFileSync(join(host, 'out.txt'), 'utf8')).toBe('kept after exit');
  ok(['cp', 'gone:/usr/bin', join(host, 'bin')]); // a directory of the image's layer, under the kept one
  expect(readFileSync(join(host, 'bin/probe'))).toEqual(readFileSync(PROBE));
  const missing = wv(['cp', 'gone:/nope', host]);
  expect(missing.code).toBe(125);
  expect(missing.stderr).toBe('wasmvisor: gone:/nope: no such file or directory in the container\n');

  ok(['export', '-o', join(host, 'fs.tar'), 'gone']);
  const list = spawnSync('tar', ['-tf', join(host, 'fs.tar')], { encoding: 'utf8' }).stdout.split('\n');
  expect(list).toEqual(expect.arrayContaining(['./', './data.txt', './usr/bin/probe']));

  // cp into it lands in the kept layer (test/cli/cp_stopped.test.ts); a missing directory is one line, 125
  const into = wv(['cp', join(host, 'out.txt'), 'gone:/nodir/in.txt']);
  expect(into.code).toBe(125);
  expect(into.stderr).toBe('wasmvisor: gone:/nodir/in.txt: no such directory /nodir in the container\n');

  const image = ok(['commit', '-q', 'gone', 'localhost/from-exited:1']).trim();
  expect(image).toMatch(/^[0-9a-f]{64}$/);
  expect(ok(['run', '--rm', 'localhost/from-exited:1', 'show', '/data.txt'])).toBe('kept after exit');

  ok(['rm', 'gone']);
  expect(existsSync(join(store, 'containers', id))).toBe(false);
});

it('a created container has no writable layer yet: diff and commit say so (125)', () => {
  ok(['create', '--name', 'fresh', IMAGE, 'show', '/x']);
  for (const args of [['diff', 'fresh'], ['commit', 'fresh', 'localhost/never:1']]) {
    const r = wv(args);
    expect(r.code, args.join(' ')).toBe(125);
    expect(r.stderr).toMatch(/^wasmvisor: container fresh is created: it has no writable layer until it starts/);
  }
  ok(['rm', 'fresh']);
});
