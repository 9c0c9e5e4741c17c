/**
 * How `run` refuses what it cannot run (issue 15), the CLI run as a
 * process: a bad image reference names its fault, a missing path is "no
 * such file", and the memory limit is spoken in MiB.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildModule } from '../support/wasm_builder.js';

const TOP = join(import.meta.dirname, '../..');
const BIN = join(TOP, 'bin/wasmvisor.js');

function wv(...args: string[]) {
  const r = spawnSync(BIN, args, { encoding: 'utf8', input: '', cwd: TOP, timeout: 60_000 });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

describe('run ARG that is neither a host file nor an image', () => {
  const root = mkdtempSync(join(tmpdir(), 'wv-ref-'));
  it('a bad reference says what is wrong with it, exit 125 (as pull does)', () => {
    const cases: [string, RegExp][] = [
      ['UPPER/case', /repository names must be lowercase \("UPPER"\)/],
      ['a::b', /"a:" is not a valid name component/],
      ['x@sha256:zz', /invalid digest sha256:zz/],
    ];
    for (const [arg, why] of cases) {
      const r = wv('--root', root, 'run', '--pull', 'never', arg);
      expect(r.code, arg).toBe(125);
      expect(r.err).toMatch(new RegExp(`^wasmvisor: invalid image reference ${JSON.stringify(arg).replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: `));
      expect(r.err).toMatch(why);
      expect(r.err.split('\n')).toHaveLength(2);
    }
  });

  it('a path-looking argument that does not exist stays "no such file", 127', () => {
    for (const arg of ['./missing.wasm', '/abs/missing.wasm', 'missing.wasm', './UPPER/x', '../a::b']) {
      const r = wv('--root', root, 'run', arg);
      expect(r.code, arg).toBe(127);
      expect(r.err).toBe(`wasmvisor: ${arg}: no such file\n`);
    }
  });
});

describe('run -m below what the module needs at start', () => {
  const dir = mkdtempSync(join(tmpdir(), 'wv-mem-'));
  const big = join(dir, 'big.wasm');
  writeFileSync(big, buildModule({ imports: [], memoryPages: 638, funcs: [{ name: '_start', body: [] }] }));
  const why = 'the module needs 39.9 MiB of memory at start (638 pages of 64 KiB), over the memory limit of 32 MiB: raise -m (memory.limit)';

  it('names the file, speaks in MiB, exit 125, on both platforms', () => {
    for (const platform of ['inline', 'sentry']) {
      const r = wv('run', '--platform', platform, '-m', '32m', big);
      expect(r.err, platform).toBe(`wasmvisor: ${big}: ${why}\n`);
      expect(r.code).toBe(125);
    }
  });

  it('names the image, not "<bytes>"', () => {
    const root = join(dir, 'store');
    const p = wv('--root', root, 'pack', '--from', 'scratch', '--add', `${big}:/big.wasm`, '--entrypoint', '/big.wasm', '-t', 'localhost/big:1');
    expect(p.code, p.err).toBe(0);
    for (const platform of ['inline', 'sentry']) {
      const r = wv('--root', root, 'run', '--platform', platform, '-m', '32m', 'localhost/big:1');
      expect(r.err, platform).toBe(`wasmvisor: localhost/big:1: ${why}\n`);
      expect(r.code).toBe(125);
    }
  });
});
