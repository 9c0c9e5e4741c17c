#!/usr/bin/env node
/**
 * Fairness under busy neighbours (issue 11 "Done when"): how long a 21st,
 * interactive container (wasm/readline: answers each stdin line with
 * `you said: LINE`) takes to answer a line while 20 busy-looping containers
 * (wasm/spin) run on the same Sentry, through the library Runtime (sentry
 * platform, fuel-metered). Three cases, in this order:
 *
 * - idle: no spinners (the baseline);
 * - limited: the 20 spinners under cpu.max (`--cpus` each, default 0.1,
 *   i.e. quota 10 ms per 100 ms period) and cpu.weight (half shares 2048,
 *   half 1024, as test/runtime/cpu_share.test.ts);
 * - unlimited: the same spinners and weights without cpu.max.
 *
 * Each line is written after the previous answer arrived; the time is from
 * the write to the answer. Prints median and p90 per case, the ratio to
 * idle, and the load average (this machine is shared). Everything is killed
 * at the end, on error, and after `--timeout` seconds (default 240).
 *
 *   npm run build && node bench/fairness.mjs [--lines N] [--spinners N] [--cpus X] [--json]
 *
 * Goal (issue 11): under 50 ms at the median in the limited case.
 */
import { readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { importDist } from './lib/dist.mjs';
import { median, quantile, ratio } from './lib/stats.mjs';
import { formatRatio, formatTable } from './lib/format.mjs';

const argv = process.argv.slice(2);
const opt = (name, dflt) => {
  const i = argv.indexOf(name);
  if (i < 0) return dflt;
  const v = Number(argv[i + 1]);
  if (!Number.isFinite(v) || v <= 0) {
    process.stderr.write(`fairness: ${name} needs a positive number\n`);
    process.exit(2);
  }
  return v;
};
const LINES = opt('--lines', 100);
const SPINNERS = opt('--spinners', 20);
const CPUS = opt('--cpus', 0.1);
const TIMEOUT_S = opt('--timeout', 240);
const JSON_OUT = argv.includes('--json');
const PERIOD = 100_000;

const { Runtime } = await importDist('src/index.js');
const SPIN = readFileSync(new URL('../wasm/spin.wasm', import.meta.url));
const READLINE = readFileSync(new URL('../wasm/readline.wasm', import.meta.url));
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

const rt = await Runtime.create({ poolSize: 4 });
const live = new Set();
let closing = false;
async function shutdown(code) {
  if (closing) return;
  closing = true;
  await Promise.race([
    (async () => {
      await Promise.allSettled([...live].map((c) => c.kill('SIGKILL')));
      await rt.close();
    })(),
    sleep(10_000),
  ]);
  process.exit(code);
}
const watchdog = setTimeout(() => {
  process.stderr.write(`fairness: over ${TIMEOUT_S} s, stopping\n`);
  void shutdown(1);
}, TIMEOUT_S * 1000);
watchdog.unref();

/** Resolve once `c`'s stdout holds `text`, or reject after `ms`. */
function waitFor(c, text, ms) {
  return new Promise((resolve, reject) => {
    const check = () => {
      if (c.init.stdout.text().includes(text)) {
        clearInterval(poll);
        clearTimeout(t);
        resolve();
      }
    };
    const t = setTimeout(() => { clearInterval(poll); reject(new Error(`no "${text.trim()}" within ${ms} ms`)); }, ms);
    const poll = setInterval(check, 1000);
    check();
  });
}

async function startSpinners(limited) {
  const cs = [];
  for (let i = 0; i < SPINNERS; i++) {
    const cpu = { shares: i % 2 === 0 ? 2048 : 1024 };
    if (limited) Object.assign(cpu, { quota: Math.round(CPUS * PERIOD), period: PERIOD });
    const c = await rt.run({ module: SPIN, config: { process: { args: ['spin'] }, linux: { resources: { cpu } } } });
    live.add(c);
    cs.push(c);
  }
  for (const c of cs) await waitFor(c, 'spinning', 60_000);
  await sleep(1000); // let the first periods pass: quotas and weights are in force
  return cs;
}

async function stop(cs) {
  await Promise.all(cs.map(async (c) => {
    await c.kill('SIGKILL').catch(() => {});
    await c.wait();
    await c.delete().catch(() => {});
    live.delete(c);
  }));
}

/** Latencies in ms of LINES lines answered by a fresh readline container. */
async function interactive() {
  const c = await rt.run({ module: READLINE, config: { process: { args: ['readline'] } }, stdin: 'pipe' });
  live.add(c);
  let seen = '';
  let want = null;
  c.init.stdout.on((chunk) => {
    seen += Buffer.from(chunk).toString('utf8');
    if (want && seen.includes(want.text)) { const w = want; want = null; w.resolve(performance.now()); }
  });
  const answer = (text) => new Promise((resolve, reject) => {
    want = { text, resolve };
    if (seen.includes(text)) { want = null; resolve(performance.now()); }
    setTimeout(() => reject(new Error(`no answer "${text.trim()}" within 10 s`)), 10_000).unref();
  });
  await answer('> ');
  const ms = [];
  for (let i = 0; i < LINES; i++) {
    const text = `you said: line ${i}\n`;
    const got = answer(text);
    const t0 = performance.now();
    await c.init.write(`line ${i}\n`);
    ms.push((await got) - t0);
  }
  await c.init.closeStdin();
  await c.wait();
  await c.delete().catch(() => {});
  live.delete(c);
  return ms;
}

try {
  const results = [];
  for (const name of ['idle', 'limited', 'unlimited']) {
    const cs = name === 'idle' ? [] : await startSpinners(name === 'limited');
    const cpu = async () => (await Promise.all(cs.map(async (c) => (await c.stats()).cpu))).filter(Boolean);
    const s0 = await cpu();
    const t0 = performance.now();
    const ms = await interactive();
    const wallUs = (performance.now() - t0) * 1000;
    const s1 = await cpu();
    await stop(cs);
    const sum = (xs, k) => xs.reduce((a, x) => a + x[k], 0);
    // CPUs the spinners used meanwhile, from cpu.stat usage_usec (metered instructions, an estimate).
    const spinnerCpus = cs.length ? (sum(s1, 'usageUsec') - sum(s0, 'usageUsec')) / wallUs : 0;
    const throttled = cs.length ? sum(s1, 'nrThrottled') - sum(s0, 'nrThrottled') : 0;
    results.push({ name, median: median(ms), p90: quantile(ms, 0.9), max: Math.max(...ms), spinnerCpus, throttled, ms });
  }
  const load = loadavg();
  const idle = results[0].median;
  if (JSON_OUT) {
    console.log(JSON.stringify({ lines: LINES, spinners: SPINNERS, cpus: CPUS, results, loadavg: load }, null, 2));
  } else {
    const what = {
      idle: 'no spinners',
      limited: `${SPINNERS} spinners, cpu.max ${CPUS} CPU each, cpu.weight`,
      unlimited: `${SPINNERS} spinners, cpu.weight only`,
    };
    const f = (x) => `${x.toFixed(1)} ms`;
    console.log(formatTable(
      [{ title: 'case' }, { title: 'median', align: 'right' }, { title: 'p90', align: 'right' }, { title: 'max', align: 'right' }, { title: 'median / idle', align: 'right' }, { title: 'spinners used', align: 'right' }, { title: 'throttled', align: 'right' }],
      results.map((r) => [what[r.name], f(r.median), f(r.p90), f(r.max), formatRatio(ratio(r.median, idle)), `${r.spinnerCpus.toFixed(2)} CPU`, String(r.throttled)]),
    ));
    console.log(`${LINES} lines each, answer of wasm/readline from write to output; goal: limited median under 50 ms`);
    console.log('spinners used: their cpu.stat usage_usec (fuel-metered estimate) over the wall time of the lines; throttled: nr_throttled periods meanwhile');
    console.log(`load average ${load.map((x) => x.toFixed(2)).join(' ')}`);
  }
  await shutdown(0);
} catch (e) {
  process.stderr.write(`fairness: ${e.message}\n`);
  await shutdown(1);
}
