/**
 * User namespace id mappings (OCI `linux.uidMappings` / `gidMappings`):
 * host ids seen from the container. A host directory used as the root's
 * lower (`--rootfs`) is remapped once when the container is built; bind
 * mounts map on every stat (kernel/fs/hostfs.ts). Isomorphic (no node:*).
 */
import type { LayerDir, LayerNode } from '../../kernel/fs/layer_tree.js';
import type { IdMapping } from '../sentry/control_plane.js';

/** Unmapped host ids show as the overflow id, as Linux does. */
const OVERFLOW_ID = 65534;

/** Host id → container id through OCI mappings (identity when there are none). */
export function toContainerId(maps: readonly IdMapping[], hostId: number): number {
  if (maps.length === 0) return hostId;
  for (const m of maps) if (hostId >= m.hostID && hostId < m.hostID + m.size) return m.containerID + (hostId - m.hostID);
  return OVERFLOW_ID;
}

/**
 * User namespace: a host directory's owners seen from the container. The
 * tree was built for this container alone, so it is rewritten in place. A
 * node whose owner or group has no mapping is marked `unmapped`: container
 * root has no override on it (as on a bind's host files). Iterative: a host
 * tree can be deeper than the stack.
 */
export function remapOwners(top: LayerDir, uids: readonly IdMapping[], gids: readonly IdMapping[]): void {
  const seen = new Set<LayerNode>();
  const todo: LayerDir[] = [top];
  const remap = (n: Exclude<LayerNode, { kind: 'whiteout' }>) => {
    if (seen.has(n)) return; // a hard link: one node under several names
    seen.add(n);
    const uid = toContainerId(uids, n.uid);
    const gid = toContainerId(gids, n.gid);
    if (!isMapped(uids, n.uid) || !isMapped(gids, n.gid)) n.unmapped = true;
    n.uid = uid;
    n.gid = gid;
  };
  remap(top);
  while (todo.length > 0) {
    for (const n of todo.pop()!.entries.values()) {
      if (n.kind === 'whiteout') continue;
      const fresh = !seen.has(n);
      remap(n);
      if (fresh && n.kind === 'dir') todo.push(n);
    }
  }
}

/** True if host id `hostId` has a mapping (always, without mappings). */
function isMapped(maps: readonly IdMapping[], hostId: number): boolean {
  return maps.length === 0 || maps.some((m) => hostId >= m.hostID && hostId < m.hostID + m.size);
}
