/**
 * Issue 9, points 1-3: host symlinks swapped into a bind or a `--rootfs`
 * directory must never lead outside it. Each test plants a unique secret in
 * the test's temp dir, outside the bind, and counts reads that return it.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import * as nfs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { layerTreeFromHost } from '../../kernel/fs/host_layer.js';
import { HostFsMount } from '../../kernel/fs/hostfs.js';
import type { LayerDir, LayerFile } from '../../kernel/fs/layer_tree.js';
import { TmpFs } from '../../kernel/fs/tmpfs.js';
import type { HostFs } from '../../kernel/host.js';
import { MountNamespace } from '../../kernel/vfs/mount_ns.js';
import { NodeHostFs } from '../../src/host/node_hostfs.js';
import { FakeHost } from '../support/fake_host.js';
import { Fx } from '../kernel/vfs/helpers.js';

let tmp: string;
let src: string;
let secret: string;

beforeEach(() => {
  tmp = nfs.mkdtempSync(path.join(os.tmpdir(), 'wasmvisor-hostfs-escape-'));
  src = path.join(tmp, 'bind');
  secret = `SECRET-${randomBytes(8).toString('hex')}`;
  nfs.mkdirSync(path.join(src, 'd'), { recursive: true });
  nfs.writeFileSync(path.join(src, 'd', 'f'), 'inside');
  nfs.mkdirSync(path.join(tmp, 'outside'));
  nfs.writeFileSync(path.join(tmp, 'outside', 'f'), secret);
});

afterEach(() => {
  nfs.rmSync(tmp, { recursive: true, force: true });
});

/** A container: its own namespace with `hostfs` bound at /data. */
function container(hostfs: HostFs): Fx {
  const host = new FakeHost({ hostfs });
  const ns = new MountNamespace(new TmpFs(host));
  ns.mount('/data', new HostFsMount(hostfs, src, host), { mkdirs: true });
  return new Fx(ns);
}

/** Read `p`, '' on any error (a swapped-away path may fail; it must never escape). */
function tryRead(fx: Fx, p: string): string {
  try {
    return fx.read(p);
  } catch {
    return '';
  }
}

/** Wrap `real` so that `after()` runs after every call (a worst-case scheduler). */
function interleaved(real: HostFs, after: () => void): HostFs {
  let inside = false;
  return new Proxy(real, {
    get(t, k) {
      const v = (t as unknown as Record<string | symbol, unknown>)[k];
      if (typeof v !== 'function') return v;
      return (...args: unknown[]) => {
        try {
          return (v as (...a: unknown[]) => unknown).apply(t, args);
        } finally {
          if (!inside) {
            inside = true;
            try {
              after();
            } finally {
              inside = false;
            }
          }
        }
      };
    },
  });
}

describe('--rootfs host layer (issue 9.1)', () => {
  it('a rootfs directory replaced by a symlink through a rw bind of the same host directory reads nothing outside', () => {
    const hostfs = new NodeHostFs();
    const tree = layerTreeFromHost(hostfs, src);
    const file = (tree.root.entries.get('d') as LayerDir).entries.get('f') as LayerFile;
    const read = () => {
      try {
        return new TextDecoder().decode((file.data as (o: number, l: number) => Uint8Array)(0, 100));
      } catch {
        return '';
      }
    };
    expect(read()).toBe('inside');
    // The guest, through `-v R:/mnt/r`: move the directory away, put a symlink (written verbatim) in its place.
    const guest = container(hostfs);
    guest.rename('/data/d', '/data/d_old');
    guest.symlink('../outside', '/data/d');
    expect(nfs.readlinkSync(path.join(src, 'd'))).toBe('../outside');
    for (let i = 0; i < 3; i++) expect(read()).not.toBe(secret);
  });
});

describe('rw bind shared by two containers (issue 9.2)', () => {
  it('container B flipping a directory and a symlink between host calls of A: A never reads outside', () => {
    const real = new NodeHostFs();
    let b: Fx | null = null;
    let linked = false;
    let seed = 7;
    // B's operations run between A's host calls, after one call in three (seeded, so every interleaving comes up).
    const flip = () => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      if (b === null || seed % 3 !== 0) return;
      if (!linked) {
        b.rename('/data/d', '/data/d_real');
        b.symlink('../outside', '/data/d');
      } else {
        b.unlink('/data/d');
        b.rename('/data/d_real', '/data/d');
      }
      linked = !linked;
    };
    const a = container(interleaved(real, flip));
    b = container(real);
    let escapes = 0;
    let inside = 0;
    for (let i = 0; i < 2000; i++) {
      const got = tryRead(a, '/data/d/f');
      if (got === secret) escapes++;
      if (got === 'inside') inside++;
    }
    expect(escapes).toBe(0);
    expect(inside).toBeGreaterThan(0);
  });
});

describe('host process swapping a bound directory and a symlink (issue 9.3)', () => {
  it('20,000 opens while a host process swaps: zero reads outside the bind', async () => {
    nfs.symlinkSync('../outside', path.join(src, 'lnk'));
    const swapper = `
      const fs = require('node:fs');
      const [d, real, lnk, stop] = process.argv.slice(1);
      const end = Date.now() + 60000;
      while (Date.now() < end && !fs.existsSync(stop)) {
        try { fs.renameSync(d, real); fs.renameSync(lnk, d); fs.renameSync(d, lnk); fs.renameSync(real, d); } catch {}
      }`;
    const stop = path.join(tmp, 'stop');
    const child = spawn(process.execPath, ['-e', swapper, path.join(src, 'd'), path.join(src, 'd_real'), path.join(src, 'lnk'), stop], { stdio: 'ignore' });
    const exited = new Promise<void>((res) => child.on('exit', () => res()));
    try {
      await new Promise((r) => setTimeout(r, 100));
      const a = container(new NodeHostFs());
      let escapes = 0;
      let inside = 0;
      for (let i = 0; i < 20_000; i++) {
        const got = tryRead(a, '/data/d/f');
        if (got === secret) escapes++;
        if (got === 'inside') inside++;
      }
      expect(escapes).toBe(0);
      expect(inside).toBeGreaterThan(0);
    } finally {
      nfs.writeFileSync(stop, '');
      await exited;
    }
  }, 120_000);
});
