#!/usr/bin/env node
/**
 * bench/density: what a Kubernetes node pays per Wasm container on
 * wasmvisor, through containerd 1.6's CRI plugin (the node that
 * test/e2e/cri.test.ts builds: test/support/cri/harness.mjs), in one run:
 *
 *   1. memory of N = 1, 10 and 50 idle containers: in N single-container
 *      pods, and in pods of 10 containers (N/10 pods); the sum of PSS and of
 *      RSS over the wasmvisor processes (each pod's Node sandbox process and
 *      the shell stand-in of each container that joined it; containerd's
 *      shims counted apart), per container, and what one more container in
 *      a pod costs: (RSS per pod of 10 − RSS per pod of 1) / 9 (and the
 *      same for PSS), beside what a bare idle Node process costs here (the
 *      floor of a pod's sandbox process);
 *   2. pod start to first log line through CRI (RunPodSandbox →
 *      CreateContainer → StartContainer → the first line in the CRI log
 *      file), wasmvisor (hello.wasm) against runc (a static hello);
 *   3. `ctr run --rm` of hello through wasmvisor-runc against runc running a
 *      static hello.
 * Timings are interleaved (each round runs each runtime once, the order
 * alternating) and reported as medians with min–max; the load average is
 * printed before and after.
 *
 *   npm run build && sudo node bench/density.mjs [--runs N] [--sizes 1,10,50] [--layouts 1,10] [--parts 1,2,3] [--settle MS] [--runc-binary FILE] [--json]
 *
 * `--layouts`: containers per pod measured in part 1 (10 only for N ≥ 10);
 * `--runc-binary FILE`: the wasmvisor-runc that part 3 runs (default bin/wasmvisor-runc.js);
 * `--parts`: which of the three parts to run;
 * `--settle MS`: how long part 1 waits after the last container of a size
 *   started before it reads memory (default 2000; V8 shrinks an idle
 *   heap after several seconds, so a longer wait is nearer the steady state).
 *
 * Needs root, containerd, ctr, runc, skopeo, docker-registry and gcc (the
 * static hello and pause). The pods are host-network pods (no CNI). The
 * containers of part 1 run wasm/pause.wasm (an idle program blocked in
 * poll_oneoff).
 */
import { execFile, execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, existsSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { REPO_ROOT } from './lib/dist.mjs';
import { median } from './lib/stats.mjs';
import {
  criClient, podConfig, pushImage, startContainerd, startRegistry, writeImage,
} from '../test/support/cri/harness.mjs';

const execFileP = promisify(execFile);
const argv = process.argv.slice(2);
const opt = (name, def) => { const i = argv.indexOf(name); return i >= 0 ? argv[i + 1] : def; };
const RUNS = Number(opt('--runs', '7'));
const SETTLE_MS = Number(opt('--settle', '2000'));
const SIZES = opt('--sizes', '1,10,50').split(',').map(Number);
const LAYOUTS = opt('--layouts', '1,10').split(',').map(Number);
const PARTS = new Set(opt('--parts', '1,2,3').split(',').map(Number));
const JSON_OUT = argv.includes('--json');
const BIN = opt('--runc-binary', join(REPO_ROOT, 'bin', 'wasmvisor-runc.js')); // another build's, for an A/B of part 3
const MiB = 1024 * 1024;

const log = (s) => { if (!JSON_OUT) process.stdout.write(`${s}\n`); };
const load = () => loadavg().map((x) => x.toFixed(2)).join(' ');
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** `{ pss, rss }` in bytes of `pid` (smaps_rollup), or null when gone. */
function memOf(pid) {
  try {
    const t = readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8');
    const kb = (k) => Number(new RegExp(`^${k}:\\s+(\\d+)`, 'm').exec(t)?.[1] ?? 0) * 1024;
    return { pss: kb('Pss'), rss: kb('Rss') };
  } catch {
    return null;
  }
}

/**
 * Live processes of this bench's containerd, grouped: its shims (their command
 * lines name `text`, containerd's directory) and wasmvisor's processes: Node
 * sandbox processes (titled `wasmvisor-sandbox ID`, ID one of `ids`) and the
 * stand-ins of pod members (`/bin/sh -c … wasmvisor-sandbox ID FIFO`), both
 * in `sandbox`, the stand-ins also in `standIn`.
 */
function processes(text, ids, exclude) {
  const out = { sandbox: [], standIn: [], shim: [] };
  for (const p of readdirSync('/proc')) {
    if (!/^\d+$/.test(p) || exclude.has(Number(p))) continue;
    try {
      const cmd = readFileSync(`/proc/${p}/cmdline`, 'utf8').replaceAll('\0', ' ').trim();
      const title = /(?:^| )wasmvisor-sandbox (\S+)/.exec(cmd);
      if (title && ids.has(title[1])) {
        out.sandbox.push(Number(p));
        if (!cmd.startsWith('wasmvisor-sandbox ')) out.standIn.push(Number(p));
      } else if (cmd.includes(text) && cmd.includes('containerd-shim')) out.shim.push(Number(p));
    } catch {
      // gone
    }
  }
  return out;
}

function sumMem(pids) {
  let pss = 0;
  let rss = 0;
  for (const p of pids) {
    const m = memOf(p);
    if (m) { pss += m.pss; rss += m.rss; }
  }
  return { pss, rss };
}

async function untilLine(path, ms = 60_000) {
  const end = Date.now() + ms;
  for (;;) {
    try {
      if (readFileSync(path, 'utf8').includes('\n')) return;
    } catch {
      // not yet created
    }
    if (Date.now() > end) throw new Error(`no log line in ${path} after ${ms} ms`);
    await sleep(2);
  }
}

const fmtMs = (xs) => `${median(xs).toFixed(0)} ms (${Math.min(...xs).toFixed(0)}–${Math.max(...xs).toFixed(0)})`;

async function main() {
  if (process.getuid?.() !== 0) throw new Error('bench/density needs root (containerd)');
  const work = mkdtempSync(join(tmpdir(), 'wv-density-'));
  const cleanup = [];
  const results = { load: { before: load() }, memory: [], podStart: {}, ctrRun: {} };
  try {
    log(`# bench/density  (${new Date().toISOString()}, load ${results.load.before})`);
    for (const [src, out] of [['hello_static.c', 'hello'], ['pause_static.c', 'pause']]) {
      execFileSync('gcc', ['-static', '-O2', '-s', '-o', join(work, out), join(REPO_ROOT, 'bench', src)]);
    }
    const reg = await startRegistry(join(work, 'registry'));
    cleanup.push(() => reg.stop());
    const ref = (n) => `${reg.host}/bench/${n}:1`;
    const images = {
      // the sandbox image: a native /pause for runc pods; wasmvisor holds a pod's sandbox without running it
      pause: [{ pause: join(work, 'pause') }, { Entrypoint: ['/pause'] }],
      wasm: [{ 'hello.wasm': join(REPO_ROOT, 'wasm/hello.wasm'), 'pause.wasm': join(REPO_ROOT, 'wasm/pause.wasm') }, { Entrypoint: ['/hello.wasm'] }],
      native: [{ hello: join(work, 'hello') }, { Entrypoint: ['/hello'] }],
    };
    for (const [name, [files, config]] of Object.entries(images)) {
      await writeImage(join(work, `img-${name}`), '1', files, config);
      await pushImage(join(work, `img-${name}`), '1', ref(name));
    }
    const ctdDir = join(work, 'ctd');
    const ctd = await startContainerd({ work: ctdDir, binary: BIN, sandboxImage: ref('pause'), registry: reg.host });
    cleanup.push(() => ctd.stop());
    const cri = criClient(ctd.address);
    cleanup.push(async () => cri.close());
    for (const n of ['wasm', 'native', 'pause']) await cri.image.PullImage({ image: { image: ref(n) } });
    const logs = join(work, 'logs');
    mkdirSync(logs);
    let seq = 0;
    const ids = new Set(); // pod and container ids (sandbox processes are titled by them)
    const live = new Set(); // pods to remove on the way out

    /** A pod of `k` containers running `command` on `handler`; resolves to its id. */
    const startPod = async (handler, image, command, k) => {
      const name = `p${seq++}`;
      const pc = podConfig(name, `uid-${name}`, join(logs, name), ''); // '': runc refuses a hostname in a host-network pod
      mkdirSync(join(logs, name));
      const { pod_sandbox_id: pod } = await cri.runtime.RunPodSandbox({ config: pc, runtime_handler: handler }, 120_000);
      ids.add(pod);
      live.add(pod);
      for (let i = 0; i < k; i++) {
        const { container_id: id } = await cri.runtime.CreateContainer({
          pod_sandbox_id: pod, sandbox_config: pc,
          config: { metadata: { name: `c${i}` }, image: { image }, command, log_path: `c${i}.log` },
        }, 120_000);
        ids.add(id);
        await cri.runtime.StartContainer({ container_id: id }, 120_000);
      }
      return { pod, logDir: join(logs, name) };
    };
    const removePod = async (pod) => {
      await cri.runtime.StopPodSandbox({ pod_sandbox_id: pod }, 120_000);
      await cri.runtime.RemovePodSandbox({ pod_sandbox_id: pod }, 120_000);
      live.delete(pod);
    };
    cleanup.push(async () => { for (const p of live) await removePod(p).catch(() => {}); });
    const exclude = new Set([process.pid, ctd.proc.pid]);

    // ---- 1. memory
    if (PARTS.has(1)) log(`\n## 1. memory of idle Wasm containers (wasm/pause.wasm), containerd CRI, runtime handler wasmvisor, read ${SETTLE_MS} ms after the last start`);
    if (PARTS.has(1)) {
      // the floor of a Node process on this machine: a bare idle `node` (most of its RSS is the node binary's pages, shared)
      const bare = execFile(process.execPath, ['-e', 'setInterval(() => {}, 1e9)']);
      await sleep(1500);
      const m = memOf(bare.pid);
      bare.kill('SIGKILL');
      if (m) {
        results.bareNode = m;
        log(`(a bare idle Node process here: ${(m.rss / MiB).toFixed(1)} MiB RSS, ${(m.pss / MiB).toFixed(1)} MiB PSS)\n`);
      }
    }
    if (PARTS.has(1)) log('| containers | layout | pods | Node processes | stand-ins | PSS total | PSS per container | RSS per container | stand-ins RSS | shims PSS |');
    if (PARTS.has(1)) log('|---|---|---|---|---|---|---|---|---|---|');
    for (const n of PARTS.has(1) ? SIZES : []) {
      for (const perPod of LAYOUTS.filter((k) => k === 1 || (k === 10 && n >= 10))) {
        const pods = [];
        for (let i = 0; i < n / perPod; i++) pods.push((await startPod('wasmvisor', ref('wasm'), ['/pause.wasm'], perPod)).pod);
        await sleep(SETTLE_MS); // let start-up garbage settle
        const procs = processes(ctdDir, ids, exclude);
        const m = sumMem(procs.sandbox);
        const shim = sumMem(procs.shim);
        const standIns = sumMem(procs.standIn);
        const row = {
          containers: n, perPod, pods: pods.length, processes: procs.sandbox.length, standIns: procs.standIn.length, pss: m.pss, rss: m.rss,
          standInRss: standIns.rss, shimPss: shim.pss,
        };
        results.memory.push(row);
        log(`| ${n} | ${perPod === 1 ? 'one per pod' : `${perPod} per pod`} | ${pods.length} | ${procs.sandbox.length - procs.standIn.length} | ${procs.standIn.length} | ${(m.pss / MiB).toFixed(0)} MiB | ${(m.pss / n / MiB).toFixed(1)} MiB | ${(m.rss / n / MiB).toFixed(1)} MiB | ${(standIns.rss / MiB).toFixed(0)} MiB | ${(shim.pss / MiB).toFixed(0)} MiB |`);
        for (const p of pods) await removePod(p);
      }
    }
    // one more container in a pod: pods of 10 against single-container pods of the same N (stand-ins counted)
    for (const ten of results.memory.filter((r) => r.perPod === 10)) {
      const one = results.memory.find((r) => r.perPod === 1 && r.containers === ten.containers);
      if (!one) continue;
      const extra = (ten.rss / ten.pods - one.rss / one.pods) / (ten.perPod - 1);
      const extraPss = (ten.pss / ten.pods - one.pss / one.pods) / (ten.perPod - 1);
      results.perExtraContainer = { containers: ten.containers, rss: extra, pss: extraPss };
      results.perPod = { containers: one.containers, rss: one.rss / one.pods, pss: one.pss / one.pods };
      log(`per additional container in a pod (N=${ten.containers}): ${(extra / MiB).toFixed(1)} MiB RSS (${(extra / 1e6).toFixed(1)} MB), ${(extraPss / MiB).toFixed(1)} MiB PSS; per single-container pod: ${(one.rss / one.pods / MiB).toFixed(1)} MiB RSS (${(one.rss / one.pods / 1e6).toFixed(1)} MB), ${(one.pss / one.pods / MiB).toFixed(1)} MiB PSS`);
    }

    // ---- 2. pod start to first log line
    if (PARTS.has(2)) {
    log('\n## 2. pod start to first log line through CRI (RunPodSandbox + CreateContainer + StartContainer → first line in the log file)');
    const podStart = { wasmvisor: [], runc: [] };
    for (let r = 0; r < RUNS; r++) {
      const order = r % 2 === 0 ? ['wasmvisor', 'runc'] : ['runc', 'wasmvisor'];
      for (const h of order) {
        const t0 = performance.now();
        const { pod, logDir } = await startPod(h, h === 'runc' ? ref('native') : ref('wasm'), [], 1);
        await untilLine(join(logDir, 'c0.log'));
        podStart[h].push(performance.now() - t0);
        await removePod(pod);
      }
    }
    results.podStart = podStart;
    log(`wasmvisor: ${fmtMs(podStart.wasmvisor)}   runc: ${fmtMs(podStart.runc)}   ratio ${(median(podStart.wasmvisor) / median(podStart.runc)).toFixed(2)}x`);
    }

    // ---- 3. ctr run --rm
    if (PARTS.has(3)) {
    log('\n## 3. `ctr run --rm` of hello: wasmvisor-runc (hello.wasm) against runc (static hello)');
    const ctr = (...a) => execFileP('ctr', ['--address', ctd.address, '-n', 'bench', ...a]);
    for (const n of ['wasm', 'native']) await ctr('images', 'pull', '--plain-http', '--snapshotter', 'native', ref(n));
    const ctrRun = { wasmvisor: [], runc: [] };
    for (let r = 0; r < RUNS + 1; r++) {
      const order = r % 2 === 0 ? ['wasmvisor', 'runc'] : ['runc', 'wasmvisor'];
      for (const h of order) {
        const extra = h === 'wasmvisor' ? ['--runc-binary', BIN, '--runc-root', join(work, 'ctr-wasmvisor')] : [];
        const t0 = performance.now();
        const { stdout } = await ctr('run', '--rm', '--snapshotter', 'native', ...extra, h === 'runc' ? ref('native') : ref('wasm'), `r${seq++}`);
        const dt = performance.now() - t0;
        if (!stdout.startsWith('hello from')) throw new Error(`ctr run ${h}: unexpected output ${JSON.stringify(stdout)}`);
        if (r > 0) ctrRun[h].push(dt); // the first round warms both (code caches, page cache)
      }
    }
    results.ctrRun = ctrRun;
    log(`wasmvisor-runc: ${fmtMs(ctrRun.wasmvisor)}   runc: ${fmtMs(ctrRun.runc)}   ratio ${(median(ctrRun.wasmvisor) / median(ctrRun.runc)).toFixed(2)}x`);
    }
  } catch (err) {
    process.stderr.write(`bench/density: ${err.stack ?? err}\n`);
    process.exitCode = 1;
  } finally {
    for (const f of cleanup.reverse()) await f().catch(() => {});
    results.load.after = load();
    log(`\nload average before: ${results.load.before}; after: ${results.load.after}`);
    try {
      if (existsSync(work)) rmSync(work, { recursive: true, force: true });
    } catch (err) {
      process.stderr.write(`bench/density: ${work} left behind: ${err.message}\n`);
    }
  }
  if (JSON_OUT) process.stdout.write(`${JSON.stringify(results, null, 2)}\n`);
}

main().catch((err) => {
  process.stderr.write(`bench/density: ${err.stack ?? err}\n`);
  process.exit(1);
});
