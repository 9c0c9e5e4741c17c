/**
 * wasmvisor-runc in a pod's network namespace (issue 14 point 3): a
 * bundle whose config.json joins a network namespace by path, as a
 * Kubernetes pod's containers do (CNI made it), gets its sandbox process
 * started there under `nsenter --net` (util-linux), so the listener its
 * `io.wasmvisor.publish` annotation asks for lives in that namespace: a
 * client inside it (`ip netns exec NS curl`) reaches wasm/http_server, a
 * client outside does not. The namespace (loopback only) is made and
 * always removed by the test. Needs root and iproute2: skipped only when
 * CI is not set.
 */
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runc, tempDir, TOP } from '../runc/fixtures/harness.js';

const IP = ['/usr/sbin/ip', '/sbin/ip', '/usr/bin/ip', '/bin/ip'].find((p) => existsSync(p));
const usable = IP !== undefined && process.getuid?.() === 0;
const NS = `wvnet-${process.pid}-${Date.now().toString(36)}`;
let dir: string;
let made = false;

function ip(args: string[]) {
  const r = spawnSync(IP!, args, { encoding: 'utf8', timeout: 30_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** A port free on the host right now (nothing outside should answer on it). */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const p = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(p));
    });
  });
}

beforeAll(() => {
  if (!usable) return;
  dir = tempDir('wv-netns-');
  const add = ip(['netns', 'add', NS]);
  expect(add.code, add.stderr).toBe(0);
  made = true;
  const up = ip(['netns', 'exec', NS, 'ip', 'link', 'set', 'lo', 'up']);
  expect(up.code, up.stderr).toBe(0);
});

afterAll(() => {
  if (made) ip(['netns', 'delete', NS]);
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe.skipIf(!usable && !process.env.CI)('wasmvisor-runc in a network namespace given by path', () => {
  it('the published listener lives in the namespace: curl inside it is answered, outside it is refused', async () => {
    expect(IP, 'iproute2 (ip) is needed').toBeDefined();
    expect(process.getuid?.(), 'root is needed to make a network namespace').toBe(0);
    const port = await freePort();
    const bundle = join(dir, 'bundle');
    mkdirSync(join(bundle, 'rootfs/www'), { recursive: true });
    copyFileSync(join(TOP, 'wasm/http_server.wasm'), join(bundle, 'rootfs/http_server.wasm'));
    writeFileSync(join(bundle, 'rootfs/www/index.html'), 'hello from the pod\n');
    writeFileSync(join(bundle, 'config.json'), JSON.stringify({
      ociVersion: '1.2.0',
      process: { args: ['/http_server.wasm'], cwd: '/', env: ['PATH=/bin'] },
      root: { path: 'rootfs' },
      annotations: { 'io.wasmvisor.publish': `127.0.0.1:${port}:80` },
      linux: { namespaces: [{ type: 'pid' }, { type: 'mount' }, { type: 'network', path: `/var/run/netns/${NS}` }] },
    }));
    const root = join(dir, 'state');
    const id = 'netns-web';
    try {
      const create = await runc(root, ['create', '--bundle', bundle, id], { quiet: true });
      expect(create.code).toBe(0);
      expect((await runc(root, ['start', id])).code).toBe(0);
      // inside: answered (polled: the guest may still be starting)
      let inside = { code: null as number | null, stdout: '' };
      const end = Date.now() + 30_000;
      while (Date.now() < end) {
        inside = ip(['netns', 'exec', NS, 'curl', '-s', '-m', '10', `http://127.0.0.1:${port}/`]);
        if (inside.code === 0) break;
        await new Promise((r) => setTimeout(r, 200));
      }
      expect(inside.stdout).toBe('hello from the pod\n');
      // outside: nothing listens on that port in the host's namespace
      const outside = spawnSync('curl', ['-s', '-m', '5', `http://127.0.0.1:${port}/`], { encoding: 'utf8', timeout: 30_000 });
      expect(outside.status).toBe(7); // couldn't connect
      // the bad path is one line
      const bad = join(dir, 'bad');
      mkdirSync(join(bad, 'rootfs'), { recursive: true });
      copyFileSync(join(TOP, 'wasm/http_server.wasm'), join(bad, 'rootfs/http_server.wasm'));
      writeFileSync(join(bad, 'config.json'), JSON.stringify({
        ociVersion: '1.2.0', process: { args: ['/http_server.wasm'], cwd: '/' }, root: { path: 'rootfs' },
        linux: { namespaces: [{ type: 'network', path: `/var/run/netns/${NS}-missing` }] },
      }));
      const r = await runc(root, ['create', '--bundle', bad, 'netns-bad']);
      expect(r.code).not.toBe(0);
      expect(r.stderr).toMatch(/network namespace \/var\/run\/netns\/.*-missing .*does not exist/);
    } finally {
      await runc(root, ['kill', id, '9']);
      await runc(root, ['delete', '--force', id]);
    }
  }, 120_000);
});

