/**
 * wasmvisor/testing: runProgram (files, fs after the run, trace as data),
 * the determinism switches (virtual clock, seed, stable device ids: two
 * runs byte-identical, faults included) and fault injection (nth, path,
 * short, delay, probability; every injected call marked in the trace).
 * det_probe prints everything that could differ between two runs.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { formatTrace, runProgram, RunProgramError, VirtualClock, type RunProgramOptions } from '../../src/testing/index.js';

const FIX = join(import.meta.dirname, 'fixtures');
const PROBE = join(FIX, 'det_probe.wasm');
const HELLO = join(import.meta.dirname, '../../wasm/hello.wasm');
const FILES = { '/etc/app.conf': 'x=1\n', '/data/': {} };

describe('runProgram', () => {
  it('runs a module from a path, bytes or a compiled module, with files from an object', async () => {
    const bytes = new Uint8Array(readFileSync(HELLO));
    for (const src of [HELLO, bytes, await WebAssembly.compile(bytes)]) {
      const r = await runProgram(src);
      expect(r.exitCode).toBe(0);
      expect(r.stdout).toBe('hello from wasmvisor\n');
      expect(r.trace).toEqual([]); // off unless asked
    }
    const r = await runProgram(PROBE, { files: FILES });
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toContain('app.conf x=1\n');
    expect(r.fs.readText('/data/alpha')).toBe('/data/alpha');
    expect(r.fs.readText('/etc/app.conf')).toBe('x=1\n');
    expect(r.fs.list('/data')).toEqual(['alpha', 'mid', 'zeta']);
    expect(r.fs.exists('/data/nope')).toBe(false);
    // the diff is what the program changed, not the files given
    expect(await r.fs.diff()).toEqual([
      { kind: 'C', path: '/data' }, { kind: 'A', path: '/data/alpha' }, { kind: 'A', path: '/data/mid' }, { kind: 'A', path: '/data/zeta' },
    ]);
    expect(() => r.fs.readText('/data')).toThrow(/EISDIR/);
  });

  it('runs an image from a store: its layers as the root, its program and argv', async () => {
    const store = mkdtempSync(join(tmpdir(), 'wv-testing-store-'));
    try {
      const bin = join(import.meta.dirname, '../../bin/wasmvisor.js');
      const load = spawnSync(process.execPath, [bin, '--root', store, 'load', '-i', join(import.meta.dirname, '../../src/image/samples/hello')], { encoding: 'utf8' });
      expect(load.status, load.stderr).toBe(0);
      const r = await runProgram(undefined, { image: 'localhost/wasmvisor/hello:latest', store, trace: true });
      expect(r.exitCode).toBe(0);
      expect(r.stdout).toBe('hello from wasmvisor\n');
      expect(await r.fs.diff()).toEqual([]);
      await expect(runProgram(undefined, { image: 'localhost/nope:1', store })).rejects.toThrow(/not in the store/);
    } finally {
      rmSync(store, { recursive: true, force: true });
    }
  });

  it('records the trace as data: call, decoded args, container path, errno, result', async () => {
    const r = await runProgram(PROBE, { files: FILES, trace: true });
    const open = r.trace.find((e) => e.call === 'path_open' && e.path === '/data/zeta')!;
    expect(open).toMatchObject({ pid: 1, call: 'path_open', errno: 0, error: 'SUCCESS', args: { path: 'data/zeta' } });
    expect(typeof open.result).toBe('number');
    const conf = r.trace.find((e) => e.call === 'path_open' && e.path === '/etc/app.conf');
    expect(conf?.errno).toBe(0);
    const write = r.trace.find((e) => e.call === 'fd_write' && e.path === '/data/zeta')!;
    expect(new TextDecoder().decode(write.args.data as Uint8Array)).toBe('/data/zeta');
    expect(r.trace.at(-1)).toMatchObject({ call: 'fd_write', path: 'stdout', args: { fd: 1 } }); // stdio is flushed last
  });

  it('refuses bad options with one clear error', async () => {
    await expect(runProgram(HELLO, { faults: [{ call: 'path_open' }] })).rejects.toThrow(/give what to do/);
    await expect(runProgram(HELLO, { faults: [{ call: 'fd_write', errno: 'ENOPE' }] })).rejects.toThrow(/unknown errno ENOPE/);
    await expect(runProgram(HELLO, { files: { 'etc/x': '' } })).rejects.toThrow(/must be absolute/);
    await expect(runProgram('/nonexistent.wasm')).rejects.toBeInstanceOf(RunProgramError);
    await expect(runProgram(HELLO, { limits: { memory: 'lots' } })).rejects.toThrow(/limits.memory lots/);
  });
});

describe('determinism', () => {
  const det = (extra: RunProgramOptions = {}): RunProgramOptions => ({
    files: FILES, trace: true, clock: { realtime: new Date('2024-01-01T00:00:00Z') }, random: 42,
    faults: [
      { call: 'path_open', path: '/data/*', nth: 2, errno: 'ENOSPC' },
      { call: 'fd_write', fd: 1, short: 9, nth: 1 },
      { call: 'clock_time_get', probability: 0.5, errno: 'EIO', seed: 7 },
    ],
    ...extra,
  });

  it('with the clock, the seed and faults set, two runs give byte-identical stdout and traces', async () => {
    const a = await runProgram(PROBE, det());
    const b = await runProgram(PROBE, det());
    expect(a.trace.length).toBeGreaterThan(20);
    expect(Buffer.from(b.stdoutBytes).equals(Buffer.from(a.stdoutBytes))).toBe(true);
    expect(formatTrace(b.trace)).toBe(formatTrace(a.trace));
    const json = (r: typeof a) => JSON.stringify(r.trace, (_k, v: unknown) => v instanceof Uint8Array ? Buffer.from(v).toString('hex') : typeof v === 'bigint' ? `${v}n` : v);
    expect(json(b)).toBe(json(a));
    expect(a.trace.filter((e) => e.injected !== undefined).length).toBeGreaterThanOrEqual(2);
  });

  it('without the switches the same program differs between runs (what the switches remove)', async () => {
    const a = await runProgram(PROBE, { files: FILES, trace: true });
    const b = await runProgram(PROBE, { files: FILES, trace: true });
    expect(b.stdout).not.toBe(a.stdout); // clocks and random bytes
    // each switch alone: same random bytes with the seed, same times with the clock
    const random = (s: string) => /random (\w+)/.exec(s)![1];
    const s1 = await runProgram(PROBE, { files: FILES, random: 5 });
    const s2 = await runProgram(PROBE, { files: FILES, random: 5 });
    expect(random(s2.stdout)).toBe(random(s1.stdout));
    const c1 = await runProgram(PROBE, { files: FILES, clock: {} });
    const c2 = await runProgram(PROBE, { files: FILES, clock: {} });
    expect(c2.stdout.replace(/random \w+/, '')).toBe(c1.stdout.replace(/random \w+/, ''));
  });

  it('a virtual clock: sleeps end at once and advance it; files are stamped with it; a test can advance it', async () => {
    const clock = new VirtualClock({ realtime: '2024-06-01T12:00:00Z' });
    clock.advance(250);
    const r = await runProgram(PROBE, { files: FILES, clock });
    expect(r.stdout).toContain('start: realtime 1717243200.250000000 monotonic 0.250000000\n');
    expect(r.stdout).toContain('after 1.5 s: realtime 1717243201.750000000 monotonic 1.750000000\n');
    expect(r.stdout).toMatch(/^zeta dev \d+ ino \d+ size 10 mtime 1717243201\.750000000$/m);
    expect(clock.now().toISOString()).toBe('2024-06-01T12:00:01.750Z');
    const sleep = (await runProgram(PROBE, { files: FILES, clock: {}, trace: true })).trace.find((e) => e.call === 'poll_oneoff')!;
    expect(sleep.ns).toBe(1.5e9); // virtual time in the trace too
  });
});

describe('fault injection', () => {
  it('nth + path: the second open under /data fails, marked in the trace; the others succeed', async () => {
    const r = await runProgram(PROBE, { files: FILES, faults: [{ call: 'path_open', path: '/data/*', nth: 2, errno: 'ENOENT' }] });
    expect(r.stdout).toContain('open /data/alpha failed: No such file or directory\n');
    expect(r.stdout).not.toContain('open /data/zeta failed');
    const opens = r.trace.filter((e) => e.call === 'path_open' && e.path?.startsWith('/data/'));
    expect(opens.map((e) => [e.path, e.error, e.injected])).toEqual([
      ['/data/zeta', 'SUCCESS', undefined], ['/data/alpha', 'ENOENT', 'ENOENT'], ['/data/mid', 'SUCCESS', undefined],
    ]);
    expect(r.fs.list('/data')).toEqual(['mid', 'zeta']);
  });

  it('short: a write to fd 1 moves one byte at a time, and stdio still gets everything through a retrying libc', async () => {
    const r = await runProgram(HELLO, { faults: [{ call: 'fd_write', fd: 1, short: 1 }] });
    expect(r.stdout).toBe('hello from wasmvisor\n');
    const writes = r.trace.filter((e) => e.call === 'fd_write');
    expect(writes.length).toBe(21);
    expect(writes.every((e) => e.result === 1)).toBe(true);
    // each write but the last (one byte left: nothing to cut) is marked
    expect(writes.filter((e) => e.injected === 'short 1').length).toBe(20);
  });

  it('delayMs waits on the virtual clock; errno after a delay; probability draws the same calls for the same seed', async () => {
    const clock = new VirtualClock();
    const r = await runProgram(HELLO, { clock, faults: [{ call: 'fd_write', delayMs: 50 }] });
    expect(r.stdout).toBe('hello from wasmvisor\n');
    expect(clock.peekMonotonicNs()).toBe(50_000_000n);
    expect(r.trace.find((e) => e.call === 'fd_write')).toMatchObject({ injected: 'delay 50ms', ns: 50_000_000 });
    const failed = await runProgram(HELLO, { clock: {}, faults: [{ call: 'fd_write', delayMs: 5, errno: 'EIO' }] });
    expect(failed.stdout).toBe('');
    expect(failed.trace.find((e) => e.call === 'fd_write')).toMatchObject({ error: 'EIO', injected: 'delay 5ms, EIO' });
    const draw = async (seed: number) => (await runProgram(PROBE, { files: FILES, clock: {}, random: 1, faults: [{ call: '*', probability: 0.3, errno: 'EIO', seed }] }))
      .trace.filter((e) => e.injected !== undefined).map((e) => e.call).join(',');
    const first = await draw(7);
    expect(first).not.toBe('');
    expect(await draw(7)).toBe(first);
  });

  it('ENOSPC for a full disk: an injected one, or a size-limited tmpfs', async () => {
    const injected = await runProgram(PROBE, { files: FILES, faults: [{ call: 'fd_write', path: '/data/mid', errno: 'ENOSPC' }] });
    expect(injected.stdout).toContain('write /data/mid failed\n');
    // a tmpfs of 800 bytes: two small files fit (an inode costs 256 bytes), the third does not
    const tiny = await runProgram(PROBE, { limits: { tmpfs: ['/data:size=800'] } });
    expect(tiny.stdout).toContain('open /data/mid failed: No space left on device\n');
    expect(tiny.stdout).not.toContain('open /data/alpha failed');
  });
});
