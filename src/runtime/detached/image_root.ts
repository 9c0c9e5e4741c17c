/**
 * The root of a detached container made from an image (`wasmvisor run -d
 * IMAGE`): its sandbox process prepares the image's layers from the store
 * again (layer trees cannot cross processes), and finds exec'd modules in
 * them.
 */
import type { LayerFile, LayerTree } from '../../../kernel/fs/layer_tree.js';
import { DetachedError } from './state.js';

/** An image by its stored name, in the store at `store`. */
export interface StoredImage {
  store: string;
  name: string;
  /** `OS/ARCH` when run chose one. */
  platform?: string;
}

/** The layer trees of a stored image, top first. */
export async function imageLayers(i: StoredImage): Promise<LayerTree[]> {
  const [{ openStore }, { prepareImage }, { parsePlatform }] = await Promise.all([
    import('../../image/content/store_root.js'), import('../../image/snapshot/snapshot_image.js'), import('../../image/reference/platform.js'),
  ]);
  const prepared = await prepareImage(await openStore(i.store), i.name, { platforms: i.platform ? [parsePlatform(i.platform)] : undefined });
  return prepared.lowers;
}

/** The bytes of the module at `path` (absolute, or relative to `cwd`) in `lowers` (top first); BAD_ARG with one line otherwise. */
export async function moduleInLayers(lowers: readonly LayerTree[], path: string, cwd = '/'): Promise<Uint8Array> {
  const [{ mergeLayers }, { lookupMerged, readLayerFile }, { isWasm }] = await Promise.all([
    import('../../image/snapshot/snapshot_view.js'), import('../../image/snapshot/merged_lookup.js'), import('../../image/run/manifest_run.js'),
  ]);
  const hit = lookupMerged(mergeLayers([...lowers].reverse()), path.startsWith('/') ? path : `${cwd.replace(/\/$/, '')}/${path}`);
  if (!hit || hit.node.kind !== 'file') throw new DetachedError('BAD_ARG', `${path}: no such file in the container's image (give a path in the image, or a .wasm file on the host)`);
  const bytes = readLayerFile(hit.node.node as LayerFile);
  if (!isWasm(bytes)) throw new DetachedError('BAD_ARG', `${path}: not a WebAssembly module`);
  return bytes;
}
