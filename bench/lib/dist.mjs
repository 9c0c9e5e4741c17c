/**
 * bench/lib/dist: load modules from the built dist/ tree, with one clear
 * message when `npm run build` has not been run.
 */
import { execFileSync } from 'node:child_process';
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

/** The commit of checkout `dir` (default: this one), `+dirty` if its kernel/ or src/ has changes; 'unknown' outside git. */
export function gitDescribe(dir = REPO_ROOT) {
  try {
    const rev = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: dir, encoding: 'utf8' }).trim();
    const dirty = execFileSync('git', ['status', '--porcelain', '--', 'kernel', 'src'], { cwd: dir, encoding: 'utf8' }).trim() !== '';
    return dirty ? `${rev}+dirty` : rev;
  } catch {
    return 'unknown';
  }
}
