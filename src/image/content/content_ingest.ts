/**
 * The ingest area of the filesystem content store: the {@link Ingester} and
 * {@link IngestManager} roles and the {@link Writer} they hand out (see
 * content_store.ts for the protocol).
 *
 * Each ingest is a directory `content/ingest/<sha256(ref)>/` holding `data`
 * (the bytes so far), `meta.json` (ref, total, expected digest, start time)
 * and `lock` (the pid of the writer holding it). Nothing here is visible to
 * readers: a verified blob leaves the area through {@link BlobCommitter}.
 */
import { createReadStream, promises as fsp } from 'node:fs';
import { createHash } from 'node:crypto';
import path from 'node:path';
import { Digester, validateDigest, type Digest } from './digest.js';
import { ContentStoreError } from './content_error.js';
import { tryLock, writeFileAtomic } from './content_files.js';
import type { IngestManager, IngestStatus, Ingester, Writer, WriterOptions } from './content_store.js';

/** What a writer hands a verified ingest file to: the committed side of the store. */
export interface BlobCommitter {
  /** Move the verified file `dataFile` into place as `digest` (no error if already present). */
  commitFile(dataFile: string, digest: Digest, labels?: Record<string, string>): Promise<void>;
}

interface IngestMeta {
  ref: string;
  total?: number;
  expected?: Digest;
  startedAt: string;
}

/** The ingests in progress under one directory (`<root>/content/ingest`). */
export class FsIngestArea implements Ingester, IngestManager {
  /**
   * @param root the store root, for messages
   * @param dir the ingest directory
   * @param committer where verified blobs go
   */
  constructor(
    private readonly root: string,
    readonly dir: string,
    private readonly committer: BlobCommitter,
  ) {}

  /** Directory of the ingest named `ref` (whether or not it exists). */
  ingestPath(ref: string): string {
    return path.join(this.dir, createHash('sha256').update(ref).digest('hex'));
  }

  async writer(opts: WriterOptions): Promise<Writer> {
    if (opts.expected !== undefined) validateDigest(opts.expected);
    const dir = this.ingestPath(opts.ref);
    await fsp.mkdir(dir, { recursive: true });
    if (!(await tryLock(path.join(dir, 'lock')))) {
      throw new ContentStoreError('LOCKED', `ingest ${opts.ref} is being written by another process; wait for it or run prune to clear stale ingests`);
    }
    try {
      const metaFile = path.join(dir, 'meta.json');
      const old = await fsp.readFile(metaFile, 'utf8').then((s) => JSON.parse(s) as IngestMeta).catch(() => undefined);
      const sameTarget = old !== undefined && old.expected === opts.expected;
      if (!sameTarget) await fsp.rm(path.join(dir, 'data'), { force: true });
      const meta: IngestMeta = {
        ref: opts.ref,
        total: opts.total,
        expected: opts.expected,
        startedAt: sameTarget && old ? old.startedAt : new Date().toISOString(),
      };
      await writeFileAtomic(metaFile, JSON.stringify(meta));
      return await FsWriter.open(this.committer, dir, opts.ref, opts.total);
    } catch (err) {
      await fsp.rm(path.join(dir, 'lock'), { force: true });
      throw err;
    }
  }

  async status(ref: string): Promise<IngestStatus> {
    const s = await this.statusOf(this.ingestPath(ref));
    if (!s) throw new ContentStoreError('NOT_FOUND', `no ingest named ${ref} in ${this.root}`);
    return s;
  }

  private async statusOf(dir: string): Promise<IngestStatus | undefined> {
    try {
      const meta = JSON.parse(await fsp.readFile(path.join(dir, 'meta.json'), 'utf8')) as IngestMeta;
      const st = await fsp.stat(path.join(dir, 'data')).catch(() => undefined);
      return {
        ref: meta.ref,
        offset: st?.size ?? 0,
        total: meta.total,
        expected: meta.expected,
        startedAt: new Date(meta.startedAt),
        updatedAt: st?.mtime ?? new Date(meta.startedAt),
      };
    } catch {
      return undefined;
    }
  }

  async listStatuses(): Promise<IngestStatus[]> {
    const names = await fsp.readdir(this.dir).catch(() => [] as string[]);
    const out: IngestStatus[] = [];
    for (const n of names) {
      const s = await this.statusOf(path.join(this.dir, n));
      if (s) out.push(s);
    }
    return out;
  }

  async abort(ref: string): Promise<void> {
    await fsp.rm(this.ingestPath(ref), { recursive: true, force: true });
  }
}

/** Buffered bytes that trigger a write to the ingest file. */
const FLUSH_BYTES = 1 << 20;

/** The filesystem writer: appends to `<ingest>/data` in batches, hashing as it goes. */
class FsWriter implements Writer {
  private digester = new Digester();
  private closed = false;
  private pending: Uint8Array[] = [];
  private pendingBytes = 0;

  private constructor(
    private readonly committer: BlobCommitter,
    private readonly dir: string,
    readonly ref: string,
    private fh: fsp.FileHandle,
    private readonly total?: number,
  ) {}

  /** Open the ingest's data file for appending, re-hashing what is already there. */
  static async open(committer: BlobCommitter, dir: string, ref: string, total?: number): Promise<FsWriter> {
    const dataFile = path.join(dir, 'data');
    const fh = await fsp.open(dataFile, 'a', 0o644);
    const w = new FsWriter(committer, dir, ref, fh, total);
    const { size } = await fh.stat();
    if (size > 0) {
      for await (const chunk of createReadStream(dataFile, { highWaterMark: 1 << 20 })) w.digester.update(chunk as Buffer);
    }
    return w;
  }

  get offset(): number {
    return this.digester.size;
  }

  private live(): void {
    if (this.closed) throw new ContentStoreError('INVALID', `writer for ${this.ref} is already closed`);
  }

  async write(chunk: Uint8Array): Promise<void> {
    this.live();
    this.digester.update(chunk);
    this.pending.push(chunk);
    this.pendingBytes += chunk.byteLength;
    if (this.pendingBytes >= FLUSH_BYTES || this.digester.size === this.total) await this.flush();
  }

  /** Write the buffered chunks to the ingest file (one writev). */
  private async flush(): Promise<void> {
    let bufs = this.pending;
    this.pending = [];
    this.pendingBytes = 0;
    while (bufs.length > 0) {
      let { bytesWritten } = await this.fh.writev(bufs);
      // a short write: drop what went out and write the rest
      while (bufs.length > 0 && bytesWritten >= bufs[0].byteLength) bytesWritten -= bufs.shift()!.byteLength;
      if (bytesWritten > 0) bufs[0] = bufs[0].subarray(bytesWritten);
    }
  }

  digest(): Digest {
    return this.digester.digest();
  }

  async reset(): Promise<void> {
    this.live();
    this.pending = [];
    this.pendingBytes = 0;
    await this.fh.truncate(0);
    this.digester = new Digester();
  }

  async commit(size: number, expected: Digest, opts: { labels?: Record<string, string> } = {}): Promise<void> {
    this.live();
    validateDigest(expected);
    this.closed = true;
    const dataFile = path.join(this.dir, 'data');
    try {
      await this.flush();
      await this.fh.sync();
    } finally {
      await this.fh.close();
    }
    const got = this.digester.size;
    const actual = this.digester.digest();
    if (got !== size) {
      await this.removeIngest();
      throw new ContentStoreError('SIZE_MISMATCH', `content ${expected} has ${got} bytes but ${size} were expected; the source sent a truncated or padded blob, nothing was stored`);
    }
    if (actual !== expected) {
      await this.removeIngest();
      throw new ContentStoreError('DIGEST_MISMATCH', `content expected as ${expected} has digest ${actual}; the source sent corrupt data, nothing was stored`);
    }
    try {
      await this.committer.commitFile(dataFile, expected, opts.labels);
    } finally {
      await this.removeIngest();
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    try {
      await this.flush();
    } finally {
      await this.fh.close();
      await fsp.rm(path.join(this.dir, 'lock'), { force: true });
    }
  }

  private async removeIngest(): Promise<void> {
    await fsp.rm(this.dir, { recursive: true, force: true });
  }
}
