/**
 * App worker entry (Node worker_threads and Web Workers): runs one task at
 * a time on the sentry platform. It receives `AppRun`, instantiates the
 * module with imports that forward every WASI call over the task's SAB
 * channel, runs `_start` and answers `AppDone`; then it waits for the next
 * run, so a pool of warm workers makes container start cheap.
 */
import { ModuleError } from '../../kernel/platform/inline.js';
import { runSentryApp } from '../../kernel/platform/sentry_app.js';
import { SENTRY_WIRES } from '../../kernel/platform/sentry_wire.js';
import type { Host } from '../../kernel/host.js';
import { ChannelClient, ChannelClosed } from './channel.js';
import type { AppDone, AppRun } from './control_plane.js';

/** A minimal Host for the app side: the ABI layer only needs clocks (strace) and bug logging. */
function appHost(): Host {
  const t0 = performance.now();
  const epoch = BigInt(Date.now()) * 1_000_000n;
  const mono = () => BigInt(Math.round((performance.now() - t0) * 1e6));
  return {
    realtimeNs: () => epoch + mono(),
    monotonicNs: mono,
    cpuTimeNs: mono,
    randomFill: (b) => { crypto.getRandomValues(b); },
    sleepSync: () => {},
    logBug: (m, e) => console.error(`wasmvisor app worker: ${m}:`, e),
  };
}

/** Serve runs on a message port (`post` answers, `onMessage` registers the handler). */
export function serveAppWorker(post: (m: AppDone) => void, onMessage: (fn: (m: AppRun) => void) => void): void {
  const host = appHost();
  post({ t: 'ready' });
  onMessage((m) => {
    if (m.t !== 'run') return;
    const client = new ChannelClient(m.channel, m.hub, m.channelId, undefined, SENTRY_WIRES);
    if (m.fault === 'heap') {
      const hog: unknown[] = [];
      for (;;) hog.push(new Array(1 << 16).fill({ x: hog.length }));
    }
    try {
      const status = runSentryApp(m.module, (op, args) => client.call(op, args), { pid: m.pid, host, fixed: client });
      post({ t: 'done', pid: m.pid, status });
    } catch (err) {
      if (err instanceof ChannelClosed) {
        post({ t: 'done', pid: m.pid, status: { code: 137, signal: 9, reason: 'killed' } });
      } else if (err instanceof ModuleError) {
        post({ t: 'error', pid: m.pid, code: err.code, message: err.message });
      } else {
        post({ t: 'error', pid: m.pid, code: 'INTERNAL', message: err instanceof Error ? err.message : String(err) });
      }
    }
  });
}

declare const WorkerGlobalScope: unknown;

if (typeof WorkerGlobalScope !== 'undefined') {
  const scope = globalThis as unknown as { postMessage(m: unknown): void; onmessage: ((e: MessageEvent) => void) | null };
  serveAppWorker((m) => scope.postMessage(m), (fn) => { scope.onmessage = (e) => fn(e.data as AppRun); });
} else {
  // no top-level await: Node runs the bundle as CommonJS (src/cli/bundle.mjs), which a worker loads for less memory than an ES module
  void import('node:worker_threads').then((wt) => {
    const port = wt.parentPort;
    if (port && wt.workerData?.role === 'wasmvisor-app') {
      serveAppWorker((m) => port.postMessage(m), (fn) => port.on('message', fn));
    }
  });
}
