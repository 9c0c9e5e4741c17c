/**
 * A guest that writes to stdout forever must not grow the host's memory
 * (sentry platform: the kernel worker's events, the library's capture and
 * streams; inline platform: runWasm's capture). Bounds are asserted on the
 * byte counters the host keeps; the process's RSS is printed and checked
 * only loosely.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CONSOLE_EVENT_COST, CONSOLE_WINDOW } from '../../kernel/task/console.js';
import { CaptureSink } from '../../src/host/node_host.js';
import { DEFAULT_CAPTURE_LIMIT, DEFAULT_READABLE_HWM, READABLE_CHUNK_COST } from '../../src/host/web_streams.js';
import { Runtime } from '../../src/index.js';
import { runWasm } from '../../src/runtime/run_wasm.js';
import { PROBE, probe, requireDist } from '../runtime/helpers.js';

let rt: Runtime;
beforeAll(async () => {
  requireDist();
  rt = await Runtime.create({ poolSize: 1 });
});
afterAll(async () => { await rt?.close(); });

const MiB = 1 << 20;

describe('output flood (sentry platform)', () => {
  it('for(;;) write(1, buf, 65536) with capture on and no reader: capture stops at 16 MiB, nothing else accumulates', async () => {
    const rss0 = process.memoryUsage().rss;
    const c = await rt.run({ module: PROBE, config: probe('flood', '0', '65536') });
    let heard = 0;
    c.init.stdout.on((d) => { heard += d.byteLength; });
    let rssMax = rss0;
    const t0 = Date.now();
    // past the capture limit several times over, for at least 3 s
    while (Date.now() - t0 < 3000 || heard < 3 * DEFAULT_CAPTURE_LIMIT) {
      await new Promise((r) => setTimeout(r, 50));
      rssMax = Math.max(rssMax, process.memoryUsage().rss);
      expect(c.init.stdout.capturedLength).toBeLessThanOrEqual(DEFAULT_CAPTURE_LIMIT);
      expect(c.init.stdout.pendingLength).toBe(0);
      if (Date.now() - t0 > 60_000) throw new Error(`only ${heard} bytes in 60 s`);
    }
    expect(c.init.stdout.capturedLength).toBe(DEFAULT_CAPTURE_LIMIT);
    expect(c.init.stdout.truncated).toBe(true);
    console.log(`output flood: ${(heard / MiB).toFixed(0)} MiB in ${Date.now() - t0} ms; rss ${(rss0 / MiB).toFixed(0)} → max ${(rssMax / MiB).toFixed(0)} MiB`);
    // 16 MiB captured plus windows and worker heaps; an unbounded host would hold every byte heard
    expect(rssMax - rss0).toBeLessThan(Math.max(256 * MiB, heard / 2));
    await c.kill('SIGKILL');
    expect(await c.wait()).toMatchObject({ exitCode: 137, signal: 'SIGKILL' });
    await c.delete();
  });

  it('16-byte writes to a stream nobody reads: the guest stops once the window is full, bounded in bytes and in chunks', async () => {
    const c = await rt.run({ module: PROBE, config: probe('flood', '0', '16'), capture: false });
    c.init.stdout.readable(); // never read
    let chunks = 0;
    c.init.stdout.on(() => { chunks++; });
    let last = -1;
    for (let i = 0; ; i++) {
      const n = (await c.stats()).syscalls;
      if (n === last && n > 0) break;
      if (i > 200) throw new Error('the guest never blocked');
      last = n;
      await new Promise((r) => setTimeout(r, 300));
    }
    console.log(`16-byte writes: ${last} syscalls, ${chunks} chunks, ${c.init.stdout.receivedLength} bytes before the guest blocked`);
    expect(c.init.stdout.receivedLength).toBeLessThanOrEqual(DEFAULT_READABLE_HWM + CONSOLE_WINDOW);
    expect(c.init.stdout.pendingLength).toBeLessThanOrEqual(CONSOLE_WINDOW);
    // each chunk costs its objects' worth in the window and in the stream queue: no flood of tiny objects
    expect(chunks).toBeLessThanOrEqual(DEFAULT_READABLE_HWM / READABLE_CHUNK_COST + CONSOLE_WINDOW / CONSOLE_EVENT_COST + 2);
    await c.kill('SIGKILL');
    expect(await c.wait()).toMatchObject({ exitCode: 137 });
    await c.delete();
  });
});

describe('output flood (inline platform, runWasm)', () => {
  it("'capture' keeps 16 MiB at most and the program runs to its end", async () => {
    const r = await runWasm({ bytes: PROBE, args: ['flood', '320', '65536'], stdout: 'capture', stderr: 'capture' });
    expect(r.exitCode).toBe(0);
    expect(r.stdout!.length).toBe(16 * MiB);
    expect(r.truncated).toEqual(['stdout']);
    const small = await runWasm({ bytes: PROBE, args: ['flood', '2', '4096'], stdout: 'capture', stderr: 'capture' });
    expect(small.stdout!.length).toBe(8192);
    expect(small.truncated).toBeUndefined();
  });

  it('a CaptureSink given as stdout keeps its limit and says truncated', async () => {
    const sink = new CaptureSink(MiB);
    const r = await runWasm({ bytes: PROBE, args: ['flood', '64', '65536'], stdout: sink, stderr: 'capture' });
    expect(r.exitCode).toBe(0);
    expect(sink.length).toBe(MiB);
    expect(sink.truncated).toBe(true);
    expect(sink.bytes()[MiB - 1]).toBe(0x61 + ((MiB - 1) % 65536 % 26));
  });
});
