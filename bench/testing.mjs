#!/usr/bin/env node
/**
 * bench/testing: what a test suite that runs thousands of programs pays.
 *
 * 1. In process, per run: `runProgram` (wasmvisor/testing: a fresh
 *    container, inline platform, output captured) of wasm/hello.wasm as a
 *    compiled module, against node:wasi's `new WASI` + `WebAssembly.instantiate`
 *    + `start` of the same compiled module (stdout on /dev/null). `--runs`
 *    (default 1000) of each, interleaved one by one, the order alternating;
 *    `--warmup` (default 50) of each first, untimed.
 * 2. Whole process: `node bin/wasmvisor.js run wasm/hello.wasm` against a
 *    minimal node:wasi script running the same file (bench/wasm/min_wasi.mjs
 *    written on the fly), `--procs` (default 15) of each, interleaved.
 *
 * Prints medians (and p10–p90) and the ratio wasmvisor / node:wasi, with
 * the load average before and after.
 *
 *   npm run build && node bench/testing.mjs [--runs N] [--warmup N] [--procs N] [--json]
 */
import { spawnSync } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { WASI } from 'node:wasi';
import { gitDescribe, importDist, REPO_ROOT } from './lib/dist.mjs';

const argv = process.argv.slice(2);
const opt = (name, dflt) => {
  const i = argv.indexOf(`--${name}`);
  return i < 0 ? dflt : Number(argv[i + 1]);
};
const RUNS = opt('runs', 1000);
const WARMUP = opt('warmup', 50);
const PROCS = opt('procs', 15);
const JSON_OUT = argv.includes('--json');

const HELLO = join(REPO_ROOT, 'wasm/hello.wasm');
const EXPECT = 'hello from wasmvisor\n';

function quantile(xs, q) {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))];
}
const stats = (xs) => ({ median: quantile(xs, 0.5), p10: quantile(xs, 0.1), p90: quantile(xs, 0.9), n: xs.length });
const ms = (x) => `${x.toFixed(3)} ms`;

const load0 = loadavg();
const { runProgram } = await importDist('src/testing/index.js');
const module = await WebAssembly.compile(readFileSync(HELLO));
const devnull = openSync('/dev/null', 'w');

async function viaRunProgram() {
  const t = performance.now();
  const r = await runProgram(module, { argv0: 'hello.wasm' });
  const d = performance.now() - t;
  if (r.exitCode !== 0 || r.stdout !== EXPECT) throw new Error(`runProgram: exit ${r.exitCode}, stdout ${JSON.stringify(r.stdout)}`);
  return d;
}

async function viaNodeWasi() {
  const t = performance.now();
  const wasi = new WASI({ version: 'preview1', args: ['hello.wasm'], env: {}, stdout: devnull, returnOnExit: true });
  const instance = await WebAssembly.instantiate(module, wasi.getImportObject());
  const code = wasi.start(instance);
  const d = performance.now() - t;
  if (code !== 0) throw new Error(`node:wasi: exit ${code}`);
  return d;
}

// 1. in process
for (let i = 0; i < WARMUP; i++) {
  await viaRunProgram();
  await viaNodeWasi();
}
const ours = [];
const theirs = [];
for (let i = 0; i < RUNS; i++) {
  if (i % 2 === 0) {
    ours.push(await viaRunProgram());
    theirs.push(await viaNodeWasi());
  } else {
    theirs.push(await viaNodeWasi());
    ours.push(await viaRunProgram());
  }
}
closeSync(devnull);

// 2. whole process
const dir = mkdtempSync(join(tmpdir(), 'wv-bench-testing-'));
const script = join(dir, 'min_wasi.mjs');
writeFileSync(script, `import { readFileSync } from 'node:fs';
import { WASI } from 'node:wasi';
const wasi = new WASI({ version: 'preview1', args: [process.argv[2]], env: {} });
const { instance } = await WebAssembly.instantiate(readFileSync(process.argv[2]), wasi.getImportObject());
wasi.start(instance);
`);
const store = join(dir, 'store');
const procOurs = [];
const procTheirs = [];
const timeProc = (args) => {
  const t = performance.now();
  const r = spawnSync(process.execPath, args, { encoding: 'utf8', env: { ...process.env, WASMVISOR_ROOT: store } });
  const d = performance.now() - t;
  if (r.status !== 0 || r.stdout !== EXPECT) throw new Error(`${args.join(' ')}: exit ${r.status}, ${r.stderr}`);
  return d;
};
const ourArgs = ['--no-warnings', join(REPO_ROOT, 'bin/wasmvisor.js'), 'run', HELLO];
const theirArgs = ['--no-warnings', script, HELLO];
timeProc(ourArgs); // the first run writes the code cache, if the CLI keeps one
timeProc(theirArgs);
for (let i = 0; i < PROCS; i++) {
  if (i % 2 === 0) {
    procOurs.push(timeProc(ourArgs));
    procTheirs.push(timeProc(theirArgs));
  } else {
    procTheirs.push(timeProc(theirArgs));
    procOurs.push(timeProc(ourArgs));
  }
}
rmSync(dir, { recursive: true, force: true });
const load1 = loadavg();

const inproc = { runProgram: stats(ours), nodeWasi: stats(theirs) };
const whole = { wasmvisor: stats(procOurs), nodeWasi: stats(procTheirs) };
const result = {
  commit: gitDescribe(),
  load: { before: load0.map((x) => +x.toFixed(2)), after: load1.map((x) => +x.toFixed(2)) },
  inProcess: { ...inproc, ratio: inproc.runProgram.median / inproc.nodeWasi.median },
  wholeProcess: { ...whole, ratio: whole.wasmvisor.median / whole.nodeWasi.median },
};
if (JSON_OUT) {
  process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
} else {
  const row = (label, s) => `  ${label.padEnd(34)} median ${ms(s.median).padStart(11)}   p10–p90 ${ms(s.p10)} – ${ms(s.p90)}   (n=${s.n})`;
  process.stdout.write(`bench/testing at ${result.commit}, load average ${result.load.before.join(' ')} → ${result.load.after.join(' ')}\n`);
  process.stdout.write(`In process, hello.wasm compiled once, per run, interleaved:\n`);
  process.stdout.write(`${row('runProgram (wasmvisor/testing)', inproc.runProgram)}\n${row('node:wasi new WASI+instantiate+start', inproc.nodeWasi)}\n`);
  process.stdout.write(`  ratio runProgram / node:wasi: ${result.inProcess.ratio.toFixed(2)} (goal ≤ 1)\n`);
  process.stdout.write(`Whole process, interleaved:\n`);
  process.stdout.write(`${row('wasmvisor run hello.wasm', whole.wasmvisor)}\n${row('node min_wasi.mjs hello.wasm', whole.nodeWasi)}\n`);
  process.stdout.write(`  ratio wasmvisor / node:wasi: ${result.wholeProcess.ratio.toFixed(2)} (goal ≤ 1.3)\n`);
}
