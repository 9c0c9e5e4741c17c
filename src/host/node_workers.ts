/**
 * Worker entry points for Node. Workers run built JavaScript (dist/), never
 * TypeScript sources: tests run `npm run build` first. The package root is
 * found by walking up from this module to the nearest package.json, so the
 * same code works from src/ (under vitest) and from dist/.
 *
 * `npm run build` also bundles each worker entry into one file
 * (`dist/bundle/`, esbuild): a worker then loads one script instead of
 * dozens of ES modules, which cuts the CPU time of a worker's start by
 * about a third (bench/sandbox [3], [4]: a density of 200 containers starts
 * 200 app workers). A bundle older than its entry in dist/ is not used.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { MessageChannel, Worker, type ResourceLimits } from 'node:worker_threads';
import { wrap, transfer, type Remote } from 'comlink';
import type { AppDone, SentryApi, SentryEvent } from '../sentry/control_plane.js';
import { DEFAULT_APP_HEAP_MB, type AppLimits, type AppWorkerHandle, type SentryHandle, type WorkerHost } from '../sentry/worker_host.js';

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

/** Absolute path of a built file, e.g. `distFile('src/sentry/app_worker.js')`; throws WorkerScriptMissing if absent. */
export function distFile(rel: string): string {
  const p = join(packageRoot(), 'dist', rel);
  if (!existsSync(p)) throw new WorkerScriptMissing(p);
  return p;
}

/**
 * The script to run for built entry `rel`: its single-file bundle when the
 * build made one at least as new as the entry, else the entry itself (two
 * stats per worker start, next to tens of milliseconds of start-up). The
 * bundle is CommonJS (`NAME.cjs`): a worker that loads an ES module also
 * loads Node's ES module loader, about 0.26 MiB more RSS per worker
 * (measured: 20 idle workers, --no-node-snapshot, 6.19 against 6.45 MiB each).
 */
export function workerScript(rel: string): string {
  const entry = distFile(rel);
  const bundle = join(packageRoot(), 'dist', 'bundle', basename(rel).replace(/\.js$/, '.cjs'));
  try {
    if (statSync(bundle).mtimeMs >= statSync(entry).mtimeMs) return bundle;
  } catch { /* no bundle: run the modules */ }
  return entry;
}

/** Start a Node worker on a built script with optional resource limits. */
export function spawnNodeWorker(rel: string, workerData?: unknown, resourceLimits?: ResourceLimits, transferList?: readonly unknown[]): Worker {
  return new Worker(workerScript(rel), { workerData, resourceLimits, transferList: transferList as never, stdout: false, stderr: false });
}

// ---------------------------------------------------------------- WorkerHost for Node

/** The Sentry worker's entry, built (see worker_host.ts). */
export const SENTRY_WORKER = 'src/runtime/sentry_worker.js';
/** An app worker's entry, built. */
export const APP_WORKER = 'src/sentry/app_worker.js';

/** Node's WorkerHost: worker_threads running the built scripts from dist/. */
export function nodeWorkerHost(): WorkerHost {
  return {
    async startSentry(opts = {}): Promise<SentryHandle> {
      const ctl = new MessageChannel();
      const w = spawnNodeWorker(SENTRY_WORKER, { role: 'wasmvisor-sentry', port: ctl.port2, spinMax: opts.spinMax, outputWindow: opts.outputWindow }, undefined, [ctl.port2]);
      w.unref();
      const api = wrap<SentryApi>(ctl.port1 as unknown as MessagePort) as Remote<SentryApi>;
      const ev = new MessageChannel();
      let listener: (evs: SentryEvent[]) => void = () => {};
      ev.port1.on('message', (evs: SentryEvent[]) => listener(evs));
      let crash: (message: string) => void = () => {};
      let stopping = false;
      let failed: Error | null = null;
      w.on('error', (e) => {
        failed = e;
        if (!stopping) crash(e.message);
      });
      w.on('exit', (code) => {
        if (!stopping) crash(`the Sentry worker exited with code ${code}`);
      });
      const hub = await Promise.race([
        api.init(transfer(ev.port2 as unknown as MessagePort, [ev.port2 as unknown as Transferable])),
        new Promise<never>((_, rej) => w.once('error', rej)),
      ]);
      if (failed) throw failed;
      return {
        api, hub,
        onEvents: (fn) => { listener = fn; },
        onCrash: (fn) => { crash = fn; },
        terminate: async () => {
          stopping = true;
          ctl.port1.close();
          ev.port1.close();
          await w.terminate();
        },
      };
    },
    startApp(limits: AppLimits = {}): AppWorkerHandle {
      const w = spawnNodeWorker(APP_WORKER, { role: 'wasmvisor-app' }, {
        maxOldGenerationSizeMb: limits.heapMb ?? DEFAULT_APP_HEAP_MB,
        maxYoungGenerationSizeMb: 4,
        stackSizeMb: limits.stackMb ?? 4,
      });
      let done: (m: AppDone) => void = () => {};
      let fail: (message: string, oom: boolean) => void = () => {};
      let dead = false;
      let ready = false;
      w.on('message', (m: AppDone) => {
        if (m.t === 'ready') ready = true;
        else done(m);
      });
      w.on('error', (e: Error & { code?: string }) => {
        dead = true;
        fail(e.message, e.code === 'ERR_WORKER_OUT_OF_MEMORY');
      });
      w.on('exit', (code) => {
        if (!dead) {
          dead = true;
          fail(`app worker exited with code ${code}`, false);
        }
      });
      return {
        get ready() { return ready; },
        run: (msg) => w.postMessage(msg),
        onDone: (fn) => { done = fn; },
        onFailure: (fn) => { fail = fn; },
        terminate: async () => {
          dead = true;
          await w.terminate();
        },
      };
    },
  };
}
