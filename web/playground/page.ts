/**
 * The playground page: pick a bundled sample image (or pull one through
 * `wasmvisor serve`), set args, env, memory and pids limits, and run it as
 * a container of the library's `Runtime` on the sentry platform in this
 * page's workers (playground Sentry worker + app workers). An xterm shows
 * stdout and stderr and sends keystrokes to stdin raw (line editing is the
 * guest's); kill, pause, resume; the exit status in plain words. The "see
 * inside" panels and files in and out are inside.ts. `?run=NAME` runs the
 * sample NAME on load. Tests read `window.__playground`.
 */
import type { Terminal } from '@xterm/xterm';
import { browserWorkerHost } from '../../src/host/browser_host.js';
import { compileModule } from '../../src/runtime/module_loader.js';
import { Runtime } from '../../src/runtime/runtime.js';
import type { Container } from '../../src/runtime/container.js';
import type { WaitResult } from '../../src/runtime/status.js';
import type { OciConfig } from '../../src/runtime/config.js';
import type { WorkerHost } from '../../src/sentry/worker_host.js';
import { layoutEntries, loadImage, processOf, pullThroughServe, readLayoutIndex, type LayoutEntry, type LoadedImage } from './images.js';
import { Inside, type Session } from './inside.js';
import type { PlaygroundApi } from './sentry_worker.js';
import { PagePorts, servePorts } from './ports.js';
import { portsOf, seccompOf, wireSeccompPresets } from './run_form.js';

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;
const t0 = performance.now();

/** What tests and the bench read. */
interface PlaygroundState {
  ready: boolean;
  error?: string;
  status: string;
  result?: WaitResult;
  firstOutputMs?: number;
  /** Milestones of the start-up and of the last run, in ms since navigation. */
  marks: Record<string, number>;
  screen(): string;
  exec: string;
  /** The service worker's state: none, waiting (1 s after the first start), installing, ready (it controls the page, the build cached: offline, /ports/), failed: …, unsupported. */
  serviceWorker: string;
}
const state: PlaygroundState = { ready: false, status: 'loading', marks: {}, screen: () => '', exec: '', serviceWorker: 'none' };
const mark = (name: string) => { state.marks[name] = Math.round(performance.now()); };
mark('script');
(window as unknown as { __playground: PlaygroundState }).__playground = state;

interface Source { entry: LayoutEntry; base: string }
const sources = new Map<string, Source>();
let runtime: Runtime;
let current: Session | null = null;
/** The terminal, once its chunk has loaded; output that comes before waits in `early` (bounded as captured output is). */
let term: Terminal | null = null;
let early: Uint8Array[] = [];
let earlyBytes = 0;

/** Show `chunk` in the terminal (or keep it for when the terminal opens); the first byte shown sets firstOutputMs. */
function show(chunk: Uint8Array): void {
  if (chunk.byteLength === 0) return;
  if (!term) {
    if (earlyBytes + chunk.byteLength <= 1 << 20) early.push(chunk);
    earlyBytes += chunk.byteLength;
    return;
  }
  term.write(chunk, () => { if (state.firstOutputMs === undefined) state.firstOutputMs = performance.now(); });
}

/**
 * Focus the terminal (keys go to stdin) once the page is idle: focusing lays out the page, which must not
 * delay the run's first output (the guest's first bytes are being written meanwhile).
 */
function focusSoon(): void {
  const go = () => term?.focus();
  if (typeof requestIdleCallback === 'function') requestIdleCallback(go, { timeout: 250 });
  else setTimeout(go, 50);
}

/** `host`, with its first app worker started now: it boots while the Sentry does (Runtime.create starts the Sentry first). */
function earlyApp(host: WorkerHost): WorkerHost {
  let first: ReturnType<WorkerHost['startApp']> | null = host.startApp();
  return {
    startSentry: (o) => host.startSentry(o),
    startApp: (limits) => {
      const w = first ?? host.startApp(limits);
      first = null;
      return w;
    },
  };
}

/** A worker index.html started before this script loaded, with the events it sent meanwhile. */
interface BootWorker { url: string; worker: Worker; early: Event[] }
const boot = (window as unknown as { __wasmvisorBoot?: { at: number; workers: BootWorker[] } }).__wasmvisorBoot;
if (boot) state.marks.boot = Math.round(boot.at);

/**
 * The worker for `url`: the one index.html started early if there is one (its
 * early events go to the handlers the host sets, once it has set them), else a new one.
 */
function adoptWorker(url: string, opts: WorkerOptions): Worker {
  const href = new URL(url, location.href).href;
  const i = boot?.workers.findIndex((b) => b.url === href) ?? -1;
  if (i < 0) return new Worker(url, opts);
  const [b] = boot!.workers.splice(i, 1);
  const w = b!.worker;
  // the Sentry says when its script started and was evaluated and when it got the page's first message
  const booted = (e: Event) => {
    const t = (e as MessageEvent).data?.wasmvisorBoot as Record<string, number> | undefined;
    if (!t) return;
    for (const [k, v] of Object.entries(t)) if (v) state.marks[`sentry-${k}`] = Math.round(v - performance.timeOrigin);
  };
  b!.early.forEach(booted);
  w.addEventListener('message', booted);
  w.onmessage = null;
  w.onerror = null;
  // the host sets its handlers right after this returns; the events it missed go to them in order
  queueMicrotask(() => {
    for (const e of b!.early) {
      if (e.type === 'error') w.onerror?.(e as ErrorEvent);
      else w.onmessage?.(e as MessageEvent);
    }
  });
  return w;
}

/** The worker scripts' (hashed) names, which the built index.html carries. */
function workerUrls(): { sentry: string; app: string } {
  const m = document.querySelector<HTMLMetaElement>('meta[name="wasmvisor-workers"]');
  return { sentry: m?.dataset.sentry ?? './sentry_worker.js', app: m?.dataset.app ?? './app_worker.js' };
}
const base = 'samples/';
const want = new URLSearchParams(location.search).get('run');
// started at once, before the terminal's chunk arrives: the runtime (its workers), the samples' index and, with ?run=, the image
/** The picked sample loaded and its module compiled (or failed): the terminal's chunk loads after, not over it, on the main thread. */
let warmed: Promise<unknown> = Promise.resolve();
const indexed = readLayoutIndex(base, document.getElementById('samples-index')?.textContent ?? undefined).then((index) => {
  mark('index');
  for (const e of layoutEntries(index)) addImage(e, base);
  // the sample ?run= names, else the one the page shows first
  const pick = [...sources.keys()].find((n) => n === want || n.endsWith(`/${want}:latest`)) ?? [...sources.keys()].find((n) => n.endsWith('/hello:latest'));
  if (pick) warmed = image(pick).then(precompile).catch(() => {});
  return index;
});
const booting = Promise.all([
  Promise.resolve().then(() => Runtime.create({ workers: earlyApp(browserWorkerHost(workerUrls(), { createWorker: adoptWorker })), poolSize: 1, log: seccompLog }))
    .then((r) => { mark('runtime'); return r; }),
  indexed,
]);
const inside = new Inside(() => current);
const ports = new PagePorts();
servePorts(ports);

/** A seccomp event of the running container, one line under the status (the last few kept). */
function seccompLog(id: string, line: string): void {
  if (current?.container.id !== id) return;
  const el = $('seccomp-log');
  el.textContent = [...(el.textContent ?? '').split('\n').filter((l) => l !== '').slice(-4), `seccomp: ${line}`].join('\n');
}

function setStatus(text: string, kind: 'ok' | 'bad' | 'run' | 'warn' | '' = ''): void {
  const el = $('status');
  el.textContent = text;
  el.className = `status ${kind}`;
  state.status = text;
}

/** The end of a process in plain words. */
export function describeEnd(r: WaitResult, memoryMax: number | null): string {
  if (r.oomKilled) return `OOM-killed: memory.max (${memoryMax === null ? 'max' : `${memoryMax / 1048576} MiB`}) exceeded — exit status ${r.exitCode}`;
  if (r.signal) return `killed by ${r.signal} — exit status ${r.exitCode}${r.reason ? ` (${r.reason})` : ''}`;
  if (r.reason?.startsWith('trap: ')) return `WebAssembly trap (${r.reason.slice(6)}) — exit status ${r.exitCode}`;
  if (r.reason) return `ended: ${r.reason} — exit status ${r.exitCode}`;
  return `exited with status ${r.exitCode}`;
}

function buttons(c: Container | null): void {
  const s = c?.status.state;
  const live = s === 'running' || s === 'paused';
  ($('term') as HTMLButtonElement).disabled = !live;
  ($('kill') as HTMLButtonElement).disabled = !live;
  ($('pause') as HTMLButtonElement).disabled = s !== 'running';
  ($('resume') as HTMLButtonElement).disabled = s !== 'paused';
  ($('exec') as HTMLButtonElement).disabled = s !== 'running';
  for (const id of ['download', 'uppertar', 'tree-refresh']) ($(id) as HTMLButtonElement).disabled = !c;
}

function words(s: string): string[] {
  return s.trim() === '' ? [] : (s.match(/"[^"]*"|'[^']*'|\S+/g) ?? []).map((w) => w.replace(/^(["'])(.*)\1$/, '$2'));
}

/** The memory limit the form asks for, in bytes (null: the runtime's default). */
function memoryLimit(): number | null {
  const mem = Number(($('memory') as HTMLInputElement).value);
  return mem > 0 ? Math.round(mem * 1048576) : null;
}

/**
 * Rewrite (memory cap, metering) and compile `img`'s module now, while the
 * workers start: the run then finds it in the loader's cache (same bytes,
 * same limit). Only for an explicit limit, the one the runtime's key uses.
 */
function precompile(img: LoadedImage): Promise<unknown> | undefined {
  const max = memoryLimit();
  if (max === null) return;
  const bytes = processOf(img, {}).bytes;
  return compileModule(bytes, max, undefined, true).then(() => mark('compiled'), () => {});
}

async function image(name: string): Promise<LoadedImage> {
  const src = sources.get(name);
  if (!src) throw new Error(`no image ${name}`);
  return loadImage(src.base, src.entry);
}

/** Resolves once the first run has started (or failed): with `?run=`, the terminal opens then, not over the run's start. */
let launched: () => void = () => {};
const firstLaunch = new Promise<void>((r) => { launched = r; });

/** Run the selected image as a new container (the previous one is deleted first). */
async function run(): Promise<void> {
  const name = ($('sample') as HTMLSelectElement).value;
  try {
    if (current) {
      const old = current;
      current = null;
      await old.container.delete({ force: true }).catch(() => {});
    }
    term?.reset();
    early = [];
    earlyBytes = 0;
    $('exec-out').textContent = '';
    $('seccomp-log').textContent = '';
    state.exec = '';
    setStatus(`starting ${name}…`, 'run');
    mark('run');
    const img = await image(name);
    mark('image');
    const args = words(($('args') as HTMLInputElement).value);
    const env = words(($('env') as HTMLInputElement).value);
    const proc = processOf(img, { args, env });
    const mem = memoryLimit();
    const pids = Number(($('pids') as HTMLInputElement).value);
    const cpus = Number(($('cpus') as HTMLInputElement).value);
    const seccomp = seccompOf(($('seccomp') as HTMLTextAreaElement).value);
    const published = portsOf(($('ports') as HTMLInputElement).value);
    const terminal = sources.get(name)?.entry.about?.startsWith('interactive') === true || img.config.config?.Labels?.['wasmvisor.playground.terminal'] === 'true';
    const c = await runtime.run({
      module: proc.bytes,
      config: {
        process: { args: proc.argv, env: proc.env, cwd: proc.workdir, terminal },
        linux: {
          resources: {
            memory: mem !== null ? { limit: mem } : {}, pids: pids > 0 ? { limit: pids } : {},
            // --cpus N as podman: a quota of N periods of 100 ms
            ...(cpus > 0 ? { cpu: { quota: Math.max(1000, Math.round(cpus * 100_000)), period: 100_000 } } : {}),
          } as NonNullable<NonNullable<OciConfig['linux']>['resources']>,
          ...(seccomp && { seccomp: seccomp as NonNullable<OciConfig['linux']>['seccomp'] }),
        },
      },
      net: ports.open(published),
      rootfs: { layers: img.lowers },
      files: inside.takeQueued(),
      stdin: 'pipe',
      captureLimit: 1 << 20,
    });
    mark('started');
    launched();
    // after the first run's start-up, not during it: the service worker's install fetches the whole build once
    if (state.serviceWorker === 'none') {
      state.serviceWorker = 'waiting';
      setTimeout(registerServiceWorker, 1000);
    }
    const session: Session = { container: c, image: img, api: c.sentry.api as unknown as PlaygroundApi, module: proc.bytes };
    current = session;
    const out = (chunk: Uint8Array) => { if (current === session) show(chunk); };
    out(c.init.stdout.bytes());
    out(c.init.stderr.bytes());
    c.init.stdout.on(out);
    c.init.stderr.on(out);
    setStatus(`running ${name} (${proc.argv.join(' ')})`, 'run');
    buttons(c);
    inside.started(session);
    focusSoon();
    const r = await c.wait();
    if (current !== session) return;
    ports.close();
    state.result = r;
    setStatus(describeEnd(r, c.memoryMax), r.exitCode === 0 ? 'ok' : 'bad');
    buttons(c);
    inside.stopped(session);
  } catch (e) {
    launched();
    if (!current) ports.close();
    setStatus(`cannot run ${name}: ${(e as Error).message}`, 'bad');
    buttons(current?.container ?? null);
  }
}

async function control(what: 'TERM' | 'KILL' | 'pause' | 'resume'): Promise<void> {
  const c = current?.container;
  if (!c) return;
  try {
    if (what === 'pause') await c.pause();
    else if (what === 'resume') await c.resume();
    else await c.kill(`SIG${what}`);
    if (what === 'pause') setStatus('paused: every task stops at its next system call', 'warn');
    if (what === 'resume') setStatus('running again', 'run');
  } catch (e) {
    setStatus(`${what}: ${(e as Error).message}`, 'bad');
  }
  buttons(c);
}

function addImage(entry: LayoutEntry, base: string): void {
  sources.set(entry.name, { entry, base });
  const opt = document.createElement('option');
  opt.value = entry.name;
  opt.textContent = entry.name.replace(/^localhost\/wasmvisor\//, '');
  $('sample').appendChild(opt);
}

function showAbout(): void {
  const name = ($('sample') as HTMLSelectElement).value;
  const src = sources.get(name);
  $('about').textContent = src?.entry.about ?? '';
  ($('args') as HTMLInputElement).value = '';
  // the ports the image publishes (its wasmvisor.playground.ports label)
  ($('ports') as HTMLInputElement).value = '';
  if (src) {
    void image(name).then((img) => {
      if (($('sample') as HTMLSelectElement).value === name) ($('ports') as HTMLInputElement).value = img.config.config?.Labels?.['wasmvisor.playground.ports'] ?? '';
    }).catch(() => {});
  }
}

/** Install the service worker once the page runs (offline copies of the page and samples, /ports/): never on the start-up path. */
function registerServiceWorker(): void {
  if (!('serviceWorker' in navigator)) {
    state.serviceWorker = 'unsupported';
    return;
  }
  state.serviceWorker = 'installing';
  // a page the worker already controls needs no register() (the browser checks sw.js for a new build on each navigation)
  const registered = navigator.serviceWorker.controller ? Promise.resolve() : navigator.serviceWorker.register('./sw.js', { scope: './' });
  registered
    .then(() => navigator.serviceWorker.ready)
    .then(() => {
      if (navigator.serviceWorker.controller) state.serviceWorker = 'ready';
      else navigator.serviceWorker.addEventListener('controllerchange', () => { state.serviceWorker = 'ready'; }, { once: true });
    })
    .catch((e: Error) => { state.serviceWorker = `failed: ${e.message}`; });
}

async function pull(ev: Event): Promise<void> {
  ev.preventDefault();
  const ref = ($('ref') as HTMLInputElement).value.trim();
  if (!ref) return;
  setStatus(`pulling ${ref} through wasmvisor serve…`, 'run');
  try {
    const entry = await pullThroughServe(ref);
    if (!sources.has(entry.name)) addImage(entry, 'api/');
    else sources.set(entry.name, { entry, base: 'api/' });
    ($('sample') as HTMLSelectElement).value = entry.name;
    showAbout();
    await image(entry.name);
    setStatus(`pulled ${entry.name}: press Run`, 'ok');
  } catch (e) {
    setStatus(`cannot pull ${ref}: ${(e as Error).message}`, 'bad');
  }
}

async function main(): Promise<void> {
  // the terminal opens beside the runtime's start; a run started before it is shown once it is there:
  // its chunk is evaluated once the sample is compiled; with ?run= it opens (lays out the page, renders) once that
  // run has started (or 2 s have passed), while the guest starts in its worker, rather than in the way of the run's calls
  const made = indexed.catch(() => {}).then(() => warmed).then(() => import('./terminal.js'))
    .then(({ makeTerminal }) => makeTerminal((d) => { void current?.container.init.write(d).catch(() => {}); }));
  const launchedOrLate = Promise.race([firstLaunch, new Promise((r) => setTimeout(r, 2000))]);
  const opened = Promise.all([made, want ? launchedOrLate : undefined]).then(([t]) => {
    t.open($('terminal'));
    state.screen = t.text;
    mark('terminal');
    term = t.term;
    const held = early;
    early = [];
    for (const chunk of held) show(chunk);
    if (current) focusSoon();
  });
  const [rt] = await booting;
  runtime = rt;
  const pick = [...sources.keys()].find((n) => n === want || n.endsWith(`/${want}:latest`)) ?? [...sources.keys()].find((n) => n.endsWith('/hello:latest'));
  if (pick) ($('sample') as HTMLSelectElement).value = pick;
  showAbout();
  $('sample').addEventListener('change', showAbout);
  $('start').addEventListener('click', () => void run());
  $('term').addEventListener('click', () => void control('TERM'));
  $('kill').addEventListener('click', () => void control('KILL'));
  $('pause').addEventListener('click', () => void control('pause'));
  $('resume').addEventListener('click', () => void control('resume'));
  $('pull-form').addEventListener('submit', (e) => void pull(e));
  wireSeccompPresets($('seccomp-preset') as HTMLSelectElement, $('seccomp') as HTMLTextAreaElement);
  inside.wire(image, (s) => setStatus(s, 'warn'), (text) => { state.exec = text; });
  const first = want ? run() : null;
  await opened;
  state.ready = true;
  if (!first) {
    setStatus(`ready in ${Math.round(performance.now() - t0)} ms: pick an image and press Run`);
    registerServiceWorker();
  }
  if (first) await first;
}

main().catch((e: Error) => {
  state.error = String(e.stack ?? e);
  setStatus(`the playground could not start: ${e.message}`, 'bad');
});
