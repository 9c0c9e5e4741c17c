/**
 * Page of test/browser/heap_watchdog.test.ts. `?case=` picks a scenario; the
 * outcome is published on `window.__heap` (`error` if the page failed).
 * - `oom`: a container whose app worker's heap runs away (the yielding
 *   stand-in of `fault: 'heap'`) under `appLimits.heapMb: 32`, and
 *   neighbours that keep running hello.
 * - `fallback`: the same without `performance.measureUserAgentSpecificMemory`
 *   (as in Firefox and Safari): warnings said, containers still run.
 * - `blocked`: how long a measurement takes with idle workers, and while a
 *   real app worker is parked in a read of stdin.
 */
import { Runtime } from '../../../src/runtime/runtime.js';
import { browserWorkerHost } from '../../../src/host/browser_host.js';
import type { Container } from '../../../src/runtime/container.js';

const bytes = async (name: string) => new Uint8Array(await (await fetch(`./${name}`)).arrayBuffer());
const warnings: string[] = [];
const warn = console.warn.bind(console);
console.warn = (...args: unknown[]) => {
  warnings.push(args.map(String).join(' '));
  warn(...args);
};

async function hello(rt: Runtime, hello: Uint8Array, arg: string): Promise<{ exitCode: number; stdout: string }> {
  const c = await rt.run({ module: hello, config: { process: { args: ['hello', arg] } } });
  const r = await c.wait();
  const stdout = c.init.stdout.text();
  await c.delete();
  return { exitCode: r.exitCode, stdout };
}

/** Start and end times (ms since page start) of each memory measurement, and its worker bytes (MB). */
const measurements: unknown[] = [];
function recordMeasurements(): void {
  const proto = Performance.prototype as unknown as { measureUserAgentSpecificMemory: () => Promise<{ breakdown: { bytes: number; attribution: { url?: string }[] }[] }> };
  const real = proto.measureUserAgentSpecificMemory;
  proto.measureUserAgentSpecificMemory = async function (this: Performance) {
    const start = Math.round(performance.now());
    const m = await real.call(this);
    const mb: Record<string, number> = {};
    for (const e of m.breakdown) for (const a of e.attribution) if (a.url?.includes('#')) mb[a.url.replace(/.*#/, '')] = Math.round(e.bytes / 2 ** 20);
    measurements.push({ start, end: Math.round(performance.now()), mb });
    return m;
  };
}

async function oom(): Promise<unknown> {
  recordMeasurements();
  const rt = await Runtime.create({
    workers: browserWorkerHost({ sentry: './sentry_worker.js', app: './yield_hog_app_worker.js' }),
    poolSize: 2, appLimits: { heapMb: 32 },
  });
  const t0 = performance.now();
  const hog: Container = await rt.create({ module: await bytes('hello.wasm'), config: { process: { args: ['hello', 'hog'] } } });
  rt.nextFault = 'heap';
  await hog.start();
  let ended: Awaited<ReturnType<Container['wait']>> | null = null;
  void hog.wait().then((r) => { ended = r; });
  // neighbours keep running while the hog grows, until it is ended or 55 s pass: a
  // result comes 12–19 s after each call, and the first may predate the crossing
  const neighbours: unknown[] = [];
  const hb = await bytes('hello.wasm');
  while (!ended && performance.now() - t0 < 55_000) {
    neighbours.push(await hello(rt, hb, `n${neighbours.length}`));
    await new Promise((r) => setTimeout(r, 1000));
  }
  const endedAfterMs = Math.round(performance.now() - t0);
  const after = await hello(rt, hb, 'after');
  await hog.delete();
  await rt.close();
  return { hog: ended, endedAfterMs, neighbours, after, warnings, measurements };
}

async function fallback(): Promise<unknown> {
  delete (Performance.prototype as { measureUserAgentSpecificMemory?: unknown }).measureUserAgentSpecificMemory;
  const rt = await Runtime.create({
    workers: browserWorkerHost({ sentry: './sentry_worker.js', app: './app_worker.js' }),
    poolSize: 1, appLimits: { heapMb: 32 },
  });
  const hb = await bytes('hello.wasm');
  const runs = [await hello(rt, hb, 'one'), await hello(rt, hb, 'two')];
  await rt.close();
  return { runs, warnings };
}

type Measure = () => Promise<unknown>;

async function blocked(): Promise<unknown> {
  const measure = (performance as unknown as { measureUserAgentSpecificMemory: Measure }).measureUserAgentSpecificMemory.bind(performance);
  const rt = await Runtime.create({ workers: browserWorkerHost({ sentry: './sentry_worker.js', app: './app_worker.js' }), poolSize: 1 });
  let t = performance.now();
  await measure();
  const idleMs = Math.round(performance.now() - t);
  const c = await rt.run({ module: await bytes('probe.wasm'), config: { process: { args: ['probe', 'upper'] } }, stdin: 'pipe' });
  await c.init.write('x\n');
  while (c.init.stdout.text() !== 'X\n') await new Promise((r) => setTimeout(r, 20));
  // the app worker is now parked in Atomics.wait on its next read
  t = performance.now();
  let resolvedAt = -1;
  const pending = measure().then(() => { resolvedAt = Math.round(performance.now() - t); });
  await new Promise((r) => setTimeout(r, 3000));
  const closedAt = Math.round(performance.now() - t);
  await c.init.closeStdin();
  await pending;
  const r = await c.wait();
  await c.delete();
  await rt.close();
  return { idleMs, busyMs: resolvedAt, closedAt, exitCode: r.exitCode };
}

(async () => {
  const w = window as unknown as { __heap?: unknown };
  const which = new URL(location.href).searchParams.get('case');
  try {
    w.__heap = which === 'oom' ? await oom() : which === 'fallback' ? await fallback() : which === 'blocked' ? await blocked() : { error: `no case ${which}` };
  } catch (err) {
    w.__heap = { error: String((err as Error).stack ?? err) };
  }
})();
