/**
 * The on-disk cache of metered modules (src/runtime/metered_cache.ts): a
 * fresh process (here: a fresh cache object, the loader's per-process cache
 * off as in the CLI's run) reads the metered module instead of rewriting it
 * (counted by module_loader's meterRewriteCount); a truncated or corrupted
 * file is detected, replaced by a fresh rewrite, and the run is the same; a
 * directory that cannot be written is skipped without error.
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, truncateSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import { meterModule, METER_VERSION } from '../../kernel/meter/index.js';
import { clearMeteredCache, DiskMeteredCache, meteredCacheDir } from '../../src/runtime/metered_cache.js';
import { compileModule, meterRewriteCount, setMeteredStore } from '../../src/runtime/module_loader.js';
import { limitModuleMemory } from '../../src/runtime/module_limits.js';
import { runWasm } from '../../src/runtime/run_wasm.js';

const SPIN_PATH = new URL('../../wasm/spin.wasm', import.meta.url).pathname;
const SPIN = new Uint8Array(readFileSync(SPIN_PATH));
const tmp = mkdtempSync(join(tmpdir(), 'wv-metered-cache-'));
let n = 0;
const freshDir = (): string => meteredCacheDir(join(tmp, `store${n++}`));

afterEach(() => setMeteredStore(null));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** Compile SPIN metered through a fresh cache object on `dir` (the loader's per-process cache off); the rewrites it took. */
async function compileFresh(dir: string, memoryMax: number | null = null): Promise<number> {
  setMeteredStore(new DiskMeteredCache(dir));
  const before = meterRewriteCount();
  const m = await compileModule(SPIN, memoryMax, 'spin.wasm', true, false);
  expect(WebAssembly.Module.exports(m).map((e) => e.name)).toContain('wasmvisor_fuel');
  return meterRewriteCount() - before;
}

function onlyFile(dir: string): string {
  const names = readdirSync(dir);
  expect(names).toHaveLength(1);
  expect(names[0]).toMatch(/^[0-9a-f]{64}-v\d+-(nomax|\d+)\.wasm$/);
  return join(dir, names[0]!);
}

/** The memory cap in a cache file's name (null: none). */
function capOf(file: string): number | null {
  const cap = /-(nomax|\d+)\.wasm$/.exec(file)![1]!;
  return cap === 'nomax' ? null : Number(cap);
}

/** The cached file is the module metered now, byte for byte (so the same fuel), then its sha256. */
function expectWhole(file: string): void {
  const cap = capOf(file);
  const want = meterModule(cap === null ? SPIN : limitModuleMemory(SPIN, cap));
  const b = readFileSync(file);
  expect(b.length).toBe(want.length + 32);
  expect(Buffer.compare(b.subarray(0, want.length), Buffer.from(want))).toBe(0);
}

/** spin.wasm for 1 million iterations under RLIMIT_CPU (so metered), through the store on `dir`. */
async function runSpin(dir: string): Promise<{ exitCode: number; stdout: string }> {
  setMeteredStore(new DiskMeteredCache(dir));
  const r = await runWasm({ file: SPIN_PATH, args: ['1'], cpuLimit: 600, stdout: 'capture', stderr: 'capture', moduleCache: false });
  return { exitCode: r.exitCode, stdout: r.stdout ?? '' };
}

describe('metered module cache on disk', () => {
  it('a second compile in a fresh cache object reads the file instead of rewriting', async () => {
    const dir = freshDir();
    expect(await compileFresh(dir)).toBe(1);
    const file = onlyFile(dir);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expectWhole(file);
    expect(await compileFresh(dir)).toBe(0);
    expect(await compileFresh(dir)).toBe(0);
    // another memory cap writes another module: its own entry
    setMeteredStore(new DiskMeteredCache(dir));
    await compileModule(SPIN, 16 * 65536, 'spin.wasm', true, false);
    expect(readdirSync(dir).filter((f) => f.endsWith('.wasm'))).toHaveLength(2);
    // system prune: the whole cache goes, its bytes counted
    const root = join(dir, '..', '..');
    const held = readdirSync(dir).reduce((sum, f) => sum + statSync(join(dir, f)).size, 0);
    expect(await clearMeteredCache(root)).toBe(held);
    expect(existsSync(dir)).toBe(false);
    expect(await compileFresh(dir)).toBe(1);
  });

  it('a truncated or corrupted file is detected and rewritten, and the run is the same', async () => {
    const dir = freshDir();
    const clean = await runSpin(dir);
    expect(clean).toEqual({ exitCode: 0, stdout: 'spinning\nspun 1\n' });
    const file = onlyFile(dir);
    expectWhole(file);
    const size = statSync(file).size;

    const cap = capOf(file);
    truncateSync(file, size - 100);
    expect(await compileFresh(dir, cap)).toBe(1);
    expectWhole(file);

    // one byte flipped in a name (the name section is last): still a valid module, so only the hash sees it
    const b = readFileSync(file);
    b[b.length - 32 - 2]! ^= 0x01;
    expect(WebAssembly.validate(b.subarray(0, b.length - 32))).toBe(true);
    writeFileSync(file, b);
    expect(await compileFresh(dir, cap)).toBe(1);
    expectWhole(file);

    // a flipped byte in the code: the run after it reads a rewritten module and does the same
    const c = readFileSync(file);
    c[Math.floor(c.length / 2)]! ^= 0x40;
    writeFileSync(file, c);
    const before = meterRewriteCount();
    expect(await runSpin(dir)).toEqual(clean);
    expect(meterRewriteCount() - before).toBe(1);
    expectWhole(file);
    const again = meterRewriteCount();
    expect(await runSpin(dir)).toEqual(clean);
    expect(meterRewriteCount() - again).toBe(0);
  });

  it('a cache directory that cannot be written is skipped without error', async () => {
    // under a regular file: mkdir fails with ENOTDIR even as root (chmod does not stop root)
    const blocker = join(tmp, `file${n++}`);
    writeFileSync(blocker, 'not a directory');
    const dir = join(blocker, 'cache', 'metered');
    expect(await compileFresh(dir)).toBe(1);
    expect(await compileFresh(dir)).toBe(1);
    expect(await runSpin(dir)).toEqual({ exitCode: 0, stdout: 'spinning\nspun 1\n' });
    expect(existsSync(join(blocker, 'cache'))).toBe(false);
  });

  it('METER_VERSION names the rewriter output: a change of output needs a new version (then update this hash)', () => {
    // (func $f (loop (call $g) (br 0))) (func $g nop), $f exported as "f": written by hand, so no rebuild changes it
    const m = new Uint8Array([0, 0x61, 0x73, 0x6d, 1, 0, 0, 0, 1, 4, 1, 0x60, 0, 0, 3, 3, 2, 0, 0, 7, 5, 1, 1, 0x66, 0, 0,
      0x0a, 0x0f, 2, 0x09, 0, 0x03, 0x40, 0x10, 1, 0x0c, 0, 0x0b, 0x0b, 0x03, 0, 0x01, 0x0b]);
    const out = meterModule(m);
    expect(WebAssembly.validate(out as Uint8Array<ArrayBuffer>)).toBe(true);
    expect({ version: METER_VERSION, output: createHash('sha256').update(out).digest('hex') })
      .toEqual({ version: 1, output: '9785e4c2628387c1834ba8e50c2a25ef92a9893d84331556b3354e4f1cb6468c' });
  });

  it('the total size is bounded: the least recently used file goes first', async () => {
    const dir = freshDir();
    const size = meterModule(SPIN).length + 32;
    // room for two files: the third write evicts the least recently used
    setMeteredStore(new DiskMeteredCache(dir, 2 * size + 1000));
    const file = (pages: number): string => join(dir, readdirSync(dir).find((f) => f.endsWith(`-${pages * 65536}.wasm`))!);
    await compileModule(SPIN, 16 * 65536, 'a', true, false);
    await compileModule(SPIN, 17 * 65536, 'b', true, false);
    // a is older than b (whatever the clock's grain), then used again: b is now the least recently used
    utimesSync(file(16), new Date(1_000_000), new Date(1_000_000));
    utimesSync(file(17), new Date(2_000_000), new Date(2_000_000));
    const before = meterRewriteCount();
    await compileModule(SPIN, 16 * 65536, 'a', true, false);
    expect(meterRewriteCount() - before, 'a hit').toBe(0);
    await compileModule(SPIN, 18 * 65536, 'c', true, false);
    const left = readdirSync(dir);
    expect(left).toHaveLength(2);
    expect(left.some((f) => f.endsWith(`-${17 * 65536}.wasm`)), 'the least recently used is evicted').toBe(false);
    expect(left.some((f) => f.endsWith(`-${16 * 65536}.wasm`)), 'the one used again is kept').toBe(true);
  });
});
