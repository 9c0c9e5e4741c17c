import { mkdtempSync, promises as fsp } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it as vit } from 'vitest';
import { MediaType } from '../../src/image/content/media_types.js';
import { prepareImage } from '../../src/image/snapshot/snapshot_image.js';
import { openStore } from '../../src/image/content/store_root.js';
import { startRegistry, type RunningRegistry } from '../support/registry.js';
import { itWithTools } from '../support/tools.js';
import { cli, gzipLayer, OciLayout, pushLayout, skopeo, wasmModule } from './registry_fixtures.js';

const it = itWithTools('docker-registry', 'skopeo');

describe('wasmvisor pull / images / inspect / push / rmi / prune', () => {
  let reg: RunningRegistry;
  let root: string;
  const tmp: string[] = [];
  const wv = (...args: string[]) => cli(['--root', root, ...args]);

  beforeAll(async () => {
    if (it === vit.skip) return;
    reg = await startRegistry();
    root = mkdtempSync(path.join(os.tmpdir(), 'wv-cli-'));
    tmp.push(root);
    const layout = new OciLayout();
    tmp.push(layout.dir);
    layout.tag('app', layout.image({ layers: [await gzipLayer({ 'app.wasm': wasmModule() })] }));
    const p1 = layout.image({ layers: [await gzipLayer({ 'p1.wasm': wasmModule() })], platform: { os: 'wasip1', architecture: 'wasm' } });
    const amd = layout.image({ layers: [await gzipLayer({ amd: 'x' })], platform: { os: 'linux', architecture: 'amd64' } });
    layout.tag('multi', layout.index([amd, p1]));
    await pushLayout(layout, 'app', `${reg.host}/cli/app:1`);
    await pushLayout(layout, 'multi', `${reg.host}/cli/multi:1`, '--all');
  });

  afterAll(async () => {
    await reg?.cleanup();
    for (const d of tmp) await fsp.rm(d, { recursive: true, force: true });
  });

  it('pull prints the digest (plain lines off a TTY) and --format json the result', async () => {
    const r = await wv('pull', `${reg.host}/cli/app:1`);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/^sha256:[0-9a-f]{64}\n$/);
    expect(r.err).toMatch(/Copying blob [0-9a-f]{12}: done/);
    const j = await wv('pull', '--format', 'json', `${reg.host}/cli/multi:1`);
    expect(j.code).toBe(0);
    expect(JSON.parse(j.out)).toMatchObject({ name: `${reg.host}/cli/multi:1`, mediaType: MediaType.OCI_INDEX, platform: 'wasip1/wasm' });
    expect((await wv('pull', '-q', '--tls-verify=false', `docker://${reg.host}/cli/app:1`)).out).toBe(r.out);
    const notBool = await wv('pull', '--tls-verify', `${reg.host}/cli/app:1`);
    expect(notBool.code).toBe(125);
    expect(notBool.err).toMatch(/missing required argument/);
    expect((await wv('pull', '--tls-verify=maybe', `${reg.host}/cli/app:1`)).err).toMatch(/invalid boolean "maybe": write --tls-verify=true or --tls-verify=false/);
    const bad = await wv('pull', '--platform', 'linux/s390x', `${reg.host}/cli/multi:1`);
    expect(bad.code).toBe(125);
    expect(bad.err).toMatch(/available: linux\/amd64, wasip1\/wasm/);
  });

  it('images lists names as a table and as JSON', async () => {
    const t = await wv('images');
    expect(t.out.split('\n')[0]).toMatch(/^REPOSITORY\s+TAG\s+IMAGE ID\s+PLATFORM\s+CREATED\s+SIZE$/);
    expect(t.out).toContain(`${reg.host}/cli/app`);
    const j = JSON.parse((await wv('images', '--format', 'json')).out) as { RepoTags: string[]; Size: number; Platform: string }[];
    expect(j.flatMap((r) => r.RepoTags).sort()).toEqual([`${reg.host}/cli/app:1`, `${reg.host}/cli/multi:1`]);
    expect(j.every((r) => r.Size > 0 && r.Platform === 'wasip1/wasm')).toBe(true);
    const one = JSON.parse((await wv('images', '--format', 'json', `${reg.host}/cli/app`)).out) as { RepoTags: string[] }[];
    expect(one.flatMap((r) => r.RepoTags)).toEqual([`${reg.host}/cli/app:1`]);
    expect(JSON.parse((await wv('images', '--format', 'json', `${reg.host}/cli/app:2`)).out)).toEqual([]);
  });

  it('inspect shows a local image, and a registry image with docker:// as skopeo does', async () => {
    const local = JSON.parse((await wv('inspect', `${reg.host}/cli/app:1`)).out)[0];
    expect(local).toMatchObject({ Os: 'wasip1', Architecture: 'wasm', RepoTags: [`${reg.host}/cli/app:1`] });
    const remote = await wv('inspect', `docker://${reg.host}/cli/app:1`);
    const sk = JSON.parse(await skopeo('inspect', '--tls-verify=false', `docker://${reg.host}/cli/app:1`));
    const mine = JSON.parse(remote.out);
    for (const k of ['Name', 'Digest', 'Layers', 'Architecture', 'Os', 'RepoTags']) expect(mine[k]).toEqual(sk[k]);
    const raw = await wv('inspect', '--raw', `docker://${reg.host}/cli/multi:1`);
    expect(JSON.parse(raw.out).mediaType).toBe(MediaType.OCI_INDEX);
    const localRaw = await wv('inspect', '--raw', `${reg.host}/cli/multi:1`);
    expect(localRaw.out).toBe(raw.out);
    const missing = await wv('inspect', 'nope:1');
    expect(missing.code).toBe(125);
    expect(missing.err).toMatch(/not in the store; pull it first/);
  });

  it('push sends a local image under a new name', async () => {
    const p = await wv('push', '--format', 'json', `${reg.host}/cli/app:1`, `docker://${reg.host}/cli/copy:2`);
    expect(p.code).toBe(0);
    const sk = JSON.parse(await skopeo('inspect', '--tls-verify=false', `docker://${reg.host}/cli/copy:2`));
    expect(sk.Digest).toBe(JSON.parse(p.out).digest);
  });

  it('rmi removes the name and the content only it used; prune collects the rest', async () => {
    const before = JSON.parse((await wv('images', '--format', 'json')).out) as { Id: string }[];
    await prepareImage(await openStore(root), `${reg.host}/cli/app:1`);
    expect((await fsp.readdir(path.join(root, 'snapshots', 'sha256'))).length).toBe(1);
    const r = await wv('rmi', `${reg.host}/cli/app:1`);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/Untagged: .*cli\/app:1\nDeleted: 3 blobs, 1 unpacked layers/);
    expect(await fsp.readdir(path.join(root, 'snapshots', 'sha256'))).toEqual([]);
    const after = JSON.parse((await wv('images', '--format', 'json')).out) as { Id: string }[];
    expect(after).toHaveLength(before.length - 1);
    const gone = await wv('rmi', 'nope:1');
    expect(gone.code).toBe(1);
    expect((await wv('rmi', '-f', 'nope:1')).code).toBe(0);
    const pr = await wv('prune', '--format', 'json');
    expect(JSON.parse(pr.out).removed).toEqual([]);
    const id = after[0].Id.slice(0, 12);
    expect((await wv('rmi', id)).code).toBe(0);
    expect(JSON.parse((await wv('images', '--format', 'json')).out)).toEqual([]);
    const listing = await fsp.readdir(path.join(root, 'content', 'blobs', 'sha256'));
    expect(listing).toEqual([]);
  });
});
