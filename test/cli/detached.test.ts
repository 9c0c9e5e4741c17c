/**
 * Detached containers in `wasmvisor` (run -d, ps, logs, exec, stop, kill,
 * rm, wait), through the real CLI against a temp store: each container is
 * a real sandbox process, killed in afterAll if a test left it running.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { storeCli, type Ran } from '../support/wv_cli.js';
import { alive, killLeftovers, until } from '../runc/fixtures/harness.js';

const TOP = join(import.meta.dirname, '../..');
const BIN = join(TOP, 'bin/wasmvisor.js');
const PROBE = join(TOP, 'test/runtime/fixtures/probe.wasm');

let store: string;
let containers: string;


/** `wasmvisor ARGS` with the temp store as $WASMVISOR_ROOT. */
const { wv } = storeCli(() => store);

/** The same, not blocking the test's event loop (for commands that wait). */
function wvAsync(args: string[]): Promise<Ran> {
  return new Promise((resolve) => {
    const p = spawn(process.execPath, [BIN, ...args], { cwd: TOP, env: { ...process.env, WASMVISOR_ROOT: store }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    p.stdout.setEncoding('utf8').on('data', (d: string) => { stdout += d; });
    p.stderr.setEncoding('utf8').on('data', (d: string) => { stderr += d; });
    p.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/** `run -d ARGS`: the printed id. */
function runD(args: string[]): string {
  const r = wv(['run', '-d', ...args]);
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);
  expect(r.stdout).toMatch(/^[0-9a-f]{64}\n$/);
  return r.stdout.trim();
}

function psJson(all = true): Array<Record<string, unknown>> {
  const r = wv(['ps', ...(all ? ['-a'] : []), '--format', 'json']);
  expect(r.code, r.stderr).toBe(0);
  return JSON.parse(r.stdout) as Array<Record<string, unknown>>;
}

beforeAll(() => {
  if (!existsSync(join(TOP, 'dist/src/cli/wasmvisor.js'))) throw new Error('dist/ is missing: run `npm run build` (npm test does)');
  store = mkdtempSync(join(tmpdir(), 'wv-detached-'));
  containers = join(store, 'containers');
});

afterAll(() => {
  killLeftovers(containers);
  rmSync(store, { recursive: true, force: true });
});

describe('wasmvisor run -d and the container commands', () => {
  it('run -d → ps Up → logs → exec returns the module\'s code → stop 143 → ps -a Exited → rm → gone', async () => {
    const id = runD(['--name', 'ticker', PROBE, 'tick']);
    expect(existsSync(join(containers, id, 'state.json'))).toBe(true); // under the store, not /run

    const table = wv(['ps']);
    expect(table.code, table.stderr).toBe(0);
    const lines = table.stdout.trim().split('\n');
    expect(lines[0]).toMatch(/^CONTAINER ID\s+IMAGE\s+COMMAND\s+CREATED\s+STATUS\s+PORTS\s+NAMES$/);
    expect(lines).toHaveLength(2);
    expect(lines[1]).toMatch(new RegExp(`^${id.slice(0, 12)}\\s+\\S*probe\\.wasm\\s+probe\\.wasm tick\\s+.* ago\\s+Up .*\\s+ticker$`));
    const [rec] = psJson(false);
    expect(rec).toMatchObject({ Id: id, Names: ['ticker'], Command: ['probe.wasm', 'tick'], State: 'running', Exited: false });
    expect(rec!.Status).toMatch(/^Up /);
    expect(alive(rec!.Pid as number)).toBe(true);
    expect(wv(['ps', '-q']).stdout).toBe(`${id.slice(0, 12)}\n`);

    const logs = await until('two ticks in the log', () => {
      const r = wv(['logs', 'ticker']);
      return r.stdout.includes('tick 1\n') ? r : undefined;
    });
    expect(logs.code).toBe(0);
    expect(logs.stdout).toMatch(/^tick 0\ntick 1\n/);

    const ex = wv(['exec', id.slice(0, 8), PROBE, 'exit', '7']); // a unique id prefix names it
    expect(ex.stderr).toBe('');
    expect(ex.code).toBe(7);
    const cat = wv(['exec', '-i', 'ticker', PROBE, 'cat'], 'to the exec\n');
    expect(cat.code, cat.stderr).toBe(0);
    expect(cat.stdout).toBe('to the exec\neof\n');

    const stop = wv(['stop', 'ticker']);
    expect(stop.code, stop.stderr).toBe(0);
    expect(stop.stdout).toBe('ticker\n');
    expect(alive(rec!.Pid as number)).toBe(false);
    expect(wv(['wait', 'ticker']).stdout).toBe('143\n');
    expect(wv(['ps']).stdout.trim().split('\n')).toHaveLength(1); // the header only
    const [exited] = psJson();
    expect(exited).toMatchObject({ Id: id, State: 'exited', Exited: true, ExitCode: 143 });
    expect(exited!.Status).toMatch(/^Exited \(143\) .* ago$/);
    expect(wv(['ps', '-a']).stdout).toMatch(/Exited \(143\) .* ago\s+ticker\n$/);
    const execStopped = wv(['exec', 'ticker', PROBE, 'exit', '0']);
    expect(execStopped.code).toBe(125);
    expect(execStopped.stderr).toMatch(/^wasmvisor: container ticker is not running .*\n$/);

    const rm = wv(['rm', 'ticker']);
    expect(rm.code, rm.stderr).toBe(0);
    expect(psJson()).toEqual([]);
    expect(existsSync(join(containers, id))).toBe(false);
  });

  it('logs -f follows the output until the container exits; wait prints its code', async () => {
    const id = runD([PROBE, 'tick', '5']);
    const [follow, wait] = await Promise.all([wvAsync(['logs', '-f', id]), wvAsync(['wait', id])]);
    expect(follow.code, follow.stderr).toBe(0);
    expect(follow.stdout).toBe('tick 0\ntick 1\ntick 2\ntick 3\ntick 4\n');
    expect(wait.stdout).toBe('0\n');
    const [rec] = psJson().filter((r) => r.Id === id);
    expect(rec!.Names).toEqual([expect.stringMatching(/^[a-z]+_[a-z]+$/)]); // a generated name
    expect(wv(['rm', id]).code).toBe(0);
  });

  it('rm of a running container fails with 2 (podman\'s) and one line; rm -f kills and removes it', () => {
    const id = runD(['--name', 'busy', PROBE, 'tick']);
    const rm = wv(['rm', 'busy']);
    expect(rm.code).toBe(2);
    expect(rm.stderr).toBe('wasmvisor: container busy is running: stop it first (wasmvisor stop busy), or rm -f\n');
    expect(psJson(false).map((r) => r.Id)).toEqual([id]);
    const pid = psJson(false)[0]!.Pid as number;
    const force = wv(['rm', '-f', 'busy']);
    expect(force.code, force.stderr).toBe(0);
    expect(alive(pid)).toBe(false);
    expect(psJson()).toEqual([]);
  });

  it('an unknown container is 125 (rm: 1, as podman) with "no such container" for every command', () => {
    for (const args of [['logs', 'nope'], ['exec', 'nope', PROBE], ['stop', 'nope'], ['kill', 'nope'], ['rm', 'nope'], ['wait', 'nope']]) {
      const r = wv(args);
      expect(r.code, args.join(' ')).toBe(args[0] === 'rm' ? 1 : 125);
      expect(r.stderr).toBe('wasmvisor: no such container nope: see wasmvisor ps -a\n');
    }
  });

  it('run -d --rm leaves nothing once the container exits', async () => {
    const id = runD(['--rm', PROBE, 'exit', '3']);
    await until('the container to remove itself', () => (existsSync(join(containers, id)) ? undefined : true));
    expect(psJson()).toEqual([]);
  });

  it('a second container with the same --name is refused (125), and nothing is created for it', () => {
    const id = runD(['--name', 'twin', PROBE, 'tick']);
    const again = wv(['run', '-d', '--name', 'twin', PROBE, 'tick']);
    expect(again.code).toBe(125);
    expect(again.stdout).toBe('');
    expect(again.stderr).toMatch(/^wasmvisor: the container name "twin" is already in use: .*\n$/);
    expect(readdirSync(containers)).toEqual([id]);
    expect(wv(['rm', '-f', 'twin']).code).toBe(0);
  });

  it('stop -t 1 kills with SIGKILL a container whose sandbox does not answer TERM (stopped with SIGSTOP): 137', async () => {
    runD(['--name', 'deaf', PROBE, 'tick']);
    const pid = psJson(false)[0]!.Pid as number;
    process.kill(pid, 'SIGSTOP');
    const t0 = Date.now();
    const stop = await wvAsync(['stop', '-t', '1', 'deaf']);
    expect(stop.code, stop.stderr).toBe(0);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(1000);
    expect(alive(pid)).toBe(false);
    expect(wv(['wait', 'deaf']).stdout).toBe('137\n');
    expect(wv(['rm', 'deaf']).code).toBe(0);
  });

  it('kill sends a signal (-s TERM: 143; default KILL: 137, recorded by the sandbox)', async () => {
    runD(['--name', 'k1', PROBE, 'tick']);
    runD(['--name', 'k2', PROBE, 'tick']);
    expect(wv(['kill', '-s', 'TERM', 'k1']).code).toBe(0);
    expect(wv(['kill', 'k2']).code).toBe(0);
    expect((await wvAsync(['wait', 'k1', 'k2'])).stdout).toBe('143\n137\n');
    expect(wv(['ps', '-a']).stdout).toMatch(/Exited \(137\) .* ago\s+k2\n/);
    const again = wv(['kill', 'k1']);
    expect(again.code).toBe(125);
    expect(again.stderr).toMatch(/^wasmvisor: container k1 is not running/);
    expect(wv(['rm', 'k1', 'k2']).stdout).toBe('k1\nk2\n');
  });

  it('run -d IMAGE runs the image\'s module on its layers; --root names the store as WASMVISOR_ROOT does', async () => {
    const load = wv(['load', '-i', join(TOP, 'src/image/samples/hello')]);
    expect(load.code, load.stderr).toBe(0);
    const id = runD(['--name', 'img', 'localhost/wasmvisor/hello', 'a', 'b']);
    expect((await wvAsync(['wait', 'img'])).stdout).toBe('0\n');
    expect(wv(['logs', id]).stdout).toBe('hello from wasmvisor\narg 1: a\narg 2: b\n');
    const ps = spawnSync(process.execPath, [BIN, '--root', store, 'ps', '-a', '--format', 'json'], { encoding: 'utf8', env: { ...process.env, WASMVISOR_ROOT: '/nonexistent' } });
    expect(ps.status, ps.stderr).toBe(0);
    expect(JSON.parse(ps.stdout)).toMatchObject([{ Id: id, Image: 'localhost/wasmvisor/hello:latest', Command: ['/hello.wasm', 'a', 'b'], ExitCode: 0 }]);
    expect(wv(['rm', 'img']).code).toBe(0);
  });

  it('exec in an image\'s container finds the module in the image (absolute or relative to /) and passes the container\'s env and -e', () => {
    const pack = wv(['pack', '--add', `${PROBE}:/bin/probe.wasm`, '--add', `${join(TOP, 'wasm/hello.wasm')}:/hello.wasm`,
      '--entrypoint', '/bin/probe.wasm', '-e', 'GREETING=hi', '-t', 'localhost/test/probe:1']);
    expect(pack.code, pack.stderr).toBe(0);
    runD(['--name', 'packed', 'localhost/test/probe:1', 'tick']);
    const hello = wv(['exec', 'packed', '/hello.wasm', 'x']);
    expect(hello.code, hello.stderr).toBe(0);
    expect(hello.stdout).toBe('hello from wasmvisor\narg 1: x\n');
    expect(wv(['exec', 'packed', 'bin/probe.wasm', 'exit', '4']).code).toBe(4);
    const env = wv(['exec', '-e', 'EXTRA=2', 'packed', '/bin/probe.wasm', 'show', '/proc/self/environ']);
    expect(env.code, env.stderr).toBe(0);
    expect(env.stdout).toContain('GREETING=hi');
    expect(env.stdout).toContain('EXTRA=2');
    const missing = wv(['exec', 'packed', '/nope.wasm']);
    expect(missing.code).toBe(127); // podman's "command not found" (issue 15)
    expect(missing.stderr).toBe('wasmvisor: /nope.wasm: no such file in the container\n');
    expect(wv(['rm', '-f', 'packed']).code).toBe(0);
  });

  it('run -d refuses what it cannot run with run\'s exit codes, leaving nothing', () => {
    const missing = wv(['run', '-d', '/nonexistent/x.wasm']);
    expect(missing.code).toBe(127);
    const notWasm = wv(['run', '-d', join(TOP, 'test/runtime/fixtures/probe.c')]);
    expect(notWasm.code).toBe(126);
    expect(notWasm.stderr).toMatch(/not a WebAssembly module\n$/);
    // --name without -d is a kept foreground container (issue 15); with --rm it leaves nothing either
    const name = wv(['run', '--rm', '--name', 'x', PROBE, 'exit', '0']);
    expect(name.code, name.stderr).toBe(0);
    expect(psJson()).toEqual([]);
  });
});
