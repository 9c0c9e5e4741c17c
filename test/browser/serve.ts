/**
 * Helpers of the browser tests: bundle pages and workers with esbuild, serve
 * them cross-origin isolated (COOP/COEP, so that SharedArrayBuffer and
 * `performance.measureUserAgentSpecificMemory` exist) from node:http, and
 * launch Debian's /usr/bin/chromium headless with a fresh profile.
 */
import { createServer, type Server } from 'node:http';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { BrowserContext } from 'playwright-core';

/** The repository root. */
export const root = fileURLToPath(new URL('../../', import.meta.url));

const TYPES: Record<string, string> = { '.html': 'text/html', '.js': 'text/javascript', '.wasm': 'application/wasm' };

/** A served site: its base URL; `close` stops the server and removes the files. */
export interface Site {
  url: string;
  close(): Promise<void>;
}

/**
 * Bundle `entries` (name → source path under the root) into a temporary
 * folder with `index.html` loading `page.js`, copy `files` (name → path
 * under the root) beside them, and serve the folder cross-origin isolated.
 */
export async function serveIsolated(entries: Record<string, string>, files: Record<string, string> = {}): Promise<Site> {
  const dir = mkdtempSync(join(tmpdir(), 'wasmvisor-www-'));
  const www = join(dir, 'www');
  const esbuild = await import('esbuild');
  await esbuild.build({
    entryPoints: Object.fromEntries(Object.entries(entries).map(([k, v]) => [k, join(root, v)])),
    bundle: true, format: 'esm', splitting: true, platform: 'browser', target: 'es2022',
    outdir: www, external: ['node:*'], logLevel: 'error',
  });
  writeFileSync(join(www, 'index.html'), '<!doctype html><meta charset="utf-8"><title>wasmvisor</title><script type="module" src="./page.js"></script>');
  for (const [name, path] of Object.entries(files)) writeFileSync(join(www, name), readFileSync(join(root, path)));
  const server: Server = createServer((req, res) => {
    const rel = (req.url ?? '/').split('?')[0]!;
    const p = join(www, rel === '/' ? 'index.html' : rel);
    if (!p.startsWith(www) || !existsSync(p)) {
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
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${port}/`,
    close: async () => {
      await new Promise((r) => server.close(r));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** A headless Chromium with a fresh, empty profile; `close` also removes the profile. */
export async function launchChromium(extraArgs: string[] = []): Promise<{ browser: BrowserContext; close(): Promise<void> }> {
  const { chromium } = await import('playwright-core');
  const profile = mkdtempSync(join(tmpdir(), 'wasmvisor-chromium-'));
  // playwright passes the profile as --user-data-dir
  const browser = await chromium.launchPersistentContext(profile, {
    executablePath: '/usr/bin/chromium',
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync', ...extraArgs],
  });
  return {
    browser,
    close: async () => {
      await browser.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}
