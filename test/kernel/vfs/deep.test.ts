/** Very deep trees must not overflow the JS stack anywhere (path display, copy-up). */
import { describe, expect, it } from 'vitest';
import type { LayerDir } from '../../../kernel/fs/layer_tree.js';
import { OverlayFs } from '../../../kernel/fs/overlay.js';
import { TmpFs } from '../../../kernel/fs/tmpfs.js';
import { MountNamespace } from '../../../kernel/vfs/mount_ns.js';
import { type DirHandle, OFlags, type OpenFile } from '../../../kernel/vfs/types.js';
import { FakeHost } from '../../support/fake_host.js';
import { dir, file, tree } from '../fs/layer_fixtures.js';
import { ROOT } from './helpers.js';

const DEPTH = 20_000;
const dirOpts = { oflags: OFlags.DIRECTORY, fdflags: 0, followSymlinks: false, mode: { read: true, write: false } };

describe('deep trees', () => {
  it('tmpfs: 20,000 nested relative opens describe themselves', () => {
    const ns = new MountNamespace(new TmpFs(new FakeHost()));
    let h: DirHandle = ns.rootHandle();
    let last: OpenFile | null = null;
    for (let i = 0; i < DEPTH; i++) {
      ns.pathOps.mkdir(ROOT, h, 'd', 0o755);
      last = ns.pathOps.open(ROOT, h, 'd', dirOpts);
      h = last.dir!;
    }
    expect(last!.describe().length).toBe(2 * DEPTH);
  });

  it('overlay: copy-up of a file 20,000 directories down', () => {
    const root = dir({});
    let d: LayerDir = root;
    for (let i = 0; i < DEPTH; i++) {
      const c = dir({});
      d.entries.set('d', c);
      d = c;
    }
    d.entries.set('f', file('deep'));
    const ns = new MountNamespace(new OverlayFs([tree('deep', root)], new FakeHost()));
    let h: DirHandle = ns.rootHandle();
    for (let i = 0; i < DEPTH; i++) h = ns.pathOps.open(ROOT, h, 'd', dirOpts).dir!;
    const f = ns.pathOps.open(ROOT, h, 'f', { oflags: 0, fdflags: 0, followSymlinks: false, mode: { read: true, write: true } });
    f.pwrite(new TextEncoder().encode('D'), 0n);
    expect(new TextDecoder().decode(f.pread(10, 0n))).toBe('Deep');
  });
});
