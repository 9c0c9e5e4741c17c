#!/usr/bin/env node
/**
 * Bundles the built entry points (dist/src/…, made by tsc) into single
 * files under dist/bundle/, for start-up: one file to read and compile
 * instead of a few hundred modules to resolve, read and link.
 *
 *   node src/cli/bundle.mjs        (run by `npm run build`, after tsc)
 *
 * - The CLIs (`wasmvisor`, `wasmvisor-runc`) and the helper processes
 *   (`sandbox_main`, `exec_main`) as CommonJS `NAME.cjs`: bin/launch.js runs
 *   one through V8's code cache when it is at least as new as its tsc entry,
 *   else the entry itself (so a bare `tsc` never runs a stale bundle).
 * - The worker entries (`app_worker`, `sentry_worker`), also as CommonJS
 *   `NAME.cjs`: node_workers.ts picks them the same way.
 *
 * Each module's `import.meta.url` stays its own file's URL in dist/src (an
 * onLoad plugin writes it in as a string), so code that finds files next to
 * itself (package.json, helper scripts, samples, the playground) finds them
 * as it did unbundled.
 */
import { readdirSync, rmSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { build } from 'esbuild';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const DIST = join(ROOT, 'dist');

/** Process entries (under dist/) → CommonJS bundle names (dist/bundle/NAME.cjs), loaded by bin/launch.js. */
export const PROCESSES = {
  'src/cli/wasmvisor.js': 'wasmvisor',
  'src/cli/run_main.js': 'wasmvisor_run', // `wasmvisor run …`: the run command alone (bin/wasmvisor.js)
  'src/cli/runc/main.js': 'wasmvisor_runc',
  'src/cli/runc/run_main.js': 'wasmvisor_runc_run', // `wasmvisor-runc run …`: the run command alone (bin/wasmvisor-runc.js)
  'src/cli/runc/light_main.js': 'wasmvisor_runc_light', // `wasmvisor-runc create|start|state|kill|delete ID`: no commander, no kernel
  'src/runtime/detached/sandbox_main.js': 'sandbox_main',
  'src/runtime/detached/exec_main.js': 'exec_main',
};

/** Worker entries → CommonJS bundles (dist/bundle/NAME.cjs), picked by node_workers.ts. */
export const WORKERS = {
  'src/sentry/app_worker.js': 'app_worker',
  'src/runtime/sentry_worker.js': 'sentry_worker',
};

/**
 * In every module of dist/: `import.meta.url` becomes that module's own
 * file URL, and `import('node:x')` a require of it (a CommonJS bundle run by
 * vm.Script has no dynamic import without an experimental loader).
 */
const ownUrl = {
  name: 'own-import-meta-url',
  setup(b) {
    b.onLoad({ filter: /[\\/]dist[\\/].*\.js$/ }, async (args) => {
      const text = await readFile(args.path, 'utf8');
      if (!text.includes('import.meta') && !/\bimport\(['"]node:/.test(text)) return undefined;
      const contents = text
        .replaceAll('import.meta.url', JSON.stringify(pathToFileURL(args.path).href))
        .replace(/\bimport\((['"])(node:[^'"]+)\1\)/g, (_m, _q, name) => `Promise.resolve().then(() => require(${JSON.stringify(name)}))`);
      return { contents, loader: 'js' };
    });
  },
};

/**
 * commander requires node:child_process at load, for executable
 * subcommands, which wasmvisor has none of: in the bundles it is required
 * at its first use instead (node:child_process loads node:net, node:dgram
 * and the streams: about 13 ms of every CLI process's start-up).
 */
const lazyChildProcess = {
  name: 'lazy-child-process',
  setup(b) {
    b.onLoad({ filter: /[\\/]node_modules[\\/]commander[\\/]lib[\\/]command\.js$/ }, async (args) => {
      const text = await readFile(args.path, 'utf8');
      const eager = "const childProcess = require('node:child_process');";
      if (!text.includes(eager)) return undefined; // another commander: left as it is
      return { contents: text.replace(eager, "const childProcess = { spawn: (...a) => require('node:child_process').spawn(...a) };"), loader: 'js' };
    });
  },
};

const common = { bundle: true, platform: 'node', target: 'node20', outdir: join(DIST, 'bundle'), plugins: [ownUrl, lazyChildProcess], logLevel: 'warning' };
const entries = (m) => Object.fromEntries(Object.entries(m).map(([src, name]) => [name, join(DIST, src)]));

// code caches of the bundles being replaced (bin/launch.js writes new ones), and the ES module worker bundles of older builds
const oldWorkers = new Set(Object.values(WORKERS).map((n) => `${n}.js`));
try {
  for (const f of readdirSync(join(DIST, 'bundle'))) if (f.endsWith('.cache') || oldWorkers.has(f)) rmSync(join(DIST, 'bundle', f), { force: true });
} catch {
  // no dist/bundle yet
}

// workers too are CommonJS (NAME.cjs): a worker that loads an ES module also loads Node's ES module loader (node_workers.ts)
await build({ ...common, entryPoints: { ...entries(PROCESSES), ...entries(WORKERS) }, format: 'cjs', outExtension: { '.js': '.cjs' } });

/**
 * Every bundle in plain ASCII: esbuild escapes strings (charset ascii) but
 * keeps a few comments as written, and one `≤` in a comment makes V8 hold
 * the whole source as a two-byte string, for as long as the process lives
 * (it keeps each script's source for lazy compilation): twice the bytes,
 * and a second copy while launch.js wraps it. Measured in a pod's sandbox
 * process: its main thread's large-object space 2.1 → 0.7 MiB (the Sentry
 * worker's bundle had such comments too). Only comments hold them; a \uXXXX
 * escape means the same in a string, a template or a regular expression.
 */
for (const f of readdirSync(join(DIST, 'bundle'))) {
  if (!f.endsWith('.js') && !f.endsWith('.cjs')) continue;
  const path = join(DIST, 'bundle', f);
  const text = await readFile(path, 'utf8');
  if (/[^\x00-\x7f]/.test(text)) writeFileSync(path, text.replace(/[^\x00-\x7f]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`));
}
