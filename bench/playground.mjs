#!/usr/bin/env node
/**
 * bench/playground: the playground's two goals, measured in Debian's
 * Chromium (playwright-core) against `wasmvisor serve` (the built CLI, a
 * process of its own, a temp store):
 *  - the time from navigation to the hello sample's first output line in
 *    the terminal (`performance.now()` at the first output byte, which
 *    counts from navigation start), with the page already cached: one
 *    warm-up visit, then N visits in the same profile; goal < 300 ms;
 *  - the JavaScript the page and its workers load, gzipped (level 9, each
 *    file as served); goal < 400 KB.
 *
 * It also prints the median of each start-up milestone the page marks
 * (`window.__playground.marks`, ms since navigation: boot = index.html
 * started the workers, script = the page's script runs, runtime = the
 * Sentry answered, image = the sample's layers are unpacked, compiled =
 * its module is rewritten and compiled, terminal = xterm is open, started =
 * the container runs; sentry-start, sentry-evaluated, sentry-called = the
 * Sentry worker's script began to run (after its fetch and compile, which
 * Chromium does not code-cache for workers), finished its top-level code,
 * got the page's first message) and the load average before and after: on
 * a loaded machine every figure grows with the load.
 *
 *   npm run build && node bench/playground.mjs [--runs N] [--marks]
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { cpus, tmpdir, loadavg } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { REPO_ROOT } from './lib/dist.mjs';

const runs = Number(process.argv[process.argv.indexOf('--runs') + 1]) || 10;
const loadBefore = loadavg();
const { chromium } = await import('playwright-core');

const store = mkdtempSync(join(tmpdir(), 'wv-bench-pg-'));
const profile = mkdtempSync(join(tmpdir(), 'wv-bench-pg-chromium-'));
const serve = spawn(process.execPath, [join(REPO_ROOT, 'bin/wasmvisor.js'), '--root', store, 'serve', '--port', '0'], { stdio: ['ignore', 'pipe', 'inherit'] });
const url = await new Promise((resolve, reject) => {
  let out = '';
  serve.stdout.on('data', (d) => {
    out += d;
    const m = /(http:\/\/\S+\/)/.exec(out);
    if (m) resolve(m[1]);
  });
  serve.on('exit', (c) => reject(new Error(`wasmvisor serve exited ${c}`)));
});

const ctx = await chromium.launchPersistentContext(profile, {
  executablePath: '/usr/bin/chromium', headless: true,
  args: ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
});
try {
  const page = await ctx.newPage();
  const scripts = new Set();
  page.on('response', (r) => { if (r.url().endsWith('.js')) scripts.add(new URL(r.url()).pathname); });
  const visit = async () => {
    await page.goto(`${url}?run=hello`);
    // polled inside the page with a timer, not with waitForFunction: that one first injects Playwright's own script
    // (hundreds of KB to compile) into the page, on its main thread, in the middle of the start-up being measured
    const s = await page.evaluate(() => new Promise((resolve) => {
      const t0 = performance.now();
      const poll = () => {
        const p = window.__playground;
        if (p?.firstOutputMs !== undefined || p?.error || performance.now() - t0 > 60_000) {
          resolve({ ms: p?.firstOutputMs, marks: p?.marks ?? {}, error: p?.error ?? (p?.firstOutputMs === undefined ? 'no output in 60 s' : undefined), screen: p?.screen() ?? '' });
        } else setTimeout(poll, 10);
      };
      poll();
    }));
    if (process.argv.includes('--marks')) process.stdout.write(`${JSON.stringify({ ...s.marks, firstOutput: Math.round(s.ms) })}\n`);
    if (s.error) throw new Error(s.error);
    if (!s.screen.startsWith('hello from wasmvisor')) throw new Error(`unexpected output: ${s.screen}`);
    return s;
  };
  const cold = (await visit()).ms;
  const times = [];
  const marks = [];
  for (let i = 0; i < runs; i++) {
    const s = await visit();
    times.push(s.ms);
    marks.push(s.marks);
  }
  times.sort((a, b) => a - b);
  const median = times[Math.floor(times.length / 2)];
  let raw = 0;
  let gz = 0;
  for (const p of scripts) {
    const bytes = readFileSync(join(REPO_ROOT, 'dist', 'playground', p.replace(/^\//, '')));
    raw += bytes.byteLength;
    gz += gzipSync(bytes, { level: 9 }).byteLength;
  }
  const f = (n) => n.toFixed(0);
  process.stdout.write(`playground, hello's first output after navigation (cached page, ${runs} runs): median ${f(median)} ms (min ${f(times[0])}, max ${f(times[times.length - 1])}; first, cold visit ${f(cold)} ms) — goal < 300 ms\n`);
  process.stdout.write(`JS loaded by the page and its workers: ${scripts.size} files, ${(raw / 1024).toFixed(0)} KB, ${(gz / 1024).toFixed(0)} KB gzipped — goal < 400 KB\n`);
  const med = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  const keys = [...new Set(marks.flatMap((m) => Object.keys(m)))].filter((k) => marks.every((m) => m[k] !== undefined));
  const order = keys.map((k) => [k, med(marks.map((m) => m[k]))]).sort((a, b) => a[1] - b[1]);
  process.stdout.write(`start-up milestones, median ms after navigation: ${order.map(([k, v]) => `${k} ${v}`).join(', ')}, first output ${f(median)}\n`);
  process.stdout.write(`load average: before ${loadBefore.map((x) => x.toFixed(2)).join(' ')}, after ${loadavg().map((x) => x.toFixed(2)).join(' ')} (${cpus().length} cores)\n`);
} finally {
  await ctx.close();
  serve.kill('SIGTERM');
  rmSync(store, { recursive: true, force: true });
  rmSync(profile, { recursive: true, force: true });
}
