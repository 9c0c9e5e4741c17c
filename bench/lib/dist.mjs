/**
 * bench/lib/dist: load modules from the built dist/ tree, with one clear
 * message when `npm run build` has not been run.
 */
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

/** The repository root (the parent of bench/). */
export const REPO_ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** Import `dist/<rel>` (e.g. "src/runtime/run_wasm.js"); exits 2 with a hint if it is not built. */
export async function importDist(rel) {
  const p = join(REPO_ROOT, 'dist', rel);
  if (!existsSync(p)) {
    process.stderr.write(`missing ${p}: run \`npm run build\` first\n`);
    process.exit(2);
  }
  return import(pathToFileURL(p).href);
}
