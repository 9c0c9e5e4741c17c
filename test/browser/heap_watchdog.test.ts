/**
 * The browser host's JS heap watchdog (src/host/browser_heap_watchdog.ts)
 * in Debian's headless Chromium: it ends a runaway app worker with the
 * status Node gives a JS heap exhaustion, says once when it cannot run, and
 * the limit it lives with — a measurement waits for every worker that is
 * busy in a synchronous run — is pinned down so that a change shows.
 */
import { afterAll, beforeAll, describe, expect } from 'vitest';
import type { BrowserContext } from 'playwright-core';
import { itWithTools } from '../support/tools.js';
import { launchChromium, serveIsolated, type Site } from './serve.js';

let site: Site | null = null;

beforeAll(async () => {
  site = await serveIsolated({
    page: 'test/browser/pages/heap_page.ts',
    sentry_worker: 'src/runtime/sentry_worker.ts',
    app_worker: 'src/sentry/app_worker.ts',
    yield_hog_app_worker: 'test/browser/pages/yield_hog_app_worker.ts',
  }, { 'hello.wasm': 'wasm/hello.wasm', 'probe.wasm': 'test/runtime/fixtures/probe.wasm' });
});

afterAll(async () => { await site?.close(); });

/** Open the page on `which` case and return what it published. */
async function runCase(browser: BrowserContext, which: string, timeoutMs: number): Promise<Record<string, any>> {
  const page = await browser.newPage();
  const logs: string[] = [];
  page.on('console', (m) => logs.push(m.text()));
  page.on('pageerror', (e) => logs.push(String(e)));
  page.on('crash', () => logs.push('the page crashed'));
  await page.goto(`${site!.url}?case=${which}`);
  await page.waitForFunction(() => (window as unknown as { __heap?: unknown }).__heap !== undefined, null, { timeout: timeoutMs });
  const out = await page.evaluate(() => (window as unknown as { __heap: unknown }).__heap) as Record<string, any>;
  expect(out.error, `page failed: ${out.error}\n${logs.join('\n')}`).toBeUndefined();
  await page.close();
  return out;
}

const HELLO = (arg: string) => ({ exitCode: 0, stdout: `hello from wasmvisor\narg 1: ${arg}\n` });

describe('browser app worker heap watchdog (headless Chromium)', () => {
  itWithTools('chromium')('ends an app worker over appLimits.heapMb with the JS heap status; neighbours keep running', async () => {
    // default flags, as a user's browser: measurements come after a GC or about 20 s
    const chromium = await launchChromium();
    try {
      const out = await runCase(chromium.browser, 'oom', 75_000);
      process.stderr.write(`heap watchdog: hog ${JSON.stringify(out.hog)} after ${out.endedAfterMs} ms, ${out.neighbours.length} neighbours\n${JSON.stringify(out.measurements)}\n`);
      expect(out.hog, `the hog was not ended within ${out.endedAfterMs} ms`).not.toBeNull();
      expect(out.hog.exitCode).toBe(137);
      expect(out.hog.signal).toBe('SIGKILL');
      expect(out.hog.reason).toMatch(/^app worker ran out of JS heap \(\d+ MB measured, over the 32 MB limit\)$/);
      expect(out.neighbours.length).toBeGreaterThan(0);
      out.neighbours.forEach((n: unknown, i: number) => expect(n).toEqual(HELLO(`n${i}`)));
      expect(out.after).toEqual(HELLO('after'));
      expect(out.warnings).toEqual([]);
    } finally {
      await chromium.close();
    }
  }, 100_000);

  itWithTools('chromium')('without measureUserAgentSpecificMemory it says so once and containers still run', async () => {
    const chromium = await launchChromium();
    try {
      const out = await runCase(chromium.browser, 'fallback', 30_000);
      expect(out.runs).toEqual([HELLO('one'), HELLO('two')]);
      expect(out.warnings).toHaveLength(1);
      expect(out.warnings[0]).toMatch(/JS heap limits \(appLimits\.heapMb\) are not enforced: performance\.measureUserAgentSpecificMemory\(\) is unavailable/);
    } finally {
      await chromium.close();
    }
  }, 60_000);

  itWithTools('chromium')('a measurement waits while an app worker is parked in a system call (why fault: heap cannot be caught)', async () => {
    // eager measurement, so that only the wait for the busy worker remains
    const chromium = await launchChromium(['--enable-blink-features=ForceEagerMeasureMemory']);
    try {
      const out = await runCase(chromium.browser, 'blocked', 60_000);
      process.stderr.write(`heap watchdog: measurement ${out.idleMs} ms with idle workers, ${out.busyMs} ms with one parked in a read (stdin closed at ${out.closedAt} ms)\n`);
      expect(out.idleMs).toBeLessThan(2000);
      // if this fails, Chromium now measures busy workers: the watchdog can see running tasks; update its TSDoc
      expect(out.busyMs).toBeGreaterThanOrEqual(out.closedAt);
      expect(out.exitCode).toBe(0);
    } finally {
      await chromium.close();
    }
  }, 90_000);
});
