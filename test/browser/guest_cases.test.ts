/**
 * The kernel's guest cases (every wasm/ case the library runs in Node,
 * test/support/wasm_cases.ts) in Chromium: each program runs as a container
 * of the library's Runtime in a page (sentry platform, Web Workers, the
 * SAB channel), with the same checks, outputs and exit codes as
 * test/runtime/conformance_sentry.test.ts asserts in Node. Cases that bind
 * host directories cannot run in a browser (it has no host files): they
 * are listed, and the list is asserted, so that none drops out unseen.
 */
import { readdirSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it as vit } from 'vitest';
import { itWithTools } from '../support/tools.js';
import { CASES, parseTap, type WasmCase } from '../support/wasm_cases.js';
import { launchChromium, root, serveIsolated, type Site } from './serve.js';
import type { Page } from 'playwright-core';

const it = itWithTools('chromium');
const browserCases = CASES.filter((c) => !c.mounts && !c.rootfs);
let site: Site | null = null;
let chromium: Awaited<ReturnType<typeof launchChromium>> | null = null;
let page: Page | null = null;

beforeAll(async () => {
  if (it === vit.skip) return;
  const wasm = Object.fromEntries(readdirSync(`${root}/wasm`).filter((f) => f.endsWith('.wasm')).map((f) => [f, `wasm/${f}`]));
  site = await serveIsolated({
    page: 'test/browser/pages/cases_page.ts',
    sentry_worker: 'src/runtime/sentry_worker.ts',
    app_worker: 'src/sentry/app_worker.ts',
  }, wasm);
  chromium = await launchChromium();
  page = await chromium.browser.newPage();
  await page.goto(site.url);
  await page.waitForFunction(() => (window as unknown as { __ready?: boolean }).__ready === true, null, { timeout: 30_000 });
}, 60_000);

afterAll(async () => {
  await chromium?.close();
  await site?.close();
});

describe('wasm/ cases in Chromium (sentry platform in Web Workers)', () => {
  vit('only the cases that bind host directories are left out', () => {
    expect(CASES.filter((c) => !browserCases.includes(c)).map((c) => c.name)).toEqual(['errors on a read-only bind and across mounts']);
  });

  for (const c of browserCases) {
    it(c.name, async () => {
      const pc: Pick<WasmCase, 'name' | 'program' | 'args' | 'env' | 'stdin' | 'workdir'> = {
        name: c.name, program: c.program, args: c.args, env: c.env, stdin: c.stdin, workdir: c.workdir,
      };
      const r = await page!.evaluate((x) => (window as unknown as { runCase(x: unknown): Promise<{ exitCode: number; stdout: string; stderr: string }> }).runCase(x), pc);
      const out = r.stdout + r.stderr;
      if (c.tap !== false) {
        const tap = parseTap(out);
        const pending = c.pending ?? {};
        const failed = tap.checks.filter((l) => !l.ok && !(l.name in pending)).map((l) => `${l.name}: ${l.why ?? ''}`);
        expect(failed, `failed checks; output:\n${out}`).toEqual([]);
        expect(tap.summary, `no summary line; output:\n${out}`).toBeDefined();
      }
      if (c.stdout !== undefined) expect(r.stdout).toBe(c.stdout);
      if (c.stderr !== undefined) expect(r.stderr).toBe(c.stderr);
      const pendingFailures = c.tap !== false && parseTap(out).checks.some((l) => !l.ok);
      expect(r.exitCode, `exit code; output:\n${out}`).toBe(pendingFailures ? 1 : (c.exit ?? 0));
    }, 60_000);
  }
});
