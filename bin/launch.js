/**
 * Start-up of wasmvisor's processes (the two CLIs and the helper processes
 * a detached container runs): load the single-file bundle that
 * src/cli/bundle.mjs made in dist/bundle/ through V8's code cache, else the
 * modules tsc built in dist/src/.
 *
 * - bin/ is CommonJS (bin/package.json): a CommonJS entry skips the ES
 *   module loader's work for the entry and for the builtins it imports
 *   (about 5 ms of every process's start-up).
 * - The bundle is CommonJS so that it can be compiled by `vm.Script` with
 *   `cachedData` (Node 20 has no code cache for ES modules): the cache,
 *   `dist/bundle/NAME.MTIME-SIZE.cache`, is written once, when a process that
 *   found none (or one V8 rejected: another Node, other flags) exits, with
 *   every function compiled by then. It is written atomically and named by
 *   the bundle's mtime and size; where dist/ is read-only the bundle runs
 *   without a cache. `WASMVISOR_NO_BUNDLE=1` runs dist/src/ instead.
 * - The bundle is used only when it is at least as new as its tsc entry
 *   (tsc rewrites every file it emits), so a build without the bundling
 *   step never runs stale code; without a bundle the entry module is
 *   imported as before.
 *
 *   const { launch } = require('./launch.js'); (await launch('wasmvisor', 'src/cli/wasmvisor.js')).main(argv)
 *   node bin/launch.js NAME ENTRY [ARGS…]   (a helper process: runs the entry for its effect)
 */
'use strict';
const { readFileSync, renameSync, statSync, writeFileSync } = require('node:fs');
const { createRequire } = require('node:module');
const { dirname, join } = require('node:path');
const { pathToFileURL } = require('node:url');
const vm = require('node:vm');

const DIST = join(__dirname, '..', 'dist');

/** The exports of built entry `entry` (`src/cli/wasmvisor.js`), from bundle `name` when it is fresh. */
async function launch(name, entry) {
  const bundle = join(DIST, 'bundle', `${name}.cjs`);
  const module = join(DIST, entry);
  let st = null;
  try {
    st = statSync(bundle);
    if (st.mtimeMs < statSync(module).mtimeMs) st = null;
  } catch {
    st = null; // no bundle (or no entry: the import below says so)
  }
  if (st === null || process.env.WASMVISOR_NO_BUNDLE) return import(pathToFileURL(module).href);
  // named by the bundle's mtime and size: V8 checks only a cache's length against the source, so a
  // cache is never offered to another build of the bundle
  const cacheFile = join(DIST, 'bundle', `${name}.${Math.round(st.mtimeMs)}-${st.size}.cache`);
  let cachedData;
  try {
    cachedData = readFileSync(cacheFile);
  } catch {
    // first run: made at exit
  }
  const source = readFileSync(bundle, 'utf8');
  const script = new vm.Script(`(function (exports, require, module, __filename, __dirname) {${source}\n})`, { filename: bundle, cachedData });
  if (cachedData === undefined || script.cachedDataRejected) {
    process.once('exit', () => {
      try {
        const tmp = `${cacheFile}.${process.pid}`;
        writeFileSync(tmp, script.createCachedData());
        renameSync(tmp, cacheFile);
      } catch {
        // read-only install: run without a cache
      }
    });
  }
  const mod = { exports: {} };
  script.runInThisContext()(mod.exports, createRequire(bundle), mod, bundle, dirname(bundle));
  return mod.exports;
}

module.exports = { launch };

if (require.main === module) {
  // a helper process: `node launch.js NAME ENTRY ARGS…` runs as `node ENTRY ARGS…` would (a failure ends it, exit 1)
  const [name, entry] = process.argv.splice(2, 2);
  launch(name, entry);
}
