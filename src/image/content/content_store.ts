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
 * Where each part lives:
 * - this file: the role interfaces, and the names other modules import;
 * - content_error.ts: {@link ContentStoreError};
 * - content_fs.ts: {@link FsContentStore}, the store on a local
 *   filesystem (the committed side, `Provider` and `Manager`, and the
 *   commit step), and its on-disk layout;
 * - content_ingest.ts: its ingest area (`Ingester`, `IngestManager`) and
 *   the `Writer`;
 * - content_files.ts: {@link writeFileAtomic} and {@link tryLock}, the
 *   filesystem primitives it is built on.
 */
import type { Digest } from './digest.js';

export { ContentStoreError, type ContentStoreErrorCode } from './content_error.js';
export { FsContentStore } from './content_fs.js';
export { tryLock, writeFileAtomic } from './content_files.js';

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
