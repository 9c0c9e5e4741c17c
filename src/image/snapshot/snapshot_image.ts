/**
 * From an image name to the layer trees a container stacks, through one
 * {@link SnapshotStore} per store root per process, so every container of
 * an image in this process shares one copy of its layers (and other images
 * with the same bottom layers share those).
 */
import type { LayerTree } from '../../../kernel/fs/layer_tree.js';
import { layerSources } from '../content/image_config.js';
import type { Platform } from '../content/manifest.js';
import { readConfig, readManifest, resolveImage, resolveRecord, type ResolvedImage } from '../content/manifest_store.js';
import type { Descriptor } from '../content/manifest.js';
import { StoreError, type ImageRecord, type Store } from '../content/store_root.js';
import { SnapshotStore, type SnapshotStoreOptions } from './snapshot.js';

const shared = new Map<string, SnapshotStore>();

/** The process-wide snapshot store of `store` (created on first use with `opts`). */
export function sharedSnapshots(store: Store, opts?: SnapshotStoreOptions): SnapshotStore {
  let s = shared.get(store.root);
  if (!s) {
    s = new SnapshotStore(store.root, store.content, opts);
    shared.set(store.root, s);
  }
  return s;
}

/** What {@link prepareImage} returns. */
export interface PreparedImage {
  image: ResolvedImage;
  /** The layer trees, bottom layer first. */
  layers: LayerTree[];
  /** The same trees top first, as `kernel/fs/overlay` takes its lowers. */
  lowers: LayerTree[];
}

/** Options of {@link prepareImage}. */
export interface PrepareImageOptions {
  platforms?: readonly Platform[];
  /** Record this owner (e.g. `container:<id>`) on every snapshot used; release it on removal. */
  owner?: string;
}

/**
 * Resolve `input` in `store` (a name, or the record already found, which is
 * not looked up again) and prepare its layers (unpacking only what no
 * cache holds).
 */
export async function prepareImage(store: Store, input: string | ImageRecord, opts: PrepareImageOptions = {}): Promise<PreparedImage> {
  const image = typeof input === 'string' ? await resolveImage(store, input, opts.platforms) : await resolveRecord(store, input, opts.platforms);
  return prepareResolved(store, image, opts);
}

/**
 * Prepare the layers of the platform manifest `manifest` stored under
 * `name`, as resolved before (by `run -d`'s parent): no name lookup, no
 * platform choice, so both processes run the very same manifest.
 */
export async function prepareManifest(store: Store, name: string, manifest: Descriptor, opts: PrepareImageOptions = {}): Promise<PreparedImage> {
  const parsed = await readManifest(store.content, manifest);
  if (parsed.kind !== 'manifest') throw new StoreError('CORRUPT', `${name}: ${manifest.digest} is not an image manifest`);
  const config = await readConfig(store.content, parsed.manifest.config.digest);
  const record: ImageRecord = { name, target: manifest, createdAt: '', updatedAt: '' };
  return prepareResolved(store, { record, manifestDesc: manifest, manifest: parsed.manifest, config }, opts);
}

async function prepareResolved(store: Store, image: ResolvedImage, opts: PrepareImageOptions): Promise<PreparedImage> {
  const layers = await sharedSnapshots(store).prepare(layerSources(image.manifest, image.config), { owner: opts.owner });
  return { image, layers, lowers: [...layers].reverse() };
}
