import { describe, expect, it } from 'vitest';
import type { LayerDir, LayerNode, LayerTree } from '../../kernel/fs/layer_tree.js';
import { imageProcess } from '../../src/image/run/manifest_run.js';
import type { ImageConfig, ImageManifest } from '../../src/image/content/manifest.js';
import { MediaType } from '../../src/image/content/media_types.js';

const WASM = new Uint8Array([0, 0x61, 0x73, 0x6d, 1, 0, 0, 0]);
const meta = { mode: 0o755, uid: 0, gid: 0, mtimeNs: 0n };
const file = (data: Uint8Array): LayerNode => ({ kind: 'file', ...meta, size: data.length, data });
const link = (target: string): LayerNode => ({ kind: 'symlink', ...meta, target });
const dir = (entries: Record<string, LayerNode>, opaque = false): LayerDir => ({ kind: 'dir', ...meta, entries: new Map(Object.entries(entries)), opaque });
const tree = (id: string, root: LayerDir): LayerTree => ({ id, root, bytes: 0 });

const bottom = tree('b', dir({
  bin: dir({ 'app.wasm': file(WASM), text: file(new TextEncoder().encode('#!/bin/sh\n')), gone: file(WASM) }),
  usr: dir({ bin: dir({ tool: link('../../bin/app.wasm'), escape: link('../../../../../bin/app.wasm'), loop: link('loop') }) }),
  srv: dir({ 'svc.wasm': file(WASM) }),
}));
const top = tree('t', dir({ bin: dir({ gone: { kind: 'whiteout' } }), srv: dir({}, true) }));
const manifest: ImageManifest = { schemaVersion: 2, config: { mediaType: MediaType.OCI_CONFIG, digest: 'sha256:' + '0'.repeat(64), size: 1 }, layers: [] };
const cfg = (c: ImageConfig['config']): ImageConfig => ({ os: 'wasip1', architecture: 'wasm', config: c });

describe('run IMAGE: the process from the image config and layers', () => {
  it('combines Entrypoint and Cmd; args replace Cmd; --entrypoint drops Cmd', () => {
    const c = cfg({ Entrypoint: ['/bin/app.wasm', '-v'], Cmd: ['default'], Env: ['A=1', 'PATH=/bin'], WorkingDir: '/srv', User: '1000' });
    const p = imageProcess(c, manifest, [top, bottom]);
    expect(p).toMatchObject({ argv: ['/bin/app.wasm', '-v', 'default'], env: ['A=1', 'PATH=/bin'], workdir: '/srv', user: '1000', path: '/bin/app.wasm' });
    expect(p.bytes).toEqual(WASM);
    expect(imageProcess(c, manifest, [bottom], { args: ['x'] }).argv).toEqual(['/bin/app.wasm', '-v', 'x']);
    expect(imageProcess(c, manifest, [bottom], { entrypoint: ['app.wasm'], env: ['A=2'] })).toMatchObject({ argv: ['app.wasm'], env: ['A=2', 'PATH=/bin'] });
    expect(() => imageProcess(c, manifest, [bottom], { entrypoint: ['tool'] })).toThrow(/tool: executable file not found in \$PATH/);
  });

  it('resolves argv[0] through PATH (default PATH when unset), symlinks inside the rootfs, then as a relative path', () => {
    expect(imageProcess(cfg({ Cmd: ['tool'] }), manifest, [bottom]).path).toBe('/bin/app.wasm');
    expect(imageProcess(cfg({ Cmd: ['escape'] }), manifest, [bottom]).path).toBe('/bin/app.wasm');
    expect(imageProcess(cfg({ Cmd: ['bin/app.wasm'] }), manifest, [bottom]).path).toBe('/bin/app.wasm');
    expect(imageProcess(cfg({ Cmd: ['app.wasm'], Env: ['PATH=/nope'], WorkingDir: '/bin' }), manifest, [bottom]).path).toBe('/bin/app.wasm');
  });

  it('refuses what is not there or not WebAssembly, naming the file', () => {
    expect(() => imageProcess(cfg({ Cmd: ['/bin/text'] }), manifest, [bottom])).toThrow(/\/bin\/text .*is not a WebAssembly module/);
    expect(() => imageProcess(cfg({ Cmd: ['/bin/gone'] }), manifest, [top, bottom])).toThrow(/\/bin\/gone: no such file in the image/);
    expect(() => imageProcess(cfg({ Cmd: ['/srv/svc.wasm'] }), manifest, [top, bottom])).toThrow(/no such file/);
    expect(() => imageProcess(cfg({ Cmd: ['loop'] }), manifest, [bottom])).toThrow(/not found in \$PATH/);
    let err: unknown;
    try {
      imageProcess(cfg({}), manifest, [bottom]);
    } catch (e) {
      err = e;
    }
    expect(err).toMatchObject({ code: 'NO_COMMAND' });
  });

  it('a Wasm artifact without Entrypoint or Cmd runs its module layer with the arguments given', () => {
    const art: ImageManifest = { ...manifest, layers: [{ mediaType: MediaType.WASM_LAYER, digest: 'sha256:' + '1'.repeat(64), size: 8, annotations: { 'org.opencontainers.image.title': 'hello.wasm' } }] };
    const t = tree('w', dir({ 'hello.wasm': file(WASM) }));
    expect(imageProcess({ os: 'wasip1', architecture: 'wasm' }, art, [t], { args: ['a', 'b'] }).argv).toEqual(['/hello.wasm', 'a', 'b']);
    expect(imageProcess({ os: 'wasip1', architecture: 'wasm' }, art, [t])).toMatchObject({ argv: ['/hello.wasm'], path: '/hello.wasm' });
  });
});
