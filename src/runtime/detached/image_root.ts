/**
 * The root of a detached container made from an image (`wasmvisor run -d
 * IMAGE`): its sandbox process prepares the image's layers from the store
 * again (layer trees cannot cross processes), and finds exec'd modules in
 * them.
 */
import { isWasm } from '../../../kernel/platform/wasm_magic.js';
import type { LayerTree } from '../../../kernel/fs/layer_tree.js';
import { DetachedError } from './state.js';

/** An image by its stored name, in the store at `store`. */
export interface StoredImage {
  store: string;
  name: string;
  /** `OS/ARCH` when run chose one. */
  platform?: string;
  /** The platform manifest `run` resolved: prepared as is, the name is not resolved a second time. */
  manifest?: { mediaType: string; digest: string; size: number };
}

/** The layer trees of a stored image, top first. */
export async function imageLayers(i: StoredImage): Promise<LayerTree[]> {
  const [{ openStore }, { prepareImage, prepareManifest }, { parsePlatform }] = await Promise.all([
    import('../../image/content/store_root.js'), import('../../image/snapshot/snapshot_image.js'), import('../../image/reference/platform.js'),
  ]);
  const store = await openStore(i.store);
  const prepared = i.manifest
    ? await prepareManifest(store, i.name, i.manifest as Parameters<typeof prepareManifest>[2])
    : await prepareImage(store, i.name, { platforms: i.platform ? [parsePlatform(i.platform)] : undefined });
  return prepared.lowers;
}

/** The bytes of the module at `path` (absolute, or relative to `cwd`) in `lowers` (top first); BAD_ARG with one line otherwise. */
export async function moduleInLayers(lowers: readonly LayerTree[], path: string, cwd = '/'): Promise<Uint8Array> {
  const { lookupMerged, readLayerFile } = await import('../../image/snapshot/merged_lookup.js');
  const hit = lookupMerged(lowers, path.startsWith('/') ? path : `${cwd.replace(/\/$/, '')}/${path}`);
  if (!hit || hit.node.kind !== 'file') throw new DetachedError('BAD_ARG', `${path}: no such file in the container's image (give a path in the image, or a .wasm file on the host)`);
  const bytes = readLayerFile(hit.node);
  if (!isWasm(bytes)) throw new DetachedError('BAD_ARG', `${path}: not a WebAssembly module`);
  return bytes;
}
