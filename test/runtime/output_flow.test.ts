/**
 * Output flow control on the sentry platform: each process's stdout and
 * stderr have a 1 MiB window of bytes in flight to the host; the host
 * acknowledges what it delivered (captured, heard, or queued into a
 * ReadableStream with room). A slow reader slows the guest, a stream nobody
 * reads never stalls it, capture is capped (`captureLimit`, `truncated`).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CONSOLE_EVENT_COST, CONSOLE_WINDOW } from '../../kernel/task/console.js';
import { Runtime, type Container } from '../../src/index.js';
import { DEFAULT_READABLE_HWM } from '../../src/host/web_streams.js';
import { PROBE, probe, requireDist, until } from './helpers.js';

let rt: Runtime;
beforeAll(async () => {
  requireDist();
  rt = await Runtime.create({ poolSize: 2 });
});
afterAll(async () => { await rt?.close(); });

const MiB = 1 << 20;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Wait until `c`'s syscall count stays put for `ms` (its write is parked), up to 20 s. */
async function parked(c: Container, ms = 300): Promise<number> {
  let last = -1;
  for (let i = 0; i < 60; i++) {
    const n = (await c.stats()).syscalls;
    if (n === last) return n;
    last = n;
    await sleep(ms);
  }
  throw new Error('the guest never blocked');
}

/**
 * Run the probe's non-blocking flood (writes of `size` bytes) on `runtime` with
 * stdout asked for as a stream and never read; returns the container (exited 0)
 * and the bytes written before the first EAGAIN, as the guest reported them.
 */
async function floodUnread(runtime: Runtime, size: number): Promise<{ c: Container; wrote: number }> {
  const c = await runtime.run({ module: PROBE, config: probe('flood', '0', String(size), 'nb'), capture: false });
  c.init.stdout.readable(); // asked for, never read
  let err = '';
  c.init.stderr.on((d) => { err += new TextDecoder().decode(d); });
  expect(await c.wait()).toEqual({ exitCode: 0, oomKilled: false });
  const m = /^wrote (\d+) errno EAGAIN\n$/.exec(err);
  expect(m, err).not.toBeNull();
  return { c, wrote: Number(m![1]) };
}

describe('output flow control (sentry platform)', () => {
  it('the window is a Runtime option: with 64 KiB a non-blocking writer gets EAGAIN after 64 KiB plus the stream queue; a bad one is refused', async () => {
    await expect(Runtime.create({ outputWindow: 100 })).rejects.toThrow(/outputWindow must be .* at least 4096/);
    const small = await Runtime.create({ poolSize: 1, outputWindow: 64 * 1024 });
    try {
      const { wrote } = await floodUnread(small, 4096);
      // the window plus what the unread stream queued (up to its high-water mark): far below the default 1 MiB
      expect(wrote).toBeLessThanOrEqual(64 * 1024 + DEFAULT_READABLE_HWM + 4096);
      expect(wrote).toBeGreaterThanOrEqual(64 * 1024 - 17 * CONSOLE_EVENT_COST - 4096);
      expect(wrote).toBeLessThan(CONSOLE_WINDOW / 4);
    } finally {
      await small.close();
    }
  });

  it('an unread stream blocks the guest after the window plus the stream queue, and a non-blocking fd gets EAGAIN exactly there', async () => {
    const { c, wrote } = await floodUnread(rt, 65536);
    // nothing was acknowledged past the first queued chunk: the guest wrote one window, less the cost of its chunks (at most one per write)
    expect(wrote).toBeLessThanOrEqual(CONSOLE_WINDOW);
    expect(wrote).toBeGreaterThanOrEqual(CONSOLE_WINDOW - 17 * CONSOLE_EVENT_COST);
    expect(c.init.stdout.receivedLength).toBe(wrote);
    await c.delete();
  });

  it('a slow reader slows the guest: bytes written stay within what was read plus the stream queue and the window', async () => {
    const c = await rt.run({ module: PROBE, config: probe('flood', '0', '65536'), capture: false });
    const reader = c.init.stdout.readable().getReader();
    let read = 0;
    let worst = 0;
    for (let i = 0; i < 24; i++) {
      const { value } = await reader.read();
      read += value!.byteLength;
      await sleep(40);
      worst = Math.max(worst, c.init.stdout.receivedLength - read);
    }
    expect(worst).toBeLessThanOrEqual(DEFAULT_READABLE_HWM + CONSOLE_WINDOW);
    expect(c.init.stdout.receivedLength).toBeLessThanOrEqual(read + DEFAULT_READABLE_HWM + CONSOLE_WINDOW);
    // the guest now waits in its write: no syscalls while nobody reads
    const n = await parked(c);
    await sleep(300);
    expect((await c.stats()).syscalls).toBe(n);
    // reading again lets it go on
    for (let i = 0; i < 40; i++) read += (await reader.read()).value!.byteLength;
    await until(async () => (await c.stats()).syscalls > n, 20_000, 'the guest to write again');
    await c.kill('SIGKILL');
    expect(await c.wait()).toEqual({ exitCode: 137, signal: 'SIGKILL', oomKilled: false });
    await c.delete();
  });

  it('killing a container whose write is parked ends it; its reader sees what was queued, then the end', async () => {
    const c = await rt.run({ module: PROBE, config: probe('flood', '0', '65536'), capture: false });
    const rs = c.init.stdout.readable();
    await until(() => c.init.stdout.receivedLength > 0, 20_000, 'output');
    await parked(c);
    // blocked with the window full to within one 64 KiB write
    expect(c.init.stdout.receivedLength).toBeGreaterThan(CONSOLE_WINDOW - 65536 - 17 * CONSOLE_EVENT_COST);
    expect(c.init.stdout.receivedLength).toBeLessThanOrEqual(DEFAULT_READABLE_HWM + CONSOLE_WINDOW);
    expect(c.status.state).toBe('running');
    await c.kill('SIGKILL');
    expect(await c.wait()).toEqual({ exitCode: 137, signal: 'SIGKILL', oomKilled: false });
    let got = 0;
    for await (const chunk of rs as unknown as AsyncIterable<Uint8Array>) got += chunk.byteLength;
    expect(got).toBe(c.init.stdout.receivedLength);
    await c.delete();
  });

  it('with capture on and no reader the guest runs on past captureLimit; capture keeps the limit and says truncated', async () => {
    const c = await rt.run({ module: PROBE, config: probe('flood', '0', '65536'), captureLimit: 2 * MiB });
    let heard = 0;
    c.init.stdout.on((d) => { heard += d.byteLength; });
    await until(() => heard > 8 * MiB, 30_000, '8 MiB of output');
    expect(c.init.stdout.capturedLength).toBe(2 * MiB);
    expect(c.init.stdout.truncated).toBe(true);
    expect(c.init.stdout.bytes().length).toBe(2 * MiB);
    expect(c.init.stdout.text().slice(0, 27)).toBe('abcdefghijklmnopqrstuvwxyza');
    expect(c.init.stdout.pendingLength).toBe(0);
    // an exec inherits the container's limit
    const e = await c.exec({ process: { args: ['probe', 'flood', '40', '65536'] } });
    expect(await e.wait()).toEqual({ exitCode: 0, oomKilled: false });
    expect(e.stdout.capturedLength).toBe(2 * MiB);
    expect(e.stdout.truncated).toBe(true);
    await c.kill('SIGKILL');
    expect(await c.wait()).toMatchObject({ exitCode: 137, signal: 'SIGKILL' });
    await c.delete();
  });

  it('output under the limits is unchanged: every byte captured, exit code and syscall count as before', async () => {
    const c = await rt.run({ module: PROBE, config: probe('flood', '100', '65536') });
    expect(await c.wait()).toEqual({ exitCode: 0, oomKilled: false });
    const out = c.init.stdout.bytes();
    expect(out.length).toBe(100 * 65536);
    expect(c.init.stdout.truncated).toBe(false);
    expect(out[65535]).toBe(0x61 + (65535 % 26));
    expect((await c.stats()).syscalls).toBeGreaterThanOrEqual(100);
    await c.delete();
  });

  it('captureLimit must be a byte count', async () => {
    await expect(rt.run({ module: PROBE, config: probe('exit', '0'), captureLimit: -1 })).rejects.toMatchObject({ code: 'INVALID_CONFIG' });
  });
});
