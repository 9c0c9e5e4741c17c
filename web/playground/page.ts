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
import { Runtime } from '../../src/runtime/runtime.js';
import type { Container } from '../../src/runtime/container.js';
import type { WaitResult } from '../../src/runtime/status.js';
import type { OciConfig } from '../../src/runtime/config.js';
import type { WorkerHost } from '../../src/sentry/worker_host.js';
import { layoutEntries, loadImage, processOf, pullThroughServe, readLayoutIndex, type LayoutEntry, type LoadedImage } from './images.js';
import { Inside, type Session } from './inside.js';
import type { PlaygroundApi } from './sentry_worker.js';

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
}
const state: PlaygroundState = { ready: false, status: 'loading', marks: {}, screen: () => '', exec: '' };
const mark = (name: string) => { state.marks[name] = Math.round(performance.now()); };
mark('script');
(window as unknown as { __playground: PlaygroundState }).__playground = state;

interface Source { entry: LayoutEntry; base: string }
const sources = new Map<string, Source>();
let runtime: Runtime;
let current: Session | null = null;
let term: Terminal;

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

/** The worker scripts' (hashed) names, which the built index.html carries. */
function workerUrls(): { sentry: string; app: string } {
  const m = document.querySelector<HTMLMetaElement>('meta[name="wasmvisor-workers"]');
  return { sentry: m?.dataset.sentry ?? './sentry_worker.js', app: m?.dataset.app ?? './app_worker.js' };
}
const base = 'samples/';
const want = new URLSearchParams(location.search).get('run');
// started at once, before the terminal's chunk arrives: the runtime (its workers), the samples' index and, with ?run=, the image
const booting = Promise.all([
  Promise.resolve().then(() => Runtime.create({ workers: earlyApp(browserWorkerHost(workerUrls())), poolSize: 1 })).then((r) => { mark('runtime'); return r; }),
  readLayoutIndex(base, document.getElementById('samples-index')?.textContent ?? undefined).then((index) => {
    mark('index');
    for (const e of layoutEntries(index)) addImage(e, base);
    const pick = [...sources.keys()].find((n) => n === want || n.endsWith(`/${want}:latest`));
    if (pick) void image(pick).catch(() => {});
    return index;
  }),
]);
const inside = new Inside(() => current);

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

async function image(name: string): Promise<LoadedImage> {
  const src = sources.get(name);
  if (!src) throw new Error(`no image ${name}`);
  return loadImage(src.base, src.entry);
}

/** Run the selected image as a new container (the previous one is deleted first). */
async function run(): Promise<void> {
  const name = ($('sample') as HTMLSelectElement).value;
  try {
    if (current) {
      const old = current;
      current = null;
      await old.container.delete({ force: true }).catch(() => {});
    }
    term.reset();
    $('exec-out').textContent = '';
    state.exec = '';
    setStatus(`starting ${name}…`, 'run');
    const img = await image(name);
    mark('image');
    const args = words(($('args') as HTMLInputElement).value);
    const env = words(($('env') as HTMLInputElement).value);
    const proc = processOf(img, { args, env });
    const mem = Number(($('memory') as HTMLInputElement).value);
    const pids = Number(($('pids') as HTMLInputElement).value);
    const cpus = Number(($('cpus') as HTMLInputElement).value);
    const terminal = sources.get(name)?.entry.about?.startsWith('interactive') === true || img.config.config?.Labels?.['wasmvisor.playground.terminal'] === 'true';
    const c = await runtime.run({
      module: proc.bytes,
      config: {
        process: { args: proc.argv, env: proc.env, cwd: proc.workdir, terminal },
        linux: {
          resources: {
            memory: mem > 0 ? { limit: Math.round(mem * 1048576) } : {}, pids: pids > 0 ? { limit: pids } : {},
            // --cpus N as podman: a quota of N periods of 100 ms
            ...(cpus > 0 ? { cpu: { quota: Math.max(1000, Math.round(cpus * 100_000)), period: 100_000 } } : {}),
          } as NonNullable<NonNullable<OciConfig['linux']>['resources']>,
        },
      },
      rootfs: { layers: img.lowers },
      files: inside.takeQueued(),
      stdin: 'pipe',
      captureLimit: 1 << 20,
    });
    mark('started');
    const session: Session = { container: c, image: img, api: c.sentry.api as unknown as PlaygroundApi, module: proc.bytes };
    current = session;
    const out = (chunk: Uint8Array) => {
      if (chunk.byteLength === 0) return;
      term.write(chunk, () => { if (state.firstOutputMs === undefined) state.firstOutputMs = performance.now(); });
    };
    out(c.init.stdout.bytes());
    out(c.init.stderr.bytes());
    c.init.stdout.on(out);
    c.init.stderr.on(out);
    setStatus(`running ${name} (${proc.argv.join(' ')})`, 'run');
    buttons(c);
    inside.started(session);
    term.focus();
    const r = await c.wait();
    if (current !== session) return;
    state.result = r;
    setStatus(describeEnd(r, c.memoryMax), r.exitCode === 0 ? 'ok' : 'bad');
    buttons(c);
    inside.stopped(session);
  } catch (e) {
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
  const src = sources.get(($('sample') as HTMLSelectElement).value);
  $('about').textContent = src?.entry.about ?? '';
  ($('args') as HTMLInputElement).value = '';
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
  const { openTerminal } = await import('./terminal.js');
  const t = openTerminal($('terminal'), (d) => { void current?.container.init.write(d).catch(() => {}); });
  term = t.term;
  state.screen = t.text;
  mark('terminal');
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
  inside.wire(image, (s) => setStatus(s, 'warn'), (text) => { state.exec = text; });
  state.ready = true;
  setStatus(`ready in ${Math.round(performance.now() - t0)} ms: pick an image and press Run`);
  if (want) await run();
}

main().catch((e: Error) => {
  state.error = String(e.stack ?? e);
  setStatus(`the playground could not start: ${e.message}`, 'bad');
});
