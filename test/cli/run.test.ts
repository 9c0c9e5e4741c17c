import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { runWasm } from '../../src/runtime/run_wasm.js';
import { buildModule } from '../support/wasm_builder.js';

const ROOT = join(import.meta.dirname, '../..');
const BIN = join(ROOT, 'bin/wasmvisor.js');
const HELLO = join(ROOT, 'wasm/hello.wasm');

function cli(args: string[], input?: string) {
  return spawnSync(process.execPath, [BIN, ...args], { input: input ?? '', encoding: 'utf8', cwd: ROOT });
}

// The CLI runs from dist/: `npm test` builds first (no build here: parallel test
// files spawning the CLI would race with a rebuild of dist/).
beforeAll(() => {
  if (!existsSync(join(ROOT, 'dist/src/cli/wasmvisor.js'))) throw new Error('dist/ is missing: run `npm run build` (npm test does)');
});

describe('runWasm', () => {
  it('runs hello with its arguments and captures stdout', async () => {
    const r = await runWasm({ file: HELLO, args: ['a', 'b c'], stdout: 'capture', stderr: 'capture' });
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toBe('hello from wasmvisor\narg 1: a\narg 2: b c\n');
  });

  it('traces calls when asked', async () => {
    const lines: string[] = [];
    await runWasm({ file: HELLO, stdout: 'capture', strace: (l) => lines.push(l) });
    const w = lines.find((l) => l.includes('fd_write('));
    expect(w).toMatch(/^\[1\] fd_write\(fd=1, data="hello from wasmvisor\\n"\) = 0 SUCCESS → 21 <[\d.]+µs>$/);
  });
});

describe('wasmvisor run', () => {
  it('passes stdout and the exit code through', () => {
    const r = cli(['run', HELLO, '-x', 'y']);
    expect(r.status).toBe(0);
    expect(r.stdout).toBe('hello from wasmvisor\narg 1: -x\narg 2: y\n');
  });

  it('accepts -i, -t and --rm as podman users type them', () => {
    const r = cli(['run', '--rm', '-it', HELLO]);
    expect(r.status).toBe(0);
    expect(r.stdout).toBe('hello from wasmvisor\n');
  });

  it('exits 127 for a missing file, naming it', () => {
    const r = cli(['run', '/nonexistent/x.wasm']);
    expect(r.status).toBe(127);
    expect(r.stderr.trim().split('\n')).toEqual(['wasmvisor: /nonexistent/x.wasm: no such file']);
  });

  it('exits 126 with one line for a file that is not WebAssembly', () => {
    const dir = mkdtempSync(join(tmpdir(), 'wv-run-'));
    const f = join(dir, 'text.wasm');
    writeFileSync(f, 'hello, not wasm\n');
    const r = cli(['run', f]);
    expect(r.status).toBe(126);
    expect(r.stderr.trim().split('\n')).toEqual([`wasmvisor: ${f}: not a WebAssembly module`]);
  });

  it('exits 126 with a clear message for a module without _start, or with foreign imports', () => {
    const dir = mkdtempSync(join(tmpdir(), 'wv-run-'));
    const reactor = join(dir, 'reactor.wasm');
    writeFileSync(reactor, buildModule({ imports: ['fd_write'], funcs: [{ name: '_initialize', body: [] }] }));
    let r = cli(['run', reactor]);
    expect(r.status).toBe(126);
    expect(r.stderr).toBe(`wasmvisor: ${reactor}: the module exports no _start function (not a WASI command; reactors are not supported)\n`);
    const foreign = join(dir, 'foreign.wasm');
    writeFileSync(foreign, buildModule({ imports: [], foreignImports: [{ module: 'env', name: 'f' }], funcs: [{ name: '_start', body: [] }] }));
    r = cli(['run', foreign]);
    expect(r.status).toBe(126);
    expect(r.stderr).toMatch(/unknown import env\.f \(function\)/);
    const broken = join(dir, 'broken.wasm');
    writeFileSync(broken, new Uint8Array([0, 0x61, 0x73, 0x6d, 1, 0, 0, 0, 0xff]));
    r = cli(['run', broken]);
    expect(r.status).toBe(126);
    expect(r.stderr).toMatch(/invalid WebAssembly module/);
  });

  it('a trap exits 134', () => {
    const dir = mkdtempSync(join(tmpdir(), 'wv-run-'));
    const trap = join(dir, 'trap.wasm');
    writeFileSync(trap, buildModule({ imports: [], funcs: [{ name: '_start', body: [0x00] }] }));
    const r = cli(['run', trap]);
    expect(r.status).toBe(134);
    expect(r.stderr).toMatch(/^wasmvisor: .*trap\.wasm: trap: unreachable/);
  });

  it('a guest writing to a closed host pipe gets EPIPE instead of spinning', () => {
    const r = spawnSync('sh', ['-c', `"${process.execPath}" "${BIN}" run "${join(ROOT, 'test/cli/fixtures/flood.wasm')}" | head -n 2`], { encoding: 'utf8', timeout: 20_000 });
    expect(r.stdout.startsWith('y\ny\n')).toBe(true);
    expect(r.stderr).toMatch(/^write error: Broken pipe after \d+\n$/);
  });

  it('has --help', () => {
    const r = cli(['run', '--help']);
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('Usage: wasmvisor run');
    expect(r.stdout).toContain('--strace');
  });
});
