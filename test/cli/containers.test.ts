/**
 * The container commands of `wasmvisor` (issue 15 point 3) through the real
 * CLI against a temp store: foreground containers in ps, ps's filters and
 * flags, create/start/attach/restart/pause/unpause, exec's PATH lookup and
 * flags, stats, top, diff, cp both ways, commit, export, rename, inspect
 * CONTAINER, --restart. Each detached container is a real sandbox process,
 * killed in afterAll if a test left it running.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { storeCli, type Ran } from '../support/wv_cli.js';
import { killLeftovers, until } from '../runc/fixtures/harness.js';

const TOP = join(import.meta.dirname, '../..');
const BIN = join(TOP, 'bin/wasmvisor.js');
const PROBE = join(TOP, 'test/runtime/fixtures/probe.wasm');
const IMAGE = 'localhost/probe:1';

// every step is a CLI process (~0.3 s each, several seconds on a loaded machine)
vi.setConfig({ testTimeout: 300_000, hookTimeout: 120_000 });

let store: string;
let containers: string;
let host: string;


const { wv, ok } = storeCli(() => store);


function wvAsync(args: string[]): Promise<Ran> {
  return new Promise((resolve) => {
    const p = spawn(process.execPath, [BIN, ...args], { cwd: TOP, env: { ...process.env, WASMVISOR_ROOT: store }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    p.stdout.setEncoding('utf8').on('data', (d: string) => { stdout += d; });
    p.stderr.setEncoding('utf8').on('data', (d: string) => { stderr += d; });
    // a process ended by a signal reports as a shell does (128+n)
    p.on('close', (code, signal) => resolve({ code: code ?? (signal === 'SIGTERM' ? 143 : signal === 'SIGKILL' ? 137 : null), stdout, stderr }));
  });
}

function names(args: string[] = []): string[] {
  return ok(['ps', '-a', ...args, '--format', '{{.Names}}']).split('\n').filter(Boolean);
}

beforeAll(() => {
  if (!existsSync(join(TOP, 'dist/src/cli/wasmvisor.js'))) throw new Error('dist/ is missing: run `npm run build`');
  store = mkdtempSync(join(tmpdir(), 'wv-containers-'));
  containers = join(store, 'containers');
  host = mkdtempSync(join(tmpdir(), 'wv-containers-host-'));
  // an image whose module is on its PATH, as a podman user's image would have it
  ok(['pack', '--add', `${PROBE}:/usr/bin/probe`, '-e', 'PATH=/usr/bin', '-e', 'GREETING=hi', '--entrypoint', '/usr/bin/probe', '--cmd', 'tick', '-t', IMAGE]);
});

afterAll(() => {
  killLeftovers(containers);
  rmSync(store, { recursive: true, force: true });
  rmSync(host, { recursive: true, force: true });
});

describe('ps: foreground containers, filters and flags', () => {
  it('lists a foreground container while it runs, keeps it after (not with --rm), and --name works without -d', async () => {
    const running = wvAsync(['run', '--name', 'fg-long', PROBE, 'tick']);
    await until('fg-long in ps', () => (names(['--filter', 'status=running']).includes('fg-long') ? true : undefined), 30_000);
    expect(ok(['ps', '--format', '{{.Names}} {{.State}}'])).toContain('fg-long running');
    // exec and the like need a control socket a foreground run has not: one line, 125
    const ex = wv(['exec', 'fg-long', PROBE]);
    expect(ex.code).toBe(125);
    expect(ex.stderr).toMatch(/runs in the foreground of its wasmvisor run process/);
    // stop signals its run process, which records 143
    expect(ok(['stop', '-t', '5', 'fg-long'])).toBe('fg-long\n');
    expect((await running).code).toBe(143);
    expect(ok(['ps', '-a', '--filter', 'name=^fg-long$', '--format', '{{.Status}}'])).toMatch(/^Exited \(143\) /);
    expect(wv(['run', '--name', 'fg-exit', PROBE, 'exit', '3']).code).toBe(3);
    expect(ok(['ps', '-a', '--filter', 'exited=3', '--format', '{{.Names}}'])).toBe('fg-exit\n');
    expect(wv(['run', '--rm', '--name', 'fg-rm', PROBE, 'exit', '0']).code).toBe(0);
    expect(names()).not.toContain('fg-rm');
    // the name is taken now: podman's refusal, 125
    const dup = wv(['run', '--name', 'fg-exit', PROBE, 'exit', '0']);
    expect(dup.code).toBe(125);
    expect(dup.stderr).toMatch(/name "fg-exit" is already in use/);
  });

  it('--filter name/id/status/label/ancestor, -n, -l, --noheading, --sort and -s', () => {
    ok(['run', '-l', 'tier=web', '--name', 'lab-a', PROBE, 'exit', '0']);
    ok(['run', '-l', 'tier=db', '--name', 'lab-b', IMAGE, 'exit', '0']);
    expect(names(['--filter', 'label=tier=web'])).toEqual(['lab-a']);
    expect(names(['--filter', 'label=tier']).sort()).toEqual(['lab-a', 'lab-b']);
    expect(names(['--filter', `ancestor=${IMAGE}`])).toEqual(['lab-b']);
    expect(names(['--filter', 'label=tier', '--filter', 'name=b$'])).toEqual(['lab-b']);
    expect(names(['--filter', 'name=lab-a', '--filter', 'name=lab-b']).sort()).toEqual(['lab-a', 'lab-b']);
    const id = ok(['ps', '-a', '--no-trunc', '--filter', 'name=lab-b', '-q']).trim();
    expect(names(['--filter', `id=${id.slice(0, 8)}`])).toEqual(['lab-b']);
    expect(ok(['ps', '-l', '--format', '{{.Names}}'])).toBe('lab-b\n');
    expect(ok(['ps', '-n', '2', '--format', '{{.Names}}'])).toBe('lab-b\nlab-a\n');
    const sorted = names(['--sort', 'names']);
    expect(sorted).toEqual([...sorted].sort());
    const table = ok(['ps', '-a', '--noheading', '--filter', 'name=lab-a']);
    expect(table.split('\n').filter(Boolean)).toHaveLength(1);
    expect(table).not.toMatch(/CONTAINER ID/);
    expect(ok(['ps', '-a', '-s', '--filter', 'name=lab-a'])).toMatch(/NAMES\s+SIZE\n/);
    expect(ok(['ps', '-a', '--filter', 'name=lab-a', '--format', 'table {{.Names}}\t{{.Labels}}'])).toMatch(/^NAMES\s+LABELS\nlab-a\s+map\[tier:web\]\n$/);
    for (const bad of [['--filter', 'colour=red'], ['--filter', 'status=sleeping'], ['--sort', 'colour'], ['-n', 'x']]) {
      const r = wv(['ps', '-a', ...bad]);
      expect(r.code, bad.join(' ')).toBe(125);
      expect(r.stderr.split('\n').filter(Boolean)).toHaveLength(1);
    }
  });
});

describe('create, start, attach, pause, restart, stop', () => {
  it('create leaves it Created; start -a prints its output and exits with its code; start again runs it anew', () => {
    const id = ok(['create', '--name', 'cr1', PROBE, 'tick', '3']).trim();
    expect(id).toMatch(/^[0-9a-f]{64}$/);
    expect(ok(['ps', '-a', '--filter', 'name=cr1', '--format', '{{.Status}}'])).toBe('Created\n');
    const a = wv(['start', '-a', 'cr1']);
    expect(a.code, a.stderr).toBe(0);
    expect(a.stdout).toBe('tick 0\ntick 1\ntick 2\n');
    ok(['create', '--name', 'cr2', PROBE, 'exit', '7']);
    expect(wv(['start', '-a', 'cr2']).code).toBe(7);
    // an exited container starts again: its log goes on
    expect(wv(['start', '-a', 'cr1']).stdout).toBe('tick 0\ntick 1\ntick 2\n');
    expect(ok(['logs', 'cr1'])).toBe('tick 0\ntick 1\ntick 2\n'.repeat(2));
    expect(wv(['start', 'nosuch']).code).toBe(125);
  });

  it('pause and unpause (status words and refusals), attach until exit, restart, stop', async () => {
    ok(['run', '-d', '--name', 'pz', PROBE, 'tick']);
    expect(ok(['pause', 'pz'])).toBe('pz\n');
    expect(ok(['ps', '--filter', 'name=pz', '--format', '{{.Status}}'])).toBe('Paused\n');
    const again = wv(['pause', 'pz']);
    expect(again.code).toBe(125);
    expect(again.stderr).toMatch(/is paused, not running/);
    ok(['unpause', 'pz']);
    expect(ok(['ps', '--filter', 'name=pz', '--format', '{{.State}}'])).toBe('running\n');
    const before = ok(['inspect', '-f', '{{.State.StartedAt}}', 'pz']);
    ok(['restart', '-t', '1', 'pz']);
    expect(ok(['inspect', '-f', '{{.State.Running}}', 'pz'])).toBe('true\n');
    expect(ok(['inspect', '-f', '{{.State.StartedAt}}', 'pz'])).not.toBe(before);
    const attached = wvAsync(['attach', 'pz']);
    await new Promise((r) => setTimeout(r, 1500));
    ok(['stop', '-t', '1', 'pz']);
    const a = await attached;
    expect(a.code).toBe(143);
    expect(a.stdout).toMatch(/^tick \d+\n/);
    expect(wv(['attach', 'pz']).code).toBe(125);
    expect(wv(['unpause', 'pz']).code).toBe(125);
  });

  it('--restart on-failure:2 runs a failing container twice more, then it stays exited; stop keeps an always container down', async () => {
    ok(['run', '-d', '--restart', 'on-failure:2', '--name', 'rs', PROBE, 'exit', '5']);
    await until('rs exited', () => (ok(['ps', '-a', '--filter', 'name=rs', '--format', '{{.State}}']) === 'exited\n' ? true : undefined), 30_000);
    expect(ok(['inspect', '-f', '{{.RestartCount}} {{.State.ExitCode}} {{.HostConfig.RestartPolicy.Name}}', 'rs'])).toBe('2 5 on-failure\n');
    ok(['run', '-d', '--restart', 'always', '--name', 'ra', PROBE, 'tick', '2']);
    await until('ra restarted twice', () => (Number(ok(['inspect', '-f', '{{.RestartCount}}', 'ra'])) >= 2 ? true : undefined), 30_000);
    ok(['stop', '-t', '1', 'ra']);
    await new Promise((r) => setTimeout(r, 500));
    expect(ok(['inspect', '-f', '{{.State.Status}}', 'ra'])).toBe('exited\n');
    for (const bad of [['--restart', 'sometimes', '-d'], ['--restart', 'always']]) {
      const r = wv(['run', ...bad, PROBE, 'exit', '0']);
      expect(r.code, bad.join(' ')).toBe(125);
    }
  });
});

describe('exec', () => {
  it('finds a bare command in the image\'s PATH; -e, --env-file, -w, -u; missing 127, not wasm 126', () => {
    ok(['run', '-d', '--name', 'ex', IMAGE]);
    expect(ok(['exec', 'ex', 'probe', 'exit', '0'])).toBe('');
    expect(wv(['exec', 'ex', 'probe', 'exit', '4']).code).toBe(4);
    expect(ok(['exec', '-t', 'ex', 'probe', 'put', '/tmp/x', 'y'])).toBe('ok\n');
    const missing = wv(['exec', 'ex', 'ruby']);
    expect(missing.code).toBe(127);
    expect(missing.stderr).toMatch(/ruby: executable file not found in \$PATH \(PATH=\/usr\/bin\)/);
    // with -e PATH pointing elsewhere, the bare name is no longer found
    expect(wv(['exec', '-e', 'PATH=/bin', 'ex', 'probe']).code).toBe(127);
    ok(['exec', 'ex', 'probe', 'put', '/notwasm', 'text']);
    const env = join(host, 'exec.env');
    writeFileSync(env, '# comment\nFROM_FILE=1\nGREETING=file\n');
    // through the bin's shebang (node --), as a user types it: a bare `node BIN --env-file` is read by Node itself
    const viaShebang = (args: string[]) => spawnSync(BIN, args, { encoding: 'utf8', env: { ...process.env, WASMVISOR_ROOT: store } });
    const shownRun = viaShebang(['exec', '--env-file', env, '-e', 'GREETING=flag', 'ex', 'probe', 'show', '/proc/self/environ']);
    expect(shownRun.status, shownRun.stderr).toBe(0);
    const shown = shownRun.stdout;
    expect(shown).toContain('FROM_FILE=1');
    expect(shown).toContain('GREETING=flag');
    expect(shown).toContain('PATH=/usr/bin');
    expect(ok(['exec', '-w', '/usr/bin', 'ex', 'probe', 'ls', '.'])).toBe('probe\n');
    expect(ok(['exec', '-u', '1000:1000', 'ex', 'probe', 'show', '/proc/self/status'])).toMatch(/Uid:\t1000\t1000\t1000\t1000\nGid:\t1000\t1000/);
    const noFile = viaShebang(['exec', '--env-file', '/nonexistent', 'ex', 'probe']);
    expect(noFile.status).toBe(125);
    expect(noFile.stderr).toBe('wasmvisor: --env-file /nonexistent: no such file\n');
    ok(['stop', '-t', '1', 'ex']);
    expect(wv(['exec', 'ex', 'probe']).code).toBe(125);
  });
});

describe('stats, top, diff, inspect, rename', () => {
  it('stats --no-stream with podman\'s fields and json keys; top lists the container\'s pids; inspect -f; rename', () => {
    ok(['run', '-d', '--name', 'st', '-m', '64m', IMAGE]);
    const line = ok(['stats', '--no-stream', '--format', '{{.Name}}|{{.MemUsage}}|{{.MemPerc}}|{{.PIDs}}|{{.NetIO}}', 'st']);
    expect(line).toMatch(/^st\|[\d.]+[kMG]?B \/ 67\.11MB\|[\d.]+%\|1\|--\n$/);
    const [j] = JSON.parse(ok(['stats', '--no-stream', '--format', 'json', 'st'])) as Array<Record<string, string>>;
    expect(Object.keys(j!)).toEqual(['id', 'name', 'cpu_time', 'cpu_percent', 'avg_cpu', 'mem_usage', 'mem_percent', 'net_io', 'block_io', 'pids']);
    expect(ok(['stats', '--no-stream'])).toMatch(/^ID\s+NAME\s+CPU %\s+MEM USAGE \/ LIMIT\s+MEM %\s+NET IO\s+BLOCK IO\s+PIDS\s+CPU TIME\s+AVG CPU %\n/);
    expect(wv(['stats', '--no-stream', '--format', '{{.Colour}}', 'st']).code).toBe(125);
    const top = ok(['top', 'st']).split('\n').filter(Boolean);
    expect(top[0]).toMatch(/^USER\s+PID\s+PPID\s+%CPU\s+ELAPSED\s+TTY\s+TIME\s+COMMAND$/);
    expect(top[1]).toMatch(/^root\s+1\s+0\s+.*\/usr\/bin\/probe tick$/);
    expect(ok(['top', 'st', 'pid', 'args'])).toMatch(/^PID\s+COMMAND\n1\s+\/usr\/bin\/probe tick\n$/);
    expect(wv(['top', 'st', 'colour']).code).toBe(125);
    ok(['exec', 'st', 'probe', 'put', '/added.txt', 'a']);
    expect(ok(['diff', 'st'])).toBe('A /added.txt\n');
    // CPU time from cpu.stat (metered on the sentry platform) and block I/O from io.stat (the write above)
    const [cpu, blockIo] = ok(['stats', '--no-stream', '--format', '{{.CPU}}|{{.BlockIO}}', 'st']).trim().split('|');
    expect(cpu).toMatch(/^\d+\.\d{6}s$/);
    expect(blockIo).toMatch(/^[\d.]+[kMG]?B \/ [\d.]+[kMG]?B$/);
    expect(blockIo!.split(' / ')[1]).not.toBe('0B');
    expect(JSON.parse(ok(['diff', '--format', 'json', 'st']))).toEqual({ added: ['/added.txt'] });
    const doc = (JSON.parse(ok(['inspect', 'st'])) as Array<Record<string, any>>)[0]!;
    expect(doc.Name).toBe('st');
    expect(doc.State).toMatchObject({ Status: 'running', Running: true, Paused: false, ExitCode: 0, OOMKilled: false });
    expect(doc.HostConfig.Memory).toBe(64 * 1024 * 1024);
    expect(doc.Config.Env).toContain('GREETING=hi');
    expect(doc.ImageName).toBe(IMAGE);
    expect(ok(['inspect', '-f', '{{.State.Pid}}', 'st'])).toMatch(/^[1-9]\d*\n$/);
    ok(['rename', 'st', 'st2']);
    expect(ok(['inspect', '-f', '{{.Name}}', 'st2'])).toBe('st2\n');
    expect(wv(['inspect', '--type', 'container', 'st']).code).toBe(125);
    expect(wv(['rename', 'st2', 'lab-a']).code).toBe(125); // taken
    ok(['stop', '-t', '1', 'st2']);
    expect(ok(['inspect', '-f', '{{.State.Status}} {{.State.ExitCode}} {{.Name}}', 'st2'])).toBe('exited 143 st2\n');
    expect(wv(['diff', 'st2']).code).toBe(0); // an exited container keeps its writable layer (stopped_fs.test.ts)
  });
});

describe('cp, commit, export', () => {
  it('cp a file and a directory both ways, and as a tar stream; commit makes an image with the change; export the whole fs', () => {
    ok(['run', '-d', '--name', 'cpc', IMAGE]);
    ok(['exec', 'cpc', 'probe', 'put', '/data.txt', 'from the container']);
    ok(['cp', 'cpc:/data.txt', host]);
    expect(readFileSync(join(host, 'data.txt'), 'utf8')).toBe('from the container');
    ok(['cp', 'cpc:/data.txt', join(host, 'renamed.txt')]);
    expect(readFileSync(join(host, 'renamed.txt'), 'utf8')).toBe('from the container');
    const tree = join(host, 'tree');
    mkdirSync(join(tree, 'sub'), { recursive: true });
    writeFileSync(join(tree, 'a.txt'), 'A');
    writeFileSync(join(tree, 'sub', 'b.txt'), 'B');
    ok(['cp', tree, 'cpc:/tmp']);
    expect(ok(['exec', 'cpc', 'probe', 'show', '/tmp/tree/sub/b.txt'])).toBe('B');
    ok(['cp', tree, 'cpc:/copied']);
    expect(ok(['exec', 'cpc', 'probe', 'show', '/copied/a.txt'])).toBe('A');
    ok(['cp', 'cpc:/copied', join(host, 'back')]);
    expect(readFileSync(join(host, 'back', 'sub', 'b.txt'), 'utf8')).toBe('B');
    const tar = spawnSync(process.execPath, [BIN, 'cp', 'cpc:/copied', '-'], { env: { ...process.env, WASMVISOR_ROOT: store } });
    expect(tar.status).toBe(0);
    const listed = spawnSync('tar', ['-t'], { input: tar.stdout, encoding: 'utf8' }).stdout.split('\n').filter(Boolean).sort();
    expect(listed).toEqual(['copied/', 'copied/a.txt', 'copied/sub/', 'copied/sub/b.txt']);
    ok(['cp', '-', 'cpc:/tmp'], tar.stdout.toString('latin1'));
    const missing = wv(['cp', 'cpc:/nope', host]);
    expect(missing.code).toBe(125);
    expect(missing.stderr).toMatch(/no such file or directory in the container/);
    expect(wv(['cp', join(host, 'nope'), 'cpc:/tmp']).code).toBe(125);

    const id = ok(['commit', '-c', 'CMD ["show", "/data.txt"]', 'cpc', 'localhost/probe:committed']).trim();
    expect(id).toMatch(/^[0-9a-f]{64}$/);
    expect(ok(['run', '--rm', 'localhost/probe:committed'])).toBe('from the container');
    expect(ok(['images', '--format', '{{.Repository}}:{{.Tag}}'])).toContain('localhost/probe:committed');

    const out = join(host, 'export.tar');
    ok(['export', '-o', out, 'cpc']);
    const all = spawnSync('tar', ['-tf', out], { encoding: 'utf8' }).stdout;
    expect(all).toContain('./usr/bin/probe');
    expect(all).toContain('./data.txt');
    expect(all).not.toContain('./proc/');
    ok(['stop', '-t', '1', 'cpc']);
    // exited: its kept layer is read and written (stopped_fs.test.ts, cp_stopped.test.ts)
    expect(wv(['cp', 'cpc:/data.txt', host]).code).toBe(0);
    expect(wv(['cp', join(host, 'data.txt'), 'cpc:/again.txt']).code).toBe(0);
    expect(wv(['cp', 'cpc:/again.txt', join(host, 'again.txt')]).code).toBe(0);
  });
});

describe('logs', () => {
  it('--tail N, several containers prefixed by id or name (-n); bad --tail/--since/--until are 125 (-t etc.: logs_time.test.ts)', async () => {
    ok(['run', '-d', '--name', 'lg1', PROBE, 'tick', '4']);
    ok(['run', '-d', '--name', 'lg2', PROBE, 'tick', '2']);
    ok(['wait', 'lg1', 'lg2']);
    expect(ok(['logs', '--tail', '2', 'lg1'])).toBe('tick 2\ntick 3\n');
    expect(ok(['logs', '--tail', '0', 'lg1'])).toBe('');
    expect(ok(['logs', '-n', 'lg1', 'lg2'])).toBe('lg1 tick 0\nlg1 tick 1\nlg1 tick 2\nlg1 tick 3\nlg2 tick 0\nlg2 tick 1\n');
    const id = ok(['ps', '-a', '--filter', 'name=lg2', '-q']).trim();
    expect(ok(['logs', '--tail', '1', 'lg1', 'lg2'])).toMatch(new RegExp(`^[0-9a-f]{12} tick 3\n${id} tick 1\n$`));
    for (const bad of [['--since', 'x'], ['--until', '1 m'], ['--tail', 'x']]) {
      const r = wv(['logs', ...bad, 'lg1']);
      expect(r.code, bad.join(' ')).toBe(125);
    }
  });
});
