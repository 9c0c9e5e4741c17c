import * as nfs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { E } from '../../../kernel/errno.js';
import { layerTreeFromHost } from '../../../kernel/fs/host_layer.js';
import { LayerFs } from '../../../kernel/fs/layerfs.js';
import { OverlayFs } from '../../../kernel/fs/overlay.js';
import { MountNamespace } from '../../../kernel/vfs/mount_ns.js';
import { FileType, OFlags } from '../../../kernel/vfs/types.js';
import { NodeHostFs } from '../../../src/host/node_hostfs.js';
import { FakeHost } from '../../support/fake_host.js';
import { expectErr, Fx } from '../vfs/helpers.js';
import { LAYER_TIME, seedLayers, seedSingleLayer, snapshot } from './layer_fixtures.js';
import { vfsReadOnlySuite } from '../vfs/vfs_ro_suite.js';

const single = seedSingleLayer();
const singleBefore = snapshot(single);
vfsReadOnlySuite('layerfs', () => {
  const host = new FakeHost();
  return { ns: new MountNamespace(new LayerFs(single, host)), host };
});

describe('layerfs', () => {
  it('the read-only suite left its layer untouched', () => {
    expect(snapshot(single)).toBe(singleBefore);
  });

  const [top, bottom] = seedLayers();
  const before = snapshot(top);

  it('serves one layer read-only, zero copy, hiding whiteouts', () => {
    const host = new FakeHost();
    const fs = new LayerFs(top, host);
    const fx = new Fx(new MountNamespace(fs));
    expect(fx.ls('/seed')).toEqual(['a.txt', 'empty', 'hard1', 'hard2', 'link']);
    expect(fx.read('/seed/link')).toBe('alpha');
    const st = fx.stat('/seed/hard1');
    expect(st.nlink).toBe(2n);
    expect(st.ino).toBe(fx.stat('/seed/hard2').ino);
    expect(st.mtim).toBe(LAYER_TIME);
    expect(fx.stat('/seed').nlink).toBe(3n);
    // Zero copy: the bytes are the layer's own.
    const f = fx.open('/seed/a.txt');
    const data = f.read(100);
    const node = top.root.entries.get('seed');
    expect(node?.kind).toBe('dir');
    const a = (node as { entries: Map<string, { data: Uint8Array }> }).entries.get('a.txt')!;
    expect(data.buffer).toBe(a.data.buffer);
    f.release();
    expectErr(() => fx.write('/seed/a.txt', 'x', OFlags.TRUNC), E.ROFS);
    expectErr(() => fx.write('/new', 'x'), E.ROFS);
    expectErr(() => fx.mkdir('/d'), E.ROFS);
    expectErr(() => fx.unlink('/seed/a.txt'), E.ROFS);
    expectErr(() => fx.ops.setTimes(fx.cred, fx.root, '/seed/a.txt', true, 1n, 1n), E.ROFS);
    const d = fx.open('/seed', OFlags.DIRECTORY);
    const page1 = d.readdir(0n, 3);
    const rest = d.readdir(page1[2].next);
    expect([...page1, ...rest].map((e) => e.name)).toEqual(['.', '..', 'a.txt', 'empty', 'hard1', 'hard2', 'link']);
    expect(rest.find((e) => e.name === 'link')!.filetype).toBe(FileType.SYMBOLIC_LINK);
    expect(snapshot(top)).toBe(before);
  });

  it('two instances share one tree', () => {
    const a = new Fx(new MountNamespace(new LayerFs(bottom, new FakeHost())));
    const b = new Fx(new MountNamespace(new LayerFs(bottom, new FakeHost())));
    expect(a.read('/seed/dir/b.txt')).toBe(b.read('/seed/dir/b.txt'));
  });
});

describe('layerTreeFromHost (--rootfs)', () => {
  it('reads a host directory lazily into a lower that is never modified', () => {
    const tmp = nfs.mkdtempSync(path.join(os.tmpdir(), 'wasmvisor-rootfs-'));
    try {
      nfs.mkdirSync(path.join(tmp, 'etc'));
      nfs.writeFileSync(path.join(tmp, 'etc', 'conf'), 'conf');
      nfs.linkSync(path.join(tmp, 'etc', 'conf'), path.join(tmp, 'hard'));
      nfs.symlinkSync('/etc/conf', path.join(tmp, 'abs'));
      const hostfs = new NodeHostFs();
      const t = layerTreeFromHost(hostfs, tmp);
      const fx = new Fx(new MountNamespace(new OverlayFs([t], new FakeHost())));
      expect(fx.read('/etc/conf')).toBe('conf');
      expect(fx.read('/abs')).toBe('conf');
      expect(fx.stat('/hard').ino).toBe(fx.stat('/etc/conf').ino);
      fx.write('/etc/conf', 'changed', OFlags.TRUNC);
      fx.write('/new', 'n');
      fx.unlink('/abs');
      expect(fx.read('/hard')).toBe('changed');
      expect(nfs.readFileSync(path.join(tmp, 'etc', 'conf'), 'utf8')).toBe('conf');
      expect(nfs.readdirSync(tmp).sort()).toEqual(['abs', 'etc', 'hard']);
    } finally {
      nfs.rmSync(tmp, { recursive: true, force: true });
    }
  });
});
