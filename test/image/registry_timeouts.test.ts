/**
 * Issue 9, point 10a: a registry that trickles or stalls cannot hold a pull
 * for ever. Small requests (manifest, config) have an overall deadline,
 * body included; a blob fails after a stall of N seconds. The servers here
 * are local node:http servers; the timeouts are shortened for the test.
 */
import http from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { pullImage } from '../../src/image/registry/pull.js';
import { RegistryClient } from '../../src/image/registry/registry.js';
import { openStore } from '../../src/image/content/store_root.js';
import { listenLocal, tinyRegistry } from '../support/oci_fixtures.js';
import { runCli } from './cli_process.js';

const servers: http.Server[] = [];
const dirs: string[] = [];
afterEach(() => {
  for (const s of servers.splice(0)) { s.closeAllConnections(); s.close(); }
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

/** A tiny registry whose `path` answer is replaced by `answer`. */
async function registry(match: (url: string) => boolean, answer: (res: http.ServerResponse) => void): Promise<string> {
  const reg = tinyRegistry('layer bytes '.repeat(1000));
  reg.setGate((req, res) => {
    if (!match(req.url ?? '')) return true;
    answer(res);
    return false;
  });
  const server = http.createServer(reg.handler);
  servers.push(server);
  return listenLocal(server);
}

/** Send headers for `size` bytes, then one byte every `everyMs` (never finishing in time). */
const trickle = (size: number, everyMs: number) => (res: http.ServerResponse): void => {
  res.writeHead(200, { 'Content-Type': 'application/vnd.oci.image.manifest.v1+json', 'Content-Length': String(size) });
  const t = setInterval(() => (res.destroyed ? clearInterval(t) : res.write('{')), everyMs);
  res.on('close', () => clearInterval(t));
};

const store = async () => {
  const d = mkdtempSync(path.join(os.tmpdir(), 'wv-timeout-'));
  dirs.push(d);
  return openStore(d);
};

describe('registry deadlines', () => {
  it('a manifest trickled a byte at a time fails at the small-request deadline, naming the registry and the manifest', async () => {
    const host = await registry((u) => u.startsWith('/v2/app/manifests/'), trickle(4000, 100));
    const t0 = Date.now();
    const err = await pullImage(await store(), `${host}/app:1`, { client: new RegistryClient({ deadlineMs: 1000 }) }).catch((e: Error) => e);
    expect(err).toBeInstanceOf(Error);
    expect((err as Error).message).toBe(`registry ${host} did not complete manifest ${host}/app:1 within 1 s (the deadline for small requests); it is stalling or too slow, try again later`);
    expect((err as { code?: string }).code).toBe('TIMEOUT');
    expect(Date.now() - t0).toBeLessThan(8000); // the whole trickle takes 400 s
  }, 20_000);

  it('a config blob trickled is bounded by the same deadline', async () => {
    const plain = await registry(() => false, () => {});
    const manifest = JSON.parse(await (await fetch(`http://${plain}/v2/app/manifests/1`)).text()) as { config: { digest: string; size: number } };
    const slow = await registry((u) => u === `/v2/app/blobs/${manifest.config.digest}`, trickle(manifest.config.size, 300));
    const t0 = Date.now();
    const err = await pullImage(await store(), `${slow}/app:1`, { client: new RegistryClient({ deadlineMs: 1000 }) }).catch((e: Error) => e);
    expect((err as Error).message).toBe(`registry ${slow} did not complete blob ${manifest.config.digest} within 1 s (the deadline for small requests); it is stalling or too slow, try again later`);
    expect(Date.now() - t0).toBeLessThan(8000);
  }, 20_000);

  it('a layer that stalls half way fails after the stall timeout, once, with a line saying a re-run resumes it', async () => {
    const reg = tinyRegistry('layer bytes '.repeat(1000));
    const layerDigest = `sha256:${(await import('node:crypto')).createHash('sha256').update(reg.layer).digest('hex')}`;
    const host = await registry((u) => u === `/v2/app/blobs/${layerDigest}`, (res) => {
      res.writeHead(200, { 'Content-Length': String(reg.layer.length) });
      res.write(reg.layer.subarray(0, 5000)); // then nothing, connection held open
    });
    const t0 = Date.now();
    const err = await pullImage(await store(), `${host}/app:1`, { client: new RegistryClient({ stallMs: 1000 }) }).catch((e: Error) => e);
    expect((err as Error).message).toBe(`blob ${layerDigest} from ${host} stalled: no byte for 1 s at 5000 of ${reg.layer.length} bytes; run the pull again to resume it`);
    expect((err as { code?: string }).code).toBe('STALLED');
    expect(Date.now() - t0).toBeLessThan(15_000); // without the stall timeout: about 300 s (generous: a loaded machine took 8.1 s)
  }, 30_000);

  it('the CLI reads the deadline from $WASMVISOR_REGISTRY_DEADLINE and fails with one line, exit 125', async () => {
    const host = await registry((u) => u.startsWith('/v2/app/manifests/'), trickle(4000, 100));
    const root = mkdtempSync(path.join(os.tmpdir(), 'wv-timeout-cli-'));
    dirs.push(root);
    const t0 = Date.now();
    const r = await runCli(['--root', root, 'pull', `${host}/app:1`], { env: { WASMVISOR_REGISTRY_DEADLINE: '1' }, timeoutMs: 20_000 });
    expect(r.code).toBe(125);
    expect(r.err).toBe(`wasmvisor: registry ${host} did not complete manifest ${host}/app:1 within 1 s (the deadline for small requests); it is stalling or too slow, try again later\n`);
    expect(Date.now() - t0).toBeLessThan(12_000);
  }, 25_000);
});
