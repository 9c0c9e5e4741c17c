/**
 * io.stat and io.max end to end: --device-write-bps and OCI blockIO
 * throttles become io.max of the upper layer; a tenant writing past the
 * rate is slowed, not refused; io.stat in /sys/fs/cgroup, stats() and
 * events --stats count the bytes.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { STORAGE_SIZE_ANNOTATION } from '../../src/runtime/config.js';
import { Runtime } from '../../src/index.js';
import { requireDist } from './helpers.js';

const ROOT = join(import.meta.dirname, '../..');
const HOG_FILE = join(ROOT, 'wasm/hog.wasm');
const HOG = readFileSync(HOG_FILE);
const KiB = 1024;

let rt: Runtime;
beforeAll(async () => {
  requireDist();
  rt = await Runtime.create({ poolSize: 1 });
});
afterAll(async () => { await rt?.close(); });

describe('io controller', () => {
  it('Runtime: blockIO throttleWriteBpsDevice → io.max wbps; 512 KiB at 256 KiB/s take over a second; io.stat counted', async () => {
    const t0 = Date.now();
    const c = await rt.run({
      module: HOG,
      config: {
        process: { args: ['hog', 'fill:/f', 'cat:/sys/fs/cgroup/io.max', 'cat:/sys/fs/cgroup/io.stat'] },
        annotations: { [STORAGE_SIZE_ANNOTATION]: String(512 * KiB) },
        linux: { resources: { blockIO: { throttleWriteBpsDevice: [{ major: 8, minor: 0, rate: 256 * KiB }] } } },
      },
    });
    await c.wait();
    const took = Date.now() - t0;
    const out = c.init.stdout.text();
    expect(out).toMatch(/^fill:\/f: wrote \d+ short \d+ then No space left on device$/m);
    expect(out).toMatch(/^cat:\/sys\/fs\/cgroup\/io.max: 0:\d+ rbps=max wbps=262144 riops=max wiops=max$/m);
    expect(out).toMatch(/^cat:\/sys\/fs\/cgroup\/io.stat: 0:\d+ rbytes=\d+ wbytes=\d+ rios=\d+ wios=\d+ dbytes=0 dios=0$/m);
    expect(took).toBeGreaterThan(900); // the first 256 KiB are the bucket's, the rest wait
    const s = await c.stats();
    expect(s.io!.wbytes).toBeGreaterThan(500 * KiB);
    expect(s.io!.wbps).toBe(256 * KiB);
    expect(s.io!.throttled).toBeGreaterThan(0);
  });

  it('wasmvisor run --device-write-bps on both platforms; bad specs are one line, 125', () => {
    for (const platform of ['inline', 'sentry']) {
      const r = spawnSync(process.execPath, [join(ROOT, 'bin/wasmvisor.js'), 'run', '--platform', platform, '--device-write-bps', '/dev/sda:1mb', '--device-read-bps', '/dev/sda:2m', HOG_FILE, 'cat:/sys/fs/cgroup/io.max'], { encoding: 'utf8', input: '' });
      expect(r.status, r.stderr).toBe(0);
      expect(r.stdout).toMatch(/^cat:\/sys\/fs\/cgroup\/io.max: 0:\d+ rbps=2097152 wbps=1048576 riops=max wiops=max\n$/);
    }
    for (const [flag, spec] of [['--device-write-bps', 'nocolon'], ['--device-read-bps', '/dev/sda:fast']]) {
      const bad = spawnSync(process.execPath, [join(ROOT, 'bin/wasmvisor.js'), 'run', flag!, spec!, HOG_FILE], { encoding: 'utf8', input: '' });
      expect(bad.stderr).toMatch(new RegExp(`^wasmvisor: invalid ${flag} ${spec}: .*\\n$`));
      expect(bad.status).toBe(125);
    }
  });
});
