/**
 * A guest controls how many calls it makes and how big their buffers are:
 * the trace it leaves is bounded in entries and in bytes (TraceLog), on the
 * inline platform (runProgram) as on the Sentry (same class), and says how
 * many calls it did not keep.
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { TracedCall } from '../../kernel/platform/imports.js';
import { runProgram, TRACE_BYTES, TRACE_MAX_ENTRIES, TraceLog } from '../../src/testing/index.js';

const HOG = join(import.meta.dirname, '../../wasm/hog.wasm');
const call = (data: Uint8Array): TracedCall => ({ pid: 1, name: 'fd_write', args: { fd: 1, iovs: [data] }, errno: 0, value: data.length, ns: 1n, exited: false });

describe('trace bounds', () => {
  it('a log stops keeping calls at its byte budget and counts the rest', () => {
    const log = new TraceLog(1_000_000, 100_000);
    for (let i = 0; i < 100; i++) log.add(call(new Uint8Array(65536)), '/dev/stdout');
    // each entry keeps TRACE_BYTES of its 64 KiB buffer: about 24 fit in 100 kB
    expect(log.entries.length).toBeGreaterThan(20);
    expect(log.entries.length).toBeLessThan(30);
    expect(log.entries.length + log.dropped).toBe(100);
    expect((log.entries[0].args.iovs as Uint8Array[])[0].length).toBe(TRACE_BYTES);
  });

  it('a list argument keeps its first 64 items, so one call cannot carry a huge copy', () => {
    const log = new TraceLog();
    const iovs = Array.from({ length: 1024 }, () => new Uint8Array(8));
    log.add({ pid: 1, name: 'fd_write', args: { fd: 1, iovs }, errno: 0, value: 8192, ns: 1n, exited: false }, undefined);
    expect((log.entries[0].args.iovs as unknown[]).length).toBe(64);
  });

  it(`runProgram keeps at most ${TRACE_MAX_ENTRIES} calls of a guest that makes more, and reports how many it dropped`, async () => {
    const n = TRACE_MAX_ENTRIES + 5000;
    const r = await runProgram(HOG, { args: ['hog', `tiny:${n}`], trace: true, limits: { memory: '256m' } });
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toContain(`${n}`);
    expect(r.trace.length).toBe(TRACE_MAX_ENTRIES);
    // n one-byte writes plus the calls around them (open, stdout, exit)
    expect(r.traceDropped).toBeGreaterThanOrEqual(5000);
    expect(r.trace.length + r.traceDropped).toBeGreaterThan(n);
  }, 60_000);
});
