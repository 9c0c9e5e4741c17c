/**
 * The app worker, except that `fault: 'heap'` grows the JS heap in steps
 * that return to the event loop (4 MiB every 100 ms, up to 256 MiB, then
 * held): a stand-in for a runaway guest whose worker's event loop turns,
 * the only kind Chromium can measure (see src/host/browser_heap_watchdog.ts).
 * The real fault grows in one synchronous loop that no measurement sees.
 */
import '../../../src/sentry/app_worker.js';
import type { AppRun } from '../../../src/sentry/control_plane.js';

const scope = globalThis as unknown as { onmessage: ((e: MessageEvent) => void) | null };
const serve = scope.onmessage;
const held: unknown[] = [];
scope.onmessage = (e) => {
  if ((e.data as AppRun).fault !== 'heap') {
    serve?.(e);
    return;
  }
  const step = () => {
    for (let i = 0; i < 32; i++) held.push(new Array(1 << 15).fill({ n: held.length })); // 32 × 128 KiB
    if (held.length < 2048) setTimeout(step, 100);
  };
  step();
};
