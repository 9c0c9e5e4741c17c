/**
 * Reading a stored image (manifest → config → layers with their diff IDs)
 * and building new image configs (for `pack`). An index is resolved to one
 * manifest by platform: the requested one, else `wasip1/wasm`, then
 * `wasi/wasm`, then the only manifest there is.
 */
import type { Provider } from './content_store.js';
import type { Digest } from './digest.js';
import {
  MAX_CONFIG_SIZE, MAX_MANIFEST_SIZE, parseConfig, parseManifest,
  type Descriptor, type ImageConfig, type ImageManifest, type ImageRuntimeConfig, type Platform,
} from './manifest.js';
import { MediaType, WASM_LAYER_TYPES } from './media_types.js';
import type { LayerSource } from './snapshot.js';

/** Stable codes of {@link ImageConfigError}. */
export type ImageConfigErrorCode = 'NO_PLATFORM' | 'LAYER_COUNT' | 'INVALID';

/** An image whose manifest and config do not fit together, or no manifest for the platform. */
export class ImageConfigError extends Error {
  constructor(readonly code: ImageConfigErrorCode, message: string) {
    super(message);
    this.name = 'ImageConfigError';
  }
}

/** The platforms tried, in order, when none is requested. */
export const DEFAULT_PLATFORMS: readonly Platform[] = [
  { os: 'wasip1', architecture: 'wasm' },
  { os: 'wasi', architecture: 'wasm' },
];

/** One image resolved from the store. */
export interface ResolvedImage {
  /** The manifest's descriptor (not the index's). */
  manifestDescriptor: Descriptor;
  manifest: ImageManifest;
  configDescriptor: Descriptor;
  config: ImageConfig;
  /** Layers with their diff IDs, bottom first. */
  layers: LayerSource[];
}

/** `os/arch[/variant]`. */
export function platformString(p: Platform | undefined): string {
  if (!p) return 'unknown';
  return `${p.os}/${p.architecture}${p.variant ? `/${p.variant}` : ''}`;
}

/** Parse `os/arch[/variant]`. */
export function parsePlatform(s: string): Platform {
  const [os, architecture, variant] = s.split('/');
  if (!os || !architecture) throw new ImageConfigError('INVALID', `platform ${JSON.stringify(s)} is not os/arch[/variant] (e.g. wasip1/wasm)`);
  return variant ? { os, architecture, variant } : { os, architecture };
}

/** Pick a manifest of an index for `want` (or the default platforms). */
export function choosePlatform(manifests: readonly Descriptor[], want?: Platform): Descriptor {
  const candidates = manifests.filter((m) => m.mediaType !== MediaType.OCI_INDEX || m.platform);
  const match = (p: Platform) => candidates.find((m) => m.platform?.os === p.os && m.platform.architecture === p.architecture
    && (!p.variant || m.platform.variant === p.variant));
  for (const p of want ? [want] : DEFAULT_PLATFORMS) {
    const m = match(p);
    if (m) return m;
  }
  if (!want && candidates.length === 1) return candidates[0];
  const have = candidates.map((m) => platformString(m.platform)).join(', ') || 'none';
  throw new ImageConfigError('NO_PLATFORM',
    `no manifest for platform ${want ? platformString(want) : 'wasip1/wasm or wasi/wasm'}; the image has: ${have} (choose one with --platform)`);
}

/** Read the image `desc` points at (index or manifest) from `content`. */
export async function resolveImage(content: Provider, desc: Descriptor, want?: Platform): Promise<ResolvedImage> {
  let d = desc;
  for (let depth = 0; depth < 4; depth++) {
    const parsed = parseManifest(await content.readAll(d.digest, MAX_MANIFEST_SIZE), d.mediaType, d.digest);
    if (parsed.kind === 'index') {
      d = choosePlatform(parsed.index.manifests, want);
      continue;
    }
    const manifest = parsed.manifest;
    const config = parseConfig(await content.readAll(manifest.config.digest, MAX_CONFIG_SIZE), manifest.config.digest);
    return { manifestDescriptor: { ...d, mediaType: parsed.mediaType }, manifest, configDescriptor: manifest.config, config, layers: layerSources(manifest, config) };
  }
  throw new ImageConfigError('INVALID', `${desc.digest}: indexes nested more than 4 deep`);
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
