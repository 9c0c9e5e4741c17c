import { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Runtime, nodeStdio } from '../../src/index.js';
import { PROBE, probe, requireDist, until } from './helpers.js';

let rt: Runtime;
beforeAll(async () => {
  requireDist();
  rt = await Runtime.create({ poolSize: 3 });
});
afterAll(async () => { await rt?.close(); });

describe('processes', () => {
  it('interactive stdin: a read parks until data, answers come back, EOF ends it', async () => {
    const c = await rt.run({ module: PROBE, config: probe('upper'), stdin: 'pipe' });
    await c.init.write('hello\n');
    await until(() => c.init.stdout.text() === 'HELLO\n', 20_000, 'HELLO');
    await c.init.write('again\n');
    await until(() => c.init.stdout.text() === 'HELLO\nAGAIN\n', 20_000, 'AGAIN');
    expect(c.status.state).toBe('running');
    await c.init.write('quit\n');
    expect(await c.wait()).toEqual({ exitCode: 7, oomKilled: false });
    await c.delete();
  });

  it('web streams and Node streams carry stdin and stdout', async () => {
    const c = await rt.run({ module: PROBE, config: probe('cat'), stdin: 'pipe', capture: false });
    const out = Readable.fromWeb(c.init.stdout.readable() as never);
    const chunks: Buffer[] = [];
    out.on('data', (d: Buffer) => chunks.push(Buffer.from(d)));
    const ended = new Promise((r) => out.on('end', r));
    const w = c.init.stdinStream().getWriter();
    await w.write('one ');
    await w.write(new TextEncoder().encode('two\n'));
    await w.close();
    expect(await c.wait()).toMatchObject({ exitCode: 0 });
    await ended;
    expect(Buffer.concat(chunks).toString()).toBe('one two\neof\n');
    await c.delete();
  });

  it('exec runs another process in the running container: new pid, own stdio, shared filesystem', async () => {
    const c = await rt.run({ module: PROBE, config: probe('cat'), stdin: 'pipe' });
    const w = await c.exec({ process: { args: ['probe', 'files'] } });
    expect(w.pid).toBe(2);
    expect(await w.wait()).toEqual({ exitCode: 0, oomKilled: false });
    const r = await c.exec({ process: { args: ['probe', 'hostname'] } });
    expect(r.pid).toBe(3);
    expect(await r.wait()).toMatchObject({ exitCode: 0 });
    expect(r.stdout.text()).toBe('changed\n');
    expect(c.init.stdout.text()).toBe('');
    expect(await c.pids()).toEqual([1]);
    await c.init.closeStdin();
    expect(await c.wait()).toMatchObject({ exitCode: 0 });
    await c.delete();
  });

  it('Node streams: pipe text through a container with nodeStdio', async () => {
    const c = await rt.run({ module: PROBE, config: probe('upper'), stdin: 'pipe', capture: false });
    const io = nodeStdio(c.init);
    let text = '';
    io.stdout.setEncoding('utf8').on('data', (d: string) => { text += d; });
    const ended = new Promise((r) => io.stdout.on('end', r));
    io.stdin.write('abc\n');
    io.stdin.end('def\n');
    expect(await c.wait()).toMatchObject({ exitCode: 0 });
    await ended;
    expect(text).toBe('ABC\nDEF\n');
    await c.delete();
  });

  it('exec can run another module, given as a path', async () => {
    const c = await rt.run({ module: PROBE, config: probe('cat'), stdin: 'pipe' });
    const hello = fileURLToPath(new URL('../../wasm/hello.wasm', import.meta.url));
    const h = await c.exec({ module: hello, process: { args: ['hello', 'x'] } });
    expect(await h.wait()).toEqual({ exitCode: 0, oomKilled: false });
    expect(h.stdout.text()).toBe('hello from wasmvisor\narg 1: x\n');
    const missing = await c.exec({ module: '/nonexistent.wasm' }).catch((e) => e);
    expect(missing.code).toBe('NOT_FOUND');
    await c.delete({ force: true });
  });

  it('kill of a container with several processes ends them all', async () => {
    const c = await rt.run({ module: PROBE, config: probe('cat'), stdin: 'pipe' });
    const a = await c.exec({ process: { args: ['probe', 'tick', '0'] } });
    const b = await c.exec({ process: { args: ['probe', 'spin'] } });
    const d = await c.exec({ process: { args: ['probe', 'upper'] }, stdin: 'pipe' });
    await until(() => a.stdout.text().includes('tick 1'), 20_000, 'ticks');
    expect(await c.pids()).toEqual([1, 2, 3, 4]);
    expect((await c.stats()).pidsCurrent).toBe(4);
    await c.kill('SIGTERM');
    expect(await c.wait()).toMatchObject({ exitCode: 143, signal: 'SIGTERM' });
    for (const p of [a, b, d]) expect((await p.wait()).exitCode).toBeGreaterThanOrEqual(128);
    await until(async () => (await c.stats()).pidsCurrent === 0, 20_000, 'no live tasks');
    await c.delete();
  });

  it('killing one exec\'d process leaves the others running', async () => {
    const c = await rt.run({ module: PROBE, config: probe('cat'), stdin: 'pipe' });
    const a = await c.exec({ process: { args: ['probe', 'spin'] } });
    await c.killProcess(a.pid, 'SIGKILL');
    expect(await a.wait()).toMatchObject({ exitCode: 137, signal: 'SIGKILL' });
    expect(c.status.state).toBe('running');
    await c.init.write('still here\n');
    await until(() => c.init.stdout.text() === 'still here\n', 20_000, 'echo');
    await c.delete({ force: true });
  });

  it('pause stops tasks at their next syscall; resume continues them; STOP/CONT do the same', async () => {
    const c = await rt.run({ module: PROBE, config: probe('tick', '0') });
    await until(() => c.init.stdout.text().includes('tick 2'), 20_000, 'ticks');
    await c.pause();
    expect(c.status.state).toBe('paused');
    await new Promise((r) => setTimeout(r, 250)); // let output already in flight arrive
    const frozen = c.init.stdout.text();
    await new Promise((r) => setTimeout(r, 150));
    expect(c.init.stdout.text()).toBe(frozen);
    await c.resume();
    expect(c.status.state).toBe('running');
    await until(() => c.init.stdout.text().length > frozen.length, 20_000, 'more ticks after resume');
    await c.kill('SIGSTOP');
    expect(c.status.state).toBe('paused');
    await c.kill('SIGCONT');
    expect(c.status.state).toBe('running');
    await c.kill('SIGKILL');
    expect(await c.wait()).toMatchObject({ exitCode: 137 });
    await c.delete();
  });

  it('diff lists added, changed and deleted paths of the container filesystem', async () => {
    const c = await rt.run({ module: PROBE, config: probe('files'), files: [{ path: '/etc/gone', data: 'x' }] });
    expect(await c.wait()).toMatchObject({ exitCode: 0 });
    expect(c.init.stdout.text()).toBe('');
    expect(await c.diff()).toEqual([
      { kind: 'C', path: '/etc' },
      { kind: 'D', path: '/etc/gone' },
      { kind: 'C', path: '/etc/hostname' },
      { kind: 'A', path: '/new' },
      { kind: 'A', path: '/new/b' },
      { kind: 'C', path: '/tmp' },
      { kind: 'A', path: '/tmp/a' },
    ]);
    await c.delete();
  });
});
