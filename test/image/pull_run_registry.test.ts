/**
 * Pull and run, end to end: images pushed by skopeo to a real
 * docker-registry, pulled by wasmvisor, their layers prepared as snapshots
 * and stacked under an overlay, the process taken from the image config.
 */
import { readFileSync, promises as fsp, mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it as vit } from 'vitest';
import { imageProcess, type RunOverrides } from '../../src/image/run/manifest_run.js';
import { MediaType } from '../../src/image/content/media_types.js';
import { pullImage } from '../../src/image/registry/pull.js';
import { RegistryClient } from '../../src/image/registry/registry.js';
import { prepareImage } from '../../src/image/snapshot/snapshot_image.js';
import { openStore, type Store } from '../../src/image/content/store_root.js';
import { runWasm } from '../../src/runtime/run_wasm.js';
import { startRegistry, type RunningRegistry } from '../support/registry.js';
import { itWithTools } from '../support/tools.js';
import { cli, gzipLayer, OciLayout, pushLayout } from './registry_fixtures.js';

const it = itWithTools('docker-registry', 'skopeo');
const HELLO = readFileSync(path.resolve(import.meta.dirname, '../../wasm/hello.wasm'));

describe('pull and run images from a real docker-registry', () => {
  let reg: RunningRegistry;
  let store: Store;
  const tmp: string[] = [];

  async function pullAndRun(ref: string, o: RunOverrides = {}): Promise<{ exitCode: number; stdout?: string; stderr?: string }> {
    await pullImage(store, ref, { client: new RegistryClient({}) });
    const prepared = await prepareImage(store, ref);
    const p = imageProcess(prepared.image.config, prepared.image.manifest, prepared.lowers, o);
    return runWasm({
      bytes: p.bytes,
      argv0: p.argv[0],
      args: p.argv.slice(1),
      env: p.env,
      workdir: p.workdir,
      lowers: prepared.lowers,
      stdin: 'null',
      stdout: 'capture',
      stderr: 'capture',
    });
  }

  beforeAll(async () => {
    if (it === vit.skip) return;
    reg = await startRegistry();
    const d = mkdtempSync(path.join(os.tmpdir(), 'wv-run-'));
    tmp.push(d);
    store = await openStore(d);
    const layout = new OciLayout();
    tmp.push(layout.dir);
    const base = await gzipLayer({ 'bin/': '', 'bin/hello.wasm': HELLO, 'etc/': '', 'etc/gone': 'x', 'data/': '', 'data/a': 'a' });
    const top = await gzipLayer({ 'etc/.wh.gone': '', 'data/.wh..wh..opq': '', 'data/b': 'b' });
    const config = (extra: Record<string, unknown>) => ({ architecture: 'wasm', os: 'wasip1', rootfs: { type: 'layers', diff_ids: [base.diffId, top.diffId] }, ...extra });
    layout.tag('app', layout.image({ layers: [base, top], config: config({ config: { Entrypoint: ['hello.wasm'], Cmd: ['default'], Env: ['PATH=/bin'], WorkingDir: '/data' } }) }));
    const p1 = layout.image({ layers: [base, top], platform: { os: 'wasip1', architecture: 'wasm' }, config: config({ config: { Cmd: ['/bin/hello.wasm', 'from-index'] } }) });
    const amd = layout.image({ layers: [await gzipLayer({ x: 'elf' })], platform: { os: 'linux', architecture: 'amd64' } });
    layout.tag('multi', layout.index([amd, p1]));
    layout.tag('artifact', layout.image({
      layers: [{ data: HELLO, mediaType: MediaType.WASM_LAYER }],
      config: { architecture: 'wasm', os: 'wasip1' },
      configType: MediaType.WASM_CONFIG,
      artifactType: MediaType.WASM_CONFIG,
    }));
    await pushLayout(layout, 'app', `${reg.host}/run/app:1`);
    await pushLayout(layout, 'app', `${reg.host}/run/docker:1`, '--format', 'v2s2');
    await pushLayout(layout, 'multi', `${reg.host}/run/multi:1`, '--all');
    await pushLayout(layout, 'artifact', `${reg.host}/run/artifact:1`);
    const sh = await gzipLayer({ 'bin/': '', 'bin/sh': '#!/bin/sh\n' });
    layout.tag('text', layout.image({ layers: [sh], config: { ...config({ config: { Cmd: ['/bin/sh'] } }), rootfs: { type: 'layers', diff_ids: [sh.diffId] } } }));
    await pushLayout(layout, 'text', `${reg.host}/run/text:1`);
  });

  afterAll(async () => {
    await reg?.cleanup();
    for (const d of tmp) await fsp.rm(d, { recursive: true, force: true });
  });

  it('runs an OCI image: Entrypoint through PATH, Cmd, args after the image', async () => {
    const r = await pullAndRun(`${reg.host}/run/app:1`);
    expect(r).toMatchObject({ exitCode: 0, stdout: 'hello from wasmvisor\narg 1: default\n' });
    const a = await pullAndRun(`${reg.host}/run/app:1`, { args: ['x', 'y'] });
    expect(a.stdout).toBe('hello from wasmvisor\narg 1: x\narg 2: y\n');
  });

  it('runs the same image pushed as Docker schema 2', async () => {
    expect((await pullAndRun(`${reg.host}/run/docker:1`)).stdout).toBe('hello from wasmvisor\narg 1: default\n');
  });

  it('runs the wasip1/wasm member of a multi-platform index', async () => {
    expect((await pullAndRun(`${reg.host}/run/multi:1`)).stdout).toBe('hello from wasmvisor\narg 1: from-index\n');
  });

  it('runs a Wasm OCI artifact with the arguments given', async () => {
    expect((await pullAndRun(`${reg.host}/run/artifact:1`, { args: ['art'] })).stdout).toBe('hello from wasmvisor\narg 1: art\n');
  });

  it('shares one snapshot per layer between images', async () => {
    const a = await prepareImage(store, `${reg.host}/run/app:1`);
    const b = await prepareImage(store, `${reg.host}/run/docker:1`);
    expect(a.layers[0]).toBe(b.layers[0]);
  });

  it('wasmvisor run IMAGE pulls when missing and exits as podman does', async () => {
    const root = mkdtempSync(path.join(os.tmpdir(), 'wv-run-cli-'));
    tmp.push(root);
    const wv = (...a: string[]) => cli(['--root', root, 'run', ...a]);
    expect((await wv('--pull', 'never', `${reg.host}/run/app:1`)).code).toBe(125);
    const ok = await wv(`${reg.host}/run/app:1`, 'x');
    expect(ok.code).toBe(0);
    expect(ok.err).toMatch(/Copying blob/);
    expect((await wv('--pull', 'never', `${reg.host}/run/app:1`)).code).toBe(0);
    const missing = await wv('--entrypoint', '/bin/nope.wasm', `${reg.host}/run/app:1`);
    expect(missing).toMatchObject({ code: 127 });
    expect(missing.err).toMatch(/\/bin\/nope.wasm: no such file in the image/);
    const text = await wv(`${reg.host}/run/text:1`);
    expect(text.code, text.err).toBe(126);
    expect(text.err).toMatch(/\/bin\/sh .*is not a WebAssembly module/);
  });
});
