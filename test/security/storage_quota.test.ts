/**
 * Storage quotas (issue 11 point 3): `--storage-opt size=` caps the upper
 * layer, `--tmpfs PATH:size=` a tmpfs; past either a write is cut short
 * (the bytes that fit), then ENOSPC, as Linux; the bytes count in
 * memory.current; removing the file gives the space back. Both platforms,
 * the CLI, the library and a wasmvisor-runc bundle, with wasm/hog's fill.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Runtime } from '../../src/index.js';
import { STORAGE_SIZE_ANNOTATION } from '../../src/runtime/config.js';
import { requireDist } from '../runtime/helpers.js';

const ROOT = join(import.meta.dirname, '../..');
const BIN = join(ROOT, 'bin/wasmvisor.js');
const RUNC = join(ROOT, 'bin/wasmvisor-runc.js');
const HOG_FILE = join(ROOT, 'wasm/hog.wasm');
const HOG = readFileSync(HOG_FILE);
const KiB = 1024;
const MiB = 1024 * KiB;

function cli(bin: string, args: string[]) {
  return spawnSync(process.execPath, [bin, ...args], { input: '', encoding: 'utf8', cwd: ROOT, timeout: 120_000 });
}

/** The figures of a `fill:` line. */
function fillOf(out: string, path: string): { wrote: number; short: number; err: string } {
  const m = new RegExp(`^fill:${path}: wrote (\\d+) short (\\d+) then (.*)$`, 'm').exec(out);
  if (!m) throw new Error(`no fill line for ${path} in ${JSON.stringify(out)}`);
  return { wrote: Number(m[1]), short: Number(m[2]), err: m[3]! };
}

function catOf(out: string, path: string): number {
  const m = new RegExp(`^cat:${path}: (\\d+)$`, 'm').exec(out);
  if (!m) throw new Error(`no cat line for ${path} in ${JSON.stringify(out)}`);
  return Number(m[1]);
}

/** A fill that stopped at the quota: cut short within it, then ENOSPC. */
function expectFilled(f: { wrote: number; short: number; err: string }, quota: number): void {
  expect(f.err).toBe('No space left on device');
  expect(f.wrote).toBeLessThanOrEqual(quota);
  expect(f.wrote).toBeGreaterThan(quota - 64 * KiB); // metadata and seeded files take a little
  expect(f.short).toBeGreaterThan(0); // the last write was cut short, as write(2) on a full tmpfs
  expect(f.short).toBeLessThan(64 * KiB);
}

let rt: Runtime;
beforeAll(async () => {
  requireDist();
  rt = await Runtime.create({ poolSize: 1 });
});
afterAll(async () => { await rt?.close(); });

describe('wasmvisor run', () => {
  it('--storage-opt size= caps the upper layer on both platforms; the bytes count in memory.current; rm gives them back', () => {
    for (const platform of ['inline', 'sentry']) {
      const r = cli(BIN, ['run', '--platform', platform, '-m', '64m', '--storage-opt', 'size=1m', HOG_FILE, 'fill:/f', 'cat:/sys/fs/cgroup/memory.current', 'fillrm:/f', 'fill:/tmp/other']);
      expect(r.status, r.stderr).toBe(0);
      const f = fillOf(r.stdout, '/f');
      expectFilled(f, MiB);
      expect(catOf(r.stdout, '/sys/fs/cgroup/memory.current')).toBeGreaterThanOrEqual(f.wrote);
      expect(r.stdout).toContain('fillrm:/f: ok\n');
      // /tmp is a tmpfs of its own: the upper's quota does not bind it (the memory budget does)
      expect(r.stdout, platform).toMatch(/^fill:\/tmp\/other: wrote \d+ short \d+ then No space left on device$/m);
    }
  });

  it('--tmpfs PATH:size= caps that tmpfs on both platforms, not the root', () => {
    for (const platform of ['inline', 'sentry']) {
      const r = cli(BIN, ['run', '--platform', platform, '--storage-opt', 'size=2m', '--tmpfs', '/data:size=300k', HOG_FILE, 'fill:/data/f', 'fill:/g']);
      expect(r.status, r.stderr).toBe(0);
      expectFilled(fillOf(r.stdout, '/data/f'), 300 * KiB);
      expectFilled(fillOf(r.stdout, '/g'), 2 * MiB);
    }
  });

  it('a bad --storage-opt: one line, exit 125', () => {
    for (const [opt, re] of [['size=lots', /^wasmvisor: invalid --storage-opt size=lots: give a positive size/], ['size=0', /invalid --storage-opt size=0/], ['overlay.mount_program=x', /^wasmvisor: unsupported --storage-opt overlay\.mount_program=x: only size=SIZE/]] as const) {
      const r = cli(BIN, ['run', '--storage-opt', opt, HOG_FILE, 'cat:/nope']);
      expect(r.stderr).toMatch(re);
      expect(r.stderr.split('\n').length).toBe(2);
      expect(r.status).toBe(125);
    }
  });
});

describe('library and wasmvisor-runc', () => {
  it('Runtime: the storage annotation caps the upper; stats() counts the bytes', async () => {
    const c = await rt.run({ module: HOG, config: { process: { args: ['hog', 'fill:/f'] }, annotations: { [STORAGE_SIZE_ANNOTATION]: String(512 * KiB) } } });
    await c.wait();
    const f = fillOf(c.init.stdout.text(), '/f');
    expectFilled(f, 512 * KiB);
    expect((await c.stats()).memoryCurrent).toBeGreaterThanOrEqual(f.wrote);
    await expect(rt.create({ module: HOG, config: { annotations: { [STORAGE_SIZE_ANNOTATION]: '-1' } } })).rejects.toThrow(/must be a positive number of bytes/);
  });

  it('a bundle\'s tmpfs mount with size= and the storage annotation', () => {
    const dir = mkdtempSync(join(tmpdir(), 'wv-quota-'));
    const bundle = join(dir, 'b');
    mkdirSync(join(bundle, 'rootfs'), { recursive: true });
    writeFileSync(join(bundle, 'rootfs', 'hog.wasm'), HOG);
    writeFileSync(join(bundle, 'config.json'), JSON.stringify({
      ociVersion: '1.2.0', root: { path: 'rootfs' },
      process: { args: ['/hog.wasm', 'fill:/data/f', 'fill:/f'], cwd: '/' },
      mounts: [{ destination: '/data', type: 'tmpfs', source: 'tmpfs', options: ['size=256k'] }],
      annotations: { [STORAGE_SIZE_ANNOTATION]: String(768 * KiB) },
    }));
    const r = cli(RUNC, ['--root', join(dir, 'state'), 'run', '--bundle', bundle, 'q1']);
    expect(r.status, r.stderr).toBe(0);
    expectFilled(fillOf(r.stdout, '/data/f'), 256 * KiB);
    expectFilled(fillOf(r.stdout, '/f'), 768 * KiB);
  });
});
