/**
 * Blob downloads for pull: each layer goes into its own ingest (resumed
 * with `Range` after an interruption, verified against size and sha256)
 * and is held there, open and verified, until the whole image is in; then
 * {@link HeldBlobs.commitAll} moves every blob into place. A pull that fails
 * or is killed before that point leaves only ingests; a fully downloaded
 * one is committed at once by the next pull, without a byte on the wire.
 *
 * Sharing: in this process, a pull that needs a blob another pull is
 * downloading waits for that pull to end and then finds the blob committed
 * (or takes over). Across processes, the ingest lock does the same.
 */
import { ContentStoreError, type Writer } from '../content/content_store.js';
import { sha256Digest } from '../content/digest.js';
import type { Lease } from '../content/gc.js';
import type { Descriptor } from '../content/manifest.js';
import type { Progress } from '../transport/progress.js';
import { RegistryClient, RegistryError } from './registry.js';
import type { Endpoint } from './registry_config.js';
import { discard } from './registry_http.js';
import type { Store } from '../content/store_root.js';
import { CodedError } from '../../coded_error.js';

/** Stable codes of {@link PullError}. */
export type PullErrorCode = 'INTERRUPTED' | 'TRUNCATED' | 'OVERSIZED' | 'DIGEST_MISMATCH' | 'LOCK_TIMEOUT' | 'STALLED';

/** A download that could not complete; the message says whether a re-run resumes it. */
export class PullError extends CodedError<PullErrorCode> {
  override readonly name = 'PullError';
}

/** What a blob download needs from the pull. */
export interface BlobContext {
  store: Store;
  client: RegistryClient;
  /** Endpoints to try, in order (the one that served the manifest first). */
  eps: Endpoint[];
  progress: Progress;
  /** Attempts before giving up (default 5). */
  attempts?: number;
}

/** One blob being brought in by some pull of this process, shared by every pull that needs it. */
interface Shared {
  /** Resolves with the bytes downloaded once the blob is verified in its ingest (or present); rejects if the download fails. */
  ready: Promise<number>;
  /** The ingest holding it; undefined if the blob turned out to be present. */
  writer?: Writer;
  /** Pulls holding it. */
  refs: number;
  /** The commit, once some pull has started it. */
  committed?: Promise<void>;
}

/** Shared downloads of this process, by store root and digest. */
const shared = new Map<string, Shared>();

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** How long another process's ingest may stand still before this pull downloads on its own. */
const STALL_MS = 5_000;

/**
 * The verified, not yet committed blobs one pull holds. No pull ever waits
 * for another pull to end, only for a download, so pulls of images that
 * share layers cannot deadlock.
 */
export class HeldBlobs {
  private readonly held: { key: string; desc: Descriptor; entry: Shared }[] = [];

  constructor(private readonly store: Store) {}

  /**
   * Make sure `desc` is committed or held verified; resolves to the bytes
   * this pull downloaded, or -1 if it downloaded nothing (present, or
   * brought by another pull).
   */
  async acquire(ctx: BlobContext, desc: Descriptor): Promise<number> {
    const key = `${this.store.root}\n${desc.digest}`;
    for (;;) {
      if (await this.store.content.has(desc.digest)) return -1;
      const existing = shared.get(key);
      if (existing) {
        existing.refs++;
        try {
          await existing.ready;
        } catch {
          existing.refs--;
          continue; // its download failed: try ourselves
        }
        this.held.push({ key, desc, entry: existing });
        return -1;
      }
      const entry: Shared = { refs: 1, ready: Promise.resolve(0) };
      entry.ready = this.fill(ctx, desc, entry);
      shared.set(key, entry);
      try {
        const n = await entry.ready;
        this.held.push({ key, desc, entry });
        return n;
      } catch (err) {
        if (shared.get(key) === entry) shared.delete(key);
        throw err;
      }
    }
  }

  /** Open the blob's ingest (waiting on, or stepping around, another process) and download into it. */
  private async fill(ctx: BlobContext, desc: Descriptor, entry: Shared): Promise<number> {
    let ref = `blob-${desc.digest}`;
    let lastOffset = -1;
    let since = Date.now();
    for (;;) {
      if (await this.store.content.has(desc.digest)) return -1;
      try {
        const w = await this.store.content.writer({ ref, expected: desc.digest, total: desc.size });
        if (await this.store.content.has(desc.digest)) {
          // committed by another process between our check and the lock
          await w.close();
          await this.store.content.abort(ref);
          return -1;
        }
        entry.writer = w;
        break;
      } catch (err) {
        if (!(err instanceof ContentStoreError && err.code === 'LOCKED')) throw err;
      }
      // another process holds the ingest: wait while it makes progress, and a while
      // after it completes (it commits once its other layers are in); if it stands
      // still longer than that, it may be waiting on us: download on our own.
      const st = await this.store.content.status(ref).catch(() => undefined);
      const offset = st?.offset ?? 0;
      if (offset !== lastOffset) {
        lastOffset = offset;
        since = Date.now();
      }
      if (Date.now() - since > STALL_MS) {
        ref = `blob-${desc.digest}-${process.pid}-${Math.random().toString(36).slice(2)}`;
        continue;
      }
      await sleep(100);
    }
    return download(ctx, desc, entry.writer);
  }

  /** Commit every held blob (each under `lease` first); a blob shared with another pull is committed once. */
  async commitAll(lease: Lease): Promise<void> {
    for (const { desc, entry } of this.held) {
      await lease.add(desc.digest);
      if (!entry.writer) continue;
      entry.committed ??= entry.writer.commit(desc.size, desc.digest);
      await entry.committed;
    }
  }

  /** End of the pull: let go of every held blob; the last holder of an uncommitted one closes its ingest for a resume. */
  async finish(): Promise<void> {
    for (const { key, entry } of this.held.splice(0)) {
      if (--entry.refs > 0) continue;
      if (shared.get(key) === entry) shared.delete(key);
      if (!entry.committed) await entry.writer?.close().catch(() => undefined);
    }
  }
}

/** Small-blob fetches in flight in this process, by digest. */
const smallInflight = new Map<string, Promise<Buffer>>();

/**
 * Fetch a small blob (a config) into memory, verified, trying each endpoint.
 * Concurrent pulls of one digest share one request: the bytes stay
 * available to them until the owner calls `release` (at the end of its
 * pull, when the blob is committed or the pull failed). `shared` is true
 * when another pull did the work (and `release` does nothing).
 */
export async function fetchSmallBlob(ctx: BlobContext, desc: Descriptor, limit: number): Promise<{ bytes: Buffer; shared: boolean; release: () => void }> {
  const running = smallInflight.get(desc.digest);
  if (running) {
    try {
      return { bytes: await running, shared: true, release: () => {} };
    } catch {
      /* the owner failed: fetch ourselves */
    }
  }
  const p = fetchSmall(ctx, desc, limit);
  smallInflight.set(desc.digest, p);
  const release = (): void => {
    if (smallInflight.get(desc.digest) === p) smallInflight.delete(desc.digest);
  };
  try {
    return { bytes: await p, shared: false, release };
  } catch (err) {
    release();
    throw err;
  }
}

async function fetchSmall(ctx: BlobContext, desc: Descriptor, limit: number): Promise<Buffer> {
  let lastErr: unknown;
  for (const ep of ctx.eps) {
    try {
      const res = await ctx.client.getBlob(ep, desc.digest, 0, true);
      const bytes = await ctx.client.readSmall(ep, res, Math.min(limit, desc.size), `blob ${desc.digest}`);
      if (!bytes || bytes.length !== desc.size) {
        throw new PullError(bytes ? 'TRUNCATED' : 'OVERSIZED', `blob ${desc.digest} from ${ep.host} is not the ${desc.size} bytes its descriptor says; nothing was stored`);
      }
      if (sha256Digest(bytes) !== desc.digest) {
        throw new PullError('DIGEST_MISMATCH', `blob ${desc.digest} from ${ep.host} has digest ${sha256Digest(bytes)}; the registry sent corrupt data, nothing was stored`);
      }
      return bytes;
    } catch (err) {
      lastErr = err;
      if (!ep.mirror) throw err;
    }
  }
  throw lastErr;
}

/** Close `w` and remove its ingest (the data is wrong, not merely incomplete). */
async function abortWriter(ctx: BlobContext, w: Writer): Promise<void> {
  await w.close().catch(() => undefined);
  await ctx.store.content.abort(w.ref);
}

/** Fill writer `w` with the blob `desc`, resuming and retrying, and verify it; resolves to the bytes fetched. */
async function download(ctx: BlobContext, desc: Descriptor, w: Writer): Promise<number> {
  const { client, eps, progress } = ctx;
  const id = desc.digest;
  const maxAttempts = ctx.attempts ?? 5;
  let fetched = 0;
  // bytes kept from an earlier pull; if they turn out wrong, start over once
  let resumed = w.offset > 0;
  if (w.offset > desc.size) {
    await w.reset();
    resumed = false;
  }
  progress.start(id, `Copying blob ${desc.digest.slice(7, 19)}`, desc.size, w.offset);
  let epIdx = 0;
  let failures = 0;
  let lastErr = '';
  try {
    for (;;) {
      while (w.offset < desc.size) {
        if (failures >= maxAttempts) {
          if (lastErr === 'short') {
            await abortWriter(ctx, w);
            throw new PullError('TRUNCATED', `blob ${desc.digest} from ${eps[epIdx].host} keeps ending at ${w.offset} of ${desc.size} bytes; the registry's copy is damaged, nothing was stored`);
          }
          throw new PullError('INTERRUPTED', `download of blob ${desc.digest} from ${eps[epIdx].host} failed ${failures} times (${lastErr}); run the pull again to resume it`);
        }
        const ep = eps[epIdx];
        let res;
        try {
          res = await client.getBlob(ep, desc.digest, w.offset);
        } catch (err) {
          if (ep.mirror && epIdx + 1 < eps.length) {
            epIdx++; // the mirror cannot serve it: fall back to the next endpoint
            continue;
          }
          if (err instanceof RegistryError && err.code !== 'UNREACHABLE') throw err;
          failures++;
          lastErr = (err as Error).message;
          await sleep(200 * 2 ** (failures - 1));
          continue;
        }
        const range = /^bytes (\d+)-/.exec(String(res.headers['content-range'] ?? ''));
        if (res.status === 200 && w.offset > 0) {
          await w.reset(); // the server ignored the range: start over
        } else if (res.status === 206 && (!range || Number(range[1]) !== w.offset)) {
          await discard(res);
          await w.reset();
          continue;
        }
        // a body that stops sending fails the download at once (a re-run resumes it), not after every retry
        const stallMs = client.stallMs;
        let stalled = false;
        let timer: NodeJS.Timeout | undefined;
        const arm = (): void => {
          clearTimeout(timer);
          timer = setTimeout(() => { stalled = true; res.body.destroy(new Error('stalled')); }, stallMs);
        };
        try {
          arm();
          for await (const chunk of res.body) {
            arm();
            const c = chunk as Buffer;
            if (w.offset + c.length > desc.size) {
              res.body.destroy();
              await abortWriter(ctx, w);
              throw new PullError('OVERSIZED', `blob ${desc.digest} from ${ep.host} is longer than the ${desc.size} bytes its descriptor says; nothing was stored`);
            }
            await w.write(c);
            fetched += c.length;
            progress.advance(id, c.length);
          }
          if (w.offset < desc.size) {
            failures++;
            lastErr = 'short';
          }
        } catch (err) {
          if (err instanceof PullError) throw err;
          // the socket's idle timeout (same length) may fire before our timer: the same stall
          if (stalled || (err as { code?: string }).code === 'ETIMEDOUT') {
            throw new PullError('STALLED', `blob ${desc.digest} from ${ep.host} stalled: no byte for ${stallMs / 1000} s at ${w.offset} of ${desc.size} bytes; run the pull again to resume it`);
          }
          failures++;
          lastErr = (err as Error).message || 'connection lost';
          await sleep(200 * 2 ** (failures - 1));
        } finally {
          clearTimeout(timer);
        }
      }
      if (w.digest() === desc.digest) break;
      if (resumed) {
        resumed = false;
        await w.reset();
        continue;
      }
      const actual = w.digest();
      await abortWriter(ctx, w);
      throw new PullError('DIGEST_MISMATCH', `blob ${desc.digest} from ${eps[epIdx].host} has digest ${actual}; the registry sent corrupt data, nothing was stored`);
    }
    progress.finish(id, 'done');
    return fetched;
  } catch (err) {
    progress.finish(id, 'failed');
    await w.close().catch(() => undefined);
    throw err;
  }
}
