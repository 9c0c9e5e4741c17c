#!/usr/bin/env node
/**
 * bench/syscalls: the wasmvisor inline platform against node:wasi and
 * @bjorn3/browser_wasi_shim on syscall-bound workloads, in one run: the
 * four goal workloads, fd_writev and fd_readv (two iovecs per call, as
 * wasi-libc's stdio makes them).
 *
 *   npm run build && node bench/syscalls.mjs [--runs N] [--quick] [--json]
 *       [--only fd_write,fd_writev,open_close,filestat,read,fd_readv] [--hosts wasmvisor,node:wasi,...]
 *       [--cpu-prof DIR] [--markdown] [--json-out FILE]
 *
 * Each measurement is one fresh Node process running one bench/wasm/ program
 * on one host; the program times its own measured loop with CLOCK_MONOTONIC
 * (see bench/wasm/bench.h), so start-up and setup are excluded and the clock
 * is the same for every host. Rounds are interleaved: every round runs every
 * workload on every host, the host order rotating each round. The table
 * gives the median per operation with min–max, and wasmvisor/peer ratios of
 * the medians (below 1: wasmvisor is faster).
 *
 * --quick divides every count by 100 (a smoke run); --json prints one JSON
 * document on stdout instead of the table (progress goes to stderr),
 * --json-out FILE writes it to FILE as well as printing the table;
 * --cpu-prof DIR runs the wasmvisor children under `node --cpu-prof`.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runNodeChild } from './lib/child.mjs';
import { gitDescribe, REPO_ROOT } from './lib/dist.mjs';
import { formatNs, formatNsRange, formatRate, formatRatio, formatTable } from './lib/format.mjs';
import { ratio, summarize } from './lib/stats.mjs';
import { rotate } from './lib/timing.mjs';
import { HOSTS, runOnHost } from './lib/wasi_hosts.mjs';

const SELF = fileURLToPath(import.meta.url);
const WASM_DIR = join(REPO_ROOT, 'bench', 'wasm');
const BLOCK = 64 * 1024;
const READ_FILE = 'bench-read.dat';
const READV_FILE = 'bench-readv.dat';
/** Bytes per fd_readv call: 4095 into the caller's buffer + 1024 into the FILE's (bench/wasm/fd_readv.c). */
const READV_BYTES = 4095 + 1024;
/** Passes of fd_readv over its file: the reported count is reads × passes. */
const READV_PASSES = 50;

/**
 * The workloads: full counts; `phase` is the BENCH line measured. `goal:
 * false`: measured and compared like the others, but not one of the four the
 * goal statement names.
 */
const WORKLOADS = [
  { id: 'fd_write', wasm: 'fd_write.wasm', count: 1_000_000, phase: 'fd_write', op: 'write',
    title: (n) => `fd_write 1 B to /dev/null ×${n.toLocaleString('en-US')}` },
  { id: 'fd_writev', wasm: 'fd_writev.wasm', count: 1_000_000, phase: 'fd_writev', op: 'write', goal: false,
    title: (n) => `fd_write 2 iovecs (11+1 B, printf-like) to /dev/null ×${n.toLocaleString('en-US')}` },
  { id: 'open_close', wasm: 'open_close.wasm', count: 100_000, phase: 'open_close', op: 'open+close',
    title: (n) => `path_open + fd_close ×${n.toLocaleString('en-US')}` },
  { id: 'filestat', wasm: 'filestat.wasm', count: 100_000, phase: 'path_filestat_get', op: 'stat',
    title: (n) => `path_filestat_get ×${n.toLocaleString('en-US')}` },
  { id: 'read', wasm: 'read_file.wasm', count: 4096, phase: 'read', op: '64 KiB read',
    title: (n) => `fd_read 64 KiB, a ${mib(n)} file` },
  { id: 'fd_readv', wasm: 'fd_readv.wasm', count: 2_000, passes: READV_PASSES, phase: 'fd_readv', op: 'read', goal: false,
    title: (n) => `fd_read 2 iovecs (4095+1024 B, fread-like) ×${(n * READV_PASSES).toLocaleString('en-US')}: ${READV_PASSES} passes over ${((n * READV_BYTES) / 2 ** 20).toFixed(1)} MiB` },
];

/**
 * Extra rows from the `read` runs, not goal workloads: its setup phase
 * (wasmvisor and node:wasi write the file first) and a second read pass
 * (steady state: wasmvisor's JIT has then seen fd_read; the first pass
 * follows thousands of fd_writes).
 */
const READ_EXTRAS = [
  { id: 'read_setup_write', op: '64 KiB write', pick: (c) => c.setupWrite, title: (n) => `(not a goal) fd_write 64 KiB, ${mib(n)}` },
  { id: 'read_second_pass', op: '64 KiB read', pick: (c) => c.secondRead, title: (n) => `(not a goal) fd_read again, 2nd pass` },
];

function mib(blocks) {
  const m = (blocks * BLOCK) / (1024 * 1024);
  return `${Number.isInteger(m) ? m : m.toFixed(2)} MiB`;
}

// ------------------------------------------------------------------ child

/** Guest argv and host options for one workload on one host. */
function guestSetup(workload, host, count) {
  switch (workload.id) {
    case 'fd_write':
    case 'fd_writev':
      return { args: [String(count)] };
    case 'open_close':
    case 'filestat':
      return { args: [String(count), '/tmp'] };
    case 'read':
      // browser_wasi_shim grows a File by copying it whole on every write that
      // extends it (quadratic): give it the file in memory, as a browser would.
      if (host === 'browser_wasi_shim') {
        return { args: [String(count), `/tmp/${READ_FILE}`, 'existing', '2'], prefill: [{ name: READ_FILE, size: count * BLOCK }] };
      }
      return { args: [String(count), `/tmp/${READ_FILE}`, 'create', '2'] };
    case 'fd_readv':
      if (host === 'browser_wasi_shim') {
        return { args: [String(count), `/tmp/${READV_FILE}`, 'existing', String(READV_PASSES)], prefill: [{ name: READV_FILE, size: count * READV_BYTES }] };
      }
      return { args: [String(count), `/tmp/${READV_FILE}`, 'create', String(READV_PASSES)] };
    default:
      throw new Error(`unknown workload ${workload.id}`);
  }
}

/** `--child HOST WORKLOAD COUNT TMPDIR`: one measurement, output lines for the parent. */
async function childMain([host, id, countText, tmpDir]) {
  const workload = WORKLOADS.find((w) => w.id === id);
  if (!workload) throw new Error(`unknown workload ${id}`);
  const count = Number(countText);
  const module = await WebAssembly.compile(readFileSync(join(WASM_DIR, workload.wasm)));
  const setup = guestSetup(workload, host, count);
  const t0 = process.hrtime.bigint();
  let r = await runOnHost(host, module, { ...setup, tmpDir });
  if ((workload.id === 'fd_write' || workload.id === 'fd_writev') && /^BENCH_ERR \/dev\/null:/m.test(r.stdout)) {
    // No /dev/null on this host (yet): write to stderr, which the host discards.
    process.stdout.write(`NOTE no /dev/null (${r.stdout.trim().replace(/^BENCH_ERR /, '')}); wrote to fd 2, discarded by the host\n`);
    r = await runOnHost(host, module, { args: [String(count), 'fd:2'], tmpDir });
  }
  const wall = process.hrtime.bigint() - t0;
  process.stdout.write(r.stdout.endsWith('\n') || r.stdout === '' ? r.stdout : `${r.stdout}\n`);
  process.stdout.write(`HOST_WALL ${wall}\n`);
  process.exitCode = r.exitCode;
}

// ----------------------------------------------------------------- parent

function parseArgs(argv) {
  const o = { runs: 5, quick: false, json: false, jsonOut: null, markdown: false, only: null, hosts: HOSTS, cpuProf: null };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const value = () => {
      if (i + 1 >= argv.length) throw new Error(`${a} needs a value`);
      return argv[++i];
    };
    if (a === '--runs') o.runs = Number(value());
    else if (a === '--quick') o.quick = true;
    else if (a === '--json') o.json = true;
    else if (a === '--json-out') o.jsonOut = resolve(value());
    else if (a === '--markdown') o.markdown = true;
    else if (a === '--only') o.only = value().split(',');
    else if (a === '--hosts') o.hosts = value().split(',');
    else if (a === '--cpu-prof') o.cpuProf = resolve(value());
    else if (a === '-h' || a === '--help') {
      process.stdout.write(readFileSync(SELF, 'utf8').split('*/')[0].replace(/^#!.*\n\/\*\*\n/, '').replace(/^ \* ?/gm, ''));
      process.exit(0);
    } else throw new Error(`unknown option ${a} (see --help)`);
  }
  if (!Number.isInteger(o.runs) || o.runs < 1) throw new Error('--runs needs a positive integer');
  for (const h of o.hosts) if (!HOSTS.includes(h)) throw new Error(`unknown host ${h}: expected ${HOSTS.join(', ')}`);
  if (o.only) for (const w of o.only) if (!WORKLOADS.some((x) => x.id === w)) throw new Error(`unknown workload ${w}: expected ${WORKLOADS.map((x) => x.id).join(', ')}`);
  return o;
}

/**
 * Parse a child's output into `{ phases: {name: [{count, ns}, ...]}, notes,
 * errors, wallNs }` (a phase reported more than once keeps every report, in order).
 */
function parseChild(text) {
  const res = { phases: {}, notes: [], errors: [], wallNs: NaN };
  for (const line of text.split('\n')) {
    let m;
    if ((m = /^BENCH (\S+) (\d+) (\d+)$/.exec(line))) (res.phases[m[1]] ??= []).push({ count: Number(m[2]), ns: Number(m[3]) });
    else if ((m = /^BENCH_ERR (.*)$/.exec(line))) res.errors.push(m[1]);
    else if ((m = /^NOTE (.*)$/.exec(line))) res.notes.push(m[1]);
    else if ((m = /^HOST_WALL (\d+)$/.exec(line))) res.wallNs = Number(m[1]);
  }
  return res;
}

async function parentMain(argv) {
  const o = parseArgs(argv);
  const div = o.quick ? 100 : 1;
  // n: the count the guest is given; ops: the operations it reports (n × passes).
  const workloads = WORKLOADS.filter((w) => !o.only || o.only.includes(w.id)).map((w) => {
    const n = Math.max(1, Math.floor(w.count / div));
    return { ...w, n, ops: n * (w.passes ?? 1) };
  });
  const log = (s) => process.stderr.write(`${s}\n`);
  const base = mkdtempSync(join(tmpdir(), 'wasmvisor-bench-syscalls-'));
  const loadBefore = loadavg()[0];
  // Interrupted: still remove the temp dir (it may hold a 256 MiB file).
  const onSignal = (sig) => {
    rmSync(base, { recursive: true, force: true });
    process.kill(process.pid, sig);
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  if (o.cpuProf) mkdirSync(o.cpuProf, { recursive: true });
  /** results[workloadId][host] = { samples, setupWrite, secondRead, wall, notes, errors } */
  const results = {};
  for (const w of workloads) {
    results[w.id] = {};
    for (const h of o.hosts) results[w.id][h] = { samples: [], setupWrite: [], secondRead: [], wall: [], notes: new Set(), errors: [] };
  }
  let seq = 0;
  try {
    for (let round = 0; round < o.runs; round++) {
      for (const w of workloads) {
        for (const host of rotate(o.hosts, round)) {
          const dir = join(base, `run-${seq++}`);
          mkdirSync(dir);
          const nodeFlags = o.cpuProf && host === 'wasmvisor'
            ? ['--cpu-prof', '--cpu-prof-interval', '100', '--cpu-prof-dir', o.cpuProf, '--cpu-prof-name', `${w.id}-${round}.cpuprofile`]
            : [];
          const r = await runNodeChild(SELF, ['--child', host, w.id, String(w.n), dir], { nodeFlags, timeoutMs: o.quick ? 120_000 : 900_000 });
          rmSync(dir, { recursive: true, force: true });
          rmSync(`${dir}.stdout`, { force: true });
          const p = parseChild(r.stdout);
          const cell = results[w.id][host];
          for (const n of p.notes) cell.notes.add(n);
          const phase = p.phases[w.phase]?.[0];
          if (r.code === 0 && phase) {
            cell.samples.push(phase.ns);
            cell.wall.push(p.wallNs);
            if (p.phases.write) cell.setupWrite.push(p.phases.write[0].ns);
            if (p.phases.read?.[1]) cell.secondRead.push(p.phases.read[1].ns);
            log(`round ${round + 1}/${o.runs}  ${w.id.padEnd(10)} ${host.padEnd(17)} ${formatNs(phase.ns / w.ops)}/${w.op}`);
          } else {
            const why = p.errors[0] ?? (r.timedOut ? 'timed out' : `exit ${r.code ?? r.signal}: ${r.stderr.trim().split('\n').slice(-3).join(' | ')}`);
            cell.errors.push(why);
            log(`round ${round + 1}/${o.runs}  ${w.id.padEnd(10)} ${host.padEnd(17)} FAILED: ${why}`);
          }
        }
      }
    }
  } finally {
    process.removeListener('SIGINT', onSignal);
    process.removeListener('SIGTERM', onSignal);
    rmSync(base, { recursive: true, force: true });
  }

  const report = buildReport(o, workloads, results);
  report.load_average = { before: loadBefore, after: loadavg()[0], cpus: cpus().length };
  if (o.jsonOut) writeFileSync(o.jsonOut, `${JSON.stringify(report, null, 2)}\n`);
  if (o.json) process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
  else process.stdout.write(`${renderReport(report, o)}\n`);
  const failed = report.workloads.some((w) => Object.values(w.hosts).some((h) => h.samples_ns.length === 0));
  return failed ? 1 : 0;
}

function cellReport(samples, n, extra) {
  const s = summarize(samples);
  return {
    samples_ns: samples,
    median_ns: s.median,
    min_ns: s.min,
    max_ns: s.max,
    per_op_ns: s.median / n,
    ...extra,
  };
}

function buildReport(o, workloads, results) {
  const peers = o.hosts.filter((h) => h !== 'wasmvisor');
  const rows = [];
  const addRow = (w, id, title, op, pick, info) => {
    const hosts = {};
    for (const h of o.hosts) {
      const c = results[w.id][h];
      const samples = pick(c);
      if (info && samples.length === 0) continue;
      hosts[h] = cellReport(samples, w.ops, {
        notes: [...c.notes],
        errors: c.errors,
        ...(info ? {} : { wall_ns: c.wall }),
        ...(w.id === 'read' ? { bytes: w.n * BLOCK, mb_per_s: (w.n * BLOCK) / (summarize(samples).median / 1e9) / 1e6 } : {}),
      });
    }
    const ratios = {};
    const ratiosOfMins = {};
    if (hosts.wasmvisor) {
      for (const p of peers) {
        if (!hosts[p]) continue;
        ratios[`wasmvisor/${p}`] = ratio(hosts.wasmvisor.median_ns, hosts[p].median_ns);
        ratiosOfMins[`wasmvisor/${p}`] = ratio(hosts.wasmvisor.min_ns, hosts[p].min_ns);
      }
    }
    rows.push({ id, title, count: w.ops, op, ...(info ? { info: true } : {}), ...(w.goal === false && !info ? { goal: false } : {}), hosts, ratios, ratios_of_mins: ratiosOfMins });
  };
  for (const w of workloads) {
    addRow(w, w.id, w.title(w.n), w.op, (c) => c.samples, false);
    if (w.id === 'read') for (const x of READ_EXTRAS) addRow(w, x.id, x.title(w.n), x.op, x.pick, true);
  }
  const goalRows = rows.filter((r) => !r.info && r.goal !== false);
  const slower = goalRows.filter((r) => !(r.ratios['wasmvisor/node:wasi'] < 1)).map((r) => r.id);
  return {
    bench: 'syscalls',
    date: new Date().toISOString(),
    node: process.version,
    cpu: `${cpus()[0]?.model ?? 'unknown'} × ${cpus().length}`,
    commit: gitDescribe(),
    runs: o.runs,
    quick: o.quick,
    hosts: o.hosts,
    workloads: rows,
    goal: o.hosts.includes('node:wasi') && o.hosts.includes('wasmvisor') && goalRows.length === WORKLOADS.filter((w) => w.goal !== false).length
      ? { statement: 'wasmvisor faster than node:wasi on all four workloads', met: slower.length === 0, not_met_on: slower }
      : null,
  };
}

function renderReport(rep, o) {
  const peers = rep.hosts.filter((h) => h !== 'wasmvisor');
  const columns = [{ title: 'workload' }];
  const short = { wasmvisor: 'wv', 'node:wasi': 'node', browser_wasi_shim: 'shim' };
  for (const h of rep.hosts) columns.push({ title: h, align: 'right' });
  if (rep.hosts.includes('wasmvisor')) for (const p of peers) columns.push({ title: `wv/${short[p]}`, align: 'right' });
  const rows = [];
  const notes = [];
  for (const w of rep.workloads) {
    const row = [w.title];
    for (const h of rep.hosts) {
      const c = w.hosts[h];
      if (!c) {
        row.push('n/a');
        continue;
      }
      if (c.samples_ns.length === 0) {
        row.push(`failed: ${c.errors[0] ?? '?'}`.slice(0, 60));
        continue;
      }
      let text = formatNsRange(c.median_ns / w.count, c.min_ns / w.count, c.max_ns / w.count);
      if (c.mb_per_s) text += `, ${formatRate(c.mb_per_s * 1e6)}`;
      for (const n of c.notes) {
        notes.push(`${h}, ${w.id}: ${n}`);
        text += ` [${notes.length}]`;
      }
      row.push(text);
    }
    if (rep.hosts.includes('wasmvisor')) for (const p of peers) row.push(formatRatio(w.ratios[`wasmvisor/${p}`]));
    rows.push(row);
  }
  const out = [];
  out.push(`bench/syscalls: ${rep.runs} run(s) per host${rep.quick ? ', --quick (counts / 100)' : ''}; node ${rep.node}; ${rep.cpu}; commit ${rep.commit}`);
  out.push('Each cell: median time per operation (min–max over the runs), measured inside the guest with CLOCK_MONOTONIC');
  out.push('around the loop. wv/node, wv/shim: wasmvisor median / peer median; below 1 means wasmvisor is faster.');
  const load = rep.load_average;
  if (load && Math.max(load.before, load.after) > load.cpus / 2) {
    out.push(`WARNING: load average ${load.before.toFixed(1)} before, ${load.after.toFixed(1)} after, on ${load.cpus} CPUs: other work was running; figures are noisy.`);
  }
  if (rep.quick) out.push('--quick: a smoke run; with counts this small the figures mostly measure JIT warm-up, not steady state.');
  out.push('');
  out.push(formatTable(columns, rows, { markdown: o.markdown }));
  out.push('');
  notes.forEach((n, i) => out.push(`[${i + 1}] ${n}`));
  if (rep.hosts.includes('browser_wasi_shim')) {
    out.push('- browser_wasi_shim has no /dev/null: the harness gives it one, an in-memory Fd that discards writes; for read and fd_readv it gets the file prefilled in memory (its File grows by copying itself whole, so writing 256 MiB first would be quadratic).');
  }
  if (rep.hosts.includes('node:wasi')) out.push('- node:wasi: /tmp is a host temp dir (the file read was just written, so it is in the page cache); /dev is the host /dev.');
  if (rep.hosts.includes('wasmvisor')) out.push('- wasmvisor: /tmp is the container\'s in-memory tmpfs; the program writes the read file itself first.');
  if (rep.goal) {
    const verdict = rep.goal.met ? 'MET' : `not met on ${rep.goal.not_met_on.join(', ')}`;
    out.push('', `goal (${rep.goal.statement}): ${verdict}${rep.quick ? ' (--quick: not meaningful)' : ''}`);
  }
  return out.join('\n');
}

// ------------------------------------------------------------------- main

const argv = process.argv.slice(2);
if (argv[0] === '--child') {
  childMain(argv.slice(1)).catch((err) => {
    process.stderr.write(`${err?.stack ?? err}\n`);
    process.exitCode = 70;
  });
} else {
  parentMain(argv).then(
    (code) => { process.exitCode = code; },
    (err) => {
      process.stderr.write(`bench/syscalls: ${err?.message ?? err}\n`);
      process.exitCode = 2;
    },
  );
}
