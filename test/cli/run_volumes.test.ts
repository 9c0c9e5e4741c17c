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

describe('run -v HOST_FILE:CTR (a single-file bind, as every CRI spec has for /etc/hosts)', () => {
  function hostFiles(): string {
    const d = mkdtempSync(join(tmpdir(), 'wv-volf-'));
    writeFileSync(join(d, 'h.c'), 'int main;\n');
    writeFileSync(join(d, 'hostname'), 'from-bind\n');
    writeFileSync(join(d, 'hosts'), '127.0.0.1 localhost\n');
    writeFileSync(join(d, 'resolv.conf'), 'nameserver 10.0.0.1\n');
    return d;
  }

  for (const platform of ['inline', 'sentry']) {
    it(`binds files at a new path, over the seeded /etc/hostname, at /etc/hosts and /etc/resolv.conf (--platform ${platform})`, () => {
      const d = hostFiles();
      const r = wv('run', '--platform', platform, '--hostname', 'seeded',
        '-v', `${d}/h.c:/src/deep/h.c`, '-v', `${d}/hostname:/etc/hostname:ro`,
        '-v', `${d}/hosts:/etc/hosts:ro`, '-v', `${d}/resolv.conf:/etc/resolv.conf:ro`,
        FSUTIL, '@/src/deep/h.c', '@/etc/hostname', '@/etc/hosts', '@/etc/resolv.conf', '/src/deep');
      expect(r.err).toBe('');
      expect(r.out).toBe('int main;\nfrom-bind\n127.0.0.1 localhost\nnameserver 10.0.0.1\n/src/deep: . .. h.c\n');
      expect(r.code).toBe(0);
    });

    it(`a rw file bind writes through to the host file; a :ro one refuses writes (--platform ${platform})`, () => {
      const d = hostFiles();
      const r = wv('run', '--platform', platform, '-v', `${d}/h.c:/h.c`, '-v', `${d}/hosts:/etc/hosts:ro`,
        FSUTIL, '>/h.c=written\n', '@/h.c', '>/etc/hosts=evil', '@/etc/hosts');
      expect(r.out).toBe('written\nwrite /etc/hosts: fail\n127.0.0.1 localhost\n');
      expect(r.code).toBe(0);
      expect(readFileSync(join(d, 'h.c'), 'utf8')).toBe('written\n');
      expect(readFileSync(join(d, 'hosts'), 'utf8')).toBe('127.0.0.1 localhost\n');
    });
  }

  it('a file onto a directory, or a directory onto a file, is refused with one line, exit 125', () => {
    const d = hostFiles();
    const fileOnDir = wv('run', '-v', `${d}/h.c:/tmp`, FSUTIL, '@/tmp');
    expect(fileOnDir.err).toBe(`wasmvisor: -v ${d}/h.c:/tmp: /tmp is a directory in the container and ${d}/h.c a file: a file mounts only on a file (or a new path)\n`);
    expect(fileOnDir.code).toBe(125);
    const dirOnFile = wv('run', '--platform', 'sentry', '-v', `${d}:/etc/hostname`, FSUTIL, '/etc/hostname');
    expect(dirOnFile.err).toContain(`/etc/hostname is a file in the container and ${d} a directory: a directory mounts only on a directory (or a new path)\n`);
    expect(dirOnFile.err.split('\n').filter((l) => l !== '')).toHaveLength(1);
    expect(dirOnFile.code).toBe(125);
  });
});
