/**
 * `recreate.json`, what a container's sandbox process needs beyond its
 * config to be made again (recreate.ts), written by `run -d`, `create` and
 * foreground `run`. Apart from recreate.ts so that writing it does not load
 * the container lifecycle (a foreground `run` process writes it at start).
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { StoredImage } from '../../runtime/detached/image_root.js';

/** File in a container's directory: how to make its sandbox process again. */
export const RECREATE_FILE = 'recreate.json';

/** What `recreate.json` holds. */
export interface Recreate {
  /** Host path of the init module (`ROOT/ID/module.wasm` for one read from an image by run -d; empty: read it from the image's layers at start). */
  module: string;
  image?: StoredImage;
  /** false: stdin open and unread (-i). */
  stdin: boolean;
  logMaxSize: number;
}

/** Write `r` into container directory `dir` (a container removed meanwhile, --rm, is left alone). */
export function saveRecreate(dir: string, r: Recreate): void {
  try {
    writeFileSync(join(dir, RECREATE_FILE), JSON.stringify(r));
  } catch {
    // gone already (run -d --rm of a short program)
  }
}
