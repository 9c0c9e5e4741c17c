/**
 * From an image to the process `run IMAGE` starts: argv from the config's
 * Entrypoint and Cmd (as Docker and podman combine them), env, working
 * directory and user, and the WebAssembly module argv[0] names, found in
 * the image's merged layers: through `$PATH` when it has no slash, then as
 * a path (relative to the working directory); symlinks are followed inside
 * the rootfs only (`lookupMerged`, shared with `-u`'s /etc/passwd lookup). A
 * Wasm OCI artifact without an Entrypoint or Cmd runs its module layer,
 * with the arguments after the image name. The kernel is not involved: this
 * reads the layer trees.
 */
import type { LayerTree } from '../../../kernel/fs/layer_tree.js';
import type { Descriptor, Platform } from '../content/manifest.js';
import { findImage } from '../content/manifest_store.js';
import type { Progress } from '../transport/progress.js';
import { parseReference } from '../reference/reference.js';
import type { Transport } from '../transport/transport.js';
import { prepareImage } from '../snapshot/snapshot_image.js';
import { StoreError, type Store } from '../content/store_root.js';
import { imageProcess, type ImageProcess, type RunOverrides } from './image_process.js';

export { DEFAULT_PATH, ImageRunError, imageProcess, type ImageProcess, type ImageRunErrorCode, type RunOverrides } from './image_process.js';

export { looksLikeImage, referenceFault } from './image_arg.js';

/** How `run IMAGE` gets the image. */
export interface PrepareRunOptions {
  /** `missing` (default, as podman): pull if absent; `always`; `never`. */
  pull?: 'missing' | 'always' | 'never';
  /**
   * Where an image not in the store comes from, tried in order until one
   * has it (e.g. the bundled samples, then the registry); a transport that
   * is a cached copy (the samples) is skipped under `always`.
   */
  transports: readonly Transport[];
  platforms?: readonly Platform[];
  progress?: Progress;
  /** Recorded on every snapshot used (e.g. `container:<id>`). */
  owner?: string;
}

/** What `runWasm` needs to start the image's process, plus the process description. */
export interface PreparedRun {
  process: ImageProcess;
  /** The image's layer trees, top first (runWasm's `lowers`). */
  lowers: LayerTree[];
  /** The stored name that was run. */
  name: string;
  /** The platform manifest that was run (`run -d` hands it on, so the sandbox process prepares the same one without resolving the name again). */
  manifest: Descriptor;
  /** The image config's ExposedPorts (`run -P` publishes them). */
  exposedPorts?: Record<string, object>;
}

/** Find (pulling per `opts.pull`, through `opts.transports`) and prepare `input`, and work out its process. */
export async function prepareRun(store: Store, input: string, o: RunOverrides, opts: PrepareRunOptions): Promise<PreparedRun> {
  const policy = opts.pull ?? 'missing';
  let rec = policy === 'always' ? undefined : await findImage(store, input).catch((err: unknown) => {
    if (err instanceof StoreError && err.code === 'IMAGE_NOT_FOUND' && policy === 'missing') return undefined;
    throw err;
  });
  if (!rec) {
    const ref = parseReference(input); // parsed once, carried to every transport
    for (const t of opts.transports) {
      if (t.cached && policy !== 'missing') continue;
      if (t.cached && (await t.resolve(ref)).length === 0) continue;
      const got = await t.pull(store, ref, { platforms: opts.platforms, progress: opts.progress });
      if (got.length === 0) continue;
      rec = await findImage(store, got[0].name);
      break;
    }
    if (!rec) throw new StoreError('IMAGE_NOT_FOUND', `image ${input} is not in the store and no transport has it; pull it first (wasmvisor pull ${input})`);
  }
  const prepared = await prepareImage(store, rec, { platforms: opts.platforms, owner: opts.owner });
  const proc = imageProcess(prepared.image.config, prepared.image.manifest, prepared.lowers, o);
  return { process: proc, lowers: prepared.lowers, name: rec.name, manifest: prepared.image.manifestDesc, exposedPorts: prepared.image.config.config?.ExposedPorts };
}
