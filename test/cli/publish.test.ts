/**
 * Published ports end to end (issue 14): `wasmvisor run -p` of the built
 * CLI in the foreground (inline platform) with wasm/http_server and
 * wasm/echo_server, reached by Debian's curl and by node:net clients on
 * 127.0.0.1; `port` and `ps` show the ports; hostile clients (half-open,
 * slowloris, mid-request disconnects, a sender that never reads, 10,000
 * connections against --ulimit nofile=256) leave the server serving.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { storeCli } from '../support/wv_cli.js';
import { httpGet as get, echoOnce as echo, refused, makeWebRoot } from '../support/net_client.js';

const TOP = join(import.meta.dirname, '../..');
const BIN = join(TOP, 'bin/wasmvisor.js');
const HTTP = join(TOP, 'wasm/http_server.wasm');
const ECHO = join(TOP, 'wasm/echo_server.wasm');
let store: string;
let www: string;
let big: Buffer;
const running: ChildProcess[] = [];

const { wv } = storeCli(() => store);

/** Start `run ARGS` in the foreground; resolves once stderr says `ready` (the server's start line). */
async function start(args: string[], ready: string): Promise<{ child: ChildProcess; stderr: () => string }> {
  const child = spawn(process.execPath, [BIN, 'run', ...args], { cwd: TOP, env: { ...process.env, WASMVISOR_ROOT: store }, stdio: ['ignore', 'pipe', 'pipe'] });
  running.push(child);
  let err = '';
  child.stderr!.on('data', (d: Buffer) => { err += d.toString(); });
  child.stdout!.resume();
  await new Promise<void>((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`no "${ready}" within 60 s: ${err}`)), 60_000);
    child.stderr!.on('data', () => { if (err.includes(ready)) { clearTimeout(t); resolve(); } });
    child.on('exit', (code) => { clearTimeout(t); reject(new Error(`exited ${code}: ${err}`)); });
  });
  return { child, stderr: () => err };
}

/** The host port of container NAME's port 80 or 7, read through `wasmvisor port`. */
function hostPort(name: string, ctr: number): number {
  const r = wv(['port', name, String(ctr)]);
  expect(r.code, r.stderr).toBe(0);
  const m = /^127\.0\.0\.1:(\d+)\n$/.exec(r.stdout);
  expect(m, r.stdout).not.toBeNull();
  return Number(m![1]);
}

beforeAll(() => {
  store = mkdtempSync(join(tmpdir(), 'wv-publish-'));
  ({ www, big } = makeWebRoot(store));
});

afterEach(() => {
  for (const c of running.splice(0)) if (c.exitCode === null) c.kill('SIGKILL');
});

afterAll(() => rmSync(store, { recursive: true, force: true }));

describe('run -p (foreground, inline platform)', () => {
  it('http_server: curl fetches, 100 parallel clients get the right bytes, port and ps show the port, a port in use is exit 125 with nothing left', async () => {
    const srv = await start(['--name', 'web', '-p', '127.0.0.1::80', '-v', `${www}:/www:ro`, HTTP], 'serving');
    const port = hostPort('web', 80);
    const curl = spawnSync('curl', ['-s', '-i', `http://127.0.0.1:${port}/`], { encoding: 'utf8', timeout: 30_000 });
    expect(curl.stdout).toMatch(/^HTTP\/1\.1 200 OK\r\n/);
    expect(curl.stdout.endsWith('\r\n\r\nhello from wasm\n')).toBe(true);
    // keep-alive: curl reuses one connection for two URLs
    const two = spawnSync('curl', ['-s', '-v', `http://127.0.0.1:${port}/`, `http://127.0.0.1:${port}/index.html`], { encoding: 'utf8', timeout: 30_000 });
    expect(two.stdout).toBe('hello from wasm\nhello from wasm\n');
    expect(two.stderr).toMatch(/Re-using existing connection/);
    expect(spawnSync('curl', ['-s', '-o', '/dev/null', '-w', '%{http_code}', `http://127.0.0.1:${port}/missing`], { encoding: 'utf8' }).stdout).toBe('404');

    const results = await Promise.all(Array.from({ length: 100 }, (_, i) => get(port, i % 2 ? '/big.bin' : '/')));
    for (const [i, r] of results.entries()) {
      expect(r.status).toBe(200);
      expect(r.body.equals(i % 2 ? big : Buffer.from('hello from wasm\n'))).toBe(true);
    }

    expect(wv(['port', 'web']).stdout).toBe(`80/tcp -> 127.0.0.1:${port}\n`);
    expect(wv(['port', 'web', '--format', '{{.HostPort}} {{.ContainerPort}}']).stdout).toBe(`${port} 80\n`);
    expect(wv(['port', 'web', '81']).code).toBe(125);
    const ps = wv(['ps']);
    expect(ps.stdout.split('\n')[0]).toMatch(/STATUS\s+PORTS\s+NAMES/);
    expect(ps.stdout).toContain(`127.0.0.1:${port}->80/tcp`);

    const before = wv(['ps', '-a', '-q']).stdout;
    const busy = wv(['run', '--name', 'second', '-p', `127.0.0.1:${port}:80`, HTTP]);
    expect(busy.code).toBe(125);
    expect(busy.stderr).toBe(`wasmvisor: -p 127.0.0.1:${port}:80/tcp: 127.0.0.1:${port} is already in use on the host: publish another host port (-p HOSTPORT:CTRPORT) or stop what holds it\n`);
    expect(wv(['ps', '-a', '-q']).stdout).toBe(before);
    expect(wv(['run', '-p', '80/udp', HTTP]).stderr).toMatch(/only tcp ports/);
    expect(wv(['run', '-p', '99999', HTTP]).code).toBe(125);
    // -P of a module file (no image, no ExposedPorts) publishes nothing: the server says so and exits 2
    const pall = wv(['run', '--rm', '-P', HTTP]);
    expect(pall.code, pall.stderr).toBe(2);
    const after = wv(['ps', '-a', '-q']);
    expect(after.stdout, after.stderr).toBe(before);

    // killed: the host port is free at once
    srv.child.kill('SIGKILL');
    await new Promise((r) => srv.child.once('exit', r));
    expect(await refused(port)).toBe(true);
  }, 240_000);

  it('hostile clients: mid-request disconnects, half-open, slowloris; the server keeps answering', async () => {
    await start(['--name', 'web2', '-p', '127.0.0.1::80', '-v', `${www}:/www:ro`, HTTP], 'serving');
    const port = hostPort('web2', 80);
    // 50 clients that send half a request and vanish
    await Promise.all(Array.from({ length: 50 }, () => new Promise<void>((resolve) => {
      const s = net.connect(port, '127.0.0.1', () => { s.write('GET /big.bin HT'); setTimeout(() => { s.destroy(); resolve(); }, 20); });
      s.on('error', () => resolve());
    })));
    // 20 clients that take the big file and reset after the first bytes
    await Promise.all(Array.from({ length: 20 }, () => new Promise<void>((resolve) => {
      const s = net.connect(port, '127.0.0.1', () => s.write('GET /big.bin HTTP/1.1\r\nHost: x\r\n\r\n'));
      s.once('data', () => { s.resetAndDestroy(); resolve(); });
      s.on('error', () => resolve());
    })));
    // half-open: the request, then our FIN; the answer still comes
    const half = await echo(port, Buffer.from('GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n'));
    expect(half.toString()).toMatch(/^HTTP\/1\.1 200 OK[\s\S]*hello from wasm\n$/);
    // slowloris: ten connections trickling a header byte every 100 ms while others are served
    const slow = Array.from({ length: 10 }, () => net.connect(port, '127.0.0.1'));
    for (const s of slow) s.on('error', () => {});
    const timer = setInterval(() => { for (const s of slow) s.write('X'); }, 100);
    try {
      for (let i = 0; i < 5; i++) expect((await get(port)).status).toBe(200);
    } finally {
      clearInterval(timer);
      for (const s of slow) s.destroy();
    }
    expect((await get(port, '/big.bin')).body.equals(big)).toBe(true);
  }, 240_000);

  it('echo_server: 100 parallel clients; 10,000 connections against --ulimit nofile=256', async () => {
    const srv = await start(['--name', 'echo', '-p', '127.0.0.1::7', '--ulimit', 'nofile=256', ECHO], 'listening on fd 4');
    const port = hostPort('echo', 7);
    const payloads = Array.from({ length: 100 }, (_, i) => Buffer.alloc(10_000 + i, 65 + (i % 26)));
    const back = await Promise.all(payloads.map((p) => echo(port, p)));
    for (const [i, b] of back.entries()) expect(b.equals(payloads[i]!)).toBe(true);


    // 10,000 connections in waves of 1,000, held open together: EMFILE in the guest, the host keeps going
    for (let wave = 0; wave < 10; wave++) {
      const socks = await Promise.all(Array.from({ length: 1000 }, () => new Promise<net.Socket>((resolve) => {
        const s = net.connect(port, '127.0.0.1', () => resolve(s));
        s.on('error', () => resolve(s));
      })));
      await new Promise((r) => setTimeout(r, 50));
      for (const s of socks) s.destroy();
    }
    expect(srv.child.exitCode).toBeNull();
    // the guest's accept failed with EMFILE at the fd limit (fds 0-4 and its open connections), and it said so once
    expect(srv.stderr()).toMatch(/^echo_server: accept: EMFILE \(at 25\d connections\)$/m);
    expect(srv.stderr().match(/EMFILE/g)).toHaveLength(1);
    await new Promise((r) => setTimeout(r, 1000));
    expect((await echo(port, Buffer.from('after the storm\n'))).toString()).toBe('after the storm\n');
  }, 300_000);

  it('echo_server: a sender that never reads is held back (backpressure), the runtime\'s memory stays bounded', async () => {
    // the host helper must stop reading a connection once the kernel's receive window is used up; a helper
    // that counted what it forwarded after transferring the buffer (which empties it) took all 256 MiB and
    // queued it in the kernel. memory.current of a foreground container cannot be read from outside (no
    // control socket, and -d -p is refused), so the bound is checked on the run process's resident memory
    const srv = await start(['--name', 'echo2', '-p', '127.0.0.1::7', ECHO], 'listening on fd 4');
    const port = hostPort('echo2', 7);
    // a client that sends 256 MiB and never reads: once the host's socket buffers are full (a few MiB on
    // loopback) and the kernel's windows (64 KiB receive, 256 KiB send, 64 KiB in the guest) the server
    // stops reading it; the rest stays with the client
    const hog = net.connect(port, '127.0.0.1');
    hog.on('error', () => {});
    hog.pause();
    await new Promise<void>((resolve) => hog.on('connect', resolve));
    const chunk = Buffer.alloc(1 << 20, 120);
    let taken = 0; // MiB chunks the host kernel took from us (a write's callback: it left our buffers)
    const rss = () => Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${srv.child.pid}/status`, 'utf8'))![1]) * 1024;
    const before = rss();
    for (let i = 0; i < 256; i++) hog.write(chunk, () => { taken++; });
    await new Promise((r) => setTimeout(r, 5000));
    expect(rss() - before).toBeLessThan(64 << 20); // 256 MiB queued in the kernel: +250 MiB
    expect(taken).toBeLessThan(96); // the host's buffers both ways, plus the kernel's windows (~5 MiB here)
    const more = taken;
    await new Promise((r) => setTimeout(r, 1000));
    expect(taken).toBe(more); // and it stays stopped
    expect(srv.child.exitCode, srv.stderr()).toBeNull();
    expect((await echo(port, Buffer.from('still there\n'))).toString()).toBe('still there\n');
    hog.destroy();
  }, 120_000);
});
