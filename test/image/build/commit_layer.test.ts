import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import tarStream from 'tar-stream';
import { afterAll, describe, expect, it } from 'vitest';
import { TmpFs, type TmpDir, type TmpFile } from '../../../kernel/fs/tmpfs.js';
import { createNodeHost } from '../../../src/host/node_host.js';
import { commitLayer } from '../../../src/image/build/commit_layer.js';
import { upperEntries } from '../../../src/image/build/upper_layer.js';
import { writeTar } from '../../../src/image/build/tar_writer.js';
import { resolveImage } from '../../../src/image/content/manifest_store.js';
import { openStore } from '../../../src/image/content/store_root.js';
import { upperBaseline } from '../../../src/runtime/tree_diff.js';
import { SETUP } from '../../../src/runtime/root_setup.js';

const host = createNodeHost();
const cred = SETUP;
const dirs: string[] = [];
afterAll(() => { for (const d of dirs) rmSync(d, { recursive: true, force: true }); });

/** Entries of a tar as `type path [-> link] [content]`. */
async function listTar(tar: Uint8Array): Promise<string[]> {
  const ex = tarStream.extract();
  const out: string[] = [];
  ex.on('entry', (h, stream, next) => {
    const chunks: Buffer[] = [];
    stream.on('data', (c: unknown) => { chunks.push(c as Buffer); });
    stream.on('end', () => {
      const body = Buffer.concat(chunks).toString();
      out.push(`${h.type} ${h.name} ${(h.mode ?? 0).toString(8)} ${h.uid}:${h.gid}${h.linkname ? ` -> ${h.linkname}` : ''}${body ? ` ${body}` : ''}`);
      next();
    });
  });
  const done = new Promise<void>((res, rej) => { ex.on('finish', () => res()); ex.on('error', rej); });
  ex.end(Buffer.from(tar));
  await done;
  return out;
}

function sample(): TmpFs {
  const fs = new TmpFs(host);
  const root = fs.root;
  (root.mkdir('proc', 0o555, cred) as TmpDir);
  const etc = root.mkdir('etc', 0o755, cred) as TmpDir;
  (etc.create('hostname', 0o644, cred) as TmpFile).writeAt(0, new TextEncoder().encode('seeded\n'));
  return fs;
}

describe('upperEntries + writeTar', () => {
  it('writes files, dirs, symlinks, hard links, whiteouts and opaque dirs; leaves out the unchanged baseline and /proc', async () => {
    const fs = sample();
    const base = upperBaseline(fs);
    const root = fs.root;
    const app = root.mkdir('app', 0o750, { ...SETUP, uid: 5, gid: 6 }) as TmpDir;
    const f = app.create('a.txt', 0o640, cred) as TmpFile;
    f.writeAt(0, new TextEncoder().encode('hello'));
    app.link('b.txt', f);
    app.symlink('c', '/app/a.txt', cred);
    root.mkWhiteout('gone');
    const opq = root.mkdir('opq', 0o755, cred) as TmpDir;
    opq.opaque = true;
    const long = `d/${'x'.repeat(120)}`;
    const d = root.mkdir('d', 0o755, cred) as TmpDir;
    d.create('x'.repeat(120), 0o600, cred);
    const entries = upperEntries(fs, { baseline: base, mtime: 0 });
    const listed = await listTar(writeTar(entries));
    expect(listed).toEqual([
      'directory app/ 750 5:6',
      'file app/a.txt 640 0:0 hello',
      'link app/b.txt 640 0:0 -> app/a.txt',
      'symlink app/c 777 0:0 -> /app/a.txt',
      'directory d/ 755 0:0',
      `file ${long} 600 0:0`,
      'file .wh.gone 0 0:0',
      'directory opq/ 755 0:0',
      'file opq/.wh..wh..opq 0 0:0',
    ]);
    // a changed seeded file goes in, with its parent
    (root.lookup('etc') as TmpDir).lookup('hostname');
    ((root.lookup('etc') as TmpDir).lookup('hostname') as TmpFile).writeAt(0, new TextEncoder().encode('changed\n'));
    const again = await listTar(writeTar(upperEntries(fs, { baseline: base, mtime: 0 })));
    expect(again.slice(0, 2)).toEqual(['directory app/ 750 5:6', 'file app/a.txt 640 0:0 hello']);
    expect(again).toContain('directory etc/ 755 0:0');
    expect(again).toContain('file etc/hostname 644 0:0 changed\n');
    expect(again.some((l) => l.includes('proc'))).toBe(false);
  });
});

describe('commitLayer', () => {
  it('stores a new image on scratch with the config settings; the same inputs give the same digest', async () => {
    const root = mkdtempSync(path.join(tmpdir(), 'wv-commit-'));
    dirs.push(root);
    const store = await openStore(root);
    const fs = sample();
    const opts = {
      layer: upperEntries(fs, { mtime: 0 }), createdBy: 'test', entrypoint: ['/app.wasm'], env: ['A=1'],
      tags: ['localhost/committed:1'], created: '2020-01-01T00:00:00.000Z',
    };
    const a = await commitLayer(store, opts);
    const b = await commitLayer(store, opts);
    expect(b.manifest.digest).toBe(a.manifest.digest);
    const img = await resolveImage(store, 'localhost/committed:1');
    expect(img.config.config).toEqual({ Entrypoint: ['/app.wasm'], Env: ['A=1'] });
    expect(img.manifest.layers).toHaveLength(1);
    const tar = gunzipSync(await store.content.readAll(img.manifest.layers[0]!.digest, 1 << 20));
    expect(await listTar(new Uint8Array(tar))).toEqual(['directory etc/ 755 0:0', 'file etc/hostname 644 0:0 seeded\n']);
    // a second layer on it keeps the first and the config
    const c = await commitLayer(store, { base: 'localhost/committed:1', layer: [], createdBy: 'two', cmd: ['x'], tags: ['localhost/committed:2'], created: opts.created });
    const img2 = await resolveImage(store, 'localhost/committed:2');
    expect(img2.manifest.layers.map((l) => l.digest)).toEqual([img.manifest.layers[0]!.digest, c.layers[1]!.digest]);
    expect(img2.config.config).toEqual({ Entrypoint: ['/app.wasm'], Env: ['A=1'], Cmd: ['x'] });
    expect(img2.config.history?.map((h) => h.created_by)).toEqual(['test', 'two']);
  });
});
