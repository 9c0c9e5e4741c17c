/**
 * `pull`: resolve a reference on a registry (or its mirrors), choose the
 * platform, and bring every blob of that image into the content store,
 * verified, before the name is written.
 *
 * Order: the manifest (or index, then the chosen child manifest) is fetched
 * and checked first, and every media type checked before any layer moves,
 * so a refused image leaves the store untouched. Config and layers are
 * downloaded with bounded parallelism, each through an ingest (resumed with
 * `Range` after an interruption) and committed only after its size and
 * sha256 check out; then the manifests; then the name. A lease keeps
 * `prune` in another process from collecting committed blobs before the
 * name exists. A blob already present is never fetched, so a re-pull of a
 * present image only asks for the manifest. Two pulls of one blob in this
 * process share one download; in two processes, the second waits on the
 * ingest lock and then finds the blob committed.
 *
 * When a pull fails, the blobs it committed that nothing else needs are
 * deleted again, so the store is as it was; an interrupted download stays
 * as an ingest for the next pull to resume. A pull killed outright cannot
 * clean up: it leaves its ingests and possibly some verified, unnamed
 * blobs, which the next pull reuses and `prune` collects.
 */
import { ContentStoreError, type Writer } from './content_store.js';
import type { Digest } from './digest.js';
import { Lease, markReachable } from './gc.js';
import { parseConfig, parseManifest, MAX_CONFIG_SIZE, ManifestError, type Descriptor, type ImageManifest, type Platform } from './manifest.js';
import { CONFIG_TYPES, isLayerType } from './media_types.js';
import { choosePlatform, DEFAULT_PLATFORMS, formatPlatform, platformMatches, PlatformError } from './platform.js';
import { silentProgress, type Progress } from './progress.js';
import { parseReference, type Reference } from './reference.js';
import { RegistryClient, RegistryError, type FetchedManifest } from './registry.js';
import type { Endpoint } from './registry_config.js';
import { discard } from './registry_http.js';
import type { Store } from './store_root.js';

/** Stable codes of {@link PullError}. */
export type PullErrorCode = 'INTERRUPTED' | 'TRUNCATED' | 'OVERSIZED' | 'LOCK_TIMEOUT';

/** A download that could not complete; the message says whether a re-run resumes it. */
export class PullError extends Error {
  constructor(readonly code: PullErrorCode, message: string) {
    super(message);
    this.name = 'PullError';
  }
}

/** How to pull. */
export interface PullOptions {
  client: RegistryClient;
  /** Wanted platforms, in order (default wasip1/wasm, wasi/wasm). */
  platforms?: readonly Platform[];
  progress?: Progress;
  /** Blobs downloaded at once (default 3). */
  concurrency?: number;
  /** Attempts per blob before giving up (default 5). */
  blobAttempts?: number;
}

/** What a pull did (the `--format json` output). */
export interface PullResult {
  name: string;
  /** Digest and media type of what the name now points at (index or manifest). */
  digest: Digest;
  mediaType: string;
  manifest: Digest;
  config: Digest;
  platform: string;
  layers: { digest: Digest; size: number; mediaType: string }[];
  /** Blobs and bytes actually downloaded (0 for a re-pull). */
  fetched: { blobs: number; bytes: number };
  /** The endpoint that served the manifest (`host`, and whether it was a mirror). */
  source: { host: string; mirror: boolean };
}

/** Downloads in flight in this process, by store root and digest. */
const inflight = new Map<string, Promise<number>>();

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Run `fn` over `items`, at most `limit` at a time; rejects with the first failure after all settle. */
async function pool<T>(items: readonly T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  let failure: unknown;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const item = items[next++];
      try {
        await fn(item);
      } catch (err) {
        failure ??= err;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  if (failure !== undefined) throw failure;
}

/** Refuse manifests whose config or layers wasmvisor cannot use, before anything is downloaded. */
function checkTypes(m: ImageManifest, what: string): void {
  if (!CONFIG_TYPES.has(m.config.mediaType)) {
    throw new ManifestError('MEDIA_TYPE_UNKNOWN', `${what}: config media type ${m.config.mediaType} is not an image or Wasm artifact config; wasmvisor cannot pull it`);
  }
  for (const l of m.layers) {
    if (!isLayerType(l.mediaType)) {
      throw new ManifestError('MEDIA_TYPE_UNKNOWN', `${what}: layer ${l.digest} has media type ${l.mediaType}, which wasmvisor cannot unpack`);
    }
  }
}

/** Pull `ref` into `store`; see the module comment. */
export async function pullImage(store: Store, refInput: string | Reference, opts: PullOptions): Promise<PullResult> {
  const ref = typeof refInput === 'string' ? parseReference(refInput) : refInput;
  const progress = opts.progress ?? silentProgress;
  const fetched = { blobs: 0, bytes: 0 };
  const committed: Digest[] = [];
  let ok = false;
  const top = await opts.client.getManifest(ref, ref.object);
  const eps = [top.endpoint, ...opts.client.endpoints(ref).filter((e) => e.host !== top.endpoint.host || e.repository !== top.endpoint.repository)];
  const parsedTop = parseManifest(top.bytes, top.mediaType, ref.toString());
  const lease = await Lease.create(store.root);
  try {
    const manifests: { desc: Descriptor; bytes: Uint8Array }[] = [];
    let manifestDesc: Descriptor;
    let manifest: ImageManifest;
    const topDesc: Descriptor = { mediaType: parsedTop.mediaType, digest: top.digest, size: top.bytes.length };
    if (parsedTop.kind === 'index') {
      manifestDesc = choosePlatform(parsedTop.index.manifests, opts.platforms ?? DEFAULT_PLATFORMS, ref.toString());
      let child: FetchedManifest | undefined;
      let bytes: Uint8Array;
      if (await store.content.has(manifestDesc.digest)) {
        bytes = await store.content.readAll(manifestDesc.digest, manifestDesc.size + 1);
      } else {
        child = await opts.client.getManifest(ref, manifestDesc.digest, eps);
        bytes = child.bytes;
      }
      const parsed = parseManifest(bytes, child?.mediaType ?? manifestDesc.mediaType, `${ref.name}@${manifestDesc.digest}`);
      if (parsed.kind !== 'manifest') throw new ManifestError('MANIFEST_INVALID', `${ref}: an index inside an index is not supported`);
      manifest = parsed.manifest;
      manifests.push({ desc: manifestDesc, bytes });
    } else {
      manifestDesc = topDesc;
      manifest = parsedTop.manifest;
    }
    checkTypes(manifest, ref.toString());
    manifests.push({ desc: topDesc, bytes: top.bytes });

    const blobs = [manifest.config, ...manifest.layers];
    const count = async (desc: Descriptor): Promise<void> => {
      const n = await fetchBlob(store, opts, eps, desc, lease, progress);
      if (n >= 0) {
        committed.push(desc.digest);
        fetched.blobs++;
        fetched.bytes += n;
      }
    };
    await count(manifest.config);
    const config = parseConfig(await store.content.readAll(manifest.config.digest, MAX_CONFIG_SIZE), `${ref} config`);
    const platform: Platform = manifestDesc.platform ?? { os: config.os, architecture: config.architecture, variant: config.variant };
    if (opts.platforms && parsedTop.kind === 'manifest' && !opts.platforms.some((p) => platformMatches(p, platform))) {
      throw new PlatformError('PLATFORM_NOT_FOUND', `${ref} is for ${formatPlatform(platform)}, not ${opts.platforms.map(formatPlatform).join(' or ')}`);
    }
    await pool(manifest.layers, opts.concurrency ?? 3, count);

    for (const m of manifests) {
      await lease.add(m.desc.digest);
      if (await store.content.has(m.desc.digest)) continue;
      // a private ref: manifests are small, and committing present content is not an error
      const w = await store.content.writer({ ref: `manifest-${m.desc.digest}-${process.pid}-${Math.random()}`, expected: m.desc.digest });
      await w.write(m.bytes);
      await w.commit(m.bytes.byteLength, m.desc.digest);
    }
    const name = ref.toString();
    await store.images.put(name, topDesc, { 'wasmvisor.manifest': manifestDesc.digest, 'wasmvisor.platform': formatPlatform(platform) });
    progress.log(`${name}: ${top.digest}`);
    ok = true;
    return {
      name,
      digest: topDesc.digest,
      mediaType: topDesc.mediaType,
      manifest: manifestDesc.digest,
      config: manifest.config.digest,
      platform: formatPlatform(platform),
      layers: blobs.slice(1).map((l) => ({ digest: l.digest, size: l.size, mediaType: l.mediaType })),
      fetched,
      source: { host: top.endpoint.host, mirror: top.endpoint.mirror },
    };
  } finally {
    await lease.release();
    if (!ok) await forgetUnused(store, committed);
  }
}

/**
 * After a failed pull, delete the blobs it committed that nothing else
 * needs (no image name, no other pull's lease), so that a refused image
 * leaves the store as it was.
 */
async function forgetUnused(store: Store, committed: readonly Digest[]): Promise<void> {
  if (committed.length === 0) return;
  const keep = await markReachable(store);
  for (const d of committed) if (!keep.has(d)) await store.content.delete(d).catch(() => undefined);
}

/**
 * Bring one blob into the store; resolves to the bytes downloaded, or -1
 * if the blob was already present or another pull brought it.
 */
function fetchBlob(store: Store, opts: PullOptions, eps: Endpoint[], desc: Descriptor, lease: Lease, progress: Progress): Promise<number> {
  const key = `${store.root}\n${desc.digest}`;
  const running = inflight.get(key);
  if (running) return running.then(() => -1);
  const p = (async (): Promise<number> => {
    await lease.add(desc.digest);
    if (await store.content.has(desc.digest)) return -1;
    const deadline = Date.now() + 30 * 60_000;
    for (;;) {
      let w: Writer;
      try {
        w = await store.content.writer({ ref: `blob-${desc.digest}`, expected: desc.digest, total: desc.size });
      } catch (err) {
        if (!(err instanceof ContentStoreError && err.code === 'LOCKED')) throw err;
        if (Date.now() > deadline) throw new PullError('LOCK_TIMEOUT', `blob ${desc.digest} is being downloaded by another process that does not finish; retry later`);
        await sleep(100);
        if (await store.content.has(desc.digest)) return -1;
        continue;
      }
      return download(store, opts, eps, desc, w, progress);
    }
  })();
  inflight.set(key, p);
  return p.finally(() => inflight.delete(key));
}

/** Fill writer `w` with the blob `desc`, resuming and retrying; commit it. */
async function download(store: Store, opts: PullOptions, eps: Endpoint[], desc: Descriptor, w: Writer, progress: Progress): Promise<number> {
  const id = desc.digest;
  const label = `Copying blob ${desc.digest.slice(7, 19)}`;
  const maxAttempts = opts.blobAttempts ?? 5;
  const start = w.offset;
  progress.start(id, label, desc.size, start);
  let epIdx = 0;
  let failures = 0;
  let lastErr = '';
  try {
    while (w.offset < desc.size) {
      if (failures >= maxAttempts) {
        const short = lastErr === 'short';
        if (short) await abortWriter(store, w);
        else await w.close();
        throw short
          ? new PullError('TRUNCATED', `blob ${desc.digest} from ${eps[epIdx].host} keeps ending at ${w.offset} of ${desc.size} bytes; the registry's copy is damaged, nothing was stored`)
          : new PullError('INTERRUPTED', `download of blob ${desc.digest} from ${eps[epIdx].host} failed ${failures} times (${lastErr}); run the pull again to resume it`);
      }
      const ep = eps[epIdx];
      let res;
      try {
        res = await opts.client.getBlob(ep, desc.digest, w.offset);
      } catch (err) {
        if (epIdx + 1 < eps.length && ep.mirror) {
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
      if (res.status === 200 && w.offset > 0) await w.reset();
      else if (res.status === 206 && (!range || Number(range[1]) !== w.offset)) {
        await discard(res);
        await w.reset();
        continue;
      }
      try {
        for await (const chunk of res.body) {
          const c = chunk as Buffer;
          if (w.offset + c.length > desc.size) {
            res.body.destroy();
            await abortWriter(store, w);
            throw new PullError('OVERSIZED', `blob ${desc.digest} from ${ep.host} is longer than the ${desc.size} bytes its descriptor says; nothing was stored`);
          }
          await w.write(c);
          progress.advance(id, c.length);
        }
        if (w.offset < desc.size) {
          failures++;
          lastErr = 'short';
        }
      } catch (err) {
        if (err instanceof PullError) throw err;
        failures++;
        lastErr = (err as Error).message || 'connection lost';
        await sleep(200 * 2 ** (failures - 1));
      }
    }
    await w.commit(desc.size, desc.digest);
    progress.finish(id, 'done');
    return desc.size - start;
  } catch (err) {
    progress.finish(id, 'failed');
    await w.close().catch(() => undefined);
    throw err;
  }
}

/** Close `w` and remove its ingest (the data is wrong, not merely incomplete). */
async function abortWriter(store: Store, w: Writer): Promise<void> {
  await w.close().catch(() => undefined);
  await store.content.abort(w.ref);
}
