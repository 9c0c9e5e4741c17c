/**
 * Worker entry points for Node. Workers run built JavaScript (dist/), never
 * TypeScript sources: tests run `npm run build` first. The package root is
 * found by walking up from this module to the nearest package.json, so the
 * same code works from src/ (under vitest) and from dist/.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker, type ResourceLimits } from 'node:worker_threads';

/** Thrown when a worker script is missing from dist/. */
export class WorkerScriptMissing extends Error {
  readonly code = 'EWORKERDIST';
  constructor(path: string) {
    super(`worker script ${path} is missing: run \`npm run build\` first (workers run the built JavaScript in dist/)`);
    this.name = 'WorkerScriptMissing';
  }
}

let rootCache: string | null = null;

/** The wasmvisor package root (the folder with its package.json). */
export function packageRoot(): string {
  if (rootCache) return rootCache;
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const pj = join(dir, 'package.json');
    if (existsSync(pj)) {
      try {
        if (JSON.parse(readFileSync(pj, 'utf8')).name === 'wasmvisor') return (rootCache = dir);
      } catch { /* keep walking */ }
    }
    const up = dirname(dir);
    if (up === dir) throw new Error('cannot find the wasmvisor package root above ' + fileURLToPath(import.meta.url));
    dir = up;
  }
}

/** Absolute path of a built file, e.g. `distFile('src/host/app_worker.js')`; throws WorkerScriptMissing if absent. */
export function distFile(rel: string): string {
  const p = join(packageRoot(), 'dist', rel);
  if (!existsSync(p)) throw new WorkerScriptMissing(p);
  return p;
}

/** Start a Node worker on a built script with optional resource limits. */
export function spawnNodeWorker(rel: string, workerData?: unknown, resourceLimits?: ResourceLimits): Worker {
  return new Worker(distFile(rel), { workerData, resourceLimits, stdout: false, stderr: false });
}
