import { afterAll, beforeAll, describe, expect } from 'vitest';
import { itWithTools } from '../support/tools.js';
import { launchChromium, serveIsolated, type Site } from './serve.js';

let site: Site | null = null;

beforeAll(async () => {
  site = await serveIsolated({
    page: 'web/smoke/page.ts',
    inline_worker: 'web/smoke/inline_worker.ts',
    sentry_worker: 'src/runtime/sentry_worker.ts',
    app_worker: 'src/sentry/app_worker.ts',
  }, { 'hello.wasm': 'wasm/hello.wasm' });
});

afterAll(async () => { await site?.close(); });

describe('browser smoke (headless Chromium)', () => {
  itWithTools('chromium')('runs hello inline in a Web Worker and as a sentry container', async () => {
    const chromium = await launchChromium();
    try {
      const page = await chromium.browser.newPage();
      const logs: string[] = [];
      page.on('console', (m) => logs.push(m.text()));
      page.on('pageerror', (e) => logs.push(String(e)));
      await page.goto(site!.url);
      await page.waitForFunction(() => (window as unknown as { __smoke?: unknown }).__smoke !== undefined, null, { timeout: 30_000 });
      const smoke = await page.evaluate(() => (window as unknown as { __smoke: unknown }).__smoke) as Record<string, any>;
      expect(smoke.error, `page failed: ${smoke.error}\n${logs.join('\n')}`).toBeUndefined();
      expect(smoke.isolated).toBe(true);
      expect(smoke.inline).toEqual({ status: { code: 0 }, stdout: 'hello from wasmvisor\narg 1: inline\n' });
      expect(smoke.sentry).toEqual({ result: { exitCode: 0, oomKilled: false }, stdout: 'hello from wasmvisor\narg 1: sentry\n' });
    } finally {
      await chromium.close();
    }
  }, 90_000);
});
