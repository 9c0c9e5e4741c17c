import { existsSync, mkdtempSync, promises as fsp } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it as vit } from 'vitest';
import { pullImage } from '../../src/image/registry/pull.js';
import { RegistryClient } from '../../src/image/registry/registry.js';
import { parseRegistriesConf } from '../../src/image/registry/registry_config.js';
import { openStore, type Store } from '../../src/image/content/store_root.js';
import { startRegistry, type RunningRegistry } from '../support/registry.js';
import { itWithTools } from '../support/tools.js';
import { gzipLayer, OciLayout, pushLayout, wasmModule } from './registry_fixtures.js';

const it = itWithTools('docker-registry', 'skopeo');

describe('pull through a pull-through cache mirror (docker-registry proxy.remoteurl)', () => {
  let upstream: RunningRegistry;
  let mirror: RunningRegistry;
  const tmp: string[] = [];
  const newStore = async (): Promise<Store> => {
    const d = mkdtempSync(path.join(os.tmpdir(), 'wv-mirror-'));
    tmp.push(d);
    return openStore(d);
  };
  const client = (): RegistryClient =>
    new RegistryClient({
      conf: parseRegistriesConf(`
[[registry]]
location = "${upstream.host}"
[[registry.mirror]]
location = "${mirror.host}"
insecure = true
`),
      backoffMs: 20,
    });

  beforeAll(async () => {
    if (it === vit.skip) return;
    upstream = await startRegistry();
    mirror = await startRegistry({ proxyRemoteUrl: upstream.url });
    const layout = new OciLayout();
    tmp.push(layout.dir);
    layout.tag('a', layout.image({ layers: [await gzipLayer({ 'a.wasm': wasmModule() })] }));
    layout.tag('b', layout.image({ layers: [await gzipLayer({ 'b.wasm': wasmModule() })] }));
    await pushLayout(layout, 'a', `${upstream.host}/lib/app:a`);
    await pushLayout(layout, 'b', `${upstream.host}/lib/app:b`);
  });

  afterAll(async () => {
    await mirror?.cleanup();
    await upstream?.cleanup();
    for (const d of tmp) await fsp.rm(d, { recursive: true, force: true });
  });

  it('pulls through the mirror, which caches the blobs', async () => {
    const store = await newStore();
    const r = await pullImage(store, `${upstream.host}/lib/app:a`, { client: client() });
    expect(r.source).toEqual({ host: mirror.host, mirror: true });
    expect(r.fetched.blobs).toBe(2);
    expect(existsSync(path.join(mirror.dataDir, 'docker', 'registry', 'v2', 'blobs'))).toBe(true);
  });

  it('falls back to the upstream when the mirror is down', async () => {
    await mirror.stop();
    const store = await newStore();
    const t0 = Date.now();
    const r = await pullImage(store, `${upstream.host}/lib/app:b`, { client: client() });
    expect(r.source).toEqual({ host: upstream.host, mirror: false });
    expect(r.fetched.blobs).toBe(2);
    expect(Date.now() - t0).toBeLessThan(5000);
  });

  it('maps mirror namespaces and refuses blocked registries', () => {
    const conf = parseRegistriesConf(`
[[registry]]
location = "docker.io"
[[registry.mirror]]
location = "m.local:5000/hub"
[[registry]]
location = "evil.example"
blocked = true
`);
    const c = new RegistryClient({ conf });
    const eps = c.endpoints({ registry: 'docker.io', repository: 'library/hello', name: 'docker.io/library/hello' } as never);
    expect(eps.map((e) => `${e.host}/${e.repository}`)).toEqual(['m.local:5000/hub/library/hello', 'registry-1.docker.io/library/hello']);
    expect(eps[1].insecure).toBe(false);
    expect(() => c.endpoints({ registry: 'evil.example', repository: 'x', name: 'evil.example/x' } as never)).toThrow(/blocked/);
  });
});
