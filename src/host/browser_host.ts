/**
 * The browser's WorkerHost: the Sentry and app workers are module Web
 * Workers. SharedArrayBuffer needs a cross-origin isolated page: serve it
 * (and the worker scripts) with `Cross-Origin-Opener-Policy: same-origin`
 * and `Cross-Origin-Embedder-Policy: require-corp`. The worker scripts are
 * the bundled `sentry_worker` (src/runtime/sentry_worker.ts) and
 * `app_worker` (src/sentry/app_worker.ts) entries; give their URLs.
 *
 * App workers have no hard JS heap limit here (Node's `resourceLimits` has
 * no Web Worker counterpart). With `appLimits.heapMb` (default 64, as on
 * Node) each app worker is watched while it runs a task by a
 * `HeapWatchdog` (see `browser_heap_watchdog.ts`): over the limit, it is
 * terminated and its task ends as a Node worker's heap exhaustion does
 * (`onFailure(message, true)`: status 137, "ran out of JS heap"). Where
 * `performance.measureUserAgentSpecificMemory()` is missing (Firefox,
 * Safari) the host says so once with `console.warn` and runs without it. Even in Chromium the watchdog sees a
 * worker only when its event loop turns, and an app worker runs a whole
 * task in one synchronous turn, so today it cannot end a running task's
 * runaway heap (see the limits in `browser_heap_watchdog.ts`).
 */
import { transfer, wrap, type Remote } from 'comlink';
import type { Host } from '../../kernel/host.js';
import type { AppDone, SentryApi, SentryEvent } from '../sentry/control_plane.js';
import { DEFAULT_APP_HEAP_MB, type AppLimits, type AppWorkerHandle, type SentryHandle, type SentryStartOptions, type WorkerHost } from '../sentry/worker_host.js';
import { HeapWatchdog, heapWatchdogUnavailable } from './browser_heap_watchdog.js';

/** Where the bundled worker scripts are. */
export interface BrowserWorkerUrls {
  sentry: string | URL;
  app: string | URL;
}

/** Thrown when the page cannot share memory with workers. */
export class NotIsolatedError extends Error {
  readonly code = 'ENOTISOLATED';
  constructor() {
    super('SharedArrayBuffer is unavailable: serve the page with Cross-Origin-Opener-Policy: same-origin and Cross-Origin-Embedder-Policy: require-corp');
    this.name = 'NotIsolatedError';
  }
}

/** Options of the browser WorkerHost. */
export interface BrowserHostOptions {
  /** Pause between heap measurements while app workers run tasks (default 1000 ms). */
  heapPollMs?: number;
  /**
   * Makes each worker (default `new Worker(url, opts)`). A page can hand
   * over workers it started early, before its script loaded (the
   * playground does); `url` is the one the worker must run, `#`-suffix
   * included (heap measurements tell app workers apart by it).
   */
  createWorker?: (url: string, opts: WorkerOptions) => Worker;
}

/** A WorkerHost on Web Workers. */
export function browserWorkerHost(urls: BrowserWorkerUrls, opts: BrowserHostOptions = {}): WorkerHost {
  if (typeof SharedArrayBuffer === 'undefined' || (globalThis as { crossOriginIsolated?: boolean }).crossOriginIsolated === false) {
    throw new NotIsolatedError();
  }
  let watchdog: HeapWatchdog | null | undefined;
  let appSeq = 0;
  const make = opts.createWorker ?? ((url: string, o: WorkerOptions) => new Worker(url, o));
  /** The watchdog, made on first use; null (said once) where it cannot run. */
  const heapWatchdog = (): HeapWatchdog | null => {
    if (watchdog !== undefined) return watchdog;
    const why = heapWatchdogUnavailable();
    if (why) console.warn(`wasmvisor: app worker JS heap limits (appLimits.heapMb) are not enforced: ${why}`);
    watchdog = why ? null : new HeapWatchdog({
      intervalMs: opts.heapPollMs,
      onBroken: (err) => console.warn('wasmvisor: app worker JS heap limits are no longer enforced: measuring memory failed:', err),
    });
    return watchdog;
  };
  return {
    async startSentry(sopts: SentryStartOptions = {}): Promise<SentryHandle> {
      const w = make(String(urls.sentry), { type: 'module', name: 'wasmvisor-sentry' });
      const ctl = new MessageChannel();
      w.postMessage({ port: ctl.port2, spinMax: sopts.spinMax, outputWindow: sopts.outputWindow }, [ctl.port2]);
      const api = wrap<SentryApi>(ctl.port1) as Remote<SentryApi>;
      const ev = new MessageChannel();
      let listener: (evs: SentryEvent[]) => void = () => {};
      ev.port1.onmessage = (e) => listener(e.data as SentryEvent[]);
      let crash: (message: string) => void = () => {};
      const failed = new Promise<never>((_, rej) => {
        w.onerror = (e) => {
          rej(new Error(`Sentry worker failed: ${e.message}`));
          crash(e.message);
        };
      });
      const hub = await Promise.race([api.init(transfer(ev.port2, [ev.port2])), failed]);
      return {
        api, hub,
        onEvents: (fn) => { listener = fn; },
        onCrash: (fn) => { crash = fn; },
        terminate: async () => {
          ctl.port1.close();
          ev.port1.close();
          w.terminate();
        },
      };
    },
    startApp(limits: AppLimits = {}): AppWorkerHandle {
      const heapMb = limits.heapMb ?? DEFAULT_APP_HEAP_MB;
      const dog = heapWatchdog();
      // a URL of its own, so that memory measurements tell this worker apart
      const url = new URL(String(urls.app), globalThis.location?.href);
      url.hash = `wasmvisor-app-${++appSeq}`;
      const w = make(url.href, { type: 'module', name: 'wasmvisor-app' });
      let done: (m: AppDone) => void = () => {};
      let fail: (message: string, oom: boolean) => void = () => {};
      let ready = false;
      let dead = false;
      let unwatch = () => {};
      const die = (message: string, oom: boolean) => {
        if (dead) return;
        dead = true;
        unwatch();
        w.terminate();
        fail(message, oom);
      };
      w.onmessage = (e) => {
        const m = e.data as AppDone;
        if (m.t === 'ready') ready = true;
        else {
          unwatch();
          done(m);
        }
      };
      w.onerror = (e) => die(e.message || 'app worker error', /memory/i.test(e.message ?? ''));
      return {
        get ready() { return ready; },
        run: (msg) => {
          if (dog) {
            unwatch = dog.watch(url.href, heapMb * 1024 * 1024, (bytes) =>
              die(`${Math.round(bytes / (1024 * 1024))} MB measured, over the ${heapMb} MB limit`, true));
          }
          w.postMessage(msg);
        },
        onDone: (fn) => { done = fn; },
        onFailure: (fn) => { fail = fn; },
        terminate: async () => {
          dead = true;
          unwatch();
          w.terminate();
        },
      };
    },
  };
}

/** A portable Host from web APIs (performance.now, crypto, Atomics.wait in workers). */
export function portableHost(): Host {
  const t0 = performance.now();
  const epoch = BigInt(Date.now()) * 1_000_000n;
  const mono = () => BigInt(Math.round((performance.now() - t0) * 1e6));
  const cell = new Int32Array(new SharedArrayBuffer(4));
  return {
    realtimeNs: () => epoch + mono(),
    monotonicNs: mono,
    cpuTimeNs: mono,
    randomFill: (b) => { crypto.getRandomValues(b); },
    sleepSync: (ns) => { Atomics.wait(cell, 0, 0, Number(ns) / 1e6); },
    logBug: (m, e) => console.error(`wasmvisor: kernel bug: ${m}:`, e),
  };
}

