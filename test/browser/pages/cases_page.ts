/**
 * Page of test/browser/guest_cases.test.ts: runs one wasm/ case (a
 * `WasmCase` of test/support/wasm_cases.ts, minus host mounts) as a
 * container of the library's Runtime in this page, on the sentry platform
 * in Web Workers, exactly as test/runtime/conformance_sentry.test.ts does in
 * Node: `window.runCase(case)` answers its exit code, stdout and stderr.
 */
import { Runtime } from '../../../src/runtime/runtime.js';
import { browserWorkerHost } from '../../../src/host/browser_host.js';

interface PageCase { name: string; program: string; args?: string[]; env?: Record<string, string>; stdin?: string; workdir?: string }

const runtime = Runtime.create({ workers: browserWorkerHost({ sentry: './sentry_worker.js', app: './app_worker.js' }), poolSize: 2 });
const modules = new Map<string, Promise<Uint8Array>>();

async function runCase(c: PageCase): Promise<{ exitCode: number; stdout: string; stderr: string }> {
  const rt = await runtime;
  let m = modules.get(c.program);
  if (!m) modules.set(c.program, (m = fetch(`./${c.program}.wasm`).then(async (r) => new Uint8Array(await r.arrayBuffer()))));
  const env = Object.entries(c.env ?? {}).map(([k, v]) => `${k}=${v}`);
  if (c.workdir && !env.some((e) => e.startsWith('PWD='))) env.push(`PWD=${c.workdir}`);
  const ct = await rt.create({
    module: await m,
    config: { process: { args: [`${c.program}.wasm`, ...(c.args ?? [])], env, cwd: c.workdir ?? '/' } },
    stdin: c.stdin === undefined ? 'null' : 'pipe',
  });
  await ct.start();
  if (c.stdin !== undefined) {
    await ct.init.write(c.stdin);
    await ct.init.closeStdin();
  }
  const r = await ct.wait();
  const out = { exitCode: r.exitCode, stdout: ct.init.stdout.text(), stderr: ct.init.stderr.text() };
  await ct.delete();
  return out;
}

(window as unknown as { runCase: typeof runCase }).runCase = runCase;
(window as unknown as { __ready: boolean }).__ready = true;
