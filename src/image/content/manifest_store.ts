/**
 * Local images: from a name (or an ID prefix) in the image metadata store
 * to the manifest, config and layers in the content store. What `images`,
 * `inspect`, `rmi`, `push`, `save` and `run IMAGE` share.
 */
import type { Digest } from './digest.js';
import { ContentStoreError, type Provider } from './content_store.js';
import { MAX_CONFIG_SIZE, MAX_MANIFEST_SIZE, parseConfig, parseManifest, type Descriptor, type ImageConfig, type ImageIndex, type ImageManifest, type ParsedManifest } from './manifest.js';
import { choosePlatform, DEFAULT_PLATFORMS } from '../reference/platform.js';
import type { Platform } from './manifest.js';
import { parseReference } from '../reference/reference.js';
import { StoreError, type ImageRecord, type Store } from './store_root.js';

/** A local image resolved down to one platform's manifest and config. */
export interface ResolvedImage {
  record: ImageRecord;
  /** The index the name points at, if it points at one. */
  index?: ImageIndex;
  manifestDesc: Descriptor;
  manifest: ImageManifest;
  config: ImageConfig;
}

/** Read and parse a manifest or index blob from the content store. */
export async function readManifest(content: Provider, desc: Pick<Descriptor, 'digest' | 'mediaType'>): Promise<ParsedManifest> {
  const bytes = await content.readAll(desc.digest, MAX_MANIFEST_SIZE);
  return parseManifest(bytes, desc.mediaType, desc.digest);
}

/** Read and parse an image config blob. */
export async function readConfig(content: Provider, digest: Digest): Promise<ImageConfig> {
  return parseConfig(await content.readAll(digest, MAX_CONFIG_SIZE), digest);
}

/** Descriptors a manifest or index refers to (for GC and push). */
export function childDescriptors(m: ParsedManifest): Descriptor[] {
  return m.kind === 'index' ? m.index.manifests : [m.manifest.config, ...m.manifest.layers];
}

/**
 * Find the image named `input`: an exact stored name, its normalised form
 * (`hello` → `docker.io/library/hello:latest`), or a prefix (at least 3 hex
 * digits) of the manifest/index digest. Throws IMAGE_NOT_FOUND.
 */
export async function findImage(store: Store, input: string): Promise<ImageRecord> {
  const exact = await store.images.get(input);
  if (exact) return exact;
  try {
    const norm = await store.images.get(parseReference(input).toString());
    if (norm) return norm;
  } catch {
    /* not a reference; maybe an ID */
  }
  const hex = input.replace(/^sha256:/, '');
  if (/^[a-f0-9]{3,64}$/.test(hex)) {
    const hits = (await store.images.list()).filter((r) => r.target.digest.slice(7).startsWith(hex));
    if (hits.length === 1) return hits[0];
    const ids = new Set(hits.map((h) => h.target.digest));
    if (ids.size === 1) return hits[0];
    if (ids.size > 1) throw new StoreError('IMAGE_NOT_FOUND', `image ID ${input} is ambiguous; give more digits`);
  }
  throw new StoreError('IMAGE_NOT_FOUND', `image ${input} is not in the store; pull it first (wasmvisor pull ${input})`);
}

/** Resolve `record` to one platform's manifest and config (the one chosen at pull time, unless `platforms` is given). */
export async function resolveRecord(store: Store, record: ImageRecord, platforms?: readonly Platform[]): Promise<ResolvedImage> {
  try {
    const top = await readManifest(store.content, record.target);
    if (top.kind === 'manifest') {
      const config = await readConfig(store.content, top.manifest.config.digest);
      return { record, manifestDesc: record.target, manifest: top.manifest, config };
    }
    const present: Descriptor[] = [];
    for (const m of top.index.manifests) if (await store.content.has(m.digest)) present.push(m);
    const pinned = record.labels?.['wasmvisor.manifest'];
    const desc = (!platforms && present.find((m) => m.digest === pinned)) || choosePlatform(present, platforms ?? DEFAULT_PLATFORMS, record.name);
    const child = await readManifest(store.content, desc);
    if (child.kind !== 'manifest') throw new StoreError('CORRUPT', `${record.name}: nested indexes are not supported`);
    const config = await readConfig(store.content, child.manifest.config.digest);
    return { record, index: top.index, manifestDesc: desc, manifest: child.manifest, config };
  } catch (err) {
    if (err instanceof ContentStoreError && err.code === 'NOT_FOUND') {
      throw new StoreError('CORRUPT', `image ${record.name} is incomplete in the store (${err.message}); pull it again`);
    }
    throw err;
  }
}

/** `findImage` then `resolveRecord`. */
export async function resolveImage(store: Store, input: string, platforms?: readonly Platform[]): Promise<ResolvedImage> {
  return resolveRecord(store, await findImage(store, input), platforms);
}
