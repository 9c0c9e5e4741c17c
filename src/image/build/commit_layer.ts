/**
 * From new layer tars to a new image in the store: what `commit` (a
 * container's upper layer), `import` (a tarball) and `build` (each COPY,
 * ADD and RUN) share. Each tar is gzipped without a name or a time, so the
 * same tars, config and `created` give the same manifest digest; base
 * layers are reused as they are (Docker layer types renamed to their OCI
 * twins: same bytes). History follows the builders: one entry per step, a
 * step without a layer (ENV, CMD, ...) marked `empty_layer`.
 */
import { gzipSync } from 'node:zlib';
import { sha256Digest, type Digest } from '../content/digest.js';
import type { Descriptor, ImageConfig, ImageManifest, ImageRuntimeConfig } from '../content/manifest.js';
import { resolveImage, type ResolvedImage } from '../content/manifest_store.js';
import { MediaType } from '../content/media_types.js';
import type { Store } from '../content/store_root.js';
import { parseReference } from '../reference/reference.js';
import { putBytes } from '../layout/layout_ingest.js';
import { buildImageConfig, type ConfigSettings } from '../content/image_config.js';
import { writeTar, type TarEntry } from './tar_writer.js';

/** Stable codes of {@link CommitError}. */
export type CommitErrorCode = 'ARTIFACT' | 'BAD_NAME';

/** An image that cannot be written as asked; the message says what to change. */
export class CommitError extends Error {
  constructor(readonly code: CommitErrorCode, message: string) {
    super(message);
    this.name = 'CommitError';
  }
}

const DOCKER_TO_OCI: Record<string, string> = {
  [MediaType.DOCKER_LAYER_GZIP]: MediaType.OCI_LAYER_GZIP,
  [MediaType.DOCKER_LAYER_FOREIGN_GZIP]: MediaType.OCI_LAYER_NONDIST_GZIP,
  'application/vnd.docker.image.rootfs.diff.tar': MediaType.OCI_LAYER,
};

/** One step of a new image: a layer (its uncompressed tar) or none, and what made it. */
export interface ImageStep {
  createdBy: string;
  /** The layer's tar; absent for a step that only changes the config. */
  tar?: Uint8Array;
  /** Or the layer already stored (a build cache hit), with its diff ID. */
  layer?: { desc: Descriptor; diffId: Digest };
  comment?: string;
}

/** What {@link writeImage} needs. */
export interface WriteImageOptions {
  /** The base image (undefined: scratch). */
  base?: ResolvedImage;
  steps: readonly ImageStep[];
  /** The runtime config (Entrypoint, Cmd, Env, ...) of the new image, complete. */
  runtime: ImageRuntimeConfig;
  /** ISO time of `created` and of every new history entry. */
  created: string;
  author?: string;
  /** Names to give it (none: the image is only returned, and prune may collect it). */
  tags?: readonly string[];
  /** A label on each name's record (`wasmvisor.source`). */
  source?: string;
}

/** What was written. */
export interface WrittenImage {
  manifest: Descriptor;
  config: Descriptor;
  layers: Descriptor[];
  names: string[];
}

async function putJson(store: Store, mediaType: string, v: unknown): Promise<Descriptor> {
  const bytes = new TextEncoder().encode(JSON.stringify(v));
  return { mediaType, digest: await putBytes(store.content, bytes), size: bytes.length };
}

/** Store one uncompressed layer tar, gzipped deterministically; resolves to its descriptor and diff ID. */
export async function putLayer(store: Store, tar: Uint8Array): Promise<{ desc: Descriptor; diffId: ReturnType<typeof sha256Digest> }> {
  const gz = new Uint8Array(gzipSync(tar, { level: 6 }));
  return { desc: { mediaType: MediaType.OCI_LAYER_GZIP, digest: await putBytes(store.content, gz), size: gz.length }, diffId: sha256Digest(tar) };
}

/** The base's layers and config as a new OCI image continues them; a Wasm artifact cannot be a base. */
export function baseParts(base: ResolvedImage | undefined, what: string): { layers: Descriptor[]; config?: ImageConfig } {
  if (base === undefined) return { layers: [] };
  if (base.manifest.config.mediaType === MediaType.WASM_CONFIG) {
    throw new CommitError('ARTIFACT', `${what} ${base.record.name} is a Wasm artifact, not an image with tar layers; start from scratch and copy its module in`);
  }
  return { layers: base.manifest.layers.map((l) => ({ ...l, mediaType: DOCKER_TO_OCI[l.mediaType] ?? l.mediaType })), config: base.config };
}

/** Write the layers, config and manifest of a new image on `opts.base`, and name it. */
export async function writeImage(store: Store, opts: WriteImageOptions): Promise<WrittenImage> {
  const names = (opts.tags ?? []).map((t) => {
    try {
      return parseReference(t).toString();
    } catch (err) {
      throw new CommitError('BAD_NAME', `invalid image name ${JSON.stringify(t)}: ${(err as Error).message}`);
    }
  });
  const base = baseParts(opts.base, 'the base image');
  const layers = [...base.layers];
  const diffIds = [...(base.config?.rootfs?.diff_ids ?? [])];
  const history = [...(base.config?.history ?? [])];
  for (const s of opts.steps) {
    const h: NonNullable<ImageConfig['history']>[number] = { created: opts.created, created_by: s.createdBy };
    if (s.comment) h.comment = s.comment;
    if (s.layer !== undefined) {
      layers.push(s.layer.desc);
      diffIds.push(s.layer.diffId);
    } else if (s.tar === undefined) h.empty_layer = true;
    else {
      const { desc, diffId } = await putLayer(store, s.tar);
      layers.push(desc);
      diffIds.push(diffId);
    }
    history.push(h);
  }
  const cfg: ImageConfig = {
    created: opts.created, architecture: 'wasm', os: 'wasip1', config: opts.runtime,
    rootfs: { type: 'layers', diff_ids: diffIds }, history,
  };
  if (opts.author) cfg.author = opts.author;
  const config = await putJson(store, MediaType.OCI_CONFIG, cfg);
  const manifest: ImageManifest = { schemaVersion: 2, mediaType: MediaType.OCI_MANIFEST, config, layers };
  const desc = await putJson(store, MediaType.OCI_MANIFEST, manifest);
  for (const n of names) await store.images.put(n, desc, opts.source ? { 'wasmvisor.source': opts.source } : undefined);
  return { manifest: desc, config, layers, names };
}

/** What `commit` and `import` give {@link commitLayer}. */
export interface CommitLayerOptions extends ConfigSettings {
  /** Base image name (`commit`: the container's image), or undefined for scratch. */
  base?: string;
  /** The new layer: entries (e.g. `upperEntries` of a container) or an uncompressed tar. */
  layer: readonly TarEntry[] | Uint8Array;
  createdBy: string;
  comment?: string;
  author?: string;
  tags?: readonly string[];
  source?: string;
}

/** One new layer on `base` with the config `base`'s overridden by the settings: `commit`'s and `import`'s image. */
export async function commitLayer(store: Store, opts: CommitLayerOptions): Promise<WrittenImage> {
  const base = opts.base === undefined || opts.base === 'scratch' ? undefined : await resolveImage(store, opts.base);
  const created = opts.created ?? new Date().toISOString();
  const runtime = buildImageConfig(baseParts(base, 'the base image').config, { ...opts, created }, [], '').config ?? {};
  const tar = opts.layer instanceof Uint8Array ? opts.layer : writeTar(opts.layer);
  return writeImage(store, { base, steps: [{ createdBy: opts.createdBy, tar, comment: opts.comment }], runtime, created, author: opts.author, tags: opts.tags, source: opts.source });
}
