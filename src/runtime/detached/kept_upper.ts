/**
 * The writable layer of an exited detached container, kept on disk until
 * `rm` as podman keeps it: when the container ends, its sandbox process
 * writes the upper as an OCI layer tar (`upper.tar`, whiteouts for
 * deletions) and its A/C/D paths (`diff.json`) into the container's
 * directory, so that `diff`, `commit`, `cp` and `export` work on it after it
 * exited. The upper lived in memory under the container's memory limit, so
 * these files are bounded by that limit. A new run of the container
 * (`start` of an exited one) begins with this layer as its upper, as
 * podman's does (`keptSeed`, runtime/seed_upper.ts): what the last run
 * wrote, and what `cp` put into the exited container, is there; the new
 * run's end writes the files again.
 */
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { LayerTree } from '../../../kernel/fs/layer_tree.js';
import { writeTar } from '../../image/build/tar_writer.js';
import type { DiffEntry } from '../../sentry/control_plane.js';
import type { Container } from '../container.js';

/** The kept upper layer's tar in the container's directory. */
export const UPPER_FILE = 'upper.tar';
/** The kept layer's A/C/D paths (JSON array of DiffEntry). */
export const DIFF_FILE = 'diff.json';

/** Write `c`'s upper and diff into `dir` (each atomically); false if it could not (the container is gone). */
export async function keepUpper(dir: string, c: Container): Promise<boolean> {
  try {
    const [entries, diff] = await Promise.all([c.layer(), c.diff()]);
    for (const [name, bytes] of [[UPPER_FILE, writeTar(entries)], [DIFF_FILE, Buffer.from(JSON.stringify(diff))]] as const) {
      writeFileSync(join(dir, `${name}.tmp`), bytes, { mode: 0o600 });
      renameSync(join(dir, `${name}.tmp`), join(dir, name));
    }
    return true;
  } catch {
    return false;
  }
}

/** The kept diff of the container in `dir`, or undefined when none was kept. */
export function keptDiff(dir: string): DiffEntry[] | undefined {
  try {
    return JSON.parse(readFileSync(join(dir, DIFF_FILE), 'utf8')) as DiffEntry[];
  } catch {
    return undefined;
  }
}

/** The kept upper tar of the container in `dir`, or undefined when none was kept. */
export function keptUpper(dir: string): Uint8Array | undefined {
  try {
    return readFileSync(join(dir, UPPER_FILE));
  } catch {
    return undefined;
  }
}


/** The kept layer of the container in `dir` as a tree marked to seed the new run's upper (seed_upper.ts), or undefined when none was kept. */
export async function keptSeed(dir: string): Promise<LayerTree | undefined> {
  const bytes = keptUpper(dir);
  if (bytes === undefined) return undefined;
  const { unpackLayer } = await import('../../image/snapshot/unpack.js');
  const { tree, diffId } = await unpackLayer((async function* () { yield bytes; })());
  return { ...tree, id: `kept:${diffId}`, seed: true } as LayerTree;
}
