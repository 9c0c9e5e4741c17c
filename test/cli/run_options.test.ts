import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseEnv, parseVolume } from '../../src/cli/commands/run.js';
import { CliExit } from '../../src/cli/exit.js';
import { runWasm } from '../../src/runtime/run_wasm.js';

const ROOT = join(import.meta.dirname, '../..');
const FIX = join(import.meta.dirname, 'fixtures');
const STDIO_ENV = join(FIX, 'stdio_env.wasm');
const WORKDIR = join(FIX, 'workdir.wasm');

describe('run option parsing', () => {
  it('-e K=V, -e K from the host (skipped when unset), env-file lines, later wins', () => {
    const host = { HOME: '/h', EMPTY: '' };
    expect(parseEnv(['A=1', 'HOME', 'MISSING', 'B=x=y', 'A=2'], ['# comment', '', 'C=3', 'EMPTY'], host)).toEqual([
      'C=3', 'EMPTY=', 'A=2', 'HOME=/h', 'B=x=y',
    ]);
    expect(() => parseEnv(['=x'])).toThrow(CliExit);
  });

  it('-v HOST:CTR[:ro]', () => {
    expect(parseVolume('/a:/b')).toEqual({ host: '/a', container: '/b', readonly: false });
    expect(parseVolume('/a:/b:ro')).toEqual({ host: '/a', container: '/b', readonly: true });
    expect(parseVolume('rel:/b:rw').host).toBe(join(process.cwd(), 'rel'));
    expect(() => parseVolume('/a')).toThrow(/expected HOST-PATH:CONTAINER-PATH/);
    expect(() => parseVolume('/a:b')).toThrow(/must be absolute/);
    expect(() => parseVolume('/a:/b:zz')).toThrow(/invalid volume option/);
  });
});

describe('runWasm stdio, env and exit codes', () => {
  it('passes env, stdin, stdout, stderr and the exit code', async () => {
    const r = await runWasm({ file: STDIO_ENV, args: ['3'], env: ['A=1', 'B=two words'], stdin: 'line 1\nline 2\n', stdout: 'capture', stderr: 'capture' });
    expect(r.stdout).toBe('env A=1\nenv B=two words\nline 1\nline 2\n');
    expect(r.stderr).toBe('err\n');
    expect(r.exitCode).toBe(3);
  });

  it('exit codes above 255 keep their low 8 bits', async () => {
    const r = await runWasm({ file: STDIO_ENV, args: ['258'], stdout: 'null', stderr: 'null' });
    expect(r.exitCode).toBe(2);
  });

  it('the CLI passes host stdin, env and exit codes through', () => {
    const r = spawnSync(process.execPath, [join(ROOT, 'bin/wasmvisor.js'), 'run', '-e', 'X=1', '-e', 'FROM_HOST', STDIO_ENV, '5'], {
      input: 'from host stdin\n', encoding: 'utf8', env: { ...process.env, FROM_HOST: 'yes' },
    });
    expect(r.stdout).toBe('env X=1\nenv FROM_HOST=yes\nfrom host stdin\n');
    expect(r.stderr).toBe('err\n');
    expect(r.status).toBe(5);
  });

  it('--env-file', () => {
    const dir = mkdtempSync(join(tmpdir(), 'wv-env-'));
    writeFileSync(join(dir, 'e'), '# c\nK1=v1\n\nK2=v2\n');
    const r = spawnSync(process.execPath, [join(ROOT, 'bin/wasmvisor.js'), 'run', '--env-file', join(dir, 'e'), STDIO_ENV], { encoding: 'utf8', input: '' });
    expect(r.stdout).toBe('env K1=v1\nenv K2=v2\n');
    expect(r.status).toBe(0);
  });

  it('--strace prints calls on stderr', () => {
    const r = spawnSync(process.execPath, [join(ROOT, 'bin/wasmvisor.js'), 'run', '--strace', STDIO_ENV, '4'], { encoding: 'utf8', input: 'q' });
    expect(r.stderr).toMatch(/^\[1\] environ_sizes_get\(\) = 0 SUCCESS/m);
    expect(r.stderr).toMatch(/^\[1\] fd_read\(fd=0, max=4096\) = 0 SUCCESS → "q" <[\d.]+µs>$/m);
    expect(r.stderr).toMatch(/^\[1\] proc_exit\(code=4\) = \?/m);
    expect(r.status).toBe(4);
  });
});

describe('-w DIR with a stock wasi-libc program', () => {
  it('relative paths, "..", absolute paths and "." resolve as in a real working directory', async () => {
    const r = await runWasm({ file: WORKDIR, workdir: '/work/sub', args: ['/work/up.txt'], stdout: 'capture' });
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toBe([
      'PWD=/work/sub',
      'read /work/sub/rel.txt: written relative',
      'read /tmp/t.txt: in tmp',
      'read /work/up.txt: written via ..',
      'entry rel.txt',
      '',
    ].join('\n'));
  });

  it('without -w the program works at /', async () => {
    const r = await runWasm({ file: WORKDIR, args: ['/up.txt'], stdout: 'capture' });
    expect(r.stdout).toContain('read /rel.txt: written relative');
    expect(r.stdout).toContain('read /up.txt: written via ..');
  });

  it('a relative workdir is refused', async () => {
    await expect(runWasm({ file: WORKDIR, workdir: 'rel' })).rejects.toThrow(/absolute/);
  });
});
