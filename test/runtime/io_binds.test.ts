/**
 * io.stat and io.max on bind mounts (issue 11 point 2): a bind's file reads
 * and writes count in the container's io.stat and wait under its io.max, as
 * the upper layer's do (kernel/fs/hostfs.ts reports to the io controller).
 */
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Runtime } from '../../src/index.js';
import { requireDist } from './helpers.js';

const WASM = join(import.meta.dirname, '../../wasm');
const KiB = 1024;
const dir = mkdtempSync(join(tmpdir(), 'wv-io-binds-'));
let rt: Runtime;
beforeAll(async () => {
  requireDist();
  rt = await Runtime.create({ poolSize: 1 });
});
afterAll(async () => {
  await rt?.close();
  rmSync(dir, { recursive: true, force: true });
});

const bind = (destination: string) => ({ destination, type: 'bind', source: dir, options: ['rbind', 'rw'] });

describe('io controller on binds', () => {
  it('writes to a bind count in io.stat and wait under io.max wbps', async () => {
    const t0 = Date.now();
    const c = await rt.run({
      module: readFileSync(join(WASM, 'memhog.wasm')),
      config: {
        process: { args: ['memhog', '1', 'file'] }, // 1 MiB to /tmp/hog: the bind
        mounts: [bind('/tmp')],
        linux: { resources: { blockIO: { throttleWriteBpsDevice: [{ major: 8, minor: 0, rate: 256 * KiB }] } } },
      },
    });
    expect(await c.wait()).toMatchObject({ exitCode: 0 });
    expect(statSync(join(dir, 'hog')).size).toBe(1024 * KiB);
    // the first 256 KiB are the bucket's, the other 768 KiB wait at 256 KiB/s (about 3 s)
    expect(Date.now() - t0).toBeGreaterThan(1500);
    const s = await c.stats();
    expect(s.io!.wbytes).toBeGreaterThanOrEqual(1024 * KiB);
    expect(s.io!.throttled).toBeGreaterThan(0);
    await c.delete();
  });

  it('reads of a bind count in io.stat and wait under io.max rbps', async () => {
    writeFileSync(join(dir, 'in'), new Uint8Array(512 * KiB).fill(0x61));
    const c = await rt.run({
      module: readFileSync(join(WASM, 'cat.wasm')),
      config: {
        process: { args: ['cat', '/data/in'] },
        mounts: [bind('/data')],
        linux: { resources: { blockIO: { throttleReadBpsDevice: [{ major: 8, minor: 0, rate: 256 * KiB }] } } },
      },
    });
    expect(await c.wait()).toMatchObject({ exitCode: 0 });
    expect(c.init.stdout.text().length).toBe(512 * KiB);
    const s = await c.stats();
    expect(s.io!.rbytes).toBeGreaterThanOrEqual(512 * KiB);
    expect(s.io!.rios).toBeGreaterThanOrEqual(128);
    expect(s.io!.throttled).toBeGreaterThan(0);
    await c.delete();
  });
});
