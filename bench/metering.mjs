#!/usr/bin/env node
/**
 * Fuel metering (kernel/meter): rewrite speed on the 31 MB yosys module and
 * the slowdown of metered against plain modules on a compute-bound guest
 * (wasm/spin.c, the tightest loop: the worst case). Medians; the load
 * average is printed because this machine is shared.
 *
 *   npm run build && node bench/metering.mjs [--runs N]
 *
 * Not yet here: a CoreMark-style loop, a sort and yosys `synth` (issue 11).
 */
import { readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { meterModule } from '../dist/kernel/meter/index.js';
import { runWasm } from '../dist/src/runtime/run_wasm.js';

const runs = Number(process.argv[process.argv.indexOf('--runs') + 1]) || 5;
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

const yosys = new Uint8Array(readFileSync(new URL('../node_modules/@yowasp/yosys/gen/yosys.core.wasm', import.meta.url)));
const times = [];
for (let i = 0; i < runs + 1; i++) {
  const t0 = performance.now();
  meterModule(yosys);
  times.push(performance.now() - t0);
}
const first = times.shift();
const mbs = (ms) => (yosys.length / 1e6 / (ms / 1000)).toFixed(0);
console.log(`rewrite yosys.core.wasm (${(yosys.length / 1e6).toFixed(1)} MB): first ${first.toFixed(0)} ms (${mbs(first)} MB/s), median of ${runs} after ${median(times).toFixed(0)} ms (${mbs(median(times))} MB/s)`);

const spin = async (meter) => {
  const t0 = performance.now();
  await runWasm({ file: new URL('../wasm/spin.wasm', import.meta.url).pathname, args: ['200'], meter, stdout: 'null' });
  return performance.now() - t0;
};
const plain = [], metered = [];
for (let i = 0; i < runs; i++) { plain.push(await spin(false)); metered.push(await spin(true)); }
console.log(`spin 200M iterations: plain ${median(plain).toFixed(0)} ms, metered ${median(metered).toFixed(0)} ms, slowdown ${((median(metered) / median(plain) - 1) * 100).toFixed(0)}% (medians of ${runs}, interleaved)`);
console.log(`load average ${loadavg().map((x) => x.toFixed(2)).join(' ')}`);
