/**
 * `wasmvisor serve` as a process: the registry proxy (an image pushed with
 * skopeo to a real docker-registry, pulled by the page through the proxy,
 * run in Chromium), which blobs it serves, and its bad-input behaviour
 * (port in use, a non-loopback address).
 */
import { readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it as vit } from 'vitest';
import { startRegistry, type RunningRegistry } from '../support/registry.js';
import { itWithTools } from '../support/tools.js';
import { gzipLayer, OciLayout, pushLayout } from '../image/registry_fixtures.js';
import { root } from './serve.js';
import { openPlayground, runCli, runImage, screen, startServe, waitStatus, type Served } from './playground_support.js';

const it = itWithTools('chromium', 'docker-registry', 'skopeo');
let reg: RunningRegistry | null = null;
let served: Served | null = null;
let layout: OciLayout | null = null;

beforeAll(async () => {
  if (it === vit.skip) return;
  reg = await startRegistry();
  layout = new OciLayout();
  const hello = readFileSync(join(root, 'wasm/hello.wasm'));
  const base = await gzipLayer({ 'app/': '', 'app/hello.wasm': hello });
  const top = await gzipLayer({ 'etc/': '', 'etc/greeting': 'pulled through the proxy\n' });
  layout.tag('v1', layout.image({
    layers: [base, top],
    config: {
      architecture: 'wasm', os: 'wasip1',
      config: { Entrypoint: ['/app/hello.wasm'], Cmd: ['from', 'the registry'], Labels: { 'org.opencontainers.image.description': 'pushed by skopeo' } },
      rootfs: { type: 'layers', diff_ids: [base.diffId, top.diffId] },
    },
  }));
  await pushLayout(layout, 'v1', `${reg.host}/demo/hello:v1`);
  served = await startServe();
}, 60_000);

afterAll(async () => {
  await served?.stop();
  await reg?.cleanup();
  if (layout) rmSync(layout.dir, { recursive: true, force: true });
});

describe('wasmvisor serve', () => {
  it('pulls an image from a real docker-registry through its proxy, and the page runs it', async () => {
    const pg = await openPlayground(served!.url);
    try {
      const { page } = pg;
      await page.fill('#ref', `${reg!.host}/demo/hello:v1`);
      await page.click('#pull');
      await waitStatus(page, /pulled .*demo\/hello:v1/, 30_000);
      expect(await page.textContent('#about')).toBe('pushed by skopeo');
      await runImage(page, `${reg!.host}/demo/hello:v1`);
      await waitStatus(page, /exited with status 0/);
      expect(await screen(page)).toBe('hello from wasmvisor\narg 1: from\narg 2: the registry');
      await page.click('.tabs button[data-tab="image"]');
      expect(await page.locator('#layers tbody tr').count()).toBe(2);
    } finally {
      await pg.close();
    }
  }, 90_000);

  it('answers one line for a bad reference or a missing image, and serves no blob it did not pull', async () => {
    const bad = await fetch(`${served!.url}api/pull?ref=${encodeURIComponent('Not A Ref')}`);
    expect(bad.status).toBe(400);
    expect((await bad.text()).trim().split('\n')).toHaveLength(1);
    const missing = await fetch(`${served!.url}api/pull?ref=${encodeURIComponent(`${reg!.host}/demo/nothing:v1`)}`);
    expect(missing.status).toBe(502);
    const index = await (await fetch(`${served!.url}api/pull?ref=${encodeURIComponent(`${reg!.host}/demo/hello:v1`)}`)).json() as { manifests: { digest: string }[] };
    const ok = await fetch(`${served!.url}api/blobs/sha256/${index.manifests[0]!.digest.slice(7)}`);
    expect(ok.status).toBe(200);
    expect(ok.headers.get('cross-origin-embedder-policy')).toBe('require-corp');
    const other = await fetch(`${served!.url}api/blobs/sha256/${'0'.repeat(64)}`);
    expect(other.status).toBe(404);
    expect((await fetch(`${served!.url}../../../../etc/passwd`)).status).toBe(404);
  }, 60_000);

  it('says one line and exits 125 when the port is in use', async () => {
    const blocker = createServer();
    await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', r));
    const { port } = blocker.address() as { port: number };
    try {
      const r = await runCli(['serve', '--port', String(port)]);
      expect(r.code).toBe(125);
      expect(r.err).toBe(`wasmvisor: port ${port} on 127.0.0.1 is in use: choose another with --port\n`);
    } finally {
      blocker.close();
    }
  }, 30_000);

  it('warns when asked to listen beyond loopback', async () => {
    const s = await startServe(['--host', '0.0.0.0']);
    try {
      expect(s.url).toMatch(/^http:\/\/0\.0\.0\.0:\d+\/$/);
      expect(s.stderr()).toMatch(/warning: serving on 0\.0\.0\.0, not loopback: anyone who reaches it can pull images with your registry credentials/);
    } finally {
      await s.stop();
    }
  }, 30_000);

  it('refuses a port that is not one', async () => {
    const r = await runCli(['serve', '--port', '70000']);
    expect(r.code).toBe(125);
    expect(r.err).toBe('wasmvisor: --port 70000 is not a TCP port (0-65535)\n');
  }, 30_000);
});
