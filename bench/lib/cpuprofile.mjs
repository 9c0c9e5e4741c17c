#!/usr/bin/env node
/**
 * bench/lib/cpuprofile: summarize a V8 `.cpuprofile` (from `node --cpu-prof`)
 * by self time and by inclusive time per function, to see where a benchmark
 * spends its time without opening DevTools.
 *
 *   node bench/lib/cpuprofile.mjs FILE.cpuprofile [--top N] [--filter TEXT] [--window TEXT]
 *
 * `--filter` keeps only functions whose file or name contains TEXT (e.g.
 * "kernel/"). `--window` keeps only the samples between the first and the
 * last sample whose stack has a frame containing TEXT (e.g. "fd_read
 * dist/kernel/syscalls"), to look at one phase of a program, GC and idle
 * time included. As a module: `summarizeProfile(profile, { top, filter, window })`.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** The short "name file:line" label of a profile node's call frame. */
function label(cf) {
  const file = cf.url ? cf.url.replace(/^file:\/\//, '').replace(/^.*\/(dist|node_modules)\//, '$1/') : '';
  return `${cf.functionName || '(anonymous)'} ${file ? `${file}:${cf.lineNumber + 1}` : ''}`.trim();
}

/**
 * `{ totalMs, self: [{ label, ms, pct }], inclusive: [{ label, ms, pct }] }`,
 * each list sorted by time, at most `top` entries; inclusive time counts a
 * function once per sample even when it recurses.
 */
export function summarizeProfile(profile, { top = 25, filter = null, window = null } = {}) {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  let first = 0;
  let last = profile.samples.length - 1;
  if (window) {
    const inWindow = new Map();
    const hasFrame = (id) => {
      if (inWindow.has(id)) return inWindow.get(id);
      const node = byId.get(id);
      const yes = label(node.callFrame).includes(window) || (parent.has(id) && hasFrame(parent.get(id)));
      inWindow.set(id, yes);
      return yes;
    };
    first = profile.samples.findIndex((id) => hasFrame(id));
    if (first < 0) throw new Error(`no sample has a frame containing "${window}"`);
    while (!hasFrame(profile.samples[last])) last--;
  }
  const hits = new Map();
  // timeDeltas[i] is the time since sample i-1: it is charged to sample i.
  for (let i = first; i <= last; i++) {
    const id = profile.samples[i];
    hits.set(id, (hits.get(id) ?? 0) + (i === first ? 0 : profile.timeDeltas[i] ?? 0));
  }
  const self = new Map();
  const incl = new Map();
  let total = 0;
  for (const [id, us] of hits) {
    total += us;
    const l = label(byId.get(id).callFrame);
    self.set(l, (self.get(l) ?? 0) + us);
    const seen = new Set();
    for (let cur = id; cur !== undefined; cur = parent.get(cur)) {
      const cl = label(byId.get(cur).callFrame);
      if (seen.has(cl)) continue;
      seen.add(cl);
      incl.set(cl, (incl.get(cl) ?? 0) + us);
    }
  }
  const list = (m) => [...m]
    .filter(([l]) => !filter || l.includes(filter))
    .sort((a, b) => b[1] - a[1])
    .slice(0, top)
    .map(([l, us]) => ({ label: l, ms: us / 1000, pct: (100 * us) / total }));
  return { totalMs: total / 1000, self: list(self), inclusive: list(incl) };
}

function main(argv) {
  const file = argv.find((a) => !a.startsWith('--'));
  if (!file) throw new Error('usage: cpuprofile.mjs FILE.cpuprofile [--top N] [--filter TEXT]');
  const opt = (name) => {
    const i = argv.indexOf(name);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  const s = summarizeProfile(JSON.parse(readFileSync(file, 'utf8')), {
    top: Number(opt('--top') ?? 25), filter: opt('--filter') ?? null, window: opt('--window') ?? null,
  });
  const lines = [`total ${s.totalMs.toFixed(0)} ms sampled`];
  const show = (title, rows) => {
    lines.push('', title);
    for (const r of rows) lines.push(`${r.ms.toFixed(1).padStart(9)} ms ${r.pct.toFixed(1).padStart(5)}%  ${r.label}`);
  };
  show('self time:', s.self);
  show('inclusive time:', s.inclusive);
  process.stdout.on('error', (e) => { if (e.code !== 'EPIPE') throw e; });
  process.stdout.write(`${lines.join('\n')}\n`);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  try {
    main(process.argv.slice(2));
  } catch (err) {
    process.stderr.write(`cpuprofile: ${err?.message ?? err}\n`);
    process.exitCode = 1;
  }
}
