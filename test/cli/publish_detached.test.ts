/**
 * Published ports of detached containers and on the sentry platform
 * (issue 14): `run -d -p` keeps its ports while the container runs (`port`,
 * `ps`), curl and 100 parallel clients reach wasm/http_server, `stop` and
 * `kill` close the listener so the test can bind the host port itself; a
 * port in use is one line and exit 125 with nothing left; a guest that
 * never accepts holds connections up to the backlog with memory.current
 * bounded; `-P` publishes an image's ExposedPorts; `run --platform sentry
 * -p` in the foreground.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync, copyFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { storeCli } from '../support/wv_cli.js';
import { httpGet as get, echoOnce as echo, canBind, makeWebRoot } from '../support/net_client.js';

const TOP = join(import.meta.dirname, '../..');
const BIN = join(TOP, 'bin/wasmvisor.js');
const HTTP = join(TOP, 'wasm/http_server.wasm');
const TICKER = join(TOP, 'wasm/ticker.wasm');
const ECHO = join(TOP, 'wasm/echo_server.wasm');
let store: string;
let www: string;
let big: Buffer;
const running: ChildProcess[] = [];

const { wv } = storeCli(() => store);

/** The host port of container NAME's port CTR (bound on 127.0.0.1 or 0.0.0.0), read through `wasmvisor port`. */
function hostPort(name: string, ctr: number): number {
  const r = wv(['port', name, String(ctr)]);
  expect(r.code, r.stderr).toBe(0);
  const m = /^(?:127\.0\.0\.1|0\.0\.0\.0):(\d+)\n$/.exec(r.stdout);
  expect(m, r.stdout).not.toBeNull();
  return Number(m![1]);
}

/** Poll until `f` is true (generous: the machine may be loaded). */
async function until(what: string, f: () => Promise<boolean> | boolean, ms = 30_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await f())) {
    if (Date.now() > end) throw new Error(`timed out waiting until ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Poll `curl` until the server answers (the guest may still be starting). */
async function curlOk(port: number): Promise<string> {
  let out = '';
  await until(`curl gets an answer on ${port}`, () => {
    const r = spawnSync('curl', ['-s', '-m', '10', `http://127.0.0.1:${port}/`], { encoding: 'utf8', timeout: 30_000 });
    out = r.stdout;
    return r.status === 0;
  });
  return out;
}

async function hundredClients(port: number): Promise<void> {
  const results = await Promise.all(Array.from({ length: 100 }, (_, i) => get(port, i % 2 ? '/big.bin' : '/')));
  for (const [i, r] of results.entries()) {
    expect(r.status).toBe(200);
    expect(r.body.equals(i % 2 ? big : Buffer.from('hello from wasm\n'))).toBe(true);
  }
}

beforeAll(() => {
  store = mkdtempSync(join(tmpdir(), 'wv-publish-d-'));
  ({ www, big } = makeWebRoot(store));
});

afterEach(() => {
  for (const c of running.splice(0)) if (c.exitCode === null) c.kill('SIGKILL');
});

afterAll(() => {
  // a failed test leaves its container running: remove them all (their sandbox processes end)
  const ids = wv(['ps', '-a', '-q', '--no-trunc']).stdout.split('\n').filter((l) => l !== '');
  if (ids.length > 0) wv(['rm', '-f', ...ids]);
  rmSync(store, { recursive: true, force: true });
});

describe('run -d -p (sentry platform, sandbox process)', () => {
  it('http_server: curl, 100 parallel clients, port and ps; a port in use is 125 with nothing left; stop frees the host port', async () => {
    const run = wv(['run', '-d', '--name', 'dweb', '-p', '127.0.0.1::80', '-v', `${www}:/www:ro`, HTTP]);
    expect(run.code, run.stderr).toBe(0);
    const port = hostPort('dweb', 80);
    expect(await curlOk(port)).toBe('hello from wasm\n');
    await hundredClients(port);
    expect(wv(['port', 'dweb']).stdout).toBe(`80/tcp -> 127.0.0.1:${port}\n`);
    expect(wv(['ps']).stdout).toContain(`127.0.0.1:${port}->80/tcp`);

    const before = wv(['ps', '-a', '-q']).stdout;
    const busy = wv(['run', '-d', '--name', 'dbusy', '-p', `127.0.0.1:${port}:80`, HTTP]);
    expect(busy.code).toBe(125);
    expect(busy.stderr).toBe(`wasmvisor: -p 127.0.0.1:${port}:80/tcp: 127.0.0.1:${port} is already in use on the host: publish another host port (-p HOSTPORT:CTRPORT) or stop what holds it\n`);
    expect(wv(['ps', '-a', '-q']).stdout).toBe(before);

    expect(wv(['stop', '-t', '5', 'dweb']).code).toBe(0);
    await until('the host port is free after stop', () => canBind(port));
  }, 180_000);

  it('a guest that never accepts: connections wait up to the backlog, memory.current stays bounded, kill frees the port', async () => {
    const run = wv(['run', '-d', '--name', 'deaf', '-m', '64m', '-p', '127.0.0.1::7', TICKER, '0', '100']);
    expect(run.code, run.stderr).toBe(0);
    const port = hostPort('deaf', 7);
    const mem = () => {
      const r = wv(['stats', '--no-stream', '--format', '{{.MemUsageBytes}}', 'deaf']);
      expect(r.code, r.stderr).toBe(0);
      return Number(r.stdout.trim().split(/\s/)[0]);
    };
    // 400 clients each send 256 KiB and never read: the kernel keeps 128 waiting (each up to its 64 KiB
    // receive window), the host drops the rest; nothing is accepted
    const payload = Buffer.alloc(256 << 10, 7);
    const socks = await Promise.all(Array.from({ length: 400 }, () => new Promise<net.Socket>((resolve) => {
      const s = net.connect(port, '127.0.0.1', () => { s.write(payload); resolve(s); });
      s.on('error', () => resolve(s));
    })));
    try {
      await new Promise((r) => setTimeout(r, 2000));
      const used = mem();
      expect(Number.isFinite(used)).toBe(true);
      // 128 × 64 KiB = 8 MiB of windows, plus the guest's own memory and files (well under 2 MiB for ticker)
      expect(used).toBeLessThan(24 << 20);
      expect(wv(['ps', '--format', '{{.Names}} {{.Status}}']).stdout).toMatch(/^deaf Up/m);
    } finally {
      for (const s of socks) s.destroy();
    }
    expect(wv(['kill', 'deaf']).code).toBe(0);
    await until('the host port is free after kill', () => canBind(port));
  }, 180_000);

  it('echo_server: 100 parallel clients (half-closed), slowloris trickles, 2,000 connections against --ulimit nofile=256; it still echoes', async () => {
    const run = wv(['run', '-d', '--name', 'decho', '--ulimit', 'nofile=256', '-p', '127.0.0.1::7', ECHO]);
    expect(run.code, run.stderr).toBe(0);
    const port = hostPort('decho', 7);
    await until('the echo server answers', async () => (await echo(port, Buffer.from('ping')).catch(() => Buffer.alloc(0))).toString() === 'ping');
    const payloads = Array.from({ length: 100 }, (_, i) => Buffer.alloc(10_000 + i, 65 + (i % 26)));
    const back = await Promise.all(payloads.map((p) => echo(port, p)));
    for (const [i, b] of back.entries()) expect(b.equals(payloads[i]!)).toBe(true);
    // ten connections trickling a byte every 100 ms while 2,000 more arrive in two waves and are dropped
    const slow = Array.from({ length: 10 }, () => net.connect(port, '127.0.0.1'));
    for (const c of slow) c.on('error', () => {});
    const timer = setInterval(() => { for (const c of slow) c.write('x'); }, 100);
    try {
      for (let wave = 0; wave < 2; wave++) {
        const socks = await Promise.all(Array.from({ length: 1000 }, () => new Promise<net.Socket>((resolve) => {
          const c = net.connect(port, '127.0.0.1', () => resolve(c));
          c.on('error', () => resolve(c));
        })));
        await new Promise((r) => setTimeout(r, 50));
        for (const c of socks) c.destroy();
      }
    } finally {
      clearInterval(timer);
      for (const c of slow) c.destroy();
    }
    expect(wv(['ps', '--format', '{{.Names}} {{.Status}}']).stdout).toMatch(/^decho Up/m);
    await until('it echoes after the storm', async () => (await echo(port, Buffer.from('after\n')).catch(() => Buffer.alloc(0))).toString() === 'after\n');
    expect(wv(['rm', '-f', 'decho']).code).toBe(0);
  }, 180_000);

  it('-P publishes the image\'s ExposedPorts on a free host port', async () => {
    const ctx = join(store, 'ctx');
    mkdirSync(join(ctx, 'www'), { recursive: true });
    copyFileSync(HTTP, join(ctx, 'http_server.wasm'));
    writeFileSync(join(ctx, 'www', 'index.html'), 'exposed\n');
    writeFileSync(join(ctx, 'Containerfile'), 'FROM scratch\nCOPY http_server.wasm /http_server.wasm\nCOPY www /www\nEXPOSE 80\nENTRYPOINT ["/http_server.wasm"]\n');
    const b = wv(['build', '-t', 'localhost/exposed:1', ctx]);
    expect(b.code, b.stderr).toBe(0);
    const run = wv(['run', '-d', '--name', 'pall', '-P', 'localhost/exposed:1']);
    expect(run.code, run.stderr).toBe(0);
    const port = hostPort('pall', 80);
    expect(wv(['port', 'pall']).stdout).toBe(`80/tcp -> 0.0.0.0:${port}\n`);
    expect(await curlOk(port)).toBe('exposed\n');
    expect(wv(['rm', '-f', 'pall']).code).toBe(0);
    await until('the host port is free after rm -f', () => canBind(port));
  }, 180_000);
});

describe('run --platform sentry -p (foreground)', () => {
  it('http_server: curl and 100 parallel clients; SIGKILL of the run frees the port', async () => {
    const child = spawn(process.execPath, [BIN, 'run', '--platform', 'sentry', '--name', 'sweb', '-p', '127.0.0.1::80', '-v', `${www}:/www:ro`, HTTP],
      { cwd: TOP, env: { ...process.env, WASMVISOR_ROOT: store }, stdio: ['ignore', 'pipe', 'pipe'] });
    running.push(child);
    let err = '';
    child.stderr!.on('data', (d: Buffer) => { err += d.toString(); });
    child.stdout!.resume();
    await until(`the server says it serves (${err})`, () => err.includes('serving') || child.exitCode !== null, 60_000);
    expect(child.exitCode, err).toBeNull();
    const port = hostPort('sweb', 80);
    expect(await curlOk(port)).toBe('hello from wasm\n');
    await hundredClients(port);
    child.kill('SIGKILL');
    await until('the host port is free after SIGKILL', () => canBind(port));
  }, 180_000);
});
