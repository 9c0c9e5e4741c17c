/**
 * The content store on a local filesystem (see content_store.ts for the
 * roles and the walk through a layer import). This file holds the committed
 * side, {@link Provider} and {@link Manager}, and the commit step that moves
 * a verified ingest into place; the ingest area and its writer are in
 * content_ingest.ts.
 *
 * Layout under the store root:
 * ```
 * content/blobs/sha256/<hex>        committed blobs, mode 0444
 * content/labels/sha256/<hex>.json  labels of a blob, if any
 * content/ingest/<sha256(ref)>/     data, ref, meta.json, lock
 * ```
 */
import { createReadStream, promises as fsp } from 'node:fs';
import path from 'node:path';
import { digestHex, isDigest, type Digest } from './digest.js';
import { ContentStoreError } from './content_error.js';
import { errCode, writeFileAtomic } from './content_files.js';
import { FsIngestArea, type BlobCommitter } from './content_ingest.js';
import type { ContentStore, Info, IngestStatus, ReaderAt, StreamOptions, Writer, WriterOptions } from './content_store.js';

/** The content store on a local filesystem under `<root>/content`. */
export class FsContentStore implements ContentStore, BlobCommitter {
  /** Directory of committed blobs (`<root>/content/blobs/sha256`). */
  readonly blobDir: string;
  /** Directory of ingests in progress. */
  readonly ingestDir: string;
  private readonly labelDir: string;
  private readonly ingests: FsIngestArea;

  constructor(readonly root: string) {
    this.blobDir = path.join(root, 'content', 'blobs', 'sha256');
    this.ingestDir = path.join(root, 'content', 'ingest');
    this.labelDir = path.join(root, 'content', 'labels', 'sha256');
    this.ingests = new FsIngestArea(root, this.ingestDir, this);
  }

  /** Path of a committed blob (whether or not it exists). */
  blobPath(digest: Digest): string {
    return path.join(this.blobDir, digestHex(digest));
  }

  private labelPath(digest: Digest): string {
    return path.join(this.labelDir, `${digestHex(digest)}.json`);
  }

  private notFound(digest: Digest): ContentStoreError {
    return new ContentStoreError('NOT_FOUND', `content ${digest} is not in the store at ${this.root}; pull the image again`);
  }

  // Provider

  async info(digest: Digest): Promise<Info> {
    let st;
    try {
      st = await fsp.stat(this.blobPath(digest));
    } catch (err) {
      if (errCode(err) === 'ENOENT') throw this.notFound(digest);
      throw err;
    }
    return { digest, size: st.size, createdAt: st.birthtime, updatedAt: st.mtime, labels: await this.readLabels(digest) };
  }

  async has(digest: Digest): Promise<boolean> {
    try {
      await fsp.access(this.blobPath(digest));
      return true;
    } catch {
      return false;
    }
  }

  async readerAt(digest: Digest): Promise<ReaderAt> {
    let fh: fsp.FileHandle;
    try {
      fh = await fsp.open(this.blobPath(digest), 'r');
    } catch (err) {
      if (errCode(err) === 'ENOENT') throw this.notFound(digest);
      throw err;
    }
    const { size } = await fh.stat();
    return {
      size,
      readAt: async (buf, offset) => (await fh.read(buf, 0, buf.length, offset)).bytesRead,
      close: () => fh.close(),
    };
  }

  async *stream(digest: Digest, opts: StreamOptions = {}): AsyncIterable<Uint8Array> {
    const file = this.blobPath(digest);
    if (!(await this.has(digest))) throw this.notFound(digest);
    const start = opts.offset ?? 0;
    const end = opts.length === undefined ? undefined : start + opts.length - 1;
    if (end !== undefined && end < start) return;
    for await (const chunk of createReadStream(file, { start, end, highWaterMark: 1 << 20 })) {
      yield chunk as Buffer;
    }
  }

  async readAll(digest: Digest, maxSize: number): Promise<Uint8Array> {
    const { size } = await this.info(digest);
    if (size > maxSize) {
      throw new ContentStoreError('TOO_LARGE', `content ${digest} is ${size} bytes, over the limit of ${maxSize} bytes for this kind of blob`);
    }
    return fsp.readFile(this.blobPath(digest));
  }

  // Ingester and IngestManager: the ingest area

  /** Directory of the ingest named `ref` (whether or not it exists). */
  ingestPath(ref: string): string {
    return this.ingests.ingestPath(ref);
  }

  writer(opts: WriterOptions): Promise<Writer> {
    return this.ingests.writer(opts);
  }

  /** Move a verified ingest file into place (used by the writer). */
  async commitFile(dataFile: string, digest: Digest, labels?: Record<string, string>): Promise<void> {
    const target = this.blobPath(digest);
    await fsp.mkdir(this.blobDir, { recursive: true });
    if (await this.has(digest)) {
      await fsp.rm(dataFile, { force: true });
    } else {
      await fsp.chmod(dataFile, 0o444);
      await fsp.rename(dataFile, target);
    }
    if (labels && Object.keys(labels).length > 0) await this.update(digest, labels);
  }

  status(ref: string): Promise<IngestStatus> {
    return this.ingests.status(ref);
  }

  listStatuses(): Promise<IngestStatus[]> {
    return this.ingests.listStatuses();
  }

  abort(ref: string): Promise<void> {
    return this.ingests.abort(ref);
  }

  // Manager

  async list(): Promise<Info[]> {
    const names = await fsp.readdir(this.blobDir).catch(() => [] as string[]);
    const out: Info[] = [];
    for (const n of names.sort()) {
      const d = `sha256:${n}`;
      if (!isDigest(d)) continue;
      try {
        out.push(await this.info(d));
      } catch (err) {
        if (!(err instanceof ContentStoreError && err.code === 'NOT_FOUND')) throw err;
      }
    }
    return out;
  }

  async delete(digest: Digest): Promise<void> {
    try {
      await fsp.unlink(this.blobPath(digest));
    } catch (err) {
      if (errCode(err) === 'ENOENT') throw this.notFound(digest);
      throw err;
    }
    await fsp.rm(this.labelPath(digest), { force: true });
  }

  async update(digest: Digest, labels: Record<string, string | null>): Promise<Info> {
    if (!(await this.has(digest))) throw this.notFound(digest);
    const cur = await this.readLabels(digest);
    for (const [k, v] of Object.entries(labels)) {
      if (v === null) delete cur[k];
      else cur[k] = v;
    }
    const file = this.labelPath(digest);
    if (Object.keys(cur).length === 0) {
      await fsp.rm(file, { force: true });
    } else {
      await fsp.mkdir(this.labelDir, { recursive: true });
      await writeFileAtomic(file, JSON.stringify(cur));
    }
    return this.info(digest);
  }

  private async readLabels(digest: Digest): Promise<Record<string, string>> {
    const file = this.labelPath(digest);
    try {
      return JSON.parse(await fsp.readFile(file, 'utf8')) as Record<string, string>;
    } catch {
      return {};
    }
  }
}
