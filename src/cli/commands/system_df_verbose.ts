/**
 * `wasmvisor system df -v`: podman's verbose report, one table each for
 * images (SIZE, SHARED SIZE with other images, UNIQUE SIZE, CONTAINERS using
 * it), containers (LOCAL VOLUMES mounted, SIZE of its directory: log, kept
 * writable layer, module) and local volumes (LINKS: containers mounting it).
 */
import type { Digest } from '../../image/content/digest.js';
import { splitName } from '../../image/content/manifest_inspect.js';
import type { ImageRecord } from '../../image/content/store_root.js';
import type { RuncState } from '../../runtime/detached/state.js';
import { Annotation, nameOf } from '../containers/store.js';
import { formatBytes } from '../progress.js';
import { printTable } from '../table.js';
import { humanDuration, psRecord, statusText } from './ps.js';

/** What `system df` measured, for the verbose tables. */
export interface DfData {
  images: readonly { rec: ImageRecord; blobs: ReadonlySet<Digest>; usedBy: number }[];
  sizes: ReadonlyMap<Digest, number>;
  containers: readonly { st: RuncState; size: number; volumes: number }[];
  volumes: readonly { name: string; size: number; links: number }[];
}

/** Print the three tables of `system df -v`. */
export function printDfVerbose(d: DfData, now = Date.now()): void {
  const owners = new Map<Digest, number>();
  for (const i of d.images) for (const b of i.blobs) owners.set(b, (owners.get(b) ?? 0) + 1);
  const sum = (bs: Iterable<Digest>) => [...bs].reduce((n, b) => n + (d.sizes.get(b) ?? 0), 0);
  process.stdout.write('Images space usage:\n\n');
  printTable([['REPOSITORY', 'TAG', 'IMAGE ID', 'CREATED', 'SIZE', 'SHARED SIZE', 'UNIQUE SIZE', 'CONTAINERS'], ...d.images.map((i) => {
    const { repository, tag } = splitName(i.rec.name);
    const shared = sum([...i.blobs].filter((b) => (owners.get(b) ?? 0) > 1));
    const total = sum(i.blobs);
    return [repository, tag, i.rec.target.digest.slice(7, 19), `${humanDuration(now - Date.parse(i.rec.createdAt))} ago`,
      formatBytes(total), formatBytes(shared), formatBytes(total - shared), String(i.usedBy)];
  })]);
  process.stdout.write('\nContainers space usage:\n\n');
  printTable([['CONTAINER ID', 'IMAGE', 'COMMAND', 'LOCAL VOLUMES', 'SIZE', 'CREATED', 'STATUS', 'NAMES'], ...d.containers.map(({ st, size, volumes }) => [
    st.id.slice(0, 12), st.annotations[Annotation.IMAGE] ?? '', String(psRecord(st, now).Command ?? ''), String(volumes), formatBytes(size),
    `${humanDuration(now - Date.parse(st.created))} ago`, statusText(st, now), nameOf(st),
  ])]);
  process.stdout.write('\nLocal Volumes space usage:\n\n');
  printTable([['VOLUME NAME', 'LINKS', 'SIZE'], ...d.volumes.map((v) => [v.name, String(v.links), formatBytes(v.size)])]);
}
