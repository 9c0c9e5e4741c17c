/**
 * Start-up of `wasmvisor run` (issue 12 point 6): a `run` command line
 * starts from a program with `run` alone registered (src/cli/run_main.ts,
 * its own bundle), which loads neither the other commands nor the image
 * pipeline, node:crypto, node:net, node:tty or node:worker_threads for a
 * module file. It must behave exactly as the full CLI, which
 * `container run …` (podman's group spelling, rewritten to `run` by the full
 * program) still goes through: same stdout, stderr and exit code for a
 * success, the workload's exit code, 125/126/127, usage errors and --help;
 * the same end by a signal; and the container recorded for `ps -a`.
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureBuilt, WASM_DIR, WASMVISOR_BIN } from '../support/wasm_run.js';

let dir: string;
let store: string;

beforeAll(() => {
  ensureBuilt();
  dir = mkdtempSync(join(tmpdir(), 'wv-run-startup-'));
  store = join(dir, 'store');
  writeFileSync(join(dir, 'not.wasm'), 'not a module');
  writeFileSync(join(dir, 'a-file'), 'x');
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function wv(args: string[], extraNodeArgs: string[] = []) {
  const r = spawnSync(process.execPath, [...extraNodeArgs, WASMVISOR_BIN, ...args], {
    encoding: 'utf8', timeout: 60_000, env: { ...process.env, WASMVISOR_ROOT: store }, input: '',
  });
  return { code: r.status, signal: r.signal, out: r.stdout, err: r.stderr };
}

const HELLO = join(WASM_DIR, 'hello.wasm');
const EXIT = join(WASM_DIR, 'exit_codes.wasm');

describe('run through its start-up path and through the full CLI', () => {
  const cases: [string, (d: string) => string[]][] = [
    ['hello', () => ['run', '--rm', HELLO, 'a', 'b']],
    ['the workload\'s exit code', () => ['run', '--rm', EXIT, 'exit', '7']],
    ['a trap (134)', () => ['run', '--rm', EXIT, 'abort']],
    ['no such file (127)', (d) => ['run', '--rm', join(d, 'missing.wasm')]],
    ['not WebAssembly (126)', (d) => ['run', '--rm', join(d, 'not.wasm')]],
    ['a bad option value (125)', () => ['run', '--rm', '-m', 'lots', HELLO]],
    ['an unknown option (125)', () => ['run', '--bogus', HELLO]],
    ['a missing argument (125)', () => ['run']],
    ['--help', () => ['run', '--help']],
    ['a bad reference (125)', () => ['run', '--rm', 'Not_A_Reference!']],
  ];
  for (const [what, args] of cases) {
    it(`${what}: same stdout, stderr and exit code`, () => {
      const fast = wv(args(dir));
      const [, ...rest] = args(dir);
      const full = wv(['container', 'run', ...rest]);
      expect(fast).toEqual(full);
      expect(fast.code).not.toBeNull();
    }, 120_000);
  }

  it('--root DIR and --root=DIR before run; a --root that is a file is refused alike (125)', () => {
    const other = join(dir, 'other-store');
    for (const root of [['--root', other], [`--root=${other}`], ['--root', join(dir, 'a-file')]]) {
      const fast = wv([...root, 'run', '--rm', HELLO]);
      const full = wv([...root, 'container', 'run', '--rm', HELLO]);
      expect(fast).toEqual(full);
    }
    expect(wv(['--root', join(dir, 'a-file'), 'run', '--rm', HELLO]).code).toBe(125);
    expect(wv(['--root', other, 'run', '--rm', HELLO]).out).toBe('hello from wasmvisor\n');
  }, 120_000);

  it('the container is recorded as the full CLI records it: ps -a lists it exited with its code, --rm leaves nothing', () => {
    const name = `startup_${process.pid}`;
    expect(wv(['run', '--name', name, EXIT, 'exit', '3']).code).toBe(3);
    const ps = wv(['ps', '-a', '--filter', `name=${name}`, '--format', '{{.Names}} {{.Status}}']);
    expect(ps.out.trim()).toMatch(new RegExp(`^${name} Exited \\(3\\)`));
    expect(wv(['run', '--name', name, HELLO]).code).toBe(125); // the name is taken
    expect(wv(['rm', name]).code).toBe(0);
    const rmName = `startup_rm_${process.pid}`;
    expect(wv(['run', '--rm', '--name', rmName, HELLO]).code).toBe(0);
    expect(wv(['ps', '-a', '--filter', `name=${rmName}`, '--format', '{{.Names}}']).out.trim()).toBe('');
  }, 120_000);

  it('SIGTERM ends a running foreground container the same way on both paths', async () => {
    const ends = [];
    for (const args of [['run', '--rm', join(WASM_DIR, 'ticker.wasm'), '0', '50'], ['container', 'run', '--rm', join(WASM_DIR, 'ticker.wasm'), '0', '50']]) {
      const p = spawn(process.execPath, [WASMVISOR_BIN, ...args], { env: { ...process.env, WASMVISOR_ROOT: store }, stdio: ['pipe', 'pipe', 'pipe'] });
      let out = '';
      const ticked = new Promise<void>((res) => p.stdout.on('data', (d: Buffer) => {
        out += d.toString();
        if (out.includes('tick 2\n')) res();
      }));
      const ended = new Promise<[number | null, NodeJS.Signals | null]>((res) => p.on('exit', (code, signal) => res([code, signal])));
      await Promise.race([ticked, ended]); // (an early end fails below, not by the timeout)
      p.kill('SIGTERM');
      ends.push(await ended);
    }
    expect(ends[0]).toEqual(ends[1]);
    expect(ends[0]).toEqual([null, 'SIGTERM']);
  }, 120_000);
});

describe('what a run of a module file loads', () => {
  it('none of node:crypto, node:net, node:tty, node:worker_threads, node:http(s), node:zlib (each 5–30 ms of start-up)', () => {
    const list = join(dir, 'modules.txt');
    const preload = join(dir, 'preload.cjs');
    writeFileSync(preload, `process.on('exit', () => require('node:fs').writeFileSync(${JSON.stringify(list)}, process.moduleLoadList.join('\\n')));\n`);
    const r = wv(['run', '--rm', HELLO], ['--require', preload]);
    expect(r.out).toBe('hello from wasmvisor\n');
    const loaded = new Set(readFileSync(list, 'utf8').split('\n'));
    expect(loaded.has('NativeModule fs')).toBe(true); // the list is what it says
    for (const m of ['crypto', 'tty', 'worker_threads', 'http', 'https', 'zlib']) expect(loaded.has(`NativeModule ${m}`), m).toBe(false);
    // node:net comes with node:child_process, which commander requires at load unless the bundle (which
    // defers it) runs: dist/src runs instead while another build has made the bundle older than tsc's output
    if (!loaded.has('NativeModule child_process')) expect(loaded.has('NativeModule net'), 'net').toBe(false);
  }, 120_000);
});
