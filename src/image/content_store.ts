/**
 * The content store: blobs addressed by their sha256 digest, in the style of
 * containerd's `core/content`.
 *
 * The store is split into small roles so that each user asks only for what
 * it needs:
 *
 * - {@link Provider} reads committed content: `info`, `has`, `readerAt` for
 *   random access (a lazy layer reader), `stream` for sequential reads (an
 *   unpacker), `readAll` for small JSON blobs with a size cap.
 * - {@link Ingester} writes new content. Nothing becomes visible until it is
 *   verified: bytes go to a private ingest area, and only `commit(size,
 *   digest)` moves them into place, after checking the size and the sha256
 *   computed while streaming, with an atomic rename.
 * - {@link IngestManager} lists, inspects and aborts ingests in progress.
 * - {@link Manager} lists and deletes committed content and edits its labels
 *   (used by garbage collection and for bookkeeping).
 *
 * A layer import walks through it like this. The puller knows the layer's
 * descriptor (digest D, size N) from the manifest. It first asks
 * `has(D)`: a present blob is never fetched again. Otherwise it opens
 * `writer({ ref: 'layer-D', expected: D, total: N })`. The ref names the
 * ingest, not the content: a second writer on the same ref, in this process
 * or another one, fails with `LOCKED` until the first closes, which is how
 * two concurrent pulls of one blob end up sharing one download (the second
 * waits, then finds the blob committed). If an earlier pull was killed half
 * way, the writer reopens its data: `writer.offset` says how many bytes are
 * already there (their hash has been recomputed), and the puller asks the
 * registry for the rest with `Range: bytes=OFFSET-`. If the server ignores
 * the range, the puller calls `reset()` and starts over. Each chunk goes
 * through `write`, which appends it to the ingest file and feeds the running
 * digest. At the end the puller calls `commit(N, D)`. On success the blob is
 * read-only at `<root>/content/blobs/sha256/<hex>` and the ingest is gone;
 * committing content that is already present is not an error. On a size or
 * digest mismatch the ingest is removed and a {@link ContentStoreError} is
 * thrown: the store is exactly as it was before the pull. A pull that is
 * interrupted instead (network failure, process killed) calls `close()` or
 * nothing at all: the ingest stays, and is the only trace the pull leaves.
 *
 * Layout under the store root:
 * ```
 * content/blobs/sha256/<hex>        committed blobs, mode 0444
 * content/labels/sha256/<hex>.json  labels of a blob, if any
 * content/ingest/<sha256(ref)>/     data, ref, meta.json, lock
 * ```
 */
import { createReadStream, promises as fsp } from 'node:fs';
import { createHash, randomBytes } from 'node:crypto';
import path from 'node:path';
import { Digester, digestHex, isDigest, validateDigest, type Digest } from './digest.js';

/** Stable codes of {@link ContentStoreError}. */
export type ContentStoreErrorCode =
  | 'NOT_FOUND'
  | 'DIGEST_MISMATCH'
  | 'SIZE_MISMATCH'
  | 'LOCKED'
  | 'TOO_LARGE'
  | 'INVALID';

/** A content store failure; `code` is stable, `message` says what to do. */
export class ContentStoreError extends Error {
  constructor(readonly code: ContentStoreErrorCode, message: string) {
    super(message);
    this.name = 'ContentStoreError';
  }
}

/** What the store knows about one committed blob. */
export interface Info {
  digest: Digest;
  size: number;
  createdAt: Date;
  updatedAt: Date;
  labels: Record<string, string>;
}

/** Random access to one committed blob. */
export interface ReaderAt {
  /** Size of the blob in bytes. */
  readonly size: number;
  /** Read up to `buf.length` bytes at `offset` into `buf`; resolves to the count read (0 at the end). */
  readAt(buf: Uint8Array, offset: number): Promise<number>;
  /** Release the underlying file. */
  close(): Promise<void>;
}

/** A byte range for {@link Provider.stream}. */
export interface StreamOptions {
  /** First byte (default 0). */
  offset?: number;
  /** Number of bytes (default: to the end). */
  length?: number;
}

/** Read access to committed content. */
export interface Provider {
  /** Metadata of a blob; throws NOT_FOUND. */
  info(digest: Digest): Promise<Info>;
  /** True if the blob is committed. */
  has(digest: Digest): Promise<boolean>;
  /** Random access to a blob; throws NOT_FOUND. */
  readerAt(digest: Digest): Promise<ReaderAt>;
  /** Sequential read of a blob or a range of it; the iterator throws NOT_FOUND. */
  stream(digest: Digest, opts?: StreamOptions): AsyncIterable<Uint8Array>;
  /** The whole blob in memory; throws TOO_LARGE past `maxSize` bytes (manifests, configs). */
  readAll(digest: Digest, maxSize: number): Promise<Uint8Array>;
}

/** How to open a {@link Writer}. */
export interface WriterOptions {
  /** Names the ingest (not the content); reopening a ref resumes its data. */
  ref: string;
  /** Expected size, for progress and status. */
  total?: number;
  /** Expected digest; an ingest that was started for another digest is reset. */
  expected?: Digest;
}

/** Writes one blob into the ingest area; see the module comment for the protocol. */
export interface Writer {
  /** The ingest ref. */
  readonly ref: string;
  /** Bytes in the ingest so far (non-zero when resuming). */
  readonly offset: number;
  /**
   * Append `chunk` and feed it to the running digest. Writes may be batched
   * (do not reuse `chunk`); the bytes are in the ingest once `total` is
   * reached, and at commit and close.
   */
  write(chunk: Uint8Array): Promise<void>;
  /** Digest of the bytes written so far. */
  digest(): Digest;
  /** Throw away the bytes written so far and start at offset 0. */
  reset(): Promise<void>;
  /** Verify size and digest and move the blob into place atomically; removes the ingest on mismatch. */
  commit(size: number, expected: Digest, opts?: { labels?: Record<string, string> }): Promise<void>;
  /** Release the writer, keeping the ingest data for a later resume. */
  close(): Promise<void>;
}

/** Write access: opens ingests. */
export interface Ingester {
  /** Open (or resume) the ingest named `opts.ref`; throws LOCKED if another writer holds it. */
  writer(opts: WriterOptions): Promise<Writer>;
}

/** State of one ingest in progress. */
export interface IngestStatus {
  ref: string;
  offset: number;
  total?: number;
  expected?: Digest;
  startedAt: Date;
  updatedAt: Date;
}

/** Inspection and cleanup of ingests. */
export interface IngestManager {
  /** Status of one ingest; throws NOT_FOUND. */
  status(ref: string): Promise<IngestStatus>;
  /** Status of every ingest in the store. */
  listStatuses(): Promise<IngestStatus[]>;
  /** Remove an ingest and its data (no error if absent). */
  abort(ref: string): Promise<void>;
}

/** Management of committed content. */
export interface Manager {
  /** Every committed blob. */
  list(): Promise<Info[]>;
  /** Remove a committed blob; throws NOT_FOUND. */
  delete(digest: Digest): Promise<void>;
  /** Set labels (a `null` value removes the label); returns the new info. */
  update(digest: Digest, labels: Record<string, string | null>): Promise<Info>;
}

/** A content store with every role. */
export interface ContentStore extends Provider, Ingester, IngestManager, Manager {}

/** Write `data` to `file` atomically: a temporary sibling, then rename. */
export async function writeFileAtomic(file: string, data: string | Uint8Array): Promise<void> {
  const tmp = `${file}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`;
  const fh = await fsp.open(tmp, 'w', 0o644);
  try {
    await fh.writeFile(data);
    await fh.sync();
  } finally {
    await fh.close();
  }
  try {
    await fsp.rename(tmp, file);
  } catch (err) {
    await fsp.rm(tmp, { force: true });
    throw err;
  }
}

/** True if a process with `pid` is alive on this host. */
function alive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Take the lock file `file`, holding our pid; resolves to false if a live
 * process holds it. The lock appears with its content at once (a hard link
 * of a written temporary file). A lock whose owner is dead is taken over
 * under a second lock (`FILE.takeover`), so that two processes cannot both
 * take it over.
 */
export async function tryLock(file: string): Promise<boolean> {
  const tmp = `${file}.${process.pid}.${randomBytes(4).toString('hex')}`;
  await fsp.writeFile(tmp, String(process.pid));
  try {
    for (let attempt = 0; attempt < 3; attempt++) {
      try {
        await fsp.link(tmp, file);
        return true;
      } catch (err) {
        const code = errCode(err);
        if (code === 'EPERM' || code === 'ENOTSUP' || code === 'EOPNOTSUPP') {
          // a filesystem without hard links: exclusive create instead
          try {
            await fsp.writeFile(file, String(process.pid), { flag: 'wx' });
            return true;
          } catch (e2) {
            if (errCode(e2) !== 'EEXIST') throw e2;
          }
        } else if (code !== 'EEXIST') {
          throw err;
        }
      }
      const owner = await fsp.readFile(file, 'utf8').catch(() => undefined);
      if (owner === undefined) continue; // released meanwhile: try again
      if (alive(Number(owner))) return false;
      // the owner is dead: take over, one process at a time
      const takeover = `${file}.takeover`;
      try {
        await fsp.link(tmp, takeover);
      } catch (err) {
        if (errCode(err) !== 'EEXIST') throw err;
        const other = await fsp.readFile(takeover, 'utf8').catch(() => undefined);
        if (other !== undefined && !alive(Number(other))) await fsp.rm(takeover, { force: true });
        return false;
      }
      try {
        if ((await fsp.readFile(file, 'utf8').catch(() => undefined)) === owner) {
          await fsp.rename(tmp, file); // atomically replaces the dead owner's lock
          return true;
        }
      } finally {
        await fsp.rm(takeover, { force: true });
      }
    }
    return false;
  } finally {
    await fsp.rm(tmp, { force: true });
  }
}

function errCode(err: unknown): string | undefined {
  return (err as NodeJS.ErrnoException | undefined)?.code;
}

interface IngestMeta {
  ref: string;
  total?: number;
  expected?: Digest;
  startedAt: string;
}

/** The content store on a local filesystem under `<root>/content`. */
export class FsContentStore implements ContentStore {
  /** Directory of committed blobs (`<root>/content/blobs/sha256`). */
  readonly blobDir: string;
  /** Directory of ingests in progress. */
  readonly ingestDir: string;
  private readonly labelDir: string;

  constructor(readonly root: string) {
    this.blobDir = path.join(root, 'content', 'blobs', 'sha256');
    this.ingestDir = path.join(root, 'content', 'ingest');
    this.labelDir = path.join(root, 'content', 'labels', 'sha256');
  }

  /** Path of a committed blob (whether or not it exists). */
  blobPath(digest: Digest): string {
    return path.join(this.blobDir, digestHex(digest));
  }

  private ingestPath(ref: string): string {
    return path.join(this.ingestDir, createHash('sha256').update(ref).digest('hex'));
  }

  private notFound(digest: Digest): ContentStoreError {
    return new ContentStoreError('NOT_FOUND', `content ${digest} is not in the store at ${this.root}; pull the image again`);
  }

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
      return await FsWriter.open(this, dir, opts.ref, opts.total);
    } catch (err) {
      await fsp.rm(path.join(dir, 'lock'), { force: true });
      throw err;
    }
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
    const names = await fsp.readdir(this.ingestDir).catch(() => [] as string[]);
    const out: IngestStatus[] = [];
    for (const n of names) {
      const s = await this.statusOf(path.join(this.ingestDir, n));
      if (s) out.push(s);
    }
    return out;
  }

  async abort(ref: string): Promise<void> {
    await fsp.rm(this.ingestPath(ref), { recursive: true, force: true });
  }

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
    await fsp.rm(path.join(this.labelDir, `${digestHex(digest)}.json`), { force: true });
  }

  async update(digest: Digest, labels: Record<string, string | null>): Promise<Info> {
    if (!(await this.has(digest))) throw this.notFound(digest);
    const cur = await this.readLabels(digest);
    for (const [k, v] of Object.entries(labels)) {
      if (v === null) delete cur[k];
      else cur[k] = v;
    }
    const file = path.join(this.labelDir, `${digestHex(digest)}.json`);
    if (Object.keys(cur).length === 0) {
      await fsp.rm(file, { force: true });
    } else {
      await fsp.mkdir(this.labelDir, { recursive: true });
      await writeFileAtomic(file, JSON.stringify(cur));
    }
    return this.info(digest);
  }

  private async readLabels(digest: Digest): Promise<Record<string, string>> {
    const file = path.join(this.labelDir, `${digestHex(digest)}.json`);
    try {
      return JSON.parse(await fsp.readFile(file, 'utf8')) as Record<string, string>;
    } catch {
      return {};
    }
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
    private readonly store: FsContentStore,
    private readonly dir: string,
    readonly ref: string,
    private fh: fsp.FileHandle,
    private readonly total?: number,
  ) {}

  /** Open the ingest's data file for appending, re-hashing what is already there. */
  static async open(store: FsContentStore, dir: string, ref: string, total?: number): Promise<FsWriter> {
    const dataFile = path.join(dir, 'data');
    const fh = await fsp.open(dataFile, 'a', 0o644);
    const w = new FsWriter(store, dir, ref, fh, total);
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
      await this.store.commitFile(dataFile, expected, opts.labels);
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
