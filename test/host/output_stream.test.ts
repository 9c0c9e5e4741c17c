/**
 * OutputStream (the library's stdout/stderr) and CaptureSink (runWasm's
 * 'capture'): capture is capped, delivery acknowledges as a pipe would
 * (at once for capture and listeners, held while a ReadableStream is full,
 * released when its reader pulls).
 */
import { describe, expect, it } from 'vitest';
import { CaptureSink } from '../../src/host/node_host.js';
import { CaptureBuffer, DEFAULT_CAPTURE_LIMIT, DEFAULT_READABLE_HWM, OutputStream } from '../../src/host/web_streams.js';

const chunk = (n: number, c = 0x61) => new Uint8Array(n).fill(c);

describe('CaptureBuffer', () => {
  it('keeps bytes up to its limit in few blocks, then cuts and says so', () => {
    const b = new CaptureBuffer(100_000);
    for (let i = 0; i < 150_000; i++) b.append(chunk(1, 0x30 + (i % 10)));
    expect(b.length).toBe(100_000);
    expect(b.truncated).toBe(true);
    const bytes = b.bytes();
    expect(bytes.length).toBe(100_000);
    expect(bytes[99_999]).toBe(0x30 + (99_999 % 10));
    expect((b as unknown as { blocks: Uint8Array[] }).blocks.length).toBe(2); // 64 KiB + the rest, not 100 000 objects
  });

  it('a limit of 0 keeps nothing', () => {
    const b = new CaptureBuffer(0);
    b.append(chunk(10));
    expect(b.length).toBe(0);
    expect(b.truncated).toBe(true);
  });
});

describe('OutputStream', () => {
  it('capture keeps at most captureLimit bytes (16 MiB by default) and sets truncated; listeners still get everything', () => {
    expect(new OutputStream().captureLimit).toBe(DEFAULT_CAPTURE_LIMIT);
    expect(DEFAULT_CAPTURE_LIMIT).toBe(16 << 20);
    let acked = 0;
    let heard = 0;
    const s = new OutputStream({ captureLimit: 1000, onDelivered: (n) => { acked += n; } });
    s.on((c) => { heard += c.byteLength; });
    s.push(chunk(600));
    expect(s.truncated).toBe(false);
    s.push(chunk(600));
    s.push(chunk(600));
    expect(s.truncated).toBe(true);
    expect(s.capturedLength).toBe(1000);
    expect(s.text()).toBe('a'.repeat(1000));
    expect(heard).toBe(1800);
    expect(acked).toBe(1800);
    expect(s.receivedLength).toBe(1800);
    expect(s.pendingLength).toBe(0);
  });

  it('with no capture and no reader, chunks go nowhere and are acknowledged at once', () => {
    let acked = 0;
    const s = new OutputStream({ capture: false, onDelivered: (n) => { acked += n; } });
    for (let i = 0; i < 100; i++) s.push(chunk(65536));
    expect(acked).toBe(100 * 65536);
    expect(s.bytes().length).toBe(0);
    expect(s.truncated).toBe(false);
  });

  it('a full ReadableStream holds the acknowledgement until its reader pulls', async () => {
    let acked = 0;
    const s = new OutputStream({ capture: false, onDelivered: (n) => { acked += n; } });
    const reader = s.readable().getReader();
    await Promise.resolve();
    s.push(chunk(40_000)); // below the 64 KiB mark: delivered
    expect(acked).toBe(40_000);
    s.push(chunk(40_000)); // fills it: held
    s.push(chunk(40_000));
    expect(acked).toBe(40_000);
    expect(s.pendingLength).toBe(80_000);
    expect((await reader.read()).value!.byteLength).toBe(40_000);
    expect(acked).toBe(40_000); // 80 000 queued: still over the mark
    await reader.read();
    await Promise.resolve();
    expect(acked).toBe(120_000); // 40 000 queued: below it, the held bytes go
    expect(s.pendingLength).toBe(0);
    await reader.cancel();
  });

  it('cancelling a full ReadableStream releases what it held', async () => {
    let acked = 0;
    const s = new OutputStream({ capture: false, onDelivered: (n) => { acked += n; } });
    const rs = s.readable({ highWaterMark: 10 });
    s.push(chunk(100));
    s.push(chunk(100));
    expect(acked).toBe(0);
    await rs.cancel();
    expect(acked).toBe(200);
  });

  it('a stream over its high-water mark holds back delivery only by the bytes over it', async () => {
    let acked = 0;
    const s = new OutputStream({ capture: false, onDelivered: (n) => { acked += n; } });
    s.readable(); // never read
    let pushed = 0;
    for (let i = 0; i < 50; i++) { s.push(chunk(8192)); pushed += 8192; }
    expect(acked).toBeLessThanOrEqual(DEFAULT_READABLE_HWM);
    expect(pushed - acked).toBe(s.pendingLength);
  });

  it('after the end, late chunks are acknowledged and dropped', () => {
    let acked = 0;
    const s = new OutputStream({ onDelivered: (n) => { acked += n; } });
    s.end();
    s.push(chunk(10));
    expect(acked).toBe(10);
    expect(s.capturedLength).toBe(0);
  });

  it('the former boolean constructor still means capture', () => {
    const s = new OutputStream(false);
    s.push(chunk(3));
    expect(s.text()).toBe('');
    const t = new OutputStream(true);
    t.push(chunk(3));
    expect(t.text()).toBe('aaa');
  });
});

describe('CaptureSink (runWasm capture)', () => {
  it('keeps at most its limit (16 MiB by default), then drops and sets truncated; writes never fail', () => {
    expect(new CaptureSink().limit).toBe(16 << 20);
    const s = new CaptureSink(5);
    s.write(new TextEncoder().encode('hello world'));
    s.write(new TextEncoder().encode('more'));
    expect(s.text()).toBe('hello');
    expect(s.length).toBe(5);
    expect(s.truncated).toBe(true);
  });
});
