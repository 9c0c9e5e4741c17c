/**
 * Browser smoke page: runs hello on the inline platform in a Web Worker,
 * then as a container on the sentry platform (Sentry + app worker, SAB
 * channel), and publishes both results on `window.__smoke`.
 */
import { Runtime } from '../../src/runtime/runtime.js';
import { browserWorkerHost } from '../../src/host/browser_host.js';

async function inline(bytes: Uint8Array): Promise<unknown> {
  const w = new Worker('./inline_worker.js', { type: 'module' });
  const res = await new Promise((resolve, reject) => {
    w.onmessage = (e) => resolve(e.data);
    w.onerror = (e) => reject(new Error(e.message));
    w.postMessage({ bytes, args: ['hello', 'inline'] });
  });
  w.terminate();
  return res;
}

async function sentry(bytes: Uint8Array): Promise<unknown> {
  const rt = await Runtime.create({ workers: browserWorkerHost({ sentry: './sentry_worker.js', app: './app_worker.js' }), poolSize: 1 });
  const c = await rt.run({ module: bytes, config: { process: { args: ['hello', 'sentry'] } } });
  const result = await c.wait();
  const stdout = c.init.stdout.text();
  await c.delete();
  await rt.close();
  return { result, stdout };
}

(async () => {
  const w = window as unknown as { __smoke?: unknown };
  try {
    const bytes = new Uint8Array(await (await fetch('./hello.wasm')).arrayBuffer());
    w.__smoke = { isolated: crossOriginIsolated, inline: await inline(bytes), sentry: await sentry(bytes) };
  } catch (err) {
    w.__smoke = { error: String((err as Error).stack ?? err) };
  }
})();
