#!/usr/bin/env node
/**
 * The on-disk cache of metered modules (src/runtime/metered_cache.ts): the
 * whole-process time of `wasmvisor run --cpus 1 yosys.core.wasm -V` (31 MB
 * module, metered because of the cpu limit) with the cache empty (rewrite,
 * then write the cache), with it filled by the run before (read and check
 * it), and with no cache (ROOT/cache is a file: the cache is skipped, as on a
 * read-only disk). Interleaved, medians of wall time; the load average is
 * printed because this machine is shared.
 *
 *   npm run build && node bench/metered_cache.mjs [--runs N]
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const arg = (name) => { const i = process.argv.indexOf(name); return i < 0 ? undefined : process.argv[i + 1]; };
const runs = Number(arg('--runs')) || 7;
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const load = () => loadavg().map((x) => x.toFixed(2)).join(' ');
const CLI = fileURLToPath(new URL('../bin/wasmvisor.js', import.meta.url));
const YOSYS = fileURLToPath(new URL('../node_modules/@yowasp/yosys/gen/yosys.core.wasm', import.meta.url));

const tmp = mkdtempSync(join(tmpdir(), 'wv-bench-metered-'));
const cached = join(tmp, 'store');
const none = join(tmp, 'none');
mkdirSync(none);
writeFileSync(join(none, 'cache'), 'a file: no cache directory under it');

function run(root) {
  const t0 = performance.now();
  const r = spawnSync(process.execPath, [CLI, 'run', '--cpus', '1', YOSYS, '-V'], { env: { ...process.env, WASMVISOR_ROOT: root }, stdio: ['ignore', 'pipe', 'inherit'] });
  const ms = performance.now() - t0;
  if (r.status !== 0 || !String(r.stdout).startsWith('Yosys')) throw new Error(`run failed (${r.status}): ${r.stdout}`);
  return ms;
}

console.log(`load average at start ${load()}`);
const first = [], second = [], off = [];
try {
  run(none); // warm the page cache
  for (let i = 0; i < runs; i++) {
    rmSync(join(cached, 'cache'), { recursive: true, force: true });
    first.push(run(cached));
    second.push(run(cached));
    off.push(run(none));
  }
} finally {
  rmSync(tmp, { recursive: true, force: true });
}
const f = (xs) => `${median(xs).toFixed(0)} ms`;
console.log(`wasmvisor run --cpus 1 yosys.core.wasm -V, medians of ${runs} interleaved: no cache ${f(off)}, empty cache (rewrite and write) ${f(first)}, cached (read and check) ${f(second)}`);
console.log(`load average at end ${load()}`);
