/**
 * User-namespace id mappings (OCI `uidMappings`/`gidMappings`) as the
 * kernel applies them to host files: a host owner is shown through the
 * mapping (an unmapped id shows as the overflow id 65534, as Linux does),
 * and a container id becomes the host id a new file is given. No mappings
 * means no user namespace: ids pass unchanged.
 */

/** One mapping range, as OCI spells it. */
export interface IdMap {
  containerID: number;
  hostID: number;
  size: number;
}

/** The id an unmapped host id shows as. */
export const OVERFLOW_ID = 65534;

/** Host id → container id, or undefined when unmapped (identity without mappings). */
export function hostToContainer(maps: readonly IdMap[], hostId: number): number | undefined {
  if (maps.length === 0) return hostId;
  for (const m of maps) if (hostId >= m.hostID && hostId < m.hostID + m.size) return m.containerID + (hostId - m.hostID);
  return undefined;
}

/** Container id → host id, or undefined when unmapped (identity without mappings). */
export function containerToHost(maps: readonly IdMap[], id: number): number | undefined {
  if (maps.length === 0) return id;
  for (const m of maps) if (id >= m.containerID && id < m.containerID + m.size) return m.hostID + (id - m.containerID);
  return undefined;
}
