/**
 * Smaller faults of issue 15 point 1, each run as a process: a --root that
 * is a file, the cursor escape codes and blank line `run IMAGE` wrote on a
 * terminal, and pack's --entrypoint error naming its flag.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const TOP = join(import.meta.dirname, '../..');
const BIN = join(TOP, 'bin/wasmvisor.js');

function wv(root: string, ...args: string[]) {
  const r = spawnSync(BIN, ['--root', root, ...args], { encoding: 'utf8', input: '', cwd: TOP, timeout: 60_000 });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

describe('--root pointing at a file', () => {
  it('is one line naming it, exit 125, for every command; a path under a file too; $WASMVISOR_ROOT as well', () => {
    const dir = mkdtempSync(join(tmpdir(), 'wv-rootfile-'));
    const file = join(dir, 'afile');
    writeFileSync(file, 'x');
    for (const args of [['ps'], ['ps', '-a'], ['images'], ['volume', 'ls'], ['run', join(TOP, 'wasm/hello.wasm')]]) {
      const r = wv(file, ...args);
      expect(r.code, args.join(' ')).toBe(125);
      expect(r.out, args.join(' ')).toBe('');
      expect(r.err, args.join(' ')).toBe(`wasmvisor: --root ${file} is not a directory: give a directory for the store (it is created if absent)\n`);
    }
    const under = wv(join(file, 'sub'), 'images');
    expect(under.code).toBe(125);
    expect(under.err).toContain('a part of the path is a file');
    const env = spawnSync(BIN, ['images'], { encoding: 'utf8', env: { ...process.env, WASMVISOR_ROOT: file } });
    expect(env.status).toBe(125);
    expect(env.stderr).toContain('$WASMVISOR_ROOT');
    expect(wv(join(dir, 'fresh'), 'images').code).toBe(0);
  });
});

describe('run IMAGE on a terminal', () => {
  it('writes no cursor escape codes and no blank line when nothing is pulled', () => {
    const root = mkdtempSync(join(tmpdir(), 'wv-tty-'));
    expect(wv(root, 'load', '-i', join(TOP, 'src/image/samples/hello')).code).toBe(0);
    // script(1) gives the CLI a pseudo-terminal on stdin, stdout and stderr
    const r = spawnSync('script', ['-qec', `${BIN} --root ${root} run localhost/wasmvisor/hello:latest a b`, '/dev/null'], { encoding: 'utf8', timeout: 60_000 });
    expect(r.stdout).not.toContain('\x1b[?25');
    expect(r.stdout.startsWith('\r\n')).toBe(false);
    expect(r.stdout).not.toMatch(/\r\n\r\n$/);
  });
});

describe('pack --entrypoint', () => {
  it('a malformed JSON array names the flag, exit 125', () => {
    const root = mkdtempSync(join(tmpdir(), 'wv-pack-'));
    const hello = join(TOP, 'wasm/hello.wasm');
    for (const flag of ['--entrypoint', '--cmd']) {
      const r = wv(root, 'pack', '--add', `${hello}:/h.wasm`, flag, '["/x"');
      expect(r.code).toBe(125);
      expect(r.err).toBe(`wasmvisor: invalid ${flag} ["/x": not a JSON array of strings (e.g. ${flag} '["/app.wasm","-v"]'), or give a space-separated string\n`);
    }
  });
});
