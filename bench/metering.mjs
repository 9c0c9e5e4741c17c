#!/usr/bin/env node
/**
 * Fuel metering (kernel/meter, issue 11): the rewrite speed on the 31 MB
 * yosys module, and the slowdown of metered against plain modules on
 * compute-bound programs: the tightest loop (wasm/spin.c, the worst case),
 * a CoreMark-style loop (wasm/bench_coremark.c), a sort (wasm/bench_sort.c:
 * qsort with a comparison callback and an inlined quicksort) and yosys
 * `synth` of a small design. Every program runs under the inline runner
 * (`runWasm`, the same for both), plain and metered interleaved, after one
 * warm-up pair; medians of wall and of CPU time (the process's, all
 * threads: on a loaded machine the wall time is mostly waiting for a core).
 * The load average is printed because this machine is shared (goals: under
 * 10% slowdown, over 100 MB/s).
 *
 *   npm run build && node bench/metering.mjs [--runs N] [--only spin,coremark,sort,yosys]
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { meterModule } from '../dist/kernel/meter/index.js';
import { runWasm } from '../dist/src/runtime/run_wasm.js';

const arg = (name) => { const i = process.argv.indexOf(name); return i < 0 ? undefined : process.argv[i + 1]; };
const runs = Number(arg('--runs')) || 5;
const only = arg('--only')?.split(',');
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const load = () => loadavg().map((x) => x.toFixed(2)).join(' ');
const GEN = fileURLToPath(new URL('../node_modules/@yowasp/yosys/gen/', import.meta.url));
const WASM = fileURLToPath(new URL('../wasm/', import.meta.url));

console.log(`load average at start ${load()}`);

// --- rewrite speed: wall and CPU time (CPU time is less at the mercy of the load) ---
const yosys = new Uint8Array(readFileSync(join(GEN, 'yosys.core.wasm')));
const wall = [], cpu = [];
let stats;
for (let i = 0; i < runs + 1; i++) {
  stats = { functions: 0, loops: 0, leaves: 0, inBytes: 0, outBytes: 0 };
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  meterModule(yosys, { stats });
  wall.push(performance.now() - t0);
  const c = process.cpuUsage(c0);
  cpu.push((c.user + c.system) / 1000);
}
const first = wall.shift();
cpu.shift();
const mbs = (ms) => (yosys.length / 1e6 / (ms / 1000)).toFixed(0);
console.log(`rewrite yosys.core.wasm (${(yosys.length / 1e6).toFixed(1)} MB, ${stats.functions} functions, ${stats.loops} loops, +${((stats.outBytes / stats.inBytes - 1) * 100).toFixed(0)}% bytes): ` +
  `first ${first.toFixed(0)} ms (${mbs(first)} MB/s); median of ${runs} after: wall ${median(wall).toFixed(0)} ms (${mbs(median(wall))} MB/s), CPU ${median(cpu).toFixed(0)} ms (${mbs(median(cpu))} MB/s)`);

// --- slowdown ---
let yosysDir = null;
async function yosysFiles() {
  if (yosysDir !== null) return yosysDir;
  yosysDir = mkdtempSync(join(tmpdir(), 'wv-bench-yosys-'));
  const { filesystem } = await import(pathToFileURL(join(GEN, 'resources-yosys.js')).href);
  const write = (dir, tree) => {
    mkdirSync(dir, { recursive: true });
    for (const [k, v] of Object.entries(tree)) {
      if (typeof v === 'string' || v instanceof Uint8Array) writeFileSync(join(dir, k), v);
      else write(join(dir, k), v);
    }
  };
  write(join(yosysDir, 'share'), filesystem.share);
  // a small design: an 8-bit counter with a load and an adder-comparator
  write(join(yosysDir, 'work'), {
    'design.v': `module top(input clk, input rst, input ld, input [7:0] d, output reg [7:0] q, output eq);
  always @(posedge clk) if (rst) q <= 0; else if (ld) q <= d; else q <= q + 1;
  assign eq = (q + d) == 8'hff;
endmodule
`,
  });
  return yosysDir;
}

const programs = [
  { name: 'spin', what: 'spin 200M iterations (tightest loop)', opts: async () => ({ file: join(WASM, 'spin.wasm'), args: ['200'] }) },
  { name: 'coremark', what: 'CoreMark-style (list, matrix, state machine, crc) x1500', opts: async () => ({ file: join(WASM, 'bench_coremark.wasm'), args: ['1500'] }) },
  { name: 'sort', what: 'sort (qsort + quicksort of 100k keys, 20k strings) x2', opts: async () => ({ file: join(WASM, 'bench_sort.wasm'), args: ['2'] }) },
  {
    name: 'yosys', what: 'yosys synth (ABC) of a small design',
    opts: async () => {
      const dir = await yosysFiles();
      return {
        file: join(GEN, 'yosys.core.wasm'), argv0: 'yosys', args: ['-q', '-p', 'read_verilog design.v; synth -top top; stat'],
        mounts: [{ host: join(dir, 'share'), container: '/share', readonly: true }, { host: join(dir, 'work'), container: '/work' }],
        workdir: '/work',
      };
    },
  },
];

/** Wall and CPU (this process, all threads) milliseconds of one run. */
async function time(opts, meter) {
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  const r = await runWasm({ ...opts, meter, stdout: 'null', stderr: 'capture' });
  const ms = performance.now() - t0;
  const c = process.cpuUsage(c0);
  if (r.exitCode !== 0) throw new Error(`${opts.file} exited ${r.exitCode}: ${r.stderr}`);
  return [ms, (c.user + c.system) / 1000];
}

const ratios = [], cpuRatios = [];
try {
  for (const p of programs) {
    if (only && !only.includes(p.name)) continue;
    const opts = await p.opts();
    await time(opts, false);
    await time(opts, true); // warm-up: compile (cached per process), tier-up
    const plain = [], metered = [], plainCpu = [], meteredCpu = [];
    for (let i = 0; i < runs; i++) {
      const [pw, pc] = await time(opts, false);
      const [mw, mc] = await time(opts, true);
      plain.push(pw); plainCpu.push(pc); metered.push(mw); meteredCpu.push(mc);
    }
    const r = median(metered) / median(plain);
    const rc = median(meteredCpu) / median(plainCpu);
    ratios.push(r);
    cpuRatios.push(rc);
    console.log(`${p.what}: plain ${median(plain).toFixed(0)} ms, metered ${median(metered).toFixed(0)} ms, slowdown ${((r - 1) * 100).toFixed(1)}%; ` +
      `CPU ${median(plainCpu).toFixed(0)} / ${median(meteredCpu).toFixed(0)} ms, ${((rc - 1) * 100).toFixed(1)}% (medians of ${runs}, interleaved; load ${load()})`);
  }
} finally {
  if (yosysDir !== null) rmSync(yosysDir, { recursive: true, force: true });
}
if (ratios.length > 1) {
  const geo = Math.exp(ratios.reduce((a, r) => a + Math.log(r), 0) / ratios.length);
  const geoCpu = Math.exp(cpuRatios.reduce((a, r) => a + Math.log(r), 0) / cpuRatios.length);
  console.log(`geometric mean slowdown ${((geo - 1) * 100).toFixed(1)}% (CPU time: ${((geoCpu - 1) * 100).toFixed(1)}%)`);
}
console.log(`load average at end ${load()}`);
