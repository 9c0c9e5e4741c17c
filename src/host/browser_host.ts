/**
 * The browser's WorkerHost: the Sentry and app workers are module Web
 * Workers. SharedArrayBuffer needs a cross-origin isolated page: serve it
 * (and the worker scripts) with `Cross-Origin-Opener-Policy: same-origin`
 * and `Cross-Origin-Embedder-Policy: require-corp`. The worker scripts are
 * the bundled `sentry_worker` and `app_worker` entries; give their URLs.
 */
import { transfer, wrap, type Remote } from 'comlink';
import type { Host } from '../../kernel/host.js';
import type { AppDone, SentryApi, SentryEvent } from './protocol.js';
import type { AppLimits, AppWorkerHandle, SentryHandle, WorkerHost } from '../runtime/workers.js';

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

/** A WorkerHost on Web Workers. */
export function browserWorkerHost(urls: BrowserWorkerUrls): WorkerHost {
  if (typeof SharedArrayBuffer === 'undefined' || (globalThis as { crossOriginIsolated?: boolean }).crossOriginIsolated === false) {
    throw new NotIsolatedError();
  }
  return {
    async startSentry(): Promise<SentryHandle> {
      const w = new Worker(urls.sentry, { type: 'module', name: 'wasmvisor-sentry' });
      const ctl = new MessageChannel();
      w.postMessage({ port: ctl.port2 }, [ctl.port2]);
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
    startApp(_limits: AppLimits = {}): AppWorkerHandle {
      // Browsers offer no per-worker heap limit; a runaway worker is ended by terminate().
      const w = new Worker(urls.app, { type: 'module', name: 'wasmvisor-app' });
      let done: (m: AppDone) => void = () => {};
      let fail: (message: string, oom: boolean) => void = () => {};
      let ready = false;
      w.onmessage = (e) => {
        const m = e.data as AppDone;
        if (m.t === 'ready') ready = true;
        else done(m);
      };
      w.onerror = (e) => fail(e.message || 'app worker error', /memory/i.test(e.message ?? ''));
      return {
        get ready() { return ready; },
        run: (msg) => w.postMessage(msg),
        onDone: (fn) => { done = fn; },
        onFailure: (fn) => { fail = fn; },
        terminate: async () => { w.terminate(); },
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

