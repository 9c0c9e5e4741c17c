/**
 * seccomp end to end: a profile from OCI JSON filters a real guest
 * (wasm/syscall_probe) by WASI and Linux names on both platforms; the
 * guest sees the errno, a kill ends it with SIGSYS; every event is counted
 * (stats) and logged with the container id; the default profile; the CLI's
 * --security-opt and its refusals (one line, 125); wasmvisor-runc's
 * config.json linux.seccomp.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SeccompProfile } from '../../kernel/seccomp/profile.js';
import { Runtime } from '../../src/index.js';
import { runWasm } from '../../src/runtime/run_wasm.js';
import { requireDist } from '../runtime/helpers.js';

const ROOT = join(import.meta.dirname, '../..');
const BIN = join(ROOT, 'bin/wasmvisor.js');
const RUNC = join(ROOT, 'bin/wasmvisor-runc.js');
const PROBE_FILE = join(ROOT, 'wasm/syscall_probe.wasm');
const PROBE = readFileSync(PROBE_FILE);
const REQS = ['mkdir:/tmp/d', 'creat:/tmp/f', 'write:/tmp/f', 'open:/tmp/f', 'unlink:/tmp/f', 'rmdir:/tmp/d', 'echo:end'];
const DENY_UNLINKAT: SeccompProfile = { defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['unlinkat'], action: 'SCMP_ACT_ERRNO' }] };
const DENIED_OUT = 'mkdir:/tmp/d: ok\ncreat:/tmp/f: ok\nwrite:/tmp/f: ok\nopen:/tmp/f: ok\nunlink:/tmp/f: error Operation not permitted\nrmdir:/tmp/d: error Operation not permitted\nend\n';

function cli(bin: string, args: string[]) {
  return spawnSync(process.execPath, [bin, ...args], { input: '', encoding: 'utf8', cwd: ROOT, timeout: 60_000 });
}

function tmp(): string {
  return mkdtempSync(join(tmpdir(), 'wv-seccomp-'));
}

let rt: Runtime;
const logged: [string, string][] = [];
beforeAll(async () => {
  requireDist();
  rt = await Runtime.create({ poolSize: 1, log: (id, line) => logged.push([id, line]) });
});
afterAll(async () => { await rt?.close(); });

describe('inline platform (runWasm)', () => {
  it('a Linux-named rule (unlinkat) refuses path_unlink_file and path_remove_directory; each denial logged with the id', async () => {
    const lines: string[] = [];
    const r = await runWasm({ file: PROBE_FILE, args: REQS, seccomp: DENY_UNLINKAT, stdout: 'capture', stderr: 'capture', id: 'c1', seccompLog: (l) => lines.push(l) });
    expect(r.stdout).toBe(DENIED_OUT);
    expect(r.exitCode).toBe(0);
    expect(lines).toEqual(['pid 1: path_unlink_file denied by SCMP_ACT_ERRNO (EPERM)', 'pid 1: path_remove_directory denied by SCMP_ACT_ERRNO (EPERM)']);
  });

  it('the default log line names the container on stderr', async () => {
    const r = spawnSync(process.execPath, ['--input-type=module', '-e', `
      import { runWasm } from ${JSON.stringify(join(ROOT, 'dist/src/runtime/run_wasm.js'))};
      await runWasm({ file: ${JSON.stringify(PROBE_FILE)}, args: ['unlink:/x'], id: 'abc123', seccomp: ${JSON.stringify(DENY_UNLINKAT)}, stdout: 'capture' });
    `], { encoding: 'utf8' });
    expect(r.stderr).toBe('wasmvisor: seccomp: container abc123: pid 1: path_unlink_file denied by SCMP_ACT_ERRNO (EPERM)\n');
  });

  it('fd_write is filtered too (the inline fast path steps aside for a call the profile marks)', async () => {
    const p: SeccompProfile = { defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['write'], action: 'SCMP_ACT_ERRNO', errnoRet: 13, args: [{ index: 0, value: 1, op: 'SCMP_CMP_GT' }] }] };
    const r = await runWasm({ file: PROBE_FILE, args: ['write:/tmp/f', 'echo:end'], seccomp: p, stdout: 'capture', seccompLog: () => {} });
    expect(r.stdout).toBe('write:/tmp/f: error Permission denied\nend\n');
  });

  it('KILL_PROCESS ends the task with SIGSYS (exit 159); TRAP too', async () => {
    for (const action of ['SCMP_ACT_KILL_PROCESS', 'SCMP_ACT_TRAP'] as const) {
      const p: SeccompProfile = { defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['mkdirat'], action }] };
      const r = await runWasm({ file: PROBE_FILE, args: ['echo:before', 'mkdir:/tmp/d', 'echo:after'], seccomp: p, stdout: 'capture', seccompLog: () => {} });
      expect(r.stdout).toBe('before\n');
      expect(r.exitCode).toBe(159);
      expect(r.status.signal).toBe(30);
    }
  });

  it('the default profile refuses a stop signal and a huge random_get; unconfined allows them', async () => {
    const args = ['raise:18', 'random:2000000', 'random:4096', 'echo:end'];
    const r = await runWasm({ file: PROBE_FILE, args, stdout: 'capture', seccompLog: () => {} });
    expect(r.stdout).toBe('raise:18: error Operation not permitted\nrandom:2000000: error Invalid argument\nrandom:4096: ok\nend\n');
    const u = await runWasm({ file: PROBE_FILE, args, seccomp: 'unconfined', stdout: 'capture' });
    expect(u.stdout).toBe('raise:18: ok\nrandom:2000000: ok\nrandom:4096: ok\nend\n');
  });
});

describe('sentry platform (Runtime)', () => {
  it('the same profile from config.json: same output, counted in stats(), logged with the container id', async () => {
    const c = await rt.run({ id: 'sec-a', module: PROBE, config: { process: { args: ['p', ...REQS] }, linux: { seccomp: DENY_UNLINKAT } } });
    await c.wait();
    expect(c.init.stdout.text()).toBe(DENIED_OUT);
    await expect(c.stats()).resolves.toMatchObject({ seccomp: { denied: 2, killed: 0, logged: 0, calls: { path_unlink_file: 1, path_remove_directory: 1 } } });
    expect(logged.filter(([id]) => id === 'sec-a')).toEqual([
      ['sec-a', 'pid 1: path_unlink_file denied by SCMP_ACT_ERRNO (EPERM)'],
      ['sec-a', 'pid 1: path_remove_directory denied by SCMP_ACT_ERRNO (EPERM)'],
    ]);
    // no profile: unconfined, no seccomp figures
    const u = await rt.run({ module: PROBE, config: { process: { args: ['p', 'unlink:/nope'] } } });
    await u.wait();
    expect(u.init.stdout.text()).toBe('unlink:/nope: error No such file or directory\n');
    expect((await u.stats()).seccomp).toBeUndefined();
  });

  it('a kill action ends the process with SIGSYS; a bad profile is refused before anything runs', async () => {
    const c = await rt.run({ module: PROBE, config: { process: { args: ['p', 'echo:a', 'mkdir:/tmp/x', 'echo:b'] }, linux: { seccomp: { defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['mkdir', 'mkdirat'], action: 'SCMP_ACT_KILL' }] } } } });
    expect(await c.wait()).toMatchObject({ exitCode: 159 });
    expect(c.init.stdout.text()).toBe('a\n');
    await expect(rt.create({ module: PROBE, config: { linux: { seccomp: { defaultAction: 'ALLOW' } } } })).rejects.toThrow(/linux\.seccomp: defaultAction: unknown action "ALLOW"/);
  });
});

describe('wasmvisor run --security-opt', () => {
  it('seccomp=FILE filters; the denial is logged on stderr with the container id', () => {
    const dir = tmp();
    writeFileSync(join(dir, 'p.json'), JSON.stringify(DENY_UNLINKAT));
    for (const platform of ['inline', 'sentry']) {
      const r = cli(BIN, ['run', '--platform', platform, '--security-opt', `seccomp=${join(dir, 'p.json')}`, PROBE_FILE, ...REQS]);
      expect(r.stdout, platform).toBe(DENIED_OUT);
      expect(r.status).toBe(0);
      expect(r.stderr).toMatch(/^wasmvisor: seccomp: container [0-9a-z_-]+: pid 1: path_unlink_file denied by SCMP_ACT_ERRNO \(EPERM\)\nwasmvisor: seccomp: container [0-9a-z_-]+: pid 1: path_remove_directory denied by SCMP_ACT_ERRNO \(EPERM\)\n$/);
    }
    const u = cli(BIN, ['run', '--security-opt', 'seccomp=unconfined', PROBE_FILE, 'raise:18']);
    expect(u.stdout).toBe('raise:18: ok\n');
  });

  it('a missing file, bad JSON, a bad profile or an unknown option: one line, exit 125, nothing run', () => {
    const dir = tmp();
    writeFileSync(join(dir, 'bad.json'), '{"defaultAction": ');
    writeFileSync(join(dir, 'wrong.json'), JSON.stringify({ defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['read'], action: 'SCMP_ACT_ERRNO', errnoRet: 4242 }] }));
    const cases: [string, RegExp][] = [
      [`seccomp=${join(dir, 'missing.json')}`, /^wasmvisor: --security-opt seccomp=.*missing\.json: no such file\n$/],
      [`seccomp=${join(dir, 'bad.json')}`, /^wasmvisor: --security-opt seccomp=.*bad\.json: not valid JSON \(.*\)\n$/],
      [`seccomp=${join(dir, 'wrong.json')}`, /^wasmvisor: --security-opt seccomp=.*wrong\.json: syscalls\[0\]\.errnoRet: errno 4242 has no WASI equivalent .*\n$/],
      ['seccomp=', /^wasmvisor: invalid --security-opt seccomp=: give seccomp=FILE or seccomp=unconfined\n$/],
      ['apparmor=x', /^wasmvisor: unsupported --security-opt apparmor=x: .*\n$/],
    ];
    for (const [opt, re] of cases) {
      const r = cli(BIN, ['run', '--security-opt', opt, PROBE_FILE, 'echo:ran']);
      expect(r.stderr, opt).toMatch(re);
      expect(r.status, opt).toBe(125);
      expect(r.stdout, opt).toBe('');
    }
  });
});

describe('wasmvisor-runc', () => {
  it('reads linux.seccomp from config.json; features says seccomp is enabled', () => {
    const dir = tmp();
    const bundle = join(dir, 'b');
    mkdirSync(join(bundle, 'rootfs'), { recursive: true });
    writeFileSync(join(bundle, 'rootfs', 'probe.wasm'), PROBE);
    writeFileSync(join(bundle, 'config.json'), JSON.stringify({
      ociVersion: '1.2.0', root: { path: 'rootfs' },
      process: { args: ['/probe.wasm', 'creat:/f', 'unlink:/f'], cwd: '/' },
      linux: { seccomp: { defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['unlink', 'unlinkat'], action: 'SCMP_ACT_ERRNO', errnoRet: 13 }] } },
    }));
    const r = cli(RUNC, ['--root', join(dir, 'state'), 'run', '--bundle', bundle, 'sec1']);
    expect(r.stdout).toBe('creat:/f: ok\nunlink:/f: error Permission denied\n');
    expect(r.status).toBe(0);
    const f = JSON.parse(cli(RUNC, ['features']).stdout);
    expect(f.linux.seccomp).toMatchObject({ enabled: true, actions: expect.arrayContaining(['SCMP_ACT_KILL_PROCESS', 'SCMP_ACT_NOTIFY']) });
  });
});
