/**
 * A real containerd 1.6 drives wasmvisor-runc through its
 * `io.containerd.runc.v2` shim (`ctr run --runc-binary`): containerd runs
 * with root, state and socket under a temp dir and the CRI plugin off; the
 * image is an OCI archive built here (linux/<host arch>, so ctr unpacks it
 * without platform flags) holding the project's wasm modules.
 */
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { existsSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect } from 'vitest';
import { itWithTools, which } from '../support/tools.js';
import { makeTar, writeOciLayout } from '../support/oci_fixtures.js';
import { BIN, HELLO, PROBE, TOP, killLeftovers, tempDir } from './fixtures/harness.js';

const it = itWithTools('containerd', 'ctr');
const itTty = itWithTools('containerd', 'ctr', 'script', 'python3');

let work = '';
let containerd: ChildProcess | null = null;
const NS = 'wasmvisor-test';

function ctr(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const p = spawn('ctr', ['--address', join(work, 'containerd.sock'), '-n', NS, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    p.stdout.setEncoding('utf8').on('data', (d: string) => { stdout += d; });
    p.stderr.setEncoding('utf8').on('data', (d: string) => { stderr += d; });
    p.once('error', reject);
    p.once('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
  });
}

/** An OCI archive of one linux/<host arch> image named `name` whose entrypoint is `entrypoint`. */
async function imageArchive(name: string, entrypoint: string[]): Promise<string> {
  const dir = join(work, `layout-${name.replace(/\W/g, '_')}`);
  const layer = await makeTar([
    { name: 'hello.wasm', data: readFileSync(HELLO), mode: 0o755 },
    { name: 'probe.wasm', data: readFileSync(PROBE), mode: 0o755 },
    { name: 'readline.wasm', data: readFileSync(join(TOP, 'wasm/readline.wasm')), mode: 0o755 },
  ]);
  writeOciLayout(dir, {
    layers: [{ tar: layer, compression: 'gzip' }],
    os: 'linux',
    architecture: process.arch === 'x64' ? 'amd64' : process.arch,
    config: { config: { Entrypoint: entrypoint, Env: ['PATH=/'] } },
  });
  // containerd names an imported image by this annotation
  const index = JSON.parse(readFileSync(join(dir, 'index.json'), 'utf8')) as { manifests: { annotations?: Record<string, string> }[] };
  index.manifests[0]!.annotations = { 'io.containerd.image.name': name };
  writeFileSync(join(dir, 'index.json'), JSON.stringify(index));
  const tar = join(work, `${name.replace(/\W/g, '_')}.tar`);
  execFileSync('tar', ['-cf', tar, '-C', dir, '.']);
  return tar;
}

async function waitForSocket(path: string): Promise<void> {
  for (let i = 0; i < 500; i++) {
    if (existsSync(path)) return;
    if (containerd?.exitCode !== null) throw new Error(`containerd exited: ${readFileSync(join(work, 'containerd.log'), 'utf8').slice(-2000)}`);
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error('containerd did not open its socket');
}

beforeAll(async () => {
  work = tempDir('runc-ctd-');
  if (!existsSync(join(import.meta.dirname, '../../dist/src/cli/runc/main.js'))) throw new Error('dist/ is missing: run `npm run build` (npm test does)');
  if (!which('containerd') || !which('ctr')) return; // the tests themselves say so (and fail under CI)
  writeFileSync(join(work, 'config.toml'), [
    'version = 2',
    `root = "${work}/root"`,
    `state = "${work}/state"`,
    'disabled_plugins = ["io.containerd.grpc.v1.cri"]',
    '[grpc]',
    `  address = "${work}/containerd.sock"`,
    '[ttrpc]',
    `  address = "${work}/containerd.sock.ttrpc"`,
    '[plugins."io.containerd.internal.v1.opt"]',
    `  path = "${work}/opt"`,
    '',
  ].join('\n'));
  const log = openSync(join(work, 'containerd.log'), 'w');
  containerd = spawn('containerd', ['--config', join(work, 'config.toml')], { stdio: ['ignore', log, log] });
  await waitForSocket(join(work, 'containerd.sock'));
  for (const [name, ep] of [['localhost/wasmvisor/hello:test', ['/hello.wasm']], ['localhost/wasmvisor/probe:test', ['/probe.wasm']]] as const) {
    const r = await ctr('images', 'import', await imageArchive(name, [...ep]));
    if (r.code !== 0) throw new Error(`ctr images import failed: ${r.stderr}`);
  }
}, 120_000);

afterAll(async () => {
  killLeftovers(join(work, 'runc', NS)); // a failed test's sandbox processes
  if (containerd && containerd.exitCode === null) {
    const exited = new Promise((r) => containerd!.once('exit', r));
    containerd.kill('SIGTERM');
    await Promise.race([exited, new Promise((r) => setTimeout(r, 5000))]);
    if (containerd.exitCode === null) containerd.kill('SIGKILL');
  }
}, 30_000);

/**
 * Run the shell command `line` (a ctr command) on a terminal that script(1)
 * gives it, drive readline.wasm through it (prompt, a typed line echoed,
 * exit) and expect exit 0.
 */
async function readlineOnTerminal(line: string): Promise<void> {
  const p = spawn('script', ['-q', '-e', '-c', line, '/dev/null'], { stdio: ['pipe', 'pipe', 'pipe'] });
  let out = '';
  p.stdout.setEncoding('utf8').on('data', (d: string) => { out += d; });
  p.stderr.setEncoding('utf8').on('data', (d: string) => { out += d; });
  const closed = new Promise<number | null>((res) => p.once('close', res));
  const see = async (what: string) => {
    for (let i = 0; i < 1500 && !out.includes(what); i++) await new Promise((r) => setTimeout(r, 20));
    expect(out, `waiting for ${JSON.stringify(what)}`).toContain(what);
  };
  try {
    await see('> ');
    p.stdin.write('abc\r');
    await see('you said: abc');
    p.stdin.write('exit\r');
    expect(await closed).toBe(0);
    p.stdin.end();
  } finally {
    if (p.exitCode === null) p.kill('SIGKILL');
  }
}

describe('containerd 1.6 drives wasmvisor-runc', () => {
  it('ctr run --rm prints the module\'s output and exits 0', async () => {
    const r = await ctr('run', '--rm', '--runc-binary', BIN, '--runc-root', join(work, 'runc'), 'localhost/wasmvisor/hello:test', 'hello1');
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('hello from wasmvisor\n');
    expect((await ctr('containers', 'ls', '-q')).stdout).not.toContain('hello1');
  });

  itTty('ctr run -t: the container\'s terminal reaches ctr through the shim (ctr itself on a terminal that script(1) gives it)', async () => {
    // the shim passes --console-socket; the guest (readline.wasm) echoes typed characters only when its stdin is a tty
    const line = ['ctr', '--address', join(work, 'containerd.sock'), '-n', NS, 'run', '-t', '--rm', '--runc-binary', BIN, '--runc-root', join(work, 'runc'),
      'localhost/wasmvisor/hello:test', 'tty1', '/readline.wasm'].join(' ');
    await readlineOnTerminal(line);
    expect((await ctr('containers', 'ls', '-q')).stdout).not.toContain('tty1');
  }, 60_000);

  itTty('ctr task exec -t (what kubectl exec -it asks): the exec\'d process gets a terminal through the shim', async () => {
    const runc = ['--runc-binary', BIN, '--runc-root', join(work, 'runc')];
    const d = await ctr('run', '-d', ...runc, 'localhost/wasmvisor/probe:test', 'dett', '/probe.wasm', 'tick', '0');
    expect(d.code, d.stderr).toBe(0);
    const line = ['ctr', '--address', join(work, 'containerd.sock'), '-n', NS, 'task', 'exec', '-t', '--exec-id', 'x1', 'dett', '/readline.wasm'].join(' ');
    try {
      await readlineOnTerminal(line);
    } finally {
      await ctr('task', 'kill', '-s', 'SIGKILL', 'dett');
      for (let i = 0; i < 250 && (await ctr('task', 'delete', 'dett')).code !== 0; i++) await new Promise((r) => setTimeout(r, 20));
      await ctr('containers', 'delete', 'dett');
    }
  }, 60_000);

  it('ctr reports the module\'s exit code (3)', async () => {
    // ctr's own args replace the image's entrypoint and command
    const r = await ctr('run', '--rm', '--runc-binary', BIN, '--runc-root', join(work, 'runc'), 'localhost/wasmvisor/probe:test', 'exit3', '/probe.wasm', 'exit', '3');
    expect(r.code, r.stderr).toBe(3);
    expect(existsSync(join(work, 'runc', NS))).toBe(true); // the shim's --root is RUNC_ROOT/NAMESPACE
    expect(existsSync(join(work, 'runc', NS, 'exit3'))).toBe(false); // deleted by the shim
  });

  it('ctr task exec, pause, resume and kill a detached container', async () => {
    const runc = ['--runc-binary', BIN, '--runc-root', join(work, 'runc')];
    const d = await ctr('run', '-d', ...runc, 'localhost/wasmvisor/probe:test', 'det', '/probe.wasm', 'tick', '0');
    expect(d.code, d.stderr).toBe(0);
    try {
      const ex = await ctr('task', 'exec', '--exec-id', 'e1', 'det', '/hello.wasm', 'in-exec');
      expect(ex.code, ex.stderr).toBe(0);
      expect(ex.stdout).toBe('hello from wasmvisor\narg 1: in-exec\n');
      expect((await ctr('task', 'exec', '--exec-id', 'e2', 'det', '/probe.wasm', 'exit', '6')).code).toBe(6);
      // the shim kills an exec by signalling its pid (our relay): the exec'd process gets the signal
      const long = ctr('task', 'exec', '--exec-id', 'e3', 'det', '/probe.wasm', 'tick', '0');
      let killed = await ctr('task', 'kill', '--exec-id', 'e3', 'det');
      for (let i = 0; i < 250 && killed.code !== 0; i++) {
        await new Promise((r) => setTimeout(r, 20));
        killed = await ctr('task', 'kill', '--exec-id', 'e3', 'det');
      }
      expect(killed.code, killed.stderr).toBe(0);
      expect((await long).code).toBe(143);

      expect((await ctr('task', 'pause', 'det')).code).toBe(0);
      expect((await ctr('task', 'ls')).stdout).toMatch(/det\s+\d+\s+PAUSED/);
      expect((await ctr('task', 'resume', 'det')).code).toBe(0);
      expect((await ctr('task', 'ls')).stdout).toMatch(/det\s+\d+\s+RUNNING/);

      const k = await ctr('task', 'kill', 'det');
      expect(k.code, k.stderr).toBe(0);
      let ls = '';
      for (let i = 0; i < 250 && !/det\s+\d+\s+STOPPED/.test(ls); i++) {
        await new Promise((r) => setTimeout(r, 20));
        ls = (await ctr('task', 'ls')).stdout;
      }
      expect(ls).toMatch(/det\s+\d+\s+STOPPED/);
      const rm = await ctr('task', 'rm', 'det');
      expect(rm.code, rm.stderr).toBe(0);
      expect(rm.stderr).toContain('exit code 143'); // SIGTERM's 128+15, reaped by the shim
    } finally {
      await ctr('task', 'kill', '-s', 'SIGKILL', 'det');
      await ctr('task', 'rm', '-f', 'det');
      await ctr('containers', 'rm', 'det');
    }
    expect(existsSync(join(work, 'runc', NS, 'det'))).toBe(false);
  });
});
