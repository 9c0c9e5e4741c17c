/**
 * Which containers of a store use which volumes: read from each container's
 * OCI config (its bind mounts' sources), for `volume rm`, `volume prune`,
 * `system df` and `system prune`.
 */
import type { Command } from 'commander';
import { listStates } from '../runtime/detached/state.js';
import { VolumeStore } from '../runtime/volume_store.js';
import { resolveStoreRoot } from '../image/content/store_path.js';
import { containerConfig, containersRoot } from './containers/store.js';

/** The volume store of the command's `--root`. */
export function volumesFromCommand(c: Command): VolumeStore {
  return new VolumeStore(resolveStoreRoot((c.optsWithGlobals() as { root?: string }).root));
}

/** Container id → its mounts' host sources, for every container of the store (running or not). */
export function mountSources(c: Command): Map<string, string[]> {
  const root = containersRoot(c);
  const out = new Map<string, string[]>();
  for (const st of listStates(root)) {
    out.set(st.id, (containerConfig(root, st.id).mounts ?? []).map((m) => m.source ?? '').filter(Boolean));
  }
  return out;
}
