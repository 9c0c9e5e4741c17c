/**
 * Sinks that `save` and `pack` write an image layout into: a directory, or
 * a tar archive written to a temporary sibling and renamed into place when
 * complete (a failed save leaves no partial archive). Archive entries are
 * written in the order given with a fixed mtime, so the same images give
 * the same bytes.
 */
import { createWriteStream, promises as fsp } from 'node:fs';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import tarStream, { type Header } from 'tar-stream';
import { LayoutError } from './layout_source.js';

/** Where layout files go. */
export interface LayoutSink {
  /** Write a small file. */
  addFile(name: string, bytes: Uint8Array): Promise<void>;
  /** Write a file of `size` bytes from a stream. */
  addStream(name: string, size: number, src: AsyncIterable<Uint8Array>): Promise<void>;
  /** Finish: the output appears complete. */
  close(): Promise<void>;
  /** Give up: remove what was written. */
  abort(): Promise<void>;
}

/** Writes into a directory (created if needed). */
export class DirSink implements LayoutSink {
  private readonly written: string[] = [];

  constructor(private readonly dir: string) {}

  private async target(name: string): Promise<string> {
    const file = path.join(this.dir, ...name.split('/'));
    await fsp.mkdir(path.dirname(file), { recursive: true });
    return file;
  }

  async addFile(name: string, bytes: Uint8Array): Promise<void> {
    const file = await this.target(name);
    const tmp = `${file}.tmp-${randomBytes(4).toString('hex')}`;
    await fsp.writeFile(tmp, bytes);
    await fsp.rename(tmp, file);
    this.written.push(file);
  }

  async addStream(name: string, size: number, src: AsyncIterable<Uint8Array>): Promise<void> {
    const file = await this.target(name);
    if (name.startsWith('blobs/') && (await fsp.stat(file).then((s) => s.size === size, () => false))) {
      for await (const _ of src) { /* drain */ }
      return; // content-addressed: already there
    }
    const tmp = `${file}.tmp-${randomBytes(4).toString('hex')}`;
    const fh = await fsp.open(tmp, 'w');
    let n = 0;
    try {
      for await (const c of src) { await fh.write(c); n += c.length; }
    } finally {
      await fh.close();
    }
    if (n !== size) {
      await fsp.rm(tmp, { force: true });
      throw new LayoutError('INVALID', `${name}: wrote ${n} bytes, expected ${size}`);
    }
    await fsp.rename(tmp, file);
    this.written.push(file);
  }

  async close(): Promise<void> {}

  async abort(): Promise<void> {
    for (const f of this.written) await fsp.rm(f, { force: true });
  }
}

/** Writes a tar archive to `file` (via a temporary sibling). */
export class TarSink implements LayoutSink {
  private readonly pack = tarStream.pack();
  private readonly tmp: string;
  private readonly done: Promise<void>;
  private readonly dirs = new Set<string>();

  constructor(private readonly file: string, private readonly mtime = new Date(0)) {
    this.tmp = `${file}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`;
    const out = createWriteStream(this.tmp);
    this.done = new Promise<void>((resolve, reject) => {
      out.on('close', resolve);
      out.on('error', reject);
      this.pack.on('error', reject);
    });
    this.pack.pipe(out);
  }

  private entry(header: Partial<Header> & Pick<Header, 'name'>, body?: Uint8Array): Promise<void> {
    return new Promise((resolve, reject) => {
      if (body) this.pack.entry(header, Buffer.from(body.buffer, body.byteOffset, body.byteLength), (e) => (e ? reject(e) : resolve()));
      else this.pack.entry(header, (e) => (e ? reject(e) : resolve()));
    });
  }

  private async parents(name: string): Promise<void> {
    const parts = name.split('/');
    for (let i = 1; i < parts.length; i++) {
      const d = parts.slice(0, i).join('/');
      if (this.dirs.has(d)) continue;
      this.dirs.add(d);
      await this.entry({ name: `${d}/`, type: 'directory', mode: 0o755, mtime: this.mtime });
    }
  }

  async addFile(name: string, bytes: Uint8Array): Promise<void> {
    await this.parents(name);
    await this.entry({ name, type: 'file', mode: 0o644, mtime: this.mtime, size: bytes.length }, bytes);
  }

  async addStream(name: string, size: number, src: AsyncIterable<Uint8Array>): Promise<void> {
    await this.parents(name);
    let n = 0;
    await new Promise<void>((resolve, reject) => {
      const w = this.pack.entry({ name, type: 'file', mode: 0o644, mtime: this.mtime, size }, (e) => (e ? reject(e) : resolve()));
      (async () => {
        for await (const c of src) {
          n += c.length;
          if (n > size) throw new LayoutError('INVALID', `${name}: more than the ${size} bytes announced`);
          if (!w.write(c)) await new Promise<void>((r) => w.once('drain', () => r()));
        }
        if (n !== size) throw new LayoutError('INVALID', `${name}: ${n} bytes, expected ${size}`);
        (w as unknown as { end(): void }).end();
      })().catch((err: Error) => { w.destroy(err); reject(err); });
    });
  }

  async close(): Promise<void> {
    this.pack.finalize();
    await this.done;
    await fsp.rename(this.tmp, this.file);
  }

  async abort(): Promise<void> {
    this.pack.destroy();
    await this.done.catch(() => {});
    await fsp.rm(this.tmp, { force: true });
  }
}
