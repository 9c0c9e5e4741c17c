/**
 * Sentry worker entry (Node worker_threads and Web Workers): creates the
 * SentryCore (src/sentry/sentry_core.ts) with this runtime's container
 * builder (`KernelContainer`) and the environment's Host, and exposes it with
 * comlink on the port it is given. It lives here, not in src/sentry, because
 * it binds the runtime to the Sentry: the dependency runs runtime → sentry.
 * Node: workerData `{ role: 'wasmvisor-sentry', port }`; browser: the
 * first message carries `{ port }`.
 */
import { expose } from 'comlink';
import type { SentryContainerFactory } from '../sentry/sentry_container.js';
import { SentryCore } from '../sentry/sentry_core.js';
import { messageChannelDefer } from '../sentry/defer.js';
import { portableHost } from '../host/browser_host.js';
import { KernelContainer } from './kernel_container.js';

/** The runtime's container builder, as the Sentry builds containers. */
const createContainer: SentryContainerFactory = (host, id, spec, layers, log, parent) => new KernelContainer(host, id, spec, layers, log, parent);

declare const WorkerGlobalScope: unknown;

if (typeof WorkerGlobalScope !== 'undefined') {
  const scope = globalThis as unknown as { onmessage: ((e: MessageEvent) => void) | null };
  scope.onmessage = (e) => {
    scope.onmessage = null;
    const d = e.data as { port: MessagePort; spinMax?: number; outputWindow?: number };
    const core = new SentryCore({ host: portableHost(), createContainer, defer: messageChannelDefer(), spinMax: d.spinMax, outputWindow: d.outputWindow });
    expose(core, d.port);
  };
} else {
  // no top-level await: Node runs the bundle as CommonJS (src/cli/bundle.mjs), which a worker loads for less memory than an ES module
  void (async () => {
    const wt = await import('node:worker_threads');
    if (wt.workerData?.role === 'wasmvisor-sentry') {
      const { createNodeHost } = await import('../host/node_host.js');
      const { NodeHostFs } = await import('../host/node_hostfs.js');
      const core = new SentryCore({ host: createNodeHost({ hostfs: new NodeHostFs() }), createContainer, defer: setImmediate, spinMax: wt.workerData.spinMax, outputWindow: wt.workerData.outputWindow });
      expose(core, wt.workerData.port as unknown as MessagePort);
    }
  })();
}
