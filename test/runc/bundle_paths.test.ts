/**
 * Paths in config.json are the bundle's, whatever directory wasmvisor-runc
 * runs in (red-team issue 9, point 9): a relative bind `source` and a
 * relative `root.path` resolve against the bundle directory, as runc's
 * specconv joins them with the bundle. The attack: run `create` from a cwd
 * that holds a secret under the same relative name as the bundle's data.
 */
import { copyFileSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HELLO, TOP, killLeftovers, makeBundle, runc, shimCreate, tempDir, type Shimmed } from './fixtures/harness.js';

let work: string;
let root: string;
let attackerCwd: string;
const started: Shimmed[] = [];

beforeAll(() => {
  if (!existsSync(join(TOP, 'dist/src/cli/runc/main.js'))) throw new Error('dist/ is missing: run `npm run build` (npm test does)');
  work = tempDir('runc-paths-');
  root = join(work, 'state');
  // the directory the attacker makes wasmvisor-runc run in: same relative names as the bundle's
  attackerCwd = join(work, 'cwd');
  mkdirSync(join(attackerCwd, 'data'), { recursive: true });
  writeFileSync(join(attackerCwd, 'data/secret.txt'), 'CWD SECRET\n');
  writeFileSync(join(attackerCwd, 'config.json'), 'CWD CONFIG\n');
  mkdirSync(join(attackerCwd, 'rootfs'), { recursive: true });
  copyFileSync(HELLO, join(attackerCwd, 'rootfs/probe.wasm')); // a root from the cwd would print hello
});

afterAll(() => {
  for (const s of started) s.reaper.stdin?.destroy();
  killLeftovers(root);
  rmSync(work, { recursive: true, force: true });
});

/** Create `name` from `attackerCwd`, start it, and return its stdout once it exited 0. */
async function runFromCwd(name: string, args: string[], mounts: unknown[]): Promise<string> {
  const bundle = makeBundle(work, name, args, { mounts });
  mkdirSync(join(bundle, 'data'));
  writeFileSync(join(bundle, 'data/secret.txt'), 'bundle data\n');
  const s = await shimCreate(root, bundle, name, attackerCwd);
  started.push(s);
  const st = await runc(root, ['start', name]);
  expect(st.code, st.stderr).toBe(0);
  expect(await s.reaped).toEqual({ create: 0, exit: 0, signal: 0 });
  return readFileSync(s.stdoutPath, 'utf8');
}

describe('wasmvisor-runc resolves config.json paths against the bundle', () => {
  it('a relative bind source (type bind) is the bundle\'s directory, never the cwd\'s', async () => {
    const out = await runFromCwd('bindtype', ['/probe.wasm', 'show', '/data/secret.txt'],
      [{ destination: '/data', type: 'bind', source: 'data', options: ['rbind', 'ro'] }]);
    expect(out).not.toContain('CWD SECRET');
    expect(out).not.toContain('hello from wasmvisor'); // root.path too is the bundle's
    expect(out).toBe('bundle data\n');
  });

  it('a relative bind source given by options only ("." as runc\'s own test) is the bundle directory', async () => {
    const out = await runFromCwd('bindopt', ['/probe.wasm', 'show', '/b/config.json'],
      [{ destination: '/b', source: '.', options: ['bind', 'ro'] }]);
    expect(out).not.toContain('CWD CONFIG');
    expect(JSON.parse(out)).toMatchObject({ process: { args: ['/probe.wasm', 'show', '/b/config.json'] } });
  });
});
