#!/usr/bin/env node
// bench/sandbox: the sentry platform against its baselines, medians over several runs.
//   node bench/sandbox.mjs [--runs N] [--only cpu,roundtrip,fdwrite,hello,density]
// Part 1: syscall round trip through the SAB channel vs a bare SharedArrayBuffer ping-pong.
// Needs `npm run build` (workers run dist/).
import { Worker, isMainThread, workerData, parentPort } from 'node:worker_threads';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { dirname, join } from 'node:path';
import { existsSync } from 'node:fs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const dist = (rel) => {
  const p = join(root, 'dist', rel);
  if (!existsSync(p)) {
    console.error(`missing ${p}: run \`npm run build\` first`);
    process.exit(2);
  }
  return pathToFileURL(p).href;
};

const ROUND_TRIPS = Number(process.env.RT) || 200_000;
/** Round trips before the timed ones: enough for V8 to optimise the channel's code (1,000 were not). */
const WARM_TRIPS = 50_000;
/** Loads the bare ping-pong spins before it parks (NOTES.md's spin-then-park). */
const SPIN = 20_000;
/** Longest a round-trip run may take (ms): a loaded machine makes spinning pairs crawl. */
const CAP_MS = 3000;

// ---------------------------------------------------------------- workers
async function workerMain() {
  const { role } = workerData;
  if (role === 'pong') {
    // bare ping-pong, responder: spin-then-park on word 0 (1 = ping, 2 = pong);
    // with `pause`, each spin round also runs the channel's relax() (spin_park.ts)
    const a = new Int32Array(workerData.sab);
    const spin = workerData.spin;
    const relax = workerData.pause ? (await import(dist('src/sentry/spin_park.js'))).relax : () => {};
    for (;;) {
      let k = 0;
      while (Atomics.load(a, 0) !== 1 && k < spin) { k++; relax(); }
      if (Atomics.load(a, 0) !== 1) {
        Atomics.store(a, 2, 1);
        // wait on the value just seen: re-reading it for the wait could see the ping and sleep through it
        for (let v = Atomics.load(a, 0); v !== 1; v = Atomics.load(a, 0)) Atomics.wait(a, 0, v);
        Atomics.store(a, 2, 0);
      }
      if (Atomics.load(a, 1) === -1) return;
      Atomics.store(a, 0, 2);
      if (Atomics.load(a, 3) !== 0) Atomics.notify(a, 0);
    }
  }
  if (role === 'ping') {
    const a = new Int32Array(workerData.sab);
    const { n, spin } = workerData;
    const relax = workerData.pause ? (await import(dist('src/sentry/spin_park.js'))).relax : () => {};
    let t0 = 0;
    let done = 0;
    for (let i = -WARM_TRIPS; i < n; i++) {
      if (i === 0) t0 = performance.now();
      // time cap: on a loaded machine a spinning pair can take milliseconds per round trip
      if (i > 0 && (i & 1023) === 0 && performance.now() - t0 > CAP_MS) break;
      if (i >= 0) done++;
      Atomics.store(a, 0, 1);
      if (Atomics.load(a, 2) !== 0) Atomics.notify(a, 0);
      let k = 0;
      while (Atomics.load(a, 0) !== 2 && k < spin) { k++; relax(); }
      if (Atomics.load(a, 0) !== 2) {
        Atomics.store(a, 3, 1);
        while (Atomics.load(a, 0) !== 2) Atomics.wait(a, 0, 1);
        Atomics.store(a, 3, 0);
      }
    }
    const t1 = performance.now();
    Atomics.store(a, 1, -1);
    Atomics.store(a, 0, 1);
    Atomics.notify(a, 0);
    parentPort.postMessage(((t1 - t0) * 1000) / done);
    return;
  }
  if (role === 'server') {
    const { ChannelServer } = await import(dist('src/sentry/channel_server.js'));
    const { SENTRY_WIRES } = await import(dist('kernel/platform/sentry_wire.js'));
    // echo for the generic encoding; a clock reading for clock_time_get's fixed layout
    const server = new ChannelServer(workerData.hub, (_id, op, arg) => ({ status: 0, value: op === workerData.clockNr ? 1_700_000_000_000_000_000n : arg }), { defer: setImmediate, wires: SENTRY_WIRES });
    server.attach(0, workerData.channel);
    server.start();
    parentPort.on('message', () => { server.stop(); process.exit(0); });
    return;
  }
  if (role === 'nodewasi') {
    const { WASI } = await import('node:wasi');
    const { readFileSync, openSync, closeSync, mkdtempSync, rmSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const dir = mkdtempSync(join(tmpdir(), 'wasmvisor-bench-'));
    const fd = openSync(join(dir, 'out'), 'w+');
    const wasi = new WASI({ version: 'preview1', args: ['probe', 'devnull', String(workerData.n)], preopens: { '/dev': '/dev' }, stdout: fd });
    const mod = await WebAssembly.compile(readFileSync(workerData.probe));
    const inst = await WebAssembly.instantiate(mod, wasi.getImportObject());
    wasi.start(inst);
    closeSync(fd);
    parentPort.postMessage(readFileSync(join(dir, 'out'), 'utf8'));
    rmSync(dir, { recursive: true, force: true });
    return;
  }
  if (role === 'client') {
    const { ChannelClient } = await import(dist('src/sentry/channel.js'));
    const { SENTRY_WIRES } = await import(dist('kernel/platform/sentry_wire.js'));
    const c = new ChannelClient(workerData.channel, workerData.hub, 0, undefined, SENTRY_WIRES);
    const { n, fixed, clockNr } = workerData;
    // fixed: clock_time_get in its fixed wire layout (how hot syscalls travel); else op 1 with a number, generic codec
    const args = { id: 1, precision: 0n, _ret: 0 };
    const once = fixed ? () => c.call(clockNr, args) : (i) => c.call(1, i);
    for (let i = 0; i < WARM_TRIPS; i++) once(i);
    const t0 = performance.now();
    let done = 0;
    for (let i = 0; i < n; i++) {
      if (i > 0 && (i & 1023) === 0 && performance.now() - t0 > CAP_MS) break;
      once(i);
      done++;
    }
    const t1 = performance.now();
    parentPort.postMessage(((t1 - t0) * 1000) / done);
  }
}

// ---------------------------------------------------------------- main
function once(w, ms = 60_000) {
  return new Promise((res, rej) => {
    const t = setTimeout(() => rej(new Error(`worker gave no result in ${ms / 1000} s`)), ms);
    w.once('message', (m) => { clearTimeout(t); res(m); });
    w.once('error', (e) => { clearTimeout(t); rej(e); });
  });
}
const self = new URL(import.meta.url);

async function pingPong(spin, pause = false) {
  const sab = new SharedArrayBuffer(16);
  const pong = new Worker(self, { workerData: { role: 'pong', sab, spin, pause } });
  const ping = new Worker(self, { workerData: { role: 'ping', sab, spin, pause, n: ROUND_TRIPS } });
  try {
    return await once(ping);
  } finally {
    await Promise.all([ping.terminate(), pong.terminate()]);
  }
}

async function channelRoundTrip(fixed) {
  const { createChannelBuffer, createHubBuffer } = await import(dist('src/sentry/channel.js'));
  const { SYSCALL_BY_NAME } = await import(dist('kernel/syscalls/table.js'));
  const clockNr = SYSCALL_BY_NAME.get('clock_time_get').nr;
  const hub = createHubBuffer(16);
  const channel = createChannelBuffer();
  const server = new Worker(self, { workerData: { role: 'server', hub, channel, clockNr } });
  const client = new Worker(self, { workerData: { role: 'client', hub, channel, n: ROUND_TRIPS, fixed, clockNr } });
  try {
    return await once(client);
  } finally {
    await Promise.all([client.terminate(), server.terminate()]);
  }
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) >> 1] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const fmt = (us) => (us < 10 ? us.toFixed(3) : us.toFixed(1));

async function measure(label, fn, runs) {
  const xs = [];
  for (let i = 0; i < runs; i++) {
    try {
      xs.push(await fn());
    } catch (err) {
      console.log(`  (run ${i + 1} of "${label}" failed: ${err.message})`);
    }
  }
  if (xs.length === 0) return NaN;
  const m = median(xs);
  console.log(`${label.padEnd(58)} ${fmt(m).padStart(9)}  (runs: ${xs.map(fmt).join(' ')})`);
  return m;
}

async function main() {
  const args = process.argv.slice(2);
  const runs = Number(args[args.indexOf('--runs') + 1]) || 5;
  const only = args.includes('--only') ? args[args.indexOf('--only') + 1].split(',') : null;
  const want = (k) => !only || only.includes(k);
  const { loadavg, cpus } = await import('node:os');
  const load = loadavg();
  console.log(`wasmvisor bench/sandbox — node ${process.version}, ${cpus().length} cores, load average ${load.map((x) => x.toFixed(1)).join(' ')}, median of ${runs} runs`);
  if (load[0] > cpus().length * 0.5) {
    console.log(`WARNING: the machine is busy (load ${load[0].toFixed(1)} on ${cpus().length} cores): cross-thread figures ([1]-[3]) measure`);
    console.log('  the scheduler more than wasmvisor. [0] (CPU time per call, one thread) does not depend on load.');
  }
  if (want('cpu')) await cpuPerCall(runs);
  if (want('roundtrip')) {
    console.log(`\n[1] round trip, µs per call (up to ${ROUND_TRIPS} calls or ${CAP_MS / 1000} s per run, after ${WARM_TRIPS} untimed; runs interleaved)`);
    const park = await measure('bare SAB ping-pong, always park (Atomics.wait)', () => pingPong(0), Math.min(runs, 3));
    const [spin, paused, chan, gen] = await measureInterleaved([
      { label: `bare SAB ping-pong, spin ${SPIN} loads then park`, fn: () => pingPong(SPIN) },
      { label: 'bare SAB ping-pong, spin with relax() like the channel', fn: () => pingPong(SPIN, true) },
      { label: 'wasmvisor channel, clock_time_get in its fixed wire layout', fn: () => channelRoundTrip(true) },
      { label: 'wasmvisor channel, generic codec (a number each way)', fn: () => channelRoundTrip(false) },
    ], runs);
    console.log(`  ratio channel (fixed layout) / spinning ping-pong: ${(chan / spin).toFixed(2)}x (goal <= 1.5x)`);
    console.log(`  ratio channel (fixed layout) / ping-pong with the channel's pause: ${(chan / paused).toFixed(2)}x`);
    console.log(`  ratio channel (generic codec) / spinning ping-pong: ${(gen / spin).toFixed(2)}x`);
    console.log(`  ratio channel (fixed layout) / parking ping-pong:  ${(chan / park).toFixed(2)}x`);
  }
  if (want('fdwrite')) await fdWrite(runs);
  if (want('hello')) await helloCreateToExit(runs);
  if (want('density')) await density();
}

// ---------------------------------------------------------------- [0] CPU per call, one thread
// The sentry platform's whole per-call path without the threads: the probe's
// one-byte fd_writes to /dev/null through the ABI, sentryInvoke, the codec and
// the channel into a SentryCore (its serve loop drained by the caller instead
// of another thread), the dispatcher and devfs. CPU time (process.cpuUsage)
// per call: what a round trip costs beyond the wake-up itself, repeatable under load.
const CPU_WRITES = Number(process.env.CPU_WRITES) || 200_000;

async function cpuPerCall(runs) {
  console.log(`\n[0] CPU time per one-byte fd_write to /dev/null on one thread, ns (${CPU_WRITES} writes per run; load-independent)`);
  const { SentryCore } = await import(dist('src/sentry/sentry_core.js'));
  const { ChannelClient } = await import(dist('src/sentry/channel.js'));
  const { runSentryApp } = await import(dist('kernel/platform/sentry_app.js'));
  const { SENTRY_WIRES } = await import(dist('kernel/platform/sentry_wire.js'));
  const { runWasm } = await import(dist('src/runtime/run_wasm.js'));
  const { createNodeHost } = await import(dist('src/host/node_host.js'));
  const { toContainerSpec, toProcess } = await import(dist('src/runtime/config.js'));
  const { KernelContainer } = await import(dist('src/runtime/kernel_container.js'));
  const { readFileSync } = await import('node:fs');
  const bytes = readFileSync(PROBE);
  const module = new WebAssembly.Module(bytes);
  const args = ['probe', 'devnull', String(CPU_WRITES)];
  let seq = 0;
  const sentry = () => {
    const host = createNodeHost();
    const core = new SentryCore({ host, defer: () => {}, spinMax: 0, createContainer: (h, i, spec, layers) => new KernelContainer(h, i, spec, layers) });
    const id = `b${++seq}`;
    const sp = core.createAndSpawn(id, toContainerSpec({}), toProcess({ args }, 'null', 'probe'));
    const server = core.server; // private in TypeScript: the bench drives the serve loop itself
    class Loopback extends ChannelClient {
      await() { server.drain(); }
    }
    const client = new Loopback(sp.channel, sp.hub, sp.channelId, 0, SENTRY_WIRES);
    const u0 = process.cpuUsage();
    const st = runSentryApp(module, (op, a) => client.call(op, a), { pid: sp.pid, host, fixed: client });
    const u = process.cpuUsage(u0);
    core.destroy(id);
    if (st.code !== 0) throw new Error(`probe exited ${st.code}`);
    return ((u.user + u.system) * 1000) / CPU_WRITES;
  };
  const inline = async () => {
    const u0 = process.cpuUsage();
    const r = await runWasm({ bytes, args: args.slice(1), stdout: 'null', stderr: 'null' });
    const u = process.cpuUsage(u0);
    if (r.exitCode !== 0) throw new Error(`probe exited ${r.exitCode}`);
    return ((u.user + u.system) * 1000) / CPU_WRITES;
  };
  const i = await measure('inline platform (ABI + kernel)', inline, runs);
  const sn = await measure('sentry platform path, no threads (+ codec, channel, SentryTasks)', sentry, runs);
  console.log(`  sentry path costs ${(sn - i).toFixed(0)} ns of CPU per call more than inline; node:wasi's whole fd_write is ~300 ns (NOTES.md)`);
}

// ---------------------------------------------------------------- [2] fd_write to /dev/null
const PROBE = join(root, 'test/runtime/fixtures/probe.wasm');
const WRITES = Number(process.env.WRITES) || 1_000_000;

async function fdWrite(runs) {
  console.log(`\n[2] one-byte fd_write to /dev/null, ns per call (${WRITES} writes per run, measured inside the guest)`);
  const { Runtime } = await import(dist('src/index.js'));
  const rt = await Runtime.create({ poolSize: 1 });
  const sentryRun = async () => {
    const c = await rt.run({ module: PROBE, config: { process: { args: ['probe', 'devnull', String(WRITES)] } } });
    await c.wait();
    const m = /ns\/write ([\d.]+)/.exec(c.init.stdout.text());
    await c.delete();
    if (!m) throw new Error('no figure from the guest: ' + c.init.stdout.text());
    return Number(m[1]) / 1000;
  };
  const wasiRun = () => new Promise((resolve, reject) => {
    const w = new Worker(self, { workerData: { role: 'nodewasi', probe: PROBE, n: WRITES }, execArgv: ['--no-warnings'] });
    let out = '';
    w.on('message', (d) => { out += d; });
    w.once('error', reject);
    w.once('exit', () => {
      const m = /ns\/write ([\d.]+)/.exec(out);
      m ? resolve(Number(m[1]) / 1000) : reject(new Error('node:wasi gave no figure: ' + out));
    });
  });
  const nw = await measure('node:wasi (µs)', wasiRun, runs);
  const sw = await measure('wasmvisor sentry platform (µs)', sentryRun, runs);
  console.log(`  ratio sentry / node:wasi: ${(sw / nw).toFixed(2)}x (goal <= 1.5x)`);
  await rt.close();
}

// ---------------------------------------------------------------- [3] create-to-exit
// wasmvisor's create() → start() → exit and run() → exit of wasm/hello.wasm, and as peers in
// the same rounds (order rotating each round) native OCI runtimes running the same program
// natively: `runc run` (and `crun run` when installed) of bench/hello_static.c, built with
// gcc -static into a temporary bundle (nativePeers below). Each figure is the median wall
// time of one container, create to exit, over a round of containers; then the median of the rounds.
async function helloCreateToExit(runs) {
  const n = Number(process.env.HELLOS) || 50;
  const pn = Number(process.env.PEER_HELLOS) || n;
  console.log(`\n[3] container create-to-exit of hello through the library, warm runtime, ms (${n} containers per run), against native OCI runtimes (${pn} per run), interleaved`);
  const peers = await nativePeers();
  let rt = null;
  try {
    const { Runtime } = await import(dist('src/index.js'));
    const { readFileSync } = await import('node:fs');
    const hello = readFileSync(join(root, 'wasm/hello.wasm'));
    rt = await Runtime.create({ poolSize: 2 });
    for (let i = 0; i < 5; i++) { const c = await rt.run({ module: hello }); await c.wait(); await c.delete(); }
    // phases of each run: create() (config, compile cache, the Sentry builds the container),
    // start() (the task is spawned and handed to a warm app worker), start → exit (the app
    // worker instantiates the module and runs it, its calls crossing to the Sentry)
    const phases = { create: [], start: [], run: [] };
    const one = async () => {
      const xs = [];
      for (let i = 0; i < n; i++) {
        const t0 = performance.now();
        const c = await rt.create({ module: hello });
        const t1 = performance.now();
        await c.start();
        const t2 = performance.now();
        await c.wait();
        const t3 = performance.now();
        xs.push(t3 - t0);
        phases.create.push(t1 - t0);
        phases.start.push(t2 - t1);
        phases.run.push(t3 - t2);
        await c.delete();
      }
      return median(xs);
    };
    const viaRun = async () => {
      const xs = [];
      for (let i = 0; i < n; i++) {
        const t0 = performance.now();
        const c = await rt.run({ module: hello });
        await c.wait();
        xs.push(performance.now() - t0);
        await c.delete();
      }
      return median(xs);
    };
    const entries = [
      { label: 'create() → start() → exit (median ms)', fn: one },
      { label: 'run() → exit, one control-plane call (median ms)', fn: viaRun },
      ...peers.list.map((p) => ({ label: `${p.name} run --bundle B ID, native hello (median ms)`, fn: () => p.round(pn) })),
    ];
    if (peers.list.length) entries.push({ label: '(floor) spawn of the native hello, no container (ms)', fn: () => peers.bare(pn) });
    const [m, r, ...rest] = await measureInterleaved(entries, runs);
    console.log(`  phases of create() → start() → exit, medians over all runs (ms): create ${fmt(median(phases.create))}, start ${fmt(median(phases.start))}, start → exit ${fmt(median(phases.run))}`);
    console.log(`  goal: median under 10 ms → ${Math.min(m, r) < 10 ? 'met' : 'not met'}`);
    peers.list.forEach((p, i) => {
      const pm = rest[i];
      for (const [what, wv] of [['create() → start() → exit', m], ['run() → exit', r]]) {
        if (!(pm > 0 && wv > 0)) { console.log(`  ratio ${p.name} / ${what}: n/a (a side has no figure)`); continue; }
        const x = pm / wv;
        console.log(`  ratio ${p.name} / ${what}: ${x.toFixed(2)}x (${x >= 1 ? `wasmvisor ${x.toFixed(1)}x faster` : `${p.name} ${(1 / x).toFixed(1)}x faster`})`);
      }
    });
  } finally {
    peers.close();
    if (rt) await rt.close();
  }
}

/** Like measure(), but round by round over all entries (order rotating each round); prints when done. */
async function measureInterleaved(entries, runs) {
  const xs = entries.map(() => []);
  for (let round = 0; round < runs; round++) {
    for (let k = 0; k < entries.length; k++) {
      const j = (k + round) % entries.length;
      try {
        xs[j].push(await entries[j].fn());
      } catch (err) {
        console.log(`  (run ${round + 1} of "${entries[j].label}" failed: ${err.message})`);
      }
    }
  }
  return entries.map((e, j) => {
    if (xs[j].length === 0) { console.log(`${e.label.padEnd(58)} ${'n/a'.padStart(9)}  (every run failed)`); return NaN; }
    const m = median(xs[j]);
    console.log(`${e.label.padEnd(58)} ${fmt(m).padStart(9)}  (runs: ${xs[j].map(fmt).join(' ')})`);
    return m;
  });
}

// ---------------------------------------------------------------- [3] native peers: runc, crun
// One temporary directory: bundle/ (rootfs/ with only the static hello, config.json from
// `runc spec`: args ["/hello"], terminal false, everything else default: new pid, ipc, uts,
// mount and network namespaces — an empty one, no interfaces configured — and a read-only
// root) and one --root state directory per runtime, so nothing touches the host's
// /run/runc. Each container is `RUNTIME --root S run --bundle B ID` in a spawnSync,
// timed from before the spawn to its return (so it includes starting the runtime's CLI).
// close() deletes leftover containers (`delete --force`, every id left in a state
// directory) and the directory; it runs on exit and on SIGINT as well.
async function nativePeers() {
  const { spawnSync } = await import('node:child_process');
  const fs = await import('node:fs');
  const { tmpdir } = await import('node:os');
  const none = { list: [], bare: () => NaN, close() {} };
  const firstLine = (s) => String(s ?? '').trim().split('\n').filter(Boolean).pop() ?? '';
  const which = (name) => {
    const dirs = [...(process.env.PATH ?? '').split(':'), '/usr/local/sbin', '/usr/sbin', '/sbin'];
    for (const d of dirs) {
      if (!d) continue;
      const p = join(d, name);
      try { fs.accessSync(p, fs.constants.X_OK); return p; } catch {}
    }
    return null;
  };
  const found = [];
  for (const name of ['runc', 'crun']) {
    const bin = which(name);
    if (!bin) { console.log(`  peer ${name}: absent`); continue; }
    const v = spawnSync(bin, ['--version'], { encoding: 'utf8' });
    found.push({ name, bin, version: (v.stdout ?? '').split('\n')[0].trim() || '?' });
  }
  if (!found.length) return none;
  const gcc = which('gcc');
  if (!gcc) { console.log('  peers skipped: gcc not found (needed to build bench/hello_static.c)'); return none; }

  const dir = fs.mkdtempSync(join(tmpdir(), 'wasmvisor-bench-oci-'));
  const bundle = join(dir, 'bundle');
  const rootfs = join(bundle, 'rootfs');
  let closed = false;
  const onInt = () => { close(); process.exit(130); };
  const close = () => {
    if (closed) return;
    closed = true;
    process.off('exit', close);
    process.off('SIGINT', onInt);
    for (const p of found) {
      let ids = [];
      try { ids = fs.readdirSync(p.state); } catch {}
      for (const id of ids) {
        const d = spawnSync(p.bin, ['--root', p.state, 'delete', '--force', id], { encoding: 'utf8', timeout: 10_000 });
        if (d.status !== 0) console.log(`  ${p.name} delete --force ${id} failed: ${firstLine(d.stderr) || d.error?.message}`);
      }
    }
    try { fs.rmSync(dir, { recursive: true, force: true }); } catch (err) { console.log(`  could not remove ${dir}: ${err.message}`); }
  };
  process.on('exit', close);
  process.on('SIGINT', onInt);
  try {
    fs.mkdirSync(rootfs, { recursive: true });
    const exe = join(rootfs, 'hello');
    const cc = spawnSync(gcc, ['-static', '-O2', '-s', '-o', exe, join(root, 'bench/hello_static.c')], { encoding: 'utf8' });
    if (cc.status !== 0) {
      console.log(`  peers skipped: gcc -static failed: ${firstLine(cc.stderr) || cc.error?.message}`);
      close();
      return none;
    }
    const rootless = typeof process.getuid === 'function' && process.getuid() !== 0;
    const sp = spawnSync(found[0].bin, rootless ? ['spec', '--rootless'] : ['spec'], { cwd: bundle, encoding: 'utf8' });
    if (sp.status !== 0) {
      console.log(`  peers skipped: ${found[0].name} spec failed: ${firstLine(sp.stderr) || sp.error?.message}`);
      close();
      return none;
    }
    const cfgPath = join(bundle, 'config.json');
    const cfg = JSON.parse(fs.readFileSync(cfgPath, 'utf8'));
    cfg.process.args = ['/hello'];
    cfg.process.terminal = false;
    fs.writeFileSync(cfgPath, JSON.stringify(cfg, null, 2));
    const nsList = (cfg.linux?.namespaces ?? []).map((x) => x.type).join(', ');
    console.log(`  peers: bench/hello_static.c (gcc -static -O2 -s, ${Math.round(fs.statSync(exe).size / 1024)} KiB) alone in a bundle from \`${found[0].name} spec${rootless ? ' --rootless' : ''}\` (args, terminal false; namespaces ${nsList}), ${rootless ? 'NOT root: rootless spec' : 'as root'}`);

    let seq = 0;
    const runOne = (p, capture) => {
      const id = `wvbench-${process.pid}-${seq++}`;
      const t0 = performance.now();
      const res = spawnSync(p.bin, ['--root', p.state, 'run', '--bundle', bundle, id], { stdio: ['ignore', 'pipe', 'pipe'], encoding: capture ? 'utf8' : undefined, timeout: 20_000, killSignal: 'SIGKILL' });
      const ms = performance.now() - t0;
      if (res.error || res.status !== 0) {
        throw new Error(`${p.name} run exited ${res.status ?? res.signal ?? '?'}: ${firstLine(res.stderr) || res.error?.message || 'no message'}`);
      }
      return { ms, out: res.stdout };
    };
    const list = [];
    for (const p of found) {
      p.state = join(dir, `state-${p.name}`);
      try {
        const { out } = runOne(p, true);
        if (!String(out).includes('hello from a static binary')) throw new Error(`unexpected output ${JSON.stringify(String(out).slice(0, 80))}`);
        runOne(p); runOne(p); // warm: the runtime binary in the page cache
      } catch (err) {
        console.log(`  peer ${p.name} skipped: it cannot run a container here: ${err.message}`);
        continue;
      }
      console.log(`  peer ${p.name}: ${p.bin} (${p.version}), \`${p.name} --root STATE run --bundle B ID\` per container, timed around spawnSync`);
      list.push({ name: p.name, round: (k) => { const xs = []; for (let i = 0; i < k; i++) xs.push(runOne(p).ms); return median(xs); } });
    }
    const bare = (k) => {
      const xs = [];
      for (let i = 0; i < k; i++) {
        const t0 = performance.now();
        const res = spawnSync(exe, [], { stdio: ['ignore', 'pipe', 'pipe'] });
        xs.push(performance.now() - t0);
        if (res.status !== 0) throw new Error(`native hello exited ${res.status ?? res.signal}`);
      }
      return median(xs);
    };
    return { list, bare, close };
  } catch (err) {
    console.log(`  peers skipped: ${err.message}`);
    close();
    return none;
  }
}

// ---------------------------------------------------------------- [4] density
async function density() {
  const n = Number(process.env.CONTAINERS) || 200;
  console.log(`\n[4] memory per idle container: ${n} containers blocked on stdin in one process (one Sentry)`);
  const { Runtime } = await import(dist('src/index.js'));
  const { readFileSync } = await import('node:fs');
  const probe = readFileSync(PROBE);
  const rt = await Runtime.create({ poolSize: 1, appLimits: { heapMb: 8, stackMb: 1 } });
  const c0 = await rt.run({ module: probe, config: { process: { args: ['probe', 'exit'] } } });
  await c0.wait();
  await c0.delete();
  await new Promise((r) => setTimeout(r, 500));
  globalThis.gc?.();
  const before = process.memoryUsage().rss;
  const cs = [];
  const t0 = performance.now();
  for (let i = 0; i < n; i++) cs.push(await rt.run({ module: probe, config: { process: { args: ['probe', 'cat'] } }, stdin: 'pipe' }));
  const tCreated = performance.now();
  // Wait until every container is really idle: its app worker booted, ran the guest
  // up to the read of stdin, and the Sentry holds that read (syscall counts stop moving).
  let last = [];
  for (let round = 0; round < 600; round++) {
    await new Promise((r) => setTimeout(r, 250));
    const counts = await Promise.all(cs.map(async (c) => (await c.stats()).syscalls));
    if (counts.every((k, i) => k > 0 && k === last[i])) break;
    last = counts;
  }
  const tIdle = performance.now();
  console.log(`  started ${n} in ${(tCreated - t0).toFixed(0)} ms (run() resolved), all idle in a read of stdin after ${(tIdle - t0).toFixed(0)} ms`);
  globalThis.gc?.();
  const after = process.memoryUsage().rss;
  const running = cs.filter((c) => c.status.state === 'running').length;
  const per = (after - before) / n / 2 ** 20;
  console.log(`  RSS before ${(before / 2 ** 20).toFixed(1)} MiB, after ${(after / 2 ** 20).toFixed(1)} MiB, ${running}/${n} running`);
  console.log(`  per container: ${per.toFixed(2)} MiB (goal < 10 MB; runsc ~20 MB, runwasi 16-67 MB)`);
  const t1 = performance.now();
  await Promise.all(cs.map(async (c) => { await c.init.closeStdin(); await c.wait(); }));
  console.log(`  all ${n} answered EOF and exited in ${(performance.now() - t1).toFixed(0)} ms`);
  await rt.close();
}

if (isMainThread) await main();
else await workerMain();
