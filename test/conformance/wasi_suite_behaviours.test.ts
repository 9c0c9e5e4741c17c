/**
 * The behaviours WebAssembly/wasi-testsuite (preview1) checks, run the way
 * the suite is measured here: `wasmvisor run --rootfs <the test's root dir>
 * [-e K=V] FILE.wasm [args]`, the tests finding their root as the preopen
 * named "/". Each probe (test/conformance/probes/*.c, our own programs
 * calling preview1 directly) prints one `ok - ...` / `not ok - ...` line per
 * check; test/conformance/README.md maps every suite test to its probe.
 *
 * The CLI runs from dist/ (`npm run build` first; npm test does).
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { itWithTools } from '../support/tools.js';

const ROOT = join(import.meta.dirname, '../..');
const BIN = join(ROOT, 'bin/wasmvisor.js');
const PROBES = join(import.meta.dirname, 'probes');

let rootfs = '';

/** Every path under `dir`, sorted. */
function tree(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      out.push(relative(dir, join(d, e.name)));
      if (e.isDirectory()) walk(join(d, e.name));
    }
  };
  walk(dir);
  return out.sort();
}

/** Run a probe under the CLI with the suite's kind of setup. */
function run(probe: string, opts: { rootfs?: string; env?: string[]; args?: string[] } = {}) {
  const argv = ['run'];
  if (opts.rootfs) argv.push('--rootfs', opts.rootfs);
  for (const e of opts.env ?? []) argv.push('-e', e);
  argv.push(join(PROBES, `${probe}.wasm`), ...(opts.args ?? []));
  const r = spawnSync(process.execPath, [BIN, ...argv], { input: '', encoding: 'utf8', cwd: ROOT, timeout: 60_000 });
  const lines = r.stdout.split('\n').filter((l) => l !== '');
  return { status: r.status, stdout: r.stdout, stderr: r.stderr, lines, failed: lines.filter((l) => l.startsWith('not ok')) };
}

beforeAll(() => {
  if (!existsSync(join(ROOT, 'dist/src/cli/wasmvisor.js'))) throw new Error('dist/ is missing: run `npm run build` (npm test does)');
  // A root like the suite's fs-tests.dir: files the C tests read, a writable subdirectory.
  rootfs = mkdtempSync(join(tmpdir(), 'wv-suite-root-'));
  mkdirSync(join(rootfs, 'fopendir.dir'));
  mkdirSync(join(rootfs, 'writeable'));
  writeFileSync(join(rootfs, 'lseek.txt'), '01234567');
  writeFileSync(join(rootfs, 'pread.txt'), 'pread-test');
  writeFileSync(join(rootfs, 'file'), '');
  writeFileSync(join(rootfs, 'fopendir.dir/file-0'), '');
  writeFileSync(join(rootfs, 'fopendir.dir/file-1'), '');
});

afterAll(() => {
  if (rootfs) rmSync(rootfs, { recursive: true, force: true });
});

describe('wasi-testsuite behaviours under wasmvisor run --rootfs', () => {
  const fsProbes: Array<[string, number]> = [
    // probe, at least this many checks (a probe that stops early fails)
    ['preopens', 40],
    ['files', 110],
    ['links', 110],
    ['rootfs_files', 20],
  ];
  for (const [probe, min] of fsProbes) {
    it(`${probe}: every check passes and the host rootfs is left as it was`, () => {
      const before = tree(rootfs);
      const r = run(probe, { rootfs });
      expect(r.failed, r.stderr).toEqual([]);
      expect(r.lines.filter((l) => l.startsWith('ok - ')).length).toBeGreaterThanOrEqual(min);
      expect(r.status).toBe(0);
      expect(r.stderr).toBe('');
      expect(tree(rootfs)).toEqual(before);
    });
  }

  it('the root is a capability: absolute paths, ".." above a directory fd and escaping symlinks are EPERM', () => {
    const r = run('preopens', { rootfs });
    for (const check of [
      'ok - absolute path is EPERM',
      'ok - absolute path from the preopen is EPERM',
      'ok - too many .. is EPERM',
      'ok - symlink escaping the fd is EPERM',
      'ok - dots and slashes inside the tree',
    ]) expect(r.lines).toContain(check);
    const links = run('links', { rootfs }).lines;
    expect(links).toContain('ok - absolute symlink target from a directory fd');
    expect(links).toContain('ok - following an absolute symlink from a directory fd');
  });

  it('args, environ and the exit code are exactly what the command line gives', () => {
    const r = run('misc', { rootfs, env: ['a=b', 'b=c', 'c=d'], args: ['3', 'the "second" arg', 'first'] });
    expect(r.failed, r.stderr).toEqual([]);
    expect(r.lines.filter((l) => !l.startsWith('ok - ') && !l.startsWith('known - '))).toEqual([
      'environ count 3', 'env a=b', 'env b=c', 'env c=d', 'arg 3', 'arg the "second" arg', 'arg first',
    ]);
    expect(r.status).toBe(3);
    expect(r.stderr).toBe('');
  });

  it('without --rootfs, env or args: no variables, exit 0, stdio and clocks still work', () => {
    const r = run('misc');
    expect(r.failed, r.stderr).toEqual([]);
    expect(r.lines).toContain('environ count 0');
    expect(r.lines).toContain('ok - stdout and stderr are writable, no timeout');
    expect(r.lines).toContain('ok - sock_shutdown of stdout');
    expect(r.status).toBe(0);
  });

  it('poll_oneoff_stdio: with stdin held open and silent, the 200 ms clock fires and stdout/stderr poll writable', async () => {
    const child = spawn(process.execPath, [BIN, 'run', join(PROBES, 'misc.wasm')], { cwd: ROOT, stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => { out += d.toString(); });
    const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
    child.stdin.end();
    expect(out).toContain('ok - clock or stdin event, no error');
    expect(out).toContain('ok - stdout and stderr are writable, no timeout');
    expect(out).not.toContain('not ok');
    expect(code).toBe(0);
  });

  it('rust/renumber: fd_renumber onto a closed fd is EBADF and moves nothing', () => {
    const { lines } = run('misc');
    expect(lines).toContain('ok - renumber onto a closed fd');
    expect(lines).toContain('ok - the source keeps its number');
  });
});

describe('test/conformance/probes build', () => {
  itWithTools('clang', 'wasm-ld')('every committed probe .wasm matches its source', () => {
    const r = spawnSync(process.execPath, [join(PROBES, 'build.mjs'), '--check'], { encoding: 'utf8' });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^test\/conformance\/probes\/: \d+ program\(s\) match their sources\n$/);
  }, 120_000);
});
