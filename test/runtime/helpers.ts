/** Shared helpers of the container library tests. */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { APP_WORKER, SENTRY_WORKER, distFile } from '../../src/host/node_workers.js';

/** The probe workload (see fixtures/probe.c). */
export const PROBE = readFileSync(fileURLToPath(new URL('./fixtures/probe.wasm', import.meta.url)));

/** Fail early and clearly when dist/ is missing: workers run built JS. */
export function requireDist(): void {
  distFile(APP_WORKER);
  distFile(SENTRY_WORKER);
}

/** Poll `cond` every 5 ms until true or `ms` elapse. */
export async function until(cond: () => boolean | Promise<boolean>, ms = 20_000, what = 'condition'): Promise<void> {
  const end = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

/** Process args for the probe. */
export function probe(...args: string[]) {
  return { process: { args: ['probe', ...args] } };
}
