/**
 * One container, two platforms: the same run options (-m, --hostname, a
 * bind, a uid mapping, -u) run through `runWasm` (inline) and through the
 * library `Runtime` (sentry), and the guest (wasm/inspect_root.c) must see
 * the same root, /proc, /sys/fs/cgroup, /dev, owners, modes and limits.
 */
import { chmodSync, chownSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Runtime } from '../../src/runtime/runtime.js';
import { runConfig, type RunConfigOptions } from '../../src/runtime/run_config.js';
import { runWasm } from '../../src/runtime/run_wasm.js';
import { requireDist } from './helpers.js';

const INSPECT = readFileSync(fileURLToPath(new URL('../../wasm/inspect_root.wasm', import.meta.url)));
const MiB = 1024 * 1024;

/** What the guest is asked: listings, owners and modes, and the limit files. */
const REQUESTS = [
  'ls:/', 'ls:/proc', 'ls:/proc/self', 'ls:/sys/fs/cgroup', 'ls:/dev', 'ls:/etc', 'ls:/data',
  'stat:/', 'stat:/tmp', 'stat:/etc/hostname', 'stat:/dev/null', 'stat:/proc', 'stat:/sys/fs/cgroup', 'stat:/data', 'stat:/data/owned.txt',
  'cat:/etc/hostname', 'cat:/proc/sys/kernel/hostname', 'cat:/sys/fs/cgroup/memory.max', 'cat:/sys/fs/cgroup/pids.max',
  'cat:/sys/fs/cgroup/cgroup.procs', 'cat:/proc/self/status', 'cat:/data/owned.txt', 'cat:/data/stranger.txt',
];

describe('the same container on the inline and the sentry platform', () => {
  let rt: Runtime;
  let opts: RunConfigOptions;

  beforeAll(async () => {
    requireDist();
    rt = await Runtime.create({ poolSize: 0 });
    const data = mkdtempSync(join(tmpdir(), 'wv-cross-'));
    writeFileSync(join(data, 'owned.txt'), 'owned by the host user\n');
    writeFileSync(join(data, 'stranger.txt'), 'owned by nobody mapped\n');
    chmodSync(join(data, 'owned.txt'), 0o600);
    chmodSync(join(data, 'stranger.txt'), 0o600);
    const uid = process.getuid?.() ?? 1000;
    const gid = process.getgid?.() ?? 1000;
    if (uid === 0) chownSync(join(data, 'stranger.txt'), 12345, 12345);
    opts = {
      argv0: 'inspect', args: REQUESTS, env: ['A=1'],
      memoryLimit: 32 * MiB, pidsLimit: 8, hostname: 'box',
      mounts: [{ host: data, container: '/data', readonly: true }],
      // container user 1000 is the host user: the bind's owned.txt (0600) is its own; stranger.txt's owner is unmapped
      uidMappings: [{ containerID: 1000, hostID: uid, size: 1 }],
      gidMappings: [{ containerID: 1000, hostID: gid, size: 1 }],
      user: { uid: 1000, gid: 1000 },
    };
  });
  afterAll(async () => { await rt?.close(); });

  it('shows the same /, /proc, /sys/fs/cgroup, /dev, owners and limits', async () => {
    const inline = await runWasm({ ...opts, bytes: INSPECT, stdout: 'capture', stderr: 'capture', stdin: 'null' });
    expect(inline.stderr).toBe('');
    const { config, root } = runConfig(opts);
    const c = await rt.run({ module: INSPECT, config, rootfs: root });
    const r = await c.wait();
    const sentry = c.init.stdout.text();
    await c.delete();
    expect(r.exitCode).toBe(0);
    expect(inline.exitCode).toBe(0);
    // the same lines, one by one (a clearer failure than one long string)
    expect(inline.stdout!.split('\n')).toEqual(sentry.split('\n'));
    // and what they say is what was asked for
    expect(sentry).toContain('cat:/sys/fs/cgroup/memory.max: 33554432\n');
    expect(sentry).toContain('cat:/sys/fs/cgroup/pids.max: 8\n');
    expect(sentry).toContain('cat:/etc/hostname: box\n');
    expect(sentry).toMatch(/^ls:\/sys\/fs\/cgroup: .* memory\.max /m);
    expect(sentry).toMatch(/^ls:\/: \. \.\. data dev etc proc sys tmp$/m);
    expect(sentry).toMatch(/^Uid:\t1000\t/m);
    expect(sentry).toContain('cat:/data/owned.txt: owned by the host user\n');
    if (process.getuid?.() === 0) expect(sentry).toContain('cat:/data/stranger.txt: error Permission denied\n');
  });
});
