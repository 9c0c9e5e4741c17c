/**
 * `run -v` as a podman user types it (issue 15), the CLI run as a process:
 * a bind over "/" is refused, `:z`/`:Z` are accepted with one notice, and
 * single files bind as files.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const TOP = join(import.meta.dirname, '../..');
const BIN = join(TOP, 'bin/wasmvisor.js');
const FSUTIL = join(import.meta.dirname, 'fixtures/fsutil.wasm');

function wv(...args: string[]) {
  const r = spawnSync(BIN, args, { encoding: 'utf8', input: '', cwd: TOP, timeout: 60_000 });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

function dataDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'wv-vol-'));
  writeFileSync(join(d, 'f'), 'from host\n');
  return d;
}

describe('run -v', () => {
  it('a bind mount over "/" is refused with one line, exit 125 (as podman), not dropped', () => {
    const d = dataDir();
    for (const target of ['/', '/.', '//']) {
      const r = wv('run', '-v', `${d}:${target}`, FSUTIL, '@/f');
      expect(r.code, target).toBe(125);
      expect(r.err).toBe(`wasmvisor: invalid volume ${d}:${target}: the container path cannot be "/" (use --rootfs DIR to run on a host directory)\n`);
      expect(r.out).toBe('');
    }
  });

  it(':z and :Z are accepted, with one notice on stderr that they are ignored', () => {
    const d = dataDir();
    const r = wv('run', '-v', `${d}:/a:z`, '-v', `${d}:/b:ro,Z`, FSUTIL, '@/a/f', '@/b/f', '>/b/g=x');
    expect(r.err).toBe('wasmvisor: -v :z/:Z ignored: there is no SELinux labelling inside a wasmvisor container\n');
    expect(r.out).toBe('from host\nfrom host\nwrite /b/g: fail\n');
    expect(r.code).toBe(0);
  });
});
