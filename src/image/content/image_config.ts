/**
 * Image configs: pairing a manifest's layers with the config's diff IDs
 * (what snapshots need), and building new configs for `pack`. Resolving a
 * name to a manifest is manifest_store.ts's job.
 */
import type { Digest } from './digest.js';
import type { ImageConfig, ImageManifest, ImageRuntimeConfig } from './manifest.js';
import { MediaType, WASM_LAYER_TYPES } from './media_types.js';
import type { LayerSource } from '../snapshot/snapshot.js';
import { CodedError } from '../../coded_error.js';

/** Stable codes of {@link ImageConfigError}. */
export type ImageConfigErrorCode = 'LAYER_COUNT';

/** An image whose manifest and config do not fit together. */
export class ImageConfigError extends CodedError<ImageConfigErrorCode> {
  override readonly name = 'ImageConfigError';
}

/** Pair each layer with its diff ID (a Wasm module layer's diff ID is its digest). */
export function layerSources(manifest: ImageManifest, config: ImageConfig): LayerSource[] {
  const wasm = manifest.layers.every((l) => WASM_LAYER_TYPES.has(l.mediaType));
  if (wasm || manifest.config.mediaType === MediaType.WASM_CONFIG) {
    return manifest.layers.map((l) => ({ descriptor: l, diffId: l.digest }));
  }
  const diffIds: Digest[] = config.rootfs?.diff_ids ?? [];
  if (diffIds.length !== manifest.layers.length) {
    throw new ImageConfigError('LAYER_COUNT',
      `the image has ${manifest.layers.length} layers but its config lists ${diffIds.length} diff IDs; the image is corrupt (rebuild or pull it again)`);
  }
  return manifest.layers.map((l, i) => ({ descriptor: l, diffId: diffIds[i] }));
}

/** What `pack` sets in a new image config. */
export interface ConfigSettings {
  entrypoint?: string[];
  cmd?: string[];
  /** `KEY=VALUE` entries; a key given again replaces the earlier value. */
  env?: string[];
  workdir?: string;
  user?: string;
  labels?: Record<string, string>;
  /** ISO time for `created` (from SOURCE_DATE_EPOCH for reproducible builds). */
  created?: string;
}

/** Merge `env` entries by key (later wins), keeping first-seen order. */
export function mergeEnv(base: readonly string[], add: readonly string[]): string[] {
  const map = new Map<string, string>();
  for (const e of [...base, ...add]) {
    const i = e.indexOf('=');
    map.set(i < 0 ? e : e.slice(0, i), e);
  }
  return [...map.values()];
}

/**
 * A new config: `base`'s settings (for `--from IMAGE`) overridden by `s`,
 * with `diffIds` appended to the base's rootfs and one history entry per new layer.
 */
export function buildImageConfig(base: ImageConfig | undefined, s: ConfigSettings, newDiffIds: readonly Digest[], createdBy: string): ImageConfig {
  const rc: ImageRuntimeConfig = { ...(base?.config ?? {}) };
  if (s.entrypoint) {
    rc.Entrypoint = s.entrypoint;
    if (!s.cmd) delete rc.Cmd; // as docker does: a new entrypoint drops the inherited cmd
  }
  if (s.cmd) rc.Cmd = s.cmd;
  if (s.env?.length) rc.Env = mergeEnv(rc.Env ?? [], s.env);
  if (s.workdir) rc.WorkingDir = s.workdir;
  if (s.user) rc.User = s.user;
  if (s.labels && Object.keys(s.labels).length) rc.Labels = { ...(rc.Labels ?? {}), ...s.labels };
  const created = s.created ?? new Date().toISOString();
  const cfg: ImageConfig = {
    created,
    architecture: 'wasm',
    os: 'wasip1',
    config: rc,
    rootfs: { type: 'layers', diff_ids: [...(base?.rootfs?.diff_ids ?? []), ...newDiffIds] },
    history: [...(base?.history ?? []), ...newDiffIds.map(() => ({ created, created_by: createdBy }))],
  };
  return cfg;
}
