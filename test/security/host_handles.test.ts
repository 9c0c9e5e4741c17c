/**
 * Host handles of a container (its --rootfs directory's tree, its binds'
 * directory handles, readdir streams and open files) are closed when the
 * container goes away: a long-lived process running many containers does
 * not leak host fds per container. Both platforms: the library Runtime
 * (the Sentry is a worker thread of this process, so its fds are ours) and
 * runWasm inline.
 */
import * as nfs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { E } from '../../kernel/errno.js';
import { HostFsMount } from '../../kernel/fs/hostfs.js';
import { TmpFs } from '../../kernel/fs/tmpfs.js';
import { MountNamespace } from '../../kernel/vfs/mount_ns.js';
import { NodeHostFs } from '../../src/host/node_hostfs.js';
import { Runtime } from '../../src/index.js';
import { runWasm } from '../../src/runtime/run_wasm.js';
import { PROBE, requireDist } from '../runtime/helpers.js';
import { expectErr, Fx } from '../kernel/vfs/helpers.js';
import { FakeHost } from '../support/fake_host.js';

const N = 200;
let tmp: string;
let rootfs: string;
let data: string;

const openFds = () => nfs.readdirSync('/proc/self/fd').length;

beforeAll(() => {
  tmp = nfs.mkdtempSync(path.join(os.tmpdir(), 'wasmvisor-host-handles-'));
  rootfs = path.join(tmp, 'rootfs');
  data = path.join(tmp, 'data');
  nfs.mkdirSync(path.join(rootfs, 'etc/deep/er'), { recursive: true });
  nfs.writeFileSync(path.join(rootfs, 'etc/deep/er/motd'), 'motd\n');
  nfs.mkdirSync(path.join(data, 'a/b/c'), { recursive: true });
  for (let i = 0; i < 20; i++) nfs.writeFileSync(path.join(data, `a/b/c/f${i}`), `${i}\n`);
});
afterAll(() => {
  nfs.rmSync(tmp, { recursive: true, force: true });
});

// Each container reads a file of its rootfs (tree root + directory handles), lists a nested bind
// directory (directory handles + a stream) and reads a bind file (a file handle).
const WORK = [['show', '/etc/deep/er/motd'], ['ls', '/data/a/b/c'], ['show', '/data/a/b/c/f7']];

describe.skipIf(!nfs.existsSync('/proc/self/fd'))('host handles are closed with their container', () => {
  let rt: Runtime | undefined;
  beforeAll(async () => {
    requireDist();
    rt = await Runtime.create({ poolSize: 1 });
  });
  afterAll(async () => {
    await rt?.close();
  });

  it(`library Runtime: ${N} containers with a bind and a host rootfs leave the fd count where it was`, async () => {
    const mounts = [{ destination: '/data', type: 'bind', source: data, options: ['rbind', 'rw'] }];
    const one = async (i: number) => {
      const args = WORK[i % WORK.length]!;
      const c = await rt!.run({ module: PROBE, config: { root: { path: rootfs }, mounts, process: { args: ['probe', ...args] } } });
      await c.wait();
      const out = c.init.stdout.text();
      await c.delete();
      return out;
    };
    for (let i = 0; i < WORK.length; i++) expect(await one(i)).not.toMatch(/open|Permission|No such/);
    const before = openFds();
    for (let i = 0; i < N; i++) await one(i);
    const after = openFds();
    console.log(`Runtime: fds before ${before}, after ${N} containers ${after}`);
    expect(after - before).toBeLessThanOrEqual(5);
  }, 120_000);

  it(`runWasm inline: ${N} runs with a bind and --rootfs leave the fd count where it was`, async () => {
    const one = async (i: number) => {
      const r = await runWasm({ bytes: PROBE, args: WORK[i % WORK.length], rootfs, mounts: [{ host: data, container: '/data' }], stdout: 'capture', stderr: 'capture' });
      return r.stdout ?? '';
    };
    for (let i = 0; i < WORK.length; i++) expect(await one(i)).not.toMatch(/open|Permission|No such/);
    const before = openFds();
    for (let i = 0; i < N; i++) await one(i);
    const after = openFds();
    console.log(`runWasm: fds before ${before}, after ${N} runs ${after}`);
    expect(after - before).toBeLessThanOrEqual(5);
  }, 120_000);
});

describe.skipIf(!nfs.existsSync('/proc/self/fd'))('a closed bind mount', () => {
  it('closes every handle once: later calls are EIO, a description released afterwards closes nothing twice', () => {
    const host = new FakeHost({ hostfs: new NodeHostFs() });
    const before = openFds();
    const bind = new HostFsMount(host.hostfs!, data, host);
    const ns = new MountNamespace(new TmpFs(host));
    ns.mount('/data', bind, { mkdirs: true });
    const fx = new Fx(ns);
    const f = fx.open('/data/a/b/c/f1');
    const d = fx.open('/data/a/b');
    expect(d.readdir(0n, 2).length).toBe(2);
    expect(openFds()).toBeGreaterThan(before);
    bind.close();
    expect(openFds()).toBe(before);
    // a handle number closed here may already be someone else's: nothing uses or closes it again
    const other = nfs.openSync(path.join(data, 'a/b/c/f2'), 'r');
    try {
      f.release();
      d.release();
      expectErr(() => fx.read('/data/a/b/c/f3'), E.IO);
      expect(nfs.readFileSync(other, 'utf8')).toBe('2\n');
    } finally {
      nfs.closeSync(other);
    }
    expect(openFds()).toBe(before);
  });
});
