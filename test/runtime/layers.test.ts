// Layers given to the library as trees: eager ones (bytes) cross to the Sentry
// as they are; a tree read lazily from a host directory is rebuilt by the
// Sentry from its path; any other lazy tree is refused with a clear error.
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { layerTreeFromHost } from '../../kernel/fs/host_layer.js';
import { emptyLayerDir, type LayerTree } from '../../kernel/fs/layer_tree.js';
import { ContainerError, Runtime } from '../../src/index.js';
import { NodeHostFs } from '../../src/host/node_hostfs.js';
import { PROBE, probe, requireDist } from './helpers.js';

let rt: Runtime;
let dir: string;
beforeAll(async () => {
  requireDist();
  rt = await Runtime.create({ poolSize: 1 });
  dir = mkdtempSync(join(tmpdir(), 'wv-layer-'));
  mkdirSync(join(dir, 'data'));
  writeFileSync(join(dir, 'data', 'hello.txt'), 'read lazily from the host\n');
});
afterAll(async () => {
  await rt?.close();
  rmSync(dir, { recursive: true, force: true });
});

const fileNode = (data: Uint8Array | ((o: number, l: number) => Uint8Array), size: number) => ({
  kind: 'file' as const, mode: 0o644, uid: 0, gid: 0, mtimeNs: 0n, size, data,
});

describe('layer trees through the library', () => {
  it('a tree read lazily from a host directory is rebuilt in the Sentry, under an eager upper layer', async () => {
    const lazy = layerTreeFromHost(new NodeHostFs(), dir, 'test:lazy');
    expect(lazy.hostPath).toBe(dir);
    const root = emptyLayerDir();
    const etc = emptyLayerDir();
    const text = new TextEncoder().encode('from the eager layer\n');
    etc.entries.set('note', fileNode(text, text.length));
    root.entries.set('etc', etc);
    const eager: LayerTree = { id: 'test:eager', root, bytes: text.length };
    const a = await rt.run({ module: PROBE, config: probe('show', '/data/hello.txt'), rootfs: { layers: [lazy, eager] } });
    expect((await a.wait()).exitCode).toBe(0);
    expect(a.init.stdout.text()).toBe('read lazily from the host\n');
    const b = await rt.run({ module: PROBE, config: probe('show', '/etc/note'), rootfs: { layers: [lazy, eager] } });
    expect((await b.wait()).exitCode).toBe(0);
    expect(b.init.stdout.text()).toBe('from the eager layer\n');
    await a.delete();
    await b.delete();
  });

  it('a lazy tree without a host directory is refused with one clear error, and nothing is created', async () => {
    const root = emptyLayerDir();
    root.entries.set('f', fileNode(() => new Uint8Array(1), 1));
    const tree: LayerTree = { id: 'test:opaque-lazy', root, bytes: 1 };
    const err = await rt.create({ module: PROBE, config: probe('exit'), rootfs: { layers: [tree] } }).catch((e) => e);
    expect(err).toBeInstanceOf(ContainerError);
    expect(err.code).toBe('INVALID_CONFIG');
    expect(err.message).toMatch(/test:opaque-lazy reads its files through functions.*hostPath/);
    expect(rt.list()).toHaveLength(0);
  });
});
