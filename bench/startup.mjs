#!/usr/bin/env node
/**
 * bench/startup: the start-up of one container on the inline platform,
 * `runWasm` of a precompiled wasm/hello.wasm (build the container: root
 * overlay, /dev, /proc, /sys/fs/cgroup, /etc/hostname, the cgroup, the
 * task; instantiate; run; tear down), against node:wasi's
 * `new WASI` + `WebAssembly.instantiate` + `start` of the same module.
 *
 *   npm run build && node bench/startup.mjs [--runs N] [--iters N] [--warmup N]
 *       [--tree LABEL=DIR ...] [--markdown] [--json]
 *
 * Each measurement is one fresh Node process timing one host: `--warmup`
 * untimed starts (default 20), then `--iters` timed ones (default 100);
 * the process reports the median of those and the time of its very first
 * start (cold: V8 has compiled nothing yet). Processes are interleaved:
 * every round runs every host once, the order rotating each round
 * (`--runs`, default 5). The table gives the median of the per-process
 * medians with their min–max, and ratios of medians against node:wasi
 * (below 1: wasmvisor is faster) and against the first tree.
 *
 * `--tree LABEL=DIR` (repeatable) adds the wasmvisor built in another
 * checkout (its `dist/`, e.g. a `git worktree` of the base commit) as one
 * more host, for an interleaved A/B: `--tree base=/tmp/wv-base`. The
 * current checkout is always the first, labelled `wasmvisor`.
 *
 * stdin, stdout and stderr are /dev/null on both hosts (runWasm's 'null'
 * streams; node:wasi's fds on /dev/null); hello's output is checked once
 * per process after the timed starts.
 *
 *   node bench/startup.mjs --processes [--runs N] [--tree LABEL=DIR ...] [--markdown]
 *
 * `--processes`: whole processes instead (issue 16's start-up goal):
 * `wasmvisor-runc run` of a bundle holding hello.wasm (this checkout's,
 * and each `--tree`'s bin/wasmvisor-runc.js) against `runc run` of
 * bench/hello_static.c (gcc -static, in a bundle from `runc spec`) and
 * `node -e 0` (Node's own start, the floor of any Node process). Each
 * round runs each once, the order rotating (`--runs`, default 11; the
 * first round is untimed: it writes the code caches). Wall time from
 * spawn to exit, output checked; median and min–max, ratios to runc.
 */
import { closeSync, openSync, readFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { runNodeChild } from './lib/child.mjs';
import { gitDescribe, REPO_ROOT } from './lib/dist.mjs';
import { formatNs, formatNsRange, formatRatio, formatTable } from './lib/format.mjs';
import { median, ratio, summarize } from './lib/stats.mjs';
import { rotate } from './lib/timing.mjs';

const SELF = fileURLToPath(import.meta.url);
const HELLO = join(REPO_ROOT, 'wasm', 'hello.wasm');
const NODE_WASI = 'node:wasi';

// ------------------------------------------------------------------ child

/** One start of `module` on wasmvisor (`runWasm` from `dir`'s dist/). */
async function wasmvisorStarter(dir, module) {
  const p = join(dir, 'dist', 'src', 'runtime', 'run_wasm.js');
  const { runWasm } = await import(pathToFileURL(p).href);
  return {
    start: async () => {
      const r = await runWasm({ module, argv0: 'hello.wasm', stdin: 'null', stdout: 'null', stderr: 'null' });
      if (r.exitCode !== 0) throw new Error(`hello exited ${r.exitCode}`);
    },
    check: async () => (await runWasm({ module, argv0: 'hello.wasm', stdin: 'null', stdout: 'capture', stderr: 'null' })).stdout,
  };
}

/** One start of `module` on node:wasi: new WASI, instantiate, start. */
async function nodeWasiStarter(module) {
  const { WASI } = await import('node:wasi'); // imported here: loading it prints an ExperimentalWarning
  const devNull = openSync('/dev/null', 'r+');
  const once = async (stdout) => {
    const wasi = new WASI({ version: 'preview1', args: ['hello.wasm'], env: {}, stdin: devNull, stdout, stderr: devNull, returnOnExit: true });
    const instance = await WebAssembly.instantiate(module, wasi.getImportObject());
    const code = wasi.start(instance);
    if (code !== 0) throw new Error(`hello exited ${code}`);
  };
  return {
    start: () => once(devNull),
    check: async () => {
      const path = `/tmp/wasmvisor-bench-startup-${process.pid}.out`;
      const fd = openSync(path, 'w+');
      try {
        await once(fd);
      } finally {
        closeSync(fd);
      }
      return readFileSync(path, 'utf8');
    },
  };
}

/** `--child HOST DIR ITERS WARMUP`: one process's measurement, as lines for the parent. */
async function childMain([host, dir, itersText, warmupText]) {
  const iters = Number(itersText);
  const warmup = Number(warmupText);
  const module = await WebAssembly.compile(readFileSync(HELLO));
  const s = host === NODE_WASI ? await nodeWasiStarter(module) : await wasmvisorStarter(dir, module);
  const times = [];
  let first = NaN;
  for (let i = 0; i < warmup + iters; i++) {
    const t0 = process.hrtime.bigint();
    await s.start();
    const ns = Number(process.hrtime.bigint() - t0);
    if (i === 0) first = ns;
    if (i >= warmup) times.push(ns);
  }
  const out = await s.check();
  if (!out.includes('hello from wasmvisor')) throw new Error(`unexpected output ${JSON.stringify(out)}`);
  process.stdout.write(`FIRST ${first}\nMEDIAN ${median(times)}\n`);
}

// -------------------------------------------------------------- processes

/** `--processes`: whole-process starts, interleaved (see the head of this file). */
async function processesMain(o) {
  const { execFileSync, spawnSync } = await import('node:child_process');
  const { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } = await import('node:fs');
  const { tmpdir } = await import('node:os');
  const work = mkdtempSync(join(tmpdir(), 'wv-startup-'));
  try {
    const wb = join(work, 'wasm-bundle');
    mkdirSync(join(wb, 'rootfs'), { recursive: true });
    copyFileSync(HELLO, join(wb, 'rootfs', 'hello.wasm'));
    writeFileSync(join(wb, 'config.json'), JSON.stringify({ ociVersion: '1.2.0', process: { args: ['/hello.wasm'], cwd: '/', env: ['PATH=/'] }, root: { path: 'rootfs' } }));
    const rb = join(work, 'runc-bundle');
    mkdirSync(join(rb, 'rootfs'), { recursive: true });
    execFileSync('gcc', ['-static', '-O2', '-s', '-o', join(rb, 'rootfs', 'hello'), join(REPO_ROOT, 'bench', 'hello_static.c')]);
    execFileSync('runc', ['spec'], { cwd: rb });
    const cfg = JSON.parse(readFileSync(join(rb, 'config.json'), 'utf8'));
    cfg.process.args = ['/hello'];
    cfg.process.terminal = false;
    writeFileSync(join(rb, 'config.json'), JSON.stringify(cfg));
    let seq = 0;
    const hosts = [
      { label: 'wasmvisor-runc run', argv: (id) => [process.execPath, join(REPO_ROOT, 'bin', 'wasmvisor-runc.js'), '--root', join(work, 's0'), 'run', '--bundle', wb, id], expect: 'hello from wasmvisor' },
      ...o.trees.map((t, i) => ({ label: `${t.label}: wasmvisor-runc run`, argv: (id) => [process.execPath, join(t.dir, 'bin', 'wasmvisor-runc.js'), '--root', join(work, `s${i + 1}`), 'run', '--bundle', wb, id], expect: 'hello from wasmvisor' })),
      { label: 'runc run (static hello)', argv: (id) => ['runc', '--root', join(work, 'runc'), 'run', '--bundle', rb, id], expect: 'hello from a static binary' },
      { label: 'node -e 0', argv: () => [process.execPath, '-e', '0'], expect: '' },
    ];
    for (const h of hosts) h.ms = [];
    const loadBefore = loadavg();
    for (let round = 0; round <= o.runs; round++) {
      for (const h of rotate(hosts, round)) {
        const [cmd, ...args] = h.argv(`b${process.pid}-${seq++}`);
        const t0 = process.hrtime.bigint();
        const r = spawnSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 60_000 });
        const ms = Number(process.hrtime.bigint() - t0) / 1e6;
        if (r.status !== 0 || !r.stdout.startsWith(h.expect)) throw new Error(`${h.label}: exit ${r.status ?? r.signal}, output ${JSON.stringify(r.stdout)} ${r.stderr}`);
        if (round > 0) h.ms.push(ms);
      }
    }
    const loadAfter = loadavg();
    const runc = median(hosts.find((h) => h.label.startsWith('runc')).ms);
    const fmt = (x) => `${x.toFixed(1)} ms`;
    const lines = [
      `whole-process start to exit of hello: ${o.runs} rounds, interleaved (order rotating), after one untimed round`,
      `load average before: ${loadBefore.map((x) => x.toFixed(2)).join(' ')}, after: ${loadAfter.map((x) => x.toFixed(2)).join(' ')} (${cpus().length} CPUs)`,
      '',
      formatTable(
        [{ title: 'command' }, { title: 'median (min–max)', align: 'right' }, { title: '/runc', align: 'right' }],
        hosts.map((h) => [h.label, `${fmt(median(h.ms))} (${fmt(Math.min(...h.ms))}–${fmt(Math.max(...h.ms))})`, formatRatio(median(h.ms) / runc)]),
        { markdown: o.markdown },
      ),
    ];
    process.stdout.write(`${lines.join('\n')}\n`);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

// ----------------------------------------------------------------- parent

function parseArgs(argv) {
  const o = { runs: 5, iters: 100, warmup: 20, trees: [], markdown: false, json: false, processes: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const value = () => {
      if (i + 1 >= argv.length) throw new Error(`${a} needs a value`);
      return argv[++i];
    };
    if (a === '--runs') o.runs = Number(value());
    else if (a === '--iters') o.iters = Number(value());
    else if (a === '--warmup') o.warmup = Number(value());
    else if (a === '--tree') {
      const v = value();
      const eq = v.indexOf('=');
      if (eq <= 0) throw new Error(`--tree ${v}: expected LABEL=DIR`);
      o.trees.push({ label: v.slice(0, eq), dir: resolve(v.slice(eq + 1)) });
    } else if (a === '--markdown') o.markdown = true;
    else if (a === '--json') o.json = true;
    else if (a === '--processes') o.processes = true;
    else if (a === '-h' || a === '--help') {
      process.stdout.write(readFileSync(SELF, 'utf8').split('*/')[0].replace(/^#!.*\n\/\*\*\n/, '').replace(/^ \* ?/gm, ''));
      process.exit(0);
    } else throw new Error(`unknown option ${a} (see --help)`);
  }
  for (const k of ['runs', 'iters']) if (!Number.isInteger(o[k]) || o[k] < 1) throw new Error(`--${k} needs a positive integer`);
  if (!Number.isInteger(o.warmup) || o.warmup < 0) throw new Error('--warmup needs an integer ≥ 0');
  return o;
}

async function parentMain(argv) {
  const o = parseArgs(argv);
  if (o.processes) {
    if (!argv.includes('--runs')) o.runs = 11;
    return processesMain(o);
  }
  const log = (s) => process.stderr.write(`${s}\n`);
  const hosts = [
    { label: 'wasmvisor', kind: 'wasmvisor', dir: REPO_ROOT },
    ...o.trees.map((t) => ({ label: t.label, kind: 'wasmvisor', dir: t.dir })),
    { label: NODE_WASI, kind: NODE_WASI, dir: REPO_ROOT },
  ];
  for (const h of hosts) {
    h.commit = h.kind === NODE_WASI ? process.version : gitDescribe(h.dir);
    h.medians = [];
    h.firsts = [];
  }
  const loadBefore = loadavg();
  for (let round = 0; round < o.runs; round++) {
    for (const h of rotate(hosts, round)) {
      const r = await runNodeChild(SELF, ['--child', h.kind, h.dir, String(o.iters), String(o.warmup)], { nodeFlags: ['--no-warnings'] });
      if (r.code !== 0) throw new Error(`${h.label} (round ${round + 1}) failed with ${r.code ?? r.signal}:\n${r.stderr}`);
      const num = (k) => Number(new RegExp(`^${k} (\\S+)$`, 'm').exec(r.stdout)?.[1]);
      h.medians.push(num('MEDIAN'));
      h.firsts.push(num('FIRST'));
      log(`round ${round + 1}/${o.runs} ${h.label}: median ${formatNs(num('MEDIAN'))}, first ${formatNs(num('FIRST'))}`);
    }
  }
  const loadAfter = loadavg();
  const nodeWasi = hosts.at(-1);
  const a = hosts[0];
  const rows = hosts.map((h) => {
    const s = summarize(h.medians);
    return { ...h, summary: s, first: median(h.firsts), vsNodeWasi: ratio(s.median, median(nodeWasi.medians)), vsFirst: ratio(s.median, median(a.medians)) };
  });
  if (o.json) {
    process.stdout.write(`${JSON.stringify({ runs: o.runs, iters: o.iters, warmup: o.warmup, loadBefore, loadAfter, cpus: cpus().length, hosts: rows.map(({ label, kind, dir, commit, medians, firsts, summary, first, vsNodeWasi, vsFirst }) => ({ label, kind, dir, commit, medians, firsts, summary, first, vsNodeWasi, vsFirst })) }, null, 2)}\n`);
    return;
  }
  const load = (l) => l.map((x) => x.toFixed(2)).join(' ');
  const lines = [
    `start-up of wasm/hello.wasm (precompiled): ${o.runs} processes per host, interleaved; in each, median of ${o.iters} starts after ${o.warmup} untimed`,
    `load average before: ${load(loadBefore)}, after: ${load(loadAfter)} (${cpus().length} CPUs)`,
    '',
    formatTable(
      [{ title: 'host' }, { title: 'commit' }, { title: 'median start (min–max of processes)', align: 'right' }, { title: 'first start', align: 'right' }, { title: `/${NODE_WASI}`, align: 'right' }, { title: `/${a.label}`, align: 'right' }],
      rows.map((r) => [r.label, r.commit, formatNsRange(r.summary.median, r.summary.min, r.summary.max), formatNs(r.first), formatRatio(r.vsNodeWasi), formatRatio(r.vsFirst)]),
      { markdown: o.markdown },
    ),
  ];
  if (Math.max(loadBefore[0], loadAfter[0]) > cpus().length / 2) lines.push('', `note: load average above ${cpus().length / 2} (half the CPUs): compare only figures from this run`);
  process.stdout.write(`${lines.join('\n')}\n`);
}

if (process.argv[2] === '--child') await childMain(process.argv.slice(3));
else await parentMain(process.argv.slice(2));
