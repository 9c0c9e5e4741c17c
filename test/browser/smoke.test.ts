import { afterAll, beforeAll, describe, expect } from 'vitest';
import { createServer, type Server } from 'node:http';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { itWithTools } from '../support/tools.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
const TYPES: Record<string, string> = { '.html': 'text/html', '.js': 'text/javascript', '.wasm': 'application/wasm' };

let server: Server | null = null;
let dir = '';
let url = '';

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'wasmvisor-smoke-'));
  const esbuild = await import('esbuild');
  await esbuild.build({
    entryPoints: {
      page: join(root, 'web/smoke/page.ts'),
      inline_worker: join(root, 'web/smoke/inline_worker.ts'),
      sentry_worker: join(root, 'src/host/sentry_worker.ts'),
      app_worker: join(root, 'src/host/app_worker.ts'),
    },
    bundle: true, format: 'esm', splitting: true, platform: 'browser', target: 'es2022',
    outdir: join(dir, 'www'), external: ['node:*'], logLevel: 'error',
  });
  writeFileSync(join(dir, 'www/index.html'), '<!doctype html><meta charset="utf-8"><title>wasmvisor smoke</title><script type="module" src="./page.js"></script>');
  writeFileSync(join(dir, 'www/hello.wasm'), readFileSync(join(root, 'wasm/hello.wasm')));
  server = createServer((req, res) => {
    const p = join(dir, 'www', (req.url ?? '/').split('?')[0] === '/' ? 'index.html' : (req.url ?? '').split('?')[0]!);
    if (!p.startsWith(join(dir, 'www')) || !existsSync(p)) {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, {
      'Content-Type': TYPES[extname(p)] ?? 'application/octet-stream',
      'Cross-Origin-Opener-Policy': 'same-origin',
      'Cross-Origin-Embedder-Policy': 'require-corp',
      'Cross-Origin-Resource-Policy': 'same-origin',
    });
    res.end(readFileSync(p));
  });
  await new Promise<void>((r) => server!.listen(0, '127.0.0.1', r));
  const addr = server.address() as { port: number };
  url = `http://127.0.0.1:${addr.port}/`;
});

afterAll(async () => {
  await new Promise((r) => (server ? server.close(r) : r(null)));
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('browser smoke (headless Chromium)', () => {
  itWithTools('chromium')('runs hello inline in a Web Worker and as a sentry container', async () => {
    const { chromium } = await import('playwright-core');
    const profile = mkdtempSync(join(tmpdir(), 'wasmvisor-chromium-'));
    // a fresh, empty profile: playwright passes it as --user-data-dir
    const browser = await chromium.launchPersistentContext(profile, {
      executablePath: '/usr/bin/chromium',
      headless: true,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
        '--disable-component-update', '--disable-sync'],
    });
    try {
      const page = await browser.newPage();
      const logs: string[] = [];
      page.on('console', (m) => logs.push(m.text()));
      page.on('pageerror', (e) => logs.push(String(e)));
      await page.goto(url);
      await page.waitForFunction(() => (window as unknown as { __smoke?: unknown }).__smoke !== undefined, null, { timeout: 30_000 });
      const smoke = await page.evaluate(() => (window as unknown as { __smoke: unknown }).__smoke) as Record<string, any>;
      expect(smoke.error, `page failed: ${smoke.error}\n${logs.join('\n')}`).toBeUndefined();
      expect(smoke.isolated).toBe(true);
      expect(smoke.inline).toEqual({ status: { code: 0 }, stdout: 'hello from wasmvisor\narg 1: inline\n' });
      expect(smoke.sentry).toEqual({ result: { exitCode: 0, oomKilled: false }, stdout: 'hello from wasmvisor\narg 1: sentry\n' });
    } finally {
      await browser.close();
      rmSync(profile, { recursive: true, force: true });
    }
  }, 90_000);
});
