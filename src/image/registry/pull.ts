/**
 * `pull`: resolve a reference on a registry (or its mirrors), choose the
 * platform, and bring every blob of that image into the content store,
 * verified, before the name is written.
 *
 * Order: the manifest (or index, then the chosen child manifest) is fetched
 * and checked first, and every media type checked before any layer moves,
 * so a refused image leaves the store untouched. The config is fetched into
 * memory and checked; layers are downloaded with bounded parallelism, each
 * into its own ingest (resumed with `Range` after an interruption) and
 * verified there (pull_blob.ts). Only when everything is in are the layers,
 * the config and the manifests committed, under a lease that keeps `prune`
 * in another process from collecting them before the name exists; then the
 * name is written. A pull that fails or is killed before the commit phase
 * leaves nothing but ingests; a failure during it removes what it committed
 * that nothing else uses. A blob already present is never fetched, so a
 * re-pull of a present image only asks for the manifest.
 */
import type { Digest } from '../content/digest.js';
import { Lease, markReachable } from '../content/gc.js';
import { parseConfig, parseManifest, MAX_CONFIG_SIZE, ManifestError, type Descriptor, type ImageManifest, type Platform } from '../content/manifest.js';
import { CONFIG_TYPES, isLayerType } from '../content/media_types.js';
import { choosePlatform, DEFAULT_PLATFORMS, formatPlatform, platformMatches, PlatformError } from '../reference/platform.js';
import { silentProgress, type Progress } from '../transport/progress.js';
import { parseReference, type Reference } from '../reference/reference.js';
import { RegistryClient, type FetchedManifest } from './registry.js';
import { fetchSmallBlob, HeldBlobs, type BlobContext } from './pull_blob.js';
import type { Store } from '../content/store_root.js';

export { PullError, type PullErrorCode } from './pull_blob.js';

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
  /** Bring in every manifest of an index, not just the chosen platform's (any media types: a copy, e.g. to push it on). */
  allPlatforms?: boolean;
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

/** Run `fn` over `items`, at most `limit` at a time; after a failure, starts no more and rejects with it once the running ones settle. */
async function pool<T>(items: readonly T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  let failure: unknown;
  const worker = async (): Promise<void> => {
    while (next < items.length && failure === undefined) {
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

/** Fetch the manifest the reference names and, for an index, the chosen platform's manifest. */
async function resolveManifests(store: Store, ref: Reference, opts: PullOptions) {
  const top = await opts.client.getManifest(ref, ref.object);
  const eps = [top.endpoint, ...opts.client.endpoints(ref).filter((e) => e.host !== top.endpoint.host || e.repository !== top.endpoint.repository)];
  const parsedTop = parseManifest(top.bytes, top.mediaType, ref.toString());
  const topDesc: Descriptor = { mediaType: parsedTop.mediaType, digest: top.digest, size: top.bytes.length };
  const manifests: { desc: Descriptor; bytes: Uint8Array }[] = [];
  if (parsedTop.kind === 'manifest') {
    manifests.push({ desc: topDesc, bytes: top.bytes });
    return { top, eps, topDesc, manifestDesc: topDesc, manifest: parsedTop.manifest, fromIndex: false, manifests, others: [] as Descriptor[] };
  }
  let manifestDesc: Descriptor;
  try {
    manifestDesc = choosePlatform(parsedTop.index.manifests, opts.platforms ?? DEFAULT_PLATFORMS, ref.toString());
  } catch (err) {
    if (!(opts.allPlatforms && err instanceof PlatformError && parsedTop.index.manifests.length > 0)) throw err;
    manifestDesc = parsedTop.index.manifests[0];
  }
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
  manifests.push({ desc: manifestDesc, bytes }, { desc: topDesc, bytes: top.bytes });
  const others = parsedTop.index.manifests.filter((m) => m.digest !== manifestDesc.digest);
  return { top, eps, topDesc, manifestDesc, manifest: parsed.manifest, fromIndex: true, manifests, others };
}

/** Commit small in-memory blobs (config, manifests) that are not present yet. */
async function commitSmall(store: Store, lease: Lease, blobs: { desc: Descriptor; bytes: Uint8Array }[], committed: Digest[]): Promise<void> {
  for (const m of blobs) {
    await lease.add(m.desc.digest);
    if (await store.content.has(m.desc.digest)) continue;
    // a private ref: these are small, and committing present content is not an error
    const w = await store.content.writer({ ref: `small-${m.desc.digest}-${process.pid}-${Math.random().toString(36).slice(2)}`, expected: m.desc.digest });
    await w.write(m.bytes);
    await w.commit(m.bytes.byteLength, m.desc.digest);
    committed.push(m.desc.digest);
  }
}

/** For `allPlatforms`: the other manifests of the index, their configs (fetched) and their layers (to fetch). */
async function otherPlatforms(store: Store, ref: Reference, opts: PullOptions, ctx: BlobContext, others: Descriptor[], fetched: PullResult['fetched']) {
  const out = { manifests: [] as { desc: Descriptor; bytes: Uint8Array }[], configs: [] as { desc: Descriptor; bytes: Uint8Array }[], layers: [] as Descriptor[] };
  for (const desc of others) {
    const bytes = (await store.content.has(desc.digest))
      ? await store.content.readAll(desc.digest, desc.size + 1)
      : (await opts.client.getManifest(ref, desc.digest, ctx.eps)).bytes;
    const parsed = parseManifest(bytes, desc.mediaType, `${ref.name}@${desc.digest}`);
    if (parsed.kind !== 'manifest') throw new ManifestError('MANIFEST_INVALID', `${ref}: an index inside an index is not supported`);
    out.manifests.push({ desc, bytes });
    out.layers.push(...parsed.manifest.layers);
    const cfg = parsed.manifest.config;
    if (out.configs.some((c) => c.desc.digest === cfg.digest) || (await store.content.has(cfg.digest))) continue;
    const small = await fetchSmallBlob(ctx, cfg, MAX_CONFIG_SIZE);
    small.release();
    out.configs.push({ desc: cfg, bytes: small.bytes });
    fetched.blobs++;
    fetched.bytes += small.bytes.byteLength;
  }
  return out;
}

/** Pull `ref` into `store`; see the module comment. */
export async function pullImage(store: Store, refInput: string | Reference, opts: PullOptions): Promise<PullResult> {
  const ref = typeof refInput === 'string' ? parseReference(refInput) : refInput;
  const progress = opts.progress ?? silentProgress;
  const fetched = { blobs: 0, bytes: 0 };
  const { top, eps, topDesc, manifestDesc, manifest, fromIndex, manifests, others } = await resolveManifests(store, ref, opts);
  if (!opts.allPlatforms) checkTypes(manifest, ref.toString());
  const ctx: BlobContext = { store, client: opts.client, eps, progress, attempts: opts.blobAttempts };
  const extra = opts.allPlatforms ? await otherPlatforms(store, ref, opts, ctx, others, fetched) : { manifests: [], configs: [], layers: [] };

  let configBytes: Uint8Array;
  let releaseConfig = (): void => {};
  if (await store.content.has(manifest.config.digest)) {
    configBytes = await store.content.readAll(manifest.config.digest, MAX_CONFIG_SIZE);
  } else {
    const small = await fetchSmallBlob(ctx, manifest.config, MAX_CONFIG_SIZE);
    configBytes = small.bytes;
    releaseConfig = small.release;
    if (!small.shared) {
      fetched.blobs++;
      fetched.bytes += configBytes.byteLength;
    }
  }
  let platform: Platform;
  try {
    const config = parseConfig(configBytes, `${ref} config`);
    platform = manifestDesc.platform ?? { os: config.os, architecture: config.architecture, variant: config.variant };
    if (opts.platforms && !fromIndex && !opts.platforms.some((p) => platformMatches(p, platform))) {
      throw new PlatformError('PLATFORM_NOT_FOUND', `${ref} is for ${formatPlatform(platform)}, not ${opts.platforms.map(formatPlatform).join(' or ')}`);
    }
  } catch (err) {
    releaseConfig();
    throw err;
  }

  const held = new HeldBlobs(store);
  const committed: Digest[] = [];
  let lease: Lease | undefined;
  let ok = false;
  try {
    const unique = [...new Map([...manifest.layers, ...extra.layers].map((l) => [l.digest, l])).values()];
    await pool(unique, opts.concurrency ?? 3, async (desc) => {
      const n = await held.acquire(ctx, desc);
      if (n >= 0) {
        fetched.blobs++;
        fetched.bytes += n;
      }
    });
    // everything is in and verified: commit layers, config, manifests, then the name
    lease = await Lease.create(store.root);
    await held.commitAll(lease);
    await commitSmall(store, lease, [{ desc: manifest.config, bytes: configBytes }, ...extra.configs, ...extra.manifests, ...manifests], committed);
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
      layers: manifest.layers.map((l) => ({ digest: l.digest, size: l.size, mediaType: l.mediaType })),
      fetched,
      source: { host: top.endpoint.host, mirror: top.endpoint.mirror },
    };
  } finally {
    releaseConfig();
    await held.finish();
    await lease?.release();
    if (!ok) await forgetUnused(store, committed);
  }
}

/**
 * After a pull failed in its commit phase, delete the small blobs it committed that nothing else
 * needs (no image name, no other pull's lease), so that a refused image
 * leaves the store as it was.
 */
async function forgetUnused(store: Store, committed: readonly Digest[]): Promise<void> {
  if (committed.length === 0) return;
  const keep = await markReachable(store);
  for (const d of committed) if (!keep.has(d)) await store.content.delete(d).catch(() => undefined);
}
