/** Disk use of a directory tree (regular files' sizes, links not followed), for `system df` and `system prune`. */
import { lstatSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

/** Bytes of the regular files under `dir` (0 if it is absent). */
export function dirSize(dir: string): number {
  let total = 0;
  let ents;
  try {
    ents = readdirSync(dir, { withFileTypes: true });
  } catch {
    return 0;
  }
  for (const e of ents) {
    const p = join(dir, e.name);
    if (e.isDirectory()) total += dirSize(p);
    else if (e.isFile()) {
      try {
        total += lstatSync(p).size;
      } catch {
        /* gone meanwhile */
      }
    }
  }
  return total;
}
