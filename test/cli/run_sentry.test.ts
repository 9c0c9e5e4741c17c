/**
 * `wasmvisor run --platform sentry`: the container runs through the library
 * Runtime; stdio, exit codes (the workload's own, 125/126/127), forwarded
 * signals, and -m / --pids-limit as the sandbox's cgroup limits.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parsePidsLimit, parseRunPlatform } from '../../src/cli/commands/run.js';
import { sentryConfig } from '../../src/cli/run_sentry.js';
import { Runtime } from '../../src/runtime/runtime.js';
import { ContainerError } from '../../src/runtime/status.js';

const ROOT = join(import.meta.dirname, '../..');
const BIN = join(ROOT, 'bin/wasmvisor.js');
const HELLO = join(ROOT, 'wasm/hello.wasm');
const PROBE = join(ROOT, 'test/runtime/fixtures/probe.wasm');
const FSUTIL = join(import.meta.dirname, 'fixtures/fsutil.wasm');

function cli(args: string[], input = '') {
  return spawnSync(process.execPath, [BIN, 'run', ...args], { input, encoding: 'utf8', cwd: ROOT });
}

const sentry = (...args: string[]) => cli(['--platform', 'sentry', ...args]);

beforeAll(() => {
  if (!existsSync(join(ROOT, 'dist/src/cli/wasmvisor.js'))) throw new Error('dist/ is missing: run `npm run build` (npm test does)');
});

describe('run --platform sentry', () => {
  it('runs hello with its arguments, as the inline platform does', () => {
    const r = sentry(HELLO, 'a', 'b c');
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toBe('hello from wasmvisor\narg 1: a\narg 2: b c\n');
  });

  it('exits with the workload\'s own code, and 128+6 with one line for a trap', () => {
    expect(sentry(PROBE, 'exit', '7').status).toBe(7);
    expect(sentry(PROBE, 'exit', '0').status).toBe(0);
    const t = sentry(PROBE, 'trap');
    expect(t.status).toBe(134);
    expect(t.stderr.trim().split('\n')).toHaveLength(1);
    expect(t.stderr).toMatch(/^wasmvisor: .*probe\.wasm: .*unreachable/);
  });

  it('127 for a missing file, 126 for one that is not WebAssembly or has no _start, 125 for --strace', () => {
    const missing = sentry('/nonexistent/x.wasm');
    expect(missing.status).toBe(127);
    expect(missing.stderr.trim().split('\n')).toEqual(['wasmvisor: /nonexistent/x.wasm: no such file']);
    const dir = mkdtempSync(join(tmpdir(), 'wv-sentry-'));
    writeFileSync(join(dir, 'text.wasm'), 'not wasm at all\n');
    const notWasm = sentry(join(dir, 'text.wasm'));
    expect(notWasm.status).toBe(126);
    expect(notWasm.stderr).toMatch(/not a WebAssembly module\n$/);
    writeFileSync(join(dir, 'empty.wasm'), new Uint8Array([0, 0x61, 0x73, 0x6d, 1, 0, 0, 0]));
    const noStart = sentry(join(dir, 'empty.wasm'));
    expect(noStart.status).toBe(126);
    expect(noStart.stderr.trim().split('\n')).toEqual([`wasmvisor: ${join(dir, 'empty.wasm')}: the module exports no _start function (not a WASI command; reactors are not supported)`]);
    const strace = sentry('--strace', HELLO);
    expect(strace.status).toBe(125);
    expect(strace.stderr).toMatch(/--strace works on the inline platform only/);
  });

  it('passes stdin through until EOF', () => {
    const c = cli(['--platform', 'sentry', PROBE, 'cat'], 'line 1\nline 2\n');
    expect(c.status).toBe(0);
    expect(c.stdout).toBe('line 1\nline 2\neof\n');
  });

  it('passes -u, --hostname, --read-only (with /tmp writable) and --tmpfs', () => {
    const r = sentry('--read-only', '--tmpfs', '/scratch:size=1m', '-u', '7:8', '--hostname', 'box',
      FSUTIL, '>/x=1', '>/tmp/y=2', '@/tmp/y', '>/scratch/a=ok', '@/scratch/a', '@/proc/sys/kernel/hostname', '@/proc/self/status', '@/proc/mounts');
    expect(r.stderr).toBe('');
    expect(r.stdout).toMatch(/^write \/x: fail\n2okbox\n/);
    expect(r.stdout).toMatch(/^Uid:\t7\t/m);
    expect(r.stdout).toMatch(/^Gid:\t8\t/m);
    expect(r.stdout).toMatch(/^overlay \/ overlay ro /m);
    expect(r.stdout).toMatch(/^tmpfs \/scratch tmpfs rw /m);
  });

  it('passes -e, -w (relative paths resolve there, PWD set) and -v', () => {
    const host = mkdtempSync(join(tmpdir(), 'wv-sentry-vol-'));
    writeFileSync(join(host, 'in.txt'), 'from the host\n');
    const r = sentry('-w', '/work', '-e', 'A=1', '-v', `${host}:/data:ro`, FSUTIL, '>rel=1', '@/work/rel', '@/data/in.txt', '>/data/no=1');
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe('1from the host\nwrite /data/no: fail\n');
    const env = sentry('-w', '/work', '-e', 'A=1', PROBE, 'show', '/proc/self/environ');
    expect(env.stdout.split('\0')).toEqual(expect.arrayContaining(['A=1', 'PWD=/work']));
  });

  it('--read-only with a missing -w: the workdir is made before the root turns read-only, as inline', () => {
    for (const platform of ['sentry', 'inline']) {
      const r = cli(['--platform', platform, '--read-only', '-w', '/newdir', FSUTIL, '.', '>f=1']);
      expect(r.stderr, platform).toBe('');
      expect(r.status, platform).toBe(0);
      expect(r.stdout, platform).toBe('.: . ..\nwrite f: fail\n');
      // a workdir inside the writable /tmp is made in that tmpfs
      const t = cli(['--platform', platform, '--read-only', '-w', '/tmp/x', FSUTIL, '>f=2', '@/tmp/x/f']);
      expect(t.stderr, platform).toBe('');
      expect(t.stdout, platform).toBe('2');
    }
  });

  it('-m is the cgroup\'s memory.max and caps the guest\'s memory', () => {
    const r = sentry('-m', '32m', PROBE, 'show', '/sys/fs/cgroup/memory.max');
    expect(r.stdout.trim()).toBe(String(32 * 1024 * 1024));
    const g = sentry('-m', '16m', PROBE, 'grow');
    expect(g.status).toBe(3);
    const n = Number(/allocated (\d+) MiB/.exec(g.stdout)?.[1]);
    expect(n).toBeGreaterThan(0);
    expect(n).toBeLessThan(16);
  });

  it('--pids-limit reaches /sys/fs/cgroup/pids.max; none means "max"', () => {
    expect(sentry('--pids-limit', '3', PROBE, 'show', '/sys/fs/cgroup/pids.max').stdout.trim()).toBe('3');
    expect(sentry('--pids-limit', '-1', PROBE, 'show', '/sys/fs/cgroup/pids.max').stdout.trim()).toBe('max');
    expect(sentry(PROBE, 'show', '/sys/fs/cgroup/pids.current').stdout.trim()).toBe('1');
  });

  it('forwards SIGTERM and SIGINT to the container: 128+n, as podman', async () => {
    for (const [sig, code] of [['SIGTERM', 143], ['SIGINT', 130]] as const) {
      const child = spawn(process.execPath, [BIN, 'run', '--platform', 'sentry', PROBE, 'tick', '0'], { stdio: ['pipe', 'pipe', 'pipe'] });
      let out = '';
      const started = new Promise<void>((resolve) => child.stdout.on('data', (d) => {
        out += d;
        if (out.includes('tick 1\n')) resolve();
      }));
      const exited = new Promise<number | null>((resolve) => child.on('exit', (c) => resolve(c)));
      await started;
      child.kill(sig);
      expect(await exited, `${sig}: ${out.slice(-100)}`).toBe(code);
    }
  }, 60_000);
});

describe('--pids-limit', () => {
  it('parses as podman: a count, -1 or 0 for none; anything else is 125', () => {
    expect(parsePidsLimit('5')).toBe(5);
    expect(parsePidsLimit('-1')).toBeUndefined();
    expect(parsePidsLimit('0')).toBeUndefined();
    expect(() => parsePidsLimit('many')).toThrow(/invalid --pids-limit many/);
    const r = cli(['--pids-limit', '-3', HELLO]);
    expect(r.status).toBe(125);
    expect(r.stderr).toMatch(/invalid --pids-limit -3/);
  });

  it('is accepted on the inline platform (one process never exceeds it)', () => {
    const r = cli(['--pids-limit', '1', HELLO]);
    expect(r.status).toBe(0);
    expect(r.stdout).toBe('hello from wasmvisor\n');
  });

  describe('the config run builds refuses processes past the limit', () => {
    let rt: Runtime;
    beforeAll(async () => { rt = await Runtime.create({ poolSize: 1 }); });
    afterAll(async () => { await rt.close(); });

    it('pids-limit 1: init runs, an exec fails with EAGAIN', async () => {
      const { config } = sentryConfig({ file: PROBE, args: ['cat'], pidsLimit: 1, terminal: false });
      const c = await rt.run({ module: PROBE, config, stdin: 'pipe' });
      const err = await c.exec({ process: { args: ['probe', 'exit', '0'] } }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ContainerError);
      expect((err as ContainerError).code).toBe('EAGAIN');
      await c.init.closeStdin();
      expect((await c.wait()).exitCode).toBe(0);
      await c.delete();
    });

    it('without a limit the same exec runs', async () => {
      const { config } = sentryConfig({ file: PROBE, args: ['cat'], terminal: false });
      const c = await rt.run({ module: PROBE, config, stdin: 'pipe' });
      const p = await c.exec({ process: { args: ['probe', 'exit', '4'] } });
      expect((await p.wait()).exitCode).toBe(4);
      await c.init.closeStdin();
      await c.wait();
      await c.delete();
    });
  });
});

describe('--platform', () => {
  it('inline or sentry chooses how to run; OS/ARCH the image platform; both may be given', () => {
    expect(parseRunPlatform([])).toEqual({ exec: 'inline', image: undefined });
    expect(parseRunPlatform(['sentry', 'wasi/wasm'])).toEqual({ exec: 'sentry', image: 'wasi/wasm' });
    expect(() => parseRunPlatform(['kvm'])).toThrow(/invalid --platform kvm/);
    expect(cli(['--platform', 'kvm', HELLO]).status).toBe(125);
  });

  it('--help says what each platform does and that --pids-limit is accepted inline', () => {
    const r = spawnSync(process.execPath, [BIN, 'run', '--help'], { encoding: 'utf8' });
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('--platform <inline|sentry|os/arch>');
    expect(r.stdout).toContain('--pids-limit <n>');
    expect(r.stdout).toMatch(/inline platform --pids-limit is accepted/);
    expect(r.stdout).toMatch(/-u, --user <user\[:group\]>/);
  });
});

describe('one OCI config for both platforms', () => {
  const INSPECT = join(ROOT, 'wasm/inspect_root.wasm');
  const ASK = ['cat:/sys/fs/cgroup/pids.max', 'cat:/sys/fs/cgroup/memory.max', 'cat:/etc/hostname', 'cat:/proc/1/mounts'];
  const FLAGS = ['--pids-limit', '7', '-m', '32m', '--hostname', 'box', '--tmpfs', '/scratch:size=1m,ro', '--read-only'];

  it('run builds the config once: the guest sees the same limits, hostname and mounts on either platform', () => {
    const inline = cli([...FLAGS, INSPECT, ...ASK]);
    const onSentry = sentry(...FLAGS, INSPECT, ...ASK);
    expect(inline.stderr).toBe('');
    expect(inline.status).toBe(0);
    expect(onSentry.status).toBe(0);
    expect(inline.stdout).toBe(onSentry.stdout);
    expect(inline.stdout).toContain('cat:/sys/fs/cgroup/pids.max: 7\n');
    expect(inline.stdout).toContain('cat:/sys/fs/cgroup/memory.max: 33554432\n');
    expect(inline.stdout).toContain('tmpfs /scratch tmpfs ro 0 0\n');
  });

  it('runWasm takes a prepared config instead of the container options, its limits read back from it', async () => {
    const { runWasm } = await import('../../src/runtime/run_wasm.js');
    const { runConfig } = await import('../../src/runtime/run_config.js');
    const config = runConfig({ argv0: 'inspect', args: ['cat:/etc/hostname', 'cat:/sys/fs/cgroup/memory.max'], hostname: 'prepared', memoryLimit: 16 * 1024 * 1024 });
    // the options' own container fields are not used when a config is given
    const r = await runWasm({ file: INSPECT, hostname: 'ignored', args: ['ignored'], config, stdout: 'capture', stderr: 'capture', stdin: 'null' });
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toBe('cat:/etc/hostname: prepared\ncat:/sys/fs/cgroup/memory.max: 16777216\n');
    const low = runConfig({ memoryLimit: 1024 });
    await expect(runWasm({ file: INSPECT, config: low, stdin: 'null' })).rejects.toThrow(/memory limit 1024: give at least 64 KiB/);
  });
});
